"""What the end-to-end tests of the tenant modules share: playbooks, state variants, journal counts."""

from __future__ import annotations

import json
import pathlib
import typing as t

import yaml

from tests.e2e.lab import REPO, STATES, Lab
from tests.lab.host import compact_runner, shipped
from tests.lab.journal import MASK
from tests.lab.pwsh import modulelog

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


# The one command line every task sends: the data-free bootstrap (the data goes on stdin).
BOOTSTRAP = (REPO / "plugins" / "plugin_utils" / "bootstrap.ps1").read_text(encoding="utf-8").strip()
COMMAND_ARGUMENTS = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-EncodedCommand"]
CONNECT_CMDLETS = ("New-CsOnlineSession", "Connect-MicrosoftTeams")


def assert_secrets_only_in_credentials(lab: Lab) -> None:
    """What the lab saw, checked so that its masking cannot hide a leak.

    The journal replaces every secret of the state with the mask when it writes, so a secret
    missing from the journal proves nothing. Instead: every command line is exactly the
    bootstrap (compared whole: a secret on it, masked or not, makes it differ), and the mask
    appears only where the lab hides credentials by design, the ``Credential`` parameter of
    the connect cmdlet; a secret bound to any other parameter, or echoed anywhere, shows.
    """
    commands = [e for e in lab.journal("wsman") if e.get("action") == "Command"]
    # A Command request the lab's transport faults dropped (or answered with HTTP 500) was not read.
    unread = [e for e in commands if e.get("injected") in ("drop", "http_500")]
    assert all("command_line" not in e and "arguments" not in e for e in unread), unread
    commands = [e for e in commands if e not in unread]
    assert commands, "no command reached the lab"
    for command in commands:
        assert command["command_line"] == BOOTSTRAP
        assert command["arguments"][:-1] == COMMAND_ARGUMENTS
        assert command["arguments"][-1].endswith("base64 chars, decoded into command_line>")
    runner = compact_runner(shipped("runner.ps1"))
    for event in lab.journal():
        # The runner's own text holds the mask (it reports a SecureString so): module logging of
        # ConvertFrom-Json records that text, and only its own masks are allowed there.
        if MASK not in json.dumps(event, ensure_ascii=False) or modulelog.runner_text_only(event, runner, MASK):
            continue
        assert event["event"] == "cmdlet" and event["name"] in CONNECT_CMDLETS, event
        others = {name: value for name, value in event["params"].items() if name != "Credential"}
        assert event["params"]["Credential"] == MASK and MASK not in json.dumps(others, ensure_ascii=False), event


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
