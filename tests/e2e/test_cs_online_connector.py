"""lync.hybrid.cs_online_connector end to end: ansible-playbook -> winrm -> lab host.

The integration target runs as a role against each kind of source (repository, Save-Module
folder, MSI) and against a host that already has its connector and no source. The journal
proves the command budget: one command per task that reaches the host, plus one for each
real install or removal.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest
import yaml

from tests.e2e.lab import STATES, Lab, play_recap, run
from tests.lab.state import load_state

pytestmark = pytest.mark.lab

# Module tasks of the target that reach the host: the install/remove cycle (8 tasks, two of them
# change the host: the first removal when something is installed, and the install), the
# verification without a source (1), and the failure cases (4). Option checks never reach it.
CYCLE, VERIFY, FAILURES = 8, 1, 4
# Tasks whose result counts as failed but is ignored: 4 host failures + 7 refused option sets.
IGNORED = 4 + 7
SKYPE_MSI = r"C:\Installers\SkypeOnlinePowerShell.msi"


def playbook(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "playbook.yml"
    play = {"hosts": "lync_servers", "gather_facts": False, "roles": ["cs_online_connector"]}
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def state_variant(tmp_path: pathlib.Path, name: str, inventory: dict[str, t.Any]) -> pathlib.Path:
    """A lab state whose inventory points the target at another connector or source."""
    data = yaml.safe_load((STATES / f"{name}.yml").read_text(encoding="utf-8"))
    for key, value in inventory.items():
        if value is None:
            data["inventory"].pop(key, None)
        else:
            data["inventory"][key] = value
    path = tmp_path / f"{name}-variant.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_target(lab: Lab, tmp_path: pathlib.Path) -> tuple[str, dict[str, int], dict[str, t.Any]]:
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path))])
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["ignored"] == IGNORED, out.stdout
    return out.stdout + out.stderr, recap, final


def calls(lab: Lab, name: str) -> list[dict[str, t.Any]]:
    return [e for e in lab.journal("cmdlet") if e["name"] == name]


def assert_one_winrm_command_per_runner_request(lab: Lab, expected: int) -> None:
    commands = lab.journal("command")
    assert len(commands) == expected
    assert all(command["accepted"] for command in commands)
    wsman = [e for e in lab.journal("wsman") if e.get("action") == "Command"]
    assert len(wsman) == expected


def modules(final: dict[str, t.Any], name: str) -> list[tuple[str, str]]:
    return sorted((m["version"], m["installed_by"]) for m in final["host"]["modules"] if m["name"] == name)


def test_target_installs_microsoft_teams_from_a_repository(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """SfB 2015 without a connector; MicrosoftTeams 6.1.0 from an internal repository."""
    lab = lab_factory("connector-sources")
    stdout, recap, final = run_target(lab, tmp_path)
    # Nothing to remove at first, so only the install costs a second command.
    assert_one_winrm_command_per_runner_request(lab, CYCLE + 1 + FAILURES)
    # check install, check install again, install, check remove.
    assert recap["changed"] == 4, stdout
    install = calls(lab, "Install-Module")
    assert len(install) == 1
    assert install[0]["params"]["RequiredVersion"] == "6.1.0"
    assert install[0]["params"]["Repository"] == "InternalGallery"
    assert modules(final, "MicrosoftTeams") == [("6.1.0", "powershellget")]
    assert calls(lab, "Uninstall-Module") == []
    assert [e for e in lab.journal("change") if e["property"] != "MicrosoftTeams"] == []


def test_target_installs_microsoft_teams_from_a_save_module_folder(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """The same host, offline: the target copies C:\\Offline\\MicrosoftTeams\\6.1.0 into Program Files."""
    lab = lab_factory(
        state_variant(tmp_path, "connector-sources", {"lync_online_prereqs_connector_source": r"C:\Offline"})
    )
    stdout, recap, final = run_target(lab, tmp_path)
    assert_one_winrm_command_per_runner_request(lab, CYCLE + 1 + FAILURES)
    assert recap["changed"] == 4, stdout
    copies = calls(lab, "Copy-Item")
    assert len(copies) == 1
    assert copies[0]["params"]["LiteralPath"] == r"C:\Offline\MicrosoftTeams\6.1.0"
    assert copies[0]["params"]["Destination"] == r"C:\Program Files\WindowsPowerShell\Modules\MicrosoftTeams"
    assert modules(final, "MicrosoftTeams") == [("6.1.0", "folder")]
    assert calls(lab, "Install-Module") == []


def test_target_installs_the_skype_connector_from_its_msi(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """The retired SkypeOnlineConnector from its MSI: installed, and reported as retired."""
    variant = state_variant(
        tmp_path,
        "connector-sources",
        {
            "lync_online_prereqs_connector": "skype_online_connector",
            "lync_online_prereqs_connector_source": SKYPE_MSI,
            "lync_online_prereqs_connector_version": None,
        },
    )
    lab = lab_factory(variant)
    stdout, recap, final = run_target(lab, tmp_path)
    assert_one_winrm_command_per_runner_request(lab, CYCLE + 1 + FAILURES)
    assert recap["changed"] == 4, stdout
    assert "SkypeOnlineConnector is retired" in stdout
    msiexec = calls(lab, "Start-Process")
    assert len(msiexec) == 1
    assert msiexec[0]["params"]["ArgumentList"] == ["/i", f'"{SKYPE_MSI}"', "/qn", "/norestart"]
    assert modules(final, "SkypeOnlineConnector") == [("7.0.0.0", "msi")]


def test_target_reinstalls_the_lync_connector_it_removed(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """Lync 2013 with LyncOnlineConnector from its MSI: removed by Uninstall-Package, installed again."""
    variant = state_variant(
        tmp_path,
        "lync2013-ready",
        {"lync_online_prereqs_connector_source": r"C:\Installers\LyncOnlinePowerShell.msi"},
    )
    lab = lab_factory(variant)
    stdout, recap, final = run_target(lab, tmp_path)
    # Both the first removal and the install change the host: two commands each.
    assert_one_winrm_command_per_runner_request(lab, CYCLE + 2 + FAILURES)
    assert recap["changed"] == 5, stdout
    removal = calls(lab, "Uninstall-Package")
    assert [e["params"]["Name"] for e in removal] == ["Windows PowerShell Module for Lync Online"]
    assert len(calls(lab, "Start-Process")) == 1
    assert modules(final, "LyncOnlineConnector") == [("5.0.8308.857", "msi")]
    original = load_state(STATES / "lync2013-ready.yml").to_dict()
    assert final["deployment"] == original["deployment"]
    assert final["tenant"] == original["tenant"]


def test_target_only_verifies_a_host_without_a_source(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """SfB 2019 with MicrosoftTeams 6.1.0 and no source in the inventory: nothing may change."""
    lab = lab_factory("sfb2019-teams")
    stdout, recap, final = run_target(lab, tmp_path)
    assert_one_winrm_command_per_runner_request(lab, VERIFY + FAILURES)
    assert recap["changed"] == 0, stdout
    assert lab.journal("change") == []
    assert final == load_state(STATES / "sfb2019-teams.yml").to_dict()
    installers = {"Install-Module", "Start-Process", "Copy-Item", "Uninstall-Module", "Uninstall-Package"}
    assert [e["name"] for e in lab.journal("cmdlet") if e["name"] in installers] == []
