"""Windows host cmdlets: modules, installed programs, the OS, msiexec and PowerShellGet.

These are what the collection uses to find out what is installed and to install or remove
an online connector (an MSI, a PowerShell repository, or an offline module folder).
Installing changes ``host.modules``; the uninstall registry view is derived from the
deployment and the MSI-installed modules, so it always agrees with them.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..state import ALL_USERS_MODULES, PRODUCTS, new_module
from ..values import PSObject, Version, parse_version, ps_string, wildcard
from . import tls
from .base import COMMON, REGISTRY, Bound, Cmdlet, Param, Shell, ps_error
from .files import PATH_PARAMS, environment, norm
from .signatures import default_set, documented

PSCORE = "Microsoft.PowerShell.Commands"
PKG = "Microsoft.PowerShell.PackageManagement.Cmdlets"
UNINSTALL_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL_KEY_32 = r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"
ENVIRONMENT_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
# Where .NET Framework 4.5 and later record their Release number (how-to-determine-which-versions-are-installed,
# learn.microsoft.com/dotnet/framework/install); 461808 is 4.7.2 on every Windows version.
NET_FRAMEWORK_KEY = r"HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"
NET472_RELEASE = 461808
# Where .NET Framework 4.x reads SchUseStrongCrypto and SystemDefaultTlsVersions, per registry view (tls.py).
DOTNET_TLS_KEYS = {
    "native": r"HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    "wow6432": r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319",
}
REGISTRY_PROVIDER = "Microsoft.PowerShell.Core\\Registry"
UNTRUSTED = ("psgallery",)  # registered but untrusted by default: Install-Module prompts unless -Force
MSI_NAMES = {
    "lynconlineconnector": "Windows PowerShell Module for Lync Online",
    "skypeonlineconnector": "Skype for Business Online, Windows PowerShell Module",
}
PRODUCT_COMPONENTS = ("Core Components", "Front End Server", "Administrative Tools")
# msiexec exit codes that mean the product was installed: ERROR_SUCCESS (0), ERROR_SUCCESS_REBOOT_INITIATED
# (1641) and ERROR_SUCCESS_REBOOT_REQUIRED (3010), per Microsoft's "MsiExec.exe and InstMsi.exe Error Messages"
# (https://learn.microsoft.com/en-us/windows/win32/msi/error-codes). Any other code a state gives a source
# (1603, 1618, 1620 ERROR_INSTALL_PACKAGE_INVALID, 1633 ERROR_INSTALL_PLATFORM_UNSUPPORTED, ...) installs nothing.
MSI_OK = (0, 1641, 3010)
MSI_BAD_PACKAGE = 1619
MSI_UNKNOWN_PRODUCT = 1605
NAMESPACE = uuid.UUID("6b1f6b36-6a53-4c3e-9d37-3f0c0a4b7c11")


def product_code(display_name: str) -> str:
    return "{" + str(uuid.uuid5(NAMESPACE, display_name.lower())).upper() + "}"


# --- modules -----------------------------------------------------------------------------------


def module_info(module: dict[str, Any]) -> PSObject:
    props = {
        "Name": module["name"],
        "Version": Version(module["version"]),
        "ModuleBase": module["path"],
        "Path": f"{module['path']}\\{module['name']}.psd1",
    }
    return PSObject(props, "System.Management.Automation.PSModuleInfo", module["name"])


def installed(shell: Shell, name: str) -> list[dict[str, Any]]:
    pattern = wildcard(name)
    return [module for module in shell.state.host["modules"] if pattern.match(module["name"])]


def get_module(shell: Shell, bound: Bound) -> list[Any]:
    names = bound.get("Name")
    if bound.switch("ListAvailable"):
        modules = shell.state.host["modules"]
        if names is not None:
            modules = [m for m in modules if any(wildcard(ps_string(n)).match(m["name"]) for n in names)]
        return [module_info(module) for module in modules]
    loaded = []
    for name, version in shell.imported.values():
        if names is None or any(wildcard(ps_string(n)).match(name) for n in names):
            match = next((m for m in installed(shell, name) if m["version"] == version), None)
            info = module_info(match or {"name": name, "version": version, "path": ""})
            info.props["ExportedCommands"] = exported_commands(shell, name, version)
            loaded.append(info)
    return loaded


def exported_commands(shell: Shell, name: str, version: str) -> Any:
    """PSModuleInfo.ExportedCommands of an imported module: command name -> CommandInfo with its Parameters.

    Both are dictionaries with case-insensitive keys; Parameters holds the cmdlet's own parameters and the
    common ones (PowerShell-Docs, about_CommonParameters; -WhatIf/-Confirm with SupportsShouldProcess).
    """
    from ..pwsh.model import Hashtable  # the interpreter's dictionary type (imported late: pwsh imports cmdlets)

    commands = Hashtable()
    provider = REGISTRY.modules.get(name.lower())
    for entry in provider(shell, version) if provider else ():
        parameters = Hashtable()
        names = [param.name for param in entry.cmdlet.params] + list(COMMON)
        names += ["WhatIf", "Confirm"] if entry.cmdlet.should_process else []
        for parameter in names:
            parameters.set(parameter, parameter)
        info = PSObject(
            {"Name": entry.name, "Parameters": parameters}, "System.Management.Automation.CmdletInfo", entry.name
        )
        commands.set(entry.name, info)
    return commands


def _module_not_found(name: str) -> Exception:
    return ps_error(
        f"The specified module '{name}' was not loaded because no valid module file was found in any module directory.",
        f"Modules_ModuleNotFound,{PSCORE}.ImportModuleCommand",
        "ResourceUnavailable",
        "System.IO.FileNotFoundException",
        name,
    )


def import_module(shell: Shell, bound: Bound) -> list[Any]:
    imported = []
    for name in bound.get("Name"):
        candidates = installed(shell, ps_string(name))
        for key, op in (("RequiredVersion", "eq"), ("MinimumVersion", "ge"), ("MaximumVersion", "le")):
            if bound.get(key):
                wanted = parse_version(bound.get(key))
                candidates = [c for c in candidates if _compare(parse_version(c["version"]), wanted, op)]
        if not candidates:
            raise _module_not_found(ps_string(name))
        module = max(candidates, key=lambda m: parse_version(m["version"]))
        _check_powershell(shell, module)
        if module["name"].lower() not in shell.imported or bound.switch("Force"):
            shell.imported[module["name"].lower()] = (module["name"], module["version"])
        imported.append(module_info(module))
    return imported if bound.switch("PassThru") else []


def _compare(have: tuple[int, ...], wanted: tuple[int, ...], op: str) -> bool:
    return {"eq": have == wanted, "ge": have >= wanted, "le": have <= wanted}[op]


def _check_powershell(shell: Shell, module: dict[str, Any]) -> None:
    """MicrosoftTeams 1.1.4 and later need Windows PowerShell 5.1 and .NET Framework 4.7.2.

    Source: https://www.powershellgallery.com/packages/MicrosoftTeams/1.1.4 and the "Requirements" of
    https://learn.microsoft.com/microsoftteams/teams-powershell-install (OfficeDocs-SkypeForBusiness
    Teams/teams-powershell-install.md). Import-Module enforces a manifest's PowerShellVersion and
    DotNetFrameworkVersion with the error ids Modules_InsufficientPowerShellVersion and
    Modules_InsufficientDotNetFrameworkVersion (ModuleCmdletBase in Windows PowerShell 5.1); the .NET message
    text is assumed.
    """
    if module["name"].lower() != "microsoftteams" or parse_version(module["version"]) < (1, 1, 4):
        return
    have = shell.state.host["powershell_version"]
    manifest = f"{module['path']}\\{module['name']}.psd1"
    release = shell.state.host["dotnet_release"]
    if parse_version(have)[:2] >= (5, 1) and (release is None or release < NET472_RELEASE):
        raise ps_error(
            f"The module '{manifest}' requires a minimum .NET Framework version of '4.7.2' to run. "
            "Verify the installation of the .NET Framework and try again.",
            f"Modules_InsufficientDotNetFrameworkVersion,{PSCORE}.ImportModuleCommand",
            "ResourceUnavailable",
            "System.InvalidOperationException",
            manifest,
        )
    if parse_version(have)[:2] < (5, 1):
        raise ps_error(
            f"The version of the loaded PowerShell is '{'.'.join(have.split('.')[:2])}'. The module "
            f"'{module['path']}\\{module['name']}.psd1' requires a minimum PowerShell version of '5.1' to run. "
            "Verify the installation of the PowerShell and try again.",
            f"Modules_InsufficientPowerShellVersion,{PSCORE}.ImportModuleCommand",
            "ResourceUnavailable",
            "System.InvalidOperationException",
            f"{module['path']}\\{module['name']}.psd1",
        )


# --- installed programs ------------------------------------------------------------------------


def _msi_source(shell: Shell, module: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    for path, source in shell.state.host["sources"]["msi"].items():
        if source["module"].lower() == module["name"].lower() and source["version"] == module["version"]:
            return path, source
    return None, None


def uninstall_entries(shell: Shell) -> list[dict[str, Any]]:
    """Add/Remove Programs: the deployment's components, MSI-installed modules, and the state's extras."""
    state = shell.state
    found: list[dict[str, Any]] = []
    deployment = state.deployment
    if deployment is not None:
        display = PRODUCTS[deployment["product"]][3]
        for component in PRODUCT_COMPONENTS:
            found.append({"display_name": f"{display}, {component}", "display_version": deployment["build"]})
    for module in state.host["modules"]:
        if module["installed_by"] != "msi" or (deployment and module["name"] == deployment["module"]):
            continue
        path, source = _msi_source(shell, module)
        display = (source or {}).get("display_name") or MSI_NAMES.get(module["name"].lower(), module["name"])
        found.append({"display_name": display, "display_version": module["version"], "module": module, "msi": path})
    found += [dict(entry) for entry in state.host["uninstall"]]
    for entry in found:
        entry["key"] = entry.get("key") or product_code(entry["display_name"])
    return found


def _hklm(path: Any) -> str:
    """A registry path in drive form, given as HKLM:, Registry:: or a provider-qualified PSPath (as Windows accepts)."""
    text = ps_string(path)
    if text.lower().startswith("microsoft.powershell.core\\registry::"):
        text = text.split("\\", 1)[1]
    return re.sub("^Registry::HKEY_LOCAL_MACHINE", "HKLM:", text, flags=re.IGNORECASE)


def _registry_key(entry: dict[str, Any]) -> dict[str, str]:
    """The names a registry key carries (.NET RegistryKey.Name, and the provider's PSChildName / PSPath)."""
    return {
        "Name": f"HKEY_LOCAL_MACHINE\\{UNINSTALL_KEY[6:]}\\{entry['key']}",
        "PSChildName": entry["key"],
        "PSPath": f"{REGISTRY_PROVIDER}::HKEY_LOCAL_MACHINE\\{UNINSTALL_KEY[6:]}\\{entry['key']}",
    }


def _malformed() -> Exception:
    """Windows PowerShell 5.1 reading a REG_DWORD whose data is longer than 4 bytes (RegistryKey.GetValue then
    returns byte[], which the registry provider casts to int): "Specified cast is not valid.", FQID
    System.InvalidCastException,...GetItemPropertyCommand, and it ends the whole command, even with
    -ErrorAction SilentlyContinue, so a wildcard read over all Uninstall keys returns nothing after it.
    Source: PowerShell/PowerShell issue 9552 (Windows PowerShell 5.1; fixed in PowerShell 7 only, PR 21115) and
    issue 26700 (the cast in RegistryWrapper.ConvertValueToUIntFromRegistryIfNeeded). The TargetObject is assumed.
    """
    return ps_error(
        "Specified cast is not valid.",
        f"System.InvalidCastException,{PSCORE}.GetItemPropertyCommand",
        "NotSpecified",
        "System.InvalidCastException",
        "",
    )


def uninstall_keys(shell: Shell, path: Any) -> list[Any]:
    """Get-ChildItem of the Uninstall key: one RegistryKey per entry, no value read (so none can fail).

    Source: PowerShell-Docs 5.1 Get-ChildItem.md @ 27138b21 (example "Get registry keys from a registry hive":
    Get-ChildItem on a registry path returns the keys, RegistryKey objects). The 32-bit view is empty here.
    """
    text = _hklm(path)
    if norm(text) == norm(UNINSTALL_KEY_32):
        return []
    if norm(text) != norm(UNINSTALL_KEY):
        raise ps_error(
            f"Cannot find path '{text}' because it does not exist.",
            f"PathNotFound,{PSCORE}.GetChildItemCommand",
            "ObjectNotFound",
            "System.Management.Automation.ItemNotFoundException",
            text,
        )
    keys = []
    for entry in sorted(uninstall_entries(shell), key=lambda e: e["key"].lower()):
        names = {**_registry_key(entry), "Property": ["DisplayName", "DisplayVersion", "Publisher"]}
        keys.append(
            PSObject({**names, "SubKeyCount": 0, "ValueCount": 3}, "Microsoft.Win32.RegistryKey", names["Name"])
        )
    return keys


def _dotnet_tls_values(shell: Shell, path: str, bound: Bound) -> PSObject:
    """The strong-crypto values of one registry view; a value not set is absent (a -Name for it fails).

    Source: "Transport Layer Security (TLS) best practices with .NET Framework" (SchUseStrongCrypto,
    SystemDefaultTlsVersions under HKLM\\SOFTWARE\\[WOW6432Node\\]Microsoft\\.NETFramework\\v4.0.30319).
    The key itself exists wherever .NET Framework 4 is installed.
    """
    view = "wow6432" if "wow6432node" in path.lower() else "native"
    values = {k: v for k, v in shell.state.host["dotnet_tls"][view].items() if v is not None}
    names = [ps_string(n) for n in bound.get("Name") or ["*"]]
    for name in names:
        if not any(char in name for char in "*?[") and name.lower() not in (k.lower() for k in values):
            raise ps_error(
                f"Property {name} does not exist at path {path.replace('HKLM:', 'HKEY_LOCAL_MACHINE')}.",
                f"System.Management.Automation.PSArgumentException,{PSCORE}.GetItemPropertyCommand",
                "InvalidArgument",
                "System.Management.Automation.PSArgumentException",
                name,
            )
    props = {k: v for k, v in values.items() if any(wildcard(n).match(k) for n in names)}
    return PSObject({**props, "PSChildName": "v4.0.30319"})


def get_item_property(shell: Shell, bound: Bound) -> list[Any]:
    rows = []
    for path in bound.get("LiteralPath") or bound.get("Path"):
        text = _hklm(path)
        parent, _separator, leaf = text.rstrip("\\").rpartition("\\")
        if norm(text) == norm(ENVIRONMENT_KEY):
            variables = environment(shell, machine=True)
            names = [ps_string(n) for n in bound.get("Name") or ["PSModulePath"]]
            props = {k: v for k, v in variables.items() if any(wildcard(n).match(k) for n in names)}
            rows.append(PSObject({**props, "PSChildName": "Environment"}))
            continue
        if norm(text) in (norm(DOTNET_TLS_KEYS["native"]), norm(DOTNET_TLS_KEYS["wow6432"])):
            rows.append(_dotnet_tls_values(shell, text, bound))
            continue
        if norm(text) == norm(NET_FRAMEWORK_KEY) and shell.state.host["dotnet_release"] is not None:
            names = [ps_string(n) for n in bound.get("Name") or ["*"]]
            values = {"Release": shell.state.host["dotnet_release"], "Install": 1}
            props = {k: v for k, v in values.items() if any(wildcard(n).match(k) for n in names)}
            rows.append(PSObject({**props, "PSChildName": "Full"}))
            continue
        if norm(parent) == norm(UNINSTALL_KEY_32):
            continue
        if norm(parent) != norm(UNINSTALL_KEY):
            raise ps_error(
                f"Cannot find path '{text}' because it does not exist.",
                f"PathNotFound,{PSCORE}.GetItemPropertyCommand",
                "ObjectNotFound",
                "System.Management.Automation.ItemNotFoundException",
                text,
            )
        pattern = wildcard(leaf if "LiteralPath" not in bound else leaf.replace("*", "[*]"))
        for entry in sorted(uninstall_entries(shell), key=lambda e: e["key"].lower()):
            if pattern.match(entry["key"]):
                if entry.get("malformed_value"):
                    raise _malformed()
                names = _registry_key(entry)
                props = {
                    "DisplayName": entry["display_name"],
                    "DisplayVersion": entry["display_version"],
                    "Publisher": "Microsoft Corporation",
                    "PSChildName": names["PSChildName"],
                    "PSPath": names["PSPath"],
                }
                rows.append(PSObject(props))
    return rows


def get_cim_instance(shell: Shell, bound: Bound) -> list[Any]:
    host = shell.state.host
    name = bound.get("ClassName").lower()
    if name == "win32_operatingsystem":
        props = {
            "Caption": host["os"]["caption"],
            "Version": host["os"]["version"],
            "BuildNumber": host["os"]["version"].split(".")[-1],
            "OSArchitecture": "64-bit",
            "CSName": host["name"].upper(),
        }
        return [PSObject(props, "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem")]
    if name == "win32_computersystem":
        props = {
            "Name": host["name"].upper(),
            "DNSHostName": host["name"],
            "Domain": host["domain"],
            "PartOfDomain": True,
        }
        return [PSObject(props, "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem")]
    raise ps_error(
        "Invalid class ",
        "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
        "MetadataError",
        "Microsoft.Management.Infrastructure.CimException",
        f"root\\cimv2:{bound.get('ClassName')}",
    )


# --- msiexec -----------------------------------------------------------------------------------


def _msi_arguments(bound: Bound) -> tuple[str | None, str | None, bool]:
    from ..wsman import split_windows_args  # the transport's CommandLineToArgvW; msiexec parses the same way

    args = split_windows_args(" ".join(ps_string(a) for a in bound.get("ArgumentList") or []))
    action = target = None
    for index, arg in enumerate(args):
        switch = arg.lower()
        if switch in ("/i", "/package", "/x", "/uninstall") and index + 1 < len(args):
            action, target = ("install" if switch in ("/i", "/package") else "uninstall"), args[index + 1]
    quiet = any(arg.lower() in ("/qn", "/quiet", "/q") for arg in args)
    return action, target, quiet


def _msiexec(shell: Shell, bound: Bound) -> int:
    action, target, _quiet = _msi_arguments(bound)
    if action is None or target is None:
        return 1639  # ERROR_INVALID_COMMAND_LINE
    modules = shell.state.host["modules"]
    if action == "install":
        sources = {norm(path): source for path, source in shell.state.host["sources"]["msi"].items()}
        source = sources.get(norm(target))
        if source is None:
            return MSI_BAD_PACKAGE
        if source["exit_code"] not in MSI_OK:
            return source["exit_code"]
        for old in [m for m in modules if m["installed_by"] == "msi" and m["name"].lower() == source["module"].lower()]:
            shell.remove("host.modules", modules, old, old["name"])
        module = new_module(source["module"], source["version"], "msi")
        shell.add("host.modules", modules, module, module["name"])
        return source["exit_code"]
    for entry in uninstall_entries(shell):
        by_msi = entry.get("msi") is not None and norm(entry["msi"]) == norm(target)
        if entry.get("module") is not None and (by_msi or entry["key"].lower() == target.lower()):
            shell.remove("host.modules", modules, entry["module"], entry["module"]["name"])
            return 0
    return MSI_UNKNOWN_PRODUCT


def start_process(shell: Shell, bound: Bound) -> list[Any]:
    program = bound.get("FilePath").strip('"').lower().replace("/", "\\")
    if program.rsplit("\\", 1)[-1] not in ("msiexec", "msiexec.exe"):
        raise ps_error(
            "This command cannot be run due to the error: The system cannot find the file specified.",
            f"InvalidOperationException,{PSCORE}.StartProcessCommand",
            "InvalidOperation",
            "System.InvalidOperationException",
        )
    code = _msiexec(shell, bound)
    if not bound.switch("PassThru"):
        return []
    wait = bound.switch("Wait")
    props = {"Id": 4242, "ProcessName": "msiexec", "HasExited": wait, "ExitCode": code if wait else None}
    return [PSObject(props, "System.Diagnostics.Process", "System.Diagnostics.Process (msiexec)")]


def uninstall_package(shell: Shell, bound: Bound) -> list[Any]:
    removed = []
    for name in bound.get("Name"):
        pattern = wildcard(ps_string(name))
        matches = [e for e in uninstall_entries(shell) if pattern.match(e["display_name"])]
        if not matches:
            raise ps_error(
                f"No package found for '{name}'.",
                f"NoMatchFound,{PKG}.UninstallPackage",
                "ObjectNotFound",
                "System.Exception",
                name,
            )
        for entry in matches:
            if entry.get("module") is None:
                raise ps_error(
                    f"Package '{entry['display_name']}' failed to uninstall: the lab host does not remove Lync or "
                    "Skype for Business Server components.",
                    f"UninstallFailed,{PKG}.UninstallPackage",
                    "InvalidOperation",
                    "System.Exception",
                    entry["display_name"],
                )
            if shell.should_process(bound, entry["display_name"], "Uninstall Package"):
                modules = shell.state.host["modules"]
                shell.remove("host.modules", modules, entry["module"], entry["module"]["name"])
            props = {"Name": entry["display_name"], "Version": entry["display_version"], "Status": "Uninstalled"}
            removed.append(
                PSObject(props, "Microsoft.PackageManagement.Packaging.SoftwareIdentity", entry["display_name"])
            )
    return removed


# --- PowerShellGet -----------------------------------------------------------------------------


def _no_match(name: str) -> Exception:
    return ps_error(
        f"No match was found for the specified search criteria and module name '{name}'. Try Get-PSRepository to "
        "see all available registered module repositories.",
        f"NoMatchFoundForCriteria,{PKG}.InstallPackage",
        "ObjectNotFound",
        "System.Exception",
        name,
    )


def install_module(shell: Shell, bound: Bound) -> list[Any]:
    repositories = shell.state.host["sources"]["repositories"]
    wanted = [ps_string(r) for r in bound.get("Repository") or repositories]
    for repository in wanted:
        if repository.lower() not in (r.lower() for r in repositories):
            raise ps_error(
                f"Unable to find repository '{repository}'. Use Get-PSRepository to see all available repositories.",
                f"SourceNotFound,{PKG}.InstallPackage",
                "ObjectNotFound",
                "System.Exception",
                repository,
            )
    chosen = [r for r in repositories if r.lower() in (w.lower() for w in wanted)]
    chosen = _reachable(shell, chosen)
    installed_now = []
    for name in [ps_string(n) for n in bound.get("Name")]:
        versions = [v for r in chosen for m, vs in repositories[r].items() if m.lower() == name.lower() for v in vs]
        versions = _filter_versions(versions, bound)
        if not versions:
            raise _no_match(name)
        version = max(versions, key=parse_version)
        origin, module_name = next(
            (r, m) for r in chosen for m, vs in repositories[r].items() if m.lower() == name.lower() and version in vs
        )
        modules = shell.state.host["modules"]
        same = [m for m in modules if m["name"].lower() == name.lower() and m["version"] == version]
        if same and not bound.switch("Force"):
            shell.host_lines.append(
                f"WARNING: Version '{version}' of module '{module_name}' is already installed at '{same[0]['path']}'. "
                f"To reinstall, specify the Force parameter."
            )
            continue
        if origin.lower() in UNTRUSTED and not bound.switch("Force"):
            raise ps_error(
                "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
                "Install-Module",
                "InvalidOperation",
                "System.Management.Automation.PSInvalidOperationException",
            )
        if not shell.should_process(bound, f"Version '{version}' of module '{module_name}'", "Install-Module"):
            continue
        for old in same:
            shell.remove("host.modules", modules, old, old["name"])
        scope = bound.get("Scope") or "AllUsers"
        root = ALL_USERS_MODULES if scope == "AllUsers" else r"C:\Users\lab\Documents\WindowsPowerShell\Modules"
        module = new_module(module_name, version, "powershellget", rf"{root}\{module_name}\{version}", origin)
        shell.add("host.modules", modules, module, module_name)
        installed_now.append(module_info(module))
    return installed_now if bound.switch("PassThru") else []


GALLERY = "psgallery"
GALLERY_URL = "https://www.powershellgallery.com/api/v2"


def _reachable(shell: Shell, repositories: list[str]) -> list[str]:
    """The repositories this process can talk to: PSGallery only over TLS 1.2 (tls.py).

    The PowerShell Gallery requires TLS 1.2 ("troubleshooting cmdlets", PowerShell Gallery docs,
    learn.microsoft.com/powershell/gallery/how-to/getting-support/troubleshooting-cmdlets). Without it
    PowerShellGet warns that it cannot resolve the source and then finds nothing, so Install-Module ends
    with NoMatchFoundForCriteria (the warning and error as quoted in PowerShell/PowerShell#15506 and
    PowerShell/PowerShellGallery#333). Other repositories (an internal feed) are assumed to accept the
    process's protocols.
    """
    if tls.offers_tls12(shell):
        return repositories
    reachable = []
    for repository in repositories:
        if repository.lower() == GALLERY:
            shell.host_lines.append(f"WARNING: Unable to resolve package source '{GALLERY_URL}'.")
        else:
            reachable.append(repository)
    return reachable


def _filter_versions(versions: list[str], bound: Bound) -> list[str]:
    if bound.get("RequiredVersion"):
        return [v for v in versions if parse_version(v) == parse_version(bound.get("RequiredVersion"))]
    if bound.get("MinimumVersion"):
        versions = [v for v in versions if parse_version(v) >= parse_version(bound.get("MinimumVersion"))]
    if bound.get("MaximumVersion"):
        versions = [v for v in versions if parse_version(v) <= parse_version(bound.get("MaximumVersion"))]
    return versions


def uninstall_module(shell: Shell, bound: Bound) -> list[Any]:
    modules = shell.state.host["modules"]
    for name in [ps_string(n) for n in bound.get("Name")]:
        mine = [m for m in modules if m["name"].lower() == name.lower() and m["installed_by"] == "powershellget"]
        if bound.get("RequiredVersion"):
            mine = [m for m in mine if parse_version(m["version"]) == parse_version(bound.get("RequiredVersion"))]
        elif not bound.switch("AllVersions") and mine:
            mine = [max(mine, key=lambda m: parse_version(m["version"]))]
        if not mine:
            raise ps_error(
                f"No match was found for the specified search criteria and module names '{name}'.",
                f"NoMatchFound,{PKG}.UninstallPackage",
                "ObjectNotFound",
                "System.Exception",
                name,
            )
        if name.lower() in shell.imported:
            raise ps_error(
                f"Module '{name}' is in currently in use or you don't have the required permissions.",
                "ModuleIsInUse,Uninstall-Module",
                "InvalidOperation",
                "System.Exception",
                name,
            )
        for module in mine:
            if shell.should_process(bound, f"Version '{module['version']}' of module '{name}'", "Uninstall-Module"):
                shell.remove("host.modules", modules, module, module["name"])
    return []


def get_installed_module(shell: Shell, bound: Bound) -> list[Any]:
    rows = []
    for name in [ps_string(n) for n in bound.get("Name") or ["*"]]:
        mine = [m for m in installed(shell, name) if m["installed_by"] == "powershellget"]
        if bound.get("RequiredVersion"):
            mine = [m for m in mine if parse_version(m["version"]) == parse_version(bound.get("RequiredVersion"))]
        elif not bound.switch("AllVersions") and mine:
            mine = [max(mine, key=lambda m: parse_version(m["version"]))]
        if not mine and not any(char in name for char in "*?["):
            raise ps_error(
                f"No match was found for the specified search criteria and module names '{name}'.",
                f"NoMatchFound,{PKG}.GetPackage",
                "ObjectNotFound",
                "System.Exception",
                name,
            )
        for module in mine:
            props = {
                "Name": module["name"],
                "Version": Version(module["version"]),
                "Repository": module["repository"] or "PSGallery",
                "InstalledLocation": module["path"],
            }
            rows.append(PSObject(props, "Microsoft.PowerShell.Commands.PSRepositoryItemInfo", module["name"]))
    return rows


def get_package(shell: Shell, bound: Bound) -> list[Any]:
    providers = [ps_string(p).lower() for p in bound.get("ProviderName") or ["msi"]]
    rows = []
    for name in [ps_string(n) for n in bound.get("Name") or ["*"]]:
        matches = (
            [e for e in uninstall_entries(shell) if wildcard(name).match(e["display_name"])]
            if "msi" in providers
            else []
        )
        if not matches and not any(char in name for char in "*?["):
            raise ps_error(
                f"No package found for '{name}'.",
                f"NoMatchFound,{PKG}.GetPackage",
                "ObjectNotFound",
                "System.Exception",
                name,
            )
        for entry in matches:
            props = {
                "Name": entry["display_name"],
                "Version": entry["display_version"],
                "ProviderName": "msi",
                "Status": "Installed",
            }
            rows.append(
                PSObject(props, "Microsoft.PackageManagement.Packaging.SoftwareIdentity", entry["display_name"])
            )
    return rows


def get_ps_repository(shell: Shell, bound: Bound) -> list[Any]:
    repositories = shell.state.host["sources"]["repositories"]
    rows = []
    for name in [ps_string(n) for n in bound.get("Name") or ["*"]]:
        matches = [r for r in repositories if wildcard(name).match(r)]
        if not matches and not any(char in name for char in "*?["):
            raise ps_error(
                f"No repository with the name '{name}' was found.",
                f"SourceNotFound,{PKG}.GetPackageSource",
                "ObjectNotFound",
                "System.Exception",
                name,
            )
        for repository in matches:
            props = {
                "Name": repository,
                "SourceLocation": f"https://{repository.lower()}.example/api/v2",
                "InstallationPolicy": "Untrusted" if repository.lower() in UNTRUSTED else "Trusted",
            }
            rows.append(PSObject(props, "Microsoft.PowerShell.Commands.PSRepository", repository))
    return rows


for _cmdlet in (
    # Source: PowerShell-Docs 5.1 PowershellGet/Get-InstalledModule.md @ a6ac0167
    Cmdlet(
        "Get-InstalledModule",
        "host",
        "Get-InstalledModule",
        (
            Param("Name", "list"),
            Param("RequiredVersion"),
            Param("MinimumVersion"),
            Param("AllVersions", "switch"),
        ),
        get_installed_module,
    ),
    # Source: PowerShell-Docs 5.1 PackageManagement/Get-Package.md @ a6ac0167
    Cmdlet(
        "Get-Package",
        "host",
        f"{PKG}.GetPackage",
        (
            Param("Name", "list"),
            Param("ProviderName", "list", aliases=("Provider",)),
            Param("RequiredVersion"),
            Param("AllVersions", "switch"),
        ),
        get_package,
    ),
    # Source: PowerShell-Docs 5.1 PowershellGet/Get-PSRepository.md @ a6ac0167
    Cmdlet("Get-PSRepository", "host", "Get-PSRepository", (Param("Name", "list"),), get_ps_repository),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Core/Get-Module.md @ 27138b21
    Cmdlet(
        "Get-Module",
        "host",
        f"{PSCORE}.GetModuleCommand",
        documented(
            "Get-Module",
            (
                Param("Name", "list"),
                Param("ListAvailable", "switch"),
                Param("All", "switch"),
                Param("Refresh", "switch"),
                Param("FullyQualifiedName", "any"),
            ),
        ),
        get_module,
        default_set=default_set("Get-Module"),
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Core/Import-Module.md @ 27138b21
    Cmdlet(
        "Import-Module",
        "host",
        f"{PSCORE}.ImportModuleCommand",
        documented(
            "Import-Module",
            (
                Param("Name", "list", True),
                Param("RequiredVersion"),
                Param("MinimumVersion", aliases=("Version",)),
                Param("MaximumVersion"),
                Param("Force", "switch"),
                Param("Global", "switch"),
                Param("Prefix"),
                Param("DisableNameChecking", "switch"),
                Param("PassThru", "switch"),
                Param("ArgumentList", "list"),
                Param("Scope"),
                Param("NoClobber", "switch"),
            ),
        ),
        import_module,
        default_set=default_set("Import-Module"),
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Get-ItemProperty.md @ 27138b21
    Cmdlet(
        "Get-ItemProperty",
        "host",
        f"{PSCORE}.GetItemPropertyCommand",
        (*PATH_PARAMS, Param("Name", "list")),
        get_item_property,
        default_set="Path",
    ),
    # Source: PowerShell-Docs 5.1 CimCmdlets/Get-CimInstance.md @ 27138b21
    Cmdlet(
        "Get-CimInstance",
        "host",
        "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
        documented(
            "Get-CimInstance",
            (
                Param("ClassName", mandatory=True),
                Param("Namespace"),
                Param("ComputerName", "list"),
                Param("Filter"),
                Param("Property", "list"),
            ),
        ),
        get_cim_instance,
        default_set=default_set("Get-CimInstance"),
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Start-Process.md @ 27138b21
    Cmdlet(
        "Start-Process",
        "host",
        f"{PSCORE}.StartProcessCommand",
        documented(
            "Start-Process",
            (
                Param("FilePath", mandatory=True, aliases=("PSPath",)),
                Param("ArgumentList", "list", aliases=("Args",)),
                Param("Wait", "switch"),
                Param("PassThru", "switch"),
                Param("NoNewWindow", "switch"),
                Param("WindowStyle"),
                Param("WorkingDirectory"),
                Param("Verb"),
            ),
        ),
        start_process,
        default_set=default_set("Start-Process"),
    ),
    # Source: PowerShell-Docs 5.1 PowershellGet/Install-Module.md @ a6ac0167
    Cmdlet(
        "Install-Module",
        "host",
        "Install-Module",
        documented(
            "Install-Module",
            (
                Param("Name", "list", True),
                Param("Repository", "list"),
                Param("RequiredVersion"),
                Param("MinimumVersion"),
                Param("MaximumVersion"),
                Param("Scope", "enum", choices=("CurrentUser", "AllUsers"), type_name="System.String"),
                Param("Force", "switch"),
                Param("AllowClobber", "switch"),
                Param("SkipPublisherCheck", "switch"),
                Param("AcceptLicense", "switch"),
                Param("AllowPrerelease", "switch"),
                Param("PassThru", "switch"),
            ),
        ),
        install_module,
        default_set=default_set("Install-Module"),
        should_process=True,
    ),
    # Source: PowerShell-Docs 5.1 PowershellGet/Uninstall-Module.md @ a6ac0167
    Cmdlet(
        "Uninstall-Module",
        "host",
        "Uninstall-Module",
        documented(
            "Uninstall-Module",
            (
                Param("Name", "list", True),
                Param("RequiredVersion"),
                Param("AllVersions", "switch"),
                Param("Force", "switch"),
            ),
        ),
        uninstall_module,
        default_set=default_set("Uninstall-Module"),
        should_process=True,
    ),
    # Source: PowerShell-Docs 5.1 PackageManagement/Uninstall-Package.md @ a6ac0167
    Cmdlet(
        "Uninstall-Package",
        "host",
        f"{PKG}.UninstallPackage",
        documented(
            "Uninstall-Package",
            (
                Param("Name", "list", True),
                Param("ProviderName", "list"),
                Param("RequiredVersion"),
                Param("AllVersions", "switch"),
                Param("Force", "switch"),
            ),
        ),
        uninstall_package,
        default_set=default_set("Uninstall-Package"),
        should_process=True,
    ),
):
    REGISTRY.builtin(_cmdlet)
