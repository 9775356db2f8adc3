"""runner.ps1's semantics as the lab plays them: module choice, steps, when_differs, errors, response shape."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.lab.host_support import (
    ADMIN,
    TENANT_PASSWORD,
    Lab,
    credential,
    legacy_module,
    make_state,
    request,
    step,
    steps_by_id,
    teams_module,
    teams_online,
)


def test_response_shape_and_newest_onprem_module() -> None:
    modules = [{"name": "Lync", "version": "5.0.0.0", "installed_by": "msi"}]
    lab = Lab(make_state(modules, deployment="sfb2019"))
    response = lab.run(request([step("v", "Get-CsServerVersion")], onprem=["Lync", "SkypeForBusiness"]))
    assert list(response) == ["protocol", "ps_version", "tls", "onprem", "online", "steps", "error"]
    assert response["onprem"] == {"name": "SkypeForBusiness", "version": "7.0.0.0"}
    assert response["ps_version"] == "5.1.17763.1" and response["online"] is None
    assert response["steps"] == [
        {
            "id": "v",
            "status": "ok",
            "output": ["Skype for Business Server 2019 (7.0.2046.0): Volume license key installed."],
            "error": None,
            "sent": [],
        }
    ]


def test_no_onprem_module_stops_before_the_steps() -> None:
    lab = Lab(make_state(deployment=None))
    response = lab.run(request([step("v", "Get-CsServerVersion")], onprem=["SkypeForBusiness", "Lync"]))
    assert response["steps"] == []
    assert response["error"] == {
        "stage": "onprem",
        "message": "No on-premises management module found.",
        "fqid": "LyncHybrid.OnPremModuleMissing",
        "category": "ObjectNotFound",
        "exception": "",
        "target": "SkypeForBusiness,Lync",
    }


def test_onprem_cmdlets_need_the_module_import() -> None:
    response = Lab(make_state()).run(request([step("pools", "Get-CsPool")]))
    assert response["steps"][0]["error"]["fqid"] == "CommandNotFoundException"


def test_first_installed_connector_is_used() -> None:
    lab = Lab(make_state([legacy_module()]))
    teams = teams_online({"Credential": credential("admin@contoso.onmicrosoft.com", "x")})
    response = lab.run(request([], online=[teams]))
    assert response["error"]["fqid"] == "LyncHybrid.ConnectorMissing"
    assert response["error"]["message"] == "No online connector module is installed (MicrosoftTeams)."
    assert response["online"] == {
        "module": None,
        "connected": False,
        "closed": False,
        "module_version": None,
        "seconds": None,
        "certificate_store": None,
        "certificate_parameter": None,
        "close_error": None,
    }


def test_continue_on_error_and_not_run() -> None:
    lab = Lab(make_state())
    response = lab.run(
        request(
            [
                step("a", "Get-CsPool", continue_on_error=True),
                step("b", "Get-CsPool"),
                step("c", "Get-Module", {"ListAvailable": True}),
            ]
        )
    )
    assert [s["status"] for s in response["steps"]] == ["error", "error", "not_run"]
    assert response["steps"][2] == {"id": "c", "status": "not_run", "output": [], "error": None, "sent": []}


def test_invalid_names_are_refused_as_the_step_error() -> None:
    lab = Lab(make_state())
    steps = [
        step("ok", "Get-Module", {"Name": "x"}),
        step("bad", "Get-Module; Remove-Item"),
        step("later", "Get-Module"),
    ]
    response = lab.run(request(steps))
    assert [s["status"] for s in response["steps"]] == ["ok", "error", "not_run"]
    message = "Invalid command name 'Get-Module; Remove-Item'."
    assert response["error"] is None
    assert response["steps"][1]["error"] == {
        "message": message,
        "fqid": message,
        "category": "OperationStopped",
        "exception": "System.Management.Automation.RuntimeException",
        "target": message,
    }
    assert response["steps"][1]["sent"] == []
    response = lab.run(request([step("bad", "Get-Module", {"Name; x": 1})]))
    assert response["steps"][0]["error"]["message"] == "Invalid parameter name 'Name; x'."


def test_drift_against_a_scalar_is_refused() -> None:
    lab = Lab(make_state())
    steps = [
        step("read", "Test-Path", {"LiteralPath": "C:\\nowhere"}),
        {**step("set", "Get-Module", {"Name": "x"}), "when_differs": {"step": "read", "values": {"A": True}}},
    ]
    response = lab.run(request(steps))
    assert response["steps"][1]["status"] == "error"
    assert response["steps"][1]["error"]["message"] == "Step 'read' returned no object to compare with."


def test_steps_null_runs_nothing() -> None:
    response = Lab(make_state()).run({"onprem_modules": None, "online": None, "steps": None})
    assert response["error"] is None and response["steps"] == []


def test_select_keeps_names_and_adds_missing_ones_as_null() -> None:
    lab = Lab(make_state())
    response = lab.run(
        request([step("os", "Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}, select=["caption", "Nope"])])
    )
    assert response["steps"][0]["output"] == [{"Caption": "Microsoft Windows Server 2019 Standard", "Nope": None}]


def test_sent_lists_sorted_parameter_names() -> None:
    lab = Lab(make_state())
    response = lab.run(request([step("m", "Get-Module", {"Name": "x", "ListAvailable": True, "all": True})]))
    assert response["steps"][0]["sent"] == ["all", "ListAvailable", "Name"]


def test_empty_password_reaches_the_logon_as_an_empty_secret() -> None:
    """ConvertTo-LhSecureString builds an empty SecureString; the tenant, not the runner, refuses it."""
    lab = Lab(make_state([teams_module()]))
    response = lab.run(
        request([], online=[teams_online({"Credential": credential("admin@contoso.onmicrosoft.com", "")})])
    )
    assert response["error"]["stage"] == "online"
    assert "ConvertToSecureString" not in response["error"]["fqid"]
    assert lab.events("cmdlet", name="Connect-MicrosoftTeams")


def test_no_returned_text_can_forge_the_marker() -> None:
    lab = Lab(make_state([teams_module()], tenant={"display_name": "#LYNC-HYBRID-RESULT#{}"}))
    logon = teams_online({"Credential": credential(ADMIN, TENANT_PASSWORD)})
    result = lab.send(request([step("t", "Get-CsTenant", scope="online")], online=[logon]))
    stdout = result.stdout.decode("ascii")
    assert stdout.count("#LYNC-HYBRID-RESULT#") == 1
    assert stdout.endswith("\r\n")


def test_output_is_ascii_json_with_escapes_and_iso_dates() -> None:
    lab = Lab(make_state(tenant={"display_name": "Contoso Ölçer <AG>"}))
    steps = [step("r", "Get-CsManagementStoreReplicationStatus")]
    result = lab.send(request(steps, onprem=["SkypeForBusiness"]))
    stdout = result.stdout.decode("ascii")
    response = json.loads(stdout.split("#LYNC-HYBRID-RESULT#", 1)[1])
    assert response["steps"][0]["output"][0]["LastStatusReport"] == "2026-01-05T06:00:00.0000000Z"
    teams = teams_online({"Credential": credential("admin@contoso.onmicrosoft.com", "Tenant-Adm1n-Passw0rd!")})
    lab = Lab(make_state([teams_module()], tenant={"display_name": "Contoso Ölçer <AG>"}))
    stdout = lab.send(request([step("t", "Get-CsTenant", scope="online")], online=[teams])).stdout.decode("ascii")
    assert "Contoso \\u00d6l\\u00e7er \\u003cAG\\u003e" in stdout


def test_when_differs_sends_only_drift_then_skips() -> None:
    lab = Lab(make_state([teams_module()]))
    teams = teams_online({"Credential": credential("admin@contoso.onmicrosoft.com", "Tenant-Adm1n-Passw0rd!")})
    desired = {"SharedSipAddressSpace": True, "AllowFederatedUsers": True}
    steps = [
        step("before", "Get-CsTenantFederationConfiguration", {"Identity": "Global"}, scope="online"),
        step(
            "set",
            "Set-CsTenantFederationConfiguration",
            {"Identity": "Global"},
            scope="online",
            when_differs={"step": "before", "values": desired},
        ),
    ]
    first = steps_by_id(lab.run(request(steps, online=[teams])))
    assert first["set"]["status"] == "ok" and first["set"]["sent"] == ["Identity", "SharedSipAddressSpace"]
    assert lab.state.tenant["federation"]["shared_sip_address_space"] is True
    second = steps_by_id(lab.run(request(steps, online=[teams])))
    assert second["set"] == {"id": "set", "status": "skipped", "output": [], "error": None, "sent": []}
    changes = lab.events("change", object="tenant.federation")
    assert [(c["property"], c["before"], c["after"]) for c in changes] == [("shared_sip_address_space", False, True)]


UNINSTALL = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"


def _per_key(cmdlet: str) -> list[dict[str, Any]]:
    keys = step("keys", "Get-ChildItem", {"LiteralPath": UNINSTALL}, select=["PSPath"], continue_on_error=True)
    each = {"step": "keys", "property": "PSPath", "parameter": "LiteralPath"}
    return [keys, step("values", cmdlet, select=["DisplayName"], continue_on_error=True, for_each=each)]


def test_a_for_each_step_whose_command_cannot_run_is_an_error() -> None:
    """Not one call ran (the command does not exist here): no items read, so the step must not say ok."""
    response = Lab(make_state(deployment="sfb2019")).run(request(_per_key("Get-ItemPropertyValue")))
    values = steps_by_id(response)["values"]
    assert values["status"] == "error" and values["output"] == []
    assert values["error"]["fqid"] == "CommandNotFoundException"
    assert len(values["item_errors"]) == len(steps_by_id(response)["keys"]["output"]) > 0


def test_a_for_each_step_with_one_unreadable_item_stays_ok() -> None:
    extra = [{"display_name": "Broken tool", "display_version": "1.0", "key": "broken", "malformed_value": "NoModify"}]
    response = Lab(make_state(deployment="sfb2019", host={"uninstall": extra})).run(
        request(_per_key("Get-ItemProperty"))
    )
    values = steps_by_id(response)["values"]
    assert values["status"] == "ok" and values["error"] is None
    assert [record["target"].rsplit("\\", 1)[-1] for record in values["item_errors"]] == ["broken"]
    assert {"DisplayName": "Skype for Business Server 2019, Core Components"} in values["output"]
