"""lync.hybrid.cs_deployment_facts against the in-process lab host (real runner protocol, simulated cmdlets)."""

from __future__ import annotations

import copy
import json
import pathlib
import typing as t

import pytest
import yaml
from ansible_collections.lync.hybrid.plugins.plugin_utils import _checks, _deployment, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import MARKER, decode_payload
from hypothesis import given
from hypothesis import strategies as st

from tests.lab.host import LabHost
from tests.lab.journal import Journal
from tests.lab.state import parse_state
from tests.unit.plugins.action.harness import make_action
from tests.unit.plugins.action.lab_support import BROKEN_FAILED_CHECKS

STATES = pathlib.Path(__file__).resolve().parents[3] / "lab" / "states"
ALL_STEPS = [read.id for read in _deployment.READS]
MINIMAL_STEPS = ["server_version", "os", "computer", "dotnet", "dotnet_tls_native", "dotnet_tls_wow6432"]


def state(name: str) -> dict[str, t.Any]:
    return yaml.safe_load((STATES / f"{name}.yml").read_text(encoding="utf-8"))


class Lab:
    """An in-process lab host; calling it is what the harness connection does for one WinRM command."""

    def __init__(self, data: dict[str, t.Any]) -> None:
        self.state = parse_state(copy.deepcopy(data))
        self.before = self.state.to_dict()
        self.journal = Journal(None)
        self.host = LabHost(self.state, self.journal)

    def __call__(self, command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        result = self.host.run_command(command, arguments, stdin)
        return result.stdout, result.stderr, result.rc

    def cmdlets(self) -> list[str]:
        return [event["name"] for event in self.journal.select("cmdlet")]


def run(
    data: dict[str, t.Any], args: dict[str, t.Any] | None = None, *, check_mode: bool = False, diff: bool = False
) -> tuple[dict[str, t.Any], Lab, t.Any]:
    lab = Lab(data)
    action, connection = make_action("cs_deployment_facts", args or {}, lab, check_mode=check_mode, diff=diff)
    return action.run(task_vars={}), lab, connection


def facts(result: dict[str, t.Any]) -> dict[str, t.Any]:
    assert not result.get("failed"), result.get("msg")
    return result["ansible_facts"]["cs_deployment"]


def check(result: dict[str, t.Any], check_id: str) -> dict[str, t.Any]:
    return next(c for c in facts(result)["checks"] if c["id"] == check_id)


def sent_request(connection: t.Any) -> dict[str, t.Any]:
    (_program, _arguments, stdin) = connection.commands[0]
    return decode_payload(stdin)["request"]


# --------------------------------------------------------------------------- healthy hosts


def test_healthy_sfb2019_passes_every_check_in_one_read_only_command() -> None:
    result, lab, connection = run(state("sfb2019-teams"))
    found = facts(result)
    assert result["changed"] is False
    assert len(connection.commands) == 1
    assert [c["id"] for c in found["checks"]] == list(_checks.CHECK_IDS)
    assert found["failed_checks"] == [] and all(c["remedy"] == "" for c in found["checks"])
    assert found["product"] == "Skype for Business Server 2019" and found["product_key"] == "sfb2019"
    assert found["management_module"] == {"name": "SkypeForBusiness", "version": "7.0.0.0"}
    assert found["build"] == "7.0.2046.385" and found["build_source"] == "Get-CsServerPatchVersion"
    assert found["build_meets_minimum"] is True and found["license"] == "volume"
    assert found["fqdn"] == "sfb-fe01.fabrikam.local" and found["local_pool"] == "pool01.fabrikam.local"
    assert found["pools"][0]["site"] == "Site:Dublin" and found["pools"][0]["registrar"] is True
    assert found["sip_domains"] == [{"name": "fabrikam.com", "is_default": True}]
    assert found["hosting_providers"][0]["proxy_fqdn"] == "sipfed.online.lync.com"
    assert found["access_edge"]["routing_method"] == "UseDnsSrvRouting"
    assert found["online_connectors"][0]["name"] == "MicrosoftTeams"
    assert found["powershell_version"] == "5.1.17763.1"
    assert found["os"]["caption"] == "Microsoft Windows Server 2019 Datacenter"
    assert found["errors"] == []
    # Read-only: nothing but Get-* (and the runner's module handling) ran, nothing changed.
    assert all(name.startswith("Get-") or name == "Import-Module" for name in lab.cmdlets())
    assert lab.journal.select("change") == [] and lab.state.to_dict() == lab.before
    # No tenant session, no secret on the wire.
    request = sent_request(connection)
    assert request["online"] is None and request["onprem_modules"] == ["SkypeForBusiness", "Lync"]
    assert "$credential" not in json.dumps(request)


def test_check_mode_and_diff_give_the_same_facts() -> None:
    normal, _lab, _connection = run(state("sfb2019-teams"))
    checked, lab, connection = run(state("sfb2019-teams"), check_mode=True, diff=True)
    assert facts(checked) == facts(normal)
    assert checked["changed"] is False and "diff" not in checked
    assert len(connection.commands) == 1 and lab.journal.select("change") == []


def test_lync2013_build_comes_from_the_uninstall_registry() -> None:
    found = facts(run(state("lync2013-ready"))[0])
    assert found["product_key"] == "lync2013" and found["management_module"]["name"] == "Lync"
    assert found["build"] == "5.0.8308.1182" and found["build_source"] == "uninstall_registry"
    assert found["components"] is None
    # The missing Get-CsServerPatchVersion is expected on Lync 2013, not an error.
    assert found["errors"] == []
    assert "build_minimum" not in found["failed_checks"]


def test_legacy_connector_alone_fails_and_is_named_as_retired() -> None:
    result = run(state("lync2013-ready"))[0]
    assert facts(result)["failed_checks"] == ["online_connector"]
    connector = check(result, "online_connector")
    assert "MicrosoftTeams is not installed" in connector["detail"]
    assert "LyncOnlineConnector 5.0.8308.857" in connector["detail"] and "retired" in connector["detail"]
    assert "lync.hybrid.cs_online_connector" in connector["remedy"]


# --------------------------------------------------------------------------- everything broken at once


def test_broken_host_reports_every_failure_without_failing_the_task() -> None:
    result, lab, _connection = run(state("broken"))
    found = facts(result)
    assert found["failed_checks"] == list(BROKEN_FAILED_CHECKS)
    assert found["topology_published"] is False and found["edition"] is None
    topology = check(result, "topology_published")
    assert "Publish-CsTopology" in topology["remedy"] and "Enable-CsTopology" in topology["remedy"]
    build = check(result, "build_minimum")
    assert "6.0.9319.516" in build["detail"] and "6.0.9319.619" in build["detail"]
    assert "SkypeServerUpdateInstaller" in build["remedy"]
    assert check(result, "pools_present")["detail"] == "The topology has no pools (no topology is published)."
    assert check(result, "hosting_provider")["remedy"] == _checks.NEW_HOSTING_PROVIDER
    edge = check(result, "access_edge")
    assert "AllowFederatedUsers=False" in edge["detail"] and "EnablePartnerDiscovery=False" in edge["detail"]
    assert edge["remedy"] == _checks.SET_ACCESS_EDGE
    assert check(result, "services_running")["detail"] == "Not running: RTCSRV (Stopped)."
    assert [e["step"] for e in found["errors"]] == ["topology"]
    assert found["errors"][0]["fqid"].startswith("TopologyNotPublished")
    assert lab.journal.select("change") == []


# --------------------------------------------------------------------------- builds


@pytest.mark.parametrize(
    ("product", "build", "meets"),
    [
        ("lync2013", "5.0.8308.1181", False),
        ("lync2013", "5.0.8308.1182", True),
        ("sfb2015", "6.0.9319.618", False),
        ("sfb2015", "6.0.9319.1000", True),  # compared as versions: 1000 > 619 although "1000" < "619"
        ("sfb2019", "7.0.2046.384", False),
        ("sfb2019", "7.0.2046.500", True),
    ],
)
def test_build_minimum_is_compared_as_versions(product: str, build: str, meets: bool) -> None:
    data = state("sfb2019-teams")
    data["deployment"].update(product=product, build=build)
    result = run(data)[0]
    assert facts(result)["build"] == build
    assert facts(result)["build_meets_minimum"] is meets
    assert check(result, "build_minimum")["passed"] is meets


def test_unreadable_build_fails_the_check_with_both_errors() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {
        "cmdlet_errors": {
            "Get-CsServerPatchVersion": "Access is denied.",
            "Get-ItemProperty": "Requested registry access is not allowed.",
        }
    }
    result = run(data)[0]
    found = facts(result)
    assert found["build"] is None and found["build_meets_minimum"] is None
    assert {e["step"] for e in found["errors"]} == {
        "patch_version",
        "installed",
        "dotnet",
        "dotnet_tls_native",
        "dotnet_tls_wow6432",
    }
    assert found["dotnet_release"] is None  # unreadable, not absent
    detail = check(result, "build_minimum")["detail"]
    assert "Access is denied." in detail and "Requested registry access is not allowed." in detail


def test_release_falls_back_to_the_build_when_get_csserverversion_fails() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"cmdlet_errors": {"Get-CsServerVersion": "The license type could not be read."}}
    found = facts(run(data)[0])
    assert found["server_version"] is None and found["license"] is None
    assert found["product_key"] == "sfb2019" and found["build_minimum"] == "7.0.2046.385"


def test_release_falls_back_to_the_module_version_when_nothing_else_reads() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {
        "cmdlet_errors": {"Get-CsServerVersion": "No.", "Get-CsServerPatchVersion": "No.", "Get-ItemProperty": "No."}
    }
    result = run(data, {"gather_subset": ["!all", "build"]})[0]
    found = facts(result)
    assert found["product_key"] == "sfb2019" and found["build"] is None  # from SkypeForBusiness 7.0.0.0
    verdict = check(result, "build_minimum")
    assert not verdict["passed"]
    assert verdict["detail"].startswith("The installed build of Skype for Business Server 2019 could not be read")


def test_unknown_release_fails_build_minimum() -> None:
    errors = {"server_version": "Get-CsServerVersion failed: No license."}
    verdict = _checks.build_minimum({"product": None, "build": None}, errors)
    assert not verdict.passed and "No license." in verdict.detail and "RTCUniversalServerAdmins" in verdict.remedy


def test_lync2010_cannot_move_users() -> None:
    verdict = _checks.build_minimum({"product": "Lync Server 2010", "build": "4.0.7577.0", "build_minimum": None}, {})
    assert not verdict.passed and "cannot move users" in verdict.detail


# --------------------------------------------------------------------------- topology, services, cms


def test_enterprise_and_standard_edition() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["pools"][0]["computers"] = ["sfb-fe01.fabrikam.local", "sfb-fe02.fabrikam.local"]
    assert facts(run(data)[0])["edition"] == "Enterprise"
    data["deployment"]["pools"] = [{"fqdn": "sfb-fe01.fabrikam.local", "site": "Dublin"}]
    found = facts(run(data)[0])
    assert found["edition"] == "Standard" and found["local_pool"] == "sfb-fe01.fabrikam.local"


def test_pool_without_registrar_fails_pools_present() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["pools"][0]["services"] = ["WebServer"]
    result = run(data)[0]
    assert (
        check(result, "pools_present")["detail"] == "No pool runs the Registrar service (pools: pool01.fabrikam.local)."
    )


def test_stopped_services_are_named() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["windows_services"] = {
        "sfb-fe01.fabrikam.local": [{"name": "RTCSRV", "status": "Stopped"}, {"name": "RTCMEDSRV", "status": "Paused"}]
    }
    result = run(data)[0]
    services = check(result, "services_running")
    assert not services["passed"]
    assert services["detail"] == "Not running: RTCSRV (Stopped), RTCMEDSRV (Paused)."
    assert "Start-CsWindowsService" in services["remedy"]


def test_replica_behind_fails_cms_replication() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["cms"] = {
        "replicas": [
            {"fqdn": "sfb-fe01.fabrikam.local", "up_to_date": True},
            {"fqdn": "edge01.fabrikam.local", "up_to_date": False},
        ]
    }
    result = run(data)[0]
    replication = check(result, "cms_replication")
    assert replication["detail"] == "Replication is not up to date on: edge01.fabrikam.local."
    assert "Invoke-CsManagementStoreReplication" in replication["remedy"]
    assert facts(result)["cms"]["replication"][1]["up_to_date"] is False


def test_failed_read_is_listed_and_fails_its_check() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"cmdlet_errors": {"Get-CsPool": "Access denied: not a member of RTCUniversalServerAdmins."}}
    result = run(data)[0]
    found = facts(result)
    assert found["pools"] is None and found["edition"] is None
    assert found["errors"][0]["step"] == "pools" and found["errors"][0]["cmdlet"] == "Get-CsPool"
    assert "RTCUniversalServerAdmins" in check(result, "pools_present")["detail"]
    assert found["failed_checks"] == ["pools_present"]


# --------------------------------------------------------------------------- federation


def _office365(**changes: t.Any) -> dict[str, t.Any]:
    provider = {
        "identity": "Office365",
        "proxy_fqdn": "sipfed.online.lync.com",
        "enabled": True,
        "enabled_shared_address_space": True,
        "hosts_ocs_users": True,
        "verification_level": "UseSourceVerification",
        "is_local": False,
        "autodiscover_url": _checks.AUTODISCOVER_URL,
    }
    provider.update(changes)
    return provider


def test_drifted_hosting_provider_gets_a_set_with_only_the_drifted_values() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["hosting_providers"] = [
        _office365(enabled_shared_address_space=False, verification_level="AlwaysVerifiable")
    ]
    verdict = check(run(data)[0], "hosting_provider")
    assert not verdict["passed"]
    assert "EnabledSharedAddressSpace=False" in verdict["detail"]
    assert verdict["remedy"] == (
        "Set-CsHostingProvider -Identity Office365 -EnabledSharedAddressSpace $true "
        "-VerificationLevel UseSourceVerification"
    )


@pytest.mark.parametrize(
    "autodiscover",
    [None, "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc", "https://lyncdiscover.contoso.com"],
)
def test_a_missing_or_wrong_autodiscover_url_fails_with_the_exact_set_command(autodiscover: str | None) -> None:
    data = state("sfb2019-teams")
    data["deployment"]["hosting_providers"] = [_office365(autodiscover_url=autodiscover)]
    verdict = check(run(data)[0], "hosting_provider")
    assert not verdict["passed"]
    assert f"AutodiscoverUrl={autodiscover!r}" in verdict["detail"]
    assert "-HostedMigrationOverrideUrl" in verdict["detail"]
    assert verdict["remedy"] == (
        "Set-CsHostingProvider -Identity Office365 "
        "-AutodiscoverUrl https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root"
    )


def test_the_autodiscover_url_is_compared_without_regard_to_case() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["hosting_providers"] = [_office365(autodiscover_url=_checks.AUTODISCOVER_URL.upper())]
    verdict = check(run(data)[0], "hosting_provider")
    assert verdict["passed"], verdict
    assert "AutodiscoverUrl" in verdict["detail"]


@pytest.mark.parametrize(
    ("proxy_fqdn", "url"),
    [
        ("sipfed.online.lync.com", "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root"),
        (
            "SIPFED.online.gov.skypeforbusiness.us",
            "https://webdir.online.gov.skypeforbusiness.us/Autodiscover/AutodiscoverService.svc/root",
        ),
        (
            "sipfed.online.partner.lync.cn",
            "https://webdir.online.partner.lync.cn/Autodiscover/AutodiscoverService.svc/root",
        ),
        ("sip.partner.example", "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root"),
    ],
)
def test_the_expected_autodiscover_url_is_the_providers_cloud(proxy_fqdn: str, url: str) -> None:
    assert _checks.expected_autodiscover_url(proxy_fqdn) == url


# --------------------------------------------------------------------------- federated Edge pools


def _with_edges(data: dict[str, t.Any], routes: dict[str, str | None]) -> dict[str, t.Any]:
    """Add an Edge pool per route target and the sites with their federation routes."""
    deployment = data["deployment"]
    for fqdn in sorted({route for route in routes.values() if route}):
        deployment["pools"].append({"fqdn": fqdn, "site": "Dublin", "services": ["EdgeServer"], "computers": [fqdn]})
    deployment["sites"] = [{"name": name, "federation_route": route} for name, route in routes.items()]
    return data


def test_two_federated_edge_pools_fail_with_the_set_cssite_commands() -> None:
    data = _with_edges(
        state("sfb2019-teams"),
        {"Dublin": "edge01.fabrikam.local", "Paris": "edge02.fabrikam.local", "Oslo": "edge01.fabrikam.local"},
    )
    result = run(data)[0]
    verdict = check(result, "edge_federation")
    assert not verdict["passed"]
    assert "2 Edge pools are federated" in verdict["detail"]
    assert "Site:Paris -> edge02.fabrikam.local" in verdict["detail"]
    assert "Set-CsSite -Identity Site:Paris -FederationRoute EdgeServer:edge01.fabrikam.local" in verdict["remedy"]
    assert "Site:Dublin -FederationRoute" not in verdict["remedy"]
    assert facts(result)["federated_edge_pools"] == ["edge01.fabrikam.local", "edge02.fabrikam.local"]
    assert "edge_federation" in facts(result)["failed_checks"]


@pytest.mark.parametrize(
    ("routes", "words"),
    [
        ({"Dublin": "edge01.fabrikam.local", "Oslo": "edge01.fabrikam.local"}, "Edge pool edge01.fabrikam.local"),
        ({"Dublin": None}, "no Edge pool"),
    ],
)
def test_one_or_no_federated_edge_pool_passes(routes: dict[str, str | None], words: str) -> None:
    verdict = check(run(_with_edges(state("sfb2019-teams"), routes))[0], "edge_federation")
    assert verdict["passed"], verdict
    assert words in verdict["detail"]


def test_unreadable_sites_fail_the_edge_federation_check() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"cmdlet_errors": {"Get-CsSite": "Access denied: not a member of RTCUniversalReadOnlyAdmins."}}
    found = facts(run(data)[0])
    assert found["sites"] is None and found["federated_edge_pools"] is None
    assert found["failed_checks"] == ["edge_federation"]
    assert "Get-CsSite failed: Access denied" in check(run(data)[0], "edge_federation")["detail"]


# --------------------------------------------------------------------------- MFA with old builds


@pytest.mark.parametrize(
    ("product", "build", "supported"),
    [
        ("lync2013", "5.0.8308.1182", False),
        ("sfb2015", "6.0.9319.601", False),
        ("sfb2015", "6.0.9319.619", True),
        ("sfb2019", "7.0.2046.385", True),
        ("sfb2015", None, None),
        (None, None, None),
    ],
)
def test_mfa_moves_need_sfb2015_cu12_or_sfb2019(product: str | None, build: str | None, supported: bool | None) -> None:
    assert _checks.mfa_moves_supported(product, build) is supported


def test_lync2013_readiness_states_that_moves_cannot_use_an_mfa_admin() -> None:
    result = run(state("lync2013-ready"))[0]
    assert facts(result)["mfa_moves_supported"] is False
    verdict = check(result, "build_minimum")
    assert verdict["passed"]
    assert _checks.MFA_UNSUPPORTED in verdict["detail"]
    assert _checks.MFA_UNSUPPORTED not in check(run(state("sfb2019-teams"))[0], "build_minimum")["detail"]


def test_hosting_provider_with_a_wrong_proxy_must_be_recreated() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["hosting_providers"] = [_office365(proxy_fqdn="sipfed.online.lync.cn")]
    verdict = check(run(data)[0], "hosting_provider")
    assert "Set-CsHostingProvider cannot change ProxyFqdn" in verdict["remedy"]
    assert "Remove-CsHostingProvider -Identity Office365" in verdict["remedy"]
    assert verdict["remedy"].endswith(_checks.NEW_HOSTING_PROVIDER)


def test_one_correct_provider_among_others_passes() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["hosting_providers"] = [
        {"identity": "Partner", "proxy_fqdn": "sip.partner.example"},
        _office365(),
    ]
    assert check(run(data)[0], "hosting_provider")["passed"]


def test_default_routing_fails_access_edge() -> None:
    data = state("sfb2019-teams")
    data["deployment"]["hosting_providers"] = []
    data["deployment"]["access_edge"] = {
        "allow_outside_users": True,
        "allow_federated_users": True,
        "use_dns_srv_routing": False,
        "default_route_fqdn": "edge.fabrikam.local",
    }
    result = run(data)[0]
    edge = facts(result)["access_edge"]
    assert edge["routing_method"] == "UseDefaultRouting" and edge["use_dns_srv_routing"] is False
    verdict = check(result, "access_edge")
    assert "RoutingMethod='UseDefaultRouting'" in verdict["detail"] and verdict["remedy"].endswith("-UseDnsSrvRouting")


def _without(step_id: str, *properties: str) -> t.Callable[[str, list[str], bytes], tuple[bytes, bytes, int]]:
    """The lab as host, with ``properties`` left out of the first object of one step's output.

    What a host answers when a property is not reported (another build, a stripped object).
    """
    lab = Lab(state("sfb2019-teams"))

    def host(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        stdout, stderr, rc = lab(command, arguments, stdin)
        head, body = stdout.decode("ascii").split(MARKER, 1)
        response = json.loads(body)
        (step,) = [s for s in response["steps"] if s["id"] == step_id]
        for name in properties:
            del step["output"][0][name]
        return (head + MARKER + json.dumps(response)).encode("ascii"), stderr, rc

    return host


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["AllowOutsideUsers"], "AllowOutsideUsers=None"),
        (["AllowFederatedUsers"], "AllowFederatedUsers=None"),
        (["EnablePartnerDiscovery"], "EnablePartnerDiscovery=None"),
        (["RoutingMethod", "UseDnsSrvRouting"], "RoutingMethod=None"),
    ],
)
def test_an_access_edge_property_the_host_does_not_report_fails_the_check(missing: list[str], named: str) -> None:
    """sfb2019-teams passes access_edge; without one of the wanted properties it must not."""
    action, _connection = make_action("cs_deployment_facts", {}, _without("access_edge", *missing))
    verdict = check(action.run(task_vars={}), "access_edge")
    assert verdict["passed"] is False
    assert verdict["detail"] == (
        f"The access edge configuration differs from the hybrid configuration: {named} "
        "(hosting providers need DNS SRV routing and federation enabled)."
    )
    assert verdict["remedy"].startswith("Set-CsAccessEdgeConfiguration ")


# --------------------------------------------------------------------------- connectors, PowerShell


@pytest.mark.parametrize(
    ("modules", "passed", "words"),
    [
        ([{"name": "MicrosoftTeams", "version": "3.1.0"}], False, "older than 6.2.1, which Move-CsUser needs"),
        ([{"name": "MicrosoftTeams", "version": "6.2.0"}], False, "older than 6.2.1, which Move-CsUser needs"),
        (
            [{"name": "MicrosoftTeams", "version": "6.4.0"}, {"name": "SkypeOnlineConnector", "version": "7.0.0.0"}],
            True,
            "SkypeOnlineConnector 7.0.0.0",
        ),
        (
            [{"name": "MicrosoftTeams", "version": "6.2.1"}, {"name": "MicrosoftTeams", "version": "2.0.0"}],
            True,
            "6.2.1",
        ),
        ([], False, "MicrosoftTeams is not installed."),
    ],
)
def test_online_connector(modules: list[dict[str, str]], passed: bool, words: str) -> None:
    data = state("sfb2019-teams")
    data["host"]["modules"] = modules
    verdict = check(run(data)[0], "online_connector")
    assert verdict["passed"] is passed and words in verdict["detail"]


def test_old_powershell_fails_its_check() -> None:
    data = state("sfb2019-teams")
    data["host"]["powershell_version"] = "4.0"
    result = run(data)[0]
    assert facts(result)["failed_checks"] == ["powershell_version"]
    assert "Windows Management Framework 5.1" in check(result, "powershell_version")["remedy"]


@pytest.mark.parametrize(
    ("powershell", "passed"),
    [("5.0.10586.117", False), ("5.0", False), ("5.1", True), ("5.1.14393.0", True)],
)
def test_the_powershell_version_check_starts_at_5_1(powershell: str, passed: bool) -> None:
    """Windows PowerShell 5.1 (what every MicrosoftTeams release since 1.1.4 needs); 5.0 is too old."""
    data = state("sfb2019-teams")
    data["host"]["powershell_version"] = powershell
    verdict = check(run(data)[0], "powershell_version")
    assert verdict["passed"] is passed
    if passed:
        assert verdict["detail"] == f"Windows PowerShell {powershell}, .NET Framework Release 528049."
    else:
        assert verdict["detail"] == (
            f"Windows PowerShell {powershell}; every MicrosoftTeams release since 1.1.4 needs Windows PowerShell "
            "5.1 and .NET Framework 4.7.2 or later."
        )


# --------------------------------------------------------------------------- gather_subset


@pytest.mark.parametrize(
    ("subset", "steps", "checks"),
    [
        (["all"], ALL_STEPS, list(_checks.CHECK_IDS)),
        (["!all"], MINIMAL_STEPS, ["management_module", "powershell_version", "strong_crypto"]),
        (
            ["build", "federation"],
            [*MINIMAL_STEPS, "patch_version", "uninstall_keys", "installed", "hosting_providers", "access_edge"],
            [
                "management_module",
                "build_minimum",
                "hosting_provider",
                "access_edge",
                "powershell_version",
                "strong_crypto",
            ],
        ),
        (
            ["!cms"],
            [s for s in ALL_STEPS if not s.startswith("cms_")],
            [c for c in _checks.CHECK_IDS if c != "cms_replication"],
        ),
        (
            ["all", "!cms", "!connectors", "!build"],
            [
                s
                for s in ALL_STEPS
                if s
                not in ("cms_location", "cms_replication", "connectors", "patch_version", "uninstall_keys", "installed")
            ],
            [
                "management_module",
                "topology_published",
                "pools_present",
                "edge_federation",
                "services_running",
                "hosting_provider",
                "access_edge",
                "powershell_version",
                "strong_crypto",
            ],
        ),
        (
            ["!all", " services "],
            [*MINIMAL_STEPS, "windows_services"],
            ["management_module", "services_running", "powershell_version", "strong_crypto"],
        ),
        (["services", "!services"], [*MINIMAL_STEPS, "windows_services"], None),
        ("connectors,topology", [*MINIMAL_STEPS, "topology", "pools", "sip_domains", "sites", "connectors"], None),
    ],
)
def test_gather_subset_sends_only_the_wanted_steps(subset: t.Any, steps: list[str], checks: list[str] | None) -> None:
    result, lab, connection = run(state("sfb2019-teams"), {"gather_subset": subset})
    found = facts(result)
    assert [s["id"] for s in sent_request(connection)["steps"]] == steps
    ids = [c["id"] for c in found["checks"]]
    if checks is not None:
        assert ids == checks
    assert ids == [c for c in _checks.CHECK_IDS if c in ids]  # the order never changes
    assert set(found) >= {"pools", "cms", "hosting_providers", "online_connectors", "build"}  # keys always present
    if "cms" not in found["gather_subset"]:
        assert found["cms"] is None and "Get-CsManagementStoreReplicationStatus" not in lab.cmdlets()


@given(
    st.lists(
        st.sampled_from(["all", "!all", *_deployment.SUBSETS, *(f"!{s}" for s in _deployment.SUBSETS)]), min_size=1
    )
)
def test_resolve_subsets_is_ordered_and_honours_exclusions(requested: list[str]) -> None:
    chosen = _deployment.resolve_subsets(requested)
    assert list(chosen) == [s for s in _deployment.SUBSETS if s in chosen]
    explicit = {r for r in requested if r in _deployment.SUBSETS}
    assert explicit <= set(chosen)  # a name given explicitly is always read
    excluded = {r[1:] for r in requested if r.startswith("!")}
    if "all" in excluded:
        excluded = set(_deployment.SUBSETS)
    assert not (excluded - explicit) & set(chosen)
    if not explicit and "all" not in requested:  # only exclusions: everything else is read
        assert set(chosen) == set(_deployment.SUBSETS) - excluded


# --------------------------------------------------------------------------- validation and failures


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"gather_subset": ["bogus"]}, "Invalid gather_subset 'bogus'"),
        ({"gather_subset": ["!bogus"]}, "Invalid gather_subset '!bogus'"),
        ({"gather_subset": [""]}, "Invalid gather_subset ''"),
        ({"gather_subset": []}, "Invalid gather_subset an empty list"),
        ({"gather_subset": {"all": True}}, "Invalid options for lync.hybrid.cs_deployment_facts"),
        ({"gather_subset": ["all"], "state": "present"}, "state. Supported parameters include: cloud, gather_subset"),
    ],
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_invalid_options_fail_before_anything_is_sent(args: dict[str, t.Any], message: str, check_mode: bool) -> None:
    result, _lab, connection = run(state("sfb2019-teams"), args, check_mode=check_mode)
    assert result["failed"] is True and message in result["msg"]
    assert connection.commands == []
    assert "ansible_facts" not in result


def test_host_without_lync_fails_clearly_but_reports_powershell() -> None:
    data = state("sfb2019-teams")
    del data["deployment"]
    result, lab, connection = run(data)
    assert result["failed"] is True and result["reason"] == "onprem_module_missing"
    assert "not a Lync Server 2013 / Skype for Business Server" in result["msg"]
    assert result["error_record"]["fqid"] == "LyncHybrid.OnPremModuleMissing"
    assert result["cs_deployment"] == {"powershell_version": "5.1.17763.1", "management_module": None}
    assert "ansible_facts" not in result and len(connection.commands) == 1
    assert lab.cmdlets() == ["Get-Module"]


def test_import_failure_is_reported_with_its_record() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"cmdlet_errors": {"Import-Module": "Access to the path is denied."}}
    result = run(data)[0]
    assert result["failed"] is True and result["reason"] == "onprem_module_failed"
    assert result["msg"].startswith("The deployment could not be read: Access to the path is denied.")
    assert "RTCUniversalServerAdmins" in result["msg"]
    assert "credentials" not in result["msg"]
    assert result["error_record"]["stage"] == "onprem"


def test_access_denied_while_loading_the_shell_is_not_called_a_tenant_logon_failure() -> None:
    data = state("sfb2019-teams")
    data["faults"] = {"cmdlet_errors": {"Import-Module": "Access is denied."}}
    result = run(data)[0]
    assert result["reason"] == "onprem_module_failed"
    assert "tenant" not in result["msg"]


def test_powershell_failure_is_a_clear_failure_not_a_traceback() -> None:
    action, _connection = make_action("cs_deployment_facts", {}, lambda command, arguments, stdin: (b"", b"boom", 1))
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert "did not run the lync.hybrid runner (rc=1): boom" in result["msg"]


def test_cms_location_written_as_an_object_is_kept_as_text() -> None:
    step = _runner.StepResult(
        "cms_location", "ok", [{"BackEndServer": "sql01.contoso.com", "SqlInstanceName": "rtc"}], None, ()
    )
    assert _deployment._text(step) == "BackEndServer=sql01.contoso.com; SqlInstanceName=rtc"
    assert _deployment._text(_runner.StepResult("cms_location", "ok", [], None, ())) is None


def test_a_malformed_uninstall_entry_costs_only_its_own_key() -> None:
    """Lync 2013 (no Get-CsServerPatchVersion): the build still comes from the registry, key by key."""
    data = state("lync2013-ready")
    data["host"]["uninstall"] = [
        {"display_name": "NetBeans IDE 8.2", "display_version": "8.2", "key": "nbi-nb-base-8.2.0.0",
         "malformed_value": "NoModify"},
    ]  # fmt: skip
    result, lab, connection = run(data)
    found = facts(result)
    assert found["build"] == "5.0.8308.1182"
    assert found["build_source"] == "uninstall_registry"
    assert found["build_meets_minimum"] is True
    assert "build_minimum" not in found["failed_checks"]
    (unreadable,) = [e for e in found["errors"] if e["step"] == "installed"]
    assert unreadable["message"] == "Specified cast is not valid."
    assert unreadable["target"].endswith(r"\Uninstall\nbi-nb-base-8.2.0.0")
    assert unreadable["fqid"].startswith("System.InvalidCastException,")
    assert len(connection.commands) == 1
    # The lab refuses the old wildcard read the way Windows PowerShell 5.1 does.
    reads = lab.journal.select("cmdlet", name="Get-ItemProperty")
    assert all("LiteralPath" in entry["params"] for entry in reads)


@pytest.mark.parametrize(
    ("powershell", "release", "passed", "words"),
    [
        ("5.1.17763.1", 528049, True, ".NET Framework Release 528049"),
        ("5.1.14409.1018", 461808, True, "Release 461808"),
        ("5.1.17763.1", 460805, False, ".NET Framework Release 460805; every MicrosoftTeams release since 1.1.4"),
        ("5.1.17763.1", None, False, "no .NET Framework 4.5 or later"),
        ("4.0", 528049, False, "Windows PowerShell 4.0; every MicrosoftTeams release since 1.1.4"),
    ],
)
def test_powershell_and_dotnet_that_every_teams_release_needs(
    powershell: str, release: int | None, passed: bool, words: str
) -> None:
    data = state("sfb2019-teams")
    data["host"]["powershell_version"] = powershell
    data["host"]["dotnet_release"] = release
    result = run(data, {"gather_subset": ["!all"]})[0]
    assert facts(result)["dotnet_release"] == (release or 0)
    assert facts(result)["errors"] == []
    verdict = check(result, "powershell_version")
    assert verdict["passed"] is passed and words in verdict["detail"], verdict


@pytest.mark.parametrize("culture", ["en-US", "de-DE"])
def test_an_unpublished_topology_is_recognised_in_any_language(culture: str) -> None:
    # Get-CsTopology's message is localised and its error id undocumented: the empty Get-CsPool decides.
    data = state("broken")
    data["host"]["culture"] = culture
    result, lab, _connection = run(data)
    assert facts(result)["topology_published"] is False
    messages = [e["error"]["message"] for e in lab.journal.select("cmdlet") if e["name"] == "Get-CsTopology"]
    assert ("veröffentlicht" in messages[0]) is (culture == "de-DE")


@pytest.mark.parametrize(
    ("native", "wow6432", "passed"),
    [
        ({"SchUseStrongCrypto": 1}, {"SystemDefaultTlsVersions": 1}, True),
        ({}, {}, False),
        ({"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1}, {}, False),
        ({"SchUseStrongCrypto": 0}, {"SchUseStrongCrypto": 1}, False),
    ],
    ids=["either-value-per-view", "not-configured", "32-bit-view-missing", "explicitly-off"],
)
def test_strong_crypto_is_read_from_both_registry_views(native: dict, wow6432: dict, passed: bool) -> None:
    data = state("sfb2019-teams")
    data["host"]["dotnet_tls"] = {"native": native, "wow6432": wow6432}
    result = run(data)[0]
    found = facts(result)
    assert found["strong_crypto"]["enabled"] is passed
    assert found["strong_crypto"]["native"]["sch_use_strong_crypto"] == native.get("SchUseStrongCrypto")
    verdict = check(result, "strong_crypto")
    assert verdict["passed"] is passed
    if not passed:
        assert "Move-CsUser requires TLS 1.2" in verdict["detail"]
        remedy = verdict["remedy"]
        assert "SchUseStrongCrypto = 1 and SystemDefaultTlsVersions = 1" in remedy
        assert r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319" in remedy
