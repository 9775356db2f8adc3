"""The TLS protocols of one powershell.exe process, and the certificate stores it can open.

[Net.ServicePointManager]::SecurityProtocol is process-wide state of .NET Framework: it starts from
the registry and changes only when a script assigns it. Sources:

* SecurityProtocolType values: Ssl3 48, Tls 192, Tls11 768, Tls12 3072, Tls13 12288, SystemDefault 0
  (https://learn.microsoft.com/dotnet/api/system.net.securityprotocoltype). The enum names Tls11 and
  Tls12 from .NET Framework 4.5 only; setting a protocol the runtime does not have throws
  NotSupportedException (ServicePointManager.SecurityProtocol, "Exceptions",
  https://learn.microsoft.com/dotnet/api/system.net.servicepointmanager.securityprotocol). The message
  text of that exception is assumed.
* The default: an application that targets a .NET Framework before 4.7 (powershell.exe of Windows
  PowerShell 5.1 declares v4.0.30319) starts with Ssl3 | Tls; SchUseStrongCrypto = 1 under
  HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 adds Tls11 | Tls12, and
  SystemDefaultTlsVersions = 1 leaves the choice to the operating system (SystemDefault); a 64-bit
  process reads the native key, a 32-bit one the WOW6432Node key ("Transport Layer Security (TLS)
  best practices with .NET Framework", https://learn.microsoft.com/dotnet/framework/network-programming/tls,
  sections "SchUseStrongCrypto" and "SystemDefaultTlsVersions"). WinRM runs the 64-bit powershell.exe.
* SystemDefault lets Schannel choose; every Windows Server the collection supports (2012 R2 and
  later) offers TLS 1.2 by default, so SystemDefault counts as offering it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Shell

SECURITY_PROTOCOL_TYPE = "System.Net.SecurityProtocolType"
PROTOCOLS = {"Ssl3": 48, "Tls": 192, "Tls11": 768, "Tls12": 3072, "Tls13": 12288}
TLS12 = PROTOCOLS["Tls12"]
LEGACY_DEFAULT = PROTOCOLS["Ssl3"] | PROTOCOLS["Tls"]
STRONG_CRYPTO_DEFAULT = PROTOCOLS["Tls"] | PROTOCOLS["Tls11"] | PROTOCOLS["Tls12"]
# .NET Framework 4.5 (Release 378389) is the first 4.x with Tls11 and Tls12.
NET45_RELEASE = 378389
NOT_SUPPORTED = "The requested security protocol is not supported."  # assumed text


def initial_protocols(shell: Shell) -> int:
    """SecurityProtocol when powershell.exe starts, from the native .NETFramework\\v4.0.30319 values."""
    values = shell.state.host["dotnet_tls"]["native"]
    if values["SystemDefaultTlsVersions"] == 1:
        return 0
    if values["SchUseStrongCrypto"] == 1:
        return STRONG_CRYPTO_DEFAULT
    return LEGACY_DEFAULT


def protocols(shell: Shell) -> int:
    if shell.security_protocol is None:
        shell.security_protocol = initial_protocols(shell)
    return shell.security_protocol


def set_protocols(shell: Shell, value: int) -> None:
    """The setter: a value with a bit the runtime does not know is refused (.NET 4.0 has Ssl3 and Tls only)."""
    release = shell.state.host["dotnet_release"]
    known = sum(PROTOCOLS.values()) if release is not None and release >= NET45_RELEASE else LEGACY_DEFAULT
    if value & ~known:
        raise ValueError(NOT_SUPPORTED)
    shell.security_protocol = value


def offers_tls12(shell: Shell) -> bool:
    """Whether a new HTTPS connection of this process may negotiate TLS 1.2."""
    value = protocols(shell)
    return value == 0 or bool(value & TLS12)


def flag_names(value: int) -> str:
    """How a [Flags] enum prints: its set members, lowest first, joined by ', ' (SystemDefault for 0)."""
    if value == 0:
        return "SystemDefault"
    names = [name for name, bit in PROTOCOLS.items() if value & bit]
    rest = value & ~sum(PROTOCOLS.values())
    return ", ".join(names) if not rest else str(value)


def store_certificates(shell: Shell, location: str) -> list[dict[str, Any]]:
    """The certificates of <location>\\My as the state lists them (LocalMachine or CurrentUser)."""
    key = "local_machine" if location.lower() == "localmachine" else "current_user"
    return list(shell.state.host["certificates"][key])
