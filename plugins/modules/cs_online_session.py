# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_online_session
short_description: Check that the Lync server can open a remote PowerShell session to the tenant
version_added: 0.1.0
description:
  - Opens a remote PowerShell session from the Lync server to the Microsoft 365 tenant with the connector and
    credentials given, reads the tenant (C(Get-CsTenant)) and its SIP domains (C(Get-CsOnlineSipDomain)), and
    closes the session again.
  - Use it before the modules that change the tenant, or before moving users, to find wrong credentials,
    accounts that require multi-factor authentication, missing connectors and endpoint discovery problems
    early, with a message that says what to do.
  - It returns what a move of users back on-premises needs to know about the tenant, including the
    C(HostedMigrationOverrideUrl) for C(Move-CsUser) when the tenant reports it.
  - The whole probe is one command on the host and one tenant session. The session is always closed, also when
    the probe fails.
  - It never changes anything, so it always returns C(changed=false).
extends_documentation_fragment:
  - lync.hybrid.online_auth
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
attributes:
  check_mode:
    support: full
    details: The probe only reads, so check mode runs it exactly as a normal run does.
  diff_mode:
    support: none
    details: Nothing is ever changed, so there is no before and after to compare; the tenant facts are in the result.
notes:
  - Use the same account or application as for the modules that change the tenant, so the probe proves their
    access too; it only reads.
  - When the tenant refuses the session because the account already has the maximum number of concurrent
    sessions, the task waits and tries again (O(retries), O(delay)) before it fails.
  - C(Get-CsOnlineSipDomain) is not offered by every endpoint. When it fails the task still succeeds with a
    warning, RV(tenant.sip_domain_status) is V(null) and RV(tenant.sip_domains) comes from C(Get-CsTenant).
seealso:
  - module: lync.hybrid.cs_online_connector
  - module: lync.hybrid.cs_tenant_federation
  - name: Move-CsUser (HostedMigrationOverrideUrl)
    description: Where the hosted migration URL is used.
    link: https://learn.microsoft.com/powershell/module/skype/move-csuser
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Prove the tenant session with an admin account (legacy connector behind hybrid DNS)
  lync.hybrid.cs_online_session:
    connector: skype_online_connector
    username: admin@contoso.onmicrosoft.com
    password: "{{ vault_tenant_admin_password }}"
    override_admin_domain: contoso.onmicrosoft.com
  register: tenant_session
  run_once: true

- name: Prove it with certificate authentication (accounts with MFA cannot sign in over WinRM)
  lync.hybrid.cs_online_session:
    connector: microsoft_teams
    certificate_thumbprint: "{{ teams_cert_thumbprint }}"
    application_id: "{{ teams_app_id }}"
    tenant_id: contoso.onmicrosoft.com
  register: tenant_session
  run_once: true

- name: Stop before moving users when the on-premises SIP domain is disabled in the tenant
  ansible.builtin.assert:
    that:
      - tenant_session.tenant.sip_domain_status is none
        or tenant_session.tenant.sip_domain_status['contoso.com'] | default('Enabled') == 'Enabled'
    fail_msg: contoso.com is disabled in the tenant (cloud consolidation); enable it before moving users.

- name: Use the tenant's hosted migration URL for Move-CsUser when it is known
  ansible.builtin.set_fact:
    hosted_migration_override_url: "{{ tenant_session.tenant.hosted_migration_url }}"
  when: tenant_session.tenant.hosted_migration_url is not none
"""

RETURN = r"""
tenant:
  description: What the tenant reported.
  returned: success
  type: dict
  contains:
    tenant_id:
      description: The tenant ID (a GUID).
      type: str
      sample: 6f7f3d4c-1b62-4d2e-9a8e-0c6a0b9c5d21
    display_name:
      description: The tenant's display name.
      type: str
      sample: Contoso
    domains:
      description:
        - The tenant's domains (C(Domains) of C(Get-CsTenant), or C(VerifiedDomains) where C(Domains) is not
          reported).
      type: list
      elements: str
      sample: [contoso.com, contoso.onmicrosoft.com]
    sip_domains:
      description:
        - The tenant's SIP domains (C(SipDomain) of C(Get-CsTenant); when that is empty, the domains
          C(Get-CsOnlineSipDomain) lists).
      type: list
      elements: str
      sample: [contoso.com, contoso.onmicrosoft.com]
    sip_domain_status:
      description:
        - SIP domain to status (V(Enabled) or V(Disabled)) as C(Get-CsOnlineSipDomain) reports it. A disabled
          domain blocks provisioning of its users (cloud consolidation).
        - V(null) when C(Get-CsOnlineSipDomain) is not available in the session; a warning says why.
      type: dict
      sample: {contoso.com: Enabled, contoso.onmicrosoft.com: Enabled}
    identity:
      description:
        - C(Identity) of C(Get-CsTenant), the tenant's object in its Skype for Business Online forest.
        - V(null) when not reported; MicrosoftTeams 3.0.0 and later deprecated it for tenants with Teams users.
      type: str
      sample: OU=6f7f3d4c-1b62-4d2e-9a8e-0c6a0b9c5d21,OU=OCS Tenants,DC=lync0e001,DC=local
    hosted_migration_url:
      description:
        - The C(HostedMigrationOverrideUrl) to pass to C(Move-CsUser), built from the forest in
          RV(tenant.identity) (C(DC=lyncXX001) gives C(https://adminXX.online.lync.com/...)).
        - V(null) when RV(tenant.identity) is missing or names no such forest, which is the case for most tenants
          read through MicrosoftTeams 3.0.0 or later because C(Identity) is deprecated there. The URL is
          then not guessed, because a wrong admin endpoint makes moves fail. C(-HostedMigrationOverrideUrl)
          is optional; without it C(Move-CsUser) finds the service through the hosting provider's
          C(AutodiscoverUrl), which the readiness check C(hosting_provider) of M(lync.hybrid.cs_deployment_facts)
          verifies, provided the tenant admin is a C(*.onmicrosoft.com) account.
      type: str
      sample: https://admin0e.online.lync.com/HostedMigration/hostedmigrationService.svc
    hosted_migration_url_note:
      description:
        - Why RV(tenant.hosted_migration_url) is V(null), when it is, and what to do instead; V(null) when the URL
          was derived.
      type: str
      sample: "Not derivable: Microsoft documents the hosted migration URL only through DC=lyncXX001 in ..."
connector:
  description: The connector that opened the session (the one picked when O(connector=auto)).
  returned: success
  type: str
  sample: microsoft_teams
module_version:
  description: Version of the connector module that was used.
  returned: success
  type: str
  sample: 6.1.0
connect_seconds:
  description: Seconds it took to import the connector and open the session.
  returned: success
  type: float
  sample: 2.418
session_closed:
  description:
    - Whether the tenant session is closed (or was never opened). V(false) only when closing failed; a warning
      then says so, and the session expires by itself after about 15 minutes.
  returned: whenever the command ran on the host (not for invalid options or a lost connection)
  type: bool
  sample: true
attempts:
  description: Commands it took to open the session (more than 1 when the tenant's session limit was hit).
  returned: whenever the command ran on the host (not for invalid options or a lost connection)
  type: int
  sample: 1
reason:
  description:
    - Machine-readable cause of a failure, for example V(invalid_credentials), V(mfa_required),
      V(connector_missing), V(endpoint_discovery), V(concurrent_shells), V(certificate_not_found),
      V(certificate_private_key_missing), V(certificate_needs_user_store) or V(application_not_found)
      when the session could not be opened,
      and V(insufficient_rights) or V(tenant_not_found) when it opened but C(Get-CsTenant) failed or returned nothing.
  returned: failure
  type: str
  sample: mfa_required
error_record:
  description: The PowerShell error record behind a failure.
  returned: failure, when a cmdlet failed
  type: dict
  sample:
    message: "AADSTS50076: ... you must use multi-factor authentication to access '48ac35b8-...'."
    fqid: "Connect-MicrosoftTeams"
    category: AuthenticationError
"""
