"""Tenant cmdlets (Microsoft Teams / Skype for Business Online), backed by ``state.tenant``.

There are two variants of each: the one a legacy connector session proxies (the Lync
Online era: no Teams-consumer properties, Get-CsTenant with the forest ``Identity``) and
the one the MicrosoftTeams module ships (MicrosoftTeams 3.0+ dropped ``Identity`` and
``Domains`` from Get-CsTenant in favour of ``VerifiedDomains``). Sending a parameter that
the variant in use does not have fails with NamedParameterNotFound, as on a real host.
"""

from __future__ import annotations

from typing import Any

from ..state import FEDERATION_FIELDS
from ..values import PSObject, parse_version, ps_string
from .base import Bound, Cmdlet, Param, PSError, Shell, ps_error

TEAMS = "Microsoft.Teams.ConfigAPI.Cmdlets"
HOSTED = "Microsoft.Rtc.Management.Hosted"
SETTINGS = "Microsoft.Rtc.Management.WritableConfig.Settings.Edge.TenantFederationSettings"


def _tenant(shell: Shell) -> dict[str, Any]:
    if shell.state.tenant is None:
        raise ps_error("The tenant could not be found.", "TenantNotFound", "ObjectNotFound", "System.Exception")
    return shell.state.tenant


def _class(name: str, legacy: bool) -> str:
    return f"{HOSTED}.{name.replace('-', '')}Cmdlet" if legacy else f"{TEAMS}.{name.replace('-', '')}"


# --- Get-CsTenant, Get-CsOnlineSipDomain -------------------------------------------------------


def get_tenant(legacy: bool, module_version: str) -> Any:
    def run(shell: Shell, bound: Bound) -> list[Any]:
        tenant = _tenant(shell)
        props: dict[str, Any] = {}
        if legacy or parse_version(module_version) < (3, 0, 0):
            props.update(Identity=tenant["identity"], DistinguishedName=tenant["identity"])
        props.update(TenantId=tenant["tenant_id"], DisplayName=tenant["display_name"])
        if legacy or parse_version(module_version) < (3, 0, 0):
            props["Domains"] = list(tenant["domains"])
        else:
            props["VerifiedDomains"] = [
                PSObject({"Name": domain, "Status": "Enabled"}, f"{TEAMS}.Generated.Models.ITenantVerifiedDomain")
                for domain in tenant["domains"]
            ]
        props.update(SipDomain=list(tenant["sip_domains"]), ServiceInstance=tenant["service_instance"])
        return [PSObject(props, "Microsoft.Rtc.Management.ADConnect.Schema.TenantObject", tenant["display_name"])]

    return run


def get_online_sip_domain(shell: Shell, bound: Bound) -> list[Any]:
    tenant = _tenant(shell)
    status = bound.get("DomainStatus") or "All"
    rows = []
    for domain in tenant["domains"]:
        state = "Enabled" if domain in tenant["sip_domains"] else "Disabled"
        if bound.get("Domain") and bound.get("Domain").lower() != domain.lower():
            continue
        if status in ("All", state):
            rows.append(PSObject({"Name": domain, "Status": state}, f"{TEAMS}.Generated.Models.SipDomain", domain))
    return rows


# --- federation configuration ------------------------------------------------------------------


def _fields(legacy: bool) -> dict[str, tuple[str, Any, Any, bool]]:
    return {key: entry for key, entry in FEDERATION_FIELDS.items() if entry[3] or not legacy}


def _domains_object(value: Any) -> PSObject:
    if value == "AllowAllKnownDomains":
        return PSObject({}, f"{SETTINGS.rsplit('.', 1)[0]}.AllowAllKnownDomains", "AllowAllKnownDomains")
    items = [
        PSObject({"Domain": d}, "Microsoft.Rtc.Management.WritableConfig.Settings.Edge.DomainPattern", f"Domain={d}")
        for d in value
    ]
    return PSObject({"AllowedDomain": items}, f"{SETTINGS.rsplit('.', 1)[0]}.AllowList", ", ".join(map(str, items)))


def get_federation(legacy: bool) -> Any:
    def run(shell: Shell, bound: Bound) -> list[Any]:
        identity = bound.get("Identity")
        if identity is not None and identity.lower() != "global":
            return []
        federation = _tenant(shell)["federation"]
        props: dict[str, Any] = {"Identity": "Global"}
        for key, (prop, *_rest) in _fields(legacy).items():
            value = federation[key]
            if key == "allowed_domains":
                value = _domains_object(value)
            elif key == "blocked_domains":
                value = [PSObject({"Domain": d}, f"{SETTINGS}.DomainPattern", f"Domain={d}") for d in value]
            props[prop] = value
        return [PSObject(props, SETTINGS, "Global")]

    return run


def _list_update(current: list[str], value: Any, prop: str, owner: str) -> list[str]:
    """A list parameter: a new list replaces, @{Add=..}/@{Remove=..}/@{Replace=..} edit, $null clears."""
    if value is None:
        return []
    if isinstance(value, dict):
        result = list(current)
        for verb, items in value.items():
            items = [ps_string(item) for item in (items if isinstance(items, list) else [items])]
            if verb.lower() == "replace":
                result = items
            elif verb.lower() == "add":
                result += [item for item in items if item.lower() not in (r.lower() for r in result)]
            elif verb.lower() == "remove":
                result = [r for r in result if r.lower() not in (item.lower() for item in items)]
            else:
                raise ps_error(
                    f"Cannot bind parameter '{prop}': '{verb}' is not Add, Remove or Replace.",
                    f"CannotConvertArgumentNoMessage,{owner}",
                    "InvalidArgument",
                    "System.Management.Automation.ParameterBindingException",
                )
        return result
    return [ps_string(item) for item in (value if isinstance(value, list) else [value])]


def _desired(shell: Shell, bound: Bound, legacy: bool, owner: str) -> dict[str, Any]:
    federation = _tenant(shell)["federation"]
    instance = bound.get("Instance")
    sources = dict(bound.values)
    if isinstance(instance, dict | PSObject):
        items = instance.items() if isinstance(instance, dict) else instance.props.items()
        sources = {**dict(items), **sources}
    desired: dict[str, Any] = {}
    for key, (prop, *_rest) in _fields(legacy).items():
        match = next((name for name in sources if name.lower() == prop.lower()), None)
        if match is None:
            continue
        value = sources[match]
        if key == "allowed_domains":
            current = federation[key] if isinstance(federation[key], list) else []
            all_known = isinstance(value, str) and value.lower() == "allowallknowndomains"
            value = "AllowAllKnownDomains" if all_known else _list_update(current, value, prop, owner)
        elif key in ("blocked_domains", "allowed_trial_tenant_domains"):
            value = _list_update(federation[key], value, prop, owner)
        desired[key] = value
    if "AllowedDomainsAsAList" in bound:
        current = federation["allowed_domains"] if isinstance(federation["allowed_domains"], list) else []
        desired["allowed_domains"] = _list_update(
            current, bound.get("AllowedDomainsAsAList"), "AllowedDomainsAsAList", owner
        )
    return desired


def set_federation(legacy: bool) -> Any:
    def run(shell: Shell, bound: Bound) -> list[Any]:
        tenant = _tenant(shell)
        owner = _class("Set-CsTenantFederationConfiguration", legacy)
        identity = bound.get("Identity")
        if identity is not None and identity.lower() != "global":
            raise ps_error(
                f'Cannot find "TenantFederationSettings" with identity "{identity}".',
                f"ItemNotFound,{owner}",
                "ObjectNotFound",
                "System.Management.Automation.ItemNotFoundException",
                identity,
            )
        tenant_id = bound.get("Tenant")
        if tenant_id and tenant_id.lower() != tenant["tenant_id"].lower():
            raise ps_error(
                f"Tenant '{tenant_id}' was not found.",
                f"TenantNotFound,{owner}",
                "ObjectNotFound",
                "System.Exception",
                tenant_id,
            )
        desired = _desired(shell, bound, legacy, owner)
        federation = tenant["federation"]
        if desired.get("shared_sip_address_space") is False and federation["shared_sip_address_space"]:
            raise _not_supported(owner)
        error = shell.state.faults["set_error"]
        if error:
            raise ps_error(
                error, f"ServerError,{owner}", "InvalidOperation", "System.InvalidOperationException", "Global"
            )
        if shell.should_process(bound, "Global", "Set-CsTenantFederationConfiguration"):
            for key, value in desired.items():
                shell.change("tenant.federation", federation, key, value)
        return []

    return run


def _not_supported(owner: str) -> PSError:
    return ps_error(
        "Setting SharedSipAddressSpace to False is not allowed: this scenario is not supported anymore.",
        f"SharedSipAddressSpaceCannotBeDisabled,{owner}",
        "InvalidOperation",
        "System.InvalidOperationException",
        "Global",
    )


# --- declarations ------------------------------------------------------------------------------


def _federation_params(legacy: bool) -> tuple[Param, ...]:
    identity_only = {
        "allow_teams_consumer",
        "allow_teams_consumer_inbound",
        "external_access_with_trial_tenants",
        "allowed_trial_tenant_domains",
    }
    params = [
        Param("Identity", sets=("Identity",)),
        Param("Instance", "any", sets=("Instance",)),
        Param("Tenant"),
        Param("Force", "switch"),
        Param("AllowedDomainsAsAList", "any"),
    ]
    for key, (prop, _check, _default, _legacy) in _fields(legacy).items():
        if key == "customize_federation":
            continue  # a property of the Get output only: no Set page documents -CustomizeFederation
        if key == "allow_public_users" and not legacy:
            # The current Teams page (Set-CsTenantFederationConfiguration.md @ 139b2ee8) lists no -AllowPublicUsers
            # and says it can no longer be used since May 5, 2025; the property stays in the Get output.
            continue
        kind = "any" if key in ("allowed_domains", "blocked_domains", "allowed_trial_tenant_domains") else "bool"
        if key == "external_access_with_trial_tenants":
            params.append(
                Param(
                    prop,
                    "enum",
                    sets=("Identity",),
                    choices=("Allowed", "Blocked"),
                    type_name="Microsoft.Rtc.Management.WritableConfig.Policy.ExternalAccessWithTrialTenantsType",
                )
            )
        else:
            params.append(Param(prop, kind, sets=("Identity",) if key in identity_only else ()))
    return tuple(params)


def tenant_cmdlets(legacy: bool, module_version: str = "0") -> list[Cmdlet]:
    """The tenant cmdlets of one variant: legacy session proxies, or the MicrosoftTeams module's own."""
    get_params = (
        Param("Identity", sets=("Identity",)),
        Param("Filter", sets=("Filter",)),
        Param("Tenant"),
        Param("LocalStore", "switch"),
    )
    # Sources: MicrosoftTeams/<name>.md @ 93336da2 for the module's own cmdlets, skype/<name>.md @ 1f33df4d
    # (Skype Online connector) for the legacy session proxies; see tests/lab/reference/cmdlets.json.
    specs = (
        (
            "Get-CsTenant",
            (Param("Identity"), Param("Filter"), Param("DomainController"), Param("ResultSize", "int")),
            get_tenant(legacy, module_version),
            None,
            False,
        ),
        (
            "Get-CsOnlineSipDomain",
            (
                Param("Domain"),
                Param(
                    "DomainStatus",
                    "enum",
                    choices=("All", "Enabled", "Disabled"),
                    type_name=f"{TEAMS}.Generated.Support.DomainStatus",
                ),
            ),
            get_online_sip_domain,
            None,
            False,
        ),
        ("Get-CsTenantFederationConfiguration", get_params, get_federation(legacy), "Identity", False),
        ("Set-CsTenantFederationConfiguration", _federation_params(legacy), set_federation(legacy), "Identity", True),
    )
    return [
        Cmdlet(name, "online", _class(name, legacy), params, run, default, should_process)
        for name, params, run, default, should_process in specs
    ]
