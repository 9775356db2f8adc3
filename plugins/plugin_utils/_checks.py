# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks for moving users between the tenant and on-premises (internal use only).

Each check turns facts gathered by ``_deployment`` into passed/failed with a
detail (what was found) and a remedy (the documented command that fixes it).
They never fail the task: a role asserts ``failed_checks`` and so sees every
problem at once instead of one per run. The order of CHECKS is the order of the
result and never changes; checks of subsets that were not gathered are left out.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _clouds, _online

# The commercial cloud's endpoints; the hosting provider check uses the cloud in facts["cloud"] (_clouds).
SIPFED = _clouds.get(None).proxy_fqdn
AUTODISCOVER_URL = _clouds.get(None).autodiscover_url
LEGACY_CONNECTORS = tuple(connector.module for connector in _online.CONNECTORS.values() if connector.legacy)
# Move-CsUser needs MicrosoftTeams 6.2.1 or later (Move-CsUser page, MicrosoftDocs/office-docs-powershell
# skype/skype-ps/SkypeForBusiness/Move-CsUser.md @ 93336da2); every release needs .NET Framework 4.7.2, whose
# Release number is 461808 (learn.microsoft.com/dotnet/framework/install/how-to-determine-which-versions-are-installed).
TEAMS_MINIMUM = "6.2.1"
NET472_RELEASE = 461808

# Move-CsUser needs TLS 1.2 (Move-CsUser.md @ 93336da2, NOTES: "requires TLS 1.2. TLS 1.0 and TLS 1.1 have been
# deprecated"), and .NET Framework 4.x offers it to Windows PowerShell only when strong crypto is configured in
# both registry views ("Transport Layer Security (TLS) best practices with .NET Framework", SchUseStrongCrypto and
# SystemDefaultTlsVersions; learn.microsoft.com/dotnet/framework/network-programming/tls).
STRONG_CRYPTO_KEYS = {
    "native": r"HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    "wow6432": r"HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319",
}
STRONG_CRYPTO_VALUES = ("SchUseStrongCrypto", "SystemDefaultTlsVersions")
STRONG_CRYPTO_FACTS = {
    "SchUseStrongCrypto": "sch_use_strong_crypto",
    "SystemDefaultTlsVersions": "system_default_tls_versions",
}
SET_STRONG_CRYPTO = (
    "Set the REG_DWORD values SchUseStrongCrypto = 1 and SystemDefaultTlsVersions = 1 under both "
    + " and ".join(STRONG_CRYPTO_KEYS.values())
    + " (regedit, or a Group Policy registry preference), then restart the Lync Server services or the server so "
    "that every process reads them."
)

# Hosting provider property -> value the hybrid configuration documents for Office 365.
HOSTING_PROVIDER_WANTED: dict[str, tuple[str, t.Any]] = {
    "enabled": ("Enabled", True),
    "enabled_shared_address_space": ("EnabledSharedAddressSpace", True),
    "hosts_ocs_users": ("HostsOCSUsers", True),
    "verification_level": ("VerificationLevel", "UseSourceVerification"),
    "is_local": ("IsLocal", False),
}
ACCESS_EDGE_WANTED = {
    "allow_outside_users": "AllowOutsideUsers",
    "allow_federated_users": "AllowFederatedUsers",
    "enable_partner_discovery": "EnablePartnerDiscovery",
}


def new_hosting_provider(cloud: _clouds.Cloud) -> str:
    """The documented New-CsHostingProvider command for a cloud."""
    return (
        f"New-CsHostingProvider -Identity Office365 -ProxyFqdn {cloud.proxy_fqdn} -Enabled $true "
        "-EnabledSharedAddressSpace $true -HostsOCSUsers $true -VerificationLevel UseSourceVerification "
        f"-IsLocal $false -AutodiscoverUrl {cloud.autodiscover_url}"
    )


NEW_HOSTING_PROVIDER = new_hosting_provider(_clouds.get(None))
SET_ACCESS_EDGE = (
    "Set-CsAccessEdgeConfiguration -AllowOutsideUsers $true -AllowFederatedUsers $true "
    "-EnablePartnerDiscovery $true -UseDnsSrvRouting"
)


@dataclasses.dataclass(frozen=True)
class Check:
    id: str
    passed: bool
    detail: str
    remedy: str = ""

    def to_result(self) -> dict[str, t.Any]:
        return {
            "id": self.id,
            "passed": self.passed,
            "detail": self.detail,
            "remedy": "" if self.passed else self.remedy,
        }


Facts = dict[str, t.Any]
Errors = dict[str, str]


def parse_version(value: t.Any) -> tuple[int, ...] | None:
    """'7.0.2046.385' -> (7, 0, 2046, 385); anything that is not a dotted number -> None."""
    text = str(value or "").strip()
    if not re.fullmatch(r"\d+(\.\d+){0,3}", text):
        return None
    return tuple(int(part) for part in text.split("."))


def version_at_least(value: t.Any, minimum: t.Any) -> bool | None:
    """Compare as versions (6.0.9319.1000 > 6.0.9319.619); None when either is not a version."""
    have, need = parse_version(value), parse_version(minimum)
    if have is None or need is None:
        return None
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


# --------------------------------------------------------------------------- the checks


def management_module(facts: Facts, errors: Errors) -> Check:
    module = facts.get("management_module") or {}
    if not module.get("name"):
        return Check(
            "management_module",
            False,
            "No Lync or SkypeForBusiness management module was imported.",
            "Run the task on a Front End server (or a server with the administrative tools installed).",
        )
    detail = f"{module['name']} {module.get('version') or ''}".strip()
    product = facts.get("product")
    if product:
        detail += f" on {product}"
    return Check("management_module", True, detail + ".")


def build_minimum(facts: Facts, errors: Errors) -> Check:
    product, build, minimum = facts.get("product"), facts.get("build"), facts.get("build_minimum")
    if not product:
        reason = errors.get("server_version") or "Get-CsServerVersion returned no version."
        return Check(
            "build_minimum",
            False,
            f"The server release could not be determined: {reason}",
            "Check that the account may run the Lync management cmdlets (RTCUniversalServerAdmins).",
        )
    if minimum is None:
        return Check(
            "build_minimum",
            False,
            f"{product} cannot move users between on-premises and the cloud.",
            "Upgrade to Lync Server 2013 or Skype for Business Server 2015/2019 with the latest cumulative update.",
        )
    update = facts.get("build_minimum_update") or "the latest cumulative update"
    updater = "LyncServerUpdateInstaller" if product.startswith("Lync") else "SkypeServerUpdateInstaller"
    remedy = (
        f"Install {update} or later of {product} ({updater}), then update the databases (Install-CsDatabase -Update)."
    )
    if not build:
        reasons = [errors[i] for i in ("patch_version", "installed") if i in errors]
        why = "; ".join(reasons) or "no 'Core Components' entry was found"
        return Check("build_minimum", False, f"The installed build of {product} could not be read: {why}", remedy)
    met = facts.get("build_meets_minimum")
    relation = "meets" if met else "is below"
    detail = f"{product} build {build} ({facts.get('build_source')}) {relation} the minimum {minimum} ({update})."
    if facts.get("mfa_moves_supported") is False:
        detail += f" {MFA_UNSUPPORTED}"
    return Check("build_minimum", bool(met), detail, remedy)


# Move-CsUser page (NOTE): MFA with Move-CsUser "requires either Skype for Business Server 2015 CU12 or any version
# of Skype for Business Server 2019", and then without -Credential; earlier builds (Lync Server 2013 included)
# need a tenant admin without MFA. CU12 of 2015 is build 6.0.9319.619 (the page's table of minimum builds).
MFA_MINIMUM_BUILD = {"sfb2015": "6.0.9319.619", "sfb2019": "7.0.0.0"}
MFA_UNSUPPORTED = (
    "Lync Server 2013 and Skype for Business Server 2015 before CU12 (6.0.9319.619) cannot move users with a "
    "tenant admin that must use multi-factor authentication: the admin given for moves must sign in without MFA."
)


def mfa_moves_supported(product_key: str | None, build: str | None) -> bool | None:
    """Whether Move-CsUser on this release can use an MFA admin at all (interactively); None when unknown."""
    if product_key is None:
        return None
    minimum = MFA_MINIMUM_BUILD.get(product_key)
    if minimum is None:
        return False
    return version_at_least(build, minimum) if build else (True if product_key == "sfb2019" else None)


def topology_published(facts: Facts, errors: Errors) -> Check:
    remedy = (
        "Publish the topology with Topology Builder or Publish-CsTopology -FileName <topology.tbxml>, "
        "then run Enable-CsTopology."
    )
    published = facts.get("topology_published")
    if published:
        return Check("topology_published", True, "A topology is published in the central management store.")
    if published is None and "topology" in errors:
        return Check("topology_published", False, f"The topology could not be read: {errors['topology']}", remedy)
    return Check("topology_published", False, "No topology is published in the central management store.", remedy)


def pools_present(facts: Facts, errors: Errors) -> Check:
    remedy = (
        "Define a Front End pool (Standard or Enterprise Edition) in Topology Builder and publish it; "
        "users can only be moved to a pool that runs the Registrar service."
    )
    pools = facts.get("pools")
    if pools is None:
        return Check("pools_present", False, f"The pools could not be read: {errors.get('pools', 'no output')}", remedy)
    if not pools:
        why = " (no topology is published)" if facts.get("topology_published") is False else ""
        return Check("pools_present", False, f"The topology has no pools{why}.", remedy)
    registrars = [p["fqdn"] for p in pools if p.get("registrar")]
    if not registrars:
        found = ", ".join(str(p["fqdn"]) for p in pools)
        return Check("pools_present", False, f"No pool runs the Registrar service (pools: {found}).", remedy)
    return Check("pools_present", True, f"Registrar pools: {', '.join(map(str, registrars))}.")


def edge_federation(facts: Facts, errors: Errors) -> Check:
    """Move-CsUser fails when more than one Edge pool is federated.

    Move-CsUser page (DESCRIPTION): "Skype for Business Federation can only be enabled for a single Edge pool. If
    you have multiple Edge pools, select one to use as the federating Edge pool." Each site's federation route is
    the Edge pool it federates through (Set-CsSite -FederationRoute "EdgeServer:<pool>", Set-CsSite page), so the
    distinct routes of Get-CsSite are the federated Edge pools.
    """
    routes = facts.get("federated_edge_pools")
    sites = facts.get("sites")
    if routes is None or sites is None:
        why = errors.get("sites", "no output")
        return Check(
            "edge_federation",
            False,
            f"The sites' federation routes could not be read: {why}",
            "Check that Get-CsSite runs in the management shell for this account (RTCUniversalReadOnlyAdmins).",
        )
    if len(routes) <= 1:
        which = f"Edge pool {routes[0]}" if routes else "no Edge pool (no site has a federation route)"
        return Check("edge_federation", True, f"Federation goes through {which}; Move-CsUser accepts one at most.")
    keep = max(routes, key=lambda fqdn: sum(1 for site in sites if site.get("federation_pool") == fqdn))
    others = [s for s in sites if s.get("federation_pool") and s.get("federation_pool") != keep]
    per_site = "; ".join(
        f"{site['identity']} -> {site['federation_pool']}" for site in sites if site.get("federation_pool")
    )
    sets = "; ".join(f"Set-CsSite -Identity {s['identity']} -FederationRoute EdgeServer:{keep}" for s in others)
    return Check(
        "edge_federation",
        False,
        f"{len(routes)} Edge pools are federated ({per_site}); Move-CsUser fails with more than one "
        "(Skype for Business federation can be enabled for a single Edge pool only).",
        f"Choose one federating Edge pool, for example {keep}: {sets} (or choose it in Topology Builder and publish "
        "the topology).",
    )


def services_running(facts: Facts, errors: Errors) -> Check:
    remedy = "Start the services with Start-CsWindowsService (Start-CsPool -PoolFqdn <pool> after a full pool stop)."
    services = facts.get("windows_services")
    if services is None:
        why = errors.get("windows_services", "no output")
        return Check("services_running", False, f"The Windows services could not be read: {why}", remedy)
    if not services:
        return Check("services_running", False, "This server runs no Lync Server Windows services.", remedy)
    stopped = [f"{s['name']} ({s['status']})" for s in services if str(s.get("status")).lower() != "running"]
    if stopped:
        return Check("services_running", False, f"Not running: {', '.join(stopped)}.", remedy)
    return Check("services_running", True, f"All {len(services)} Lync Server services are running.")


def cms_replication(facts: Facts, errors: Errors) -> Check:
    remedy = (
        "Run Invoke-CsManagementStoreReplication, check that the Lync Server Replica Replicator Agent (REPLICA) "
        "runs on the computers listed, and re-check with Get-CsManagementStoreReplicationStatus."
    )
    cms = facts.get("cms") or {}
    if not cms.get("location"):
        why = errors.get("cms_location", "no location is registered in Active Directory")
        return Check(
            "cms_replication",
            False,
            f"The central management store location is unknown: {why}",
            "Check the service control point with Get-CsConfigurationStoreLocation (Set-CsConfigurationStoreLocation).",
        )
    replicas = cms.get("replication")
    if replicas is None:
        why = errors.get("cms_replication", "no output")
        return Check("cms_replication", False, f"The replication status could not be read: {why}", remedy)
    if not replicas:
        return Check("cms_replication", False, f"No replica reports to the store at {cms['location']}.", remedy)
    behind = [str(r["replica_fqdn"]) for r in replicas if r.get("up_to_date") is not True]
    if behind:
        return Check("cms_replication", False, f"Replication is not up to date on: {', '.join(behind)}.", remedy)
    return Check("cms_replication", True, f"{len(replicas)} replicas of {cms['location']} are up to date.")


def hosting_provider(facts: Facts, errors: Errors) -> Check:
    cloud = _clouds.get(facts.get("cloud"))
    sipfed, remedy = cloud.proxy_fqdn, new_hosting_provider(cloud)
    providers = facts.get("hosting_providers")
    if providers is None:
        why = errors.get("hosting_providers", "no output")
        return Check("hosting_provider", False, f"The hosting providers could not be read: {why}", remedy)
    matching = [p for p in providers if str(p.get("proxy_fqdn") or "").lower() == sipfed]
    if not matching:
        return _missing_hosting_provider(providers, cloud)
    drift_by_provider = [(p, _provider_drift(p)) for p in matching]
    for provider, drift in drift_by_provider:
        if not drift:
            return Check(
                "hosting_provider",
                True,
                f"{provider['identity']} points at {sipfed} as documented, with AutodiscoverUrl "
                f"{provider.get(AUTODISCOVER_KEY)} (Move-CsUser finds the hosted migration service by it).",
            )
    provider, drift = drift_by_provider[0]
    wrong = ", ".join(f"{_wanted(provider, k)[0]}={provider.get(k)!r}" for k in drift)
    params = " ".join(f"-{_wanted(provider, k)[0]} {_ps(_wanted(provider, k)[1])}" for k in drift)
    why = f" {AUTODISCOVER_WHY}" if AUTODISCOVER_KEY in drift else ""
    return Check(
        "hosting_provider",
        False,
        f"Hosting provider {provider['identity']} ({sipfed}) differs from the documented configuration: {wrong}.{why}",
        f"Set-CsHostingProvider -Identity {provider['identity']} {params}",
    )


def _missing_hosting_provider(providers: list[dict[str, t.Any]], cloud: _clouds.Cloud) -> Check:
    """No provider points at the cloud's sipfed: Set cannot change ProxyFqdn, so a wrong one is removed first."""
    sipfed, remedy = cloud.proxy_fqdn, new_hosting_provider(cloud)
    online = [p for p in providers if p.get("hosts_ocs_users") or str(p.get("identity")).lower() == "office365"]
    if online:
        names = ", ".join(f"{p['identity']} ({p.get('proxy_fqdn')})" for p in online)
        removes = "; ".join(f"Remove-CsHostingProvider -Identity {p['identity']}" for p in online)
        return Check(
            "hosting_provider",
            False,
            f"No hosting provider has ProxyFqdn {sipfed} ({cloud.name}); found {names}.",
            f"Set-CsHostingProvider cannot change ProxyFqdn: {removes}; then {remedy}",
        )
    return Check("hosting_provider", False, f"No hosting provider has ProxyFqdn {sipfed} ({cloud.name}).", remedy)


def _provider_drift(provider: dict[str, t.Any]) -> list[str]:
    drift = []
    for key in (*HOSTING_PROVIDER_WANTED, AUTODISCOVER_KEY):
        wanted = _wanted(provider, key)[1]
        value = provider.get(key)
        same = str(value).lower() == wanted.lower() if isinstance(wanted, str) else value is wanted
        if not same:
            drift.append(key)
    return drift


# Move-CsUser needs no -HostedMigrationOverrideUrl "as long as the hosting provider has its AutoDiscover URL
# properly configured" (Move-CsUser page, -HostedMigrationOverrideUrl, office-docs-powershell
# skype/skype-ps/SkypeForBusiness/Move-CsUser.md @ 93336da2); Set-CsHostingProvider has -AutodiscoverUrl (its page,
# same commit). The value belongs to the provider's cloud (_clouds), found by its ProxyFqdn.
AUTODISCOVER_KEY = "autodiscover_url"
AUTODISCOVER_WHY = (
    "Without the cloud's AutodiscoverUrl on the hosting provider Move-CsUser cannot find the hosted migration "
    "service and every move needs -HostedMigrationOverrideUrl (hosted_migration_override_url)."
)


def expected_autodiscover_url(proxy_fqdn: t.Any) -> str:
    """The AutodiscoverUrl of the cloud whose SIP federation FQDN the provider points at (commercial otherwise)."""
    fqdn = str(proxy_fqdn or "").lower()
    for cloud in _clouds.CLOUDS.values():
        if cloud.proxy_fqdn == fqdn:
            return cloud.autodiscover_url
    return AUTODISCOVER_URL


def _wanted(provider: dict[str, t.Any], key: str) -> tuple[str, t.Any]:
    """(cmdlet property, documented value) of one hosting provider property."""
    if key == AUTODISCOVER_KEY:
        return "AutodiscoverUrl", expected_autodiscover_url(provider.get("proxy_fqdn"))
    return HOSTING_PROVIDER_WANTED[key]


def _ps(value: t.Any) -> str:
    if isinstance(value, bool):
        return "$true" if value else "$false"
    return str(value)


def access_edge(facts: Facts, errors: Errors) -> Check:
    edge = facts.get("access_edge")
    if edge is None:
        why = errors.get("access_edge", "no output")
        return Check("access_edge", False, f"The access edge configuration could not be read: {why}", SET_ACCESS_EDGE)
    wrong = [f"{prop}={edge.get(key)!r}" for key, prop in ACCESS_EDGE_WANTED.items() if edge.get(key) is not True]
    if not edge.get("use_dns_srv_routing"):
        wrong.append(f"RoutingMethod={edge.get('routing_method')!r}")
    if wrong:
        return Check(
            "access_edge",
            False,
            f"The access edge configuration differs from the hybrid configuration: {', '.join(wrong)} "
            "(hosting providers need DNS SRV routing and federation enabled).",
            SET_ACCESS_EDGE,
        )
    return Check(
        "access_edge", True, "Outside and federated users are allowed, with partner discovery and DNS SRV routing."
    )


def online_connector(facts: Facts, errors: Errors) -> Check:
    remedy = (
        f"Install MicrosoftTeams {TEAMS_MINIMUM} or later for all users (lync.hybrid.cs_online_connector, or "
        f"Install-Module MicrosoftTeams -MinimumVersion {TEAMS_MINIMUM} -Scope AllUsers); the legacy connectors no "
        "longer reach the tenant."
    )
    modules = facts.get("online_connectors")
    if modules is None:
        why = errors.get("connectors", "no output")
        return Check("online_connector", False, f"The installed modules could not be read: {why}", remedy)
    teams = [m for m in modules if m.get("name") == "MicrosoftTeams" and parse_version(m.get("version"))]
    best = max(teams, key=lambda m: parse_version(m["version"]) or (), default=None)
    legacy = [f"{m['name']} {m.get('version')}" for m in modules if m.get("name") in LEGACY_CONNECTORS]
    note = ""
    if legacy:
        note = (
            f" Retired legacy connectors installed: {', '.join(legacy)} (Skype for Business Online was retired on "
            "2021-07-31; New-CsOnlineSession no longer works)."
        )
    if best is None:
        return Check("online_connector", False, "MicrosoftTeams is not installed." + note, remedy)
    if not version_at_least(best["version"], TEAMS_MINIMUM):
        return Check(
            "online_connector",
            False,
            f"MicrosoftTeams {best['version']} is older than {TEAMS_MINIMUM}, which Move-CsUser needs.{note}",
            remedy,
        )
    return Check("online_connector", True, f"MicrosoftTeams {best['version']} is installed.{note}")


def powershell_version(facts: Facts, errors: Errors) -> Check:
    """MicrosoftTeams (every release since 1.1.4) needs Windows PowerShell 5.1 and .NET Framework 4.7.2."""
    version = facts.get("powershell_version")
    release = facts.get("dotnet_release")
    remedy = "Install Windows Management Framework 5.1 and .NET Framework 4.7.2 or later (4.8) on this server."
    problems = []
    if not version_at_least(version, "5.1"):
        problems.append(f"Windows PowerShell {version or 'unknown'}")
    if release is not None and release < NET472_RELEASE:
        problems.append(f".NET Framework Release {release}" if release else "no .NET Framework 4.5 or later")
    if problems:
        return Check(
            "powershell_version",
            False,
            f"{' and '.join(problems)}; every MicrosoftTeams release since 1.1.4 needs Windows PowerShell 5.1 and "
            ".NET Framework 4.7.2 or later.",
            remedy,
        )
    dotnet = f", .NET Framework Release {release}" if release else " (.NET Framework release not read)"
    return Check("powershell_version", True, f"Windows PowerShell {version}{dotnet}.")


def strong_crypto_on(values: dict[str, t.Any]) -> bool:
    """Either value set to 1 makes .NET Framework 4.x offer TLS 1.2 in that registry view."""
    return any(values.get(fact) == 1 for fact in STRONG_CRYPTO_FACTS.values())


def strong_crypto(facts: Facts, errors: Errors) -> Check:
    """Move-CsUser needs TLS 1.2, which .NET Framework 4.x offers only with strong crypto configured."""
    found = facts.get("strong_crypto") or {}
    unreadable = [view for view in STRONG_CRYPTO_KEYS if found.get(view) is None]
    if unreadable:
        why = "; ".join(errors.get(f"dotnet_tls_{view}", "no output") for view in unreadable)
        return Check(
            "strong_crypto", False, f"The .NET strong-crypto settings could not be read: {why}", SET_STRONG_CRYPTO
        )
    missing = [key for view, key in STRONG_CRYPTO_KEYS.items() if not strong_crypto_on(found[view])]
    if missing:
        return Check(
            "strong_crypto",
            False,
            f"Neither SchUseStrongCrypto nor SystemDefaultTlsVersions is 1 under {' nor '.join(missing)}: .NET "
            "Framework offers Windows PowerShell SSL 3.0 and TLS 1.0 only, and Move-CsUser requires TLS 1.2.",
            SET_STRONG_CRYPTO,
        )
    return Check("strong_crypto", True, ".NET strong crypto is configured in both registry views (TLS 1.2).")


# Check id -> (subset it needs or None for always, function). The order is the result's order.
CHECKS: tuple[tuple[str, str | None, t.Callable[[Facts, Errors], Check]], ...] = (
    ("management_module", None, management_module),
    ("build_minimum", "build", build_minimum),
    ("topology_published", "topology", topology_published),
    ("pools_present", "topology", pools_present),
    ("edge_federation", "topology", edge_federation),
    ("services_running", "services", services_running),
    ("cms_replication", "cms", cms_replication),
    ("hosting_provider", "federation", hosting_provider),
    ("access_edge", "federation", access_edge),
    ("online_connector", "connectors", online_connector),
    ("powershell_version", None, powershell_version),
    ("strong_crypto", None, strong_crypto),
)
CHECK_IDS = tuple(check_id for check_id, _subset, _function in CHECKS)


def evaluate(facts: Facts, subsets: t.Collection[str], errors: Errors) -> list[Check]:
    """Run every check whose subset was gathered, in the fixed order of CHECKS."""
    return [function(facts, errors) for _id, subset, function in CHECKS if subset is None or subset in subsets]
