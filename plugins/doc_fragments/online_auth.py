# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that open a remote PowerShell session to the tenant."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  connector:
    description:
      - The PowerShell module used to reach the tenant from the Lync server.
      - V(microsoft_teams) is the MicrosoftTeams module, the only one Microsoft still supports (6.2.1 or later
        for C(Move-CsUser)).
      - V(skype_online_connector) and V(lync_online_connector) are the retired legacy connectors
        (C(New-CsOnlineSession)); they only work with a user name and password, run only when named here,
        and every run with one returns a warning that it is retired.
      - V(auto) uses V(microsoft_teams) only, and fails with reason C(connector_missing) when MicrosoftTeams is
        not installed, even if a legacy connector is.
    type: str
    choices: [auto, microsoft_teams, skype_online_connector, lync_online_connector]
    default: auto
  cloud:
    description:
      - The Microsoft cloud of the tenant. V(commercial) and V(gcc) connect without an environment name;
        V(gcc_high), V(dod) and V(21vianet) pass C(-TeamsEnvironmentName) C(TeamsGCCH), C(TeamsDOD) and
        C(TeamsChina) to C(Connect-MicrosoftTeams), as its reference page lists them.
      - Microsoft documents C(-TeamsEnvironmentName) with credential logons only, so V(gcc_high), V(dod) and
        V(21vianet) need O(username) and O(password) and the MicrosoftTeams connector; a certificate logon is
        refused before anything is sent.
    type: str
    choices: [commercial, gcc, gcc_high, dod, 21vianet]
    default: commercial
  username:
    description:
      - User principal name of a tenant administrator (Teams administrator role), for example
        C(admin@contoso.onmicrosoft.com).
      - Credential authentication fails for accounts that require multi-factor authentication; use
        O(certificate_thumbprint) instead.
      - Mutually exclusive with O(certificate_thumbprint); requires O(password).
    type: str
  password:
    description:
      - Password of O(username). It is sent to the host on standard input only, never on a command line,
        and is masked in results.
    type: str
  certificate_thumbprint:
    description:
      - Thumbprint (40 hexadecimal digits; spaces are ignored) of a certificate with private key, registered on
        an Azure AD application (app-only authentication). The host looks it up in C(Cert:\LocalMachine\My),
        then in C(Cert:\CurrentUser\My) of the connecting account; the connecting account must be able to read
        the private key. MicrosoftTeams 4.9.2 and later receive the certificate itself (C(-Certificate)); older
        versions look the thumbprint up in C(Cert:\CurrentUser\My) only.
      - Requires O(application_id) and O(tenant_id), and O(connector=microsoft_teams) or O(connector=auto).
    type: str
  application_id:
    description:
      - Application (client) ID of the Azure AD application used with O(certificate_thumbprint).
    type: str
  tenant_id:
    description:
      - Tenant ID (GUID) or initial domain used with O(certificate_thumbprint).
    type: str
  override_admin_domain:
    description:
      - Legacy connectors only. The tenant's initial domain (C(contoso.onmicrosoft.com)) passed as
        C(-OverrideAdminDomain), needed when C(lyncdiscover) DNS records point at the on-premises deployment,
        which is the normal state of a hybrid deployment.
    type: str
  retries:
    description:
      - How many times to retry opening the session when the tenant refuses it because the account already
        has the maximum number of concurrent sessions (three per admin) or throttles the request.
      - Each retry is one more command on the host; sessions that were opened are always closed.
    type: int
    default: 3
  delay:
    description:
      - Seconds to wait before the first retry; the wait doubles on each further retry, capped at 300 seconds.
    type: int
    default: 30
notes:
  - Every task opens at most one tenant session and closes it before it returns, also when it fails.
"""
