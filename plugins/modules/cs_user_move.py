# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_user_move
short_description: Move users from Microsoft 365 (Teams) back to an on-premises Lync / Skype for Business pool
version_added: 0.1.0
description:
  - Moves the listed users, homed online, to an on-premises registrar pool with C(Move-CsUser -Target <pool>),
    in batches, and reports an outcome per user with the cause and the remedy of every failure.
  - "Before any move, one command reads the target pool (C(Get-CsPool)) and every listed user (C(Get-CsUser)):
    the target must be a registrar pool of the topology, and a user is moved only when it exists as an
    on-premises user object, its identity matches exactly, and it is homed online (on a hosting provider).
    A user already homed on the target pool is left alone (C(already_onprem)); a user homed on another
    on-premises pool is never moved."
  - Each batch is one command on the host (one Move-CsUser and one read-back per user). One failing user does
    not stop the others unless O(fail_fast) is set. A move the tenant throttles is retried, bounded by
    O(retries). A failure that every move would meet (TLS 1.2, the admin's logon, several federated Edge pools,
    no hosted migration URL) stops the run after the batch that met it.
  - Rerunning with the same list moves only the users not yet moved (resume).
  - Runs on a Front End server (or a server with the Lync / Skype for Business administrative tools); needs no
    tenant PowerShell session, only the tenant admin's credentials, which C(Move-CsUser) uses itself.
  - "Sources: the Move-CsUser reference (MicrosoftDocs/office-docs-powershell,
    skype/skype-ps/SkypeForBusiness/Move-CsUser.md) and Microsoft's page 'Move users from the cloud to
    on-premises'."
options:
  users:
    description:
      - SIP addresses (with or without C(sip:)) or user principal names of the users to move.
      - Only these users are ever sent to C(Move-CsUser), each by the identity given. Wildcards, display names and
        anything that is not C(user@domain) are refused before anything is sent. Duplicates are moved once.
      - Reading a file of users on the controller is the job of the playbook C(lync.hybrid.move_users).
    type: list
    elements: str
    required: true
  target_pool:
    description:
      - FQDN of the on-premises registrar pool to home the users on (C(Move-CsUser -Target)).
      - Checked against the topology before any move; a pool without the Registrar service is refused.
    type: str
    required: true
  username:
    description:
      - User principal name of a tenant administrator (Global Administrator, or Teams Administrator and User
        Administrator) passed as C(-Credential).
      - The account must not be required to use multi-factor authentication from this server; C(Move-CsUser)
        cannot answer MFA over WinRM. Certificate (app-only) logon is not possible with C(Move-CsUser).
    type: str
    required: true
  password:
    description:
      - Password of O(username). Sent to the host on standard input only, never on a command line, and masked in
        results and logs.
    type: str
    required: true
  hosted_migration_override_url:
    description:
      - C(-HostedMigrationOverrideUrl), the tenant's hosted migration service, for example
        C(https://admin1a.online.lync.com/HostedMigration/hostedmigrationService.svc).
      - Needed only when the hosting provider has no AutodiscoverUrl or O(username) is not a
        C(*.onmicrosoft.com) account. The readiness check C(hosting_provider) of M(lync.hybrid.cs_deployment_facts)
        fails without the AutodiscoverUrl; the URL is derivable only from C(Get-CsTenant)'s C(Identity), which
        MicrosoftTeams 3.0.0 and later no longer return (C(tenant.hosted_migration_url_note) of
        M(lync.hybrid.cs_online_session)).
    type: str
  batch_size:
    description:
      - Users moved per command on the host (1 to 500). Larger batches mean fewer WinRM commands; smaller ones
        return results sooner.
    type: int
    default: 100
  force:
    description:
      - Pass C(-Force), which moves the account B(without its contacts and meetings; they are lost and cannot be
        recovered). Never the default; set it only for users whose data may be lost.
    type: bool
    default: false
  fail_fast:
    description:
      - Stop at the first user that fails; the users after it are reported as C(skipped).
    type: bool
    default: false
  retries:
    description:
      - How many more commands to send for users whose move the tenant throttled.
    type: int
    default: 3
  delay:
    description:
      - Seconds to wait before the first retry; doubles on each further retry, capped at 300 seconds.
    type: int
    default: 30
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
attributes:
  check_mode:
    support: full
    details: Only the reads run; RV(users) is the plan (V(would_move), V(already_onprem) or V(blocked) with why).
  diff_mode:
    support: full
    details: The registrar pool of each listed user before and after (V(null) means homed online).
notes:
  - Run it once per deployment, for example with C(run_once=true); the playbook C(lync.hybrid.move_users) does.
  - The task fails when any user ends neither V(moved) nor V(already_onprem), after every other user was handled;
    RV(retry) lists who to run again.
  - Prerequisites (TLS 1.2, one federated Edge pool, hosting provider, shared SIP address space, minimum builds)
    are checked by the role C(lync.hybrid.lync_online_prereqs); run it first.
seealso:
  - module: lync.hybrid.cs_deployment_facts
  - module: lync.hybrid.cs_tenant_federation
  - name: Move-CsUser
    description: Microsoft's reference of the cmdlet.
    link: https://learn.microsoft.com/powershell/module/skypeforbusiness/move-csuser
  - name: Move users from the cloud to on-premises
    description: Microsoft's procedure.
    link: https://learn.microsoft.com/skypeforbusiness/hybrid/move-users-from-the-cloud-to-on-premises
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Show who would move
  lync.hybrid.cs_user_move:
    users: [ann@contoso.com, sip:bob@contoso.com]
    target_pool: pool01.contoso.local
    username: mover@contoso.onmicrosoft.com
    password: "{{ vault_mover_password }}"
  check_mode: true
  register: plan

- name: Move them, 50 per command, with the override URL
  lync.hybrid.cs_user_move:
    users: "{{ lookup('ansible.builtin.file', 'users.txt').splitlines() }}"
    target_pool: pool01.contoso.local
    username: mover@contoso.com
    password: "{{ vault_mover_password }}"
    hosted_migration_override_url: https://admin1a.online.lync.com/HostedMigration/hostedmigrationService.svc
    batch_size: 50
  run_once: true
"""

RETURN = r"""
users:
  description:
    - One entry per listed user, in the order given (duplicates removed).
    - C(status) in check mode is V(would_move), V(already_onprem) or V(blocked); after a run V(moved),
      V(already_onprem), V(not_found), V(not_synced), V(failed) or V(skipped) (not attempted).
    - C(reason), C(cause) and C(remedy) explain every status other than V(moved), V(would_move) and
      V(already_onprem); C(error_record) is the PowerShell error behind it.
  returned: when the users were read
  type: list
  elements: dict
  sample:
    - user: ann@contoso.com
      identity: ann@contoso.com
      status: moved
      registrar_pool_before: null
      registrar_pool: pool01.contoso.local
      hosting_provider: "SRV:"
      reason: null
      cause: null
      remedy: null
      attempts: 1
      error_record: null
    - user: eve@contoso.com
      identity: sip:eve@contoso.com
      status: not_synced
      registrar_pool_before: null
      registrar_pool: null
      hosting_provider: sipfed.online.lync.com
      reason: not_synced
      cause: The tenant has no online user matching this on-premises user.
      remedy: Check that Azure AD Connect synchronises the user's account and its msRTCSIP-* attributes.
      attempts: 1
      error_record: {message: "...", fqid: "UserNotSynchronized,..."}
totals:
  description: How many users ended in each status, and C(total).
  returned: when the users were read
  type: dict
  sample: {moved: 47, already_onprem: 1, not_found: 1, not_synced: 1, failed: 0, skipped: 0, total: 50}
retry:
  description: The users not moved (nor already on the target), to fix and run again.
  returned: when the users were read
  type: list
  elements: str
  sample: [eve@contoso.com]
target_pool:
  description: The target pool as the topology names it.
  returned: when the users were read
  type: str
  sample: pool01.contoso.local
commands:
  description: WinRM commands the task sent (one for the reads, one per batch, one per retry round).
  returned: always
  type: int
  sample: 2
reason:
  description: Machine-readable cause when the whole task failed, for example V(target_not_a_registrar).
  returned: failure of the whole task
  type: str
  sample: target_not_a_pool
"""
