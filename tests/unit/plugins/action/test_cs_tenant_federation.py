"""lync.hybrid.cs_tenant_federation against the in-process lab host (the real runner protocol).

Both lab tenants start with SharedSipAddressSpace false: Contoso through the legacy
LyncOnlineConnector (lync2013-ready), Fabrikam through MicrosoftTeams with app-only
certificate authentication (sfb2019-teams). The journal shows what reached the tenant.
"""

from __future__ import annotations

import functools
import json
import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils import _federation, _online, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import decode_payload

from tests.unit.plugins.action import lab_support
from tests.unit.plugins.action.harness import make_action
from tests.unit.plugins.action.lab_support import (
    ADMIN,
    APPLICATION,
    CERTIFICATE,
    LEGACY,
    PASSWORD,
    THUMBPRINT,
    assert_closed,
    state,
)


class Lab(lab_support.Lab):
    module = "cs_tenant_federation"

    def sets(self) -> list[dict[str, t.Any]]:
        """Every Set-CsTenantFederationConfiguration that reached the tenant (prefixed or not), any outcome."""
        return [e for e in self.journal.select("cmdlet") if _is(e["name"], "Set")]

    def gets(self) -> list[dict[str, t.Any]]:
        return [e for e in self.journal.select("cmdlet") if _is(e["name"], "Get")]

    @property
    def federation(self) -> dict[str, t.Any]:
        return self.state.tenant["federation"]


def _is(name: str, verb: str) -> bool:
    return name.startswith(f"{verb}-") and name.endswith("CsTenantFederationConfiguration")


SSAS_ON = {"shared_sip_address_space": True}
# Each lab state with the logon its inventory uses.
STATES = {"lync2013-ready": LEGACY, "sfb2019-teams": CERTIFICATE}
BOTH = pytest.mark.parametrize(("name", "auth"), list(STATES.items()), ids=["legacy", "teams"])
UNSUPPORTED = "shared_sip_address_space_disable_unsupported"


def with_federation(name: str, **values: t.Any) -> dict[str, t.Any]:
    data = state(name)
    data["tenant"]["federation"].update(values)
    return data


def with_faults(name: str, **faults: t.Any) -> dict[str, t.Any]:
    data = state(name)
    data["faults"] = faults
    return data


def sent_steps(connection: t.Any) -> list[dict[str, t.Any]]:
    """The steps of the one request sent (what the runner was asked to do)."""
    (_command, _arguments, stdin) = connection.commands[0]
    return decode_payload(stdin)["request"]["steps"]


def ok(result: dict[str, t.Any]) -> dict[str, t.Any]:
    assert "failed" not in result, result
    return result


def failed(result: dict[str, t.Any], reason: str | None = None, changed: bool = False) -> str:
    assert result["failed"] is True, result
    assert result["changed"] is changed
    assert "exception" not in result
    if reason is not None:
        assert result.get("reason") == reason, result
    return result["msg"]


# --- check mode ------------------------------------------------------------------------------


@BOTH
def test_check_mode_reads_only_and_predicts_the_change(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(name)
    result, connection = lab.run({**auth, **SSAS_ON}, check_mode=True, diff=True)

    ok(result)
    assert result["changed"] is True
    assert result["changed_properties"] == ["SharedSipAddressSpace"]
    assert result["federation_before"]["SharedSipAddressSpace"] is False
    assert result["federation"] == {**result["federation_before"], "SharedSipAddressSpace": True}
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert before["SharedSipAddressSpace"] is False and after["SharedSipAddressSpace"] is True
    assert {key for key in before if before[key] != after[key]} == {"SharedSipAddressSpace"}
    assert before["AllowedDomains"] == "AllowAllKnownDomains"
    # One command, one Get, no Set asked for or sent, nothing changed.
    assert len(connection.commands) == 1
    assert [step["id"] for step in sent_steps(connection)] == ["before"]
    assert len(lab.gets()) == 1
    assert lab.sets() == []
    assert lab.changes() == []
    assert lab.state.to_dict() == lab.before
    assert result["session_closed"] is True and result["attempts"] == 1
    assert_closed(lab)


def test_check_mode_imports_only_the_read_cmdlet() -> None:
    lab = Lab("lync2013-ready")
    lab.run({**LEGACY, **SSAS_ON}, check_mode=True)
    imported = lab.calls("Import-PSSession")[0]["params"]
    assert imported["CommandName"] == ["Get-CsTenantFederationConfiguration"]
    assert imported["Prefix"] == "LyncHybrid"


@BOTH
def test_check_mode_without_drift_is_not_changed(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(with_federation(name, shared_sip_address_space=True))
    result, _connection = lab.run({**auth, **SSAS_ON}, check_mode=True, diff=True)
    assert ok(result)["changed"] is False
    assert result["changed_properties"] == []
    assert result["diff"]["before"] == result["diff"]["after"]
    assert lab.sets() == []


# --- apply -----------------------------------------------------------------------------------


@BOTH
def test_apply_sends_one_set_with_only_the_drifted_value(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(name)
    result, connection = lab.run({**auth, **SSAS_ON})

    ok(result)
    assert result["changed"] is True
    assert result["changed_properties"] == ["SharedSipAddressSpace"]
    assert "diff" not in result
    (set_call,) = lab.sets()
    assert set_call["status"] == "ok"
    assert set_call["params"] == {"Identity": "Global", "SharedSipAddressSpace": True}
    # Read, Set and read-back in the one command and the one session.
    assert len(connection.commands) == 1
    assert len(lab.gets()) == 2
    assert len(lab.sessions("open")) == 1
    assert result["federation"]["SharedSipAddressSpace"] is True
    assert result["federation_before"]["SharedSipAddressSpace"] is False
    # Only that property changed in the tenant.
    assert [(c["property"], c["before"], c["after"]) for c in lab.changes()] == [
        ("shared_sip_address_space", False, True)
    ]
    before_federation = lab.before["tenant"]["federation"]
    assert lab.federation == {**before_federation, "shared_sip_address_space": True}
    assert result["session_closed"] is True and result["attempts"] == 1
    # A named legacy connector is warned about, MicrosoftTeams is not.
    legacy = auth["connector"] == "lync_online_connector"
    assert result.get("warnings", []) == (
        [_online.RETIRED.format(module="LyncOnlineConnector", option="connector")] if legacy else []
    )
    assert_closed(lab)


def test_apply_reports_the_connector_and_the_read_back() -> None:
    lab = Lab("sfb2019-teams")
    result, connection = lab.run({**CERTIFICATE, **SSAS_ON}, diff=True)
    assert result["connector"] == "microsoft_teams"
    assert result["federation"] == {
        "Identity": "Global",
        "AllowedDomains": "AllowAllKnownDomains",
        "BlockedDomains": [],
        "AllowFederatedUsers": True,
        "AllowPublicUsers": True,
        "AllowTeamsConsumer": True,
        "AllowTeamsConsumerInbound": True,
        "TreatDiscoveredPartnersAsUnverified": False,
        "SharedSipAddressSpace": True,
        "RestrictTeamsConsumerToExternalUserProfiles": False,
    }
    assert result["diff"] == {"before": result["federation_before"], "after": result["federation"]}
    # The Set carries only Identity; the runner adds just the values that differ from the read.
    steps = {step["id"]: step for step in sent_steps(connection)}
    assert list(steps) == ["before", "set", "after"]
    assert steps["set"]["params"] == {"Identity": "Global"}
    assert steps["set"]["when_differs"] == {"step": "before", "values": {"SharedSipAddressSpace": True}}
    assert steps["before"]["select"] == list(_federation.REPORTED)


def test_legacy_sessions_import_only_the_two_federation_cmdlets() -> None:
    lab = Lab("lync2013-ready")
    result, _connection = lab.run({**LEGACY, **SSAS_ON})
    assert result["connector"] == "lync_online_connector"
    imported = lab.calls("Import-PSSession")[0]["params"]
    assert imported["CommandName"] == [
        "Get-CsTenantFederationConfiguration",
        "Set-CsTenantFederationConfiguration",
    ]
    assert lab.calls("New-CsOnlineSession")[0]["params"] == {
        "Credential": "********",
        "OverrideAdminDomain": "contoso.onmicrosoft.com",
    }
    # The legacy object has no Teams consumer settings: reported as null, never invented.
    assert result["federation"]["AllowTeamsConsumer"] is None


@BOTH
def test_domain_lists_are_never_sent(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(with_federation(name, allowed_domains=["partner.example"], blocked_domains=["spam.example"]))
    result, _connection = lab.run({**auth, **SSAS_ON, "allow_federated_users": False})
    ok(result)
    (set_call,) = lab.sets()
    assert set(set_call["params"]) == {"Identity", "SharedSipAddressSpace", "AllowFederatedUsers"}
    assert lab.federation["allowed_domains"] == ["partner.example"]
    assert lab.federation["blocked_domains"] == ["spam.example"]
    assert {c["property"] for c in lab.changes()} == {"shared_sip_address_space", "allow_federated_users"}


# --- idempotence -----------------------------------------------------------------------------


@BOTH
def test_second_run_changes_nothing_and_sends_no_set(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(name)
    first, _connection = lab.run({**auth, **SSAS_ON})
    second, connection = lab.run({**auth, **SSAS_ON}, diff=True)
    checked, _connection = lab.run({**auth, **SSAS_ON}, check_mode=True)

    assert ok(first)["changed"] is True
    assert ok(second)["changed"] is False
    assert second["changed_properties"] == []
    assert second["federation"] == first["federation"]
    assert second["diff"]["before"] == second["diff"]["after"]
    assert ok(checked)["changed"] is False
    assert len(connection.commands) == 1
    assert len(lab.sets()) == 1
    assert len(lab.changes()) == 1
    assert len(lab.sessions("open")) == 3
    assert_closed(lab)


# --- allow_federated_users / allow_public_users ----------------------------------------------


@pytest.mark.parametrize(
    ("options", "sent"),
    [
        ({"allow_federated_users": False}, {"AllowFederatedUsers": False}),
        (
            {**SSAS_ON, "allow_federated_users": True},
            {"SharedSipAddressSpace": True},
        ),
        (
            {**SSAS_ON, "allow_federated_users": False},
            {"SharedSipAddressSpace": True, "AllowFederatedUsers": False},
        ),
        ({"allow_federated_users": True}, {}),
    ],
    ids=["federated", "ssas-federated-no-drift", "both", "federated-no-drift"],
)
@BOTH
def test_allow_options_alone_and_together(
    name: str, auth: dict[str, t.Any], options: dict[str, bool], sent: dict[str, bool]
) -> None:
    checked_lab, lab = Lab(name), Lab(name)
    checked, _connection = checked_lab.run({**auth, **options}, check_mode=True)
    result, connection = lab.run({**auth, **options})

    for outcome in (checked, result):
        assert ok(outcome)["changed"] is bool(sent)
        assert outcome["changed_properties"] == sorted(sent)
    assert checked["federation"] == result["federation"]
    assert checked_lab.sets() == [] and checked_lab.changes() == []
    assert len(connection.commands) == 1
    if sent:
        (set_call,) = lab.sets()
        assert set_call["params"] == {"Identity": "Global", **sent}
    else:
        assert lab.sets() == []
    for option, prop in _federation.MANAGED.items():
        expected = options.get(option, lab.before["tenant"]["federation"][option])
        assert result["federation"][prop] is expected
        assert lab.federation[option] is expected
    assert_closed(lab)


# --- shared_sip_address_space=false ----------------------------------------------------------


@BOTH
def test_turning_ssas_off_is_refused_in_check_mode_before_any_set(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(with_federation(name, shared_sip_address_space=True))
    result, connection = lab.run({**auth, "shared_sip_address_space": False}, check_mode=True, diff=True)

    msg = failed(result, UNSUPPORTED)
    assert "This scenario is not supported anymore" in msg
    assert "Remove shared_sip_address_space=false from the task" in msg
    assert "error_record" not in result
    assert result["federation"]["SharedSipAddressSpace"] is True
    assert [step["id"] for step in sent_steps(connection)] == ["before"]
    assert lab.sets() == []
    assert lab.changes() == []
    assert result["session_closed"] is True
    assert_closed(lab)


@BOTH
def test_turning_ssas_off_names_microsofts_refusal_and_changes_nothing(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(with_federation(name, shared_sip_address_space=True))
    result, connection = lab.run({**auth, "shared_sip_address_space": False, "allow_federated_users": False})

    msg = failed(result, UNSUPPORTED)
    assert "Microsoft no longer allows turning SharedSipAddressSpace off" in msg
    # The tenant's own refusal is kept for the support case.
    assert "not supported anymore" in result["error_record"]["message"]
    assert "SharedSipAddressSpaceCannotBeDisabled" in result["error_record"]["fqid"]
    (set_call,) = lab.sets()
    assert set_call["status"] == "error"
    # No partial change: the federated-users change in the same Set was not applied either.
    assert lab.changes() == []
    assert lab.state.to_dict() == lab.before
    assert len(connection.commands) == 1
    assert result["session_closed"] is True
    assert_closed(lab)


@BOTH
def test_ssas_false_when_already_false_is_not_an_error(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(name)
    result, _connection = lab.run({**auth, "shared_sip_address_space": False})
    assert ok(result)["changed"] is False
    assert lab.sets() == []


# --- a Set that fails --------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
def test_a_failing_set_is_explained_and_changes_nothing(name: str, auth: dict[str, t.Any], check_mode: bool) -> None:
    message = "The server encountered an error processing the request. Please try again later."
    lab = Lab(with_faults(name, set_error=message))
    result, connection = lab.run({**auth, **SSAS_ON, "allow_federated_users": False}, check_mode=check_mode)

    if check_mode:
        # Check mode never sends the Set, so the fault cannot show.
        assert ok(result)["changed"] is True
        assert lab.sets() == []
    else:
        msg = failed(result, "host_error")
        assert msg == f"Could not change the tenant federation configuration: {message}"
        assert result["error_record"]["message"] == message
        assert result["error_record"]["target"] == "Global"
        assert result["federation"]["SharedSipAddressSpace"] is False
        (set_call,) = lab.sets()
        assert set_call["status"] == "error"
        # The read-back does not run after a failed step.
        assert len(lab.gets()) == 1
        assert result["session_closed"] is True
        assert result["attempts"] == 1
    assert len(connection.commands) == 1
    assert lab.changes() == []
    assert lab.state.to_dict() == lab.before
    assert_closed(lab)


def test_a_throttled_set_is_not_retried() -> None:
    lab = Lab(
        with_faults("sfb2019-teams", cmdlet_errors={"Set-CsTenantFederationConfiguration": "Micro delay applied."})
    )
    result, connection = lab.run({**CERTIFICATE, **SSAS_ON, "retries": 3, "delay": 0})
    msg = failed(result, "throttled")
    assert msg.startswith("Could not change the tenant federation configuration: The tenant throttled the request.")
    # Only a refused connect is retried: a Set that may have reached the tenant is never repeated blindly.
    assert len(connection.commands) == 1
    assert len(lab.sets()) == 1
    assert_closed(lab)


@BOTH
def test_a_failing_read_sends_no_set(name: str, auth: dict[str, t.Any]) -> None:
    faults = {"cmdlet_errors": {"Get-CsTenantFederationConfiguration": "Access is denied."}}
    lab = Lab(with_faults(name, **faults))
    result, _connection = lab.run({**auth, **SSAS_ON})
    msg = failed(result, "insufficient_rights")
    assert msg.startswith("Could not read the tenant federation configuration:")
    assert "may open a session but not read it (Access is denied)" in msg
    assert "Global Administrator, or Teams Administrator together with User Administrator" in msg
    assert "federation" not in result
    assert lab.sets() == []
    assert lab.changes() == []
    assert result["session_closed"] is True
    assert_closed(lab)


# --- the read-back ---------------------------------------------------------------------------


def rewrite_step(lab: Lab, step_id: str, change: t.Callable[[dict[str, t.Any]], None]) -> t.Any:
    """A host that answers like the lab, with one step of the runner's response edited."""

    def host(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        stdout, stderr, rc = lab(command, arguments, stdin)
        text = stdout.decode("ascii")
        position = text.rindex(_runner.MARKER) + len(_runner.MARKER)
        response = json.loads(text[position:])
        change(next(step for step in response["steps"] if step["id"] == step_id))
        return (text[:position] + json.dumps(response)).encode("ascii"), stderr, rc

    return host


def run_on(host: t.Any, args: dict[str, t.Any]) -> dict[str, t.Any]:
    """Run the module against a host callable other than a plain lab."""
    action, _connection = make_action("cs_tenant_federation", args, host)
    return action.run(task_vars={})


def test_a_value_the_tenant_did_not_take_fails_as_not_applied() -> None:
    lab = Lab("sfb2019-teams")

    def stale(step: dict[str, t.Any]) -> None:
        step["output"][0]["SharedSipAddressSpace"] = False

    result = run_on(rewrite_step(lab, "after", stale), {**CERTIFICATE, **SSAS_ON})
    msg = failed(result, "not_applied", changed=True)  # the tenant accepted the Set
    assert msg.startswith("The tenant still reports {'SharedSipAddressSpace': False} after the change was sent.")
    assert "run the task again in a few minutes" in msg
    assert result["federation"]["SharedSipAddressSpace"] is False
    assert result["session_closed"] is True


def test_a_failed_read_back_after_a_set_is_a_warning() -> None:
    lab = Lab("lync2013-ready")

    def lost(step: dict[str, t.Any]) -> None:
        step.update(status="error", output=[], error={"message": "Micro delay applied.", "fqid": "Throttled"})

    result = run_on(rewrite_step(lab, "after", lost), {**LEGACY, **SSAS_ON})
    assert ok(result)["changed"] is True
    assert result["federation"]["SharedSipAddressSpace"] is True
    assert result["warnings"][1:] == [
        "The change was made but reading it back failed (Micro delay applied.); 'federation' shows the values sent."
    ]
    assert lab.federation["shared_sip_address_space"] is True


def test_a_read_that_returns_nothing_fails_cleanly() -> None:
    lab = Lab("sfb2019-teams")

    def empty(step: dict[str, t.Any]) -> None:
        step["output"] = []

    result = run_on(rewrite_step(lab, "before", empty), {**CERTIFICATE, **SSAS_ON})
    msg = failed(result)
    assert msg.startswith("Could not read the tenant federation configuration:")


def test_a_session_that_could_not_be_closed_is_a_warning() -> None:
    lab = Lab(with_faults("sfb2019-teams", disconnect_error="The token cache could not be cleared."))
    result, _connection = lab.run({**CERTIFICATE, **SSAS_ON})
    assert ok(result)["changed"] is True
    assert result["session_closed"] is False
    assert len(result["warnings"]) == 1
    assert "could not be closed: The token cache could not be cleared." in result["warnings"][0]
    assert "ends the MicrosoftTeams connection with it" in result["warnings"][0]
    assert "limit of 3" not in result["warnings"][0]


# --- logon and session failures ----------------------------------------------------------------


def test_wrong_password() -> None:
    lab = Lab("lync2013-ready")
    wrong = PASSWORD + "x"
    result, connection = lab.run({**LEGACY, **SSAS_ON, "password": wrong})
    msg = failed(result, "invalid_credentials")
    assert ADMIN in msg and "Check username and password" in msg
    assert "AADSTS50126" in result["error_record"]["message"]
    assert result["session_closed"] is True
    assert result["attempts"] == 1
    assert "federation" not in result
    assert wrong not in json.dumps(result)
    assert len(connection.commands) == 1
    assert lab.sessions("open") == []
    assert lab.sets() == [] and lab.gets() == []


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
def test_mfa_account_is_sent_to_certificate_auth(check_mode: bool) -> None:
    lab = Lab("sfb2019-teams")
    args = {"connector": "microsoft_teams", "username": "admin@fabrikam.onmicrosoft.com", "password": PASSWORD}
    result, _connection = lab.run({**args, **SSAS_ON}, check_mode=check_mode)
    msg = failed(result, "mfa_required")
    assert "multi-factor authentication" in msg
    assert "certificate_thumbprint, application_id and tenant_id" in msg
    assert PASSWORD not in json.dumps(result)
    assert lab.sets() == []
    assert_closed(lab)


def test_wrong_certificate() -> None:
    lab = Lab("sfb2019-teams")
    result, _connection = lab.run({**CERTIFICATE, **SSAS_ON, "certificate_thumbprint": "AB" * 20})
    msg = failed(result, "certificate_not_found")
    assert "Cert:\\LocalMachine\\My" in msg and APPLICATION in msg
    assert lab.sets() == []


def test_connector_not_installed() -> None:
    lab = Lab("sfb2019-teams")
    args = {"connector": "lync_online_connector", "username": ADMIN, "password": PASSWORD}
    result, connection = lab.run({**args, **SSAS_ON})
    msg = failed(result, "connector_missing")
    assert "LyncOnlineConnector" in msg and "lync.hybrid.cs_online_connector" in msg
    assert result["error_record"]["fqid"] == "LyncHybrid.ConnectorMissing"
    assert len(connection.commands) == 1
    assert lab.sessions() == []
    assert lab.gets() == []


def test_endpoint_discovery_without_override_admin_domain() -> None:
    lab = Lab("lync2013-ready")
    args = {key: value for key, value in LEGACY.items() if key != "override_admin_domain"}
    result, _connection = lab.run({**args, **SSAS_ON})
    msg = failed(result, "endpoint_discovery")
    assert "Set override_admin_domain to the tenant's initial domain" in msg
    assert result["session_closed"] is True
    assert lab.gets() == [] and lab.changes() == []


@pytest.mark.parametrize(
    ("name", "auth", "crowd"),
    [
        # Contoso's admin already has the three remote shells the legacy endpoint allows.
        ("lync2013-ready", LEGACY, lambda data: data["tenant"]["admins"][0].update(open_sessions=3)),
        # The Teams endpoint keeps answering "too many shells" (the fault refuses every connect).
        ("sfb2019-teams", CERTIFICATE, lambda data: data.update(faults={"online_busy_connects": 99})),
    ],
    ids=["legacy", "teams"],
)
def test_session_limit_retries_then_fails_clearly(
    name: str, auth: dict[str, t.Any], crowd: t.Callable[[dict[str, t.Any]], None]
) -> None:
    data = state(name)
    crowd(data)
    lab = Lab(data)
    result, connection = lab.run({**auth, **SSAS_ON, "retries": 2, "delay": 0})
    msg = failed(result, "concurrent_shells")
    who = ADMIN if auth is LEGACY else f"application {APPLICATION}"
    assert msg == (
        f"The tenant refused the session: {who} already has the maximum number of concurrent remote PowerShell "
        "sessions open (3 per admin, 20 per tenant). Wait for idle sessions to expire (about 15 minutes), close other "
        "sessions of this account, or raise 'retries'/'delay'."
    )
    assert result["attempts"] == 3
    assert result["session_closed"] is True
    assert len(connection.commands) == 3
    assert len(lab.sessions("refused")) == 3
    assert lab.sessions("open") == []
    assert lab.gets() == [] and lab.sets() == [] and lab.changes() == []
    # Nothing was opened, so nothing is added to the sessions the tenant already counts.
    assert lab.state.tenant == lab.before["tenant"]


@BOTH
def test_busy_tenant_recovers_after_n_refused_connects(name: str, auth: dict[str, t.Any]) -> None:
    lab = Lab(with_faults(name, online_busy_connects=2))
    result, connection = lab.run({**auth, **SSAS_ON, "retries": 3, "delay": 0})
    assert ok(result)["changed"] is True
    assert result["attempts"] == 3
    assert len(connection.commands) == 3
    assert len(lab.sessions("open")) == 1
    assert len(lab.sets()) == 1
    assert lab.federation["shared_sip_address_space"] is True
    assert_closed(lab)


def test_retry_waits_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    lab = Lab(with_faults("sfb2019-teams", online_busy_connects=2))
    waits: list[float] = []
    monkeypatch.setattr(_online, "run_online", functools.partial(_online.run_online, sleep=waits.append))
    action, connection = make_action("cs_tenant_federation", {**CERTIFICATE, **SSAS_ON, "delay": 7}, lab)
    result = action.run(task_vars={})
    assert ok(result)["attempts"] == 3
    assert waits == [7, 14]
    assert len(connection.commands) == 3


# --- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
def test_the_password_travels_only_as_the_credential(check_mode: bool) -> None:
    lab = Lab("lync2013-ready")
    result, connection = lab.run({**LEGACY, **SSAS_ON}, check_mode=check_mode, diff=True)
    ok(result)
    assert PASSWORD not in json.dumps(result)
    lab_support.assert_secret_only_in_credentials(lab, connection, PASSWORD, accounts=[ADMIN])


def test_a_password_echoed_by_the_tenant_is_masked() -> None:
    echo = f"Set failed for the credential {ADMIN}:{PASSWORD}."
    lab = Lab(with_faults("lync2013-ready", set_error=echo))
    result, _connection = lab.run({**LEGACY, **SSAS_ON})
    failed(result)
    text = json.dumps(result)
    assert PASSWORD not in text
    assert f"{ADMIN}:********" in result["msg"]
    # The host did send it back (unmasked, as a tenant's error would), so the result's masking is what hid it.
    ((stdout, _stderr),) = lab.answers
    assert echo in stdout.decode("utf-8")


# --- options refused before anything is sent ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (LEGACY, "Nothing to manage: set at least one of shared_sip_address_space, allow_federated_users"),
        (
            {**LEGACY, "shared_sip_address_space": None, "allow_public_users": None},
            "Nothing to manage: set at least one of shared_sip_address_space",
        ),
        ({**LEGACY, **SSAS_ON, "allow_public_users": False}, "The option allow_public_users was removed"),
        ({**CERTIFICATE, "allow_public_users": True}, "no longer accepts AllowPublicUsers"),
        (SSAS_ON, "one of the following is required: username, certificate_thumbprint"),
        ({**CERTIFICATE, **SSAS_ON, "username": ADMIN, "password": PASSWORD}, "mutually exclusive"),
        ({**SSAS_ON, "username": ADMIN}, "parameters are required together: username, password"),
        ({**SSAS_ON, "certificate_thumbprint": THUMBPRINT}, "certificate_thumbprint, application_id, tenant_id"),
        (
            {**LEGACY, "shared_sip_address_space": "maybe"},
            "'shared_sip_address_space' is of type str and we were unable to convert to bool",
        ),
        (
            {**LEGACY, "allow_public_users": [True]},
            "'allow_public_users' is of type list and we were unable to convert to bool",
        ),
        ({**LEGACY, "allow_federated_users": {"value": True}}, "'allow_federated_users' is of type dict"),
        ({**LEGACY, **SSAS_ON, "retries": "many"}, "'retries' is of type str"),
        ({**LEGACY, **SSAS_ON, "delay": -5}, "'retries' and 'delay' must be zero or more"),
        ({**LEGACY, "shared_sip_address_space": ""}, "The value '' is not a valid boolean"),
        ({**LEGACY, **SSAS_ON, "username": ""}, "'username' must not be empty"),
        ({**LEGACY, **SSAS_ON, "password": "  "}, "'password' must not be empty"),
        ({**LEGACY, **SSAS_ON, "override_admin_domain": " "}, "'override_admin_domain' must not be empty"),
        ({**CERTIFICATE, **SSAS_ON, "tenant_id": ""}, "'tenant_id' must not be empty"),
        ({**LEGACY, **SSAS_ON, "connector": "teams"}, "value of connector must be one of"),
        (
            {**CERTIFICATE, **SSAS_ON, "connector": "lync_online_connector"},
            "Certificate authentication needs connector",
        ),
        (
            {**LEGACY, **SSAS_ON, "connector": "microsoft_teams"},
            "override_admin_domain applies to the legacy connectors only",
        ),
        (
            {**LEGACY, **SSAS_ON, "allowed_domains": ["partner.example"]},
            "unsupported option allowed_domains",
        ),
    ],
    ids=[
        "no-desired-option",
        "all-desired-null",
        "public-users-removed",
        "public-users-removed-certificate",
        "no-auth",
        "both-auth",
        "username-only",
        "thumbprint-only",
        "ssas-not-bool",
        "public-list",
        "federated-dict",
        "retries-type",
        "negative-delay",
        "ssas-empty",
        "empty-username",
        "blank-password",
        "blank-admin-domain",
        "empty-tenant",
        "bad-connector",
        "legacy-certificate",
        "teams-override",
        "domain-lists-not-managed",
    ],
)
@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
def test_invalid_options(args: dict[str, t.Any], message: str, check_mode: bool) -> None:
    lab = Lab("lync2013-ready")
    result, connection = lab.run(args, check_mode=check_mode, diff=True)
    msg = failed(result)
    assert message in msg
    assert "reason" not in result and "diff" not in result
    assert connection.commands == []
    assert lab.journal.events == []
    assert PASSWORD not in json.dumps(result)


def test_the_host_without_the_runner_output_fails_cleanly() -> None:
    def broken(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        return b"", b"powershell.exe is blocked by policy", 1

    msg = failed(run_on(broken, {**LEGACY, **SSAS_ON}))
    assert "did not run the lync.hybrid runner" in msg and "blocked by policy" in msg


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "desired"),
    [
        ({"shared_sip_address_space": True}, {"SharedSipAddressSpace": True}),
        ({"shared_sip_address_space": None, "allow_federated_users": False}, {"AllowFederatedUsers": False}),
        (
            {"shared_sip_address_space": True, "allow_federated_users": True},
            {"SharedSipAddressSpace": True, "AllowFederatedUsers": True},
        ),
        ({}, {}),
    ],
)
def test_desired_values_keep_only_the_options_set(args: dict[str, t.Any], desired: dict[str, bool]) -> None:
    assert _federation.desired_values(args) == desired


def test_check_mode_asks_for_the_read_only() -> None:
    assert [step.id for step in _federation.build_steps({"SharedSipAddressSpace": True}, check_mode=True)] == ["before"]
    steps = _federation.build_steps({"AllowFederatedUsers": False}, check_mode=False)
    assert [(step.id, step.cmdlet) for step in steps] == [
        ("before", "Get-CsTenantFederationConfiguration"),
        ("set", "Set-CsTenantFederationConfiguration"),
        ("after", "Get-CsTenantFederationConfiguration"),
    ]
    assert all(step.scope == "online" and step.params == {"Identity": "Global"} for step in steps)
    assert steps[1].when_differs == {"step": "before", "values": {"AllowFederatedUsers": False}}
