"""lync.hybrid.cs_access_edge against the in-process lab host (the real runner protocol)."""

from __future__ import annotations

import typing as t

import pytest

from tests.unit.plugins.action import lab_support


class Lab(lab_support.Lab):
    module = "cs_access_edge"

    @property
    def edge(self) -> dict[str, t.Any]:
        return self.state.deployment["access_edge"]


def with_edge(providers: bool = True, **edge: t.Any) -> dict[str, t.Any]:
    data = lab_support.state("sfb2019-teams")
    data["deployment"]["access_edge"] = edge
    if not providers:
        data["deployment"]["hosting_providers"] = []
    return data


FEDERATION_OFF = {"allow_federated_users": False, "enable_partner_discovery": False, "use_dns_srv_routing": True}


def test_check_mode_predicts_and_changes_nothing() -> None:
    lab = Lab(with_edge(**FEDERATION_OFF))
    result, connection = lab.run({}, check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert result["changed_properties"] == ["AllowFederatedUsers", "EnablePartnerDiscovery"]
    assert result["diff"]["before"]["AllowFederatedUsers"] is False
    assert result["diff"]["after"]["AllowFederatedUsers"] is True
    assert len(connection.commands) == 1
    assert lab.calls("Set-CsAccessEdgeConfiguration") == [] and lab.changes() == []


def test_apply_sends_only_the_drift_then_is_idempotent_in_one_command_each() -> None:
    lab = Lab(with_edge(**FEDERATION_OFF))
    result, connection = lab.run({}, diff=True)
    assert result["changed"] is True and len(connection.commands) == 1
    (call,) = lab.calls("Set-CsAccessEdgeConfiguration")
    assert set(call["params"]) == {"UseDnsSrvRouting", "Force", "AllowFederatedUsers", "EnablePartnerDiscovery"}
    assert lab.edge["allow_federated_users"] is True and lab.edge["enable_partner_discovery"] is True

    again, connection = lab.run({})
    assert again["changed"] is False and len(connection.commands) == 1
    assert len(lab.calls("Set-CsAccessEdgeConfiguration")) == 1  # skipped on the host


def test_default_routing_is_switched_to_dns_srv() -> None:
    lab = Lab(with_edge(providers=False, use_dns_srv_routing=False, default_route_fqdn="edge.example.com"))
    result, _ = lab.run({})
    assert result["changed"] is True
    assert "RoutingMethod" in result["changed_properties"]
    assert lab.edge["use_dns_srv_routing"] is True
    assert result["access_edge"]["RoutingMethod"] == "UseDnsSrvRouting"


def test_default_route_with_a_hosting_provider_is_refused_with_the_reason() -> None:
    lab = Lab("sfb2019-teams")
    result, _ = lab.run({"routing": "default_route", "default_route_fqdn": "edge.example.com"})
    assert result["failed"] is True and result["changed"] is False
    assert result["reason"] == "default_route_refused"
    assert "routing=dns_srv" in result["msg"]
    assert lab.changes() == []


def test_default_route_without_providers_is_set() -> None:
    lab = Lab(with_edge(providers=False, use_dns_srv_routing=True))
    result, _ = lab.run({"routing": "default_route", "default_route_fqdn": "edge.example.com"})
    assert result["changed"] is True, result
    assert lab.edge["use_dns_srv_routing"] is False and lab.edge["default_route_fqdn"] == "edge.example.com"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"routing": "default_route"}, "default_route_fqdn"),
        (
            {"routing": "default_route", "default_route_fqdn": "x.example.com", "enable_partner_discovery": True},
            "enable_partner_discovery",
        ),
        ({"default_route_fqdn": "x.example.com"}, "default_route_fqdn"),
        ({"routing": "default_route", "default_route_fqdn": "nodots"}, "FQDN"),
        ({"routing": "fixed"}, "routing"),
    ],
)
def test_bad_options_are_refused_before_anything_is_sent(args: dict[str, t.Any], needle: str) -> None:
    lab = Lab("sfb2019-teams")
    result, connection = lab.run(args)
    assert result["failed"] is True and needle in result["msg"], result
    assert connection.commands == []
