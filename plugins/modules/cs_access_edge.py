# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_access_edge
short_description: Ensure the Access Edge configuration allows federation as hybrid needs
version_added: 0.1.0
description:
  - Reads the global Access Edge configuration (C(Get-CsAccessEdgeConfiguration -Identity Global)) and sets
    only what differs (C(Set-CsAccessEdgeConfiguration)), in one WinRM command; the host skips the Set when
    nothing differs.
  - The defaults are Microsoft's hybrid values (C(-AllowOutsideUsers 1 -AllowFederatedUsers 1
    -EnablePartnerDiscovery 1 -UseDnsSrvRouting)).
  - This is a global setting of the central management store; run it once per deployment (C(run_once)).
options:
  allow_federated_users:
    description: Desired C(AllowFederatedUsers).
    type: bool
    default: true
  allow_outside_users:
    description: Desired C(AllowOutsideUsers).
    type: bool
    default: true
  enable_partner_discovery:
    description:
      - Desired C(EnablePartnerDiscovery); only with O(routing=dns_srv) (V(true) when omitted there).
    type: bool
  routing:
    description:
      - V(dns_srv) (C(-UseDnsSrvRouting)), which hybrid needs, or V(default_route) (C(-UseDefaultRouting)
        to O(default_route_fqdn)). Hosting providers cannot be used with a default route.
    type: str
    choices: [dns_srv, default_route]
    default: dns_srv
  default_route_fqdn:
    description: The next hop of a default route; required with O(routing=default_route), refused otherwise.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
attributes:
  check_mode:
    support: full
    details: Only the Get runs; C(changed) and the diff show what would change.
  diff_mode:
    support: full
seealso:
  - module: lync.hybrid.cs_hosting_provider
  - name: Configure Skype for Business hybrid
    description: Microsoft's procedure (hosting provider, Access Edge, shared SIP address space).
    link: https://learn.microsoft.com/skypeforbusiness/hybrid/configure-federation-with-skype-for-business-online
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Allow federation with DNS SRV routing, as hybrid needs
  lync.hybrid.cs_access_edge:
  run_once: true
"""

RETURN = r"""
access_edge:
  description: The Access Edge configuration after the task (as it would be, in check mode).
  returned: success
  type: dict
  sample:
    Identity: Global
    AllowFederatedUsers: true
    AllowOutsideUsers: true
    EnablePartnerDiscovery: true
    RoutingMethod: UseDnsSrvRouting
access_edge_before:
  description: The configuration as the task found it.
  returned: success
  type: dict
changed_properties:
  description: Properties that were (or would be) changed; C(RoutingMethod) for a routing change.
  returned: success
  type: list
  elements: str
  sample: [AllowFederatedUsers]
reason:
  description: Machine-readable cause of a failure, for example V(default_route_refused).
  returned: failure
  type: str
error_record:
  description: The PowerShell error record behind a failure.
  returned: failure, when a cmdlet failed
  type: dict
"""
