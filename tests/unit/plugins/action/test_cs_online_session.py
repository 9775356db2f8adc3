"""lync.hybrid.cs_online_session against the in-process lab host (the real runner protocol)."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils import _online, _session
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import decode_payload

from tests.unit.plugins.action import lab_support
from tests.unit.plugins.action.harness import make_action
from tests.unit.plugins.action.lab_support import (
    ADMIN,
    CERTIFICATE,
    CONTOSO,
    FABRIKAM,
    LEGACY,
    PASSWORD,
    THUMBPRINT,
    assert_closed,
    state,
)


class Lab(lab_support.Lab):
    module = "cs_online_session"


# --- success ---------------------------------------------------------------------------------


def test_legacy_connector_reports_the_tenant_and_closes_the_session() -> None:
    lab = Lab("lync2013-ready")
    result, connection = lab.run(LEGACY)

    assert "failed" not in result, result
    assert result["changed"] is False
    assert result["tenant"] == {
        "tenant_id": CONTOSO,
        "display_name": "Contoso",
        "domains": ["contoso.com", "contoso.onmicrosoft.com"],
        "sip_domains": ["contoso.com"],
        "sip_domain_status": {"contoso.com": "Enabled", "contoso.onmicrosoft.com": "Disabled"},
        "identity": f"OU={CONTOSO},OU=OCS Tenants,DC=lync0e001,DC=local",
        "hosted_migration_url": "https://admin0e.online.lync.com/HostedMigration/hostedmigrationService.svc",
        "hosted_migration_url_note": None,
    }
    assert result["connector"] == "lync_online_connector"
    assert result["module_version"] == "5.0.8308.857"
    assert isinstance(result["connect_seconds"], float)
    assert result["session_closed"] is True
    assert result["attempts"] == 1
    # Named explicitly, the retired connector still runs, and says it is retired.
    assert result["warnings"] == [_online.RETIRED.format(module="LyncOnlineConnector", option="connector")]
    assert "diff" not in result
    assert len(connection.commands) == 1
    assert len(lab.sessions("open")) == 1
    assert_closed(lab)
    # Only reads reach the tenant, through the prefixed proxies of the imported session.
    assert [name for name in lab.cmdlets() if "Cs" in name] == [
        "New-CsOnlineSession",
        "Get-LyncHybridCsTenant",
        "Get-LyncHybridCsOnlineSipDomain",
    ]
    assert lab.changes() == []


def test_legacy_session_imports_only_the_two_read_cmdlets() -> None:
    lab = Lab("lync2013-ready")
    lab.run(LEGACY)
    imported = lab.journal.select("cmdlet", name="Import-PSSession")
    assert imported[0]["params"]["CommandName"] == ["Get-CsOnlineSipDomain", "Get-CsTenant"]
    assert imported[0]["params"]["Prefix"] == "LyncHybrid"
    connect = lab.journal.select("cmdlet", name="New-CsOnlineSession")[0]
    assert connect["params"] == {"Credential": "********", "OverrideAdminDomain": "contoso.onmicrosoft.com"}


def test_certificate_auth_with_microsoft_teams() -> None:
    lab = Lab("sfb2019-teams")
    result, connection = lab.run(CERTIFICATE)

    assert "failed" not in result, result
    assert result["changed"] is False
    tenant = result["tenant"]
    assert tenant["tenant_id"] == FABRIKAM
    assert tenant["display_name"] == "Fabrikam"
    # MicrosoftTeams 3.0+ reports VerifiedDomains objects instead of Domains, and no Identity.
    assert tenant["domains"] == ["fabrikam.com", "fabrikam.onmicrosoft.com"]
    assert tenant["sip_domains"] == ["fabrikam.com"]
    assert tenant["sip_domain_status"] == {"fabrikam.com": "Enabled", "fabrikam.onmicrosoft.com": "Disabled"}
    assert tenant["identity"] is None
    assert tenant["hosted_migration_url"] is None
    # Not derivable with MicrosoftTeams 3.0+: the result says why, and why the AutodiscoverUrl makes it unneeded.
    assert tenant["hosted_migration_url_note"] == _session.HOSTED_MIGRATION_URL_NOTE
    assert "MicrosoftTeams 3.0.0 and later" in tenant["hosted_migration_url_note"]
    assert "AutodiscoverUrl" in tenant["hosted_migration_url_note"]
    assert result["connector"] == "microsoft_teams"
    assert result["module_version"] == "6.4.0"
    assert result["session_closed"] is True
    assert len(connection.commands) == 1
    assert lab.journal.select("cmdlet", name="Disconnect-MicrosoftTeams")[0]["status"] == "ok"
    assert_closed(lab)


def test_old_microsoft_teams_still_reports_the_identity() -> None:
    data = state("sfb2019-teams")
    data["host"]["modules"] = [{"name": "MicrosoftTeams", "version": "2.6.0"}]
    # Before 4.9.2 there is no -Certificate: the thumbprint is resolved in the user's store, so the key is there.
    data["host"]["certificates"] = {"current_user": data["host"]["certificates"]["local_machine"]}
    lab = Lab(data)
    result, _connection = lab.run(CERTIFICATE)
    assert result["tenant"]["identity"].endswith("DC=lync2a001,DC=local")
    assert result["tenant"]["hosted_migration_url"] == (
        "https://admin2a.online.lync.com/HostedMigration/hostedmigrationService.svc"
    )
    assert result["tenant"]["hosted_migration_url_note"] is None
    assert result["module_version"] == "2.6.0"


def test_check_mode_runs_the_same_probe() -> None:
    normal_lab, check_lab = Lab("lync2013-ready"), Lab("lync2013-ready")
    normal, _connection = normal_lab.run(LEGACY)
    checked, _connection = check_lab.run(LEGACY, check_mode=True)
    assert checked["changed"] is False
    assert checked["tenant"] == normal["tenant"]
    assert checked["connector"] == normal["connector"]
    assert check_lab.cmdlets() == normal_lab.cmdlets()
    assert check_lab.changes() == []
    assert check_lab.state.to_dict() == normal_lab.state.to_dict()
    assert_closed(check_lab)


def test_diff_mode_returns_no_diff() -> None:
    lab = Lab("sfb2019-teams")
    result, _connection = lab.run(CERTIFICATE, diff=True, check_mode=True)
    assert "diff" not in result
    assert result["changed"] is False


def test_running_twice_gives_the_same_answer() -> None:
    lab = Lab("lync2013-ready")
    first, _connection = lab.run(LEGACY)
    second, _connection = lab.run(LEGACY)
    assert first["tenant"] == second["tenant"]
    assert not first["changed"] and not second["changed"]
    assert len(lab.journal.select("command", accepted=True)) == 2
    assert_closed(lab)


def test_the_password_never_appears_in_the_result() -> None:
    lab = Lab("lync2013-ready")
    result, connection = lab.run(LEGACY)
    assert PASSWORD not in json.dumps(result)
    # It travels on stdin only, as the credential's password, never on the command line or back.
    lab_support.assert_secret_only_in_credentials(lab, connection, PASSWORD, accounts=[ADMIN])


@pytest.mark.parametrize(
    "modules",
    [
        [{"name": "LyncOnlineConnector", "version": "5.0.8308.857", "installed_by": "msi"}],
        [{"name": "SkypeOnlineConnector", "version": "7.0.0.0", "installed_by": "msi"}],
        [
            {"name": "LyncOnlineConnector", "version": "5.0.8308.857", "installed_by": "msi"},
            {"name": "SkypeOnlineConnector", "version": "7.0.0.0", "installed_by": "msi"},
        ],
    ],
    ids=["only-lync", "only-skype", "both-legacy"],
)
def test_auto_never_picks_a_retired_connector(modules: list[dict[str, str]]) -> None:
    data = state("lync2013-ready")
    data["host"]["modules"] = modules
    lab = Lab(data)
    result, connection = lab.run({"connector": "auto", "username": ADMIN, "password": PASSWORD})
    assert result["failed"] is True
    assert result["reason"] == "connector_missing"
    assert "MicrosoftTeams is not installed" in result["msg"]
    assert "runs only when named" in result["msg"]
    assert "warnings" not in result
    # The runner was offered MicrosoftTeams alone, and no legacy session was attempted.
    sent = decode_payload(connection.commands[0][2])["request"]["online"]
    assert [candidate["module"] for candidate in sent] == ["MicrosoftTeams"]
    assert lab.journal.select("cmdlet", name="New-CsOnlineSession") == []
    assert lab.sessions() == []


def test_auto_picks_microsoft_teams_beside_a_legacy_connector() -> None:
    data = state("lync2013-ready")
    data["host"]["modules"] = [
        {"name": "SkypeOnlineConnector", "version": "7.0.0.0", "installed_by": "msi"},
        {"name": "MicrosoftTeams", "version": "6.1.0"},
    ]
    lab = Lab(data)
    result, connection = lab.run({"connector": "auto", "username": ADMIN, "password": PASSWORD})
    assert "failed" not in result, result
    assert result["connector"] == "microsoft_teams"
    assert "warnings" not in result
    assert len(connection.commands) == 1
    assert_closed(lab)


def test_override_admin_domain_with_auto_is_refused_before_sending() -> None:
    lab = Lab("lync2013-ready")
    result, connection = lab.run({**LEGACY, "connector": "auto"})
    assert result["failed"] is True
    assert "override_admin_domain applies to the legacy connectors only" in result["msg"]
    assert "connector=lync_online_connector" in result["msg"]
    assert connection.commands == []


def test_skype_online_connector() -> None:
    data = state("lync2013-ready")
    data["host"]["modules"] = [{"name": "SkypeOnlineConnector", "version": "7.0.0.0", "installed_by": "msi"}]
    lab = Lab(data)
    result, _connection = lab.run({**LEGACY, "connector": "skype_online_connector"})
    assert result["connector"] == "skype_online_connector"
    assert result["tenant"]["tenant_id"] == CONTOSO
    assert_closed(lab)


def test_sip_domain_cmdlet_missing_only_warns() -> None:
    data = state("lync2013-ready")
    data["faults"] = {"cmdlet_errors": {"Get-CsOnlineSipDomain": "The term is not recognized."}}
    lab = Lab(data)
    result, _connection = lab.run(LEGACY)
    assert "failed" not in result, result
    assert result["tenant"]["sip_domain_status"] is None
    assert result["tenant"]["sip_domains"] == ["contoso.com"]
    assert "Get-CsOnlineSipDomain failed or is not available" in result["warnings"][1]
    assert_closed(lab)


def test_a_failed_disconnect_is_a_warning() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"disconnect_error": "The token cache could not be cleared."}
    lab = Lab(data)
    result, _connection = lab.run(CERTIFICATE)
    assert "failed" not in result, result
    assert result["session_closed"] is False
    assert any("could not be closed" in w and "token cache" in w for w in result["warnings"])
    # The lab ends the process, so the Teams connection dies with it.
    assert lab.sessions("abandoned")


# --- failures the tenant or host reports ----------------------------------------------------


def test_wrong_password() -> None:
    lab = Lab("lync2013-ready")
    wrong = PASSWORD + "x"
    result, connection = lab.run({**LEGACY, "password": wrong})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["reason"] == "invalid_credentials"
    assert ADMIN in result["msg"] and "Check username and password" in result["msg"]
    assert "AADSTS50126" in result["error_record"]["message"]
    assert result["session_closed"] is True
    assert result["attempts"] == 1
    assert wrong not in json.dumps(result)
    assert len(connection.commands) == 1
    assert lab.sessions("open") == []


def test_unknown_user() -> None:
    lab = Lab("lync2013-ready")
    result, _connection = lab.run({**LEGACY, "username": "nobody@contoso.onmicrosoft.com"})
    assert result["reason"] == "invalid_credentials"


def test_mfa_account_is_sent_to_certificate_auth() -> None:
    lab = Lab("sfb2019-teams")
    result, _connection = lab.run(
        {
            "connector": "microsoft_teams",
            "username": "admin@fabrikam.onmicrosoft.com",
            "password": "Tenant-Adm1n-Passw0rd!",
        }
    )
    assert result["reason"] == "mfa_required"
    assert result["msg"] == (
        "The account admin@fabrikam.onmicrosoft.com requires multi-factor authentication, which cannot be answered "
        "over a non-interactive WinRM session. Use certificate authentication with connector=microsoft_teams: set "
        "certificate_thumbprint, application_id and tenant_id (MicrosoftTeams 4.7.1 or later). Moving users "
        "(Move-CsUser -Credential) still needs a tenant admin (Global Administrator, or Teams Administrator together "
        "with User Administrator) that signs in without MFA from this server."
    )
    assert "Tenant-Adm1n-Passw0rd!" not in json.dumps(result)
    assert_closed(lab)


def test_connector_not_installed() -> None:
    lab = Lab("sfb2019-teams")
    result, connection = lab.run({**LEGACY, "override_admin_domain": None, "connector": "lync_online_connector"})
    assert result["reason"] == "connector_missing"
    assert "LyncOnlineConnector" in result["msg"]
    assert "lync.hybrid.cs_online_connector" in result["msg"]
    assert result["attempts"] == 1
    assert len(connection.commands) == 1
    assert lab.sessions() == []


def test_auto_with_no_connector_installed() -> None:
    lab = Lab("broken")
    result, _connection = lab.run({"username": ADMIN, "password": PASSWORD})
    assert result["reason"] == "connector_missing"
    assert "The online connector module MicrosoftTeams is not installed" in result["msg"]
    assert result["error_record"]["fqid"] == "LyncHybrid.ConnectorMissing"


def test_endpoint_discovery_failure_names_override_admin_domain() -> None:
    lab = Lab("lync2013-ready")
    result, _connection = lab.run({key: value for key, value in LEGACY.items() if key != "override_admin_domain"})
    assert result["reason"] == "endpoint_discovery"
    assert "Set override_admin_domain" in result["msg"]
    assert result["session_closed"] is True


@pytest.mark.parametrize(
    ("change", "reason", "text"),
    [
        ({"certificate_thumbprint": "AB" * 20}, "certificate_not_found", "Cert:\\LocalMachine\\My"),
        ({"application_id": "11111111-2222-3333-4444-555555555555"}, "application_not_found", "application_id"),
        ({"tenant_id": "other.onmicrosoft.com"}, "host_error", "AADSTS90002"),
    ],
    ids=["certificate", "application", "tenant"],
)
def test_certificate_auth_failures(change: dict[str, str], reason: str, text: str) -> None:
    lab = Lab("sfb2019-teams")
    result, _connection = lab.run({**CERTIFICATE, **change})
    assert result["failed"] is True
    assert result["reason"] == reason
    assert text in result["msg"]
    assert result["session_closed"] is True
    assert_closed(lab)


def test_tenant_read_failure_is_explained_and_the_session_closed() -> None:
    data = state("lync2013-ready")
    data["faults"] = {"cmdlet_errors": {"Get-CsTenant": "Access is denied."}}
    lab = Lab(data)
    result, _connection = lab.run(LEGACY)
    assert result["failed"] is True
    assert result["msg"].startswith("The session opened but Get-CsTenant failed:")
    assert result["reason"] == "insufficient_rights"
    assert f"{ADMIN} may open a session but not read the tenant (Access is denied)" in result["msg"]
    assert "Global Administrator, or Teams Administrator together with User Administrator" in result["msg"]
    assert result["error_record"]["message"] == "Access is denied."
    assert result["session_closed"] is True
    assert "tenant" not in result
    # After the failing read nothing else runs in the session.
    assert "Get-LyncHybridCsOnlineSipDomain" not in lab.cmdlets()
    assert_closed(lab)


def test_tenant_read_throttled_is_explained() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"cmdlet_errors": {"Get-CsTenant": "Micro delay applied. Retry after 5 seconds."}}
    lab = Lab(data)
    result, connection = lab.run(CERTIFICATE)
    assert result["reason"] == "throttled"
    assert result["msg"].startswith("The session opened but Get-CsTenant failed: The tenant throttled the request.")
    # Only a refused connect is retried; a step failure is reported at once.
    assert len(connection.commands) == 1
    assert_closed(lab)


def test_concurrent_shells_retry_then_fail_clearly() -> None:
    data = state("lync2013-ready")
    data["tenant"]["admins"][0]["open_sessions"] = 3
    lab = Lab(data)
    result, connection = lab.run({**LEGACY, "retries": 2, "delay": 0})
    assert result["failed"] is True
    assert result["reason"] == "concurrent_shells"
    assert result["msg"] == (
        f"The tenant refused the session: {ADMIN} already has the maximum number of concurrent remote PowerShell "
        "sessions open (3 per admin, 20 per tenant). Wait for idle sessions to expire (about 15 minutes), close other "
        "sessions of this account, or raise 'retries'/'delay'."
    )
    assert result["attempts"] == 3
    assert len(connection.commands) == 3
    assert len(lab.sessions("refused")) == 3
    # Nothing was opened, so nothing is added to the sessions the tenant already counts.
    assert lab.state.tenant["admins"][0]["open_sessions"] == 3


def test_concurrent_shells_recover_after_a_retry() -> None:
    data = state("lync2013-ready")
    data["faults"] = {"online_busy_connects": 2}
    lab = Lab(data)
    result, connection = lab.run({**LEGACY, "retries": 3, "delay": 0})
    assert "failed" not in result, result
    assert result["attempts"] == 3
    assert len(connection.commands) == 3
    assert result["tenant"]["tenant_id"] == CONTOSO
    assert_closed(lab)


def test_retry_waits_back_off_and_are_capped() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"online_busy_connects": 10}
    lab = Lab(data)
    args = {**CERTIFICATE, "retries": 5, "delay": 40}
    action, connection = make_action("cs_online_session", args, lab)
    validated = action._validate().validated_parameters
    waits: list[float] = []
    with pytest.raises(_session.HostError) as failure:
        _session.probe(action, validated, sleep=waits.append)
    assert waits == [40, 80, 160, 300, 300]
    assert failure.value.diagnosis.reason == "concurrent_shells"
    assert failure.value.extra["attempts"] == 6
    assert len(connection.commands) == 6


def test_zero_retries_fails_on_the_first_refusal() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"online_busy_connects": 1}
    lab = Lab(data)
    result, connection = lab.run({**CERTIFICATE, "retries": 0})
    assert result["reason"] == "concurrent_shells"
    assert result["attempts"] == 1
    assert len(connection.commands) == 1


def test_no_tenant_returned() -> None:
    lab = Lab("sfb2019-teams")

    def without_tenant(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        # The lab always has one tenant; blank Get-CsTenant's output in the real response.
        stdout, stderr, rc = lab(command, arguments, stdin)
        marker, _brace, body = stdout.decode("ascii").partition("{")
        response = json.loads("{" + body)
        response["steps"][0]["output"] = []
        return (marker + json.dumps(response)).encode("ascii"), stderr, rc

    action, _connection = make_action("cs_online_session", CERTIFICATE, without_tenant)
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert result["reason"] == "tenant_not_found"
    assert "returned no tenant" in result["msg"]
    assert result["session_closed"] is True
    assert_closed(lab)


def test_host_without_the_runner_output_fails_cleanly() -> None:
    def broken(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        return b"", b"powershell.exe is blocked by policy", 1

    action, _connection = make_action("cs_online_session", LEGACY, broken)
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert "did not run the lync.hybrid runner" in result["msg"]
    assert "blocked by policy" in result["msg"]
    assert PASSWORD not in json.dumps(result)


# --- options refused before anything is sent ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "one of the following is required: username, certificate_thumbprint"),
        ({"username": ADMIN}, "parameters are required together: username, password"),
        ({"password": PASSWORD}, "parameters are required together: username, password"),
        ({"certificate_thumbprint": THUMBPRINT}, "certificate_thumbprint, application_id, tenant_id"),
        ({**CERTIFICATE, "username": ADMIN, "password": PASSWORD}, "mutually exclusive"),
        ({"username": ADMIN, "password": PASSWORD, "connector": "teams"}, "value of connector must be one of"),
        (
            {"username": ADMIN, "password": PASSWORD, "retries": "many"},
            "argument 'retries' is of type str and we were unable to convert to int",
        ),
        ({"username": ADMIN, "password": PASSWORD, "delay": -1}, "'retries' and 'delay' must be zero or more"),
        ({"username": ADMIN, "password": PASSWORD, "retries": -1}, "'retries' and 'delay' must be zero or more"),
        ({"username": "", "password": PASSWORD}, "'username' must not be empty"),
        ({"username": ADMIN, "password": "   "}, "'password' must not be empty"),
        ({**CERTIFICATE, "application_id": " "}, "'application_id' must not be empty"),
        ({**LEGACY, "override_admin_domain": " "}, "'override_admin_domain' must not be empty"),
        ({**LEGACY, "connector": "microsoft_teams"}, "override_admin_domain applies to the legacy connectors only"),
        ({**CERTIFICATE, "connector": "lync_online_connector"}, "Certificate authentication needs connector"),
        ({**CERTIFICATE, "connector": "skype_online_connector"}, "Certificate authentication needs connector"),
        ({**LEGACY, "tenant": "contoso"}, "tenant. Supported parameters include: application_id"),
    ],
    ids=[
        "no-auth",
        "username-only",
        "password-only",
        "thumbprint-only",
        "both-auth",
        "bad-connector",
        "retries-type",
        "negative-delay",
        "negative-retries",
        "empty-username",
        "blank-password",
        "blank-application",
        "blank-admin-domain",
        "teams-override",
        "lync-certificate",
        "skype-certificate",
        "unknown-option",
    ],
)
@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_invalid_options(args: dict[str, t.Any], message: str, check_mode: bool) -> None:
    lab = Lab("lync2013-ready")
    result, connection = lab.run(args, check_mode=check_mode)
    assert result["failed"] is True
    assert result["changed"] is False
    assert message in result["msg"]
    assert "exception" not in result
    assert connection.commands == []
    if args.get("password", "").strip():
        assert args["password"] not in json.dumps(result)


# --- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identity", "url"),
    [
        (
            "OU=x,OU=OCS Tenants,DC=lync0e001,DC=local",
            "https://admin0e.online.lync.com/HostedMigration/hostedmigrationService.svc",
        ),
        (
            "OU=x,OU=OCS Tenants,DC=LYNC2A001,DC=local",
            "https://admin2a.online.lync.com/HostedMigration/hostedmigrationService.svc",
        ),
        ("OU=x, DC=lync1b001", "https://admin1b.online.lync.com/HostedMigration/hostedmigrationService.svc"),
        ("OU=x,OU=OCS Tenants,DC=lync0e0010,DC=local", None),
        ("OU=x,OU=OCS Tenants,DC=lync001,DC=local", None),
        ("OU=x,OU=DC=lync0e001x,DC=local", None),
        ("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", None),
        ("", None),
        (None, None),
    ],
)
def test_hosted_migration_url(identity: str | None, url: str | None) -> None:
    assert _session.hosted_migration_url(identity) == url


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, []),
        ("contoso.com", ["contoso.com"]),
        (["contoso.com", "CONTOSO.com", " "], ["contoso.com"]),
        ([{"Name": "a.com", "Status": "Enabled"}], ["a.com"]),
        (["@{Name=a.com; Status=Enabled}", "@{Status=Enabled; Name=b.com}"], ["a.com", "b.com"]),
        (['{"name": "a.com", "status": "Enabled"}', "{not json", "{}"], ["a.com"]),
        (["@{Status=Enabled}"], []),
    ],
    ids=["none", "string", "dedupe", "dicts", "psobject-text", "json-text", "no-name"],
)
def test_domain_names_from_any_shape(value: t.Any, names: list[str]) -> None:
    assert _session._names(value) == names


def test_tenant_info_falls_back_to_the_sip_domain_list() -> None:
    info = _session.tenant_info({"TenantId": "t", "SipDomain": None}, {"a.com": "Enabled", "b.com": "Disabled"})
    assert info["sip_domains"] == ["a.com", "b.com"]
    assert info["display_name"] is None
    assert info["hosted_migration_url"] is None


def test_the_module_reuses_the_shared_session_options() -> None:
    from ansible_collections.lync.hybrid.plugins.action.cs_online_session import ActionModule

    assert ActionModule.ARGUMENT_SPEC == _online.ARGUMENT_SPEC
    assert [s.cmdlet for s in _session.build_steps()] == ["Get-CsTenant", "Get-CsOnlineSipDomain"]
    assert all(s.scope == "online" and not s.params for s in _session.build_steps())
