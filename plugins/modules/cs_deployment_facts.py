# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_deployment_facts
short_description: Gather facts and hybrid readiness checks of an on-premises Lync / Skype for Business deployment
version_added: 0.1.0
description:
  - Reads, on a Lync Server 2013 or Skype for Business Server 2015/2019 server, what a move of users from the
    tenant back to on-premises depends on, and returns it as the fact C(cs_deployment).
  - Release and license (C(Get-CsServerVersion)), the management module the runner imported (C(SkypeForBusiness) or
    C(Lync)), the full build of Core Components (C(Get-CsServerPatchVersion) where it exists, else the
    product's C(Core Components) entry in the uninstall registry, which is how Lync Server 2013 is read), the
    topology and pools, the Windows services of this server, the central management store and its replication,
    SIP domains, hosting providers, the access edge configuration, the installed online connector modules, the
    PowerShell version and the operating system.
  - Also returns C(checks), one entry per readiness rule with a remedy naming the documented command, and
    C(failed_checks), so a role can report every problem at once. Failed checks never fail the task; an unpublished
    topology, for example, is the failed check V(topology_published).
  - Everything is read in one command on the host. No tenant session is opened and nothing is changed.
  - The task fails only when this host is not a Lync / Skype for Business server (neither the C(SkypeForBusiness)
    nor the C(Lync) management module is installed, reason V(onprem_module_missing)), when the management module
    does not load for the connecting account (V(onprem_module_failed)), or when PowerShell itself fails.
options:
  gather_subset:
    description:
      - Which parts to read, to skip costly ones. Parts that are not read are not sent to the host at all;
        their facts are V(null) and their checks are left out of C(checks).
      - V(all) reads everything. V(topology) reads the topology, pools and SIP domains (C(Get-CsTopology),
        C(Get-CsPool), C(Get-CsSipDomain)); V(services) the Windows services (C(Get-CsWindowsService));
        V(cms) the central management store location and replication status; V(federation) the hosting
        providers and access edge configuration; V(connectors) the installed online connector modules; V(build)
        the full build (C(Get-CsServerPatchVersion) and the uninstall registry).
      - Prefix a name with C(!) to leave it out, for example V([all, "!cms"]) or just V(["!cms"]); when only
        exclusions are given, everything else is read. V(!all) reads only the minimal facts (release, license,
        management module, PowerShell, operating system), which are always read.
      - As with M(ansible.builtin.setup), a name given explicitly is read even when excluded, so
        V(["!all", services]) reads the minimal facts and the services.
    type: list
    elements: str
    default: [all]
  cloud:
    description:
      - The Microsoft cloud of the tenant; the V(hosting_provider) check expects that cloud's ProxyFqdn
        (C(sipfed.online.lync.com) for V(commercial) and V(gcc), C(sipfed.online.gov.skypeforbusiness.us) for
        V(gcc_high), C(sipfed.online.dod.skypeforbusiness.us) for V(dod), C(sipfed.online.partner.lync.cn) for
        V(21vianet)), as M(lync.hybrid.cs_hosting_provider) sets it.
    type: str
    choices: [commercial, gcc, gcc_high, dod, 21vianet]
    default: commercial
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
  facts:
    support: full
notes:
  - Run it on a Front End server as a member of RTCUniversalServerAdmins (or with the same rights); the
    Windows service facts and the build describe the server the task runs on.
  - Every read may fail on its own (for example C(Get-CsServerPatchVersion) on Lync Server 2013, or the central
    management store on an Edge server); failures are listed in C(errors) and make the related check fail.
  - The minimum builds are those Microsoft requires for moving users between on-premises and the cloud since
    2022-07-31 (Move-CsUser documentation) - Lync Server 2013 5.0.8308.1182 (CU10 with Hotfix 7),
    Skype for Business Server 2015 6.0.9319.619 (CU12), Skype for Business Server 2019 7.0.2046.385 (CU6).
seealso:
  - module: lync.hybrid.cs_tenant_federation
  - module: ansible.builtin.setup
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Gather deployment facts
  lync.hybrid.cs_deployment_facts:

- name: Fail with every readiness problem at once
  ansible.builtin.assert:
    that: ansible_facts.cs_deployment.failed_checks | length == 0
    fail_msg: >-
      {{ ansible_facts.cs_deployment.checks | rejectattr('passed')
         | map(attribute='detail') | join(' ') }}
    quiet: true

- name: Read only the build and the federation settings
  lync.hybrid.cs_deployment_facts:
    gather_subset: [build, federation]

- name: Everything except the (slow) central management store replication status
  lync.hybrid.cs_deployment_facts:
    gather_subset: ["!cms"]

- name: Show the remedies of the failed checks
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.remedy }}"
  loop: "{{ ansible_facts.cs_deployment.checks | rejectattr('passed') }}"
  loop_control:
    label: "{{ item.id }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to the host's facts.
  returned: success
  type: complex
  contains:
    cs_deployment:
      description:
        - The deployment as seen from this server. Keys are always present; parts that were not gathered
          (O(gather_subset)) or could not be read are V(null).
      returned: success
      type: complex
      contains:
        gather_subset:
          description: The parts that were read, after applying O(gather_subset).
          type: list
          elements: str
          sample: [topology, services, cms, federation, connectors, build]
        product:
          description: The server release, from C(Get-CsServerVersion) (else from the build or module version).
          type: str
          sample: Skype for Business Server 2019
        product_key:
          description: Short form of RV(ansible_facts.cs_deployment.product) for conditions.
          type: str
          choices: [lync2010, lync2013, sfb2015, sfb2019]
          sample: sfb2019
        server_version:
          description: The text C(Get-CsServerVersion) returned.
          type: str
          sample: "Skype for Business Server 2019 (7.0.2046.0): Volume license key installed."
        base_version:
          description: The base version in that text (C(Get-CsServerVersion) never shows cumulative updates).
          type: str
          sample: 7.0.2046.0
        license:
          description: The license the text reports.
          type: str
          choices: [volume, evaluation, not_required, unknown]
          sample: volume
        edition:
          description:
            - V(Standard) when this server's Front End pool (else the first Registrar pool) is the server itself
              (pool FQDN = its only computer), else V(Enterprise). Needs the V(topology) subset.
          type: str
          sample: Enterprise
        management_module:
          description: The on-premises management module the runner imported.
          type: dict
          sample: {name: SkypeForBusiness, version: 7.0.0.0}
        fqdn:
          description: This server's fully qualified name (C(Win32_ComputerSystem)).
          type: str
          sample: fe01.contoso.com
        build:
          description: The full build of the product's Core Components.
          type: str
          sample: 7.0.2046.385
        build_source:
          description: Where the build was read.
          type: str
          choices: [Get-CsServerPatchVersion, uninstall_registry]
          sample: Get-CsServerPatchVersion
        build_minimum:
          description: The build Microsoft requires for moving users (V(null) for an unknown release).
          type: str
          sample: 7.0.2046.385
        build_minimum_update:
          description: The update that brings that build.
          type: str
          sample: Cumulative Update 6
        build_meets_minimum:
          description: Whether RV(ansible_facts.cs_deployment.build) is at least the minimum, compared as versions.
          type: bool
          sample: true
        components:
          description: The components and versions C(Get-CsServerPatchVersion) lists (V(null) on Lync Server 2013).
          type: list
          elements: dict
          sample:
            - {name: "Skype for Business Server 2019, Core Components", version: 7.0.2046.385}
            - {name: "Skype for Business Server 2019, Front End Server", version: 7.0.2046.385}
        topology_published:
          description: Whether a topology is published (C(Get-CsTopology) returns at least one site).
          type: bool
          sample: true
        pools:
          description: The pools of the topology (C(Get-CsPool)).
          type: list
          elements: dict
          sample:
            - fqdn: pool01.contoso.com
              identity: pool01.contoso.com
              site: "Site:Redmond"
              services:
                - Registrar:pool01.contoso.com
                - UserServer:pool01.contoso.com
                - WebServer:pool01.contoso.com
              computers: [fe01.contoso.com, fe02.contoso.com]
              registrar: true
        local_pool:
          description: The pool this server belongs to.
          type: str
          sample: pool01.contoso.com
        sip_domains:
          description: The SIP domains (C(Get-CsSipDomain)).
          type: list
          elements: dict
          sample: [{name: contoso.com, is_default: true}]
        sites:
          description:
            - The topology's sites (C(Get-CsSite)) with the Edge pool each federates through (C(FederationRoute),
              C(EdgeServer:<pool>)); V(null) when the topology was not gathered or C(Get-CsSite) failed.
          type: list
          elements: dict
          sample:
            - identity: "Site:Dublin"
              federation_route: "EdgeServer:edge.contoso.com"
              federation_pool: edge.contoso.com
        federated_edge_pools:
          description:
            - The distinct Edge pools the sites federate through. C(Move-CsUser) fails when there is more than one
              (check V(edge_federation)).
          type: list
          elements: str
          sample: [edge.contoso.com]
        mfa_moves_supported:
          description:
            - Whether C(Move-CsUser) on this release can move users with a tenant admin that must use multi-factor
              authentication at all (Skype for Business Server 2015 CU12 or later, any 2019; then interactively,
              without C(-Credential)). V(false) on Lync Server 2013 and 2015 before CU12, V(null) when unknown.
            - Over WinRM the collection always passes C(-Credential), so its moves need an admin without MFA anyway.
          type: bool
          sample: true
        windows_services:
          description: The Lync Server services of this server (C(Get-CsWindowsService)).
          type: list
          elements: dict
          sample:
            - {name: RTCSRV, display_name: Skype for Business Server Front-End, status: Running, activity_level: ""}
        cms:
          description: The central management store.
          type: dict
          contains:
            location:
              description: The SQL Server path of the store (C(Get-CsConfigurationStoreLocation)).
              type: str
              sample: sql01.contoso.com\rtc
            replication:
              description: Replication status per replica (C(Get-CsManagementStoreReplicationStatus)).
              type: list
              elements: dict
              sample:
                - replica_fqdn: fe01.contoso.com
                  up_to_date: true
                  last_status_report: "2024-05-01T10:00:00.0000000Z"
                  last_update_creation: "2024-05-01T09:59:00.0000000Z"
                  product_version: 7.0.2046.385
        hosting_providers:
          description: The hosting providers (C(Get-CsHostingProvider)).
          type: list
          elements: dict
          sample:
            - identity: Office365
              name: Office365
              proxy_fqdn: sipfed.online.lync.com
              enabled: true
              enabled_shared_address_space: true
              hosts_ocs_users: true
              verification_level: UseSourceVerification
              is_local: false
              autodiscover_url: https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root
        access_edge:
          description: The access edge configuration (C(Get-CsAccessEdgeConfiguration)).
          type: dict
          sample:
            identity: Global
            allow_outside_users: true
            allow_federated_users: true
            allow_anonymous_users: true
            enable_partner_discovery: true
            routing_method: UseDnsSrvRouting
            use_dns_srv_routing: true
            default_route_fqdn: null
        online_connectors:
          description: Installed online connector modules (MicrosoftTeams, SkypeOnlineConnector, LyncOnlineConnector).
          type: list
          elements: dict
          sample:
            - name: MicrosoftTeams
              version: 6.1.0
              path: C:\Program Files\WindowsPowerShell\Modules\MicrosoftTeams\6.1.0
        powershell_version:
          description: The Windows PowerShell version on the host.
          type: str
          sample: 5.1.17763.1
        dotnet_release:
          description:
            - The C(Release) value of C(HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full), the installed
              .NET Framework 4.x (461808 is 4.7.2, 528040 and later 4.8); V(0) when no .NET Framework 4.5 or later is
              installed, null when it could not be read (see RV(ansible_facts.cs_deployment.errors)).
          type: int
          sample: 528049
        strong_crypto:
          description:
            - The .NET Framework 4.x TLS settings in both registry views, C(native)
              (C(HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319)) and C(wow6432) (its C(WOW6432Node) twin);
              each a dict of C(sch_use_strong_crypto) and C(system_default_tls_versions) (null when not set), or
              null when the key could not be read.
            - C(enabled) is true when each view has either value set to 1 (.NET then offers TLS 1.2, which
              Move-CsUser requires), null when a view could not be read.
          type: dict
          sample:
            native: {sch_use_strong_crypto: 1, system_default_tls_versions: 1}
            wow6432: {sch_use_strong_crypto: null, system_default_tls_versions: null}
            enabled: false
        os:
          description: The operating system (C(Win32_OperatingSystem)).
          type: dict
          sample:
            caption: Microsoft Windows Server 2019 Standard
            version: 10.0.17763
            build_number: "17763"
            architecture: 64-bit
        errors:
          description: The reads that failed, with their error records; related checks fail.
          type: list
          elements: dict
          sample:
            - step: patch_version
              cmdlet: Get-CsServerPatchVersion
              message: "The term 'Get-CsServerPatchVersion' is not recognized as the name of a cmdlet, ..."
              fqid: CommandNotFoundException
              category: ObjectNotFound
        checks:
          description:
            - The readiness checks, always in this order (checks of parts not gathered are left out) -
              V(management_module), V(build_minimum) (on Lync Server 2013 and Skype for Business Server 2015 before
              CU12 its detail adds that moves cannot use a tenant admin with MFA), V(topology_published),
              V(pools_present), V(edge_federation) (at most one Edge pool federated, as Move-CsUser requires),
              V(services_running), V(cms_replication), V(hosting_provider) (the ProxyFqdn of O(cloud) with Enabled,
              EnabledSharedAddressSpace, HostsOCSUsers, VerificationLevel C(UseSourceVerification), IsLocal false
              and the cloud's AutodiscoverUrl, without which every Move-CsUser needs C(-HostedMigrationOverrideUrl)),
              V(access_edge) (outside and federated users, partner discovery, DNS SRV routing),
              V(online_connector) (MicrosoftTeams 6.2.1 or later, which Move-CsUser needs; legacy connectors are
              named as retired),
              V(powershell_version) (Windows PowerShell 5.1 and .NET Framework 4.7.2, needed by every
              MicrosoftTeams release since 1.1.4),
              V(strong_crypto) (SchUseStrongCrypto or SystemDefaultTlsVersions set to 1 in both registry views, so
              that .NET offers TLS 1.2, which Move-CsUser requires).
            - C(remedy) is empty for a passed check.
          type: list
          elements: dict
          sample:
            - id: hosting_provider
              passed: false
              detail: >-
                Hosting provider Office365 (sipfed.online.lync.com) differs from the documented
                configuration: EnabledSharedAddressSpace=False.
              remedy: "Set-CsHostingProvider -Identity Office365 -EnabledSharedAddressSpace $true"
        cloud:
          description: The cloud the V(hosting_provider) check compared with (O(cloud)).
          type: str
          sample: commercial
        hosting_provider_identity:
          description:
            - Identity of the hosting provider whose ProxyFqdn is the one of O(cloud), the one
              M(lync.hybrid.cs_hosting_provider) should manage; null when none is (or the providers were not read).
          type: str
          sample: Office365
        failed_checks:
          description: The ids of the failed checks, in the order of C(checks).
          type: list
          elements: str
          sample: [hosting_provider, online_connector]
cs_deployment:
  description: On failure, what is known about the host without the management module.
  returned: failure, when the host is not a Lync / Skype for Business server
  type: dict
  sample: {powershell_version: 5.1.17763.1, management_module: null}
reason:
  description: Machine-readable cause of a failure, for example V(onprem_module_missing).
  returned: failure
  type: str
  sample: onprem_module_missing
error_record:
  description: The PowerShell error record behind a failure.
  returned: failure, when the host reported one
  type: dict
  sample:
    message: No on-premises management module found.
    fqid: LyncHybrid.OnPremModuleMissing
    category: ObjectNotFound
"""
