"""lync.hybrid.cs_online_connector against the in-process lab host (the real runner protocol)."""

from __future__ import annotations

import copy
import json
import pathlib
import typing as t

import pytest
import yaml
from ansible_collections.lync.hybrid.plugins.plugin_utils import _connector
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import MARKER

from tests.lab.cmdlets import tls
from tests.lab.cmdlets.base import PSError, Shell
from tests.lab.host import LabHost
from tests.lab.journal import Journal
from tests.lab.state import parse_state
from tests.unit.plugins.action.harness import make_action

STATES = pathlib.Path(__file__).resolve().parents[4] / "tests" / "lab" / "states"
GALLERY = "InternalGallery"
OFFLINE = r"C:\Offline"
SKYPE_MSI = r"C:\Installers\SkypeOnlinePowerShell.msi"
MODULES = r"C:\Program Files\WindowsPowerShell\Modules"
SKYPE_BASE = r"C:\Program Files\Common Files\Skype for Business Online\Modules\SkypeOnlineConnector"


def state(name: str = "connector-sources") -> dict[str, t.Any]:
    """A state file as a dict, to modify per test before the lab host is built."""
    return yaml.safe_load((STATES / f"{name}.yml").read_text(encoding="utf-8"))


def with_modules(*modules: dict[str, t.Any], name: str = "connector-sources") -> dict[str, t.Any]:
    data = state(name)
    data["host"]["modules"] = list(modules)
    return data


def with_fault(cmdlet: str, message: str, data: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    data = data or state()
    data.setdefault("faults", {}).setdefault("cmdlet_errors", {})[cmdlet] = message
    return data


class Lab:
    """An in-process lab host with an in-memory journal; it is the task's host callable."""

    def __init__(self, data: dict[str, t.Any] | str = "connector-sources") -> None:
        self.state = parse_state(copy.deepcopy(state(data) if isinstance(data, str) else data))
        self.journal = Journal()
        self.host = LabHost(self.state, self.journal)

    def __call__(self, command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        result = self.host.run_command(command, arguments, stdin)
        return result.stdout, result.stderr, result.rc

    def run(self, args: dict[str, t.Any], **options: t.Any) -> tuple[dict[str, t.Any], t.Any]:
        action, connection = make_action("cs_online_connector", args, self, **options)
        return action.run(task_vars={}), connection

    def calls(self, name: str | None = None) -> list[dict[str, t.Any]]:
        return [e for e in self.journal.select("cmdlet") if name is None or e["name"] == name]

    def changes(self) -> list[dict[str, t.Any]]:
        return self.journal.select("change")

    def modules(self, name: str | None = None) -> list[tuple[str, str, str]]:
        return sorted(
            (m["name"], m["version"], m["installed_by"])
            for m in self.state.host["modules"]
            if name is None or m["name"] == name
        )


def ok(result: dict[str, t.Any]) -> dict[str, t.Any]:
    assert "failed" not in result, result
    return result


def failed(result: dict[str, t.Any], reason: str | None = None) -> str:
    assert result.get("failed") is True, result
    assert "exception" not in result, result
    if reason is not None:
        assert result.get("reason") == reason, result
    return result["msg"]


# --- versions and source kinds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("higher", "lower"),
    [("4.10.0", "4.9.2"), ("6.1.0", "6.0.9"), ("10.0", "9.9.9.9"), ("6.1.0.1", "6.1.0")],
)
def test_versions_compare_as_versions(higher: str, lower: str) -> None:
    assert _connector.version_key(higher) > _connector.version_key(lower)


def test_versions_compare_equal_with_missing_parts() -> None:
    assert _connector.version_key("4.9") == _connector.version_key("4.9.0.0")


@pytest.mark.parametrize("text", ["", "6", "6.1.0-preview1", "v6.1.0", "6.1.0.0.0", None, 6.1])
def test_what_is_not_a_version(text: t.Any) -> None:
    assert _connector.version_key(text) is None


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (r"C:\Installers\SkypeOnlinePowerShell.msi", "msi"),
        (r"\\files\share\LyncOnlinePowerShell.MSI", "msi"),
        (r"C:\Offline", "folder"),
        (r"\\files\share\modules", "folder"),
        ("D:", "folder"),
        ("/mnt/modules", "folder"),
        ("PSGallery", "repository"),
        ("Internal Feed", "repository"),
    ],
)
def test_the_kind_of_source_is_inferred(source: str, kind: str) -> None:
    assert _connector.infer_source_type(source) == kind


# --- validation: nothing is sent --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "teams"}, "value of name must be one of"),
        ({"state": "installed"}, "value of state must be one of"),
        ({"source_type": "zip", "source": "x"}, "value of source_type must be one of"),
        ({"version": "6.1.0", "minimum_version": "6.0.0"}, "mutually exclusive"),
        ({"version": ["6.1.0"]}, "the option 'version' must be a string, not a list"),
        ({"versions": "6.1.0"}, "versions. Supported parameters include"),
        ({"version": ""}, "'version' must not be empty"),
        ({"minimum_version": "  "}, "'minimum_version' must not be empty"),
        ({"source": ""}, "'source' must not be empty"),
        ({"version": "latest"}, "must be a version of two to four numbers"),
        ({"minimum_version": "6.1.0-preview2"}, "must be a version of two to four numbers"),
        ({"version": "3.1.0"}, "needs MicrosoftTeams 4.0.0 or later"),
        ({"minimum_version": "2.6"}, "needs MicrosoftTeams 4.0.0 or later"),
        ({"state": "absent", "minimum_version": "6.0.0"}, "minimum_version applies to state=present only"),
        ({"source_type": "folder"}, "source_type=folder needs the option 'source'"),
        ({"source": SKYPE_MSI}, "MicrosoftTeams is not distributed as an MSI"),
        ({"source": OFFLINE, "source_type": "msi"}, "MicrosoftTeams is not distributed as an MSI"),
        ({"name": "skype_online_connector", "source": "PSGallery"}, "never published to a PowerShell repository"),
        ({"name": "lync_online_connector", "source": "x", "source_type": "repository"}, "never published"),
    ],
)
def test_invalid_options_fail_before_anything_is_sent(args: dict[str, t.Any], message: str) -> None:
    lab = Lab()
    for check_mode in (False, True):
        result, connection = lab.run(args, check_mode=check_mode)
        assert message in failed(result)
        assert connection.commands == []


def test_legacy_connectors_accept_any_version_number() -> None:
    result, _connection = Lab("lync2013-ready").run({"name": "lync_online_connector", "minimum_version": "2.0"})
    assert ok(result)["changed"] is False


# --- repository -------------------------------------------------------------------------------


def test_check_mode_reports_the_install_and_changes_nothing() -> None:
    lab = Lab()
    result, connection = lab.run({"source": GALLERY, "version": "6.1.0"}, check_mode=True, diff=True)
    assert ok(result)["changed"] is True
    assert result["installed"] is False
    assert result["versions"] == []
    assert result["source_type"] == "repository"
    assert result["diff"] == {
        "before": {"module": "MicrosoftTeams", "versions": []},
        "after": {"module": "MicrosoftTeams", "versions": ["6.1.0"]},
    }
    assert len(connection.commands) == 1
    assert lab.calls("Install-Module") == []
    assert lab.changes() == []


def test_install_from_a_repository_then_nothing_to_do() -> None:
    lab = Lab()
    result, connection = lab.run({"source": GALLERY, "version": "6.1.0"})
    assert ok(result)["changed"] is True
    assert result == {
        "changed": True,
        "name": "microsoft_teams",
        "module": "MicrosoftTeams",
        "installed": True,
        "version": "6.1.0",
        "versions": ["6.1.0"],
        "path": rf"{MODULES}\MicrosoftTeams\6.1.0",
        "source_type": "repository",
        "reboot_required": False,
    }
    assert len(connection.commands) == 2
    install = lab.calls("Install-Module")
    assert [call["params"] for call in install] == [
        {
            "Name": "MicrosoftTeams",
            "Repository": GALLERY,
            "RequiredVersion": "6.1.0",
            "Scope": "AllUsers",
            "Force": True,
            "AllowClobber": True,
        }
    ]
    assert lab.modules() == [("MicrosoftTeams", "6.1.0", "powershellget"), ("SkypeForBusiness", "6.0.0.0", "msi")]

    again, connection = lab.run({"source": GALLERY, "version": "6.1.0"})
    assert ok(again)["changed"] is False
    assert again["version"] == "6.1.0"
    assert len(connection.commands) == 1
    assert len(lab.calls("Install-Module")) == 1


def test_the_repository_is_checked_in_the_same_command_as_the_detection() -> None:
    lab = Lab()
    lab.run({"source": GALLERY, "version": "6.1.0"}, check_mode=True)
    assert [call["name"] for call in lab.calls()] == ["Get-Module", "Get-PSRepository", "Get-ItemProperty"]
    assert lab.calls("Get-PSRepository")[0]["params"] == {"Name": GALLERY}


def test_spaces_around_values_are_ignored() -> None:
    lab = Lab()
    result, _connection = lab.run({"source": f" {GALLERY} ", "version": " 6.1.0 "})
    assert ok(result)["version"] == "6.1.0"
    assert lab.calls("Install-Module")[0]["params"]["RequiredVersion"] == "6.1.0"
    assert lab.calls("Install-Module")[0]["params"]["Repository"] == GALLERY


def test_minimum_version_installs_the_newest_when_too_old() -> None:
    lab = Lab(with_modules({"name": "MicrosoftTeams", "version": "5.9.0"}))
    result, _connection = lab.run({"source": GALLERY, "minimum_version": "6.0.0"})
    assert ok(result)["changed"] is True
    assert lab.calls("Install-Module")[0]["params"]["MinimumVersion"] == "6.0.0"
    assert "RequiredVersion" not in lab.calls("Install-Module")[0]["params"]
    assert result["versions"] == ["6.4.0", "5.9.0"]
    assert result["version"] == "6.4.0"


def test_minimum_version_compares_versions_not_strings() -> None:
    lab = Lab(with_modules({"name": "MicrosoftTeams", "version": "4.10.0"}))
    result, connection = lab.run({"source": GALLERY, "minimum_version": "4.9.2"})
    assert ok(result)["changed"] is False
    assert len(connection.commands) == 1


def test_exact_version_is_installed_beside_others() -> None:
    lab = Lab(with_modules({"name": "MicrosoftTeams", "version": "6.4.0"}))
    result, _connection = lab.run({"source": GALLERY, "version": "5.9.0"}, diff=True)
    assert ok(result)["changed"] is True
    assert result["versions"] == ["6.4.0", "5.9.0"]
    assert result["version"] == "6.4.0"
    assert result["diff"]["after"]["versions"] == ["6.4.0", "5.9.0"]


@pytest.mark.parametrize("installed", ["2.6.0", "6.1.0", "6.2.0"])
def test_without_version_options_teams_older_than_move_csuser_needs_is_replaced(installed: str) -> None:
    # Move-CsUser needs MicrosoftTeams 6.2.1 or later (its page's prerequisites): the default minimum.
    lab = Lab(with_modules({"name": "MicrosoftTeams", "version": installed}))
    result, _connection = lab.run({"source": GALLERY}, check_mode=True, diff=True)
    assert ok(result)["changed"] is True
    assert result["diff"]["after"]["versions"] == [f"(newest >= 6.2.1 in {GALLERY})", installed]
    result, _connection = lab.run({"source": GALLERY})
    assert ok(result)["version"] == "6.4.0"
    assert lab.calls("Install-Module")[0]["params"]["MinimumVersion"] == "6.2.1"
    assert "MaximumVersion" not in lab.calls("Install-Module")[0]["params"]


def test_maximum_version_bounds_what_counts_and_what_is_installed() -> None:
    data = with_modules({"name": "MicrosoftTeams", "version": "6.4.0"})
    data["host"]["sources"]["repositories"][GALLERY]["MicrosoftTeams"].append("6.3.0")
    lab = Lab(data)
    result, _connection = lab.run({"source": GALLERY, "maximum_version": "6.3.0"}, check_mode=True, diff=True)
    assert ok(result)["changed"] is True
    assert result["diff"]["after"]["versions"] == [f"(newest >= 6.2.1, <= 6.3.0 in {GALLERY})", "6.4.0"]
    result, _connection = lab.run({"source": GALLERY, "maximum_version": "6.3.0"})
    params = lab.calls("Install-Module")[0]["params"]
    assert (params["MinimumVersion"], params["MaximumVersion"]) == ("6.2.1", "6.3.0")
    assert "6.3.0" in ok(result)["versions"]
    again, connection = lab.run({"source": GALLERY, "maximum_version": "6.3.0"})
    assert ok(again)["changed"] is False and len(connection.commands) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"maximum_version": "6.0.0"}, "below the minimum 6.2.1 (the default minimum"),
        ({"minimum_version": "7.0.0", "maximum_version": "6.9.0"}, "below the minimum 7.0.0: no version"),
        ({"maximum_version": "7.1.0", "state": "absent"}, "maximum_version applies to state=present only"),
        ({"maximum_version": "7.x"}, "must be a version"),
    ],
)
def test_contradicting_version_bounds_are_refused_before_anything_is_sent(args: dict[str, t.Any], words: str) -> None:
    lab = Lab()
    result, connection = lab.run({"source": GALLERY, **args})
    assert words in failed(result)
    assert connection.commands == []


def test_an_installed_version_needs_no_source() -> None:
    lab = Lab("sfb2019-teams")
    result, connection = lab.run({})
    assert ok(result)["changed"] is False
    assert result["source_type"] is None
    assert result["path"] == rf"{MODULES}\MicrosoftTeams\6.4.0"
    assert len(connection.commands) == 1


def test_a_missing_version_without_source_fails_clearly() -> None:
    lab = Lab("sfb2019-teams")
    for check_mode in (False, True):
        result, _connection = lab.run({"version": "7.0.0"}, check_mode=check_mode)
        message = failed(result, "source_required")
        assert "MicrosoftTeams 7.0.0 is not installed (the host has 6.4.0)" in message
    assert lab.changes() == []


def test_an_unknown_repository_fails_in_check_mode_too() -> None:
    lab = Lab()
    for check_mode in (True, False):
        result, connection = lab.run({"source": "PSGalery", "version": "6.1.0"}, check_mode=check_mode)
        message = failed(result, "repository_unknown")
        assert "No PowerShell repository named 'PSGalery'" in message
        assert "Register-PSRepository" in message
        assert result["error_record"]["message"] == "No repository with the name 'PSGalery' was found."
        assert len(connection.commands) == 1
    assert lab.calls("Install-Module") == []


def test_a_version_the_repository_lacks_fails_clearly() -> None:
    lab = Lab()
    result, connection = lab.run({"source": GALLERY, "version": "6.2.0"})
    message = failed(result, "module_not_in_repository")
    assert f"The repository '{GALLERY}' has no MicrosoftTeams 6.2.0" in message
    assert "Find-Module" in message
    assert "NoMatchFoundForCriteria" in result["error_record"]["fqid"]
    assert len(connection.commands) == 2
    assert lab.changes() == []


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            "NuGet provider is required to continue. PowerShellGet requires NuGet provider version '2.8.5.201'",
            "nuget_provider_missing",
        ),
        ("Unable to resolve package source 'https://www.powershellgallery.com/api/v2'.", "repository_unreachable"),
        (
            "Administrator rights are required to install modules in 'C:\\Program Files\\WindowsPowerShell\\Modules'.",
            "admin_required",
        ),
        ("Something nobody expected happened.", "host_error"),
    ],
)
def test_install_module_failures_are_explained(message: str, reason: str) -> None:
    lab = Lab(with_fault("Install-Module", message))
    result, _connection = lab.run({"source": GALLERY, "version": "6.1.0"})
    text = failed(result, reason)
    assert result["error_record"]["message"] == message
    if reason == "host_error":
        assert text == "Could not install MicrosoftTeams: Something nobody expected happened."


def test_the_gallery_is_reached_on_a_host_without_strong_crypto() -> None:
    """The PowerShell Gallery needs TLS 1.2, which such a host offers only because the runner adds it."""
    data = state("sfb2019-teams")
    data["host"].pop("dotnet_tls")
    data["host"]["modules"] = [m for m in data["host"]["modules"] if m["name"] != "MicrosoftTeams"]
    lab = Lab(data)
    result, _connection = lab.run({"source": "PSGallery", "version": "6.4.0"})
    assert ok(result)["changed"] is True and result["version"] == "6.4.0"
    assert [call["params"]["Repository"] for call in lab.calls("Install-Module")] == ["PSGallery"]


def test_a_host_that_cannot_enable_tls12_is_told_so_not_that_the_gallery_lacks_the_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = state("sfb2019-teams")
    data["host"].pop("dotnet_tls")
    data["host"]["modules"] = [m for m in data["host"]["modules"] if m["name"] != "MicrosoftTeams"]

    def refuse(shell: Shell, value: int) -> None:
        raise ValueError(tls.NOT_SUPPORTED)  # what a .NET Framework without Tls12 answers the runner's assignment

    monkeypatch.setattr(tls, "set_protocols", refuse)
    result, _connection = Lab(data).run({"source": "PSGallery", "version": "6.4.0"})
    message = failed(result, "tls12_unavailable")
    assert "could not enable TLS 1.2" in message and "The requested security protocol is not supported" in message
    assert "SchUseStrongCrypto = 1" in message


def test_powershellget_missing_is_explained() -> None:
    lab = Lab(with_fault("Get-PSRepository", "The term 'Get-PSRepository' is not recognized as the name of a cmdlet"))
    result, _connection = lab.run({"source": GALLERY, "version": "6.1.0"})
    assert "Windows Management Framework 5.1" in failed(result, "powershellget_missing")


# --- Windows PowerShell version ---------------------------------------------------------------


def _old_powershell() -> dict[str, t.Any]:
    data = state()
    data["host"]["powershell_version"] = "5.0.10586.117"
    return data


@pytest.mark.parametrize("args", [{"version": "6.4.0"}, {"minimum_version": "6.0.0"}, {}])
def test_teams_6_3_and_later_is_refused_on_old_powershell(args: dict[str, t.Any]) -> None:
    lab = Lab(_old_powershell())
    for check_mode in (True, False):
        result, connection = lab.run({"source": GALLERY, **args}, check_mode=check_mode)
        message = failed(result, "powershell_too_old")
        assert "needs Windows PowerShell 5.1" in message
        assert "5.0.10586.117" in message
        assert len(connection.commands) == 1
    assert lab.calls("Install-Module") == []


@pytest.mark.parametrize("source", [GALLERY, OFFLINE])
def test_no_teams_release_installs_on_old_powershell(source: str) -> None:
    # Every release since 1.1.4 needs PowerShell 5.1 (PowerShell Gallery page of 1.1.4): before this, a 4.0 host
    # copied a folder that Import-Module then refused.
    lab = Lab(_old_powershell())
    for check_mode in (True, False):
        result, _connection = lab.run({"source": source, "version": "6.1.0"}, check_mode=check_mode)
        assert "needs Windows PowerShell 5.1" in failed(result, "powershell_too_old")
    assert lab.changes() == []


@pytest.mark.parametrize(("release", "why"), [(460805, "has Release 460805"), (None, "no .NET Framework 4.5")])
def test_no_teams_release_installs_without_dotnet_472(release: int | None, why: str) -> None:
    data = state()
    data["host"]["dotnet_release"] = release
    lab = Lab(data)
    result, connection = lab.run({"source": OFFLINE, "version": "6.1.0"})
    assert why in failed(result, "dotnet_too_old")
    assert len(connection.commands) == 1 and lab.changes() == []
    # The lab refuses the import the same way: what the refusal prevents.
    data["host"]["modules"] = [{"name": "MicrosoftTeams", "version": "6.1.0"}]
    lab = Lab(data)
    shell = Shell(lab.state, lab.journal, lab.host.runtime)
    with pytest.raises(PSError, match=r"4\.7\.2") as raised:
        shell.invoke("Import-Module", {"Name": "MicrosoftTeams"})
    assert raised.value.record.fqid.startswith("Modules_InsufficientDotNetFrameworkVersion,")


def _powershell(version: str) -> dict[str, t.Any]:
    """connector-sources on Windows PowerShell ``version``, with releases on both sides of 6.3.0 in the gallery."""
    data = state()
    data["host"]["powershell_version"] = version
    data["host"]["sources"]["repositories"][GALLERY]["MicrosoftTeams"] += ["6.2.9", "6.3.0"]
    return data


# Every MicrosoftTeams release since 1.1.4 needs Windows PowerShell 5.1: there is no release boundary any more,
# only the PowerShell one (5.0 against 5.1).
@pytest.mark.parametrize("powershell", ["5.0.10586.117", "5.0"])
def test_no_teams_release_is_installed_below_powershell_5_1(powershell: str) -> None:
    lab = Lab(_powershell(powershell))
    for version in ("6.3.0", "6.2.9"):
        for check_mode in (True, False):
            result, connection = lab.run({"source": GALLERY, "version": version}, check_mode=check_mode)
            assert failed(result, "powershell_too_old") == (
                f"MicrosoftTeams {version} needs Windows PowerShell 5.1 (every MicrosoftTeams release since 1.1.4 "
                f"does); the host runs Windows PowerShell {powershell}, which could not import it. Install Windows "
                "Management Framework 5.1 and .NET Framework 4.7.2 or later on the host first."
            )
            assert len(connection.commands) == 1
    assert lab.calls("Install-Module") == []
    assert lab.modules("MicrosoftTeams") == []


@pytest.mark.parametrize("powershell", ["5.1", "5.1.14393.0"])
def test_teams_6_3_0_installs_from_powershell_5_1(powershell: str) -> None:
    lab = Lab(_powershell(powershell))
    result, _connection = lab.run({"source": GALLERY, "version": "6.3.0"})
    assert ok(result)["version"] == "6.3.0"
    assert result["changed"] is True
    assert lab.modules("MicrosoftTeams") == [("MicrosoftTeams", "6.3.0", "powershellget")]


# --- folder -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [OFFLINE, rf"{OFFLINE}\MicrosoftTeams", rf"{OFFLINE}\MicrosoftTeams\6.1.0"])
def test_install_from_a_save_module_folder(source: str) -> None:
    lab = Lab()
    checked, _connection = lab.run({"source": source, "minimum_version": "6.0"}, check_mode=True, diff=True)
    assert ok(checked)["changed"] is True
    assert checked["diff"]["after"]["versions"] == ["6.1.0"]
    assert lab.changes() == []

    result, connection = lab.run({"source": source, "minimum_version": "6.0"})
    assert ok(result)["changed"] is True
    assert result["source_type"] == "folder"
    assert result["path"] == rf"{MODULES}\MicrosoftTeams\6.1.0"
    assert len(connection.commands) == 2
    assert lab.calls("New-Item")[0]["params"] == {
        "ItemType": "Directory",
        "Path": rf"{MODULES}\MicrosoftTeams",
        "Force": True,
    }
    assert lab.calls("Copy-Item")[0]["params"] == {
        "LiteralPath": rf"{OFFLINE}\MicrosoftTeams\6.1.0",
        "Destination": rf"{MODULES}\MicrosoftTeams",
        "Recurse": True,
        "Force": True,
    }
    assert ("MicrosoftTeams", "6.1.0", "folder") in lab.modules()

    again, connection = lab.run({"source": source, "minimum_version": "6.0"})
    assert ok(again)["changed"] is False
    assert len(connection.commands) == 1


def test_the_folder_is_read_in_the_detection_command() -> None:
    lab = Lab()
    lab.run({"source": OFFLINE}, check_mode=True)
    assert [call["name"] for call in lab.calls()] == [
        "Get-Module",
        "Test-Path",
        "Get-ChildItem",
        "Get-Item",
        "Get-ItemProperty",
    ]
    assert lab.calls("Get-ChildItem")[0]["params"] == {
        "LiteralPath": OFFLINE,
        "Filter": "MicrosoftTeams.psd1",
        "Recurse": True,
    }


def test_the_newest_qualifying_version_in_the_folder_is_copied() -> None:
    data = state()
    data["host"]["sources"]["folders"][rf"{OFFLINE}\MicrosoftTeams\5.9.0"] = {
        "module": "MicrosoftTeams",
        "version": "5.9.0",
    }
    data["host"]["sources"]["folders"][rf"{OFFLINE}\MicrosoftTeams\6.10.0"] = {
        "module": "MicrosoftTeams",
        "version": "6.10.0",
    }
    lab = Lab(data)
    result, _connection = lab.run({"source": OFFLINE, "version": "5.9.0"})
    assert ok(result)["versions"] == ["5.9.0"]
    result, _connection = lab.run({"source": OFFLINE, "minimum_version": "6.0.0"})
    assert ok(result)["versions"] == ["6.10.0", "5.9.0"]
    assert lab.calls("Copy-Item")[-1]["params"]["LiteralPath"] == rf"{OFFLINE}\MicrosoftTeams\6.10.0"


def test_a_folder_without_the_version_fails_clearly() -> None:
    lab = Lab()
    for check_mode in (True, False):
        result, _connection = lab.run({"source": OFFLINE, "version": "6.4.0"}, check_mode=check_mode)
        message = failed(result, "source_version_missing")
        assert f"The folder '{OFFLINE}' holds MicrosoftTeams 6.1.0, none of them 6.4.0." in message
    assert lab.changes() == []


def test_a_folder_without_a_module_fails_clearly() -> None:
    data = state()
    data["host"]["directories"] = [r"C:\Empty"]
    result, _connection = Lab(data).run({"source": r"C:\Empty"})
    assert "holds no MicrosoftTeams.psd1" in failed(result, "source_invalid")


def test_a_missing_folder_fails_clearly() -> None:
    result, _connection = Lab().run({"source": r"D:\Nowhere"}, check_mode=True)
    message = failed(result, "source_not_found")
    assert r"The folder 'D:\Nowhere' does not exist" in message
    assert "Check the path on the host." in message


def test_a_missing_unc_source_names_the_second_hop() -> None:
    result, _connection = Lab().run({"source": r"\\files\modules"})
    assert "second hop" in failed(result, "source_not_found")


def test_a_failed_copy_is_explained() -> None:
    lab = Lab(with_fault("Copy-Item", r"Access to the path 'C:\Program Files\WindowsPowerShell\Modules' is denied."))
    result, _connection = lab.run({"source": OFFLINE, "version": "6.1.0"})
    assert "local Administrators" in failed(result, "admin_required")


# --- MSI (legacy connectors) ------------------------------------------------------------------


def test_install_a_legacy_connector_from_its_msi() -> None:
    lab = Lab()
    args = {"name": "skype_online_connector", "source": SKYPE_MSI}
    checked, connection = lab.run(args, check_mode=True, diff=True)
    assert ok(checked)["changed"] is True
    assert checked["diff"]["after"]["versions"] == [f"(from {SKYPE_MSI})"]
    assert len(connection.commands) == 1
    assert lab.changes() == []

    result, connection = lab.run(args)
    assert ok(result)["changed"] is True
    assert result["module"] == "SkypeOnlineConnector"
    assert result["version"] == "7.0.0.0"
    assert result["path"] == SKYPE_BASE
    assert result["source_type"] == "msi"
    assert result["reboot_required"] is False
    assert "retired" in result["warnings"][0]
    assert len(connection.commands) == 2
    assert lab.calls("Start-Process")[0]["params"] == {
        "FilePath": "msiexec.exe",
        "ArgumentList": ["/i", f'"{SKYPE_MSI}"', "/qn", "/norestart"],
        "Wait": True,
        "PassThru": True,
    }

    again, connection = lab.run(args)
    assert ok(again)["changed"] is False
    assert "retired" in again["warnings"][0]
    assert len(connection.commands) == 1


def test_an_msi_path_with_spaces_is_quoted() -> None:
    data = state()
    path = r"C:\Install Files\Skype Online.msi"
    data["host"]["sources"]["msi"] = {path: {"module": "SkypeOnlineConnector", "version": "7.0.0.0"}}
    lab = Lab(data)
    result, _connection = lab.run({"name": "skype_online_connector", "source": path})
    assert ok(result)["version"] == "7.0.0.0"


def _msi_exit(code: int) -> dict[str, t.Any]:
    data = state()
    data["host"]["sources"]["msi"][SKYPE_MSI]["exit_code"] = code
    return data


# ERROR_SUCCESS_REBOOT_REQUIRED (3010) and ERROR_SUCCESS_REBOOT_INITIATED (1641): installed, a reboot pending.
@pytest.mark.parametrize("code", [3010, 1641])
def test_msi_exit_codes_of_success_with_a_reboot_ask_for_it(code: int) -> None:
    lab = Lab(_msi_exit(code))
    result, _connection = lab.run({"name": "skype_online_connector", "source": SKYPE_MSI})
    assert ok(result)["changed"] is True
    assert result["reboot_required"] is True
    assert result["installed"] is True
    assert result["version"] == "7.0.0.0"
    assert "warnings" in result and not any("after the reboot" in warning for warning in result["warnings"])
    assert lab.modules("SkypeOnlineConnector") == [("SkypeOnlineConnector", "7.0.0.0", "msi")]


@pytest.mark.parametrize(
    ("code", "reason", "message"),
    [
        (
            1603,
            "msi_failed",
            rf"The installation of '{SKYPE_MSI}' failed with a fatal error (msiexec exit code 1603). Run msiexec /i "
            rf'"{SKYPE_MSI}" /qn /l*v C:\Windows\Temp\connector.log on the host and read the log; common causes are '
            "a missing prerequisite or a newer version already installed.",
        ),
        (
            1618,
            "msi_busy",
            "Another installation is already in progress on the host (msiexec exit code 1618). Wait until it "
            "(Windows Update, another msiexec) has finished and run the task again.",
        ),
        (
            1619,
            "msi_open_failed",
            f"msiexec could not open the package '{SKYPE_MSI}' (exit code 1619). Check that the path is right and "
            "readable by the connecting account; over WinRM a UNC path needs CredSSP or Kerberos delegation, or copy "
            "the MSI to the host first.",
        ),
        (
            1620,
            "msi_open_failed",
            f"'{SKYPE_MSI}' is not a valid Windows Installer package (exit code 1620). Download the package again.",
        ),
        (
            1633,
            "msi_platform",
            f"'{SKYPE_MSI}' is not for this platform (msiexec exit code 1633). Use the 64-bit package of the "
            "connector.",
        ),
        (
            1638,
            "msi_other_version",
            "Another version of this product is already installed (msiexec exit code 1638). Remove it first with "
            "state=absent, then install this one.",
        ),
        (
            1625,
            "msi_failed",
            f"msiexec failed to install '{SKYPE_MSI}' (exit code 1625). Look the code up in the Windows Installer "
            "error codes, or run msiexec with /l*v on the host.",
        ),
    ],
)
def test_msi_failures_are_explained(code: int, reason: str, message: str) -> None:
    lab = Lab(_msi_exit(code))
    result, connection = lab.run({"name": "skype_online_connector", "source": SKYPE_MSI})
    assert failed(result, reason) == message
    assert result["exit_code"] == code
    assert result["changed"] is False
    assert len(connection.commands) == 2  # the detection, then msiexec (nothing looks again)
    assert [call["params"]["ArgumentList"] for call in lab.calls("Start-Process")] == [
        ["/i", f'"{SKYPE_MSI}"', "/qn", "/norestart"]
    ]
    assert lab.modules("SkypeOnlineConnector") == []


def test_a_missing_msi_fails_before_msiexec() -> None:
    lab = Lab()
    result, connection = lab.run({"name": "skype_online_connector", "source": r"\\files\share\Skype.msi"})
    message = failed(result, "source_not_found")
    assert r"The MSI file '\\files\share\Skype.msi'" in message
    assert "second hop" in message
    assert len(connection.commands) == 1
    assert lab.calls("Start-Process") == []


def test_an_msi_that_installs_another_version_fails_the_read_back() -> None:
    result, _connection = Lab().run({"name": "skype_online_connector", "source": SKYPE_MSI, "version": "7.1.0.0"})
    message = failed(result, "not_installed")
    assert result["changed"] is True  # Install-Module ran
    assert "the host has SkypeOnlineConnector 7.0.0.0, which is not 7.1.0.0" in message
    assert result["versions"] == ["7.0.0.0"]


class Rewrite:
    """The lab as host, with the runner response of chosen commands edited (what Windows might answer).

    ``edits`` maps a command number (from 1) to a function that changes the parsed response.
    """

    def __init__(self, lab: Lab, edits: dict[int, t.Callable[[dict[str, t.Any]], None]]) -> None:
        self.lab = lab
        self.edits = edits
        self.count = 0

    def __call__(self, command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        stdout, stderr, rc = self.lab(command, arguments, stdin)
        self.count += 1
        if self.count in self.edits:
            head, body = stdout.decode("ascii").split(MARKER, 1)
            response = json.loads(body)
            self.edits[self.count](response)
            stdout = (head + MARKER + json.dumps(response)).encode("ascii")
        return stdout, stderr, rc


def hide_modules(response: dict[str, t.Any]) -> None:
    """Get-Module -ListAvailable in a process whose PSModulePath predates the MSI: nothing found."""
    for step in response["steps"]:
        if step["id"] in ("after", "modules"):
            step["output"] = []


@pytest.mark.parametrize(("fresh_sees_it", "code"), [(True, 0), (False, 0), (False, 3010)])
def test_after_msiexec_a_new_process_looks_again(fresh_sees_it: bool, code: int) -> None:
    lab = Lab(_msi_exit(code))
    host = Rewrite(lab, {2: hide_modules} if fresh_sees_it else {2: hide_modules, 3: hide_modules})
    args = {"name": "skype_online_connector", "source": SKYPE_MSI}
    action, connection = make_action("cs_online_connector", args, host)
    result = action.run(task_vars={})
    assert len(connection.commands) == 3
    if fresh_sees_it:
        assert ok(result)["version"] == "7.0.0.0"
    elif code == 3010:
        assert ok(result)["reboot_required"] is True
        assert result["installed"] is False
        assert any("after the reboot" in warning for warning in result["warnings"])
    else:
        assert "restart the WinRM service" in failed(result, "not_visible")
        assert result["changed"] is True  # msiexec installed the product


# --- state=absent -----------------------------------------------------------------------------


def test_remove_every_version_each_the_way_it_was_installed() -> None:
    data = with_modules(
        {"name": "MicrosoftTeams", "version": "6.1.0", "installed_by": "powershellget"},
        {"name": "MicrosoftTeams", "version": "5.9.0", "installed_by": "folder"},
    )
    lab = Lab(data)
    checked, connection = lab.run({"state": "absent"}, check_mode=True, diff=True)
    assert ok(checked)["changed"] is True
    assert checked["versions"] == ["6.1.0", "5.9.0"]
    assert checked["diff"]["after"]["versions"] == []
    assert checked["removed"] == [
        {"version": "6.1.0", "path": rf"{MODULES}\MicrosoftTeams\6.1.0", "method": "repository"},
        {"version": "5.9.0", "path": rf"{MODULES}\MicrosoftTeams\5.9.0", "method": "folder"},
    ]
    assert len(connection.commands) == 1
    assert lab.changes() == []

    result, connection = lab.run({"state": "absent"})
    assert ok(result)["changed"] is True
    assert result["installed"] is False
    assert result["version"] is None
    assert result["removed"] == checked["removed"]
    assert len(connection.commands) == 2
    assert lab.calls("Uninstall-Module")[0]["params"] == {
        "Name": "MicrosoftTeams",
        "RequiredVersion": "6.1.0",
        "Force": True,
    }
    assert lab.calls("Remove-Item")[0]["params"] == {
        "LiteralPath": rf"{MODULES}\MicrosoftTeams\5.9.0",
        "Recurse": True,
        "Force": True,
    }
    assert lab.modules("MicrosoftTeams") == []

    again, connection = lab.run({"state": "absent"})
    assert ok(again)["changed"] is False
    assert again["removed"] == []
    assert len(connection.commands) == 1


def test_the_same_version_in_two_folders_is_removed_from_both() -> None:
    documents = r"C:\Users\lab-admin\Documents\WindowsPowerShell\Modules\MicrosoftTeams\6.1.0"
    lab = Lab(
        with_modules(
            {"name": "MicrosoftTeams", "version": "6.1.0", "installed_by": "powershellget"},
            {"name": "MicrosoftTeams", "version": "6.1.0", "installed_by": "folder", "path": documents},
        )
    )
    result, _connection = lab.run({"state": "absent"})
    assert sorted((r["method"], r["path"]) for r in ok(result)["removed"]) == [
        ("folder", documents),
        ("repository", rf"{MODULES}\MicrosoftTeams\6.1.0"),
    ]
    assert lab.modules("MicrosoftTeams") == []


def test_a_copy_listed_twice_is_removed_once() -> None:
    def twice(response: dict[str, t.Any]) -> None:
        response["steps"][0]["output"] *= 2  # its folder is in PSModulePath twice

    lab = Lab("sfb2019-teams")
    action, connection = make_action("cs_online_connector", {"state": "absent"}, Rewrite(lab, {1: twice}))
    result = action.run(task_vars={})
    assert len(ok(result)["removed"]) == 1
    assert len(lab.calls("Uninstall-Module")) == 1
    assert len(connection.commands) == 2


def test_remove_one_version_keeps_the_others() -> None:
    lab = Lab(
        with_modules(
            {"name": "MicrosoftTeams", "version": "6.1.0"},
            {"name": "MicrosoftTeams", "version": "5.9.0"},
        )
    )
    result, _connection = lab.run({"state": "absent", "version": "5.9"})
    assert ok(result)["changed"] is True
    assert result["versions"] == ["6.1.0"]
    assert lab.modules("MicrosoftTeams") == [("MicrosoftTeams", "6.1.0", "powershellget")]


def test_remove_a_legacy_connector_installed_by_msi() -> None:
    lab = Lab("lync2013-ready")
    result, _connection = lab.run({"name": "lync_online_connector", "state": "absent"})
    assert ok(result)["changed"] is True
    assert result["removed"][0]["method"] == "msi"
    assert "warnings" not in result
    assert lab.calls("Uninstall-Package")[0]["params"] == {
        "ProviderName": "msi",
        "Name": "Windows PowerShell Module for Lync Online",
        "Force": True,
    }
    assert lab.modules("LyncOnlineConnector") == []


def test_a_legacy_connector_is_not_deleted_when_the_programs_cannot_be_listed() -> None:
    lab = Lab(with_fault("Get-ChildItem", "Requested registry access is not allowed.", state("lync2013-ready")))
    result, connection = lab.run({"name": "lync_online_connector", "state": "absent"})
    assert "Could not list the installed programs" in failed(result, "host_error")
    assert len(connection.commands) == 1
    assert lab.modules("LyncOnlineConnector") != []


def test_a_legacy_connector_is_not_deleted_when_no_program_key_can_be_read() -> None:
    """Every per-key read failing is a read that cannot run, not an empty list of programs."""
    lab = Lab(with_fault("Get-ItemProperty", "Specified cast is not valid.", state("lync2013-ready")))
    result, connection = lab.run({"name": "lync_online_connector", "state": "absent"})
    message = failed(result, "host_error")
    assert "Could not list the installed programs" in message and "Specified cast is not valid" in message
    assert len(connection.commands) == 1
    assert lab.modules("LyncOnlineConnector") != []


def test_a_malformed_foreign_uninstall_entry_does_not_stop_the_msi_removal() -> None:
    data = state("lync2013-ready")
    data["host"]["uninstall"] = [
        {"display_name": "NetBeans IDE 8.2", "display_version": "8.2", "key": "nbi-nb-base-8.2.0.0",
         "malformed_value": "NoModify"},
    ]  # fmt: skip
    lab = Lab(data)
    result, connection = lab.run({"name": "lync_online_connector", "state": "absent"})
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert lab.modules("LyncOnlineConnector") == []
    assert len(connection.commands) == 2


def test_a_copy_in_a_foreign_folder_is_not_deleted() -> None:
    lab = Lab(
        with_modules({"name": "MicrosoftTeams", "version": "6.1.0", "installed_by": "folder", "path": r"C:\Tools"})
    )
    for check_mode in (True, False):
        result, _connection = lab.run({"state": "absent"}, check_mode=check_mode)
        assert r"is in 'C:\Tools'" in failed(result, "unsafe_path")
    assert lab.calls("Remove-Item") == []


BYSTANDER = {
    "name": "Az.Accounts",
    "version": "2.12.1",
    "installed_by": "folder",
    "path": rf"{MODULES}\Az.Accounts\2.12.1",
}


@pytest.mark.parametrize(
    "path",
    [
        rf"{MODULES}\Az.Accounts\6.1.0",  # another module's version folder
        rf"{MODULES}\MicrosoftTeams.Backup\6.1.0",  # a name that only starts with the module's
        rf"{MODULES}\Old-MicrosoftTeams\6.1.0",  # a name that only contains it
        r"C:\Backup\MicrosoftTeams\Old\6.1.0",  # the module's name higher up, not the parent
        rf"{MODULES}\MicrosoftTeams\6.1.0\bin",  # below a version folder
        r"C:\Tools\6.1.0",  # a version folder in no module folder
        MODULES,  # the module path itself
        "C:\\",
    ],
)
def test_removal_never_deletes_a_folder_not_named_after_the_module(path: str) -> None:
    """Only <module> or <module>\\<version> folders are deleted; any other copy fails the task before anything runs."""
    lab = Lab(
        with_modules({"name": "MicrosoftTeams", "version": "6.1.0", "installed_by": "folder", "path": path}, BYSTANDER)
    )
    before = copy.deepcopy(lab.state.host["modules"])
    for check_mode in (True, False):
        result, connection = lab.run({"state": "absent"}, check_mode=check_mode)
        assert failed(result, "unsafe_path") == (
            f"MicrosoftTeams 6.1.0 is in '{path}', which is not a folder named after the module or its version, so "
            "lync.hybrid does not delete it. Remove that copy with the installer that put it there (or by hand), then "
            "run the task again."
        )
        assert len(connection.commands) == 1
    assert lab.calls("Remove-Item") == [] and lab.changes() == []
    assert lab.state.host["modules"] == before


def test_removal_deletes_exactly_the_module_folders_it_was_asked_for() -> None:
    """Copies in <module>\\<version> and in a bare <module> folder, under two module paths; other modules stay."""
    documents = r"C:\Users\lab-admin\Documents\WindowsPowerShell\Modules"
    teams = [
        {
            "name": "MicrosoftTeams",
            "version": "6.1.0",
            "installed_by": "folder",
            "path": rf"{MODULES}\MicrosoftTeams\6.1.0",
        },
        {
            "name": "MicrosoftTeams",
            "version": "5.9.0",
            "installed_by": "folder",
            "path": rf"{documents}\microsoftteams",
        },
    ]
    others = [
        BYSTANDER,
        {
            "name": "MicrosoftTeamsTools",
            "version": "6.1.0",
            "installed_by": "folder",
            "path": rf"{MODULES}\MicrosoftTeamsTools\6.1.0",
        },
        {
            "name": "SkypeOnlineConnector",
            "version": "7.0.0.0",
            "installed_by": "folder",
            "path": rf"{MODULES}\SkypeOnlineConnector\7.0.0.0",
        },
    ]
    lab = Lab(with_modules(*teams, *others))
    kept = [(m["name"], m["path"]) for m in lab.state.host["modules"] if m["name"] != "MicrosoftTeams"]
    assert len(kept) == len(others) + 1  # and the management module
    result, _connection = lab.run({"state": "absent"})
    assert ok(result)["removed"] == [
        {"version": "6.1.0", "path": rf"{MODULES}\MicrosoftTeams\6.1.0", "method": "folder"},
        {"version": "5.9.0", "path": rf"{documents}\microsoftteams", "method": "folder"},
    ]
    assert [call["params"]["LiteralPath"] for call in lab.calls("Remove-Item")] == [
        rf"{MODULES}\MicrosoftTeams\6.1.0",
        rf"{documents}\microsoftteams",
    ]
    assert [(m["name"], m["path"]) for m in lab.state.host["modules"]] == kept


def test_a_module_in_use_is_explained() -> None:
    data = with_fault("Uninstall-Module", "Module 'MicrosoftTeams' is currently in use.", state("sfb2019-teams"))
    result, _connection = Lab(data).run({"state": "absent"})
    assert "Close the PowerShell sessions" in failed(result, "module_in_use")


def test_a_removal_that_leaves_the_module_fails() -> None:
    lab = Lab("sfb2019-teams")
    detected: list[t.Any] = []

    def remember(response: dict[str, t.Any]) -> None:
        detected.extend(response["steps"][0]["output"])

    def still_there(response: dict[str, t.Any]) -> None:
        response["steps"][-1]["output"] = detected  # another installer put it back, or a locked folder

    action, _connection = make_action(
        "cs_online_connector", {"state": "absent"}, Rewrite(lab, {1: remember, 2: still_there})
    )
    result = action.run(task_vars={})
    message = failed(result, "not_removed")
    assert result["changed"] is True  # the removal ran, a copy came back
    assert rf"MicrosoftTeams 6.4.0 is still installed after the removal ({MODULES}\MicrosoftTeams\6.4.0)" in message
    assert result["versions"] == ["6.4.0"]


# --- diff, host failures ----------------------------------------------------------------------


def test_no_diff_without_diff_mode() -> None:
    result, _connection = Lab().run({"source": GALLERY, "version": "6.1.0"}, check_mode=True)
    assert "diff" not in ok(result)


def test_a_host_without_the_runner_fails_clearly() -> None:
    def broken(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        return b"", b"powershell.exe: execution of scripts is disabled", 1

    action, _connection = make_action("cs_online_connector", {}, broken)
    result = action.run(task_vars={})
    assert "did not run the lync.hybrid runner" in failed(result)
