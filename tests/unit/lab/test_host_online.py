"""Tenant sessions: legacy prefixing, Teams connections, session counting and closing, tenant errors."""

from __future__ import annotations

from tests.unit.lab.host_support import (
    ADMIN,
    TENANT_PASSWORD,
    Lab,
    credential,
    legacy_module,
    legacy_online,
    make_state,
    request,
    step,
    steps_by_id,
    teams_module,
    teams_online,
)

THUMBPRINT = "3B1E2C4D5F60718293A4B5C6D7E8F90A1B2C3D4E"
APP = "0c4f7b2e-91d3-4a6b-8e5f-2d1c3b4a5e6f"
FED = ("Get-CsTenantFederationConfiguration", "Set-CsTenantFederationConfiguration")


def legacy_lab(**sections) -> Lab:
    return Lab(make_state([legacy_module()], **sections))


def legacy(commands=FED, password: str = TENANT_PASSWORD, **params) -> dict:
    return legacy_online("SkypeOnlineConnector", ADMIN, password, commands, **params)


def teams(password: str = TENANT_PASSWORD) -> dict:
    return teams_online({"Credential": credential(ADMIN, password)})


def open_sessions(lab: Lab) -> int:
    return lab.state.tenant["admins"][0]["open_sessions"]


def test_legacy_cmdlets_exist_only_prefixed_and_imported() -> None:
    lab = legacy_lab()
    steps = [
        step("prefixed", "Get-CsTenantFederationConfiguration", scope="online", continue_on_error=True),
        step("unprefixed", "Get-CsTenantFederationConfiguration", continue_on_error=True),
        step("not_imported", "Get-CsTenant", scope="online", continue_on_error=True),
    ]
    result = steps_by_id(lab.run(request(steps, online=[legacy()])))
    assert result["prefixed"]["status"] == "ok"
    assert result["unprefixed"]["error"]["target"] == "Get-CsTenantFederationConfiguration"
    assert result["not_imported"]["error"]["target"] == "Get-LyncHybridCsTenant"
    assert [e["name"] for e in lab.events("cmdlet", status="ok", scope="online")] == [
        "New-CsOnlineSession",
        "Get-LyncHybridCsTenantFederationConfiguration",
    ]


def test_legacy_variant_has_no_teams_parameters() -> None:
    lab = legacy_lab()
    steps = [step("set", "Set-CsTenantFederationConfiguration", {"AllowTeamsConsumer": False}, scope="online")]
    error = lab.run(request(steps, online=[legacy()]))["steps"][0]["error"]
    assert error["fqid"] == "NamedParameterNotFound,Set-LyncHybridCsTenantFederationConfiguration"


def test_sessions_are_counted_and_closed_even_when_a_step_fails() -> None:
    lab = legacy_lab()
    steps = [step("boom", "Get-CsTenant", scope="online"), step("later", "Get-CsTenant", scope="online")]
    response = lab.run(request(steps, online=[legacy()]))
    assert [s["status"] for s in response["steps"]] == ["error", "not_run"]
    assert response["online"]["connected"] and response["online"]["closed"]
    assert open_sessions(lab) == 0
    actions = [(e["action"], e["open_sessions"]) for e in lab.events("online_session")]
    assert actions == [("open", 1), ("close", 0)]


def test_admin_with_all_sessions_in_use_is_refused() -> None:
    lab = legacy_lab(tenant={"admins": [{"user": ADMIN, "password": TENANT_PASSWORD, "open_sessions": 3}]})
    response = lab.run(request([], online=[legacy()]))
    assert "maximum number of concurrent shells" in response["error"]["message"]
    assert response["error"]["category"] == "OpenError" and response["error"]["stage"] == "online"
    assert lab.events("online_session", action="refused") and open_sessions(lab) == 3


def test_busy_fault_refuses_the_first_connects_only() -> None:
    lab = legacy_lab(faults={"online_busy_connects": 1})
    first = lab.run(request([], online=[legacy()]))
    second = lab.run(request([], online=[legacy()]))
    assert "maximum number of concurrent shells" in first["error"]["message"]
    assert second["error"] is None and second["online"]["closed"]


def test_credential_errors() -> None:
    lab = legacy_lab(tenant={"admins": [{"user": ADMIN, "password": TENANT_PASSWORD, "mfa_required": True}]})
    assert "AADSTS50076" in lab.run(request([], online=[legacy()]))["error"]["message"]
    assert "AADSTS50126" in lab.run(request([], online=[legacy(password="wrong")]))["error"]["message"]


def test_broken_discovery_needs_the_override_admin_domain() -> None:
    lab = legacy_lab(tenant={"endpoint_discovery_broken": True})
    failed = lab.run(request([], online=[legacy()]))
    assert "Unable to discover PowerShell endpoint URI" in failed["error"]["message"]
    fixed = lab.run(request([], online=[legacy(OverrideAdminDomain="contoso.onmicrosoft.com")]))
    assert fixed["error"] is None


def test_teams_cmdlets_need_connect_microsoft_teams() -> None:
    lab = Lab(make_state([teams_module()]))
    steps = [step("import", "Import-Module", {"Name": "MicrosoftTeams"}), step("tenant", "Get-CsTenant")]
    error = lab.run(request(steps))["steps"][1]["error"]
    assert error["message"] == "You must call the Connect-MicrosoftTeams cmdlet before calling any other cmdlets."


def test_teams_tenant_shape_and_disconnect() -> None:
    lab = Lab(make_state([teams_module()]))
    response = lab.run(request([step("tenant", "Get-CsTenant", scope="online")], online=[teams()]))
    tenant = response["steps"][0]["output"][0]
    assert "Identity" not in tenant and tenant["VerifiedDomains"][0] == "@{Name=contoso.com; Status=Enabled}"
    assert response["online"]["module_version"] == "6.1.0" and response["online"]["closed"]
    assert [e["action"] for e in lab.events("online_session")] == ["open", "close"]


def test_certificate_logon() -> None:
    tenant = {"app_registrations": [{"application_id": APP, "certificate_thumbprint": THUMBPRINT}]}
    host = {"certificates": {"local_machine": [THUMBPRINT]}}
    lab = Lab(make_state([teams_module()], tenant=tenant, host=host))
    params = {"ApplicationId": APP, "TenantId": "contoso.onmicrosoft.com"}
    response = lab.run(request([], online=[teams_online(params, THUMBPRINT)]))
    assert response["error"] is None
    assert response["online"]["certificate_store"] == "LocalMachine\\My"
    assert response["online"]["certificate_parameter"] == "Certificate"
    unknown_app = lab.run(
        request([], online=[teams_online({**params, "ApplicationId": THUMBPRINT[:8] + APP[8:]}, THUMBPRINT)])
    )
    assert "AADSTS700016" in unknown_app["error"]["message"]


def test_teams_resolves_a_thumbprint_in_the_user_store_only() -> None:
    """Microsoft documents -CertificateThumbprint against the user's store: a machine-store certificate is not found."""
    tenant = {"app_registrations": [{"application_id": APP, "certificate_thumbprint": THUMBPRINT}]}
    params = {"CertificateThumbprint": THUMBPRINT, "ApplicationId": APP, "TenantId": "contoso.onmicrosoft.com"}
    machine = Lab(make_state([teams_module()], tenant=tenant, host={"certificates": {"local_machine": [THUMBPRINT]}}))
    error = machine.run(request([], online=[teams_online(params)]))["error"]
    assert error["message"] == (
        f"Certificate with thumbprint '{THUMBPRINT}' was not found in the certificate store (Cert:\\CurrentUser\\My)."
    )
    user = Lab(make_state([teams_module()], tenant=tenant, host={"certificates": {"current_user": [THUMBPRINT]}}))
    assert user.run(request([], online=[teams_online(params)]))["error"] is None


def test_runner_falls_back_to_the_thumbprint_before_teams_4_9_2() -> None:
    tenant = {"app_registrations": [{"application_id": APP, "certificate_thumbprint": THUMBPRINT}]}
    host = {"certificates": {"current_user": [THUMBPRINT]}}
    lab = Lab(make_state([teams_module("4.9.1")], tenant=tenant, host=host))
    params = {"ApplicationId": APP, "TenantId": "contoso.onmicrosoft.com"}
    response = lab.run(request([], online=[teams_online(params, THUMBPRINT)]))
    assert response["error"] is None
    assert response["online"]["certificate_parameter"] == "CertificateThumbprint"
    assert response["online"]["certificate_store"] == "CurrentUser\\My"
    # Found only in the machine store, the certificate cannot reach a version without -Certificate (its
    # -CertificateThumbprint reads CurrentUser\My only): the runner says so and attempts no logon.
    machine = Lab(
        make_state([teams_module("4.9.1")], tenant=tenant, host={"certificates": {"local_machine": [THUMBPRINT]}})
    )
    error = machine.run(request([], online=[teams_online(params, THUMBPRINT)]))["error"]
    assert error["fqid"] == "LyncHybrid.CertificateNeedsUserStore"
    assert "Cert:\\CurrentUser\\My" in error["message"] and "4.9.1" in error["message"]
    assert [e["action"] for e in machine.events("online_session")] == []


def test_runner_takes_the_copy_with_a_private_key_when_the_certificate_is_in_both_stores() -> None:
    tenant = {"app_registrations": [{"application_id": APP, "certificate_thumbprint": THUMBPRINT}]}
    keyless = {"thumbprint": THUMBPRINT, "has_private_key": False}
    params = {"ApplicationId": APP, "TenantId": "contoso.onmicrosoft.com"}
    # A keyless machine copy does not hide the user's copy with its key.
    both = {"certificates": {"local_machine": [keyless], "current_user": [THUMBPRINT]}}
    lab = Lab(make_state([teams_module()], tenant=tenant, host=both))
    response = lab.run(request([], online=[teams_online(params, THUMBPRINT)]))
    assert response["error"] is None
    assert response["online"]["certificate_store"] == "CurrentUser\\My"
    assert response["online"]["certificate_parameter"] == "Certificate"
    # Without -Certificate only the user's copy counts: a keyless one there is refused before the logon,
    # even though the machine copy has its key.
    user_keyless = {"certificates": {"local_machine": [THUMBPRINT], "current_user": [keyless]}}
    old = Lab(make_state([teams_module("4.9.1")], tenant=tenant, host=user_keyless))
    error = old.run(request([], online=[teams_online(params, THUMBPRINT)]))["error"]
    assert error["fqid"] == "LyncHybrid.CertificatePrivateKeyMissing"
    assert "Cert:\\CurrentUser\\My" in error["message"]
    assert [e["action"] for e in old.events("online_session")] == []
    # A keyless machine copy and none for the user: what that version lacks is the user's copy, not a key.
    machine_keyless = {"certificates": {"local_machine": [keyless]}}
    older = Lab(make_state([teams_module("4.9.1")], tenant=tenant, host=machine_keyless))
    error = older.run(request([], online=[teams_online(params, THUMBPRINT)]))["error"]
    assert error["fqid"] == "LyncHybrid.CertificateNeedsUserStore"


def test_runner_names_the_stores_when_the_certificate_is_missing_or_keyless() -> None:
    keyless = {"thumbprint": THUMBPRINT, "has_private_key": False}
    lab = Lab(make_state([teams_module()], host={"certificates": {"local_machine": [keyless]}}))
    params = {"ApplicationId": APP, "TenantId": "contoso.onmicrosoft.com"}
    missing = lab.run(request([], online=[teams_online(params, "A" * 40)]))["error"]
    assert missing["fqid"] == "LyncHybrid.CertificateNotFound" and missing["stage"] == "online"
    assert "Cert:\\LocalMachine\\My" in missing["message"] and "Cert:\\CurrentUser\\My" in missing["message"]
    no_key = lab.run(request([], online=[teams_online(params, THUMBPRINT)]))["error"]
    assert no_key["fqid"] == "LyncHybrid.CertificatePrivateKeyMissing"
    assert [e["action"] for e in lab.events("online_session")] == []  # no logon was attempted


def test_disconnect_failure_is_reported_as_close_error() -> None:
    lab = Lab(make_state([teams_module()], faults={"disconnect_error": "The token cache could not be cleared."}))
    online = lab.run(request([], online=[teams()]))["online"]
    assert online["connected"] and not online["closed"]
    assert online["close_error"]["message"] == "The token cache could not be cleared."


def test_shared_sip_address_space_cannot_be_turned_off() -> None:
    lab = Lab(make_state([teams_module()], tenant={"federation": {"shared_sip_address_space": True}}))
    steps = [step("set", "Set-CsTenantFederationConfiguration", {"SharedSipAddressSpace": False}, scope="online")]
    error = lab.run(request(steps, online=[teams()]))["steps"][0]["error"]
    assert "not supported anymore" in error["message"]
    assert lab.state.tenant["federation"]["shared_sip_address_space"] is True


def test_set_changes_only_what_is_passed_and_honours_whatif() -> None:
    federation = {"allowed_domains": ["fabrikam.com"], "blocked_domains": ["evil.example"]}
    lab = Lab(make_state([teams_module()], tenant={"federation": federation}))
    what_if = [
        step(
            "set", "Set-CsTenantFederationConfiguration", {"AllowFederatedUsers": False, "WhatIf": True}, scope="online"
        )
    ]
    result = lab.send(request(what_if, online=[teams()]))
    assert result.stdout.startswith(b'What if: Performing the operation "Set-CsTenantFederationConfiguration"')
    assert lab.state.tenant["federation"]["allow_federated_users"] is True
    lab.run(
        request(
            [step("set", "Set-CsTenantFederationConfiguration", {"AllowFederatedUsers": False}, scope="online")],
            online=[teams()],
        )
    )
    assert lab.state.tenant["federation"] == {
        **lab.state.tenant["federation"],
        **federation,
        "allow_federated_users": False,
    }


def test_set_error_fault() -> None:
    lab = Lab(make_state([teams_module()], faults={"set_error": "Micro delay applied. Try again later."}))
    steps = [step("set", "Set-CsTenantFederationConfiguration", {"SharedSipAddressSpace": True}, scope="online")]
    error = lab.run(request(steps, online=[teams()]))["steps"][0]["error"]
    assert error["message"] == "Micro delay applied. Try again later."


def test_a_connect_that_returns_no_session_is_refused_and_closed() -> None:
    """A candidate marked import_session whose connect gives no PSSession is a clear online error, and the
    response is still printed (the close in the runner's finally never throws)."""
    lab = Lab(make_state([teams_module()]))
    candidate = {**teams(), "import_session": True, "commands": ["Get-CsTenant"]}
    result = lab.send(request([], online=[candidate]))
    assert result.rc == 0 and b"#LYNC-HYBRID-RESULT#" in result.stdout
    response = lab.run(request([], online=[candidate]))
    assert response["error"]["stage"] == "online"
    assert response["error"]["message"] == "Connect-MicrosoftTeams returned no PSSession to import."
