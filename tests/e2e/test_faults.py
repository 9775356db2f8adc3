"""Faults end to end: playbooks/prereqs.yml against lab hosts that misbehave on purpose.

Transport faults are played by the lab's WinRM server (a dropped connection, HTTP 500, a
WS-Management operation timeout, refused shells); model faults by the host and tenant
behind it (a busy tenant, wrong or MFA-bound credentials, no connector, no Lync, a refused
Set, a disconnect that fails). For each the tests assert what an administrator gets: a
message naming the cause and the remedy (key phrases), no Python traceback anywhere in
what Ansible printed, no partial change in the lab's final state (tenant federation, host
modules, everything else) and no tenant session left open (journal and final counters).

Already proven elsewhere and not repeated here:

* an unpublished topology (with every other readiness failure of ``broken``): one failed
  assert listing each check with its remedy, no session, nothing changed -- test_role.py,
  test_broken_deployment_fails_once_listing_every_check_with_its_remedy;
* MicrosoftTeams missing and no source: the readiness assert names it, no session --
  test_role.py, test_missing_microsoft_teams_without_a_source_fails_the_checks (here: the
  next lines of defence, when that check is ignored);
* the admin's own session limit (open_sessions=3) with retries and back-off timing, and a
  missing override_admin_domain -- test_cs_online_session.py.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import (
    assert_secrets_only_in_credentials,
    assert_sessions_closed,
    sessions,
    state_variant,
    wsman_commands,
)
from tests.lab.state import load_state

pytestmark = pytest.mark.lab

PLAYBOOK = "playbooks/prereqs.yml"
# A busy tenant is retried at once: the back-off itself is timed in test_cs_online_session.py.
NO_WAIT = ("-e", "lync_online_prereqs_delay=0")
FEDERATION_ONLY = ("--tags", "lync_online_prereqs_federation")
ADMIN = "admin@contoso.onmicrosoft.com"
# lync2013-ready's secrets: the WinRM account's and the tenant admin's passwords.
SECRETS = ("Lab-Adm1n-Passw0rd!", "Tenant-Adm1n-Passw0rd!")
# What Python prints when an exception escapes instead of being explained.
PYTHON_FAILURE = re.compile(
    r"Traceback|\b\w*Exception: |\b(?:KeyError|TypeError|ValueError|AttributeError|IndexError|NameError)\b"
)
# The role's tasks that reach the host, in order; each is one WinRM shell of six WS-Man
# requests: Create, Command, Send (stdin), Receive, Signal, Delete.
REQUESTS_PER_TASK = 6
REQUEST = {"Create": 1, "Command": 2, "Send": 3, "Receive": 4}
TRANSPORT_REMEDY = (
    "Check that the host and its WinRM service answer",
    "run the task again: lync.hybrid modules change only what still differs",
)


def prereqs(lab: Lab, *args: str) -> t.Any:
    return run(["ansible-playbook", PLAYBOOK, "-i", str(lab.inventory), *NO_WAIT, *args])


def with_faults(tmp_path: pathlib.Path, name: str, **faults: t.Any) -> pathlib.Path:
    return state_variant(tmp_path, name, lambda data: data.update(faults=faults))


def initial(state: pathlib.Path) -> dict[str, t.Any]:
    return load_state(state).to_dict()


def with_ssas(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """The state after the role's one change: the tenant shares the SIP address space."""
    changed = copy.deepcopy(state)
    changed["tenant"]["federation"]["shared_sip_address_space"] = True
    return changed


def fatal(out: t.Any) -> tuple[str, dict[str, t.Any]]:
    """The one ``fatal:`` line: its kind (FAILED or UNREACHABLE) and its result."""
    lines = [line for line in out.stdout.splitlines() if line.startswith("fatal: [")]
    assert len(lines) == 1, out.stdout
    kind = re.search(r"\]: (\w+)! => ", lines[0])
    assert kind is not None, lines[0]
    return kind.group(1), json.loads(lines[0].split(" => ", 1)[1])


def unreachable_at_the_facts(out: t.Any) -> dict[str, t.Any]:
    """The role keeps a server it cannot reach for one task that fails it, so the report can say why.

    Ansible prints the connection's UNREACHABLE (ignored), then the role's FAILED naming it; the run
    ends with exit code 2 and the server counted as failed. Returns the UNREACHABLE result.
    """
    lines = [line for line in out.stdout.splitlines() if line.startswith("fatal: [")]
    assert len(lines) == 2, out.stdout
    assert "]: UNREACHABLE! => " in lines[0] and "]: FAILED! => " in lines[1], lines
    unreachable = json.loads(lines[0].split(" => ", 1)[1])
    failed = json.loads(lines[1].split(" => ", 1)[1])
    assert failed["msg"] == f"lync-fe01 is unreachable: {unreachable['msg']}", failed
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"Unreachable: {unreachable['msg']}" in report_text(out)
    return unreachable


def report_text(out: t.Any) -> str:
    """The report the run says it wrote (the latest copy)."""
    match = re.search(r'"msg": "Readiness report: (\S+) ', out.stdout)
    assert match, out.stdout
    return pathlib.Path(match.group(1)).read_text(encoding="utf-8")


def assert_explained(out: t.Any) -> None:
    """Nothing Ansible printed shows a Python exception that escaped."""
    text = out.stdout + out.stderr
    match = PYTHON_FAILURE.search(text)
    assert match is None, text[max(0, match.start() - 400) : match.end() + 400] if match else ""


def report(lab: Lab) -> str:
    return (lab.workdir / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")


def federation_sets(lab: Lab) -> list[dict[str, t.Any]]:
    return [e for e in lab.journal("cmdlet") if re.fullmatch(r"Set-\w*CsTenantFederationConfiguration", e["name"])]


def injected(lab: Lab) -> list[tuple[str, str]]:
    return [(e["injected"], e["action"]) for e in lab.journal("wsman") if e.get("injected")]


# --- transport ---------------------------------------------------------------------------------


def test_operation_timeouts_are_retried_transparently(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """A WS-Management OperationTimeout on every task's Receive (and 20 ms latency): the client just asks again."""
    receives = [task * REQUESTS_PER_TASK + REQUEST["Receive"] for task in range(3)]
    state = with_faults(tmp_path, "lync2013-ready", operation_timeout_at_request=receives, latency_ms=20)
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["unreachable"] == 0 and recap["changed"] == 1, out.stdout
    assert_explained(out)
    assert injected(lab) == [("operation_timeout", "Receive")] * 3
    # Each task's command (facts, connector, federation with the session probe) ran once; only the Receive repeated.
    assert wsman_commands(lab) == 3
    assert all(e["accepted"] for e in lab.journal("command")) and len(lab.journal("command")) == 3
    assert len(federation_sets(lab)) == 1
    assert final == with_ssas(initial(state))
    assert_sessions_closed(lab, final)


@pytest.mark.parametrize(
    ("fault", "action", "cause", "ran"),
    [
        ("drop_connection_at_request", "Command", "the connection was closed", False),
        # pywinrm retries on a new connection with the old connection's encryption: HTTP 400.
        ("drop_connection_at_request", "Send", "Bad Request|Code 400", False),
        ("drop_connection_at_request", "Receive", "the connection was closed", True),
        ("http_500_at_request", "Command", "Bad HTTP response returned from server. Code 500", False),
        ("http_500_at_request", "Receive", "Bad HTTP response returned from server. Code 500", True),
    ],
    ids=["drop-command", "drop-stdin", "drop-output", "500-command", "500-output"],
)
def test_transport_failure_during_the_federation_task(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, fault: str, action: str, cause: str, ran: bool
) -> None:
    """The federation task alone (its tag), so its requests are 1-6; the fault hits one of them.

    Before the runner has its stdin nothing happens on the host. When only the output is
    lost the runner has finished its one command -- the Set and the closed session -- so the
    tenant holds the whole change, never part of it, and a second run changes nothing.
    """
    state = with_faults(tmp_path, "lync2013-ready", **{fault: REQUEST[action]})
    lab = lab_factory(state)
    out = prereqs(lab, *FEDERATION_ONLY)
    kind, result = fatal(out)
    assert out.returncode == 4, out.stdout + out.stderr
    assert kind == "UNREACHABLE" and play_recap(out.stdout)["unreachable"] == 1
    message = result["msg"]
    assert "The WinRM connection to 127.0.0.1 failed while the lync.hybrid command ran" in message
    assert re.search(cause, message), message
    assert "may not have started, or may have finished without its result arriving" in message
    assert all(phrase in message for phrase in TRANSPORT_REMEDY), message
    assert_explained(out)
    assert [secret for secret in SECRETS if secret in out.stdout + out.stderr] == []
    assert injected(lab) == [({"drop_connection_at_request": "drop"}.get(fault, "http_500"), action)]
    # Right after the failure: the runner ran its whole request or nothing of it.
    if ran:
        assert [e["accepted"] for e in lab.journal("command")] == [True]
        assert [(e["object"], e["property"], e["after"]) for e in lab.journal("change")] == [
            ("tenant.federation", "shared_sip_address_space", True)
        ]
        assert len(sessions(lab, "open")) == len(sessions(lab, "close")) == 1
    else:
        assert lab.journal("command") == [] and lab.journal("change") == [] and lab.journal("online_session") == []

    again = prereqs(lab, *FEDERATION_ONLY)
    final = lab.stop()
    assert again.returncode == 0, again.stdout + again.stderr
    assert play_recap(again.stdout)["changed"] == (0 if ran else 1), again.stdout
    # One Set in all: by the interrupted run if its command ran, else by the second run.
    assert len(federation_sets(lab)) == 1
    assert final == with_ssas(initial(state))
    assert_sessions_closed(lab, final)
    assert_secrets_only_in_credentials(lab)


def test_throttled_connects_are_unreachable_then_a_rerun_succeeds(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """The WinRM service refuses the first shell (quota): the run stops before anything ran; the next run works."""
    state = with_faults(tmp_path, "lync2013-ready", throttle_first_connects=1)
    lab = lab_factory(state)
    first = prereqs(lab)
    result = unreachable_at_the_facts(first)
    assert "maximum number of 5 concurrent shells" in result["msg"]
    assert "Close existing shells or raise the quota for this user" in result["msg"]
    assert_explained(first)
    assert lab.journal("command") == [] and lab.journal("online_session") == []

    second = prereqs(lab)
    final = lab.stop()
    assert second.returncode == 0, second.stdout + second.stderr
    assert play_recap(second.stdout)["changed"] == 1
    assert injected(lab) == [("throttle", "Create")]
    assert final == with_ssas(initial(state))
    assert_sessions_closed(lab, final)


def test_always_throttled_host_is_unreachable_and_untouched(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    state = with_faults(tmp_path, "lync2013-ready", always_throttle=True)
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    result = unreachable_at_the_facts(out)
    recap = play_recap(out.stdout)
    assert recap["unreachable"] == 0 and recap["changed"] == 0 and recap["failed"] == 1
    assert "Gather the Lync deployment facts" in out.stdout.split("fatal: [")[0].rsplit("TASK [", 1)[1]
    assert "maximum number of 5 concurrent shells" in result["msg"]
    assert "Close existing shells or raise the quota for this user" in result["msg"]
    assert_explained(out)
    assert lab.journal("command") == [] and lab.journal("online_session") == []
    assert final == initial(state)


# --- the tenant ---------------------------------------------------------------------------------


def test_busy_tenant_is_retried_by_the_role(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    """The first two online connects meet 'maximum number of concurrent shells'; the role's retries get through."""
    state = with_faults(tmp_path, "lync2013-ready", online_busy_connects=2)
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 1, out.stdout
    assert_explained(out)
    assert len(sessions(lab, "refused")) == 2
    assert len(sessions(lab, "open")) == 1  # the federation task with the session probe, third attempt
    # facts, connector, three attempts of the federation task (one command each).
    assert wsman_commands(lab) == 5
    assert final == with_ssas(initial(state))
    assert_sessions_closed(lab, final)


def test_always_busy_tenant_fails_after_the_retries(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    state = with_faults(tmp_path, "lync2013-ready", online_busy_connects=99)
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    assert result["reason"] == "concurrent_shells"
    assert result["attempts"] == 4  # the role's default retries=3
    assert f"{ADMIN} already has the maximum number of concurrent remote PowerShell sessions" in result["msg"]
    assert "Wait for idle sessions to expire" in result["msg"] and "raise 'retries'/'delay'" in result["msg"]
    assert result["session_closed"] is True
    assert_explained(out)
    assert len(sessions(lab, "refused")) == 4
    assert federation_sets(lab) == []
    assert final == initial(state)
    assert_sessions_closed(lab, final)
    text = report(lab)
    assert "Session failed: The tenant refused the session" in text
    # One task proved the session and would have set federation: both sections give its refusal.
    assert "Not changed: The tenant refused the session" in text


def test_wrong_password(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    wrong = "Wr0ng-Tenant-Passw0rd!"
    state = state_variant(
        tmp_path, "lync2013-ready", lambda data: data["inventory"].update(lync_online_prereqs_password=wrong)
    )
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    assert result["reason"] == "invalid_credentials"
    assert f"The tenant rejected the credentials of {ADMIN}." in result["msg"]
    assert "Check username and password" in result["msg"]
    assert "AADSTS50126" in result["error_record"]["message"]
    assert wrong not in out.stdout + out.stderr + report(lab)
    assert_secrets_only_in_credentials(lab)
    assert_explained(out)
    assert [e["account"] for e in sessions(lab, "refused")] == [ADMIN]
    assert final == initial(state)
    assert_sessions_closed(lab, final)
    assert "Session failed: The tenant rejected the credentials" in report(lab)


def test_mfa_account_is_sent_to_certificate_authentication(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """sfb2019-teams with the MFA-bound admin's name and password instead of the certificate."""

    def credentials(data: dict[str, t.Any]) -> None:
        logon = data["inventory"]
        for name in ("certificate_thumbprint", "application_id", "tenant_id"):
            del logon[f"lync_online_prereqs_{name}"]
        admin = data["tenant"]["admins"][0]
        logon.update(lync_online_prereqs_username=admin["user"], lync_online_prereqs_password=admin["password"])

    state = state_variant(tmp_path, "sfb2019-teams", credentials)
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    assert result["reason"] == "mfa_required"
    assert "admin@fabrikam.onmicrosoft.com requires multi-factor authentication" in result["msg"]
    assert "Use certificate authentication with connector=microsoft_teams" in result["msg"]
    assert "set certificate_thumbprint, application_id and tenant_id" in result["msg"]
    assert_explained(out)
    assert len(sessions(lab, "refused")) == 1 and sessions(lab, "open") == []
    assert final == initial(state)
    assert_sessions_closed(lab, final)


@pytest.mark.parametrize("connector_area", [True, False], ids=["connector-area", "no-connector-area"])
def test_missing_connector_when_the_readiness_check_is_ignored(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, connector_area: bool
) -> None:
    """MicrosoftTeams is not installed and the inventory ignores the online_connector check.

    The connector area then fails for want of a source; without that area, the session
    probe fails because the module is missing. Either way nothing is installed or opened.
    """

    def no_teams(data: dict[str, t.Any]) -> None:
        data["host"]["modules"] = []
        data["inventory"]["lync_online_prereqs_ignore_checks"] = ["online_connector"]

    state = state_variant(tmp_path, "sfb2019-teams", no_teams)
    lab = lab_factory(state)
    out = prereqs(lab, "-e", f"lync_online_prereqs_connector_enabled={connector_area}")
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    if connector_area:
        assert result["reason"] == "source_required"
        assert (
            "MicrosoftTeams >= 6.2.1 is not installed (the host has no version) and no source was given"
            in result["msg"]
        )
        assert "Set source to a PowerShell repository name" in result["msg"]
    else:
        assert result["reason"] == "connector_missing"
        assert "The online connector module MicrosoftTeams is not installed on this host." in result["msg"]
        assert "Install it first with lync.hybrid.cs_online_connector." in result["msg"]
    assert_explained(out)
    assert lab.journal("online_session") == []
    assert lab.journal("change") == []
    assert final == initial(state)
    assert [module for module in final["host"]["modules"] if module["name"] == "MicrosoftTeams"] == []


def test_host_without_lync(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    state = state_variant(tmp_path, "sfb2019-teams", lambda data: data.pop("deployment"))
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    assert result["reason"] == "onprem_module_missing"
    assert "Neither the SkypeForBusiness nor the Lync management module is available" in result["msg"]
    assert "Run the task against a Front End server" in result["msg"]
    assert_explained(out)
    assert wsman_commands(lab) == 1
    assert lab.journal("online_session") == []
    assert final == initial(state)
    text = report(lab)
    assert "No deployment facts were gathered for this server." in text
    assert "No tenant session was opened." in text


@pytest.mark.parametrize(
    ("error", "reason", "phrases"),
    [
        (
            "Access is denied.",
            "insufficient_rights",
            [
                "Could not change the tenant federation configuration",
                f"{ADMIN} may open a session but not change",
                "(Access is denied)",
                "Give the account the roles Microsoft requires: Global Administrator, or Teams Administrator "
                "together with User Administrator (an application: Teams Administrator).",
            ],
        ),
        (
            # Not one the collection knows: the tenant's own words, cause and remedy, are relayed whole.
            "The server encountered an error processing the request. Please try again later.",
            "host_error",
            ["Could not change the tenant federation configuration: The server encountered an error processing "
             "the request. Please try again later."],
        ),
    ],
    ids=["access-denied", "unknown-error"],
)  # fmt: skip
def test_a_refused_set_changes_nothing(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, error: str, reason: str, phrases: list[str]
) -> None:
    state = with_faults(tmp_path, "lync2013-ready", set_error=error)
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    assert result["reason"] == reason
    assert all(phrase in result["msg"] for phrase in phrases), result["msg"]
    assert result["error_record"]["message"] == error
    assert result["federation"]["SharedSipAddressSpace"] is False
    assert result["session_closed"] is True
    assert_explained(out)
    (call,) = federation_sets(lab)
    assert call["status"] == "error"
    assert lab.journal("change") == []
    assert final == initial(state)
    assert_sessions_closed(lab, final)
    assert f"Not changed: {result['msg']}" in report(lab)


def test_tenant_read_refused_stops_before_the_federation_task(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    state = with_faults(tmp_path, "lync2013-ready", cmdlet_errors={"Get-CsTenant": "Access is denied."})
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    kind, result = fatal(out)
    assert out.returncode == 2 and kind == "FAILED", out.stdout + out.stderr
    assert result["reason"] == "insufficient_rights"
    assert "The session opened but Get-CsTenant failed" in result["msg"]
    assert (
        "Give the account the roles Microsoft requires: Global Administrator, or Teams Administrator together with "
        "User Administrator (an application: Teams Administrator)." in result["msg"]
    )
    assert_explained(out)
    assert federation_sets(lab) == []
    assert final == initial(state)
    assert_sessions_closed(lab, final)


def test_failed_disconnect_is_a_warning_and_the_connection_ends_with_its_process(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """MicrosoftTeams: Disconnect-MicrosoftTeams fails after the work is done; the change stands, with a warning."""
    state = with_faults(tmp_path, "sfb2019-teams", disconnect_error="The token cache could not be cleared.")
    lab = lab_factory(state)
    out = prereqs(lab)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert play_recap(out.stdout)["changed"] == 1
    # The one tenant task (federation with the session probe) warns.
    assert "[WARNING]: The tenant session could not be closed: The token cache could not be cleared." in out.stderr
    assert "ends the MicrosoftTeams connection with it" in out.stderr
    assert "limit of 3" not in out.stderr
    disconnects = [e for e in lab.journal("cmdlet") if e["name"] == "Disconnect-MicrosoftTeams"]
    assert [e["status"] for e in disconnects] == ["error"]
    assert_explained(out)
    # Nothing was closed by the runner, but a Teams connection ends with its PowerShell process.
    assert len(sessions(lab, "open")) == 1 and sessions(lab, "close") == []
    assert len(sessions(lab, "abandoned")) == 1
    assert all(app["open_sessions"] == 0 for app in final["tenant"]["app_registrations"])
    assert final == with_ssas(initial(state))
