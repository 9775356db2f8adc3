# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Online session options shared by the modules that talk to the tenant (internal use only).

The options are documented once, in plugins/doc_fragments/online_auth.py. Here
they become the runner's session description and the retry policy for the
tenant's limit of three concurrent sessions per admin.
"""

from __future__ import annotations

import dataclasses
import re
import time
import typing as t

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display
from ansible_collections.lync.hybrid.plugins.plugin_utils import _clouds, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import (
    TENANT_ADMIN_ROLES,
    Diagnosis,
    HostError,
    diagnose,
    is_retryable,
)
from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import ErrorRecord

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase


@dataclasses.dataclass(frozen=True)
class Connector:
    """How one connector module opens and closes a tenant session."""

    name: str
    module: str
    connect_cmdlet: str
    legacy: bool


CONNECTORS: dict[str, Connector] = {
    "microsoft_teams": Connector("microsoft_teams", "MicrosoftTeams", "Connect-MicrosoftTeams", legacy=False),
    "skype_online_connector": Connector("skype_online_connector", "SkypeOnlineConnector", "New-CsOnlineSession", True),
    "lync_online_connector": Connector("lync_online_connector", "LyncOnlineConnector", "New-CsOnlineSession", True),
}
# What connector=auto may pick. Only MicrosoftTeams: Skype for Business Online was retired on 2021-07-31
# ("Skype for Business Online retirement", Microsoft Learn) and MicrosoftTeams 2.0.0 removed
# New-CsOnlineSession, so a legacy connector found on the host would only fail later with an endpoint
# error that points at the wrong option. The legacy connectors run only when named, with RETIRED as a warning.
AUTO_ORDER = ("microsoft_teams",)
RETIRED = (
    "{module} is retired: Skype for Business Online was retired on 2021-07-31 and New-CsOnlineSession no longer "
    "connects. Use {option}=microsoft_teams (MicrosoftTeams; Move-CsUser needs 6.2.1 or later)."
)

MAX_BACKOFF_SECONDS = 300

display = Display()

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "connector": {"type": "str", "default": "auto", "choices": ["auto", *CONNECTORS]},
    "cloud": {"type": "str", "default": _clouds.DEFAULT, "choices": _clouds.CHOICES},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "certificate_thumbprint": {"type": "str"},
    "application_id": {"type": "str"},
    "tenant_id": {"type": "str"},
    "override_admin_domain": {"type": "str"},
    "retries": {"type": "int", "default": 3},
    "delay": {"type": "int", "default": 30},
}
CREDENTIALS = ("username", "password")
CERTIFICATE = ("certificate_thumbprint", "application_id", "tenant_id")
MUTUALLY_EXCLUSIVE = [["password", "certificate_thumbprint"], ["username", "certificate_thumbprint"]]
REQUIRED_TOGETHER = [list(CREDENTIALS), list(CERTIFICATE)]
REQUIRED_ONE_OF = [["username", "certificate_thumbprint"]]


def check_options(args: dict[str, t.Any]) -> None:
    """Rules the argument spec cannot express; checked before anything is sent."""
    for name in (*CREDENTIALS, *CERTIFICATE):
        if args.get(name) is not None and not str(args[name]).strip():
            raise AnsibleActionFail(f"The option '{name}' must not be empty.")
    _check_logon_complete(args)
    # A blank domain would connect without the override and then fail with a
    # discovery error that sends the user back to the option they did set.
    domain = args.get("override_admin_domain")
    if domain is not None and not domain.strip():
        raise AnsibleActionFail(
            "The option 'override_admin_domain' must not be empty: set it to the tenant's initial "
            "domain (contoso.onmicrosoft.com) or leave it out."
        )
    if args["retries"] < 0 or args["delay"] < 0:
        raise AnsibleActionFail("The options 'retries' and 'delay' must be zero or more.")
    certificate = args.get("certificate_thumbprint") is not None
    if certificate and not re.fullmatch(r"[0-9A-F]{40}", thumbprint(args["certificate_thumbprint"])):
        raise AnsibleActionFail(
            f"certificate_thumbprint '{args['certificate_thumbprint']}' is not a certificate thumbprint: expected 40 "
            "hexadecimal digits (the SHA-1 thumbprint, as Get-ChildItem Cert:\\LocalMachine\\My shows it)."
        )
    if certificate and args["connector"] not in ("auto", "microsoft_teams"):
        raise AnsibleActionFail(
            "Certificate authentication needs connector=microsoft_teams: the legacy connectors "
            f"({args['connector']}) accept only a user name and password."
        )
    _check_cloud(args)
    if args.get("override_admin_domain") and not CONNECTORS[candidates(args)[0].name].legacy:
        raise AnsibleActionFail(
            "override_admin_domain applies to the legacy connectors only; MicrosoftTeams finds its endpoint itself "
            f"(connector={args['connector']} uses MicrosoftTeams). Leave it out, or name the legacy connector "
            "(connector=lync_online_connector or skype_online_connector)."
        )


def _check_cloud(args: dict[str, t.Any]) -> None:
    """A sovereign cloud needs MicrosoftTeams with a user name and password.

    Connect-MicrosoftTeams documents -TeamsEnvironmentName in its UserCredential parameter set only
    (office-docs-powershell, teams/teams-ps/MicrosoftTeams/Connect-MicrosoftTeams.md @ 93336da2, and
    still @ 38233785): a certificate logon cannot name the environment, and would reach the commercial
    cloud's sign-in. The retired legacy connectors never knew these clouds' environment names.
    """
    cloud = _clouds.get(args.get("cloud"))
    if cloud.teams_environment is None:
        return
    if args.get("certificate_thumbprint") is not None:
        raise AnsibleActionFail(
            f"cloud={cloud.key} ({cloud.name}) needs a user name and password: Connect-MicrosoftTeams documents "
            f"-TeamsEnvironmentName {cloud.teams_environment} only with -Credential, not with a certificate. "
            "Set username and password instead of certificate_thumbprint, application_id and tenant_id."
        )
    if args["connector"] not in ("auto", "microsoft_teams"):
        raise AnsibleActionFail(
            f"cloud={cloud.key} ({cloud.name}) needs connector=microsoft_teams (or auto): the retired legacy "
            f"connector {args['connector']} cannot reach that cloud."
        )


def _check_logon_complete(args: dict[str, t.Any]) -> None:
    """One complete logon, counting an option set to null as not given.

    The argument spec's required_together and required_one_of count an option that is
    present with a null value (``password: "{{ undefined_in_this_env | default(none) }}"``),
    so a null password would reach the host and fail in ConvertTo-SecureString.
    """
    for group in (CREDENTIALS, CERTIFICATE):
        given = [name for name in group if args.get(name) is not None]
        if given and len(given) < len(group):
            missing = ", ".join(name for name in group if name not in given)
            raise AnsibleActionFail(f"The options {', '.join(group)} go together; not set (or null): {missing}.")
    if args.get("username") is None and args.get("certificate_thumbprint") is None:
        raise AnsibleActionFail(
            "No logon to the tenant: set username and password, or certificate_thumbprint, application_id and "
            "tenant_id (the options given are null)."
        )


def candidates(args: dict[str, t.Any]) -> tuple[Connector, ...]:
    """The connectors the runner may use, best first."""
    if args["connector"] != "auto":
        return (CONNECTORS[args["connector"]],)
    if args.get("certificate_thumbprint"):
        return (CONNECTORS["microsoft_teams"],)
    return tuple(CONNECTORS[name] for name in AUTO_ORDER)


def session(connector: Connector, args: dict[str, t.Any], commands: t.Iterable[str]) -> _runner.OnlineSession:
    """The runner's description of the session for one connector."""
    params: dict[str, t.Any]
    certificate = None
    if args.get("certificate_thumbprint"):
        # The runner finds the certificate (LocalMachine\My first) and adds -Certificate or -CertificateThumbprint.
        certificate = thumbprint(args["certificate_thumbprint"])
        params = {"ApplicationId": args["application_id"], "TenantId": args["tenant_id"]}
    else:
        params = {"Credential": _runner.credential(args["username"], args["password"])}
    environment = _clouds.get(args.get("cloud")).teams_environment
    if environment and not connector.legacy:
        # Commercial and GCC take no environment name (the parameter's own page).
        params["TeamsEnvironmentName"] = environment
    if connector.legacy and args.get("override_admin_domain"):
        params["OverrideAdminDomain"] = args["override_admin_domain"]
    return _runner.OnlineSession(
        module=connector.module,
        connect_cmdlet=connector.connect_cmdlet,
        connect_params=params,
        import_session=connector.legacy,
        commands=tuple(commands) if connector.legacy else (),
        disconnect=None if connector.legacy else "Disconnect-MicrosoftTeams",
        certificate=certificate,
    )


def thumbprint(value: str) -> str:
    """A thumbprint as the certificate store writes it: hex digits in upper case, no spaces.

    Copied from the certificate dialog, a thumbprint often carries spaces or an invisible
    left-to-right mark; either would never match the store's Thumbprint property.
    """
    return "".join(char for char in value if char.isalnum()).upper()


def retirement_warnings(args: dict[str, t.Any]) -> list[str]:
    """The warning a named legacy connector earns on every run, successful or not."""
    connector = CONNECTORS.get(args["connector"])
    if connector is None or not connector.legacy:
        return []
    return [RETIRED.format(module=connector.module, option="connector")]


def account(args: dict[str, t.Any]) -> str:
    return args.get("username") or f"application {args.get('application_id')}"


def run_online(
    action: ActionBase,
    args: dict[str, t.Any],
    steps: t.Sequence[_runner.Step],
    sleep: t.Callable[[float], None] = time.sleep,
    refused: list[dict[str, t.Any]] | None = None,
) -> tuple[_runner.Response, int]:
    """Run steps in one tenant session; retry while the tenant says 'too many sessions'.

    Returns the response and how many attempts it took. Every attempt is one
    WinRM command whose session the runner closes, so a retry never adds to the
    sessions it waits for. Each refused attempt is said on the controller as it
    happens (a wait can last minutes) and appended to ``refused`` for the result.
    """
    commands = sorted({step.cmdlet for step in steps if step.scope == "online"})
    request = _runner.Request(
        steps=tuple(steps),
        online=tuple(session(connector, args, commands) for connector in candidates(args)),
    )
    refused = [] if refused is None else refused
    attempt = 0
    while True:
        attempt += 1
        response = _runner.execute(action, request)
        error = response.error
        if error is None or error.stage != "online" or not is_retryable(error):
            break
        wait = min(args["delay"] * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS) if attempt <= args["retries"] else None
        refused.append(refused_attempt(attempt, error, wait))
        say_refused(args, refused[-1])
        if wait is None:
            break
        sleep(wait)
    raise_for_session(response, args, attempts=attempt, refused=refused)
    return response, attempt


def refused_attempt(attempt: int, error: ErrorRecord, wait: int | None) -> dict[str, t.Any]:
    """One refused attempt as the result lists it: which, why, and the wait that followed (null: none)."""
    diagnosis = diagnose(error)
    return {"attempt": attempt, "reason": diagnosis.reason, "message": error.message, "waited_seconds": wait}


def say_refused(args: dict[str, t.Any], entry: dict[str, t.Any]) -> None:
    """Print the refusal now, without -v: a run that waits minutes in silence looks hung.

    Display.warning is held back until the task ends while a task runs, so the line goes
    through Display.display (sent to the controller's console at once) in the warning colour.
    """
    total = args["retries"] + 1
    if entry["waited_seconds"] is None:
        then = "no retries left."
    else:
        then = f"waiting {entry['waited_seconds']} s before attempt {entry['attempt'] + 1} of {total}."
    display.display(
        f"[WARNING]: The tenant refused session attempt {entry['attempt']} of {total} "
        f"({entry['reason']}: {entry['message'].strip()}); {then}",
        color=C.config.get_config_value("COLOR_WARN"),
        stderr=True,
    )


def raise_for_session(
    response: _runner.Response,
    args: dict[str, t.Any],
    attempts: int = 1,
    refused: list[dict[str, t.Any]] | None = None,
) -> None:
    """Fail the task, explained, when the session could not be opened."""
    error = response.error
    if error is None:
        return
    context = {
        "account": account(args),
        "certificate": args.get("certificate_thumbprint") or "(no certificate)",
        "application": args.get("application_id") or "(no application)",
        "tenant": args.get("tenant_id") or "(no tenant)",
        "module": " or ".join(c.module for c in candidates(args)),
    }
    diagnosis = diagnose(error, **context)
    if diagnosis.reason == "connector_missing" and args["connector"] == "auto":
        # The legacy connectors may well be installed: say why auto did not take them.
        diagnosis = dataclasses.replace(
            diagnosis,
            remedy=f"{diagnosis.remedy} connector=auto uses MicrosoftTeams only; a retired legacy connector "
            "(lync_online_connector, skype_online_connector) runs only when named in the connector option.",
        )
    extra: dict[str, t.Any] = {"attempts": attempts, "refused_attempts": refused or []}
    warnings = retirement_warnings(args)
    if warnings:
        extra["warnings"] = warnings
    if response.online is not None:
        extra["session_closed"] = session_closed(response)
    raise HostError(diagnosis, error, **extra)


def session_closed(response: _runner.Response) -> bool:
    """True when the runner closed the session, or never got to open one."""
    online = response.online
    return online is None or online.closed or not online.connected


def connector_used(response: _runner.Response) -> str | None:
    """The connector option value for the module the runner picked."""
    module = response.online.module if response.online else None
    for connector in CONNECTORS.values():
        if connector.module == module:
            return connector.name
    return None


def step_failure(step: _runner.StepResult, args: dict[str, t.Any], what: str) -> tuple[Diagnosis, _runner.ErrorRecord]:
    """Explain a tenant cmdlet that failed inside an open session.

    The logon already succeeded there, so "access denied" is about the account's
    role, not its password.
    """
    record = step.error or _runner.ErrorRecord(f"The step '{step.id}' did not run ({step.status}).")
    who = account(args)
    found = diagnose(record, account=who)
    if found.reason == "invalid_credentials":
        found = Diagnosis(
            "insufficient_rights",
            f"{who} may open a session but not {what} ({record.message.rstrip('.')}).",
            f"Give the account the roles Microsoft requires: {TENANT_ADMIN_ROLES} (an application: Teams "
            "Administrator).",
        )
    return found, record


def close_warnings(response: _runner.Response) -> list[str]:
    """A session that could not be closed is a warning: the work is done, but it may linger."""
    online = response.online
    if online is None or online.close_error is None:
        return []
    if connector_used(response) == "microsoft_teams":
        effect = "The PowerShell process on the host has ended, which ends the MicrosoftTeams connection with it."
    else:
        effect = (
            "A remote PowerShell session left open expires by itself after about 15 minutes; until then it counts "
            "against the limit of 3 sessions per admin."
        )
    return [f"The tenant session could not be closed: {online.close_error.message} {effect}"]
