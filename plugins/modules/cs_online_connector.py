# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This is a documentation-only module: the work is done by the action plugin of the same name.

DOCUMENTATION = r"""
module: cs_online_connector
short_description: Install or remove the PowerShell module that connects a Lync server to the tenant
version_added: 0.1.0
description:
  - Makes sure the online connector module (C(MicrosoftTeams), or one of the retired C(SkypeOnlineConnector) and
    C(LyncOnlineConnector)) is installed on the Lync server, so that the modules that talk to the tenant
    (for example M(lync.hybrid.cs_tenant_federation)) can use it.
  - It first lists what PowerShell can load (C(Get-Module -ListAvailable -Name <module>), with the version and folder of
    every copy) and checks the source, in one command. It installs or removes only when that differs from the
    options, in a second command that also reads the module back. A task with nothing to do costs one command.
  - Versions are compared as versions (4.10.0 is newer than 4.9.2; 4.9 equals 4.9.0).
options:
  name:
    description:
      - The connector. V(microsoft_teams) is the C(MicrosoftTeams) module (6.2.1 or later by default), the only one
        Microsoft still supports.
      - V(skype_online_connector) (C(SkypeOnlineConnector)) and V(lync_online_connector) (C(LyncOnlineConnector))
        are the legacy connectors. Skype for Business Online was retired on 2021-07-31 and C(New-CsOnlineSession)
        no longer connects; with O(state=present) the task succeeds but returns a warning.
    type: str
    choices: [microsoft_teams, skype_online_connector, lync_online_connector]
    default: microsoft_teams
  version:
    description:
      - The exact version that must be installed (two to four numbers, for example V(6.1.0)). Other installed
        versions are left alone (PowerShell keeps versions side by side).
      - With O(state=absent), remove only this version.
      - Prerelease versions are not supported. For V(microsoft_teams) it must be 4.0.0 or later; C(Move-CsUser)
        needs 6.2.1 or later.
      - Mutually exclusive with O(minimum_version) and O(maximum_version).
    type: str
  minimum_version:
    description:
      - Any installed version at least this one is enough; otherwise the newest version the source offers is
        installed (a repository gets C(-MinimumVersion), a folder gives its newest version that qualifies).
      - Without O(version) and O(minimum_version), for V(microsoft_teams) the minimum is 6.2.1, the version
        Microsoft's C(Move-CsUser) page names as a prerequisite for moving users; for the legacy connectors any
        installed version is enough.
      - Only with O(state=present).
    type: str
  maximum_version:
    description:
      - The highest acceptable version, inclusive. Installed versions above it do not count, and a repository
        install gets C(-MaximumVersion).
      - Useful to hold MicrosoftTeams back while Microsoft advises against newer releases for C(Move-CsUser); a
        revision of the C(Move-CsUser) page proposed in MicrosoftDocs/office-docs-powershell (pull requests 13244
        and 13690) warns against versions above 7.1 until a fixed cumulative update ships, which is
        V(maximum_version=7.1.0). There is no default, because the merged page does not (yet) say so.
      - Only with O(state=present); mutually exclusive with O(version); must not be below the minimum.
    type: str
  source:
    description:
      - Where to install the module from, used only when an install is needed (so it may be omitted on hosts
        that already have a suitable version; the task fails clearly if an install is needed and it is missing).
      - The path of the connector's MSI, local or UNC (legacy connectors only), for example
        C(C:\Install\SkypeOnlinePowerShell.msi).
      - The name of a PowerShell repository registered on the host (V(microsoft_teams) only), for example
        V(PSGallery) or an internal NuGet feed registered with C(Register-PSRepository).
      - A folder written by C(Save-Module -Name MicrosoftTeams -Path <folder>), that is a folder that holds
        C(<module>\<version>\<module>.psd1) (the module folder or the version folder itself also work).
      - UNC paths are read by the connecting account on the host; over WinRM that is a second hop, which needs
        CredSSP or Kerberos delegation. Copying the source to the host first avoids it. C(become) does not apply,
        lync.hybrid modules run as raw PowerShell commands, not through Ansible's module wrapper.
      - With O(state=absent) it is not needed; when given, it is still checked like for O(state=present).
    type: str
  source_type:
    description:
      - What O(source) is.
      - V(auto) reads a value that ends with C(.msi) as an MSI, a value with a C(\), a C(/) or a drive letter
        as a folder, and anything else as a repository name.
      - V(msi) runs C(msiexec.exe /i <source> /qn /norestart) and checks its exit code (0 is success, 3010 is
        success that needs a reboot, see RV(reboot_required)).
      - V(repository) runs C(Install-Module -Name <module> -Repository <source> -Scope AllUsers -Force
        -AllowClobber), with C(-RequiredVersion) or C(-MinimumVersion) when O(version) or O(minimum_version) is set.
        The repository is checked with C(Get-PSRepository) before anything is installed, also in check mode.
      - V(folder) copies the version folder to C(<ProgramFiles>\WindowsPowerShell\Modules\<module>\<version>).
      - V(msi) is refused for V(microsoft_teams), V(repository) for the legacy connectors (neither is distributed
        that way).
    type: str
    choices: [auto, msi, repository, folder]
    default: auto
  state:
    description:
      - V(present) installs the module unless a version that satisfies O(version) or O(minimum_version) is
        installed.
      - V(absent) removes every installed version (or only O(version)). How each copy is removed depends on how
        it was installed, as detected on the host. A copy installed by PowerShellGet (listed by
        C(Get-InstalledModule)) is removed with C(Uninstall-Module -RequiredVersion).
        A legacy connector installed by its MSI (found in the uninstall registry key) is removed with
        C(Uninstall-Package -ProviderName msi). Any other copy is a copied folder and is deleted with
        C(Remove-Item); the task refuses to delete a folder that is not named after the module or its version.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lync.hybrid.attributes
attributes:
  check_mode:
    support: full
    details: Only the detection runs (including the checks of the source); C(changed) and the diff show what
      would be installed or removed. The other return values describe the host as found.
  diff_mode:
    support: full
    details: The installed versions before and after. A version that is not known before the install (the newest
      in a repository) appears as a description, for example C((newest in PSGallery)).
notes:
  - Every MicrosoftTeams release since 1.1.4 needs Windows PowerShell 5.1 and .NET Framework 4.7.2 or later; the
    detection reads the .NET Framework release (registry), and on a host without both the task refuses to install
    any MicrosoftTeams version before it changes anything (a copied module would not load).
  - Installing needs an account that may write to the machine-wide module folders (local Administrators).
  - An MSI adds its folder to the machine PSModulePath, which the PowerShell that ran msiexec does not see; if the
    read-back misses the module, one more command (a new PowerShell process) looks again.
  - The connector is installed per server, so run the task on every Lync server that runs tenant tasks.
seealso:
  - module: lync.hybrid.cs_tenant_federation
  - name: Install the Microsoft Teams PowerShell module
    description: Microsoft's installation instructions, including offline installation.
    link: https://learn.microsoft.com/microsoftteams/teams-powershell-install
author:
  - Lync Hybrid Maintainers (@lync-hybrid)
"""

EXAMPLES = r"""
- name: Install MicrosoftTeams 6.1.0 from the PowerShell Gallery
  lync.hybrid.cs_online_connector:
    name: microsoft_teams
    version: 6.1.0
    source: PSGallery

- name: Install at least MicrosoftTeams 4.9.2 from an internal feed, if no such version is installed
  lync.hybrid.cs_online_connector:
    minimum_version: 4.9.2
    source: InternalPSRepo

- name: Install MicrosoftTeams from a folder written by Save-Module (offline servers)
  lync.hybrid.cs_online_connector:
    version: 6.1.0
    source: D:\Install\Modules
  register: connector

- name: Reboot when the installer asked for it
  ansible.windows.win_reboot:
  when: connector.reboot_required

- name: Install the legacy Skype for Business Online connector from its MSI
  lync.hybrid.cs_online_connector:
    name: skype_online_connector
    source: C:\Install\SkypeOnlinePowerShell.msi

- name: Remove the legacy connector once MicrosoftTeams is in use
  lync.hybrid.cs_online_connector:
    name: skype_online_connector
    state: absent
"""

RETURN = r"""
name:
  description: The connector (O(name)).
  returned: success
  type: str
  sample: microsoft_teams
module:
  description: The PowerShell module name of the connector.
  returned: success
  type: str
  sample: MicrosoftTeams
installed:
  description: Whether at least one version of the module is installed after the task.
  returned: success
  type: bool
  sample: true
version:
  description: The newest installed version, which C(Import-Module) loads; V(null) when none is installed.
  returned: success
  type: str
  sample: 6.1.0
versions:
  description: Every installed version, newest first.
  returned: success
  type: list
  elements: str
  sample: [6.1.0, 5.8.0]
path:
  description: The folder (C(ModuleBase)) of the newest installed version.
  returned: success
  type: str
  sample: C:\Program Files\WindowsPowerShell\Modules\MicrosoftTeams\6.1.0
source_type:
  description: The kind of O(source) (V(msi), V(repository) or V(folder)) as given or inferred; V(null) without
    O(source).
  returned: success
  type: str
  sample: repository
reboot_required:
  description: Whether the installer asked for a reboot (msiexec exit code 3010, or 1641 when it started one).
  returned: success
  type: bool
  sample: false
removed:
  description: With O(state=absent), the copies removed (or, in check mode, that would be removed) and how.
  returned: success, with state=absent
  type: list
  elements: dict
  sample:
    - version: 7.0.0.0
      path: C:\Program Files\Common Files\Skype for Business Online\Modules\SkypeOnlineConnector
      method: msi
reason:
  description: Machine-readable cause of a failure, for example V(source_not_found), V(repository_unknown),
    V(module_not_in_repository), V(powershell_too_old), V(msi_busy) or V(not_installed).
  returned: failure
  type: str
  sample: repository_unknown
error_record:
  description: The PowerShell error record behind a failure.
  returned: failure, when a cmdlet failed
  type: dict
  sample:
    message: "No match was found for the specified search criteria and module name 'MicrosoftTeams'."
    fqid: "NoMatchFoundForCriteria,Microsoft.PowerShell.PackageManagement.Cmdlets.InstallPackage"
    category: ObjectNotFound
"""
