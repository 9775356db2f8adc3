"""The lab host's state file: load, validate, fill in defaults, dump.

A state file describes one Windows host (and, where it matters, its Lync deployment and
its Microsoft 365 tenant) in YAML; docs/lab.md documents every key with examples. The
loaded state is plain dicts and lists on purpose: the simulated cmdlets change it in
place, and ``LabState.to_dict()`` writes it back out (``--state-out``) so a test can
assert exactly what a playbook changed. Every mistake in a state file is reported with
the path of the offending key, because a silently defaulted typo would make a test
prove nothing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .values import parse_datetime

REQUIRED = object()
Check = Callable[[Any, str], Any]

PRODUCTS = {
    "lync2013": ("Lync", "5", "Lync Server 2013", "Microsoft Lync Server 2013"),
    "sfb2015": ("SkypeForBusiness", "6", "Skype for Business Server 2015", "Skype for Business Server 2015"),
    "sfb2019": ("SkypeForBusiness", "7", "Skype for Business Server 2019", "Skype for Business Server 2019"),
}
# Where each product's setup puts its management module.
MODULE_ROOTS = {
    "lync2013": r"C:\Program Files\Common Files\Microsoft Lync Server 2013\Modules",
    "sfb2015": r"C:\Program Files\Common Files\Skype for Business Server 2015\Modules",
    "sfb2019": r"C:\Program Files\Common Files\Skype for Business Server 2019\Modules",
}
ALL_USERS_MODULES = r"C:\Program Files\WindowsPowerShell\Modules"
MSI_MODULE_ROOTS = {
    "lynconlineconnector": r"C:\Program Files\Common Files\Microsoft Lync Server 2013\Modules",
    "skypeonlineconnector": r"C:\Program Files\Common Files\Skype for Business Online\Modules",
}
# Transport faults belong to the WinRM server (tests/lab/server.py FaultPlan); they are passed through unchanged.
TRANSPORT_FAULTS = (
    "latency_ms",
    "drop_connection_at_request",
    "http_500_at_request",
    "operation_timeout_at_request",
    "throttle_first_connects",
    "always_throttle",
)
SERVICE_STATES = ("Running", "Stopped", "StartPending", "StopPending", "Paused")
VERIFICATION_LEVELS = ("AlwaysVerifiable", "AlwaysUnverifiable", "UseSourceVerification")
DEFAULT_TIME = "2026-01-05T06:00:00Z"


class StateError(ValueError):
    """A state file that cannot describe a host; the message names the file and the key."""


# --- small checkers ------------------------------------------------------------------------------


def _fail(path: str, message: str) -> StateError:
    return StateError(f"{path}: {message}")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        hint = " (quote it in YAML)" if isinstance(value, int | float | bool) else ""
        raise _fail(path, f"expected a string, got {_kind(value)} {value!r}{hint}")
    return value


def _nonempty(value: Any, path: str) -> str:
    if not _str(value, path).strip():
        raise _fail(path, "must not be empty")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, f"expected true or false, got {_kind(value)} {value!r}")
    return value


def _int(minimum: int = 0) -> Check:
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, f"expected an integer, got {_kind(value)} {value!r}")
        if value < minimum:
            raise _fail(path, f"must be {minimum} or more, got {value}")
        return value

    return check


def _opt(check: Check) -> Check:
    return lambda value, path: None if value is None else check(value, path)


def _enum(*choices: str) -> Check:
    def check(value: Any, path: str) -> str:
        _str(value, path)
        for choice in choices:
            if choice.lower() == value.lower():
                return choice
        raise _fail(path, f"must be one of {', '.join(choices)}, got {value!r}")

    return check


def _pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex, re.IGNORECASE)

    def check(value: Any, path: str) -> str:
        if not compiled.fullmatch(_str(value, path)):
            raise _fail(path, f"expected {what}, got {value!r}")
        return value

    return check


_version = _pattern(r"\d+(\.\d+){1,3}", "a version like 6.1.0 (quote it in YAML)")
_guid = _pattern(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "a GUID")
_fqdn = _pattern(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", "a fully qualified domain name")


def _seconds(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _fail(path, f"expected a number of seconds (0 or more), got {_kind(value)} {value!r}")
    return value


def _thumbprint(value: Any, path: str) -> str:
    return _pattern(r"[0-9a-f]{40}", "a 40-hex-digit certificate thumbprint")(value, path).upper()


def _certificate(value: Any, path: str) -> dict[str, Any]:
    """A certificate in a store: its thumbprint, or {thumbprint, has_private_key} (a key by default)."""
    if isinstance(value, str):
        return {"thumbprint": _thumbprint(value, path), "has_private_key": True}
    return _obj({"thumbprint": (_thumbprint, REQUIRED), "has_private_key": (_bool, True)})(value, path)


def _timestamp(value: Any, path: str) -> str:
    if hasattr(value, "isoformat"):  # YAML turns an unquoted timestamp into a datetime
        value = value.isoformat()
    try:
        parse_datetime(_str(value, path))
    except ValueError:
        raise _fail(path, f"expected an ISO 8601 timestamp like {DEFAULT_TIME}, got {value!r}") from None
    return value


def _list(check: Check, nonempty: bool = False) -> Check:
    def run(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _fail(path, f"expected a list, got {_kind(value)}")
        if nonempty and not value:
            raise _fail(path, "must list at least one entry")
        return [check(item, f"{path}[{index}]") for index, item in enumerate(value)]

    return run


def _map_of(check: Check) -> Check:
    def run(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _fail(path, f"expected a mapping, got {_kind(value)}")
        return {_str(key, f"{path} key"): check(item, f"{path}.{key}") for key, item in value.items()}

    return run


def _obj(spec: dict[str, tuple[Check, Any]]) -> Check:
    """A mapping with known keys: unknown keys are errors, missing optional keys get their default."""

    def run(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _fail(path, f"expected a mapping, got {_kind(value)}")
        unknown = sorted(str(key) for key in value if key not in spec)
        if unknown:
            raise _fail(path, f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(spec)}")
        out: dict[str, Any] = {}
        for key, (check, default) in spec.items():
            if key in value:
                out[key] = check(value[key], f"{path}.{key}")
            elif default is REQUIRED:
                raise _fail(f"{path}.{key}", "is required")
            else:
                out[key] = default() if callable(default) else copy.deepcopy(default)
        return out

    return run


# --- field tables shared with the cmdlets ------------------------------------------------------
# state key -> (cmdlet property, checker, default). The cmdlets read and write these keys.

HOSTING_PROVIDER_FIELDS: dict[str, tuple[str, Check, Any]] = {
    "identity": ("Identity", _nonempty, REQUIRED),
    "name": ("Name", _opt(_str), None),
    "proxy_fqdn": ("ProxyFqdn", _fqdn, REQUIRED),
    "verification_level": ("VerificationLevel", _enum(*VERIFICATION_LEVELS), "UseSourceVerification"),
    "enabled": ("Enabled", _bool, True),
    "enabled_shared_address_space": ("EnabledSharedAddressSpace", _bool, False),
    "hosts_ocs_users": ("HostsOCSUsers", _bool, False),
    "is_local": ("IsLocal", _bool, False),
    "autodiscover_url": ("AutodiscoverUrl", _opt(_str), None),
}
ACCESS_EDGE_FIELDS: dict[str, tuple[str, Check, Any]] = {
    "allow_anonymous_users": ("AllowAnonymousUsers", _bool, False),
    "allow_federated_users": ("AllowFederatedUsers", _bool, False),
    "allow_outside_users": ("AllowOutsideUsers", _bool, True),
    "be_clearing_house": ("BeClearingHouse", _bool, False),
    "enable_partner_discovery": ("EnablePartnerDiscovery", _bool, False),
    "discovered_partner_verification_level": (
        "DiscoveredPartnerVerificationLevel",
        _enum(*VERIFICATION_LEVELS),
        "UseSourceVerification",
    ),
    "enable_archiving_disclaimer": ("EnableArchivingDisclaimer", _bool, False),
    "keep_crls_up_to_date_for_peers": ("KeepCrlsUpToDateForPeers", _bool, True),
    "mark_source_verifiable_on_outgoing_messages": ("MarkSourceVerifiableOnOutgoingMessages", _bool, True),
    "outgoing_tls_count_for_federated_partners": ("OutgoingTlsCountForFederatedPartners", _int(1), 4),
    "use_dns_srv_routing": ("UseDnsSrvRouting", _bool, True),
    "default_route_fqdn": ("DefaultRouteFqdn", _opt(_str), None),
    "is_public_provider": ("IsPublicProvider", _bool, False),
    "verification_level": ("VerificationLevel", _enum(*VERIFICATION_LEVELS), "UseSourceVerification"),
}


def _allowed_domains(value: Any, path: str) -> Any:
    if isinstance(value, str):
        if value.lower() != "allowallknowndomains":
            raise _fail(path, "expected AllowAllKnownDomains or a list of domains (an allow list)")
        return "AllowAllKnownDomains"
    return _list(_str)(value, path)


# legacy=False marks properties only the MicrosoftTeams module knows (they came after the legacy connectors).
FEDERATION_FIELDS: dict[str, tuple[str, Check, Any, bool]] = {
    "allowed_domains": ("AllowedDomains", _allowed_domains, "AllowAllKnownDomains", True),
    "blocked_domains": ("BlockedDomains", _list(_str), [], True),
    "allow_federated_users": ("AllowFederatedUsers", _bool, True, True),
    "allow_public_users": ("AllowPublicUsers", _bool, True, True),
    "allow_teams_consumer": ("AllowTeamsConsumer", _bool, True, False),
    "allow_teams_consumer_inbound": ("AllowTeamsConsumerInbound", _bool, True, False),
    "treat_discovered_partners_as_unverified": ("TreatDiscoveredPartnersAsUnverified", _bool, False, True),
    "shared_sip_address_space": ("SharedSipAddressSpace", _bool, False, True),
    "restrict_teams_consumer_to_external_user_profiles": (
        "RestrictTeamsConsumerToExternalUserProfiles",
        _bool,
        False,
        False,
    ),
    "block_all_subdomains": ("BlockAllSubdomains", _bool, False, False),
    "external_access_with_trial_tenants": (
        "ExternalAccessWithTrialTenants",
        _enum("Allowed", "Blocked"),
        "Blocked",
        False,
    ),
    "allowed_trial_tenant_domains": ("AllowedTrialTenantDomains", _list(_str), [], False),
    "customize_federation": ("CustomizeFederation", _bool, False, False),
}


def _spec(fields: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Check, Any]]:
    return {key: (entry[1], entry[2]) for key, entry in fields.items()}


# --- sections ----------------------------------------------------------------------------------

_MODULE = _obj(
    {
        "name": (_nonempty, REQUIRED),
        "version": (_version, REQUIRED),
        "path": (_opt(_str), None),
        "installed_by": (_enum("msi", "powershellget", "folder"), "powershellget"),
        "repository": (_opt(_str), None),
    }
)
_HOST = _obj(
    {
        "name": (_pattern(r"[a-z0-9][a-z0-9-]{0,14}", "a NetBIOS-style host name (15 characters at most)"), REQUIRED),
        "domain": (_fqdn, "contoso.local"),
        "os": (
            _obj({"caption": (_str, "Microsoft Windows Server 2019 Standard"), "version": (_version, "10.0.17763")}),
            lambda: {"caption": "Microsoft Windows Server 2019 Standard", "version": "10.0.17763"},
        ),
        "powershell_version": (_version, "5.1.17763.1"),
        # The Release value of HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full (528049: .NET Framework
        # 4.8; null: no .NET Framework 4.5 or later, the key is missing). Values: "Minimum version" table of
        # https://learn.microsoft.com/dotnet/framework/install/how-to-determine-which-versions-are-installed
        "dotnet_release": (_opt(_int()), 528049),
        # The display language of Windows: PowerShell's and .NET's own messages (not the service's) follow it.
        "culture": (_enum("en-US", "de-DE"), "en-US"),
        # Whether the WinRM logon can pass the account's credentials on (CredSSP, Kerberos with delegation):
        # without it, reads of a central management store on another server fail (the second hop).
        "credential_delegation": (_bool, True),
        "accounts": (_list(_obj({"user": (_nonempty, REQUIRED), "password": (_nonempty, REQUIRED)}), True), REQUIRED),
        "modules": (_list(_MODULE), []),
        "certificates": (
            _obj({"local_machine": (_list(_certificate), []), "current_user": (_list(_certificate), [])}),
            lambda: {"local_machine": [], "current_user": []},
        ),
        # Values under HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319 (native) and its WOW6432Node twin
        # (wow6432): SchUseStrongCrypto and SystemDefaultTlsVersions, absent unless an administrator set them
        # ("Transport Layer Security (TLS) best practices with .NET Framework", learn.microsoft.com).
        "dotnet_tls": (
            _obj(
                {
                    view: (
                        _obj(
                            {
                                "SchUseStrongCrypto": (_opt(_int()), None),
                                "SystemDefaultTlsVersions": (_opt(_int()), None),
                            }
                        ),
                        lambda: {"SchUseStrongCrypto": None, "SystemDefaultTlsVersions": None},
                    )
                    for view in ("native", "wow6432")
                }
            ),
            lambda: {
                view: {"SchUseStrongCrypto": None, "SystemDefaultTlsVersions": None} for view in ("native", "wow6432")
            },
        ),
        "sources": (
            _obj(
                {
                    "msi": (
                        _map_of(
                            _obj(
                                {
                                    "module": (_nonempty, REQUIRED),
                                    "version": (_version, REQUIRED),
                                    "display_name": (_opt(_str), None),
                                    "exit_code": (_int(), 0),
                                }
                            )
                        ),
                        {},
                    ),
                    "repositories": (_map_of(_map_of(_list(_version))), {}),
                    "folders": (_map_of(_obj({"module": (_nonempty, REQUIRED), "version": (_version, REQUIRED)})), {}),
                }
            ),
            lambda: {"msi": {}, "repositories": {}, "folders": {}},
        ),
        "uninstall": (
            _list(
                _obj(
                    {
                        "display_name": (_nonempty, REQUIRED),
                        "display_version": (_str, ""),
                        "key": (_opt(_str), None),
                        "malformed_value": (_opt(_str), None),
                    }
                )
            ),
            [],
        ),
        "directories": (_list(_str), []),
    }
)
# Lync/SfB user objects in on-premises AD (what Get-CsUser returns) and how Move-CsUser behaves.
# registrar_pool null means homed online (HostingProvider sipfed.online.lync.com); synced says
# whether Azure AD Connect matched the object with its online user (docs/lab.md, "Users").
_USER = _obj(
    {
        "sip_address": (_pattern(r"(sip:)?[^@\s:]+@[a-z0-9.-]+", "a SIP address like sip:ann@contoso.com"), REQUIRED),
        "upn": (_opt(_str), None),
        "display_name": (_opt(_str), None),
        "registrar_pool": (_opt(_fqdn), None),
        "synced": (_bool, True),
    }
)
_MOVES = _obj(
    {
        "seconds_per_move": (_seconds, 0),
        "tls12": (_bool, True),
        "throttle_moves": (_int(), 0),
    }
)
_SERVICE = _obj(
    {
        "name": (_nonempty, REQUIRED),
        "status": (_enum(*SERVICE_STATES), "Running"),
        "activity_level": (_str, ""),
        "display_name": (_opt(_str), None),
    }
)
_DEPLOYMENT = _obj(
    {
        "product": (_enum(*PRODUCTS), REQUIRED),
        "build": (_pattern(r"\d+\.\d+\.\d+\.\d+", "a four-part build like 7.0.2046.385 (quote it)"), REQUIRED),
        "module": (_opt(_enum("Lync", "SkypeForBusiness")), None),
        "module_version": (_opt(_version), None),
        "license": (_str, "Volume license key installed."),
        "topology": (_obj({"published": (_bool, True)}), lambda: {"published": True}),
        "pools": (
            _list(
                _obj(
                    {
                        "fqdn": (_fqdn, REQUIRED),
                        "site": (_str, "Site1"),
                        "services": (
                            _list(_str),
                            ["Registrar", "UserServer", "WebServer", "ConferencingServer", "ApplicationServer"],
                        ),
                        "computers": (_opt(_list(_fqdn, True)), None),
                    }
                )
            ),
            [],
        ),
        # Topology sites and the Edge pool each federates through (Get-CsSite's FederationRoute, set with
        # Set-CsSite -FederationRoute "EdgeServer:<pool>"); sites of the pools not listed have no route.
        "sites": (_list(_obj({"name": (_nonempty, REQUIRED), "federation_route": (_opt(_fqdn), None)})), []),
        "windows_services": (_map_of(_list(_SERVICE)), {}),
        "cms": (
            _obj(
                {
                    "backend": (_opt(_str), None),
                    "replicas": (
                        _opt(
                            _list(
                                _obj(
                                    {
                                        "fqdn": (_fqdn, REQUIRED),
                                        "up_to_date": (_bool, True),
                                        "last_status_report": (_timestamp, DEFAULT_TIME),
                                        "last_update_creation": (_timestamp, DEFAULT_TIME),
                                    }
                                )
                            )
                        ),
                        None,
                    ),
                }
            ),
            lambda: {"backend": None, "replicas": None},
        ),
        "sip_domains": (_opt(_list(_obj({"name": (_fqdn, REQUIRED), "is_default": (_bool, False)}))), None),
        "hosting_providers": (_list(_obj(_spec(HOSTING_PROVIDER_FIELDS))), []),
        "access_edge": (_obj(_spec(ACCESS_EDGE_FIELDS)), lambda: _obj(_spec(ACCESS_EDGE_FIELDS))({}, "")),
        "users": (_list(_USER), []),
        "moves": (_MOVES, lambda: _MOVES({}, "")),
    }
)
_TENANT = _obj(
    {
        "tenant_id": (_guid, REQUIRED),
        "display_name": (_nonempty, REQUIRED),
        "domains": (_list(_fqdn, True), REQUIRED),
        "sip_domains": (_opt(_list(_fqdn)), None),
        "identity": (
            _opt(_pattern(r".*(^|,)\s*DC=lync[0-9a-z]{2}001\s*(,.*)?", "an identity with DC=lyncXX001")),
            None,
        ),
        "service_instance": (_str, "microsoftcommunicationsonline/noam-4a-s7"),
        # The tenant's Microsoft cloud: Connect-MicrosoftTeams reaches it only with the matching
        # -TeamsEnvironmentName (none for commercial and GCC); see cmdlets/online.py.
        "cloud": (_enum("commercial", "gcc", "gcc_high", "dod", "21vianet"), "commercial"),
        "admins": (
            _list(
                _obj(
                    {
                        "user": (_nonempty, REQUIRED),
                        "password": (_nonempty, REQUIRED),
                        "mfa_required": (_bool, False),
                        "open_sessions": (_int(), 0),
                    }
                )
            ),
            [],
        ),
        "app_registrations": (
            _list(
                _obj(
                    {
                        "application_id": (_guid, REQUIRED),
                        "certificate_thumbprint": (_thumbprint, REQUIRED),
                        "open_sessions": (_int(), 0),
                    }
                )
            ),
            [],
        ),
        "federation": (_obj(_spec(FEDERATION_FIELDS)), lambda: _obj(_spec(FEDERATION_FIELDS))({}, "")),
        "max_sessions_per_admin": (_int(1), 3),
        "endpoint_discovery_broken": (_bool, False),
    }
)
_FAULTS = _obj(
    {
        **{key: (lambda value, path: value, None) for key in TRANSPORT_FAULTS},
        "online_busy_connects": (_int(), 0),
        "set_error": (_opt(_str), None),
        "disconnect_error": (_opt(_str), None),
        "cmdlet_errors": (_map_of(_str), {}),
    }
)
_ROOT = _obj(
    {
        "host": (_HOST, REQUIRED),
        "deployment": (_opt(_DEPLOYMENT), None),
        "tenant": (_opt(_TENANT), None),
        "faults": (_FAULTS, lambda: _FAULTS({}, "faults")),
        "inventory": (_map_of(lambda value, path: value), {}),
    }
)


@dataclass
class LabState:
    """The validated state; sections are plain dicts the cmdlets mutate in place."""

    host: dict[str, Any]
    deployment: dict[str, Any] | None
    tenant: dict[str, Any] | None
    faults: dict[str, Any]
    inventory: dict[str, Any]
    source: str = "<state>"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def accounts(self) -> dict[str, str]:
        """WinRM accounts for the transport: user -> password."""
        return {account["user"]: account["password"] for account in self.host["accounts"]}

    @property
    def transport_faults(self) -> dict[str, Any]:
        return {key: self.faults[key] for key in TRANSPORT_FAULTS if self.faults.get(key) is not None}

    @property
    def fqdn(self) -> str:
        return f"{self.host['name']}.{self.host['domain']}".lower()

    def secrets(self) -> list[str]:
        """Every password the state knows, for the journal to mask."""
        found = [account["password"] for account in self.host["accounts"]]
        if self.tenant:
            found += [admin["password"] for admin in self.tenant["admins"]]
        for key, value in self.inventory.items():
            if isinstance(value, str) and re.search(r"password|secret", key, re.IGNORECASE):
                found.append(value)
        return [value for value in found if value]

    def to_dict(self) -> dict[str, Any]:
        """The state as a state file again (defaults filled in, changes applied)."""
        faults = {key: value for key, value in self.faults.items() if value is not None}
        return copy.deepcopy(
            {
                "host": self.host,
                "deployment": self.deployment,
                "tenant": self.tenant,
                "faults": faults,
                "inventory": self.inventory,
            }
        )


def load_state(path: str | Path) -> LabState:
    """Read and validate a state file; every problem is a StateError naming the file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise StateError(f"{source}: cannot read the state file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StateError(f"{source}: not valid YAML: {exc}") from None
    return parse_state(data, source)


def parse_state(data: Any, source: str = "<state>") -> LabState:
    """Validate a state already parsed from YAML (tests build states in code this way)."""
    if data is None:
        raise StateError(f"{source}: the state file is empty")
    try:
        root = _ROOT(data, "state")
        _derive(root)
    except StateError as exc:
        raise StateError(f"{source}: {exc}") from None
    return LabState(
        host=root["host"],
        deployment=root["deployment"],
        tenant=root["tenant"],
        faults=root["faults"],
        inventory=root["inventory"],
        source=source,
    )


def new_module(
    name: str, version: str, installed_by: str, path: str | None = None, repository: str | None = None
) -> dict[str, Any]:
    """A host.modules entry with every key the state file has (so a dumped state loads back identically)."""
    path = path or default_module_path(name, version, installed_by)
    return {"name": name, "version": version, "path": path, "installed_by": installed_by, "repository": repository}


def default_module_path(name: str, version: str, installed_by: str) -> str:
    if installed_by == "msi":
        root = MSI_MODULE_ROOTS.get(name.lower(), rf"C:\Program Files\Common Files\{name}\Modules")
        return rf"{root}\{name}"
    return rf"{ALL_USERS_MODULES}\{name}\{version}"


def _derive(root: dict[str, Any]) -> None:
    """Defaults that depend on other keys, and cross-checks between sections."""
    host = root["host"]
    for module in host["modules"]:
        module["path"] = module["path"] or default_module_path(
            module["name"], module["version"], module["installed_by"]
        )
    deployment = root["deployment"]
    if deployment is not None:
        _derive_deployment(deployment, host)
    tenant = root["tenant"]
    if tenant is not None:
        tenant["sip_domains"] = tenant["sip_domains"] if tenant["sip_domains"] is not None else list(tenant["domains"])
        tenant["identity"] = tenant["identity"] or f"OU={tenant['tenant_id']},OU=OCS Tenants,DC=lync0e001,DC=local"
    for key in ("drop_connection_at_request", "http_500_at_request", "operation_timeout_at_request"):
        value = root["faults"].get(key)
        if value is not None and not (isinstance(value, int) or (isinstance(value, list) and value)):
            raise _fail(f"state.faults.{key}", "expected a request number or a list of them")


def _derive_deployment(deployment: dict[str, Any], host: dict[str, Any]) -> None:
    product = deployment["product"]
    module_name, major, _name, _display = PRODUCTS[product]
    if deployment["build"].split(".")[0] != major:
        raise _fail("state.deployment.build", f"{product} builds start with {major}., got {deployment['build']!r}")
    deployment["module"] = deployment["module"] or module_name
    if deployment["module"] != module_name:
        raise _fail("state.deployment.module", f"{product} ships the {module_name} module, not {deployment['module']}")
    deployment["module_version"] = deployment["module_version"] or f"{major}.0.0.0"
    local = f"{host['name']}.{host['domain']}".lower()
    if not deployment["pools"]:
        deployment["pools"] = [
            {
                "fqdn": f"pool01.{host['domain']}",
                "site": "Site1",
                "services": ["Registrar", "UserServer", "WebServer"],
                "computers": None,
            }
        ]
    for pool in deployment["pools"]:
        pool["computers"] = pool["computers"] or [local]
    _derive_sites(deployment)
    computers = [computer for pool in deployment["pools"] for computer in pool["computers"]]
    deployment["windows_services"] = _merge_services(deployment, computers)
    cms = deployment["cms"]
    cms["backend"] = cms["backend"] or f"sql01.{host['domain']}\\rtc"
    if cms["replicas"] is None:
        cms["replicas"] = [
            {"fqdn": c, "up_to_date": True, "last_status_report": DEFAULT_TIME, "last_update_creation": DEFAULT_TIME}
            for c in computers
        ]
    if deployment["sip_domains"] is None:
        deployment["sip_domains"] = [{"name": host["domain"], "is_default": True}]
    identities = [provider["identity"].lower() for provider in deployment["hosting_providers"]]
    if len(set(identities)) != len(identities):
        raise _fail("state.deployment.hosting_providers", "two hosting providers have the same identity")
    for provider in deployment["hosting_providers"]:
        provider["name"] = provider["name"] or provider["identity"]
    _derive_users(deployment)
    names = {module["name"].lower() for module in host["modules"]}
    if deployment["module"].lower() not in names:
        path = rf"{MODULE_ROOTS[product]}\{deployment['module']}"
        host["modules"].append(new_module(deployment["module"], deployment["module_version"], "msi", path))


def _derive_sites(deployment: dict[str, Any]) -> None:
    """Every pool's site exists; a federation route names an Edge pool of the topology."""
    names = [site["name"].lower() for site in deployment["sites"]]
    if len(set(names)) != len(names):
        raise _fail("state.deployment.sites", "two sites have the same name")
    edges = {pool["fqdn"].lower() for pool in deployment["pools"] if "EdgeServer" in pool["services"]}
    for index, site in enumerate(deployment["sites"]):
        route = site["federation_route"]
        if route is not None and route.lower() not in edges:
            raise _fail(f"state.deployment.sites[{index}].federation_route", f"not an Edge pool: {route}")
    for pool in deployment["pools"]:
        if pool["site"].lower() not in names:
            names.append(pool["site"].lower())
            deployment["sites"].append({"name": pool["site"], "federation_route": None})


def federated_edge_pools(deployment: dict[str, Any]) -> list[str]:
    """The distinct Edge pools the sites federate through (Move-CsUser accepts one at most)."""
    found: list[str] = []
    for site in deployment["sites"]:
        route = site["federation_route"]
        if route is not None and route.lower() not in found:
            found.append(route.lower())
    return found


def _derive_users(deployment: dict[str, Any]) -> None:
    """Normalise SIP addresses (sip: prefix), fill UPN and name, refuse duplicates and unknown pools."""
    pools = {pool["fqdn"].lower() for pool in deployment["pools"]}
    seen: set[str] = set()
    for index, user in enumerate(deployment["users"]):
        path = f"state.deployment.users[{index}]"
        address = user["sip_address"]
        address = address if address.lower().startswith("sip:") else f"sip:{address}"
        user["sip_address"] = address
        user["upn"] = user["upn"] or address[4:]
        user["display_name"] = user["display_name"] or address[4:].split("@")[0]
        if address.lower() in seen:
            raise _fail(path, f"two users have the SIP address {address}")
        seen.add(address.lower())
        if user["registrar_pool"] is not None and user["registrar_pool"].lower() not in pools:
            raise _fail(f"{path}.registrar_pool", f"not a pool of the deployment: {user['registrar_pool']}")


def default_services(product: str, cms_master: bool) -> list[dict[str, Any]]:
    """The Windows services a Standard Edition Front End runs, named as Get-CsWindowsService names them."""
    prefix = "Lync Server" if product == "lync2013" else "Skype for Business Server"
    names = [
        ("REPLICA", "Replica Replicator Agent"),
        ("RTCCLSAGT", "Centralized Logging Service Agent"),
        ("RTCSRV", "Front-End"),
        ("RTCCAA", "Conferencing Attendant"),
        ("RTCCAS", "Conferencing Announcement"),
        ("RTCIMMCU", "IM Conferencing"),
        ("RTCDATAMCU", "Web Conferencing"),
        ("RTCAVMCU", "Audio/Video Conferencing"),
        ("RTCASMCU", "Application Sharing"),
        ("RTCMEDSRV", "Mediation"),
    ]
    if cms_master:
        names += [("MASTER", "Master Replicator Agent"), ("FTA", "File Transfer Agent")]
    services = [
        {"name": name, "status": "Running", "activity_level": "", "display_name": f"{prefix} {label}"}
        for name, label in names
    ]
    if product != "lync2013":
        services.insert(0, {"name": "FabricHostSvc", "status": "Running", "activity_level": "", "display_name": "Windows Fabric Host Service"})  # fmt: skip  # noqa: E501
    return services


def _merge_services(deployment: dict[str, Any], computers: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Defaults for every computer, overridden (or extended) by name from the state file."""
    given = {computer.lower(): services for computer, services in deployment["windows_services"].items()}
    unknown = sorted(set(given) - {computer.lower() for computer in computers})
    if unknown:
        raise _fail("state.deployment.windows_services", f"not a computer of any pool: {', '.join(unknown)}")
    merged: dict[str, list[dict[str, Any]]] = {}
    for index, computer in enumerate(computers):
        services = default_services(deployment["product"], cms_master=index == 0)
        for override in given.get(computer.lower(), []):
            match = next((s for s in services if s["name"].lower() == override["name"].lower()), None)
            if match is None:
                services.append({**override, "display_name": override["display_name"] or override["name"]})
            else:
                match.update({k: v for k, v in override.items() if v is not None})
        merged[computer] = services
    return merged


def dump_state(state: LabState) -> str:
    return yaml.safe_dump(state.to_dict(), sort_keys=False, default_flow_style=False, allow_unicode=True)
