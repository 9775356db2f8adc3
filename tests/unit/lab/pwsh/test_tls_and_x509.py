"""The .NET surface the runner's TLS and certificate code uses, against a minimal process.

Sources: SecurityProtocolType values and ServicePointManager.SecurityProtocol
(learn.microsoft.com/dotnet/api/system.net.securityprotocoltype, .../servicepointmanager.securityprotocol),
"Transport Layer Security (TLS) best practices with .NET Framework" for the registry values, X509Store
(learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store), and the language
specification: assignment to a static property (§7.11.1), casts to an enum (§6, string to enum).
"""

from __future__ import annotations

import types
from typing import Any

import pytest

from tests.lab.cmdlets.base import PSError
from tests.lab.pwsh import Interpreter

THUMBPRINT = "3B1E2C4D5F60718293A4B5C6D7E8F90A1B2C3D4E"
X509 = "System.Security.Cryptography.X509Certificates"
RAISE_TLS = """$current = [Net.ServicePointManager]::SecurityProtocol
if ([int]$current -ne 0 -and ([int]$current -band 3072) -eq 0) {
    [Net.ServicePointManager]::SecurityProtocol = $current -bor 3072
}
[string][Net.ServicePointManager]::SecurityProtocol"""


def process(native: dict[str, Any] | None = None, release: int | None = 528049, **stores: Any) -> Any:
    """What tests/lab/cmdlets/tls.py reads of a lab Shell: the host's registry values and stores."""
    host = {
        "dotnet_tls": {"native": {"SchUseStrongCrypto": None, "SystemDefaultTlsVersions": None, **(native or {})}},
        "dotnet_release": release,
        "certificates": {
            "local_machine": stores.get("local_machine", []),
            "current_user": stores.get("current_user", []),
        },
    }
    return types.SimpleNamespace(state=types.SimpleNamespace(host=host), security_protocol=None, proxies={})


@pytest.mark.parametrize(
    ("native", "before", "after"),
    [
        ({}, "Ssl3, Tls", "Ssl3, Tls, Tls12"),
        ({"SchUseStrongCrypto": 1}, "Tls, Tls11, Tls12", "Tls, Tls11, Tls12"),
        ({"SystemDefaultTlsVersions": 1}, "SystemDefault", "SystemDefault"),
    ],
)
def test_the_runner_adds_tls12_and_keeps_what_is_enabled(native: dict[str, Any], before: str, after: str) -> None:
    shell = process(native)
    assert Interpreter(shell).run("[string][Net.ServicePointManager]::SecurityProtocol") == [before]
    assert Interpreter(shell).run(RAISE_TLS) == [after]


def test_setting_tls12_without_net_4_5_throws_exception_setting() -> None:
    with pytest.raises(PSError) as caught:
        Interpreter(process(release=None)).run("[Net.ServicePointManager]::SecurityProtocol = 3072")
    record = caught.value.record
    assert record.message == 'Exception setting "SecurityProtocol": "The requested security protocol is not supported."'
    assert record.exception == "System.Management.Automation.SetValueInvocationException"


def test_a_string_casts_to_an_enum_member_and_a_wrong_name_is_refused() -> None:
    interpreter = Interpreter(None)
    assert interpreter.run("[string][System.Security.Cryptography.X509Certificates.StoreLocation]'localmachine'") == [
        "LocalMachine"
    ]
    with pytest.raises(PSError, match="Unable to match the identifier name Machine"):
        interpreter.run("[System.Security.Cryptography.X509Certificates.StoreLocation]'Machine'")


def test_x509store_lists_its_certificates_only_once_opened() -> None:
    shell = process(local_machine=[{"thumbprint": THUMBPRINT, "has_private_key": False}])
    source = """$store = New-Object X509.X509Store('My', [X509.StoreLocation]'LocalMachine')
$before = @($store.Certificates).Count
$store.Open('ReadOnly')
foreach ($certificate in $store.Certificates) { $certificate.Thumbprint; $certificate.HasPrivateKey }
$store.Close()
$before""".replace("X509.", f"{X509}.")
    assert Interpreter(shell).run(source) == [THUMBPRINT, False, 0]


def test_x509store_with_two_strings_takes_the_string_store_name_overload() -> None:
    """('My', 'CurrentUser'): String to String is exact, String to StoreName only a conversion (§3.7.5)."""
    shell = process(current_user=[{"thumbprint": THUMBPRINT, "has_private_key": True}])
    source = """$store = New-Object System.Security.Cryptography.X509Certificates.X509Store('My', 'CurrentUser')
$store.Open('ReadOnly')
@($store.Certificates).Count"""
    assert Interpreter(shell).run(source) == [1]
