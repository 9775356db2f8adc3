"""Online connectors: opening, importing and closing tenant sessions, and what the tenant counts.

Legacy connectors (LyncOnlineConnector, SkypeOnlineConnector, MicrosoftTeams before 2.0)
export ``New-CsOnlineSession``, which returns a PSSession; ``Import-PSSession`` then makes
the tenant cmdlets available as proxies, under the prefix only, and only those listed in
``-CommandName``. The MicrosoftTeams module exports the tenant cmdlets itself; they fail
until ``Connect-MicrosoftTeams`` succeeded in the same process.

The tenant counts open sessions per admin (``tenant.admins[].open_sessions``, or
``app_registrations[].open_sessions`` for certificate logons). A legacy session that a
process never removed keeps counting after the process ends, as an abandoned remote
shell does on the real service, so a runner that forgets to close shows up in the state.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

from ..values import Credential, PSObject, parse_version
from . import tls
from .base import REGISTRY, Bound, Cmdlet, Param, PSError, Resolved, Shell, ps_error
from .signatures import default_set, documented
from .tenant import tenant_cmdlets

TEAMS_CONNECT = "Microsoft.TeamsCmdlets.Powershell.Connect"
SESSION_TYPE = "System.Management.Automation.Runspaces.PSSession"
TRANSPORT = "System.Management.Automation.Remoting.PSRemotingTransportException"
INTERACTIVE = (
    "Showing a modal dialog box or form when the application is not running in UserInteractive mode is not a valid "
    "operation. Specify the ServiceNotification or DefaultDesktopOnly style to display a notification from a "
    "service application."
)
LEGACY_RESOURCE = "00000004-0000-0ff1-ce00-000000000000"
TEAMS_RESOURCE = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"


def _tenant(shell: Shell) -> dict[str, Any]:
    if shell.state.tenant is None:
        raise ps_error("The lab state has no tenant.", "NoTenant", "ObjectNotFound", "System.Exception")
    return shell.state.tenant


def _journal(
    shell: Shell, action: str, connector: str, account: str, holder: dict[str, Any] | None, **extra: Any
) -> None:
    count = holder["open_sessions"] if holder is not None else None
    shell.journal.write(
        "online_session", action=action, connector=connector, account=account, open_sessions=count, **extra
    )


def _connector(shell: Shell, command: str) -> str:
    """The imported module that provides a connect command (for the journal)."""
    for key, (module, version) in reversed(list(shell.imported.items())):
        provider = REGISTRY.modules.get(key)
        if provider is not None and any(e.name.lower() == command.lower() for e in provider(shell, version)):
            return module
    return command


def _aad(code: str, text: str, fqid: str, exception: str = "System.AggregateException") -> PSError:
    trace = uuid.uuid4()
    message = f"One or more errors occurred.: {code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {uuid.uuid4()}"
    return ps_error(message, fqid, "AuthenticationError", exception)


def _refuse(shell: Shell, error: PSError, connector: str, account: str, holder: dict[str, Any] | None) -> PSError:
    _journal(shell, "refused", connector, account, holder, reason=error.record.message.split("\r\n")[0])
    return error


def _max_shells(server: str, fqid: str) -> PSError:
    return ps_error(
        f"[{server}] Connecting to remote server {server} failed with the following error message : The WS-Management "
        "service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. "
        "Close existing shells or raise the quota for this user. For more information, see the "
        "about_Remote_Troubleshooting Help topic.",
        fqid,
        "OpenError",
        TRANSPORT,
        server,
    )


def _admin_server(tenant: dict[str, Any]) -> str:
    region = tenant["identity"].lower().split("dc=lync", 1)[1][:2]
    return f"admin{region}.online.lync.com"


def _check_user(shell: Shell, credential: Credential, resource: str, fqid: str) -> dict[str, Any]:
    tenant = _tenant(shell)
    admin = next((a for a in tenant["admins"] if a["user"].lower() == credential.username.lower()), None)
    if admin is None:
        raise _aad(
            "AADSTS50034",
            f"The user account {credential.username} does not exist in the "
            f"{tenant['domains'][0]} directory. To sign into this application, the account must be added to "
            "the directory.",
            fqid,
        )
    if admin["password"] != credential.password:
        raise _aad("AADSTS50126", "Error validating credentials due to invalid username or password.", fqid)
    if admin["mfa_required"]:
        raise _aad(
            "AADSTS50076",
            "Due to a configuration change made by your administrator, or because you moved to a "
            f"new location, you must use multi-factor authentication to access '{resource}'.",
            fqid,
        )
    return admin


def _busy(shell: Shell) -> bool:
    """faults.online_busy_connects: the first N connects are refused as if the admin had no shell left."""
    if shell.runtime.busy_connects_left > 0:
        shell.runtime.busy_connects_left -= 1
        return True
    return False


# --- legacy: New-CsOnlineSession, Import-PSSession, Remove-PSSession ----------------------------


def new_cs_online_session(shell: Shell, bound: Bound) -> list[Any]:
    tenant = _tenant(shell)
    connector = _connector(shell, "New-CsOnlineSession")
    fqid = "New-CsOnlineSession"
    credential = bound.get("Credential")
    account = credential.username if credential else bound.get("UserName") or ""
    server = _admin_server(tenant)
    admin = None
    try:
        if credential is None:
            raise ps_error(
                INTERACTIVE,
                f"System.InvalidOperationException,{fqid}",
                "AuthenticationError",
                "System.InvalidOperationException",
            )
        if _busy(shell):
            raise _max_shells(server, "-2144108060,PSSessionOpenFailed")
        admin = _check_user(shell, credential, LEGACY_RESOURCE, f"AuthenticationFailed,{fqid}")
        domain = bound.get("OverrideAdminDomain") or credential.username.rsplit("@", 1)[-1]
        known = [d.lower() for d in tenant["domains"]]
        if domain.lower() not in known or (
            tenant["endpoint_discovery_broken"] and not bound.get("OverrideAdminDomain")
        ):
            sip = tenant["sip_domains"][0] if tenant["sip_domains"] else domain
            raise ps_error(
                f"Unable to discover PowerShell endpoint URI for the admin domain '{domain}': the discovery answer did "
                f"not come from Skype for Business Online (in a hybrid deployment lyncdiscover.{sip} points at the "
                "on-premises servers). Use -OverrideAdminDomain with the tenant's initial domain.",
                "System.Net.WebException,Microsoft.Rtc.Management.OnlineConnector.GetPowerShellEndpointCmdlet",
                "NotSpecified",
                "System.Net.WebException",
                domain,
            )
        if admin["open_sessions"] >= tenant["max_sessions_per_admin"]:
            raise _max_shells(server, "-2144108060,PSSessionOpenFailed")
    except PSError as exc:
        raise _refuse(shell, exc, connector, account, admin) from None
    admin["open_sessions"] += 1
    number = next(shell.runtime.sessions)
    session = PSObject(
        {
            "Id": number,
            "Name": f"SfBPowerShellSession{number}",
            "ComputerName": server,
            "ComputerType": "RemoteMachine",
            "State": "Opened",
            "ConfigurationName": "Microsoft.PowerShell",
            "Availability": "Available",
        },
        SESSION_TYPE,
        f"[PSSession]SfBPowerShellSession{number}",
    )
    shell.sessions.append({"session": session, "admin": admin, "connector": connector, "open": True})
    _journal(shell, "open", connector, admin["user"], admin, session=number)
    return [session]


def _record(shell: Shell, session: Any) -> dict[str, Any] | None:
    return next((r for r in shell.sessions if r["session"] is session), None)


def _not_a_session(value: Any, owner: str) -> PSError:
    from ..values import type_name

    return ps_error(
        f'Cannot bind parameter \'Session\'. Cannot convert the "{value}" value of type "{type_name(value)}" to type '
        f'"{SESSION_TYPE}".',
        f"CannotConvertArgumentNoMessage,{owner}",
        "InvalidArgument",
        "System.Management.Automation.ParameterBindingException",
    )


def import_ps_session(shell: Shell, bound: Bound) -> list[Any]:
    owner = "Microsoft.PowerShell.Commands.ImportPSSessionCommand"
    session = bound.get("Session")
    record = _record(shell, session)
    if record is None:
        raise _not_a_session(session, owner)
    if not record["open"]:
        raise ps_error(
            "The session state is Closed; only an opened session can be imported.",
            f"SessionNotOpened,{owner}",
            "InvalidOperation",
            "System.InvalidOperationException",
        )
    prefix = bound.get("Prefix") or ""
    wanted = {str(name).lower() for name in bound.get("CommandName") or []}

    def guard() -> None:
        if not record["open"]:
            raise ps_error(
                "The remote session for this command has been closed.",
                "SessionClosed",
                "ResourceUnavailable",
                "System.Management.Automation.PSInvalidOperationException",
            )

    for cmdlet in tenant_cmdlets(legacy=True):
        if wanted and cmdlet.name.lower() not in wanted:
            continue
        verb, noun = cmdlet.name.split("-", 1)
        name = f"{verb}-{prefix}{noun}"
        shell.proxies[name.lower()] = Resolved(cmdlet, name, name, remote=True, guard=guard)
    module = f"tmp_{uuid.uuid4().hex[:8]}.{uuid.uuid4().hex[:3]}"
    shell.imported[module.lower()] = (module, "1.0")
    return [
        PSObject(
            {"Name": module, "Version": "1.0", "ModuleType": "Script"},
            "System.Management.Automation.PSModuleInfo",
            module,
        )
    ]


def close_session(shell: Shell, record: dict[str, Any], action: str = "close") -> None:
    record["open"] = False
    admin = record["admin"]
    admin["open_sessions"] = max(0, admin["open_sessions"] - 1)
    record["session"].props["State"] = "Closed"
    _journal(shell, action, record["connector"], admin["user"], admin, session=record["session"].props["Id"])


def remove_ps_session(shell: Shell, bound: Bound) -> list[Any]:
    owner = "Microsoft.PowerShell.Commands.RemovePSSessionCommand"
    targets = []
    for value in bound.get("Session") or []:
        record = _record(shell, value)
        if record is None:
            raise _not_a_session(value, owner)
        targets.append(record)
    ids = {int(i) for i in bound.get("Id") or []}
    targets += [r for r in shell.sessions if r["session"].props["Id"] in ids]
    for record in targets:
        if record["open"]:
            close_session(shell, record)
    return []


# --- MicrosoftTeams: Connect-MicrosoftTeams, Disconnect-MicrosoftTeams -------------------------


def connect_microsoft_teams(shell: Shell, bound: Bound) -> list[Any]:
    tenant = _tenant(shell)
    fqid = f"Connect-MicrosoftTeams,{TEAMS_CONNECT}.ConnectMicrosoftTeams"
    credential = bound.get("Credential")
    application = bound.get("ApplicationId")
    account = credential.username if credential else f"application {application}" if application else ""
    holder: dict[str, Any] | None = None
    try:
        interactive = bound.parameter_set == "UserCredential" and credential is None
        if interactive or bound.parameter_set == "AccessTokens":
            raise ps_error(
                INTERACTIVE if interactive else "The lab tenant accepts credentials and certificates only.",
                fqid,
                "AuthenticationError",
                "System.InvalidOperationException",
            )
        if _busy(shell):
            raise _max_shells("api.interfaces.records.teams.microsoft.com", fqid)
        tenant_id = bound.get("TenantId")
        if tenant_id and tenant_id.lower() not in [
            tenant["tenant_id"].lower(),
            *[d.lower() for d in tenant["domains"]],
        ]:
            raise _aad(
                "AADSTS90002",
                f"Tenant '{tenant_id}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud.",
                fqid,
            )
        _check_environment(tenant, bound, fqid)
        if credential is not None:
            holder = _check_user(shell, credential, TEAMS_RESOURCE, fqid)
            account = holder["user"]
        else:
            holder = _certificate_logon(shell, bound, fqid)
    except PSError as exc:
        raise _refuse(shell, exc, "MicrosoftTeams", account, holder) from None
    if shell.teams is not None:
        _close_teams(shell, "close")
    holder["open_sessions"] += 1
    shell.teams = {"holder": holder, "account": account}
    _journal(shell, "open", "MicrosoftTeams", account, holder)
    props = {
        "Account": account,
        "Environment": bound.get("TeamsEnvironmentName") or "AzureCloud",
        "Tenant": tenant["tenant_id"],
        "TenantId": tenant["tenant_id"],
        "TenantDomain": tenant["domains"][0],
    }
    return [PSObject(props, f"{TEAMS_CONNECT}.Models.PSAzureContext", f"{TEAMS_CONNECT}.Models.PSAzureContext")]


# -TeamsEnvironmentName per cloud, from the parameter's description on the Connect-MicrosoftTeams page
# (office-docs-powershell teams/teams-ps/MicrosoftTeams/Connect-MicrosoftTeams.md @ 93336da2 and 38233785):
# commercial and GCC use none, GCC High TeamsGCCH, DoD TeamsDOD, 21Vianet TeamsChina. Example 3 of the page
# shows the connected context's Environment as that name (AzureCloud without it).
TEAMS_ENVIRONMENTS = {
    "commercial": None,
    "gcc": None,
    "gcc_high": "TeamsGCCH",
    "dod": "TeamsDOD",
    "21vianet": "TeamsChina",
}


def _check_environment(tenant: dict[str, Any], bound: Bound, fqid: str) -> None:
    """A logon to another cloud than the tenant's does not find the tenant.

    Assumed: the sign-in of the wrong cloud answers as for an unknown tenant (AADSTS90002, whose text
    itself says "signing into the correct cloud"); the page documents no error for this case.
    """
    given = bound.get("TeamsEnvironmentName")
    wanted = TEAMS_ENVIRONMENTS[tenant["cloud"]]
    if (given or "").lower() != (wanted or "").lower():
        raise _aad(
            "AADSTS90002",
            f"Tenant '{tenant['tenant_id']}' not found. Check to make sure you have the correct "
            "tenant ID and are signing into the correct cloud.",
            fqid,
        )


def _certificate_logon(shell: Shell, bound: Bound, fqid: str) -> dict[str, Any]:
    """-CertificateThumbprint is looked up in the current user's store only; -Certificate is used as given.

    Source: "Application-based authentication in Teams PowerShell Module" (learn.microsoft.com/microsoftteams/
    teams-powershell-application-authentication): a certificate used with -CertificateThumbprint "should be
    installed in the user certificate store"; Connect-MicrosoftTeams.md (office-docs-powershell): -Certificate
    takes an X509Certificate2 object (MicrosoftTeams 4.9.2-preview and later). The error text is assumed.
    """
    tenant = _tenant(shell)
    certificate = bound.get("Certificate")
    if certificate is not None:
        thumbprint = str(getattr(certificate, "thumbprint", "")).upper()
        if not getattr(certificate, "has_private_key", False):
            raise ps_error(
                "The certificate has no private key: it cannot sign the client assertion.",
                fqid,
                "AuthenticationError",
                "System.Security.Cryptography.CryptographicException",
                thumbprint,
            )
    else:
        thumbprint = bound.get("CertificateThumbprint").upper()
        user_store = [
            entry for entry in tls.store_certificates(shell, "CurrentUser") if entry["thumbprint"] == thumbprint
        ]
        if not user_store or not user_store[0]["has_private_key"]:
            raise ps_error(
                f"Certificate with thumbprint '{thumbprint}' was not found in the certificate store "
                "(Cert:\\CurrentUser\\My).",
                fqid,
                "AuthenticationError",
                "System.Security.Cryptography.CryptographicException",
                thumbprint,
            )
    application = bound.get("ApplicationId").lower()
    app = next((a for a in tenant["app_registrations"] if a["application_id"].lower() == application), None)
    if app is None:
        raise _aad(
            "AADSTS700016",
            f"Application with identifier '{application}' was not found in the directory "
            f"'{tenant['display_name']}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant.",
            fqid,
        )
    if app["certificate_thumbprint"] != thumbprint:
        raise _aad(
            "AADSTS700027",
            "Client assertion contains an invalid signature. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{thumbprint}']",
            fqid,
        )
    return app


def _close_teams(shell: Shell, action: str) -> None:
    connection = shell.teams
    if connection is None:
        return
    holder = connection["holder"]
    holder["open_sessions"] = max(0, holder["open_sessions"] - 1)
    shell.teams = None
    _journal(shell, action, "MicrosoftTeams", connection["account"], holder)


def disconnect_microsoft_teams(shell: Shell, bound: Bound) -> list[Any]:
    error = shell.state.faults["disconnect_error"]
    if error:
        raise ps_error(
            error,
            f"Disconnect-MicrosoftTeams,{TEAMS_CONNECT}.DisconnectMicrosoftTeams",
            "NotSpecified",
            "System.Exception",
        )
    _close_teams(shell, "close")
    return []


def end_of_process(shell: Shell) -> None:
    """powershell.exe exits: a Teams token cache dies with it; legacy remote shells linger on the service."""
    _close_teams(shell, "abandoned")
    for record in shell.sessions:
        if record["open"]:
            record["open"] = False
            admin = record["admin"]
            _journal(
                shell, "abandoned", record["connector"], admin["user"], admin, session=record["session"].props["Id"]
            )


# --- declarations ------------------------------------------------------------------------------

# Source: skype/New-CsOnlineSession.md @ 1f33df4d, the last revision describing the SkypeOnlineConnector
# cmdlet: sets Credential (default) and OAuthAccessToken; -UserName has a yaml block but no SYNTAX line (no set).
NEW_CS_ONLINE_SESSION = Cmdlet(
    "New-CsOnlineSession",
    "online",
    "New-CsOnlineSession",
    (
        *documented(
            "New-CsOnlineSession",
            (
                Param("Credential", "credential"),
                Param("OAuthAccessToken", "secure"),
                Param("OverrideAdminDomain"),
                Param("OverrideDiscoveryUri"),
                Param("OverridePowerShellUri"),
                Param("SessionOption", "any"),
            ),
            legacy=True,
        ),
        Param("UserName"),
    ),
    new_cs_online_session,
    default_set=default_set("New-CsOnlineSession", legacy=True),
)
# Source: MicrosoftTeams/Connect-MicrosoftTeams.md @ 93336da2. SYNTAX sets: UserCredential (default; without
# -Credential an interactive logon), ServicePrincipalCertificate, ServicePrincipalCertificateThumbprint, AccessTokens.
CONNECT = Cmdlet(
    "Connect-MicrosoftTeams",
    "online",
    f"{TEAMS_CONNECT}.ConnectMicrosoftTeams",
    documented(
        "Connect-MicrosoftTeams",
        (
            Param("Credential", "credential"),
            Param("CertificateThumbprint"),
            Param("Certificate", "any"),
            Param("ApplicationId"),
            Param("TenantId"),
            Param("AccessTokens", "list"),
            Param("AccountId"),
            Param("UseDeviceAuthentication", "switch"),
            Param("LogLevel"),
            Param("LogFilePath"),
            Param("TeamsEnvironmentName"),
        ),
    ),
    connect_microsoft_teams,
    default_set=default_set("Connect-MicrosoftTeams"),
    should_process=True,
)
# Before 4.9.2 Connect-MicrosoftTeams has no -Certificate ("This parameter has been introduced with version
# 4.9.2-preview", Connect-MicrosoftTeams.md of office-docs-powershell, the -Certificate section and Example 5).
CERTIFICATE_PARAMETER_SINCE = (4, 9, 2)
CONNECT_BEFORE_CERTIFICATE = dataclasses.replace(
    CONNECT, params=tuple(p for p in CONNECT.params if p.name != "Certificate")
)
# Source: MicrosoftTeams/Disconnect-MicrosoftTeams.md @ 93336da2
DISCONNECT = Cmdlet(
    "Disconnect-MicrosoftTeams", "online", f"{TEAMS_CONNECT}.DisconnectMicrosoftTeams", (), disconnect_microsoft_teams
)


def legacy_connector(shell: Shell, version: str) -> Iterable[Resolved]:
    return [Resolved(NEW_CS_ONLINE_SESSION, NEW_CS_ONLINE_SESSION.name, NEW_CS_ONLINE_SESSION.class_name)]


def microsoft_teams(shell: Shell, version: str) -> Iterable[Resolved]:
    """MicrosoftTeams: connect/disconnect, its own tenant cmdlets, and New-CsOnlineSession before 2.0.0."""

    def guard() -> None:
        if shell.teams is None:
            raise ps_error(
                "You must call the Connect-MicrosoftTeams cmdlet before calling any other cmdlets.",
                "NotConnected",
                "AuthenticationError",
                "System.UnauthorizedAccessException",
            )

    connect = CONNECT if parse_version(version) >= CERTIFICATE_PARAMETER_SINCE else CONNECT_BEFORE_CERTIFICATE
    found = [
        Resolved(connect, connect.name, connect.class_name),
        Resolved(DISCONNECT, DISCONNECT.name, DISCONNECT.class_name),
    ]
    found += [
        Resolved(c, c.name, c.class_name, guard=guard) for c in tenant_cmdlets(legacy=False, module_version=version)
    ]
    if parse_version(version) < (2, 0, 0):
        found += legacy_connector(shell, version)
    return found


REGISTRY.module("LyncOnlineConnector", legacy_connector)
REGISTRY.module("SkypeOnlineConnector", legacy_connector)
REGISTRY.module("MicrosoftTeams", microsoft_teams)
for _cmdlet in (
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Utility/Import-PSSession.md @ 27138b21
    Cmdlet(
        "Import-PSSession",
        "host",
        "Microsoft.PowerShell.Commands.ImportPSSessionCommand",
        (
            Param("Session", "any", True),
            Param("Prefix"),
            Param("CommandName", "list", aliases=("Name",)),
            Param("AllowClobber", "switch"),
            Param("DisableNameChecking", "switch"),
            Param("FormatTypeName", "list"),
            Param("Module", "list"),
            Param("CommandType"),
            Param("ArgumentList", "list"),
        ),
        import_ps_session,
    ),
    # Source: PowerShell-Docs 5.1 Microsoft.PowerShell.Core/Remove-PSSession.md @ 27138b21
    Cmdlet(
        "Remove-PSSession",
        "host",
        "Microsoft.PowerShell.Commands.RemovePSSessionCommand",
        documented(
            "Remove-PSSession",
            (Param("Session", "list"), Param("Id", "list"), Param("Name", "list"), Param("ComputerName", "list")),
        ),
        remove_ps_session,
        default_set=default_set("Remove-PSSession"),
        should_process=True,
    ),
):
    REGISTRY.builtin(_cmdlet)
