"""The host's file system as far as the lab knows it, and the item cmdlets that use it.

The lab does not keep files, only what the collection can observe or change: installer
files and offline module folders (from ``host.sources``), module folders (from
``host.modules``) and directories created on the host (``host.directories``).
Copying an offline module folder into a module path installs that module, as on Windows.
"""

from __future__ import annotations

import re
from typing import Any

from ..state import ALL_USERS_MODULES, new_module
from ..values import PSObject, wildcard
from .base import REGISTRY, Bound, Cmdlet, Param, Shell, ps_error
from .signatures import default_set, documented

MGMT = "Microsoft.PowerShell.Commands"
BUILTIN_DIRS = (
    "C:\\",
    r"C:\Windows",
    r"C:\Windows\System32",
    r"C:\Program Files",
    r"C:\Program Files\Common Files",
    ALL_USERS_MODULES,
    r"C:\Windows\System32\WindowsPowerShell\v1.0\Modules",
    r"C:\Users",
)
BUILTIN_FILES = (r"C:\Windows\System32\msiexec.exe", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe")
_MODULE_DIR = re.compile(r"^(?P<root>.*\\Modules)\\(?P<name>[^\\]+)(\\(?P<version>\d+(\.\d+){1,3}))?$", re.IGNORECASE)


def norm(path: str) -> str:
    """Windows path identity: case-insensitive, / and \\ alike, no trailing separator (but C:\\ keeps its)."""
    path = path.replace("/", "\\").strip()
    if path.lower().startswith("filesystem::"):
        path = path[12:]
    path = re.sub(r"\\+", r"\\", path)
    if len(path) > 3:
        path = path.rstrip("\\")
    return path.lower()


def _ancestors(path: str) -> list[str]:
    """C:\\a\\b -> C:\\, C:\\a, C:\\a\\b (original spelling kept)."""
    parts = path.replace("/", "\\").rstrip("\\").split("\\")
    found = [parts[0] + "\\"]
    for index in range(2, len(parts) + 1):
        found.append("\\".join(parts[:index]))
    return found


def entries(shell: Shell) -> dict[str, tuple[str, str]]:
    """Every known path: normalized -> ('Container' or 'Leaf', the path as Windows spells it); ancestors included."""
    host = shell.state.host
    found: dict[str, tuple[str, str]] = {}

    def container(path: str) -> None:
        for parent in _ancestors(path):
            found.setdefault(norm(parent), ("Container", parent))

    def leaf(path: str) -> None:
        container(path.rsplit("\\", 1)[0])
        found[norm(path)] = ("Leaf", path)

    for path in [*BUILTIN_DIRS, *host["directories"]]:
        container(path)
    for path, source in host["sources"]["folders"].items():
        container(path)
        leaf(f"{path.rstrip(chr(92))}\\{source['module']}.psd1")
    for module in host["modules"]:
        leaf(f"{module['path']}\\{module['name']}.psd1")
    for path in [*BUILTIN_FILES, *host["sources"]["msi"]]:
        leaf(path)
    return found


def environment(shell: Shell, machine: bool = False) -> dict[str, str]:
    """Environment variables the collection reads; PSModulePath follows the installed products and MSIs."""
    state = shell.state
    roots = [ALL_USERS_MODULES, r"C:\Windows\system32\WindowsPowerShell\v1.0\Modules"]
    for module in state.host["modules"]:
        if module["installed_by"] == "msi":
            root = module["path"].rsplit("\\", 1)[0]
            if root.lower() not in (r.lower() for r in roots):
                roots.append(root)
    if not machine:
        roots.insert(0, r"C:\Users\lab-admin\Documents\WindowsPowerShell\Modules")
    return {
        "PSModulePath": ";".join(roots),
        "ProgramFiles": r"C:\Program Files",
        "ProgramFiles(x86)": r"C:\Program Files (x86)",
        "SystemRoot": r"C:\Windows",
        "COMPUTERNAME": state.host["name"].upper(),
        "USERDNSDOMAIN": state.host["domain"].upper(),
    }


def _paths(bound: Bound) -> list[str]:
    return list(bound.get("LiteralPath") or bound.get("Path") or [])


def _not_found(path: str, command: str) -> Exception:
    return ps_error(
        f"Cannot find path '{path}' because it does not exist.",
        f"PathNotFound,{MGMT}.{command}",
        "ObjectNotFound",
        "System.Management.Automation.ItemNotFoundException",
        path,
    )


def _matches(shell: Shell, path: str, literal: bool) -> list[str]:
    known = entries(shell)
    if literal or not any(char in path for char in "*?["):
        return [norm(path)] if norm(path) in known else []
    pattern = wildcard(norm(path))
    return [entry for entry in known if pattern.match(entry)]


PATH_PARAMS = (
    Param("Path", "list", True, sets=("Path",)),
    Param("LiteralPath", "list", True, sets=("LiteralPath",), aliases=("PSPath",)),
)


def test_path(shell: Shell, bound: Bound) -> list[Any]:
    known = entries(shell)
    wanted = bound.get("PathType") or "Any"
    results = []
    for path in _paths(bound):
        hits = _matches(shell, path, "LiteralPath" in bound)
        results.append(bool(hits) and (wanted == "Any" or any(known[hit][0] == wanted for hit in hits)))
    return results


def item(path: str, kind: str = "Container") -> PSObject:
    """A DirectoryInfo or FileInfo as the runner sees it (Name, FullName, Mode)."""
    name = path.rstrip("\\").rsplit("\\", 1)[-1]
    if kind == "Container":
        return PSObject({"Name": name, "FullName": path, "Mode": "d-----"}, "System.IO.DirectoryInfo", name)
    return PSObject({"Name": name, "FullName": path, "Mode": "-a----"}, "System.IO.FileInfo", name)


def get_item(shell: Shell, bound: Bound) -> list[Any]:
    known = entries(shell)
    found = []
    for path in _paths(bound):
        if path.lower().startswith("env:"):
            name = path[4:].lstrip("\\")
            variables = {key.lower(): (key, value) for key, value in environment(shell).items()}
            if name.lower() not in variables:
                raise _not_found(path, "GetItemCommand")
            key, value = variables[name.lower()]
            found.append(
                PSObject(
                    {"Name": key, "Key": key, "Value": value},
                    "System.Collections.DictionaryEntry",
                    "System.Collections.DictionaryEntry",
                )
            )
            continue
        hits = _matches(shell, path, "LiteralPath" in bound)
        if not hits:
            raise _not_found(path, "GetItemCommand")
        found += [item(known[hit][1], known[hit][0]) for hit in hits]
    return found


def get_child_item(shell: Shell, bound: Bound) -> list[Any]:
    known = entries(shell)
    pattern = wildcard(bound.get("Filter") or "*")
    found = []
    for path in _paths(bound) or ["C:\\"]:
        if str(path).lower().startswith(("hklm:", "registry::", "microsoft.powershell.core\\registry::")):
            from .host import uninstall_keys  # the registry lives with the installed programs

            found += uninstall_keys(shell, path)
            continue
        root = norm(path)
        if known.get(root, ("",))[0] != "Container":
            if root in known:
                found.append(item(known[root][1], "Leaf"))
                continue
            raise _not_found(path, "GetChildItemCommand")
        for key, (kind, display) in sorted(known.items()):
            if not key.startswith(root.rstrip("\\") + "\\") or key == root:
                continue
            direct = "\\" not in key[len(root.rstrip("\\")) + 1 :]
            wanted_kind = not (bound.switch("File") and kind != "Leaf") and not (
                bound.switch("Directory") and kind == "Leaf"
            )
            if (direct or bound.switch("Recurse")) and wanted_kind and pattern.match(display.rsplit("\\", 1)[-1]):
                found.append(item(display, kind))
    return found


def new_item(shell: Shell, bound: Bound) -> list[Any]:
    if (bound.get("ItemType") or "").lower() != "directory":
        raise ps_error(
            "The lab host creates directories only (New-Item -ItemType Directory).",
            f"NotSupported,{MGMT}.NewItemCommand",
            "NotImplemented",
            "System.NotSupportedException",
        )
    created = []
    for path in bound.get("Path") or []:
        full = f"{path.rstrip(chr(92))}\\{bound.get('Name')}" if bound.get("Name") else path
        if norm(full) in entries(shell):
            if not bound.switch("Force"):
                raise ps_error(
                    f"An item with the specified name {full} already exists.",
                    f"DirectoryExist,{MGMT}.NewItemCommand",
                    "ResourceExists",
                    "System.IO.IOException",
                    full,
                )
        elif shell.should_process(bound, f"Destination: {full}", "Create Directory"):
            shell.add("host.directories", shell.state.host["directories"], full, full)
        created.append(item(full))
    return created


def _install_copied_module(shell: Shell, final: str, source: dict[str, Any]) -> bool:
    """A folder copied to ...\\Modules\\<name>[\\<version>] with that module's content is an installed module."""
    match = _MODULE_DIR.match(final)
    if not match or match["name"].lower() != source["module"].lower():
        return False
    if match["version"] and match["version"] != source["version"]:
        return False
    modules = shell.state.host["modules"]
    for module in [m for m in modules if norm(m["path"]) == norm(final)]:
        shell.remove("host.modules", modules, module, module["name"])
    module = new_module(source["module"], source["version"], "folder", final)
    shell.add("host.modules", modules, module, module["name"])
    return True


def copy_item(shell: Shell, bound: Bound) -> list[Any]:
    folders = {norm(path): spec for path, spec in shell.state.host["sources"]["folders"].items()}
    destination = bound.get("Destination")
    if not destination:
        raise ps_error(
            "The lab host copies offline module folders only; give -Destination.",
            f"NotSupported,{MGMT}.CopyItemCommand",
            "NotImplemented",
            "System.NotSupportedException",
        )
    for path in _paths(bound):
        source = folders.get(norm(path))
        if source is None:
            if norm(path) in entries(shell):
                continue  # an ordinary file or folder: copied, nothing the lab tracks
            raise _not_found(path, "CopyItemCommand")
        final = destination.rstrip("\\")
        if entries(shell).get(norm(final), ("",))[0] == "Container":
            final = f"{final}\\{path.rstrip(chr(92)).rsplit(chr(92), 1)[-1]}"
        if not shell.should_process(bound, f"Item: {path} Destination: {final}", "Copy Directory"):
            continue
        # Without -Recurse PowerShell copies the folder itself, empty: no module arrives.
        if not (bound.switch("Recurse") and _install_copied_module(shell, final, source)):
            shell.add("host.directories", shell.state.host["directories"], final, final)
    return []


def remove_item(shell: Shell, bound: Bound) -> list[Any]:
    host = shell.state.host
    for path in _paths(bound):
        hits = _matches(shell, path, "LiteralPath" in bound)
        if not hits:
            raise _not_found(path, "RemoveItemCommand")
        for hit in hits:
            under = [m for m in host["modules"] if norm(m["path"]) == hit or norm(m["path"]).startswith(hit + "\\")]
            dirs = [d for d in host["directories"] if norm(d) == hit or norm(d).startswith(hit + "\\")]
            children = [*under, *[d for d in dirs if norm(d) != hit]]
            if children and not bound.switch("Recurse"):
                raise ps_error(
                    "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
                    f"RemoveItemCommand,{MGMT}.RemoveItemCommand",
                    "InvalidOperation",
                    "System.Management.Automation.PSInvalidOperationException",
                    hit,
                )
            if not shell.should_process(bound, hit, "Remove Directory"):
                continue
            for module in under:
                shell.remove("host.modules", host["modules"], module, module["name"])
            for directory in dirs:
                shell.remove("host.directories", host["directories"], directory, directory)
            for kind in ("folders", "msi"):
                for source in [s for s in host["sources"][kind] if norm(s) == hit]:
                    shell.drop(f"host.sources.{kind}", host["sources"][kind], source)
    return []


for _cmdlet in (
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Test-Path.md @ 27138b21
    Cmdlet(
        "Test-Path",
        "host",
        f"{MGMT}.TestPathCommand",
        (
            *PATH_PARAMS,
            Param(
                "PathType",
                "enum",
                choices=("Any", "Container", "Leaf"),
                type_name="Microsoft.PowerShell.Commands.TestPathType",
            ),
        ),
        test_path,
        default_set="Path",
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Get-Item.md @ 27138b21
    Cmdlet("Get-Item", "host", f"{MGMT}.GetItemCommand", PATH_PARAMS, get_item, default_set="Path"),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Get-ChildItem.md @ 27138b21
    Cmdlet(
        "Get-ChildItem",
        "host",
        f"{MGMT}.GetChildItemCommand",
        documented(
            "Get-ChildItem",
            (
                Param("Path", "list"),
                Param("LiteralPath", "list", aliases=("PSPath",)),
                Param("Filter"),
                Param("Recurse", "switch"),
                Param("File", "switch"),
                Param("Directory", "switch"),
                Param("Force", "switch"),
                Param("Depth", "int"),
            ),
        ),
        get_child_item,
        default_set=default_set("Get-ChildItem"),
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/New-Item.md @ 27138b21
    Cmdlet(
        "New-Item",
        "host",
        f"{MGMT}.NewItemCommand",
        documented(
            "New-Item",
            (
                Param("Path", "list"),
                Param("Name"),
                Param("ItemType", aliases=("Type",)),
                Param("Value", "any"),
                Param("Force", "switch"),
            ),
        ),
        new_item,
        default_set=default_set("New-Item"),
        should_process=True,
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Copy-Item.md @ 27138b21
    Cmdlet(
        "Copy-Item",
        "host",
        f"{MGMT}.CopyItemCommand",
        (
            *PATH_PARAMS,
            Param("Destination"),
            Param("Recurse", "switch"),
            Param("Force", "switch"),
            Param("Container", "switch"),
        ),
        copy_item,
        default_set="Path",
        should_process=True,
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Management/Remove-Item.md @ 27138b21
    Cmdlet(
        "Remove-Item",
        "host",
        f"{MGMT}.RemoveItemCommand",
        (
            *PATH_PARAMS,
            Param("Recurse", "switch"),
            Param("Force", "switch"),
        ),
        remove_item,
        default_set="Path",
        should_process=True,
    ),
):
    REGISTRY.builtin(_cmdlet)
