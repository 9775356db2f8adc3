# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the on-premises Lync / Skype for Business deployment (internal use only).

Everything is read in one runner request: the on-premises management module is
imported by the runner, and every read is a step that may fail on its own
(``continue_on_error``), because a facts module must report what it could read
rather than stop at the first cmdlet a given release or role does not have
(Get-CsServerPatchVersion does not exist on Lync Server 2013, an Edge server has
no central management store, ...). The readiness checks built from these facts
live in ``_checks``.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils import _checks, _clouds, _online, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._checks import parse_version, version_at_least
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import Diagnosis, HostError, diagnose

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

# The runner imports the newest of these that is installed (Lync on 2013, SkypeForBusiness on 2015/2019).
ONPREM_MODULES = ("SkypeForBusiness", "Lync")
ONLINE_CONNECTOR_MODULES = tuple(connector.module for connector in _online.CONNECTORS.values())
UNINSTALL_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"

# The parts a caller can leave out with gather_subset; the minimal facts (release,
# management module, PowerShell, OS) are always read because the checks need them.
SUBSETS = ("topology", "services", "cms", "federation", "connectors", "build")


@dataclasses.dataclass(frozen=True)
class Product:
    """A release of the server product and the build Microsoft requires for moving users."""

    key: str
    name: str
    major: int
    minimum_build: str | None
    minimum_update: str | None


# Minimum builds from the Move-CsUser documentation (required since 2022-07-31).
PRODUCTS: dict[int, Product] = {
    4: Product("lync2010", "Lync Server 2010", 4, None, None),
    5: Product("lync2013", "Lync Server 2013", 5, "5.0.8308.1182", "Cumulative Update 10 with Hotfix 7"),
    6: Product("sfb2015", "Skype for Business Server 2015", 6, "6.0.9319.619", "Cumulative Update 12"),
    7: Product("sfb2019", "Skype for Business Server 2019", 7, "7.0.2046.385", "Cumulative Update 6"),
}


@dataclasses.dataclass(frozen=True)
class Read:
    """One step of the request: which subset it belongs to and what to keep of its output."""

    id: str
    subset: str | None  # None: always read
    cmdlet: str
    params: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    select: tuple[str, ...] | None = None
    for_each: _runner.ForEach | None = None

    def step(self) -> _runner.Step:
        return _runner.Step(
            self.id, self.cmdlet, dict(self.params), select=self.select, continue_on_error=True, for_each=self.for_each
        )


# Get-CsHostingProvider property -> fact key.
HOSTING_PROVIDER_KEYS = {
    "Identity": "identity",
    "Name": "name",
    "ProxyFqdn": "proxy_fqdn",
    "Enabled": "enabled",
    "EnabledSharedAddressSpace": "enabled_shared_address_space",
    "HostsOCSUsers": "hosts_ocs_users",
    "VerificationLevel": "verification_level",
    "IsLocal": "is_local",
    "AutodiscoverUrl": "autodiscover_url",
}

READS: tuple[Read, ...] = (
    Read("server_version", None, "Get-CsServerVersion"),
    Read(
        "os",
        None,
        "Get-CimInstance",
        {"ClassName": "Win32_OperatingSystem"},
        ("Caption", "Version", "BuildNumber", "OSArchitecture"),
    ),
    Read("computer", None, "Get-CimInstance", {"ClassName": "Win32_ComputerSystem"}, ("Name", "DNSHostName", "Domain")),
    Read(
        "dotnet",
        None,
        "Get-ItemProperty",
        {"LiteralPath": r"HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full", "Name": "Release"},
        ("Release",),
    ),
    # .NET strong crypto, both registry views (tls_crypto_views): Move-CsUser needs TLS 1.2.
    *(
        Read(f"dotnet_tls_{view}", None, "Get-ItemProperty", {"LiteralPath": key}, _checks.STRONG_CRYPTO_VALUES)
        for view, key in _checks.STRONG_CRYPTO_KEYS.items()
    ),
    Read("patch_version", "build", "Get-CsServerPatchVersion", select=("ComponentName", "Version")),
    # Key by key: in Windows PowerShell 5.1 one malformed value under any Uninstall key fails a wildcard
    # Get-ItemProperty over all of them (PowerShell/PowerShell#9552), and on Lync 2013 this is the only build source.
    Read("uninstall_keys", "build", "Get-ChildItem", {"LiteralPath": UNINSTALL_KEY}, ("PSPath",)),
    Read(
        "installed",
        "build",
        "Get-ItemProperty",
        select=("DisplayName", "DisplayVersion"),
        for_each=_runner.ForEach("uninstall_keys", "PSPath", "LiteralPath"),
    ),
    # -LocalStore (documented on Get-CsTopology, Get-CsHostingProvider and Get-CsAccessEdgeConfiguration, not on
    # Get-CsPool or Get-CsSipDomain) reads this server's replica of the central management store instead of its
    # SQL back end, which over WinRM without credential delegation is a second hop that fails.
    Read("topology", "topology", "Get-CsTopology", {"LocalStore": True}, select=("Sites",)),
    Read("pools", "topology", "Get-CsPool", select=("Identity", "Fqdn", "Site", "Services", "Computers")),
    Read("sip_domains", "topology", "Get-CsSipDomain", select=("Identity", "Name", "IsDefault")),
    # FederationRoute names the Edge pool a site federates through (Set-CsSite page: -FederationRoute
    # "EdgeServer:<pool FQDN>"); Move-CsUser fails when more than one Edge pool is federated (Move-CsUser page).
    # Get-CsSite has no -LocalStore (Get-CsSite page @ 93336da2).
    Read("sites", "topology", "Get-CsSite", select=("Identity", "DisplayName", "FederationRoute")),
    Read(
        "windows_services",
        "services",
        "Get-CsWindowsService",
        select=("Name", "DisplayName", "Status", "ActivityLevel"),
    ),
    Read("cms_location", "cms", "Get-CsConfigurationStoreLocation"),
    Read(
        "cms_replication",
        "cms",
        "Get-CsManagementStoreReplicationStatus",
        select=("ReplicaFqdn", "UpToDate", "LastStatusReport", "LastUpdateCreation", "ProductVersion"),
    ),
    Read(
        "hosting_providers",
        "federation",
        "Get-CsHostingProvider",
        {"LocalStore": True},
        select=tuple(HOSTING_PROVIDER_KEYS),
    ),
    Read(
        "access_edge",
        "federation",
        "Get-CsAccessEdgeConfiguration",
        {"LocalStore": True},
        select=(
            "Identity",
            "AllowOutsideUsers",
            "AllowFederatedUsers",
            "AllowAnonymousUsers",
            "EnablePartnerDiscovery",
            "RoutingMethod",
            "UseDnsSrvRouting",
            "DefaultRouteFqdn",
        ),
    ),
    Read(
        "connectors",
        "connectors",
        "Get-Module",
        {"ListAvailable": True, "Name": list(ONLINE_CONNECTOR_MODULES)},
        ("Name", "Version", "ModuleBase"),
    ),
)


# --------------------------------------------------------------------------- options


def resolve_subsets(requested: t.Sequence[t.Any]) -> tuple[str, ...]:
    """Apply gather_subset as ansible.builtin.setup documents it, in the order of SUBSETS.

    ``all`` adds every subset, ``!name`` removes one and ``!all`` all of them, but a
    name given explicitly is always read (``[!all, services]``); when nothing is
    added, everything not excluded is read (``[!cms]``).
    """
    if not requested:
        raise AnsibleActionFail(_subset_error("an empty list"))
    added: set[str] = set()
    explicit: set[str] = set()
    excluded: set[str] = set()
    for raw in requested:
        value = str(raw).strip() if raw is not None else ""
        name = value[1:].strip() if value.startswith("!") else value
        if name != "all" and name not in SUBSETS:
            raise AnsibleActionFail(_subset_error(repr(raw)))
        names = SUBSETS if name == "all" else (name,)
        if value.startswith("!"):
            excluded.update(names)
        else:
            added.update(names)
            explicit.update(() if name == "all" else names)
    if not added:
        added = set(SUBSETS)
    return tuple(name for name in SUBSETS if name in added and (name in explicit or name not in excluded))


def _subset_error(what: str) -> str:
    choices = ", ".join(("all", *SUBSETS))
    return f"Invalid gather_subset {what}: use names from {choices}, each optionally prefixed with '!' to exclude it."


def build_request(subsets: t.Collection[str]) -> _runner.Request:
    """One request: the on-premises module is imported first, then every wanted read."""
    steps = tuple(read.step() for read in READS if read.subset is None or read.subset in subsets)
    return _runner.Request(steps=steps, onprem_modules=ONPREM_MODULES)


# --------------------------------------------------------------------------- gathering


def gather(action: ActionBase, subsets: tuple[str, ...], cloud: str | None = None) -> dict[str, t.Any]:
    """Read the deployment in one command; return the module result with the facts."""
    response = _runner.execute(action, build_request(subsets))
    if response.error is not None:
        _fail_top_level(response)
    facts = interpret(response, subsets, cloud)
    result: dict[str, t.Any] = {"changed": False, "ansible_facts": {"cs_deployment": facts}}
    hops = [entry["cmdlet"] for entry in facts["errors"] if entry.get("reason") == "second_hop"]
    if hops:
        result["warnings"] = [f"{', '.join(hops)} could not reach the central management store. {SECOND_HOP}"]
    return result


def _fail_top_level(response: _runner.Response) -> t.NoReturn:
    """No step ran: still hand back what the runner itself knows about the host.

    Only the missing-module case has a known meaning here; any other failure is an
    on-premises error whose text must not be read as a tenant logon problem.
    """
    error = response.error or _runner.ErrorRecord("The runner reported no error record.")
    host = {"powershell_version": response.ps_version or None, "management_module": None}
    found = diagnose(error)
    if found.reason != "onprem_module_missing":
        found = Diagnosis(
            "onprem_module_failed" if error.stage == "onprem" else "host_error",
            f"The deployment could not be read: {error.message.rstrip('.')}.",
            "The management shell did not load for the connecting account; check that it is a member of "
            "RTCUniversalServerAdmins and that the Lync management shell opens on this server.",
        )
    raise HostError(found, error, cs_deployment=host)


def interpret(response: _runner.Response, subsets: tuple[str, ...], cloud: str | None = None) -> dict[str, t.Any]:
    """Turn the step results into the documented fact dictionary (stable keys)."""
    steps = {read.id: response.step(read.id) for read in READS if read.subset is None or read.subset in subsets}
    module = response.onprem or {}
    version_text = _text(steps["server_version"])
    base_version = _version_in(version_text)
    build, build_source, components = _build(steps) if "build" in subsets else (None, None, None)
    product = _product(base_version, build, module.get("version"))
    fqdn = _fqdn(steps["computer"])
    pools = _pools(steps["pools"]) if "topology" in subsets else None

    facts: dict[str, t.Any] = {
        "gather_subset": list(subsets),
        "product": product.name if product else None,
        "product_key": product.key if product else None,
        "server_version": version_text,
        "base_version": base_version,
        "license": _license(version_text),
        "edition": _edition(pools, fqdn),
        "management_module": {"name": module.get("name"), "version": module.get("version")} if module else None,
        "fqdn": fqdn,
        "build": build,
        "build_source": build_source,
        "build_minimum": product.minimum_build if product else None,
        "build_minimum_update": product.minimum_update if product else None,
        "build_meets_minimum": _meets(build, product),
        "components": components,
        "topology_published": _published(steps["topology"], steps["pools"]) if "topology" in subsets else None,
        "pools": pools,
        "local_pool": _local_pool(pools, fqdn),
        "sip_domains": _rows(steps, "sip_domains", {"Name": "name", "IsDefault": "is_default"}),
        **_federation_routes(steps.get("sites")),
        "mfa_moves_supported": _checks.mfa_moves_supported(product.key if product else None, build),
        "windows_services": _rows(
            steps,
            "windows_services",
            {"Name": "name", "DisplayName": "display_name", "Status": "status", "ActivityLevel": "activity_level"},
        ),
        "cms": _cms(steps) if "cms" in subsets else None,
        "hosting_providers": _rows(steps, "hosting_providers", HOSTING_PROVIDER_KEYS),
        "access_edge": _access_edge(steps["access_edge"]) if "federation" in subsets else None,
        "online_connectors": _rows(steps, "connectors", {"Name": "name", "Version": "version", "ModuleBase": "path"}),
        "powershell_version": response.ps_version or None,
        "dotnet_release": _dotnet_release(steps["dotnet"]),
        "strong_crypto": _strong_crypto(steps),
        "os": _os(steps["os"]),
        "errors": [_error_entry(read, steps[read.id]) for read in READS if _failed(read, steps)],
    }
    # Unreadable items of a key-by-key read (a malformed registry value) are listed in errors too, named by their item,
    # but the read answered for every other item. A read none of whose items answered failed as a whole (listed above).
    facts["errors"] += [
        {"step": read.id, "cmdlet": read.cmdlet, **record.to_result()}
        for read in READS
        if read.id in steps and steps[read.id].ok
        for record in steps[read.id].item_errors
    ]
    for entry in facts["errors"]:
        if second_hop(entry.get("exception")):
            entry["reason"] = "second_hop"
    messages: dict[str, str] = {}
    for entry in facts["errors"]:
        hint = f" {SECOND_HOP}" if entry.get("reason") == "second_hop" else ""
        messages.setdefault(entry["step"], f"{entry['cmdlet']} failed: {entry['message']}{hint}")
    # The cloud the hosting provider check compares with (its ProxyFqdn and AutodiscoverUrl).
    facts["cloud"] = _clouds.get(cloud).key
    facts["hosting_provider_identity"] = _provider_for(facts["hosting_providers"], _clouds.get(cloud).proxy_fqdn)
    checks = _checks.evaluate(facts, subsets, messages)
    facts["checks"] = [check.to_result() for check in checks]
    facts["failed_checks"] = [check.id for check in checks if not check.passed]
    return facts


def _provider_for(providers: list[dict[str, t.Any]] | None, proxy_fqdn: str) -> str | None:
    """The identity of the provider that points at the cloud, which cs_hosting_provider must manage.

    Any identity may hold it (LyncOnline in older deployments); a second provider with the same
    ProxyFqdn cannot be created, so the role manages the one that exists.
    """
    for provider in providers or []:
        if str(provider.get("proxy_fqdn") or "").lower() == proxy_fqdn:
            return str(provider.get("identity"))
    return None


# Exception types (never localised) of the failures an unauthenticated second hop causes: SQL Server refusing
# NT AUTHORITY\ANONYMOUS LOGON on the CMS back end, Active Directory answering "An operations error occurred".
SECOND_HOP_EXCEPTIONS = ("System.Data.SqlClient.SqlException", "System.DirectoryServices.DirectoryServicesCOMException")
SECOND_HOP = (
    "This is the second hop: over WinRM without credential delegation the host cannot pass the account on to the "
    "SQL server of the central management store or to Active Directory (Enterprise Edition pools, or a CMS on "
    "another server). Connect with CredSSP (ansible_winrm_transport: credssp) or with Kerberos and delegation "
    "(ansible_winrm_transport: kerberos, ansible_winrm_kerberos_delegation: true, ansible_user as user@REALM)."
)


def second_hop(exception: t.Any) -> bool:
    """Whether an error record's exception type is one of the second-hop failures."""
    return str(exception or "") in SECOND_HOP_EXCEPTIONS


def _rows(steps: dict[str, _runner.StepResult], step_id: str, keys: dict[str, str]) -> list[dict[str, t.Any]] | None:
    """The objects of a step, renamed to snake_case facts; None when not gathered or failed."""
    step = steps.get(step_id)
    if step is None or not step.ok:
        return None
    return [{fact: row.get(prop) for prop, fact in keys.items()} for row in step.output if isinstance(row, dict)]


def _text(step: _runner.StepResult) -> str | None:
    """A cmdlet documented to write a string (Get-CsServerVersion, Get-CsConfigurationStoreLocation).

    Should a release write an object instead, its properties are kept as text rather
    than lost, so a present value is never mistaken for a missing one.
    """
    if not step.ok:
        return None
    parts = []
    for item in step.output:
        if isinstance(item, dict):
            item = "; ".join(f"{key}={value}" for key, value in item.items() if value not in (None, ""))
        parts.append(str(item if item is not None else "").strip())
    return "\n".join(part for part in parts if part) or None


def _failed(read: Read, steps: dict[str, _runner.StepResult]) -> bool:
    """A read that failed; a missing Get-CsServerPatchVersion (Lync 2013) or .NET 4.5+ key is a fact, not an error."""
    step = steps.get(read.id)
    if step is None or step.ok:
        return False
    fqid = step.error.fqid if step.error is not None else ""
    if read.id == "patch_version" and fqid.startswith("CommandNotFoundException"):
        return False
    return not (read.id == "dotnet" and fqid.startswith("PathNotFound"))


def _dotnet_release(step: _runner.StepResult) -> int | None:
    """The .NET Framework 4.x Release number; 0 when no .NET Framework 4.5 or later is installed (no key)."""
    if not step.ok:
        missing = step.error is not None and step.error.fqid.startswith("PathNotFound")
        return 0 if missing else None
    row = step.first()
    value = row.get("Release") if isinstance(row, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strong_crypto(steps: dict[str, _runner.StepResult]) -> dict[str, t.Any]:
    """SchUseStrongCrypto and SystemDefaultTlsVersions per registry view, and whether both views give TLS 1.2.

    ``enabled`` is None when a view could not be read. Either value set to 1 lets .NET Framework 4.x offer
    TLS 1.2 ("Transport Layer Security (TLS) best practices with .NET Framework").
    """
    views: dict[str, t.Any] = {}
    for view in _checks.STRONG_CRYPTO_KEYS:
        step = steps[f"dotnet_tls_{view}"]
        row = step.first() if step.ok else None
        if step.ok:
            row = row if isinstance(row, dict) else {}
            views[view] = {_checks.STRONG_CRYPTO_FACTS[name]: row.get(name) for name in _checks.STRONG_CRYPTO_VALUES}
        else:
            views[view] = None
    readable = [values for values in views.values() if values is not None]
    enabled = None
    if len(readable) == len(views):
        enabled = all(_checks.strong_crypto_on(values) for values in readable)
    return {**views, "enabled": enabled}


def _error_entry(read: Read, step: _runner.StepResult) -> dict[str, t.Any]:
    record = step.error or _runner.ErrorRecord(f"The step did not run ({step.status}).")
    return {"step": read.id, "cmdlet": read.cmdlet, **record.to_result()}


# --------------------------------------------------------------------------- versions


def _version_in(text: str | None) -> str | None:
    """The base version in Get-CsServerVersion's sentence, e.g. '... 2019 (7.0.2046.0): ...'."""
    match = re.search(r"\((\d+(?:\.\d+){1,3})\)", text or "") or re.search(r"\b(\d+\.\d+\.\d+(?:\.\d+)?)\b", text or "")
    return match.group(1) if match else None


def _product(base_version: str | None, build: str | None, module_version: str | None) -> Product | None:
    """The release from Get-CsServerVersion; the build or module version when that failed."""
    for candidate in (base_version, build, module_version):
        parsed = parse_version(candidate)
        if parsed and parsed[0] in PRODUCTS:
            return PRODUCTS[parsed[0]]
    return None


def _license(text: str | None) -> str | None:
    lowered = (text or "").lower()
    if not lowered:
        return None
    for word, value in (("evaluation", "evaluation"), ("volume", "volume"), ("no license", "not_required")):
        if word in lowered:
            return value
    return "unknown"


def _build(steps: dict[str, _runner.StepResult]) -> tuple[str | None, str | None, list[dict[str, t.Any]] | None]:
    """The full build of Core Components.

    Get-CsServerPatchVersion (SfB 2015 Nov 2015 CU and later) is preferred; Lync
    2013 does not have it, so the product's "Core Components" entry in the
    uninstall registry is the fallback there.
    """
    components = None
    patch = steps["patch_version"]
    if patch.ok:
        components = [
            {"name": row.get("ComponentName"), "version": row.get("Version")}
            for row in patch.output
            if isinstance(row, dict)
        ]
        found = _highest(c["version"] for c in components if "core components" in str(c["name"]).lower())
        if found:
            return found, "Get-CsServerPatchVersion", components
    installed = steps["installed"]
    if installed.ok:
        found = _highest(
            row.get("DisplayVersion")
            for row in installed.output
            if isinstance(row, dict) and _is_core_components(row.get("DisplayName"))
        )
        if found:
            return found, "uninstall_registry", components
    return None, None, components


def _is_core_components(name: t.Any) -> bool:
    text = str(name or "")
    return bool(re.search(r"(Lync|Skype for Business) Server \d{4}, Core Components", text, re.IGNORECASE))


def _highest(versions: t.Iterable[t.Any]) -> str | None:
    parsed = [(parse_version(v), str(v).strip()) for v in versions]
    valid = [pair for pair in parsed if pair[0] is not None]
    return max(valid)[1] if valid else None


def _meets(build: str | None, product: Product | None) -> bool | None:
    if build is None or product is None:
        return None
    if product.minimum_build is None:
        return False
    return version_at_least(build, product.minimum_build)


# --------------------------------------------------------------------------- topology


def _published(step: _runner.StepResult, pools: _runner.StepResult) -> bool | None:
    """A published topology has at least one site.

    When Get-CsTopology fails, its message is localised and its error id undocumented, so the language-
    independent sign is used: Get-CsPool answered, with no pool (it returns nothing for an unpublished
    topology). When both failed, whether a topology is published is unknown.
    """
    if not step.ok:
        return False if pools.ok and not pools.output else None
    topology = step.first()
    if not isinstance(topology, dict):
        return False
    sites = topology.get("Sites")
    return bool(sites)


def _pools(step: _runner.StepResult) -> list[dict[str, t.Any]] | None:
    if not step.ok:
        return None
    pools = []
    for row in step.output:
        if not isinstance(row, dict):
            continue
        services = [str(s) for s in _as_list(row.get("Services"))]
        pools.append(
            {
                "fqdn": row.get("Fqdn") or row.get("Identity"),
                "identity": row.get("Identity"),
                "site": row.get("Site"),
                "services": services,
                "computers": [str(c) for c in _as_list(row.get("Computers"))],
                "registrar": any(s.lower().startswith("registrar:") for s in services),
            }
        )
    return pools


def _federation_routes(step: _runner.StepResult | None) -> dict[str, t.Any]:
    """The sites with the Edge pool each federates through, and the distinct federated Edge pools.

    None for both when the topology subset was not gathered or Get-CsSite failed, so the
    edge_federation check can tell "not read" from "none federated".
    """
    if step is None or not step.ok:
        return {"sites": None, "federated_edge_pools": None}
    sites = []
    for row in step.output:
        if not isinstance(row, dict):
            continue
        route = str(row.get("FederationRoute") or "").strip()
        pool = route.split(":", 1)[1] if route.lower().startswith("edgeserver:") else (route or None)
        sites.append({"identity": row.get("Identity"), "federation_route": route or None, "federation_pool": pool})
    pools: list[str] = []
    for site in sites:
        fqdn = site["federation_pool"]
        if fqdn and fqdn.lower() not in (known.lower() for known in pools):
            pools.append(fqdn)
    return {"sites": sites, "federated_edge_pools": pools}


def _as_list(value: t.Any) -> list[t.Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _local_pool(pools: list[dict[str, t.Any]] | None, fqdn: str | None) -> str | None:
    if not pools or not fqdn:
        return None
    for pool in pools:
        if any(str(c).lower() == fqdn.lower() for c in pool["computers"]):
            return pool["fqdn"]
    return None


def _edition(pools: list[dict[str, t.Any]] | None, fqdn: str | None) -> str | None:
    """Standard Edition: the Front End pool is the server itself (pool FQDN = computer FQDN)."""
    if not pools:
        return None
    local = _local_pool(pools, fqdn)
    front_ends = [p for p in pools if p["registrar"]]
    candidates = [p for p in front_ends if p["fqdn"] == local] or front_ends
    if not candidates:
        return None
    pool = candidates[0]
    computers = [str(c).lower() for c in pool["computers"]]
    return "Standard" if computers == [str(pool["fqdn"]).lower()] else "Enterprise"


def _fqdn(step: _runner.StepResult) -> str | None:
    row = step.first() if step.ok else None
    host = (row.get("DNSHostName") or row.get("Name")) if isinstance(row, dict) else None
    if not host:
        return None
    host, domain = str(host), str(row.get("Domain") or "")
    return f"{host}.{domain}".lower() if domain and "." in domain else host.lower()


def _os(step: _runner.StepResult) -> dict[str, t.Any] | None:
    row = step.first() if step.ok else None
    if not isinstance(row, dict):
        return None
    return {
        "caption": row.get("Caption"),
        "version": row.get("Version"),
        "build_number": row.get("BuildNumber"),
        "architecture": row.get("OSArchitecture"),
    }


# --------------------------------------------------------------------------- cms, federation


def _cms(steps: dict[str, _runner.StepResult]) -> dict[str, t.Any]:
    return {
        "location": _text(steps["cms_location"]),
        "replication": _rows(
            steps,
            "cms_replication",
            {
                "ReplicaFqdn": "replica_fqdn",
                "UpToDate": "up_to_date",
                "LastStatusReport": "last_status_report",
                "LastUpdateCreation": "last_update_creation",
                "ProductVersion": "product_version",
            },
        ),
    }


def _access_edge(step: _runner.StepResult) -> dict[str, t.Any] | None:
    row = step.first() if step.ok else None
    if not isinstance(row, dict):
        return None
    method = row.get("RoutingMethod")
    dns_srv = str(method or "").lower() == "usednssrvrouting" or row.get("UseDnsSrvRouting") is True
    return {
        "identity": row.get("Identity"),
        "allow_outside_users": row.get("AllowOutsideUsers"),
        "allow_federated_users": row.get("AllowFederatedUsers"),
        "allow_anonymous_users": row.get("AllowAnonymousUsers"),
        "enable_partner_discovery": row.get("EnablePartnerDiscovery"),
        "routing_method": method or ("UseDnsSrvRouting" if dns_srv else None),
        "use_dns_srv_routing": dns_srv,
        "default_route_fqdn": row.get("DefaultRouteFqdn"),
    }
