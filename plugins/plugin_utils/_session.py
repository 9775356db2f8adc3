# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove that a tenant session can be opened and report what it sees (internal use only).

This is the cheapest end-to-end check of everything the other tenant modules need:
connector installed, credentials or certificate accepted, endpoint discovered, the
tenant readable. It only reads (Get-CsTenant, then Get-CsOnlineSipDomain), in one
runner request and one session that the runner always closes, so it behaves the
same in check mode and never reports a change.
"""

from __future__ import annotations

import json
import re
import time
import typing as t

from ansible_collections.lync.hybrid.plugins.plugin_utils import _online, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import TENANT_ADMIN_ROLES, Diagnosis, HostError

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

TENANT = "Get-CsTenant"
SIP_DOMAINS = "Get-CsOnlineSipDomain"

# The properties read from Get-CsTenant. Legacy endpoints report Domains and an
# Active Directory style Identity; MicrosoftTeams 3.0+ deprecated Identity and
# lists VerifiedDomains instead. Missing ones come back as null, which is fine.
TENANT_PROPERTIES = ("TenantId", "DisplayName", "Domains", "VerifiedDomains", "SipDomain", "Identity")

# Get-CsTenant's Identity names the tenant's home forest, for example
# "OU=<guid>,OU=OCS Tenants,DC=lync0e001,DC=local"; the two characters between
# "lync" and "001" select the admin endpoint Move-CsUser must use.
_FOREST = re.compile(r"(?:^|,)\s*DC=lync([0-9a-z]{2})001\s*(?:,|$)", re.IGNORECASE)
HOSTED_MIGRATION_URL = "https://admin{0}.online.lync.com/HostedMigration/hostedmigrationService.svc"
# Why the URL is null and why that is fine. The derivation above is the only one Microsoft documents ("Move users
# between on-premises and cloud", Required administrative credentials, OfficeDocs-SkypeForBusiness
# Skype/SfbHybrid/hybrid/move-users-between-on-premises-and-cloud.md @ 074a7dab); Get-CsTenant in MicrosoftTeams
# 3.0.0 and later no longer returns Identity (Get-CsTenant page, office-docs-powershell
# teams/teams-ps/MicrosoftTeams/Get-CsTenant.md @ 93336da2), and Move-CsUser needs no override "as long as the
# hosting provider has its AutoDiscover URL properly configured" (Move-CsUser page, same commit) and the admin
# account ends in .onmicrosoft.com ("Move users from the cloud to on-premises").
HOSTED_MIGRATION_URL_NOTE = (
    "Not derivable: Microsoft documents the hosted migration URL only through DC=lyncXX001 in Get-CsTenant's "
    "Identity, which MicrosoftTeams 3.0.0 and later no longer return. Move-CsUser does not need it when the hosting "
    "provider has its AutodiscoverUrl (readiness check hosting_provider) and the tenant admin is a "
    "*.onmicrosoft.com account; otherwise Move-CsUser needs -HostedMigrationOverrideUrl "
    "https://adminXX.online.lync.com/HostedMigration/hostedmigrationService.svc, with XX from that Identity."
)


def build_steps() -> list[_runner.Step]:
    """Get-CsTenant must work; the SIP domain list is a bonus that may be missing.

    Get-CsOnlineSipDomain is not available on every endpoint (older tenants, some
    connector versions), so its failure only costs the per-domain status. It runs
    last, so a failure there cannot keep anything else from running.
    """
    return [
        _runner.Step("tenant", TENANT, scope="online", select=TENANT_PROPERTIES),
        _runner.Step("sip_domains", SIP_DOMAINS, scope="online"),
    ]


def hosted_migration_url(identity: str | None) -> str | None:
    """The HostedMigrationOverrideUrl for Move-CsUser, or None when the identity has no forest."""
    if not identity:
        return None
    match = _FOREST.search(identity)
    return HOSTED_MIGRATION_URL.format(match.group(1).lower()) if match else None


def probe(
    action: ActionBase,
    args: dict[str, t.Any],
    sleep: t.Callable[[float], None] = time.sleep,
) -> dict[str, t.Any]:
    """Open the session, read the tenant, close; return the module result."""
    refused: list[dict[str, t.Any]] = []
    response, attempts = _online.run_online(action, args, build_steps(), sleep=sleep, refused=refused)
    session = {"attempts": attempts, "refused_attempts": refused, "session_closed": _online.session_closed(response)}
    warnings = _online.retirement_warnings(args)
    result: dict[str, t.Any] = {"changed": False, **read(response, args, session, warnings), **session}
    warnings.extend(_online.close_warnings(response))
    if warnings:
        result["warnings"] = warnings
    return result


def read(
    response: _runner.Response, args: dict[str, t.Any], session: dict[str, t.Any], warnings: list[str]
) -> dict[str, t.Any]:
    """The tenant, connector and connect time from the steps of build_steps, or fail the task.

    Shared with the federation module, which runs the same steps in its own session so that
    a role proving the session and setting federation connects to the tenant once.
    """
    tenant_step = response.step("tenant")
    if not tenant_step.ok:
        _fail(tenant_step, args, **session)
    raw = tenant_step.first()
    if not isinstance(raw, dict):
        raise HostError(
            Diagnosis(
                "tenant_not_found",
                f"The session opened but {TENANT} returned no tenant.",
                f"Check that the account is an administrator of the tenant ({TENANT_ADMIN_ROLES}).",
            ),
            None,
            **session,
        )
    tenant = tenant_info(raw, _sip_domain_status(response.step("sip_domains"), warnings))
    online = response.online
    return {
        "tenant": tenant,
        "connector": _online.connector_used(response),
        "module_version": online.module_version if online else None,
        "connect_seconds": float(online.seconds) if online and online.seconds is not None else None,
    }


def tenant_info(raw: dict[str, t.Any], sip_status: dict[str, str] | None) -> dict[str, t.Any]:
    """The tenant facts users need, in snake_case and the same shape for every connector."""
    identity = _text(raw.get("Identity"))
    url = hosted_migration_url(identity)
    domains = _names(raw.get("Domains")) or _names(raw.get("VerifiedDomains"))
    sip_domains = _names(raw.get("SipDomain")) or list(sip_status or ())
    return {
        "tenant_id": _text(raw.get("TenantId")),
        "display_name": _text(raw.get("DisplayName")),
        "domains": domains,
        "sip_domains": sip_domains,
        "sip_domain_status": sip_status,
        "identity": identity,
        "hosted_migration_url": url,
        "hosted_migration_url_note": None if url else HOSTED_MIGRATION_URL_NOTE,
    }


def _sip_domain_status(step: _runner.StepResult, warnings: list[str]) -> dict[str, str] | None:
    """Domain -> Enabled/Disabled, or None (with a warning) when the cmdlet failed."""
    if not step.ok:
        why = step.error.message if step.error else step.status
        warnings.append(
            f"{SIP_DOMAINS} failed or is not available in this session ({why}); sip_domain_status is null "
            "and sip_domains comes from Get-CsTenant."
        )
        return None
    status: dict[str, str] = {}
    for row in step.output:
        if not isinstance(row, dict):
            continue
        name = _text(_get(row, "Name") or _get(row, "Domain"))
        if name:
            status[name] = _text(_get(row, "Status")) or "Unknown"
    return status


def _names(value: t.Any) -> list[str]:
    """Domain names from a property that may be a string, a list of strings or of objects."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return _unique(name for name in (_domain_name(item) for item in items) if name)


def _domain_name(item: t.Any) -> str | None:
    """The name of one domain entry, whatever shape the runner gave it.

    The runner flattens objects nested in a property to their text, and the text of a
    MicrosoftTeams domain object depends on the module: JSON from its generated models,
    ``@{Name=...; Status=...}`` for a PowerShell object, or just the name.
    """
    if isinstance(item, dict):
        return _text(_get(item, "Name"))
    text = _text(item)
    if text is None:
        return None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return _text(_get(data, "Name")) if isinstance(data, dict) else None
    if text.startswith("@{"):
        match = re.search(r"(?:^@\{|;\s*)Name=([^;}]*)", text, re.IGNORECASE)
        return _text(match.group(1)) if match else None
    return text


def _get(data: dict[str, t.Any], name: str) -> t.Any:
    """A property by name, ignoring case (JSON from the Teams models is camelCase)."""
    return next((value for key, value in data.items() if key.lower() == name.lower()), None)


def _unique(names: t.Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def _text(value: t.Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _fail(step: _runner.StepResult, args: dict[str, t.Any], **extra: t.Any) -> t.NoReturn:
    found, record = _online.step_failure(step, args, "read the tenant")
    cause = f"The session opened but {TENANT} failed: {found.cause}"
    raise HostError(Diagnosis(found.reason, cause, found.remedy), record, **extra)
