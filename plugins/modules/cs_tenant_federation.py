# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_tenant_federation
short_description: Set the tenant federation settings that a hybrid Lync deployment needs
version_added: 0.1.0
description:
  - Reads the tenant's federation configuration (C(Get-CsTenantFederationConfiguration)) through a remote
    PowerShell session opened from the Lync server, and changes only the properties that differ from the
    options given (C(Set-CsTenantFederationConfiguration -Identity Global)), then reads it back.
  - Before users can be moved from the cloud to on-premises, O(shared_sip_address_space) must be V(true).
  - Options that are not set are never sent, so allowed and blocked domain lists are never touched.
    At least one of O(shared_sip_address_space) and O(allow_federated_users) must be V(true) or V(false).
  - Get, Set and read-back run in one command on the host and one tenant session, which is always closed.
options:
  shared_sip_address_space:
    description:
      - Desired value of C(SharedSipAddressSpace) (split domain, hybrid). Must be V(true) while any user of
        the tenant's SIP domains is homed on-premises.
      - Microsoft refuses to set it back to V(false) once it is V(true) ("This scenario is not supported
        anymore"); the module reports that as a clear error, also in check mode.
    type: bool
  allow_federated_users:
    description:
      - Desired value of C(AllowFederatedUsers). Not changed when omitted.
    type: bool
  allow_public_users:
    description:
      - Removed. Microsoft ended Skype consumer interoperability with Teams on May 5, 2025, and the
        C(Set-CsTenantFederationConfiguration) reference no longer lists C(-AllowPublicUsers) ("can no longer be
        used"). Any value fails the task before anything is sent, with a message saying so.
    type: bool
  read_tenant:
    description:
      - Also read the tenant in the same session, as M(lync.hybrid.cs_online_session) does (C(Get-CsTenant)
        before the federation configuration, C(Get-CsOnlineSipDomain) after it), and return RV(tenant),
        RV(module_version) and RV(connect_seconds).
      - One tenant connection then proves the session and sets federation; the role uses it when both its
        session and federation areas run. A tenant that cannot be read fails the task before anything is set.
    type: bool
    default: false
extends_documentation_fragment:
  - lync.hybrid.online_auth
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
attributes:
  check_mode:
    support: full
    details: Only the Get runs; C(changed) and the diff show what would change.
  diff_mode:
    support: full
notes:
  - Run it once per tenant, for example with C(run_once=true) when a play targets several Lync servers.
seealso:
  - module: lync.hybrid.cs_online_session
  - module: lync.hybrid.cs_online_connector
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Turn on the shared SIP address space (certificate authentication)
  lync.hybrid.cs_tenant_federation:
    shared_sip_address_space: true
    connector: microsoft_teams
    certificate_thumbprint: "{{ teams_cert_thumbprint }}"
    application_id: "{{ teams_app_id }}"
    tenant_id: contoso.onmicrosoft.com
  run_once: true

- name: Same with the legacy connector and an admin account
  lync.hybrid.cs_tenant_federation:
    shared_sip_address_space: true
    allow_federated_users: true
    connector: lync_online_connector
    username: admin@contoso.onmicrosoft.com
    password: "{{ vault_tenant_admin_password }}"
    override_admin_domain: contoso.onmicrosoft.com
"""

RETURN = r"""
federation:
  description:
    - The tenant federation configuration after the task (as it would be, in check mode).
    - Properties the connector's cmdlet does not have are V(null), for example the Teams consumer settings
      with the legacy connectors.
    - On a failure after the configuration was read, the configuration as the task left it.
  returned: success, and failures after the configuration was read
  type: dict
  sample:
    Identity: Global
    AllowedDomains: AllowAllKnownDomains
    BlockedDomains: []
    AllowFederatedUsers: true
    AllowPublicUsers: true
    AllowTeamsConsumer: true
    AllowTeamsConsumerInbound: true
    TreatDiscoveredPartnersAsUnverified: false
    SharedSipAddressSpace: true
    RestrictTeamsConsumerToExternalUserProfiles: false
federation_before:
  description: The tenant federation configuration as the task found it.
  returned: success
  type: dict
  sample:
    Identity: Global
    SharedSipAddressSpace: false
changed_properties:
  description: Properties that were (or in check mode would be) changed.
  returned: success
  type: list
  elements: str
  sample: [SharedSipAddressSpace]
connector:
  description: The connector that opened the session.
  returned: success
  type: str
  sample: microsoft_teams
tenant:
  description:
    - What the tenant reported, in the shape M(lync.hybrid.cs_online_session) returns (tenant_id, display_name,
      domains, sip_domains, sip_domain_status, identity, hosted_migration_url).
  returned: success, with O(read_tenant=true)
  type: dict
  sample:
    tenant_id: 6f7f3d4c-1b62-4d2e-9a8e-0c6a0b9c5d21
    display_name: Contoso
    sip_domains: [contoso.com]
module_version:
  description: Version of the connector module that was used.
  returned: success, with O(read_tenant=true)
  type: str
  sample: 6.4.0
connect_seconds:
  description: Seconds it took to import the connector and open the session.
  returned: success, with O(read_tenant=true)
  type: float
  sample: 2.418
attempts:
  description: Commands it took to open the session (more than 1 when the tenant's session limit was hit).
  returned: when the runner ran on the host
  type: int
  sample: 1
refused_attempts:
  description:
    - Every attempt the tenant refused (session limit or throttling), in order, each also printed on the controller's
      console as it happened. Empty when the first attempt got through.
  returned: when the runner ran on the host
  type: list
  elements: dict
  contains:
    attempt:
      description: Number of the attempt, from 1.
      type: int
    reason:
      description: Machine-readable cause, V(concurrent_shells) or V(throttled).
      type: str
    message:
      description: The tenant's own message.
      type: str
    waited_seconds:
      description: Seconds waited before the next attempt; V(null) when no retry was left.
      type: int
  sample: [{attempt: 1, reason: concurrent_shells, message: "Fail to create a runspace ...", waited_seconds: 30}]
session_closed:
  description:
    - Whether the tenant session was closed before the task returned (also V(true) when none was opened).
      When V(false) a warning says why; the session then expires by itself after about 15 minutes.
  returned: when the runner ran on the host
  type: bool
  sample: true
reason:
  description: Machine-readable cause of a failure, for example V(mfa_required) or V(concurrent_shells).
  returned: failure
  type: str
  sample: invalid_credentials
error_record:
  description: The PowerShell error record behind a failure.
  returned: failure, when a cmdlet failed
  type: dict
  sample:
    message: "Error validating credentials due to invalid username or password."
    fqid: "Microsoft.Teams.ConfigApi.Cmdlets.ConnectMicrosoftTeams"
    category: AuthenticationError
"""
