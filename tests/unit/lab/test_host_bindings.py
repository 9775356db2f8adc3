"""Parameter binding fails like PowerShell's: the controller's mistakes must not pass in the lab."""

from __future__ import annotations

import pytest

from tests.unit.lab.host_support import Lab, make_state, request, step

EDGE = "Microsoft.Rtc.Management.WritableConfig.Settings.Edge"


def error_of(lab: Lab, cmdlet: str, params: dict, onprem: list[str] | None = None) -> dict:
    response = lab.run(request([step("s", cmdlet, params)], onprem=onprem))
    assert response["error"] is None, response["error"]
    return response["steps"][0]["error"]


@pytest.fixture
def lab() -> Lab:
    return Lab(make_state(deployment="sfb2015"))


def test_unknown_parameter(lab: Lab) -> None:
    error = error_of(lab, "Set-CsHostingProvider", {"Identity": "x", "ProxyFqdn": "a.b"}, ["SkypeForBusiness"])
    assert error == {
        "message": "A parameter cannot be found that matches parameter name 'ProxyFqdn'.",
        "fqid": f"NamedParameterNotFound,{EDGE}.SetHostingProviderCmdlet",
        "category": "InvalidArgument",
        "exception": "System.Management.Automation.ParameterBindingException",
        "target": "",
    }


def test_missing_mandatory_parameter_in_noninteractive_mode(lab: Lab) -> None:
    error = error_of(lab, "New-CsHostingProvider", {"Identity": "Office365"}, ["SkypeForBusiness"])
    # The page makes -Enabled, -EnabledSharedAddressSpace and -HostsOCSUsers mandatory as well.
    assert error["message"] == (
        "Cannot process command because of one or more missing mandatory parameters: "
        "ProxyFqdn Enabled EnabledSharedAddressSpace HostsOCSUsers."
    )
    assert error["fqid"] == f"MissingMandatoryParameter,{EDGE}.NewHostingProviderCmdlet"


def test_parameters_of_different_sets(lab: Lab) -> None:
    params = {"Identity": "Global", "UseDnsSrvRouting": True, "EnablePartnerDiscovery": True}
    error = error_of(lab, "Set-CsAccessEdgeConfiguration", params, ["SkypeForBusiness"])
    assert error["fqid"] == f"AmbiguousParameterSet,{EDGE}.SetAccessEdgeConfigurationCmdlet"
    assert error["message"] == "Parameter set cannot be resolved using the specified named parameters."


def test_switch_and_boolean_values_are_checked(lab: Lab) -> None:
    error = error_of(lab, "Set-CsAccessEdgeConfiguration", {"AllowFederatedUsers": "yes"}, ["SkypeForBusiness"])
    assert error["fqid"] == f"ParameterArgumentTransformationError,{EDGE}.SetAccessEdgeConfigurationCmdlet"
    assert "Boolean parameters accept only Boolean values and numbers" in error["message"]


def test_enum_values_are_checked(lab: Lab) -> None:
    params = {"Identity": "Office365", "ProxyFqdn": "sipfed.online.lync.com", "VerificationLevel": "Sometimes"}
    error = error_of(lab, "New-CsHostingProvider", params, ["SkypeForBusiness"])
    assert "Unable to match the identifier name Sometimes to a valid enumerator name" in error["message"]


def test_unique_prefixes_bind_and_ambiguous_ones_fail(lab: Lab) -> None:
    response = lab.run(request([step("m", "Get-Module", {"ListAv": True, "Nam": "Skype*"})]))
    assert response["steps"][0]["output"][0]["Name"] == "SkypeForBusiness"
    error = error_of(lab, "Get-Module", {"Error": "x"})
    assert error["fqid"] == "AmbiguousParameter,Microsoft.PowerShell.Commands.GetModuleCommand"


def test_error_action_cannot_be_passed_twice(lab: Lab) -> None:
    error = error_of(lab, "Get-Module", {"ErrorAction": "SilentlyContinue"})
    assert error["fqid"] == "ParameterAlreadyBound,Microsoft.PowerShell.Commands.GetModuleCommand"


def test_unknown_cmdlet_record() -> None:
    error = error_of(Lab(make_state()), "Get-CsNothing", {})
    assert error["fqid"] == "CommandNotFoundException" and error["category"] == "ObjectNotFound"
    assert error["exception"] == "System.Management.Automation.CommandNotFoundException"


def test_patch_version_cmdlet_does_not_exist_on_lync_2013() -> None:
    lab = Lab(make_state(deployment="lync2013"))
    assert error_of(lab, "Get-CsServerPatchVersion", {}, ["Lync"])["fqid"] == "CommandNotFoundException"


def test_credential_from_a_string_would_prompt() -> None:
    lab = Lab(make_state([{"name": "MicrosoftTeams", "version": "6.1.0"}]))
    steps = [
        step("i", "Import-Module", {"Name": "MicrosoftTeams"}),
        step("c", "Connect-MicrosoftTeams", {"Credential": "u"}),
    ]
    error = lab.run(request(steps))["steps"][1]["error"]
    assert "does not support user interaction" in error["message"]
