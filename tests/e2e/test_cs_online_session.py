"""lync.hybrid.cs_online_session end to end: ansible-playbook -> winrm -> lab host -> tenant.

The integration target runs as a role against each lab state it applies to; smaller
playbooks cover the failures a lab state has to be changed for (the session limit,
a busy tenant) and the ones the target cannot express portably.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest

from tests.e2e.lab import STATES, Lab, play_recap, run
from tests.e2e.lab_support import assert_sessions_closed, playbook, sessions, state_variant, wsman_commands
from tests.lab.state import load_state

pytestmark = pytest.mark.lab

# Tasks of the target that reach the host (the option checks never do).
CHECK, FIRST, SECOND = 1, 1, 1


def session_task(**options: t.Any) -> dict[str, t.Any]:
    return {
        "name": "Probe the tenant",
        "lync.hybrid.cs_online_session": {
            "connector": "{{ lync_online_prereqs_connector | default('auto') }}",
            "username": "{{ lync_online_prereqs_username | default(omit, true) }}",
            "password": "{{ lync_online_prereqs_password | default(omit, true) }}",
            "override_admin_domain": "{{ lync_online_prereqs_override_admin_domain | default(omit, true) }}",
            **options,
        },
        "register": "probe",
    }


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_target_with_the_legacy_connector(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, check: bool
) -> None:
    """Lync 2013, LyncOnlineConnector, credential auth, hybrid DNS (needs the override admin domain)."""
    lab = lab_factory("lync2013-ready")
    out = run(
        [
            "ansible-playbook",
            "-i",
            str(lab.inventory),
            str(playbook(tmp_path, role="cs_online_session")),
            *(["--check"] if check else []),
        ]
    )
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 0, out.stdout
    # check + first + second + wrong password; the option checks never reach the host.
    assert wsman_commands(lab) == 4
    assert len(lab.journal("command")) == 4
    assert len(sessions(lab, "open")) == 3
    assert len(sessions(lab, "refused")) == 1
    assert_sessions_closed(lab, final)
    assert lab.journal("change") == []
    assert final == load_state(STATES / "lync2013-ready.yml").to_dict()
    # Only reads reached the tenant.
    tenant_calls = {e["name"] for e in lab.journal("cmdlet") if e["scope"] == "online"}
    assert tenant_calls == {"New-CsOnlineSession", "Get-LyncHybridCsTenant", "Get-LyncHybridCsOnlineSipDomain"}
    assert "Tenant-Adm1n-Passw0rd!" not in out.stdout + out.stderr


def test_target_with_microsoft_teams_and_a_certificate(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """SfB 2019, MicrosoftTeams 6.1.0, app-only certificate auth; LyncOnlineConnector is not installed."""
    lab = lab_factory("sfb2019-teams")
    out = run([
        "ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, role="cs_online_session")),
        "-e", "cs_online_session_absent_connector=lync_online_connector",
    ])  # fmt: skip
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 0, out.stdout
    # check + first + second + wrong certificate + absent connector.
    assert wsman_commands(lab) == 5
    assert len(sessions(lab, "open")) == 3
    assert_sessions_closed(lab, final)
    disconnects = [e for e in lab.journal("cmdlet") if e["name"] == "Disconnect-MicrosoftTeams"]
    assert len(disconnects) == 3 and all(e["status"] == "ok" for e in disconnects)
    assert lab.journal("change") == []
    assert final == load_state(STATES / "sfb2019-teams.yml").to_dict()


def test_returned_tenant_facts(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    lab = lab_factory("lync2013-ready")
    tasks = [
        session_task(),
        {"name": "Show", "ansible.builtin.debug": {"msg": "URL={{ probe.tenant.hosted_migration_url }} "
                                                          "SIP={{ probe.tenant.sip_domains | join(',') }} "
                                                          "CONNECTOR={{ probe.connector }}"}},
    ]  # fmt: skip
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=tasks))])
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "URL=https://admin0e.online.lync.com/HostedMigration/hostedmigrationService.svc" in out.stdout
    assert "SIP=contoso.com" in out.stdout
    assert "CONNECTOR=lync_online_connector" in out.stdout


def test_auto_does_not_pick_the_installed_legacy_connector(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """Only LyncOnlineConnector is installed: auto fails before any session, the named connector warns."""
    lab = lab_factory("lync2013-ready")
    tasks = [
        {**session_task(connector="auto", override_admin_domain=None), "ignore_errors": True},
        {"name": "Show auto", "ansible.builtin.debug": {"msg": "AUTO={{ probe.reason }}"}},
        session_task(),
    ]
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=tasks))])
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "AUTO=connector_missing" in out.stdout
    assert "connector=auto uses MicrosoftTeams only" in out.stdout
    assert "[WARNING]: LyncOnlineConnector is retired" in out.stdout + out.stderr
    # Two commands, one legacy session: the auto task never tried New-CsOnlineSession.
    assert wsman_commands(lab) == 2
    connects = [e for e in lab.journal("cmdlet") if e["name"] == "New-CsOnlineSession"]
    assert len(connects) == 1
    assert_sessions_closed(lab, final)


def test_session_limit_retries_then_fails_clearly(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    def full(data: dict[str, t.Any]) -> None:
        data["tenant"]["admins"][0]["open_sessions"] = 3

    lab = lab_factory(state_variant(tmp_path, "lync2013-ready", full))
    out = run(
        [
            "ansible-playbook",
            "-i",
            str(lab.inventory),
            str(playbook(tmp_path, tasks=[session_task(retries=2, delay=1)])),
        ]
    )
    final = lab.stop()
    assert out.returncode != 0
    assert play_recap(out.stdout)["failed"] == 1
    assert "maximum number of concurrent remote PowerShell sessions" in out.stdout
    assert "'retries'/'delay'" in out.stdout
    assert '"reason": "concurrent_shells"' in out.stdout
    # One command per attempt, with a wait between them; no session was added to the three in use.
    assert wsman_commands(lab) == 3
    assert len(sessions(lab, "refused")) == 3
    assert final["tenant"]["admins"][0]["open_sessions"] == 3
    starts = [e["ts"] for e in lab.journal("command")]
    assert starts[1] - starts[0] >= 1 and starts[2] - starts[1] >= 2
    # Each refusal is said as it happens, without -v, with the wait that follows; the result lists them.
    said = [line for line in out.stderr.splitlines() if "The tenant refused session attempt" in line]
    assert len(said) == 3, out.stderr
    assert "attempt 1 of 3 (concurrent_shells: " in said[0] and said[0].endswith("waiting 1 s before attempt 2 of 3.")
    assert said[1].endswith("waiting 2 s before attempt 3 of 3.")
    assert said[2].endswith("no retries left.")
    (fatal,) = [json.loads(line.split(" => ", 1)[1]) for line in out.stdout.splitlines() if line.startswith("fatal: [")]
    assert [(a["attempt"], a["reason"], a["waited_seconds"]) for a in fatal["refused_attempts"]] == [
        (1, "concurrent_shells", 1),
        (2, "concurrent_shells", 2),
        (3, "concurrent_shells", None),
    ]


def test_busy_tenant_succeeds_on_retry(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    def busy(data: dict[str, t.Any]) -> None:
        data["faults"] = {"online_busy_connects": 1}

    lab = lab_factory(state_variant(tmp_path, "lync2013-ready", busy))
    tasks = [
        session_task(retries=3, delay=1),
        {
            "name": "Attempts",
            "ansible.builtin.assert": {
                "that": [
                    "probe.attempts == 2",
                    "probe is not changed",
                    "probe.refused_attempts | map(attribute='attempt') | list == [1]",
                    "probe.refused_attempts[0].waited_seconds == 1",
                ]
            },
        },
    ]
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=tasks))])
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert wsman_commands(lab) == 2
    assert_sessions_closed(lab, final)


def test_no_connector_installed(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    lab = lab_factory("broken")
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=[session_task()]))])
    lab.stop()
    assert play_recap(out.stdout)["failed"] == 1
    assert "Install it first with lync.hybrid.cs_online_connector" in out.stdout
    assert wsman_commands(lab) == 1
    assert lab.journal("online_session") == []


def test_missing_override_admin_domain(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    lab = lab_factory("lync2013-ready")
    task = session_task()
    del task["lync.hybrid.cs_online_session"]["override_admin_domain"]
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=[task]))])
    final = lab.stop()
    assert play_recap(out.stdout)["failed"] == 1
    assert "Set override_admin_domain to the tenant's initial domain" in out.stdout
    assert_sessions_closed(lab, final)
