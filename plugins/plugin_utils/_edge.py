# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The global Access Edge configuration that hybrid federation needs (internal use only).

Microsoft's procedure ("Configure Skype for Business hybrid", OfficeDocs-SkypeForBusiness
Skype/SfbHybrid/hybrid/configure-federation-with-skype-for-business-online.md @ 45b0d94a) runs
``Set-CsAccessEdgeConfiguration -AllowOutsideUsers 1 -AllowFederatedUsers 1 -EnablePartnerDiscovery 1
-UseDnsSrvRouting``. The Set-CsAccessEdgeConfiguration page (office-docs-powershell,
skype/skype-ps/SkypeForBusiness @ 93336da2) puts -EnablePartnerDiscovery in the DnsSrvRouting
parameter set only, whose switch -UseDnsSrvRouting also selects DNS SRV routing, and says hosting
providers cannot be used with a default route.

One command per task: the Get and a Set that the host runs only when a value differs
(``when_differs``), sending only the drifted values plus the switch of the wanted routing.
Get-CsAccessEdgeConfiguration reports the properties of the routing in use only
(EnablePartnerDiscovery under DNS SRV routing, DefaultRouteFqdn under a default route), so a
routing change shows up as drift of those properties.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils import _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import Diagnosis, HostError
from ansible_collections.lync.hybrid.plugins.plugin_utils._hosting import ONPREM_MODULES, fail_onprem

GET = "Get-CsAccessEdgeConfiguration"
SET = "Set-CsAccessEdgeConfiguration"
REPORTED = (
    "Identity",
    "AllowFederatedUsers",
    "AllowOutsideUsers",
    "EnablePartnerDiscovery",
    "RoutingMethod",
    "DefaultRouteFqdn",
)
ROUTING_METHOD = {"dns_srv": "UseDnsSrvRouting", "default_route": "UseDefaultRouting"}

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "allow_federated_users": {"type": "bool", "default": True},
    "allow_outside_users": {"type": "bool", "default": True},
    "enable_partner_discovery": {"type": "bool"},
    "routing": {"type": "str", "choices": list(ROUTING_METHOD), "default": "dns_srv"},
    "default_route_fqdn": {"type": "str"},
}
REQUIRED_IF = [["routing", "default_route", ["default_route_fqdn"]]]


def desired_values(args: dict[str, t.Any]) -> dict[str, t.Any]:
    """Property -> wanted value; the routing's own property makes a routing change visible as drift."""
    values: dict[str, t.Any] = {
        "AllowFederatedUsers": args["allow_federated_users"],
        "AllowOutsideUsers": args["allow_outside_users"],
    }
    if args["routing"] == "dns_srv":
        discovery = args["enable_partner_discovery"]
        values["EnablePartnerDiscovery"] = True if discovery is None else discovery
    else:
        values["DefaultRouteFqdn"] = args["default_route_fqdn"]
    return values


def check_options(args: dict[str, t.Any]) -> None:
    if args["routing"] == "default_route":
        if args["enable_partner_discovery"] is not None:
            raise AnsibleActionFail(
                "enable_partner_discovery applies to DNS SRV routing only (Set-CsAccessEdgeConfiguration puts "
                "-EnablePartnerDiscovery in the DnsSrvRouting parameter set); remove it or use routing=dns_srv."
            )
        fqdn = str(args["default_route_fqdn"] or "")
        if "." not in fqdn or any(ch.isspace() for ch in fqdn):
            raise AnsibleActionFail(f"default_route_fqdn must be the FQDN of the route's next hop, not {fqdn!r}.")
    elif args["default_route_fqdn"] is not None:
        raise AnsibleActionFail("default_route_fqdn applies to routing=default_route only; remove it.")


def build_steps(args: dict[str, t.Any], check_mode: bool) -> list[_runner.Step]:
    read = _runner.Step("before", GET, {"Identity": "Global"}, select=REPORTED)
    if check_mode:
        return [read]
    switch = "UseDnsSrvRouting" if args["routing"] == "dns_srv" else "UseDefaultRouting"
    return [
        read,
        # No -Identity: it is in the Identity parameter set only, and the routing sets act on Global.
        _runner.Step(
            "set", SET, {switch: True, "Force": True}, when_differs={"step": "before", "values": desired_values(args)}
        ),
        _runner.Step("after", GET, {"Identity": "Global"}, select=REPORTED),
    ]


def manage(action: ActionBase, args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    check_options(args)
    desired = desired_values(args)
    wanted_method = ROUTING_METHOD[args["routing"]]
    request = _runner.Request(steps=tuple(build_steps(args, check_mode)), onprem_modules=ONPREM_MODULES)
    response = _runner.execute(action, request)
    if response.error is not None:
        fail_onprem(response.error)
    before = _config(response.step("before"), "read")
    changes = {key: value for key, value in desired.items() if before.get(key) != value}
    routing_change = before.get("RoutingMethod") != wanted_method
    expected = {**before, **changes, "RoutingMethod": wanted_method}
    if args["routing"] == "dns_srv":
        expected.pop("DefaultRouteFqdn", None)
    else:
        expected.pop("EnablePartnerDiscovery", None)
    changed = bool(changes) or routing_change
    after = expected
    if not check_mode:
        set_step = response.step("set")
        if set_step.status == "error":
            _fail(set_step, before, default_route=args["routing"] == "default_route")
        if set_step.status == "skipped" and routing_change:
            changed = False  # the host found nothing to change
        after_step = response.step("after")
        if after_step.ok and isinstance(after_step.first(), dict):
            after = after_step.first()
        unmet = {key: after.get(key) for key, value in desired.items() if after.get(key) != value}
        if unmet or after.get("RoutingMethod") != wanted_method:
            raise HostError(
                Diagnosis(
                    "not_applied",
                    f"The Access Edge configuration still reports {unmet or after.get('RoutingMethod')} "
                    "after the change.",
                    "Central management store replication can lag; run the task again in a minute.",
                ),
                None,
                access_edge=after,
                changed=True,
            )
    changed_properties = sorted(set(changes) | ({"RoutingMethod"} if routing_change else set()))
    return {
        "changed": changed,
        "access_edge": after,
        "access_edge_before": before,
        "changed_properties": changed_properties,
        "diff": {"before": _view(before), "after": _view(after)},
    }


def _config(step: _runner.StepResult, verb: str) -> dict[str, t.Any]:
    row = step.first() if step.ok else None
    if not isinstance(row, dict):
        _fail(step, None, verb)
    return row


def _fail(
    step: _runner.StepResult, before: dict[str, t.Any] | None, verb: str = "change", default_route: bool = False
) -> t.NoReturn:
    record = step.error
    message = record.message if record else f"the step was {step.status}"
    extra: dict[str, t.Any] = {"access_edge": before} if before is not None else {}
    if default_route:
        # Decided by what was asked, not by the (localised) message: the page's documented refusal.
        found = Diagnosis(
            "default_route_refused",
            f"The default route was refused: {message.rstrip('.')}. Hosting providers, such as the one hybrid "
            "with Microsoft 365 needs, cannot be used with a default route.",
            "Hybrid with Microsoft 365 needs routing=dns_srv; use a default route only without hosting providers.",
        )
    else:
        found = Diagnosis(
            "host_error",
            f"Could not {verb} the Access Edge configuration: {message.rstrip('.')}.",
            "Nothing was changed; read error_record, fix the cause and run the task again.",
        )
    raise HostError(found, record, **extra)


def _view(config: dict[str, t.Any]) -> dict[str, t.Any]:
    return {key: config[key] for key in REPORTED if key in config}


if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase
