"""On-premises cmdlets of the Lync / SkypeForBusiness management module, backed by ``state.deployment``.

They exist only after the management module was imported (the runner does that when a
request names ``onprem_modules``). Properties follow the Lync Server / Skype for Business
Server cmdlet reference. In a deployment whose topology is not published, topology-based
cmdlets fail or return nothing, while the configuration cmdlets (hosting providers,
Access Edge) still read the Central Management store.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ..state import ACCESS_EDGE_FIELDS, HOSTING_PROVIDER_FIELDS, PRODUCTS, VERIFICATION_LEVELS, federated_edge_pools
from ..values import PSObject, parse_datetime, wildcard
from .base import REGISTRY, Bound, Cmdlet, Param, PSError, Resolved, Shell, ps_error
from .signatures import documented

DEPLOY = "Microsoft.Rtc.Management.Deployment"
EDGE = "Microsoft.Rtc.Management.WritableConfig.Settings.Edge"
XDS = "Microsoft.Rtc.Management.Xds"
SFB_ONLY = ("sfb2015", "sfb2019")
VERIFICATION = dict(choices=VERIFICATION_LEVELS, type_name=f"{EDGE}.VerificationLevelType")


def _deployment(shell: Shell) -> dict[str, Any]:
    assert shell.state.deployment is not None  # the module exports nothing without a deployment
    return shell.state.deployment


def _published(shell: Shell) -> bool:
    return bool(_deployment(shell)["topology"]["published"])


def _computers(shell: Shell) -> list[str]:
    return [computer for pool in _deployment(shell)["pools"] for computer in pool["computers"]]


def _not_published(command: str, cls: str) -> PSError:
    return ps_error(
        f"{command} failed: the topology has not been published. Publish a topology with Topology Builder "
        "(or Publish-CsTopology) and run the command again.",
        f"TopologyNotPublished,{DEPLOY}.{cls}",
        "ObjectNotFound",
        f"{DEPLOY}.DeploymentException",
    )


# --- the second hop ---------------------------------------------------------------------------
# Over WinRM without credential delegation (NTLM, or Kerberos without delegation) the host holds no
# credentials to pass on: SQL Server sees the connection as NT AUTHORITY\ANONYMOUS LOGON and refuses
# it, and Active Directory answers an LDAP search with "An operations error occurred" (0x80072020).
# Source: the PowerShell remoting double hop as described for SharePoint's management shell (the
# blog post "PowerShell remoting for SharePoint", blogs.msdn.microsoft.com/besidethepoint, 2010-05-26)
# and Microsoft's "Making the second hop in PowerShell Remoting" (PowerShell-Docs,
# reference/docs-conceptual/security/remoting/PS-remoting-second-hop.md). Which Lync cmdlets
# touch SQL or AD is assumed from what they read: the central management store (CMS) lives in SQL on
# the back end; -LocalStore (documented on Get-CsTopology, Get-CsHostingProvider and
# Get-CsAccessEdgeConfiguration) reads the server's local replica instead. The error ids and the
# outer exception types are assumed; the SQL and LDAP texts are the ones those failures show.


def _store_is_remote(shell: Shell) -> bool:
    """The CMS back end is on another computer than this one (Enterprise Edition, or a separate SQL server)."""
    backend = str(_deployment(shell)["cms"]["backend"] or "")
    server = backend.split("\\", 1)[0].lower()
    host = shell.state.host
    return server not in (host["name"].lower(), f"{host['name']}.{host['domain']}".lower())


def _second_hop(shell: Shell, bound: Bound, cls: str, directory: bool = False) -> None:
    if shell.state.host["credential_delegation"] or bound.switch("LocalStore") or not _store_is_remote(shell):
        return
    if directory:
        raise ps_error(
            "An operations error occurred.",
            f"DirectoryOperationsError,{DEPLOY}.{cls}",
            "NotSpecified",
            "System.DirectoryServices.DirectoryServicesCOMException",
        )
    raise ps_error(
        "Login failed for user 'NT AUTHORITY\\ANONYMOUS LOGON'.",
        f"SqlLoginFailed,{XDS}.{cls}",
        "NotSpecified",
        "System.Data.SqlClient.SqlException",
    )


def _through_cms(handler: Any, cls: str, directory: bool = False) -> Any:
    """A cmdlet that reaches the CMS (or, with directory, Active Directory) before it does its work."""

    def run(shell: Shell, bound: Bound) -> list[Any]:
        _second_hop(shell, bound, cls, directory)
        return handler(shell, bound)

    return run


# --- version and topology ----------------------------------------------------------------------


def get_server_version(shell: Shell, bound: Bound) -> list[Any]:
    deployment = _deployment(shell)
    base = ".".join(deployment["build"].split(".")[:3]) + ".0"
    return [f"{PRODUCTS[deployment['product']][2]} ({base}): {deployment['license']}"]


def get_server_patch_version(shell: Shell, bound: Bound) -> list[Any]:
    deployment = _deployment(shell)
    display = PRODUCTS[deployment["product"]][3]
    rows = []
    for computer in _computers(shell) if _published(shell) else [shell.state.fqdn]:
        for component in ("Core Components", "Front End Server"):
            props = {
                "ComputerName": computer,
                "Role": "Core" if component == "Core Components" else "FrontEnd",
                "ComponentName": f"{display}, {component}",
                "Version": deployment["build"],
            }
            rows.append(PSObject(props, f"{DEPLOY}.ServerPatchVersion"))
    return rows


def get_topology(shell: Shell, bound: Bound) -> list[Any]:
    if not _published(shell):
        raise _not_published("Get-CsTopology", "GetTopologyCmdlet")
    pools = _deployment(shell)["pools"]
    if bound.switch("AsXml"):
        clusters = "".join(f'<Cluster Fqdn="{pool["fqdn"]}" Site="{pool["site"]}"/>' for pool in pools)
        return [f'<Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008">{clusters}</Topology>']
    props = {
        "Sites": sorted({f"Site:{pool['site']}" for pool in pools}),
        "Clusters": [pool["fqdn"] for pool in pools],
        "Machines": _computers(shell),
        "Services": [f"{service}:{pool['fqdn']}" for pool in pools for service in pool["services"]],
    }
    return [PSObject(props, f"{DEPLOY}.Topology", "Microsoft.Rtc.Management.Deploy.Internal.Topology")]


def get_pool(shell: Shell, bound: Bound) -> list[Any]:
    if not _published(shell):
        return []
    wanted = wildcard(bound.get("Identity") or bound.get("Filter") or "*")
    rows = []
    for pool in _deployment(shell)["pools"]:
        if wanted.match(pool["fqdn"]):
            props = {
                "Identity": pool["fqdn"],
                "Services": [f"{service}:{pool['fqdn']}" for service in pool["services"]],
                "Computers": list(pool["computers"]),
                "Fqdn": pool["fqdn"],
                "Site": f"Site:{pool['site']}",
            }
            rows.append(PSObject(props, f"{DEPLOY}.Pool", pool["fqdn"]))
    return rows


def _local_computer(shell: Shell) -> str:
    host = shell.state.host["name"].lower()
    return next((c for c in _computers(shell) if c.split(".")[0].lower() == host), shell.state.fqdn)


def get_windows_service(shell: Shell, bound: Bound) -> list[Any]:
    computer = bound.get("ComputerName") or _local_computer(shell)
    services = {c.lower(): s for c, s in _deployment(shell)["windows_services"].items()}
    # The services are read from the computer itself, so an unpublished topology does not hide them.
    if computer.lower() not in services:
        raise ps_error(
            f'Cannot find computer "{computer}" in the published topology. The computer must be part of a '
            "published topology to run Get-CsWindowsService.",
            f"ComputerNotFound,{DEPLOY}.GetCsWindowsServiceCmdlet",
            "ObjectNotFound",
            f"{DEPLOY}.DeploymentException",
            computer,
        )
    wanted = wildcard(bound.get("Name") or "*")
    rows = []
    for service in services[computer.lower()]:
        if wanted.match(service["name"]):
            props = {"Status": service["status"], "Name": service["name"]}
            if not bound.switch("ExcludeActivityLevel"):
                props["ActivityLevel"] = service["activity_level"]
            props["DisplayName"] = service["display_name"]
            rows.append(PSObject(props, f"{DEPLOY}.WindowsServiceInfo", service["name"]))
    if bound.get("Name") and not rows:
        raise ps_error(
            f'Cannot find service "{bound.get("Name")}" on computer "{computer}".',
            f"ServiceNotFound,{DEPLOY}.GetCsWindowsServiceCmdlet",
            "ObjectNotFound",
            "System.InvalidOperationException",
            bound.get("Name"),
        )
    return rows


def get_configuration_store_location(shell: Shell, bound: Bound) -> list[Any]:
    return [_deployment(shell)["cms"]["backend"]]


def get_replication_status(shell: Shell, bound: Bound) -> list[Any]:
    if not _published(shell):
        return []
    deployment = _deployment(shell)
    if bound.switch("CentralManagementStoreStatus"):
        master = _computers(shell)[0]
        props = {"ActiveMasterFqdn": master, "ActiveFileTransferAgents": [master]}
        return [PSObject(props, f"{XDS}.CentralManagementStoreStatusResult")]
    wanted = (bound.get("ReplicaFqdn") or "").lower()
    return [
        PSObject(
            {
                "UpToDate": replica["up_to_date"],
                "ReplicaFqdn": replica["fqdn"],
                "LastStatusReport": parse_datetime(replica["last_status_report"]),
                "LastUpdateCreation": parse_datetime(replica["last_update_creation"]),
                "ProductVersion": deployment["build"],
            },
            f"{XDS}.ReplicaState",
            replica["fqdn"],
        )
        for replica in deployment["cms"]["replicas"]
        if not wanted or replica["fqdn"].lower() == wanted
    ]


def get_sip_domain(shell: Shell, bound: Bound) -> list[Any]:
    if not _published(shell):
        return []
    wanted = wildcard(bound.get("Identity") or bound.get("Filter") or "*")
    return [
        PSObject(
            {"Identity": d["name"], "Name": d["name"], "IsDefault": d["is_default"]}, f"{XDS}.SipDomain", d["name"]
        )
        for d in _deployment(shell)["sip_domains"]
        if wanted.match(d["name"])
    ]


def get_site(shell: Shell, bound: Bound) -> list[Any]:
    """Get-CsSite: one object per site, with the Edge pool it federates through.

    Source: SkypeForBusiness/Get-CsSite.md @ 93336da2 (output Microsoft.Rtc.Management.Deploy.Internal.Site);
    FederationRoute and its "EdgeServer:<pool FQDN>" form from Set-CsSite.md @ 93336da2. Identity "Site:<name>"
    as Get-CsPool's Site shows it, DisplayName the site's name: assumed.
    """
    if not _published(shell):
        return []
    wanted = wildcard(bound.get("Identity") or bound.get("Filter") or "*")
    rows = []
    for site in _deployment(shell)["sites"]:
        identity = f"Site:{site['name']}"
        if wanted.match(identity) or wanted.match(site["name"]):
            route = site["federation_route"]
            props = {
                "Identity": identity,
                "DisplayName": site["name"],
                "FederationRoute": f"EdgeServer:{route}" if route else None,
            }
            rows.append(PSObject(props, "Microsoft.Rtc.Management.Deploy.Internal.Site", identity))
    return rows


# --- hosting providers -------------------------------------------------------------------------


def _provider_object(provider: dict[str, Any]) -> PSObject:
    props = {prop: provider[key] for key, (prop, _check, _default) in HOSTING_PROVIDER_FIELDS.items()}
    return PSObject(props, f"{EDGE}.HostingProvider", f"Identity={provider['identity']}")


def _find_provider(shell: Shell, identity: str, cls: str) -> dict[str, Any]:
    for provider in _deployment(shell)["hosting_providers"]:
        if provider["identity"].lower() == identity.lower():
            return provider
    raise ps_error(
        f'Cannot find "HostingProvider" with identity "{identity}".',
        f"ItemNotFound,{EDGE}.{cls}",
        "ObjectNotFound",
        "System.Management.Automation.ItemNotFoundException",
        identity,
    )


def get_hosting_provider(shell: Shell, bound: Bound) -> list[Any]:
    wanted = wildcard(bound.get("Identity") or bound.get("Filter") or "*")
    return [_provider_object(p) for p in _deployment(shell)["hosting_providers"] if wanted.match(p["identity"])]


def _apply_provider(shell: Shell, bound: Bound, provider: dict[str, Any]) -> None:
    label = f"deployment.hosting_providers[{provider['identity']}]"
    for key, (prop, _check, _default) in HOSTING_PROVIDER_FIELDS.items():
        if prop in bound.values and key not in ("identity", "proxy_fqdn"):
            shell.change(label, provider, key, bound.get(prop))


def set_hosting_provider(shell: Shell, bound: Bound) -> list[Any]:
    provider = _find_provider(shell, bound.get("Identity") or "", "SetHostingProviderCmdlet")
    if shell.should_process(bound, provider["identity"], "Set"):
        _apply_provider(shell, bound, provider)
    return []


def new_hosting_provider(shell: Shell, bound: Bound) -> list[Any]:
    deployment = _deployment(shell)
    identity, proxy = bound.get("Identity"), bound.get("ProxyFqdn")
    cls = f"{EDGE}.NewHostingProviderCmdlet"
    for provider in deployment["hosting_providers"]:
        if provider["identity"].lower() == identity.lower():
            raise ps_error(
                f'"HostingProvider" with identity "{identity}" already exists.',
                f"ItemAlreadyExists,{cls}",
                "ResourceExists",
                "System.InvalidOperationException",
                identity,
            )
        if provider["proxy_fqdn"].lower() == proxy.lower():
            raise ps_error(
                f'A hosting provider with ProxyFqdn "{proxy}" already exists (identity "{provider["identity"]}"). '
                "Remove it first or change its other properties with Set-CsHostingProvider.",
                f"DuplicateProxyFqdn,{cls}",
                "ResourceExists",
                "System.InvalidOperationException",
                proxy,
            )
    if not deployment["access_edge"]["use_dns_srv_routing"]:
        raise ps_error(
            "Hosting providers cannot be used while the Access Edge configuration uses default routing.",
            f"InvalidRoutingMethod,{cls}",
            "InvalidOperation",
            "System.InvalidOperationException",
            identity,
        )
    provider = {key: default for key, (_prop, _check, default) in HOSTING_PROVIDER_FIELDS.items()}
    provider.update(identity=identity, name=bound.get("Name") or identity, proxy_fqdn=proxy)
    provider.update({key: bound.get(prop) for key, (prop, *_rest) in HOSTING_PROVIDER_FIELDS.items() if prop in bound})
    if not shell.should_process(bound, identity, "New"):
        return []
    if bound.switch("InMemory"):
        return [_provider_object(provider)]
    shell.add("deployment.hosting_providers", deployment["hosting_providers"], provider, identity)
    return []


def remove_hosting_provider(shell: Shell, bound: Bound) -> list[Any]:
    provider = _find_provider(shell, bound.get("Identity"), "RemoveHostingProviderCmdlet")
    if shell.should_process(bound, provider["identity"], "Remove"):
        providers = _deployment(shell)["hosting_providers"]
        shell.remove("deployment.hosting_providers", providers, provider, provider["identity"])
    return []


# --- Access Edge -------------------------------------------------------------------------------

_DNS_ONLY = ("be_clearing_house", "enable_partner_discovery", "discovered_partner_verification_level")
_DEFAULT_ONLY = ("default_route_fqdn", "is_public_provider", "verification_level")


def get_access_edge(shell: Shell, bound: Bound) -> list[Any]:
    edge = _deployment(shell)["access_edge"]
    dns = edge["use_dns_srv_routing"]
    props: dict[str, Any] = {"Identity": "Global"}
    for key, (prop, _check, _default) in ACCESS_EDGE_FIELDS.items():
        if key == "use_dns_srv_routing":
            props["RoutingMethod"] = "UseDnsSrvRouting" if dns else "UseDefaultRouting"
        elif not ((key in _DNS_ONLY and not dns) or (key in _DEFAULT_ONLY and dns)):
            props[prop] = edge[key]
    return [PSObject(props, f"{EDGE}.AccessEdgeConfiguration", "Identity=Global")]


def set_access_edge(shell: Shell, bound: Bound) -> list[Any]:
    """The parameter set decides the routing method: DnsSrvRouting or DefaultRoute switch it."""
    deployment = _deployment(shell)
    edge = deployment["access_edge"]
    cls = f"{EDGE}.SetAccessEdgeConfigurationCmdlet"
    if bound.parameter_set == "DefaultRoute":
        if not (bound.get("DefaultRouteFqdn") or edge["default_route_fqdn"]):
            raise ps_error(
                "DefaultRouteFqdn is required when UseDefaultRouting is specified.",
                f"MissingDefaultRouteFqdn,{cls}",
                "InvalidArgument",
                "System.ArgumentException",
            )
        if deployment["hosting_providers"]:
            raise ps_error(
                "All hosting providers and public providers must be removed before a default route can be assigned.",
                f"HostingProvidersExist,{cls}",
                "InvalidOperation",
                "System.InvalidOperationException",
            )
    if not shell.should_process(bound, "Global", "Set"):
        return []
    if bound.parameter_set in ("DnsSrvRouting", "DefaultRoute"):
        shell.change("deployment.access_edge", edge, "use_dns_srv_routing", bound.parameter_set == "DnsSrvRouting")
    for key, (prop, _check, _default) in ACCESS_EDGE_FIELDS.items():
        if prop in bound.values and key != "use_dns_srv_routing":
            shell.change("deployment.access_edge", edge, key, bound.get(prop))
    return []


# --- users: Get-CsUser, Move-CsUser --------------------------------------------------------------
#
# Source of the parameters and of the behaviour marked "page": MicrosoftDocs/office-docs-powershell
# @ 93336da2bca96c31c0fc8acc52658a30ef8a6c94, skype/skype-ps/SkypeForBusiness/Move-CsUser.md and
# Get-CsUser.md. Error texts and ids are assumed (no page gives them) unless marked otherwise.

AD = "Microsoft.Rtc.Management.AD"
ONLINE_PROXY_FQDN = "sipfed.online.lync.com"
MOVE_CLASS = f"{AD}.Cmdlets.MoveOcsUserCmdlet"
MOVE_REPLY_CLASS = "Microsoft.Rtc.Management.Hosted.Online.HostedMigrationException"


def _user_key(identity: str) -> str:
    text = identity.strip().lower()
    return text[4:] if text.startswith("sip:") else text


def _find_user(shell: Shell, identity: str) -> dict[str, Any] | None:
    """Identity as SIP address (with or without sip:), UPN or display name (page: -Identity)."""
    key = _user_key(identity)
    for user in _deployment(shell)["users"]:
        names = (user["sip_address"][4:].lower(), user["upn"].lower(), user["display_name"].lower())
        if key in names:
            return user
    return None


def _user_not_found(identity: str, cls: str) -> PSError:
    # Assumed text, in the form the Lync management cmdlets use for an unknown identity.
    return ps_error(
        f'Management object not found for identity "{identity}".',
        f"Identity,{AD}.Cmdlets.{cls}",
        "InvalidData",
        "Microsoft.Rtc.Management.AD.ManagementException",
        identity,
    )


def _user_object(user: dict[str, Any], domain: str) -> PSObject:
    # Assumed output: properties of Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser as commonly shown
    # by Get-CsUser (the page mentions DisplayName, SipAddress, EnterpriseVoiceEnabled only).
    dn = f"CN={user['display_name']},OU=Users," + ",".join(f"DC={part}" for part in domain.split("."))
    online = user["registrar_pool"] is None
    props = {
        "Identity": dn,
        "DisplayName": user["display_name"],
        "SipAddress": user["sip_address"],
        "UserPrincipalName": user["upn"],
        "Enabled": True,
        "RegistrarPool": user["registrar_pool"],
        "HostingProvider": ONLINE_PROXY_FQDN if online else "SRV:",
    }
    return PSObject(props, "Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser", dn)


def get_user(shell: Shell, bound: Bound) -> list[Any]:
    domain = shell.state.host["domain"]
    identity = bound.get("Identity")
    if identity is None:
        return [_user_object(user, domain) for user in _deployment(shell)["users"]]
    user = _find_user(shell, str(identity))
    if user is None:
        raise _user_not_found(str(identity), "GetOcsUserCmdlet")
    return [_user_object(user, domain)]


def _move_error(message: str, reason: str, category: str = "InvalidOperation", target: str = "") -> PSError:
    return ps_error(message, f"{reason},{MOVE_CLASS}", category, MOVE_REPLY_CLASS, target)


def _old_build(deployment: dict[str, Any]) -> bool:
    """Builds before SfB 2015 CU12 cannot use MFA with Move-CsUser (page, NOTE)."""
    if deployment["product"] == "sfb2019":
        return False
    build = tuple(int(part) for part in deployment["build"].split("."))
    return deployment["product"] == "lync2013" or build < (6, 0, 9319, 619)


def _tenant_admin(shell: Shell, bound: Bound, identity: str) -> None:
    """-Credential is the tenant admin; without it the cmdlet prompts (page, example 1)."""
    credential = bound.get("Credential")
    if credential is None:
        raise ps_error(
            "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
            "HostException",
            "InvalidOperation",
            "System.Management.Automation.PSInvalidOperationException",
        )
    tenant = shell.state.tenant
    admin = None
    if tenant is not None:
        admin = next((a for a in tenant["admins"] if a["user"].lower() == credential.username.lower()), None)
    if admin is None or admin["password"] != credential.password:
        raise _move_error(
            "AADSTS50126: Error validating credentials due to invalid username or password.",
            "MoveUserToOnPremFailed",
            "AuthenticationError",
            identity,
        )
    if admin["mfa_required"]:
        old = _old_build(_deployment(shell))
        suffix = (
            " This version of the administrative tools does not support multi-factor authentication." if old else ""
        )
        raise _move_error(
            "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a "
            f"new location, you must use multi-factor authentication.{suffix}",
            "MoveUserToOnPremFailed",
            "AuthenticationError",
            identity,
        )


def move_user(shell: Shell, bound: Bound) -> list[Any]:
    """Move-CsUser from the tenant to an on-premises registrar pool, or between on-premises pools.

    Checks in the order a real move meets them: confirmation (page: -Confirm "bypass the confirmation
    prompt that would otherwise appear"), the user object, the target, TLS 1.2 (page, NOTE), one
    federated Edge pool (page, DESCRIPTION), the tenant logon (page, NOTE on MFA), the hosted migration
    service URL (page: -HostedMigrationOverrideUrl, "as long as the hosting provider has its AutoDiscover
    URL properly configured"), the match with the online user, and throttling. All texts assumed.
    """
    if "Confirm" not in bound.common:
        raise ps_error(
            "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
            "HostException",
            "InvalidOperation",
            "System.Management.Automation.PSInvalidOperationException",
        )
    deployment = _deployment(shell)
    identity = str(bound.get("Identity"))
    target = str(bound.get("Target"))
    user = _find_user(shell, identity)
    if user is None:
        raise _user_not_found(identity, "MoveOcsUserCmdlet")
    pool = next((p for p in deployment["pools"] if p["fqdn"].lower() == target.lower()), None)
    if pool is None or "Registrar" not in pool["services"]:
        raise _move_error(
            f'Target "{target}" is not a registrar pool or a hosting provider\'s ProxyFqdn.',
            "InvalidTarget",
            "InvalidArgument",
            target,
        )
    if user["registrar_pool"] is not None:
        if user["registrar_pool"].lower() == pool["fqdn"].lower():
            raise _move_error(
                f"User {user['sip_address']} is already homed on {pool['fqdn']}.",
                "UserAlreadyOnTarget",
                target=identity,
            )
        if shell.should_process(bound, user["sip_address"], "Move-CsUser"):
            shell.change(f"deployment.users[{user['sip_address']}]", user, "registrar_pool", pool["fqdn"])
        return [_user_object(user, shell.state.host["domain"])] if bound.switch("PassThru") else []
    moves = deployment["moves"]
    if not moves["tls12"]:
        raise _move_error(
            "The underlying connection was closed: An unexpected error occurred on a send. TLS 1.2 is required "
            "to move users between on-premises and Microsoft 365.",
            "MoveUserToOnPremFailed",
            "ConnectionError",
            identity,
        )
    if len(federated_edge_pools(deployment)) > 1:
        raise _move_error(
            "Multiple federated Edge pools were found. Skype for Business federation can only be enabled for a "
            "single Edge pool.",
            "MultipleFederatedEdgePools",
            target=identity,
        )
    _tenant_admin(shell, bound, identity)
    provider = next((p for p in deployment["hosting_providers"] if p["proxy_fqdn"] == ONLINE_PROXY_FQDN), None)
    if not bound.get("HostedMigrationOverrideUrl") and not (provider and provider["autodiscover_url"]):
        raise _move_error(
            "Unable to discover the hosted migration service URL: the hosting provider has no AutodiscoverUrl. "
            "Specify -HostedMigrationOverrideUrl.",
            "HostedMigrationUrlNotFound",
            "ObjectNotFound",
            identity,
        )
    if not user["synced"]:
        raise _move_error(
            f"User {user['sip_address']} was not found in the tenant: the on-premises user is not synchronized "
            "to Microsoft 365 (Azure AD Connect).",
            "UserNotSynchronized",
            "ObjectNotFound",
            identity,
        )
    if moves["throttle_moves"] > 0:
        shell.change("deployment.moves", moves, "throttle_moves", moves["throttle_moves"] - 1)
        raise _move_error(
            "The request was throttled by the hosted migration service (Micro delay applied). Try again later.",
            "ServerBusy",
            "LimitsExceeded",
            identity,
        )
    if not shell.should_process(bound, user["sip_address"], "Move-CsUser"):
        return []
    if moves["seconds_per_move"]:
        time.sleep(moves["seconds_per_move"])
    shell.change(f"deployment.users[{user['sip_address']}]", user, "registrar_pool", pool["fqdn"])
    return [_user_object(user, shell.state.host["domain"])] if bound.switch("PassThru") else []


# --- declarations ------------------------------------------------------------------------------


def _identity(*sets: str, local_store: bool = True) -> tuple[Param, ...]:
    """-Identity / -Filter of the Get-Cs* cmdlets; Get-CsPool and Get-CsSipDomain have no -LocalStore."""
    found = (Param("Identity", sets=sets), Param("Filter", sets=("Filter",)))
    return (*found, Param("LocalStore", "switch")) if local_store else found


_PROVIDER_FIELDS = (
    Param("Enabled", "bool"),
    Param("EnabledSharedAddressSpace", "bool"),
    Param("HostsOCSUsers", "bool"),
    Param("VerificationLevel", "enum", **VERIFICATION),
    Param("IsLocal", "bool"),
    Param("AutodiscoverUrl"),
    Param("Force", "switch"),
)
_EDGE_COMMON = (
    "AllowAnonymousUsers",
    "AllowFederatedUsers",
    "AllowOutsideUsers",
    "EnableArchivingDisclaimer",
    "KeepCrlsUpToDateForPeers",
    "MarkSourceVerifiableOnOutgoingMessages",
)
_ROUTED = ("Identity", "DefaultRoute", "DnsSrvRouting")
_EDGE_PARAMS = (
    Param("Identity", sets=("Identity",)),
    Param("Instance", "any", sets=("Instance",)),
    *(Param(name, "bool", sets=_ROUTED) for name in _EDGE_COMMON),
    Param("OutgoingTlsCountForFederatedPartners", "int", sets=_ROUTED),
    Param("SkypeSearchUrl", sets=_ROUTED),
    Param("DefaultRouteFqdn", sets=("DefaultRoute",)),
    Param("IsPublicProvider", "bool", sets=("DefaultRoute",)),
    Param("VerificationLevel", "enum", sets=("DefaultRoute",), **VERIFICATION),
    Param("UseDefaultRouting", "switch", sets=("DefaultRoute",)),
    Param("EnablePartnerDiscovery", "bool", sets=("DnsSrvRouting",)),
    Param("UseDnsSrvRouting", "switch", sets=("DnsSrvRouting",)),
    Param("BeClearingHouse", "bool", sets=("DnsSrvRouting",)),
    Param("DiscoveredPartnerVerificationLevel", "enum", sets=("DnsSrvRouting",), **VERIFICATION),
    Param("Force", "switch"),
)

CMDLETS: tuple[tuple[Cmdlet, tuple[str, ...] | None], ...] = (
    (
        # Source: SkypeForBusiness/Get-CsServerVersion.md @ 93336da2 (no parameters; output a String)
        Cmdlet("Get-CsServerVersion", "onprem", f"{DEPLOY}.GetServerVersionCmdlet", (), get_server_version),
        None,
    ),
    (
        Cmdlet(
            "Get-CsServerPatchVersion", "onprem", f"{DEPLOY}.GetServerPatchVersionCmdlet", (), get_server_patch_version
        ),
        SFB_ONLY,
    ),
    (
        # Source: SkypeForBusiness/Get-CsTopology.md @ 93336da2
        Cmdlet(
            "Get-CsTopology",
            "onprem",
            f"{DEPLOY}.GetTopologyCmdlet",
            (Param("AsXml", "switch"), Param("LocalStore", "switch")),
            _through_cms(get_topology, "GetTopologyCmdlet"),
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsPool.md @ 93336da2
        Cmdlet(
            "Get-CsPool",
            "onprem",
            f"{DEPLOY}.GetPoolCmdlet",
            _identity("Identity", local_store=False),
            _through_cms(get_pool, "GetPoolCmdlet"),
            "Identity",
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsWindowsService.md @ 93336da2
        Cmdlet(
            "Get-CsWindowsService",
            "onprem",
            f"{DEPLOY}.GetCsWindowsServiceCmdlet",
            (
                Param("Name"),
                Param("ComputerName"),
                Param("ExcludeActivityLevel", "switch"),
                Param("Report"),
            ),
            get_windows_service,
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsConfigurationStoreLocation.md @ 93336da2
        Cmdlet(
            "Get-CsConfigurationStoreLocation",
            "onprem",
            f"{DEPLOY}.GetConfigurationStoreLocationCmdlet",
            (Param("GlobalSettingsDomainController"), Param("Report")),
            _through_cms(get_configuration_store_location, "GetConfigurationStoreLocationCmdlet", directory=True),
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsManagementStoreReplicationStatus.md @ 93336da2
        Cmdlet(
            "Get-CsManagementStoreReplicationStatus",
            "onprem",
            f"{XDS}.GetReplicaStateCmdlet",
            (Param("ReplicaFqdn"), Param("CentralManagementStoreStatus", "switch")),
            _through_cms(get_replication_status, "GetReplicationStatusCmdlet"),
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsSipDomain.md @ 93336da2
        Cmdlet(
            "Get-CsSipDomain",
            "onprem",
            f"{XDS}.GetSipDomainCmdlet",
            _identity("Identity", local_store=False),
            _through_cms(get_sip_domain, "GetSipDomainCmdlet"),
            "Identity",
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsSite.md @ 93336da2 (sets Identity and Filter; no -LocalStore)
        Cmdlet(
            "Get-CsSite",
            "onprem",
            f"{DEPLOY}.GetSiteCmdlet",
            _identity("Identity", local_store=False),
            _through_cms(get_site, "GetSiteCmdlet"),
            "Identity",
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsHostingProvider.md @ 93336da2
        Cmdlet(
            "Get-CsHostingProvider",
            "onprem",
            f"{EDGE}.GetHostingProviderCmdlet",
            _identity("Identity"),
            _through_cms(get_hosting_provider, "GetHostingProviderCmdlet"),
            "Identity",
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Set-CsHostingProvider.md @ 93336da2
        Cmdlet(
            "Set-CsHostingProvider",
            "onprem",
            f"{EDGE}.SetHostingProviderCmdlet",
            (
                Param("Identity", sets=("Identity",)),
                Param("Instance", "any", sets=("Instance",)),
                *_PROVIDER_FIELDS,
            ),
            _through_cms(set_hosting_provider, "SetHostingProviderCmdlet"),
            "Identity",
            True,
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/New-CsHostingProvider.md @ 93336da2
        Cmdlet(
            "New-CsHostingProvider",
            "onprem",
            f"{EDGE}.NewHostingProviderCmdlet",
            # -Enabled, -EnabledSharedAddressSpace and -HostsOCSUsers are mandatory too (SYNTAX and yaml).
            documented(
                "New-CsHostingProvider",
                (Param("Identity"), Param("ProxyFqdn"), Param("InMemory", "switch"), *_PROVIDER_FIELDS),
            ),
            _through_cms(new_hosting_provider, "NewHostingProviderCmdlet"),
            should_process=True,
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Remove-CsHostingProvider.md @ 93336da2
        Cmdlet(
            "Remove-CsHostingProvider",
            "onprem",
            f"{EDGE}.RemoveHostingProviderCmdlet",
            (
                Param("Identity", mandatory=True),
                Param("Force", "switch"),
            ),
            _through_cms(remove_hosting_provider, "RemoveHostingProviderCmdlet"),
            should_process=True,
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Get-CsAccessEdgeConfiguration.md @ 93336da2
        Cmdlet(
            "Get-CsAccessEdgeConfiguration",
            "onprem",
            f"{EDGE}.GetAccessEdgeConfigurationCmdlet",
            _identity("Identity"),
            _through_cms(get_access_edge, "GetAccessEdgeConfigurationCmdlet"),
            "Identity",
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Set-CsAccessEdgeConfiguration.md @ 93336da2
        Cmdlet(
            "Set-CsAccessEdgeConfiguration",
            "onprem",
            f"{EDGE}.SetAccessEdgeConfigurationCmdlet",
            _EDGE_PARAMS,
            _through_cms(set_access_edge, "SetAccessEdgeConfigurationCmdlet"),
            "Identity",
            True,
        ),
        None,
    ),
)


USER_CMDLETS: tuple[tuple[Cmdlet, tuple[str, ...] | None], ...] = (
    (
        # Source: SkypeForBusiness/Get-CsUser.md @ 93336da2 (one set; -Filter, -OU, -LdapFilter not modelled)
        Cmdlet(
            "Get-CsUser",
            "onprem",
            f"{AD}.Cmdlets.GetOcsUserCmdlet",
            documented("Get-CsUser", (Param("Identity"), Param("DomainController"))),
            get_user,
        ),
        None,
    ),
    (
        # Source: SkypeForBusiness/Move-CsUser.md @ 93336da2. The obsolete -MoveToTeams and -Bypass*Check
        # switches, -UserList/-Report (files on the server) and -UseLegacyMode are not modelled, so the lab
        # refuses them; -UseOAuth is not on the page at all.
        Cmdlet(
            "Move-CsUser",
            "onprem",
            MOVE_CLASS,
            documented(
                "Move-CsUser",
                (
                    Param("Identity"),
                    Param("Target"),
                    Param("Credential", "credential"),
                    Param("HostedMigrationOverrideUrl"),
                    Param("Force", "switch"),
                    Param("ProxyPool"),
                    Param("DomainController"),
                    Param("PassThru", "switch"),
                ),
            ),
            move_user,
            should_process=True,
        ),
        None,
    ),
)
CMDLETS = CMDLETS + USER_CMDLETS


def exports(shell: Shell, version: str) -> Iterable[Resolved]:
    """What the management module exports on this deployment (nothing on a host without one)."""
    deployment = shell.state.deployment
    if deployment is None:
        return []
    return [
        Resolved(cmdlet, cmdlet.name, cmdlet.class_name)
        for cmdlet, products in CMDLETS
        if products is None or deployment["product"] in products
    ]


REGISTRY.module("Lync", exports)
REGISTRY.module("SkypeForBusiness", exports)
