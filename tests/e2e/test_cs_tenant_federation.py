"""lync.hybrid.cs_tenant_federation end to end: ansible-playbook -> winrm -> lab host -> tenant.

The integration target runs as a role against both lab states (legacy connector with a
password, MicrosoftTeams with a certificate); small playbooks cover what a lab state has
to be changed for: a Set the tenant rejects, a tenant that already has the shared SIP
address space on, a tenant that is busy for a while.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from tests.e2e.lab import STATES, Lab, play_recap, run
from tests.e2e.lab_support import (
    INVENTORY_LOGON,
    assert_secrets_only_in_credentials,
    assert_sessions_closed,
    playbook,
    sessions,
    state_variant,
    wsman_commands,
)
from tests.lab.journal import MASK
from tests.lab.state import load_state

pytestmark = pytest.mark.lab

PASSWORD = "Tenant-Adm1n-Passw0rd!"
# Tasks of the target that reach the host: check, apply, apply again, keep the user setting,
# two check-mode flips, the refused turn-off, and the wrong password or wrong certificate.
HOST_TASKS = 8
# Tasks reported changed: check and first apply (the tenants start with it off) and the two flips.
CHANGED_TASKS = 4
# The validation failures and the failure cases the target expects, with the removed allow_public_users.
IGNORED_TASKS = 10


def federation_task(**options: t.Any) -> dict[str, t.Any]:
    return {
        "name": "Manage the tenant federation",
        "lync.hybrid.cs_tenant_federation": {**INVENTORY_LOGON, **options},
        "register": "federation",
    }


def set_calls(lab: Lab) -> list[dict[str, t.Any]]:
    """Set-CsTenantFederationConfiguration calls that reached the tenant (prefixed for legacy sessions)."""
    return [
        e
        for e in lab.journal("cmdlet")
        if e["name"].startswith("Set-") and e["name"].endswith("CsTenantFederationConfiguration")
    ]


def initial(name: str) -> dict[str, t.Any]:
    return load_state(STATES / f"{name}.yml").to_dict()


@pytest.mark.parametrize(
    ("name", "opened"),
    [("lync2013-ready", "New-CsOnlineSession"), ("sfb2019-teams", "Connect-MicrosoftTeams")],
    ids=["legacy", "teams"],
)
def test_target_turns_the_shared_sip_address_space_on_once(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, name: str, opened: str
) -> None:
    lab = lab_factory(name)
    out = run(
        ["ansible-playbook", "-vvv", "-i", str(lab.inventory), str(playbook(tmp_path, role="cs_tenant_federation"))]
    )
    final = lab.stop()

    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0, out.stdout
    assert recap["changed"] == CHANGED_TASKS
    assert recap["ignored"] == IGNORED_TASKS
    # One WinRM command per task that reached the host, each one runner request; none refused, none retried.
    assert wsman_commands(lab) == HOST_TASKS
    commands = lab.journal("command")
    assert len(commands) == HOST_TASKS and all(c["accepted"] for c in commands)
    # One Set overall, carrying only SharedSipAddressSpace; the flips were check mode, the rest had no drift.
    (set_call,) = set_calls(lab)
    assert set_call["status"] == "ok"
    assert set_call["params"] == {"Identity": "Global", "SharedSipAddressSpace": True}
    # Every task but the wrong logon opened one session, and every session was closed.
    assert len([e for e in lab.journal("cmdlet") if e["name"] == opened and e["status"] == "ok"]) == HOST_TASKS - 1
    assert len(sessions(lab, "open")) == HOST_TASKS - 1
    assert_sessions_closed(lab, final)
    # The tenant ends with the shared SIP address space on and nothing else changed.
    assert [(c["property"], c["before"], c["after"]) for c in lab.journal("change")] == [
        ("shared_sip_address_space", False, True)
    ]
    federation = final["tenant"]["federation"]
    assert federation["shared_sip_address_space"] is True
    assert federation["allowed_domains"] == initial(name)["tenant"]["federation"]["allowed_domains"]
    expected = initial(name)
    expected["tenant"]["federation"]["shared_sip_address_space"] = True
    assert final == expected
    # Even at -vvv the tenant password shows nowhere: not in the output, and on the host only as the credential.
    assert PASSWORD not in out.stdout + out.stderr
    assert_secrets_only_in_credentials(lab)
    masked = [e["name"] for e in lab.journal("cmdlet") if e["params"].get("Credential") == MASK]
    assert masked == ([opened] * HOST_TASKS if name == "lync2013-ready" else [])


def test_a_set_the_tenant_rejects_fails_clearly_and_changes_nothing(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    def reject(data: dict[str, t.Any]) -> None:
        data["faults"] = {"set_error": "The server encountered an error processing the request."}

    lab = lab_factory(state_variant(tmp_path, "lync2013-ready", reject))
    tasks = [federation_task(shared_sip_address_space=True, allow_federated_users=False)]
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=tasks))])
    final = lab.stop()

    assert out.returncode != 0
    assert play_recap(out.stdout)["failed"] == 1
    assert (
        "Could not change the tenant federation configuration: The server encountered an error processing the request."
        in out.stdout
    )
    assert wsman_commands(lab) == 1
    (set_call,) = set_calls(lab)
    assert set_call["status"] == "error"
    assert set(set_call["params"]) == {"Identity", "SharedSipAddressSpace", "AllowFederatedUsers"}
    assert lab.journal("change") == []
    assert final["tenant"]["federation"] == initial("lync2013-ready")["tenant"]["federation"]
    assert_sessions_closed(lab, final)


@pytest.mark.parametrize("check", [False, True], ids=["apply", "check"])
def test_turning_the_shared_sip_address_space_off_is_refused(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, check: bool
) -> None:
    def already_on(data: dict[str, t.Any]) -> None:
        data["tenant"]["federation"]["shared_sip_address_space"] = True

    lab = lab_factory(state_variant(tmp_path, "sfb2019-teams", already_on))
    tasks = [federation_task(shared_sip_address_space=False)]
    out = run(
        [
            "ansible-playbook",
            "-i",
            str(lab.inventory),
            str(playbook(tmp_path, tasks=tasks)),
            *(["--check"] if check else []),
        ]
    )
    final = lab.stop()

    assert play_recap(out.stdout)["failed"] == 1
    assert "Microsoft no longer allows turning SharedSipAddressSpace off" in out.stdout
    assert '"reason": "shared_sip_address_space_disable_unsupported"' in out.stdout
    assert wsman_commands(lab) == 1
    # In check mode nothing is sent to Set; otherwise the tenant's own refusal is in the result.
    if check:
        assert set_calls(lab) == []
    else:
        assert [call["status"] for call in set_calls(lab)] == ["error"]
        assert "not supported anymore" in out.stdout.split('"error_record"', 1)[1]
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True
    assert lab.journal("change") == []
    assert_sessions_closed(lab, final)


def test_busy_tenant_is_retried_and_then_changed_once(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    def busy(data: dict[str, t.Any]) -> None:
        data["faults"] = {"online_busy_connects": 2}

    lab = lab_factory(state_variant(tmp_path, "sfb2019-teams", busy))
    tasks = [
        federation_task(shared_sip_address_space=True, retries=3, delay=1),
        {
            "name": "Check the attempts",
            "ansible.builtin.assert": {"that": ["federation is changed", "federation.attempts == 3"]},
        },
    ]
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=tasks))])
    final = lab.stop()

    assert out.returncode == 0, out.stdout + out.stderr
    # Two refused connects, each its own command after a wait, then the one that worked.
    assert wsman_commands(lab) == 3
    assert len(sessions(lab, "refused")) == 2
    assert len(set_calls(lab)) == 1
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True
    assert_sessions_closed(lab, final)
