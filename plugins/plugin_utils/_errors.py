# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn PowerShell error records into messages that name cause and fix (internal use only).

Administrators read these in a failed task, often at night during a change
window: every message says what went wrong in Lync/tenant terms and what to do,
and keeps the original record in the result for the support case.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import ErrorRecord

# The tenant roles of the account that moves users: "Move users between on-premises and cloud", section
# "Required administrative credentials" (OfficeDocs-SkypeForBusiness Skype/SfbHybrid/hybrid/
# move-users-between-on-premises-and-cloud.md @ 074a7dab): Global Administrator, or Teams Administrator and
# User Administrator (or the retired Skype for Business Administrator and User Administrator). The role uses the
# same account for Set-CsTenantFederationConfiguration, whose page names no role: that these roles cover it is
# assumed (Teams Administrator manages the tenant's Teams settings).
TENANT_ADMIN_ROLES = "Global Administrator, or Teams Administrator together with User Administrator"


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What a known failure means: a short cause and the remedy."""

    reason: str
    cause: str
    remedy: str


class HostError(AnsibleActionFail):
    """A failure on the host, explained; the task fails with the record attached."""

    def __init__(self, diagnosis: Diagnosis, record: ErrorRecord | None = None, **extra: t.Any) -> None:
        super().__init__(f"{diagnosis.cause} {diagnosis.remedy}".strip())
        self.diagnosis = diagnosis
        self.record = record
        self.extra = extra

    def to_result(self) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"failed": True, "msg": self.message, "reason": self.diagnosis.reason}
        if self.record is not None:
            result["error_record"] = self.record.to_result()
        result.update(self.extra)
        return result


_Rule = tuple[str, re.Pattern[str], t.Callable[[ErrorRecord, dict[str, str]], Diagnosis]]


def _rule(reason: str, pattern: str, cause: str, remedy: str) -> _Rule:
    def build(record: ErrorRecord, context: dict[str, str]) -> Diagnosis:
        return Diagnosis(reason, cause.format(**context), remedy.format(**context))

    return reason, re.compile(pattern, re.IGNORECASE), build


# First match wins; patterns are tested against "fqid exception message". Windows localises messages, so a
# pattern matches error ids, exception type names and service codes (AADSTS...); the only texts matched are
# the online service's and the English-only connector modules' own, which no Windows locale translates.
_RULES: tuple[_Rule, ...] = (
    _rule(
        "concurrent_shells",
        r"maximum number of concurrent shells|exceeded the maximum number of concurrent",
        "The tenant refused the session: {account} already has the maximum number of concurrent "
        "remote PowerShell sessions open (3 per admin, 20 per tenant).",
        "Wait for idle sessions to expire (about 15 minutes), close other sessions of this account, "
        "or raise 'retries'/'delay'.",
    ),
    _rule(
        "mfa_required",
        r"AADSTS50076|AADSTS50079|AADSTS50158|multi-?factor|strong authentication",
        "The account {account} requires multi-factor authentication, which cannot be answered "
        "over a non-interactive WinRM session.",
        "Use certificate authentication with connector=microsoft_teams: set certificate_thumbprint, "
        "application_id and tenant_id (MicrosoftTeams 4.7.1 or later). Moving users (Move-CsUser -Credential) "
        f"still needs a tenant admin ({TENANT_ADMIN_ROLES}) that signs in without MFA from this server.",
    ),
    _rule(
        "invalid_credentials",
        r"AADSTS50126|AADSTS50034|invalid username or password|user name or password is incorrect|"
        r"System\.UnauthorizedAccessException|System\.Security\.Authentication\.AuthenticationException|"
        # the Skype for Business Online endpoint's own (English) replies inside a legacy session
        r"logon failure|access is denied",
        "The tenant rejected the credentials of {account}.",
        "Check username and password (use the admin's user principal name, e.g. admin@contoso.onmicrosoft.com).",
    ),
    _rule(
        "endpoint_discovery",
        r"discover PowerShell endpoint|OverrideAdminDomain",
        "The online connector could not discover the tenant's remote PowerShell endpoint; in a hybrid "
        "deployment lyncdiscover points at the on-premises servers.",
        "Set override_admin_domain to the tenant's initial domain (contoso.onmicrosoft.com).",
    ),
    # The runner's own lookup (LocalMachine\My, then CurrentUser\My) before Connect-MicrosoftTeams is called.
    _rule(
        "certificate_not_found",
        r"LyncHybrid\.CertificateNotFound",
        "The certificate {certificate} is neither in Cert:\\LocalMachine\\My nor in Cert:\\CurrentUser\\My of the "
        "connecting account on this host, so no logon as application {application} was attempted.",
        "Import it from its .pfx file, with the private key, into the machine store Cert:\\LocalMachine\\My and "
        "give the connecting account read access to the key "
        "(certlm.msc, Manage Private Keys); check that certificate_thumbprint is the certificate's thumbprint.",
    ),
    _rule(
        "certificate_private_key_missing",
        r"LyncHybrid\.CertificatePrivateKeyMissing",
        "The certificate {certificate} is on this host, but without its private key.",
        "Import it again from its .pfx file, with the private key, into Cert:\\LocalMachine\\My and give the "
        "connecting account read access to the key (certlm.msc, Manage Private Keys).",
    ),
    _rule(
        "certificate_needs_user_store",
        r"LyncHybrid\.CertificateNeedsUserStore",
        "The certificate {certificate} is only in Cert:\\LocalMachine\\My, but the installed MicrosoftTeams has "
        "no -Certificate parameter (added in 4.9.2-preview) and looks a thumbprint up in Cert:\\CurrentUser\\My "
        "only, so no logon as application {application} was attempted.",
        "Update MicrosoftTeams (the connector module's default minimum, 6.2.1, has -Certificate), or import the "
        "certificate with its private key into Cert:\\CurrentUser\\My of the connecting account.",
    ),
    _rule(
        "certificate_not_found",
        r"certificate.*(not found|could not be found|no certificate)|Cannot find certificate|AADSTS700027",
        "The certificate {certificate} was not found or not accepted for application {application}.",
        "Import the certificate with its private key into Cert:\\LocalMachine\\My on this host and register it on "
        "the Azure AD application. MicrosoftTeams before 4.9.2 has no -Certificate and looks the thumbprint up in "
        "the connecting user's store (Cert:\\CurrentUser\\My) only: update MicrosoftTeams.",
    ),
    _rule(
        "application_not_found",
        r"AADSTS700016|application .* was not found",
        "Azure AD does not know application {application} in tenant {tenant}.",
        "Check application_id and tenant_id, and that the application has the Teams administrator role.",
    ),
    _rule(
        "connector_missing",
        r"Modules_ModuleNotFound|LyncHybrid.ConnectorMissing|no valid module file was found",
        "The online connector module {module} is not installed on this host.",
        "Install it first with lync.hybrid.cs_online_connector.",
    ),
    _rule(
        "onprem_module_missing",
        r"LyncHybrid.OnPremModuleMissing",
        "Neither the SkypeForBusiness nor the Lync management module is available: this host is not a "
        "Lync Server 2013 / Skype for Business Server with the management shell installed.",
        "Run the task against a Front End server (or a server with the administrative tools installed).",
    ),
    _rule(
        "throttled",
        r"Micro delay applied|throttl",
        "The tenant throttled the request.",
        "Retry later or reduce the number of hosts that open tenant sessions at the same time.",
    ),
)


def diagnose(record: ErrorRecord, **context: str) -> Diagnosis:
    """Explain a record; unknown records keep their own message."""
    context.setdefault("account", "the account")
    for key in ("certificate", "application", "tenant", "module"):
        context.setdefault(key, f"(no {key})")
    text = f"{record.fqid} {record.exception} {record.message}"
    for _reason, pattern, build in _RULES:
        if pattern.search(text):
            return build(record, context)
    return Diagnosis("host_error", record.message.rstrip(".") + ".", "")


def is_retryable(record: ErrorRecord) -> bool:
    """Failures that go away by waiting: the session limit and tenant throttling."""
    return diagnose(record).reason in ("concurrent_shells", "throttled")
