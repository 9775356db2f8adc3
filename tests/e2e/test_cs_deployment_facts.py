"""cs_deployment_facts end to end: ansible-playbook -> winrm (NTLM, encrypted) -> lab host."""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest
import yaml

from tests.e2e.lab import STATES, Lab, play_recap, run
from tests.lab.state import load_state
from tests.unit.plugins.action.lab_support import BROKEN_FAILED_CHECKS

pytestmark = pytest.mark.lab

# Module tasks of the target that reach the host: check mode, two runs, build only, without cms.
HOST_TASKS = 5


def _playbook(tmp_path: pathlib.Path, **expected: t.Any) -> pathlib.Path:
    play = {
        "hosts": "lync_servers",
        "gather_facts": False,
        "vars": {f"cs_deployment_facts_expected_{key}": value for key, value in expected.items()},
        "roles": ["cs_deployment_facts"],
    }
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def _winrm_commands(lab: Lab) -> list[dict[str, t.Any]]:
    return [event for event in lab.journal("wsman") if event.get("action") == "Command"]


def _assert_read_only(lab: Lab, state_name: str) -> None:
    cmdlets = [event["name"] for event in lab.journal("cmdlet")]
    assert cmdlets and all(name.startswith("Get-") or name == "Import-Module" for name in cmdlets)
    assert lab.journal("change") == []
    assert lab.journal("online_session") == []
    assert lab.stop() == load_state(STATES / f"{state_name}.yml").to_dict()


@pytest.mark.parametrize(
    ("state_name", "product_key", "failed_checks"),
    [
        ("sfb2019-teams", "sfb2019", []),
        ("lync2013-ready", "lync2013", ["online_connector"]),
        ("broken", "sfb2015", list(BROKEN_FAILED_CHECKS)),
    ],
)
def test_target_reads_each_deployment_in_one_command_per_task(
    lab_factory: t.Callable[..., Lab],
    tmp_path: pathlib.Path,
    state_name: str,
    product_key: str,
    failed_checks: list[str],
) -> None:
    lab = lab_factory(state_name)
    playbook = _playbook(tmp_path, product_key=product_key, failed_checks=failed_checks)
    result = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook)])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    recap = play_recap(result.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 0 and recap["unreachable"] == 0, output
    assert recap["ignored"] == 2  # the two invalid-option tasks, refused on the controller
    # One WinRM command per module task that reaches the host, none for refused options.
    assert len(_winrm_commands(lab)) == HOST_TASKS
    assert len([e for e in lab.journal("command") if e.get("accepted")]) == HOST_TASKS
    # Lync 2013 has no Get-CsServerPatchVersion: the build came from the uninstall registry.
    patch_calls = [e for e in lab.journal("cmdlet") if e["name"] == "Get-CsServerPatchVersion"]
    if product_key == "lync2013":
        assert patch_calls and all(e["status"] == "error" for e in patch_calls)
    _assert_read_only(lab, state_name)


def test_host_without_lync_fails_clearly(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    data = yaml.safe_load((STATES / "sfb2019-teams.yml").read_text(encoding="utf-8"))
    del data["deployment"]
    state_file = tmp_path / "no-lync.yml"
    state_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    lab = lab_factory(state_file)
    play = [
        {
            "hosts": "lync_servers",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Gather on a host without Lync",
                    "lync.hybrid.cs_deployment_facts": {},
                    "register": "gathered",
                    "ignore_errors": True,
                },
                {"name": "Show the result", "ansible.builtin.debug": {"msg": "RESULT={{ gathered | to_json }}"}},
            ],
        }
    ]
    playbook = tmp_path / "no-lync-play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    result = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook)])
    assert result.returncode == 0, result.stdout + result.stderr
    recap = play_recap(result.stdout)
    assert recap["ignored"] == 1 and recap["failed"] == 0
    line = next(line for line in result.stdout.splitlines() if "RESULT=" in line)
    gathered = json.loads(json.loads(line.split(": ", 1)[1].rstrip(","))[len("RESULT=") :])
    assert gathered["reason"] == "onprem_module_missing"
    assert "not a Lync Server 2013 / Skype for Business Server" in gathered["msg"]
    assert gathered["cs_deployment"]["powershell_version"] == "5.1.17763.1"
    assert len(_winrm_commands(lab)) == 1
    assert [event["name"] for event in lab.journal("cmdlet")] == ["Get-Module"]


def test_malformed_uninstall_value_leaves_the_lync_2013_build_readable(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """A foreign Uninstall key with an invalid REG_DWORD (NetBeans' NoModify) costs only that key."""
    data = yaml.safe_load((STATES / "lync2013-ready.yml").read_text(encoding="utf-8"))
    data["host"]["uninstall"] = [
        {"display_name": "NetBeans IDE 8.2", "display_version": "8.2", "key": "nbi-nb-base-8.2.0.0",
         "malformed_value": "NoModify"},
    ]  # fmt: skip
    state_file = tmp_path / "malformed.yml"
    state_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    lab = lab_factory(state_file)
    play = [
        {
            "hosts": "lync_servers",
            "gather_facts": False,
            "tasks": [
                {"name": "Gather", "lync.hybrid.cs_deployment_facts": {"gather_subset": ["build"]}},
                {
                    "name": "Show",
                    "ansible.builtin.debug": {
                        "msg": "RESULT={{ {'build': cs_deployment.build, 'source': cs_deployment.build_source, "
                        "'errors': cs_deployment.errors} | to_json }}"
                    },
                },
            ],
        }
    ]
    playbook = tmp_path / "malformed-play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    result = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook)])
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "RESULT=" in line)
    shown = json.loads(json.loads(line.split(": ", 1)[1].rstrip(","))[len("RESULT=") :])
    assert shown["build"] == "5.0.8308.1182" and shown["source"] == "uninstall_registry"
    assert [(e["step"], e["message"]) for e in shown["errors"]] == [("installed", "Specified cast is not valid.")]
    assert shown["errors"][0]["target"].endswith("nbi-nb-base-8.2.0.0")
    assert len(_winrm_commands(lab)) == 1
    reads = [e for e in lab.journal("cmdlet") if e["name"] == "Get-ItemProperty"]
    reads = [e for e in reads if "Uninstall" in e["params"]["LiteralPath"]]  # not the .NET release read
    # Three Lync components, the connector MSI and NetBeans: one read each, only NetBeans fails.
    assert len(reads) == 5 and sum(e["status"] != "ok" for e in reads) == 1
