# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_hosting_provider
short_description: Ensure the on-premises hosting provider for Microsoft 365 (hybrid federation)
version_added: 0.1.0
description:
  - Ensures the hosting provider that Microsoft's "Configure Skype for Business hybrid" procedure creates
    exists with the documented values (C(Enabled), C(EnabledSharedAddressSpace), C(HostsOCSUsers),
    C(VerificationLevel=UseSourceVerification), C(IsLocal=false), C(ProxyFqdn) and C(AutodiscoverUrl) of the
    chosen O(cloud)), or is absent.
  - Changes only what differs, with C(Set-CsHostingProvider). C(Set-CsHostingProvider) cannot change
    C(ProxyFqdn), so a provider pointing elsewhere is removed and created again, and only when O(replace=true);
    otherwise the task fails and changes nothing. The diff marks such a change as a replacement.
  - This is a global setting of the central management store; run it once per deployment (C(run_once)).
  - One WinRM command per task (read, create or change, read back); a replacement or a removal reads first and
    changes in a second command.
options:
  state:
    description: Whether the hosting provider should exist.
    type: str
    choices: [present, absent]
    default: present
  identity:
    description: The provider's identity (Microsoft's procedure uses V(Office365)).
    type: str
    default: Office365
  cloud:
    description:
      - The Microsoft cloud of the tenant; it gives C(ProxyFqdn) and C(AutodiscoverUrl).
      - V(commercial) and V(gcc) use C(sipfed.online.lync.com); V(gcc_high) C(sipfed.online.gov.skypeforbusiness.us);
        V(dod) C(sipfed.online.dod.skypeforbusiness.us); V(21vianet) (Microsoft 365 operated by 21Vianet)
        C(sipfed.online.partner.lync.cn). C(AutodiscoverUrl) is
        C(https://webdir.<cloud's domain>/Autodiscover/AutodiscoverService.svc/root).
    type: str
    choices: [commercial, gcc, gcc_high, dod, 21vianet]
    default: commercial
  replace:
    description:
      - Allow removing and re-creating the provider when its C(ProxyFqdn) differs (the only way to change it).
        Federation with the cloud is interrupted between the removal and the creation.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
attributes:
  check_mode:
    support: full
    details: Only the reads run; C(changed) and the diff show what would change.
  diff_mode:
    support: full
notes:
  - Needs the Lync or SkypeForBusiness management shell on the host and an account in RTCUniversalServerAdmins.
  - The sovereign clouds' C(AutodiscoverUrl) follows the commercial URL's form on each cloud's C(webdir) host.
seealso:
  - module: lync.hybrid.cs_access_edge
  - module: lync.hybrid.cs_tenant_federation
  - name: Configure Skype for Business hybrid
    description: Microsoft's procedure (hosting provider, Access Edge, shared SIP address space).
    link: https://learn.microsoft.com/skypeforbusiness/hybrid/configure-federation-with-skype-for-business-online
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Ensure the hosting provider for Microsoft 365
  lync.hybrid.cs_hosting_provider:
  run_once: true

- name: GCC High tenant; replace a provider that points at the commercial cloud
  lync.hybrid.cs_hosting_provider:
    cloud: gcc_high
    replace: true
  run_once: true
"""

RETURN = r"""
hosting_provider:
  description: The provider after the task (as it would be, in check mode); V(null) when absent.
  returned: success, and failures after the provider was read
  type: dict
  sample:
    Identity: Office365
    ProxyFqdn: sipfed.online.lync.com
    Enabled: true
    EnabledSharedAddressSpace: true
    HostsOCSUsers: true
    VerificationLevel: UseSourceVerification
    IsLocal: false
    AutodiscoverUrl: https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root
hosting_provider_before:
  description: The provider as the task found it; V(null) when it did not exist.
  returned: success
  type: dict
hosting_providers_before:
  description: Every hosting provider the deployment had before the task.
  returned: when the providers were read
  type: list
  elements: dict
changed_properties:
  description: Properties that were (or would be) changed.
  returned: success
  type: list
  elements: str
  sample: [AutodiscoverUrl]
replaced:
  description: Whether the provider was (or would be) removed and created again because its ProxyFqdn differed.
  returned: success
  type: bool
cloud:
  description: The cloud whose endpoints were used.
  returned: when the providers were read
  type: str
  sample: commercial
reason:
  description: Machine-readable cause of a failure, for example V(replace_required) or V(proxy_fqdn_in_use).
  returned: failure
  type: str
  sample: replace_required
error_record:
  description: The PowerShell error record behind a failure.
  returned: failure, when a cmdlet failed
  type: dict
"""
