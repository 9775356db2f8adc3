"""The cloud option in the tenant logon and the hosting provider check, one case per Microsoft cloud.

Against the in-process lab host: the lab tenant lives in one cloud and Connect-MicrosoftTeams finds it
only with that cloud's -TeamsEnvironmentName (none for commercial and GCC).
"""

from __future__ import annotations

import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils import _checks, _clouds

from tests.unit.plugins.action import lab_support
from tests.unit.plugins.action.lab_support import CERTIFICATE, assert_closed, state

FABRIKAM_ADMIN = "admin@fabrikam.onmicrosoft.com"
FABRIKAM_PASSWORD = "Tenant-Adm1n-Passw0rd!"
# Microsoft's names (Connect-MicrosoftTeams, -TeamsEnvironmentName), written out here, not taken from _clouds.
ENVIRONMENTS = {"commercial": None, "gcc": None, "gcc_high": "TeamsGCCH", "dod": "TeamsDOD", "21vianet": "TeamsChina"}
SIPFEDS = {
    "commercial": "sipfed.online.lync.com",
    "gcc": "sipfed.online.lync.com",
    "gcc_high": "sipfed.online.gov.skypeforbusiness.us",
    "dod": "sipfed.online.dod.skypeforbusiness.us",
    "21vianet": "sipfed.online.partner.lync.cn",
}


class Session(lab_support.Lab):
    module = "cs_online_session"


class Federation(lab_support.Lab):
    module = "cs_tenant_federation"


class Facts(lab_support.Lab):
    module = "cs_deployment_facts"


def tenant_in(cloud: str) -> dict[str, t.Any]:
    """sfb2019-teams with its tenant in `cloud`, its admin without MFA, its hosting provider for that cloud."""
    data = state("sfb2019-teams")
    data["tenant"]["cloud"] = cloud
    data["tenant"]["admins"][0]["mfa_required"] = False
    data["deployment"]["hosting_providers"][0]["proxy_fqdn"] = SIPFEDS[cloud]
    data["deployment"]["hosting_providers"][0]["autodiscover_url"] = _clouds.get(cloud).autodiscover_url
    return data


CREDENTIALS = {"connector": "microsoft_teams", "username": FABRIKAM_ADMIN, "password": FABRIKAM_PASSWORD}


@pytest.mark.parametrize("cloud", list(ENVIRONMENTS))
def test_session_names_the_environment_of_each_cloud(cloud: str) -> None:
    lab = Session(tenant_in(cloud))
    result, connection = lab.run({**CREDENTIALS, "cloud": cloud})
    assert "failed" not in result, result
    (connect,) = lab.calls("Connect-MicrosoftTeams")
    assert connect["params"].get("TeamsEnvironmentName") == ENVIRONMENTS[cloud]
    assert len(connection.commands) == 1
    assert_closed(lab)


@pytest.mark.parametrize("cloud", ["gcc_high", "dod", "21vianet"])
def test_a_sovereign_tenant_is_not_found_from_the_commercial_cloud(cloud: str) -> None:
    lab = Session(tenant_in(cloud))
    result, _connection = lab.run(CREDENTIALS)
    assert result["failed"] is True
    assert "AADSTS90002" in result["msg"] or "AADSTS90002" in str(result.get("error_record"))
    assert lab.sessions("open") == []


@pytest.mark.parametrize("cloud", ["gcc_high", "dod", "21vianet"])
@pytest.mark.parametrize("lab_class", [Session, Federation])
def test_a_sovereign_cloud_with_a_certificate_is_refused_before_anything_is_sent(
    cloud: str, lab_class: type[lab_support.Lab]
) -> None:
    lab = lab_class(tenant_in(cloud))
    extra = {"shared_sip_address_space": True} if lab_class is Federation else {}
    result, connection = lab.run({**CERTIFICATE, **extra, "cloud": cloud})
    assert result["failed"] is True
    assert f"cloud={cloud}" in result["msg"] and "TeamsEnvironmentName" in result["msg"]
    assert "username and password" in result["msg"]
    assert connection.commands == []


def test_a_sovereign_cloud_with_a_legacy_connector_is_refused() -> None:
    lab = Session(tenant_in("dod"))
    result, connection = lab.run({**CREDENTIALS, "connector": "lync_online_connector", "cloud": "dod"})
    assert result["failed"] is True and "connector=microsoft_teams" in result["msg"]
    assert connection.commands == []


@pytest.mark.parametrize("cloud", ["commercial", "gcc_high"])
def test_federation_with_read_tenant_proves_the_session_in_the_same_connection(cloud: str) -> None:
    lab = Federation(tenant_in(cloud))
    result, connection = lab.run({**CREDENTIALS, "cloud": cloud, "shared_sip_address_space": True, "read_tenant": True})
    assert "failed" not in result, result
    assert result["changed"] is True and result["tenant"]["display_name"] == "Fabrikam"
    assert result["module_version"] and isinstance(result["connect_seconds"], float)
    assert len(connection.commands) == 1
    assert len(lab.calls("Connect-MicrosoftTeams")) == 1
    # The tenant is read before anything is set; the optional SIP domain list comes last.
    names = [name for name in lab.cmdlets() if "Cs" in name]
    assert names.index("Get-CsTenant") < names.index("Set-CsTenantFederationConfiguration")
    assert names[-1] == "Get-CsOnlineSipDomain"
    assert_closed(lab)


def test_federation_without_read_tenant_does_not_read_the_tenant() -> None:
    lab = Federation(tenant_in("commercial"))
    result, _connection = lab.run({**CREDENTIALS, "shared_sip_address_space": True})
    assert "tenant" not in result
    assert lab.calls("Get-CsTenant") == []


@pytest.mark.parametrize("cloud", list(ENVIRONMENTS))
def test_hosting_provider_check_expects_the_proxy_fqdn_of_the_cloud(cloud: str) -> None:
    lab = Facts(tenant_in(cloud))
    result, _connection = lab.run({"cloud": cloud})
    facts = result["ansible_facts"]["cs_deployment"]
    (check,) = [c for c in facts["checks"] if c["id"] == "hosting_provider"]
    assert check["passed"] is True, check
    assert facts["cloud"] == cloud and facts["hosting_provider_identity"] == "Office365"
    # The same deployment checked for another cloud fails, and the remedy names that cloud's endpoints.
    other = "dod" if cloud != "dod" else "commercial"
    result, _connection = Facts(tenant_in(cloud)).run({"cloud": other})
    (check,) = [c for c in result["ansible_facts"]["cs_deployment"]["checks"] if c["id"] == "hosting_provider"]
    assert check["passed"] is False
    assert SIPFEDS[other] in check["remedy"] and _clouds.get(other).autodiscover_url in check["remedy"]


def test_the_commercial_remedy_is_unchanged() -> None:
    assert _checks.new_hosting_provider(_clouds.get("commercial")) == _checks.NEW_HOSTING_PROVIDER
    assert "-ProxyFqdn sipfed.online.lync.com " in _checks.NEW_HOSTING_PROVIDER
