"""lync.hybrid.cs_hosting_provider against the in-process lab host (the real runner protocol).

The lab's Get/New/Set/Remove-CsHostingProvider follow Microsoft's pages (Set has no -ProxyFqdn);
the journal and the lab state show what reached the central management store.
"""

from __future__ import annotations

import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils import _clouds, _hosting

from tests.unit.plugins.action import lab_support


class Lab(lab_support.Lab):
    module = "cs_hosting_provider"

    @property
    def providers(self) -> list[dict[str, t.Any]]:
        return self.state.deployment["hosting_providers"]


def deployment(providers: list[dict[str, t.Any]] | None = None, **edge: t.Any) -> dict[str, t.Any]:
    data = lab_support.state("sfb2019-teams")
    if providers is not None:
        data["deployment"]["hosting_providers"] = providers
    data["deployment"]["access_edge"].update(edge)
    return data


def provider(**values: t.Any) -> dict[str, t.Any]:
    return {**lab_support.state("sfb2019-teams")["deployment"]["hosting_providers"][0], **values}


def writes(lab: Lab) -> list[str]:
    """The changing cmdlets that ran (a Set refused at parameter binding never ran)."""
    return [
        e["name"]
        for e in lab.journal.select("cmdlet")
        if e["status"] == "ok" and not e["name"].startswith("Get-") and e["name"] != "Import-Module"
    ]


def test_check_mode_on_a_deployment_without_provider_predicts_new_and_changes_nothing() -> None:
    lab = Lab(deployment([]))
    result, connection = lab.run({}, check_mode=True, diff=True)
    assert "failed" not in result, result
    assert result["changed"] is True
    assert result["hosting_provider_before"] is None
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["ProxyFqdn"] == "sipfed.online.lync.com"
    assert len(connection.commands) == 1
    assert writes(lab) == [] and lab.changes() == []


def test_apply_creates_the_documented_provider_in_one_command_then_is_idempotent() -> None:
    lab = Lab(deployment([]))
    result, connection = lab.run({}, diff=True)
    assert result["changed"] is True, result
    assert len(connection.commands) == 1
    assert writes(lab) == ["New-CsHostingProvider"]
    (created,) = lab.providers
    assert created["proxy_fqdn"] == "sipfed.online.lync.com"
    assert created["enabled_shared_address_space"] is True and created["hosts_ocs_users"] is True
    assert created["is_local"] is False and created["verification_level"] == "UseSourceVerification"
    assert created["autodiscover_url"] == "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root"

    again, connection = lab.run({}, diff=True)
    assert again["changed"] is False and again["changed_properties"] == []
    assert len(connection.commands) == 1
    assert writes(lab) == ["New-CsHostingProvider"]  # no second New, no Set


def test_drift_is_fixed_with_set_sending_only_the_drifted_values() -> None:
    lab = Lab(deployment([provider(autodiscover_url=None, enabled=False)]))
    result, _connection = lab.run({}, diff=True)
    assert result["changed"] is True
    assert result["changed_properties"] == ["AutodiscoverUrl", "Enabled"]
    (call,) = lab.calls("Set-CsHostingProvider")
    assert set(call["params"]) == {"Identity", "Force", "AutodiscoverUrl", "Enabled"}
    assert lab.providers[0]["enabled"] is True and lab.providers[0]["autodiscover_url"].startswith("https://webdir")


def test_wrong_proxy_fqdn_without_replace_fails_and_changes_nothing() -> None:
    lab = Lab(deployment([provider(proxy_fqdn="sipfed.example.com", enabled=False)]))
    result, _connection = lab.run({})
    assert result["failed"] is True and result["changed"] is False
    assert result["reason"] == "replace_required"
    assert "replace=true" in result["msg"] and "cannot change ProxyFqdn" in result["msg"]
    assert lab.changes() == []
    assert lab.providers[0]["enabled"] is False  # no partial change either
    # The Set that would have changed Enabled was refused at binding (-ProxyFqdn), before it ran.
    (refused,) = lab.calls("Set-CsHostingProvider")
    assert refused["status"] == "error" and "ProxyFqdn" in refused["params"]


def test_wrong_proxy_fqdn_check_mode_with_replace_shows_a_replacement_in_the_diff() -> None:
    lab = Lab(deployment([provider(proxy_fqdn="sipfed.example.com")]))
    result, _connection = lab.run({"replace": True}, check_mode=True, diff=True)
    assert result["changed"] is True and result["replaced"] is True
    assert "remove and re-create" in result["diff"]["after"]["_action"]
    assert lab.changes() == []


def test_wrong_proxy_fqdn_with_replace_removes_and_creates() -> None:
    lab = Lab(deployment([provider(proxy_fqdn="sipfed.example.com")]))
    result, connection = lab.run({"replace": True})
    assert result["changed"] is True and result["replaced"] is True, result
    assert len(connection.commands) == 2
    assert writes(lab) == ["Remove-CsHostingProvider", "New-CsHostingProvider"]
    assert [p["proxy_fqdn"] for p in lab.providers] == ["sipfed.online.lync.com"]


@pytest.mark.parametrize(
    ("cloud", "proxy", "webdir"),
    [
        ("commercial", "sipfed.online.lync.com", "webdir.online.lync.com"),
        ("gcc", "sipfed.online.lync.com", "webdir.online.lync.com"),
        ("gcc_high", "sipfed.online.gov.skypeforbusiness.us", "webdir.online.gov.skypeforbusiness.us"),
        ("dod", "sipfed.online.dod.skypeforbusiness.us", "webdir.online.dod.skypeforbusiness.us"),
        ("21vianet", "sipfed.online.partner.lync.cn", "webdir.online.partner.lync.cn"),
    ],
)
def test_each_cloud_creates_its_documented_endpoints(cloud: str, proxy: str, webdir: str) -> None:
    lab = Lab(deployment([]))
    result, _connection = lab.run({"cloud": cloud})
    assert result["changed"] is True and result["cloud"] == cloud
    (created,) = lab.providers
    assert created["proxy_fqdn"] == proxy
    assert created["autodiscover_url"] == f"https://{webdir}/Autodiscover/AutodiscoverService.svc/root"
    assert _hosting.desired_values(_clouds.get(cloud))["ProxyFqdn"] == proxy


def test_another_provider_already_pointing_at_the_cloud_is_named() -> None:
    lab = Lab(deployment([provider(identity="SkypeOnline")]))
    result, _connection = lab.run({})
    assert result["failed"] is True and result["reason"] == "proxy_fqdn_in_use"
    assert "identity: SkypeOnline" in result["msg"]
    assert lab.changes() == []


def test_absent_removes_then_is_idempotent() -> None:
    lab = Lab(deployment())
    result, connection = lab.run({"state": "absent"}, diff=True)
    assert result["changed"] is True and len(connection.commands) == 2
    assert lab.providers == []
    again, connection = lab.run({"state": "absent"})
    assert again["changed"] is False and len(connection.commands) == 1


@pytest.mark.parametrize("identity", ["", "Office*", "a/b"])
def test_bad_identity_is_refused_before_anything_is_sent(identity: str) -> None:
    lab = Lab(deployment())
    result, connection = lab.run({"identity": identity})
    assert result["failed"] is True and "identity" in result["msg"]
    assert connection.commands == []


def test_unknown_cloud_is_refused_before_anything_is_sent() -> None:
    lab = Lab(deployment())
    result, connection = lab.run({"cloud": "germany"})
    assert result["failed"] is True and "cloud" in result["msg"]
    assert connection.commands == []


def test_host_without_management_shell_fails_with_the_cause() -> None:
    data = deployment()
    data["deployment"] = None
    result, _connection = Lab(data).run({})
    assert result["failed"] is True and result["reason"] == "onprem_module_missing"
    assert "Front End" in result["msg"]
