"""What the end-to-end tests of the tenant modules share: playbooks, state variants, journal counts."""

from __future__ import annotations

import pathlib
import typing as t

import yaml

from tests.e2e.lab import STATES, Lab

# Module options from the lab inventory's tenant logon (lync_online_prereqs_*), as the role passes them.
INVENTORY_LOGON = {
    "connector": "{{ lync_online_prereqs_connector | default('auto') }}",
    "username": "{{ lync_online_prereqs_username | default(omit, true) }}",
    "password": "{{ lync_online_prereqs_password | default(omit, true) }}",
    "certificate_thumbprint": "{{ lync_online_prereqs_certificate_thumbprint | default(omit, true) }}",
    "application_id": "{{ lync_online_prereqs_application_id | default(omit, true) }}",
    "tenant_id": "{{ lync_online_prereqs_tenant_id | default(omit, true) }}",
    "override_admin_domain": "{{ lync_online_prereqs_override_admin_domain | default(omit, true) }}",
}


def playbook(
    tmp_path: pathlib.Path, *, role: str | None = None, tasks: list[dict[str, t.Any]] | None = None
) -> pathlib.Path:
    """A play on lync_servers that runs an integration target as a role, or a few tasks of a test's own."""
    play: dict[str, t.Any] = {"hosts": "lync_servers", "gather_facts": False}
    if role is not None:
        play["roles"] = [role]
    if tasks is not None:
        play["tasks"] = tasks
    path = tmp_path / "playbook.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def state_variant(tmp_path: pathlib.Path, name: str, change: t.Callable[[dict[str, t.Any]], None]) -> pathlib.Path:
    """A copy of a lab state file, changed by ``change``, for faults a test needs."""
    data = yaml.safe_load((STATES / f"{name}.yml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / f"{name}-variant.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def wsman_commands(lab: Lab) -> int:
    """WS-Management Command requests: one per process the controller started on the host."""
    return len([e for e in lab.journal("wsman") if e.get("action") == "Command"])


def sessions(lab: Lab, action: str) -> list[dict[str, t.Any]]:
    return [e for e in lab.journal("online_session") if e["action"] == action]


def assert_sessions_closed(lab: Lab, final: dict[str, t.Any]) -> None:
    """Every tenant session opened was closed, none abandoned, none still counted in the final state."""
    assert len(sessions(lab, "open")) == len(sessions(lab, "close"))
    assert sessions(lab, "abandoned") == []
    tenant = final["tenant"]
    assert all(holder["open_sessions"] == 0 for holder in tenant["admins"] + tenant["app_registrations"])
