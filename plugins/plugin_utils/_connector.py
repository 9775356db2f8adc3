# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The online connector module on the Lync server: detect, install, remove (internal use only).

The first command only looks: which versions of the module PowerShell can load
(``Get-Module -ListAvailable``) and whether the source can be used. Python then
decides; a second command installs or removes and reads the result back, so a
task that finds nothing to do costs one command and a change costs two. The
runner's only condition (``when_differs``) compares property values; it cannot
express "install if no copy satisfies the version", hence the second round trip.

One exception: an MSI adds its folder to the machine PSModulePath, which the
PowerShell that ran msiexec does not see. When the read-back misses the module
after msiexec succeeded, one more command (a new PowerShell process) looks again.
"""

from __future__ import annotations

import dataclasses
import ntpath
import re
import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils import _online, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import Diagnosis, HostError

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

SOURCE_TYPES = ("msi", "repository", "folder")

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "name": {"type": "str", "default": "microsoft_teams", "choices": list(_online.CONNECTORS)},
    "version": {"type": "str"},
    "minimum_version": {"type": "str"},
    "maximum_version": {"type": "str"},
    "source": {"type": "str"},
    "source_type": {"type": "str", "default": "auto", "choices": ["auto", *SOURCE_TYPES]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
MUTUALLY_EXCLUSIVE = [["version", "minimum_version"], ["version", "maximum_version"]]

VersionKey = tuple[int, int, int, int]

# Documented facts about MicrosoftTeams. Only 4.x and later is supported (nothing older is ever sent).
# Move-CsUser needs 6.2.1 or later ("PRE-REQUISITES steps for running Move-CsUser", Move-CsUser page,
# MicrosoftDocs/office-docs-powershell skype/skype-ps/SkypeForBusiness/Move-CsUser.md @ 93336da2), so that
# is what counts by default when no version is asked for. Every release since 1.1.4 needs Windows PowerShell
# 5.1 and .NET Framework 4.7.2 or later (https://www.powershellgallery.com/packages/MicrosoftTeams/1.1.4,
# "Requirements" of https://learn.microsoft.com/microsoftteams/teams-powershell-install, OfficeDocs-
# SkypeForBusiness Teams/teams-powershell-install.md); the versions lync.hybrid accepts are all later.
TEAMS_MINIMUM: VersionKey = (4, 0, 0, 0)
TEAMS_DEFAULT_MINIMUM = "6.2.1"
PS51: VersionKey = (5, 1, 0, 0)
# The Release value of HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full for .NET Framework 4.7.2
# ("Minimum version" table of https://learn.microsoft.com/dotnet/framework/install/how-to-determine-which-versions-are-installed).
NET472_RELEASE = 461808
NET_FRAMEWORK_KEY = r"HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"

# The all-users module folder, on the PSModulePath of every Windows PowerShell 4.0 and later
# ($env:ProgramFiles\WindowsPowerShell\Modules; the detection reads ProgramFiles).
ALL_USERS_MODULES = r"C:\Program Files\WindowsPowerShell\Modules"
MODULES_UNDER_PROGRAM_FILES = r"WindowsPowerShell\Modules"
# Installed programs (Add/Remove Programs), where an MSI-installed legacy connector is listed.
UNINSTALL_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
# Display names of the legacy connectors' MSIs; the word order is not the same in every release.
MSI_PRODUCTS = {
    "SkypeOnlineConnector": re.compile(
        r"Skype for Business Online.*PowerShell|PowerShell.*Skype for Business Online", re.I
    ),
    "LyncOnlineConnector": re.compile(r"Lync Online.*PowerShell|PowerShell.*Lync Online", re.I),
}
MODULE_PROPERTIES = ("Name", "Version", "ModuleBase")
RETIRED = _online.RETIRED

# ASCII digits only: \d also matches other scripts' digits (Arabic-Indic six, U+0666), which int() reads but
# PowerShell's [version] and Install-Module -RequiredVersion refuse on the host.
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,3}$")


def version_key(text: t.Any) -> VersionKey | None:
    """A version as a sortable tuple (4.10.0 > 4.9.2; 4.9 == 4.9.0.0), or None if it is not one."""
    if not isinstance(text, str) or not _VERSION.match(text.strip()):
        return None
    parts = [int(part) for part in text.strip().split(".")] + [0, 0]
    return (parts[0], parts[1], parts[2], parts[3])


@dataclasses.dataclass(frozen=True)
class Options:
    """Validated options, with the kind of source resolved."""

    connector: _online.Connector
    state: str
    version: str | None
    minimum_version: str | None
    source: str | None
    source_type: str | None
    maximum_version: str | None = None

    @property
    def module(self) -> str:
        return self.connector.module

    @property
    def floor(self) -> str | None:
        """The lowest acceptable version: minimum_version, else what Move-CsUser needs (MicrosoftTeams)."""
        if self.minimum_version is not None:
            return self.minimum_version
        return None if self.connector.legacy else TEAMS_DEFAULT_MINIMUM

    def accepts(self, key: VersionKey) -> bool:
        """Whether an installed version satisfies state=present."""
        if self.version is not None:
            return key == version_key(self.version)
        floor = version_key(self.floor)
        ceiling = version_key(self.maximum_version)
        return (floor is None or key >= floor) and (ceiling is None or key <= ceiling)

    def wanted(self) -> str:
        """The versions that satisfy state=present, as a person reads them."""
        if self.version is not None:
            return self.version
        bounds = [f">= {self.floor}"] if self.floor else []
        if self.maximum_version is not None:
            bounds.append(f"<= {self.maximum_version}")
        return ", ".join(bounds) or "(any version)"


@dataclasses.dataclass(frozen=True)
class ModuleCopy:
    """One installed version of the module, as Get-Module -ListAvailable reports it."""

    version: str
    path: str

    @property
    def key(self) -> VersionKey:
        return version_key(self.version) or (0, 0, 0, 0)


def infer_source_type(source: str) -> str:
    """An MSI ends with .msi; a path has a separator or a drive; anything else names a repository."""
    if source.lower().endswith(".msi"):
        return "msi"
    if "\\" in source or "/" in source or re.match(r"^[A-Za-z]:", source):
        return "folder"
    return "repository"


def check_options(args: dict[str, t.Any]) -> Options:
    """Rules the argument spec cannot express; checked before anything is sent, also in check mode."""
    for option in ("version", "minimum_version", "maximum_version", "source"):
        if args.get(option) is not None and not str(args[option]).strip():
            raise AnsibleActionFail(f"The option '{option}' must not be empty.")
    connector = _online.CONNECTORS[args["name"]]
    versions = {
        option: args[option].strip() for option in ("version", "minimum_version", "maximum_version") if args.get(option)
    }
    for option, value in versions.items():
        key = version_key(value)
        if key is None:
            raise AnsibleActionFail(
                f"The option '{option}' must be a version of two to four numbers such as 6.1.0, not '{value}'."
            )
        if not connector.legacy and key < TEAMS_MINIMUM:
            raise AnsibleActionFail(
                f"MicrosoftTeams {value} is not supported: lync.hybrid needs MicrosoftTeams 4.0.0 or later."
            )
    for option in ("minimum_version", "maximum_version"):
        if args["state"] == "absent" and args.get(option) is not None:
            raise AnsibleActionFail(
                f"{option} applies to state=present only; with state=absent use version to remove one "
                "version, or neither to remove every version."
            )
    floor = versions.get("minimum_version") or (None if connector.legacy else TEAMS_DEFAULT_MINIMUM)
    if "maximum_version" in versions and floor and version_key(versions["maximum_version"]) < version_key(floor):
        default = "" if "minimum_version" in versions else " (the default minimum, what Move-CsUser needs)"
        raise AnsibleActionFail(
            f"maximum_version {versions['maximum_version']} is below the minimum {floor}{default}: no version "
            "could satisfy both. Raise maximum_version or set a lower minimum_version."
        )
    source = args["source"].strip() if args.get("source") is not None else None
    if source is None and args["source_type"] != "auto":
        raise AnsibleActionFail(f"source_type={args['source_type']} needs the option 'source'.")
    source_type = None
    if source is not None:
        source_type = infer_source_type(source) if args["source_type"] == "auto" else args["source_type"]
        _check_source_fits(connector, source, source_type)
    return Options(
        connector=connector,
        state=args["state"],
        version=versions.get("version"),
        minimum_version=versions.get("minimum_version"),
        source=source,
        source_type=source_type,
        maximum_version=versions.get("maximum_version"),
    )


def _check_source_fits(connector: _online.Connector, source: str, source_type: str) -> None:
    if source_type == "msi" and not connector.legacy:
        raise AnsibleActionFail(
            f"MicrosoftTeams is not distributed as an MSI ('{source}'): use a PowerShell repository name "
            "(for example PSGallery) or a folder written by Save-Module."
        )
    if source_type == "repository" and connector.legacy:
        raise AnsibleActionFail(
            f"{connector.module} was never published to a PowerShell repository ('{source}' was read as a "
            "repository name): use the path of its MSI, or a folder that holds a copy of the module."
        )


# --- requests -----------------------------------------------------------------------------------


def list_step(step_id: str, module: str) -> _runner.Step:
    return _runner.Step(
        step_id, "Get-Module", {"ListAvailable": True, "Name": module}, select=MODULE_PROPERTIES, continue_on_error=True
    )


def _probe(step_id: str, cmdlet: str, params: dict[str, t.Any], select: tuple[str, ...] | None = None) -> _runner.Step:
    """A detection step: its failure is information, so it never stops the others."""
    return _runner.Step(step_id, cmdlet, params, select=select, continue_on_error=True)


def detection_steps(options: Options) -> list[_runner.Step]:
    """What the first command reads: the installed copies, and what the source or the removal needs."""
    steps = [list_step("modules", options.module)]
    if options.state == "absent":
        steps.append(
            _probe(
                "psget",
                "Get-InstalledModule",
                {"Name": options.module, "AllVersions": True},
                ("Name", "Version", "InstalledLocation"),
            )
        )
        if options.module in MSI_PRODUCTS:
            # Key by key: one malformed value under any Uninstall key fails a wildcard Get-ItemProperty in
            # Windows PowerShell 5.1 (PowerShell/PowerShell#9552); a per-key failure is reported, not fatal.
            steps += [
                _probe("program_keys", "Get-ChildItem", {"LiteralPath": UNINSTALL_KEY}, ("PSPath",)),
                _runner.Step(
                    "programs",
                    "Get-ItemProperty",
                    select=("DisplayName", "DisplayVersion"),
                    continue_on_error=True,
                    for_each=_runner.ForEach("program_keys", "PSPath", "LiteralPath"),
                ),
            ]
    elif options.source_type == "msi":
        steps.append(_probe("source", "Test-Path", {"LiteralPath": options.source, "PathType": "Leaf"}))
    elif options.source_type == "repository":
        steps.append(
            _probe(
                "repository",
                "Get-PSRepository",
                {"Name": options.source},
                ("Name", "SourceLocation", "InstallationPolicy"),
            )
        )
    elif options.source_type == "folder":
        steps += [
            _probe("source", "Test-Path", {"LiteralPath": options.source, "PathType": "Container"}),
            _probe(
                "manifests",
                "Get-ChildItem",
                {"LiteralPath": options.source, "Filter": f"{options.module}.psd1", "Recurse": True},
                ("FullName",),
            ),
            _probe("program_files", "Get-Item", {"Path": "Env:ProgramFiles"}, ("Value",)),
        ]
    if options.state == "present" and not options.connector.legacy:
        # What MicrosoftTeams needs besides PowerShell 5.1 (the response's ps_version): .NET Framework 4.7.2.
        steps.append(
            _probe("dotnet", "Get-ItemProperty", {"LiteralPath": NET_FRAMEWORK_KEY, "Name": "Release"}, ("Release",))
        )
    return steps


@dataclasses.dataclass(frozen=True)
class FolderSource:
    """The version folder picked inside a Save-Module style folder, and where it is copied to."""

    version: str
    version_folder: str
    destination: str


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the second command runs, and what it should leave behind."""

    steps: tuple[_runner.Step, ...]
    target: str | None  # the version that will be installed, when it is known before installing
    label: str  # how the new version reads in the diff


def install_plan(options: Options, folder: FolderSource | None) -> Plan:
    module = options.module
    if options.source_type == "msi":
        # Start-Process joins ArgumentList with spaces without quoting: the path is quoted here.
        msiexec = {
            "FilePath": "msiexec.exe",
            "ArgumentList": ["/i", f'"{options.source}"', "/qn", "/norestart"],
            "Wait": True,
            "PassThru": True,
        }
        steps = (_runner.Step("install", "Start-Process", msiexec, select=("ExitCode",)), list_step("after", module))
        return Plan(steps, options.version, options.version or f"(from {options.source})")
    if options.source_type == "repository":
        params: dict[str, t.Any] = {"Name": module, "Repository": options.source}
        if options.version is not None:
            params["RequiredVersion"] = options.version
        else:
            if options.floor is not None:
                params["MinimumVersion"] = options.floor
            if options.maximum_version is not None:
                params["MaximumVersion"] = options.maximum_version
        params.update(Scope="AllUsers", Force=True, AllowClobber=True)
        newest = (
            "newest"
            if options.version is not None or options.wanted() == "(any version)"
            else (f"newest {options.wanted()}")
        )
        label = options.version or f"({newest} in {options.source})"
        return Plan(
            (_runner.Step("install", "Install-Module", params), list_step("after", module)), options.version, label
        )
    if folder is None:
        raise AnsibleActionFail("Internal error: a folder source was not resolved before installing.")
    steps = (
        _runner.Step(
            "folder",
            "New-Item",
            {"ItemType": "Directory", "Path": folder.destination, "Force": True},
            select=("FullName",),
        ),
        # The version folder lands in <module>\<version> because <module> exists (created above).
        _runner.Step(
            "install",
            "Copy-Item",
            {"LiteralPath": folder.version_folder, "Destination": folder.destination, "Recurse": True, "Force": True},
        ),
        list_step("after", module),
    )
    return Plan(steps, folder.version, folder.version)


@dataclasses.dataclass(frozen=True)
class Removal:
    """How one installed copy is removed, chosen from what detection found."""

    version: str
    path: str
    method: str  # repository (Uninstall-Module), msi (Uninstall-Package), folder (Remove-Item)
    step: _runner.Step

    def view(self) -> dict[str, str]:
        return {"version": self.version, "path": self.path, "method": self.method}


def removal_plan(options: Options, copies: list[ModuleCopy], detection: _runner.Response) -> list[Removal]:
    """Uninstall-Module for PowerShellGet installs, Uninstall-Package for the MSI, else delete the folder.

    A copy is PowerShellGet's when Get-InstalledModule lists its version in its folder
    (the same version may also have been copied elsewhere by hand). A copy is the MSI's
    when the connector's MSI is listed in the installed programs and the copy is outside
    the all-users module folder (where the MSIs never install); one Uninstall-Package
    removes it.
    """
    psget = {
        (version_key(str(row.get("Version"))), _norm(str(row.get("InstalledLocation") or "")))
        for row in _rows(detection, "psget")
    }
    products = _msi_products(options, detection)
    removals: list[Removal] = []
    for index, copy in enumerate(copies):
        step_id = f"remove{index}"
        if (copy.key, _norm(copy.path)) in psget:
            params = {"Name": options.module, "RequiredVersion": copy.version, "Force": True}
            removals.append(Removal(copy.version, copy.path, "repository", _probe(step_id, "Uninstall-Module", params)))
        elif products and not _under(copy.path, ALL_USERS_MODULES):
            if any(removal.method == "msi" for removal in removals):
                continue
            params = {"ProviderName": "msi", "Name": products[0], "Force": True}
            removals.append(Removal(copy.version, copy.path, "msi", _probe(step_id, "Uninstall-Package", params)))
        else:
            _check_safe_to_delete(options.module, copy)
            params = {"LiteralPath": copy.path, "Recurse": True, "Force": True}
            removals.append(Removal(copy.version, copy.path, "folder", _probe(step_id, "Remove-Item", params)))
    return removals


def _msi_products(options: Options, detection: _runner.Response) -> list[str]:
    """Display names of the connector's MSI among the installed programs."""
    pattern = MSI_PRODUCTS.get(options.module)
    if pattern is None:
        return []
    step = detection.step("programs")
    if not step.ok:
        # Without the list, an MSI install would be mistaken for a copied folder and deleted under the MSI.
        _fail_step(step, "list the installed programs (to find the connector's MSI)")
    names = [str(row.get("DisplayName") or "") for row in _rows(detection, "programs")]
    found = sorted({name for name in names if pattern.search(name)})
    if step.item_errors and not found:
        # The MSI may be listed under the key that could not be read: deleting its folder is not safe.
        keys = "; ".join(f"{record.target} ({record.message.rstrip('.')})" for record in step.item_errors)
        raise HostError(
            Diagnosis(
                "host_error",
                f"Could not read every installed program (to find the connector's MSI): unreadable keys: {keys}.",
                "Repair or remove the malformed value under that Uninstall key (regedit shows it as an invalid "
                "value), then run the task again.",
            ),
            step.item_errors[0],
        )
    return found


def _under(path: str, root: str) -> bool:
    return _norm(path).startswith(_norm(root) + "\\")


def _check_safe_to_delete(module: str, copy: ModuleCopy) -> None:
    """Only ever delete ...\\<module> or ...\\<module>\\<version>, never a folder other things live in."""
    path = copy.path.rstrip("\\/")
    leaf = ntpath.basename(path)
    parent = ntpath.basename(ntpath.dirname(path))
    if leaf.lower() == module.lower() or (version_key(leaf) is not None and parent.lower() == module.lower()):
        return
    raise HostError(
        Diagnosis(
            "unsafe_path",
            f"{module} {copy.version} is in '{copy.path}', which is not a folder named after the module or its "
            "version, so lync.hybrid does not delete it.",
            "Remove that copy with the installer that put it there (or by hand), then run the task again.",
        )
    )


# --- reading responses --------------------------------------------------------------------------


def _rows(response: _runner.Response, step_id: str) -> list[dict[str, t.Any]]:
    step = response.steps.get(step_id)
    if step is None or not step.ok:
        return []
    return [row for row in step.output if isinstance(row, dict)]


def module_copies(response: _runner.Response, step_id: str, module: str) -> list[ModuleCopy]:
    """Installed copies, newest first (the first is the one Import-Module loads)."""
    step = response.step(step_id)
    if not step.ok:
        _fail_step(step, f"list the installed versions of {module}")
    copies: dict[tuple[str, str], ModuleCopy] = {}
    for row in _rows(response, step_id):
        if str(row.get("Name") or module).lower() != module.lower():
            continue
        copy = ModuleCopy(version=str(row.get("Version") or ""), path=str(row.get("ModuleBase") or ""))
        # A folder listed twice in PSModulePath shows the same copy twice.
        copies.setdefault((copy.version, _norm(copy.path)), copy)
    return sorted(copies.values(), key=lambda copy: copy.key, reverse=True)


def _norm(path: str) -> str:
    return path.replace("/", "\\").rstrip("\\").lower()


def _step_true(response: _runner.Response, step_id: str) -> bool:
    step = response.steps.get(step_id)
    return step is not None and step.ok and step.first() is True


def pick_folder(options: Options, detection: _runner.Response) -> FolderSource:
    """Find <module>.psd1 in folders named after their version and pick the version to copy."""
    if not _step_true(detection, "source"):
        raise HostError(_source_missing(options))
    found: dict[VersionKey, tuple[str, str]] = {}
    for row in _rows(detection, "manifests"):
        folder = ntpath.dirname(str(row.get("FullName") or ""))
        key = version_key(ntpath.basename(folder))
        if key is not None:
            found.setdefault(key, (ntpath.basename(folder), folder))
    if not found:
        raise HostError(
            Diagnosis(
                "source_invalid",
                f"The folder '{options.source}' holds no {options.module}.psd1 in a folder named after its version.",
                f"Point source at a folder written by Save-Module -Name {options.module} -Path <folder>, which "
                f"holds {options.module}\\<version>\\{options.module}.psd1.",
            )
        )
    usable = [key for key in found if options.accepts(key)]
    if not usable:
        available = ", ".join(found[key][0] for key in sorted(found))
        raise HostError(
            Diagnosis(
                "source_version_missing",
                f"The folder '{options.source}' holds {options.module} {available}, none of them {options.wanted()}.",
                "Save the wanted version there (Save-Module -RequiredVersion) or change version/minimum_version.",
            )
        )
    name, folder = found[max(usable)]
    program_files = next((row.get("Value") for row in _rows(detection, "program_files")), None)
    modules = ntpath.join(program_files, MODULES_UNDER_PROGRAM_FILES) if program_files else ALL_USERS_MODULES
    return FolderSource(name, folder, ntpath.join(modules, options.module))


def _source_missing(options: Options) -> Diagnosis:
    what = "MSI file" if options.source_type == "msi" else "folder"
    remedy = "Check the path on the host."
    if (options.source or "").startswith(("\\\\", "//")):
        remedy = (
            "Over WinRM the host cannot pass your credentials on to a file server (the second hop): copy the "
            "source to the host first (ansible.windows.win_copy or win_get_url), or connect with CredSSP or "
            "Kerberos delegation (ansible_winrm_kerberos_delegation)."
        )
    return Diagnosis(
        "source_not_found",
        f"The {what} '{options.source}' does not exist or cannot be read by the connecting account on the host.",
        remedy,
    )


def check_repository(options: Options, detection: _runner.Response) -> None:
    """Get-PSRepository ran in the detection: an unknown repository fails now, also in check mode."""
    step = detection.step("repository")
    if step.ok and step.output:
        return
    record = step.error
    context = {"module": options.module, "source": options.source or "", "wanted": options.wanted()}
    if record is not None:
        found = diagnose_change(record, "find the repository of", ps_version=detection.ps_version, **context)
        if found.reason != "host_error":
            raise HostError(found, record)
    raise HostError(_rule_diagnosis("repository_unknown", context), record)


def dotnet_release(response: _runner.Response) -> int | None:
    """The .NET Framework 4.x Release number read by the detection, or None when it could not be read."""
    step = response.steps.get("dotnet")
    row = step.first() if step is not None and step.ok else None
    value = row.get("Release") if isinstance(row, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_platform(options: Options, target: str | None, detection: _runner.Response) -> None:
    """Refuse, before anything changes, to install a MicrosoftTeams the host could not import.

    Every MicrosoftTeams release lync.hybrid accepts declares Windows PowerShell 5.1 and .NET Framework
    4.7.2 in its manifest; on an older host Import-Module refuses the copied or installed module.
    """
    if options.connector.legacy:
        return
    ps_version = detection.ps_version
    wanted = f"MicrosoftTeams {target}" if target else f"MicrosoftTeams ({options.wanted()}) from {options.source}"
    host = version_key(ps_version)
    if host is not None and host < PS51:
        raise HostError(
            Diagnosis(
                "powershell_too_old",
                f"{wanted} needs Windows PowerShell 5.1 (every MicrosoftTeams release since 1.1.4 does); the host "
                f"runs Windows PowerShell {ps_version}, which could not import it.",
                "Install Windows Management Framework 5.1 and .NET Framework 4.7.2 or later on the host first.",
            )
        )
    release = dotnet_release(detection)
    if release is not None and release < NET472_RELEASE:
        raise HostError(
            Diagnosis(
                "dotnet_too_old",
                f"{wanted} needs .NET Framework 4.7.2 or later (Release {NET472_RELEASE}); the host has Release "
                f"{release}, which could not import it.",
                "Install .NET Framework 4.7.2 or later (4.8 recommended) on the host and restart it first.",
            )
        )
    if release is None:
        step = detection.steps.get("dotnet")
        if step is not None and step.ok:
            return
        # No v4 Full key at all: no .NET Framework 4.5 or later is installed.
        if step is not None and step.error is not None and step.error.fqid.startswith("PathNotFound"):
            raise HostError(
                Diagnosis(
                    "dotnet_too_old",
                    f"{wanted} needs .NET Framework 4.7.2 or later; the host has no .NET Framework 4.5 or later.",
                    "Install .NET Framework 4.7.2 or later (4.8 recommended) on the host and restart it first.",
                ),
                step.error,
            )


# msiexec exit codes that mean success -> whether a reboot is needed.
MSI_SUCCESS = {0: False, 3010: True, 1641: True}
# Windows Installer exit codes with a known cause -> (reason, cause, remedy).
MSI_FAILURES = {
    1619: (
        "msi_open_failed",
        "msiexec could not open the package '{source}' (exit code 1619).",
        "Check that the path is right and readable by the connecting account; over WinRM a UNC path needs "
        "CredSSP or Kerberos delegation, or copy the MSI to the host first.",
    ),
    1620: (
        "msi_open_failed",
        "'{source}' is not a valid Windows Installer package (exit code 1620).",
        "Download the package again.",
    ),
    1618: (
        "msi_busy",
        "Another installation is already in progress on the host (msiexec exit code 1618).",
        "Wait until it (Windows Update, another msiexec) has finished and run the task again.",
    ),
    1603: (
        "msi_failed",
        "The installation of '{source}' failed with a fatal error (msiexec exit code 1603).",
        'Run msiexec /i "{source}" /qn /l*v C:\\Windows\\Temp\\connector.log on the host and read the log; common '
        "causes are a missing prerequisite or a newer version already installed.",
    ),
    1638: (
        "msi_other_version",
        "Another version of this product is already installed (msiexec exit code 1638).",
        "Remove it first with state=absent, then install this one.",
    ),
    1633: (
        "msi_platform",
        "'{source}' is not for this platform (msiexec exit code 1633).",
        "Use the 64-bit package of the connector.",
    ),
}


def msi_failure(code: t.Any, source: str) -> Diagnosis:
    if code in MSI_FAILURES:
        reason, cause, remedy = MSI_FAILURES[code]
        return Diagnosis(reason, cause.format(source=source), remedy.format(source=source))
    return Diagnosis(
        "msi_failed",
        f"msiexec failed to install '{source}' (exit code {code}).",
        "Look the code up in the Windows Installer error codes, or run msiexec with /l*v on the host.",
    )


# Failures of the install and remove cmdlets, tested against "fqid message"; the first match wins.
_RULES: tuple[tuple[str, str, str, str], ...] = (
    (
        "repository_unknown",
        r"Unable to find repository|No repository with the name|SourceNotFound",
        "No PowerShell repository named '{source}' is registered on the host (Get-PSRepository).",
        "Register it first (Register-PSRepository, or community.windows.win_psrepository), or use PSGallery.",
    ),
    (
        "module_not_in_repository",
        r"No match was found for the specified search criteria|NoMatchFoundForCriteria",
        "The repository '{source}' has no {module} {wanted}.",
        "Check the version (Find-Module -Name {module} -Repository {source} -AllVersions) or publish it there.",
    ),
    (
        "nuget_provider_missing",
        r"NuGet provider is required|NuGet-based repositories",
        "The NuGet package provider that Install-Module needs is missing and could not be downloaded.",
        "Install it (Install-PackageProvider -Name NuGet -MinimumVersion 2.8.5.201 -Force) or copy it from a "
        "connected machine to C:\\Program Files\\PackageManagement\\ProviderAssemblies.",
    ),
    (
        "repository_unreachable",
        r"Unable to resolve package source|Unable to download from URI|could not establish trust|underlying connection",
        "The host could not reach the repository '{source}'.",
        "Check proxy and firewall (the runner already enables TLS 1.2, which the PowerShell Gallery needs). "
        "Offline servers can use an internal repository or a folder written by Save-Module.",
    ),
    (
        "admin_required",
        r"Administrator rights are required|Access to the path .* is denied|UnauthorizedAccess",
        "The connecting account may not write to the machine-wide module folders.",
        "Connect with an account in the local Administrators group.",
    ),
    (
        "module_in_use",
        r"currently in use|being used by another process|ModuleIsInUse",
        "{module} is loaded by another PowerShell process, so its files are locked.",
        "Close the PowerShell sessions (management shells, scheduled tasks) that imported it and run again.",
    ),
    (
        "powershellget_missing",
        r"CommandNotFound|is not recognized as the name of a cmdlet",
        "PowerShellGet/PackageManagement is not available in Windows PowerShell {ps_version} on the host.",
        "Install Windows Management Framework 5.1, or use a folder written by Save-Module as source.",
    ),
)


def _rule_diagnosis(reason: str, context: dict[str, str]) -> Diagnosis:
    _reason, _pattern, cause, remedy = next(rule for rule in _RULES if rule[0] == reason)
    return Diagnosis(reason, cause.format(**context), remedy.format(**context))


def diagnose_change(record: _runner.ErrorRecord, verb: str, **context: str) -> Diagnosis:
    """Explain a failed install or removal; unknown records keep their own message."""
    text = f"{record.fqid} {record.message}"
    context.setdefault("ps_version", "(unknown)")
    for reason, pattern, cause, remedy in _RULES:
        if re.search(pattern, text, re.IGNORECASE):
            return Diagnosis(reason, cause.format(**context), remedy.format(**context))
    return Diagnosis("host_error", f"Could not {verb} {context['module']}: {record.message.rstrip('.')}.", "")


# The failures a repository gives when the process cannot speak TLS 1.2 (the PowerShell Gallery requires it).
TLS_SYMPTOMS = ("module_not_in_repository", "repository_unreachable", "nuget_provider_missing")


def _without_tls12(found: Diagnosis, response: _runner.Response, options: Options) -> Diagnosis:
    """A repository failure where the runner could not enable TLS 1.2 is explained by that, not by the repository.

    The runner adds TLS 1.2 to the process before Install-Module; only a .NET Framework without it
    (4.0, before 4.5) refuses, and then the gallery answers "no match" for every module.
    """
    if response.tls_error is None or found.reason not in TLS_SYMPTOMS:
        return found
    return Diagnosis(
        "tls12_unavailable",
        f"Windows PowerShell on the host could not enable TLS 1.2 ({response.tls_error.message.rstrip('.')}), which "
        f"the repository '{options.source}' needs; {found.cause[0].lower()}{found.cause[1:]}",
        "Install .NET Framework 4.5 or later (4.8) and set SchUseStrongCrypto = 1 under "
        "HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319, or install from a folder written by Save-Module.",
    )


def _fail_step(step: _runner.StepResult, what: str) -> t.NoReturn:
    record = step.error or _runner.ErrorRecord(f"The step '{step.id}' did not run ({step.status}).")
    raise HostError(Diagnosis("host_error", f"Could not {what}: {record.message.rstrip('.')}.", ""), record)


def _execute(action: ActionBase, steps: t.Sequence[_runner.Step]) -> _runner.Response:
    """One command; a request the runner refused as a whole is a failure here."""
    response = _runner.execute(action, _runner.Request(steps=tuple(steps)))
    if response.error is not None:
        record = response.error
        raise HostError(
            Diagnosis("host_error", f"The runner failed on the host: {record.message.rstrip('.')}.", ""), record
        )
    return response


# --- the module ---------------------------------------------------------------------------------


def manage(action: ActionBase, options: Options, check_mode: bool) -> dict[str, t.Any]:
    """Detect, decide, and (outside check mode) install or remove; return the module result."""
    detection = _execute(action, detection_steps(options))
    before = module_copies(detection, "modules", options.module)
    if options.state == "present":
        result = _present(action, options, detection, before, check_mode)
        if options.connector.legacy:
            result.setdefault("warnings", []).insert(0, RETIRED.format(module=options.module, option="name"))
        return result
    return _absent(action, options, detection, before, check_mode)


def _result(
    options: Options,
    before: list[ModuleCopy],
    now: list[ModuleCopy],
    changed: bool,
    after_versions: list[str] | None = None,
    reboot_required: bool = False,
) -> dict[str, t.Any]:
    versions = [copy.version for copy in now]
    return {
        "changed": changed,
        "name": options.connector.name,
        "module": options.module,
        "installed": bool(now),
        "version": now[0].version if now else None,
        "versions": versions,
        "path": now[0].path if now else None,
        "source_type": options.source_type,
        "reboot_required": reboot_required,
        "diff": {
            "before": {"module": options.module, "versions": [copy.version for copy in before]},
            "after": {"module": options.module, "versions": versions if after_versions is None else after_versions},
        },
    }


def _present(
    action: ActionBase, options: Options, detection: _runner.Response, before: list[ModuleCopy], check_mode: bool
) -> dict[str, t.Any]:
    if any(options.accepts(copy.key) for copy in before):
        return _result(options, before, before, changed=False)
    if options.source is None:
        have = ", ".join(copy.version for copy in before) or "no version"
        raise HostError(
            Diagnosis(
                "source_required",
                f"{options.module} {options.wanted()} is not installed (the host has {have}) and no source was given.",
                "Set source to a PowerShell repository name (MicrosoftTeams), a folder written by Save-Module, or "
                "the path of the connector's MSI (legacy connectors).",
            )
        )
    folder = None
    if options.source_type == "msi" and not _step_true(detection, "source"):
        raise HostError(_source_missing(options))
    if options.source_type == "repository":
        check_repository(options, detection)
    if options.source_type == "folder":
        folder = pick_folder(options, detection)
    plan = install_plan(options, folder)
    check_platform(options, plan.target, detection)
    if check_mode:
        predicted = [plan.label, *(copy.version for copy in before)]
        return _result(options, before, before, changed=True, after_versions=predicted)
    return _install(action, options, before, plan)


def _install(action: ActionBase, options: Options, before: list[ModuleCopy], plan: Plan) -> dict[str, t.Any]:
    response = _execute(action, plan.steps)
    context = {"module": options.module, "source": options.source or "", "wanted": options.wanted()}
    for step_id in ("folder", "install"):
        step = response.steps.get(step_id)
        if step is not None and step.error is not None:
            found = diagnose_change(step.error, "install", ps_version=response.ps_version, **context)
            raise HostError(_without_tls12(found, response, options) if step_id == "install" else found, step.error)
    reboot_required = False
    if options.source_type == "msi":
        first = response.step("install").first()
        code = first.get("ExitCode") if isinstance(first, dict) else None
        if code not in MSI_SUCCESS:
            raise HostError(msi_failure(code, options.source or ""), None, exit_code=code)
        reboot_required = MSI_SUCCESS[code]
    after = module_copies(response, "after", options.module)
    if options.source_type == "msi" and not after:
        after = module_copies(_execute(action, [list_step("modules", options.module)]), "modules", options.module)
        if not after and reboot_required:
            result = _result(options, before, after, changed=True, after_versions=[plan.label], reboot_required=True)
            result["warnings"] = [
                f"{options.module} was installed; PowerShell finds it after the reboot the MSI asked for."
            ]
            return result
        if not after:
            raise HostError(
                Diagnosis(
                    "not_visible",
                    f"msiexec installed '{options.source}' (exit code 0), but a new PowerShell over WinRM does not "
                    f"find {options.module}.",
                    "New WinRM processes may still get the old PSModulePath: restart the WinRM service (or the "
                    "host) and run the task again. If it still fails, check that the MSI is the connector's.",
                ),
                None,
                reboot_required=reboot_required,
                changed=True,
            )
    if not any(options.accepts(copy.key) for copy in after):
        have = ", ".join(copy.version for copy in after) or "no version"
        raise HostError(
            Diagnosis(
                "not_installed",
                f"After installing from '{options.source}' the host has {options.module} {have}, which is not "
                f"{options.wanted()}.",
                "Check that the source holds the wanted version of this module.",
            ),
            None,
            versions=[copy.version for copy in after],
            changed=True,
        )
    return _result(options, before, after, changed=True, reboot_required=reboot_required)


def _absent(
    action: ActionBase, options: Options, detection: _runner.Response, before: list[ModuleCopy], check_mode: bool
) -> dict[str, t.Any]:
    wanted = version_key(options.version) if options.version else None
    targets = [copy for copy in before if wanted is None or copy.key == wanted]
    if not targets:
        return {**_result(options, before, before, changed=False), "removed": []}
    removals = removal_plan(options, targets, detection)
    if check_mode:
        predicted = [copy.version for copy in before if copy not in targets]
        result = _result(options, before, before, changed=True, after_versions=predicted)
        return {**result, "removed": [removal.view() for removal in removals]}
    response = _execute(action, [*(removal.step for removal in removals), list_step("after", options.module)])
    context = {"module": options.module, "source": "", "wanted": options.wanted()}
    removed_some = any(response.step(removal.step.id).ok for removal in removals)
    for removal in removals:
        record = response.step(removal.step.id).error
        if record is not None:
            found = diagnose_change(record, "remove", ps_version=response.ps_version, **context)
            raise HostError(found, record, changed=removed_some)
    after = module_copies(response, "after", options.module)
    left = [copy for copy in after if wanted is None or copy.key == wanted]
    if left:
        raise HostError(
            Diagnosis(
                "not_removed",
                f"{options.module} {', '.join(copy.version for copy in left)} is still installed after the removal "
                f"({', '.join(copy.path for copy in left)}).",
                "Remove it by hand; a copy in another folder may come from another installer.",
            ),
            None,
            versions=[copy.version for copy in after],
            changed=removed_some,
        )
    return {**_result(options, before, after, changed=True), "removed": [removal.view() for removal in removals]}
