# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Move users from the tenant back to an on-premises registrar pool (internal use only).

Facts this follows, from Microsoft's Move-CsUser reference (MicrosoftDocs/office-docs-powershell
@ 93336da2bca96c31c0fc8acc52658a30ef8a6c94, skype/skype-ps/SkypeForBusiness/Move-CsUser.md) and
"Move users from the cloud to on-premises" (learn.microsoft.com/skypeforbusiness/hybrid/
move-users-from-the-cloud-to-on-premises):

* Move-CsUser runs in the on-premises management shell; ``-Target`` is the registrar pool FQDN;
* ``-Credential`` is the tenant admin; without it the cmdlet prompts, which cannot be answered over
  WinRM, and an MFA-enforced admin works only interactively (SfB 2015 CU12 / SfB 2019), so the module
  needs an admin without MFA;
* ``-HostedMigrationOverrideUrl`` only when the hosting provider lacks its AutodiscoverUrl or the admin
  is not a ``*.onmicrosoft.com`` account;
* ``-Force`` moves the account without contacts and meetings, which are lost: sent only when asked;
* ``-Confirm`` bypasses "the confirmation prompt that would otherwise appear": always sent as false;
* ``-UseOAuth``, ``-MoveToTeams`` and ``-Bypass*Check`` are obsolete and never sent.

Every decision is made here: one command reads every user (Get-CsUser) and the target pool
(Get-CsPool); the users homed online are then moved in batches, one command per batch, each
Move-CsUser followed by a Get-CsUser read-back. Only users of the given list are ever sent, each by
the exact identity given (wildcards and anything that is not a user@domain address are refused).
"""

from __future__ import annotations

import dataclasses
import re
import time
import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils import _clouds, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import (
    TENANT_ADMIN_ROLES,
    Diagnosis,
    HostError,
    diagnose,
)

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

ONPREM_MODULES = ("SkypeForBusiness", "Lync")
ONLINE_PROXY_FQDN = _clouds.get(None).proxy_fqdn
USER_PROPERTIES = ("SipAddress", "UserPrincipalName", "DisplayName", "RegistrarPool", "HostingProvider")
MAX_BATCH = 500
MAX_BACKOFF_SECONDS = 300

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "users": {"type": "list", "elements": "str", "required": True},
    "target_pool": {"type": "str", "required": True},
    "username": {"type": "str", "required": True},
    "password": {"type": "str", "required": True, "no_log": True},
    "hosted_migration_override_url": {"type": "str"},
    "batch_size": {"type": "int", "default": 100},
    "force": {"type": "bool", "default": False},
    "fail_fast": {"type": "bool", "default": False},
    "retries": {"type": "int", "default": 3},
    "delay": {"type": "int", "default": 30},
}

# user@domain with an optional sip: prefix; no wildcard, comma, space or backslash, so an identity
# can never match more than one user (Move-CsUser -Identity accepts "* Smith" as a display name).
_ADDRESS = re.compile(r"(?i)(sip:)?[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")
_FQDN = re.compile(r"(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")

# Outcomes. Plan (check mode): would_move, already_onprem, blocked. After a run: moved,
# already_onprem, not_found, not_synced, failed, skipped (not attempted: fail_fast or a blocker
# that would fail every move, such as TLS or the admin's logon).
DONE = ("moved", "already_onprem")
OUTCOMES = ("moved", "already_onprem", "not_found", "not_synced", "failed", "skipped")
PLAN_OUTCOMES = ("would_move", "already_onprem", "blocked")


@dataclasses.dataclass
class UserResult:
    """One user of the list: what was found, what happened, and why."""

    user: str
    identity: str
    status: str = "pending"
    registrar_pool_before: str | None = None
    registrar_pool: str | None = None
    hosting_provider: str | None = None
    reason: str | None = None
    cause: str | None = None
    remedy: str | None = None
    attempts: int = 0
    error_record: dict[str, str] | None = None

    def to_result(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)

    def explain(self, diagnosis: Diagnosis, status: str, record: _runner.ErrorRecord | None = None) -> None:
        self.status = status
        self.reason, self.cause, self.remedy = diagnosis.reason, diagnosis.cause, diagnosis.remedy
        self.error_record = record.to_result() if record is not None else None


# --- options ---------------------------------------------------------------------------------------


def check_options(args: dict[str, t.Any]) -> list[UserResult]:
    """Refuse bad input before anything is sent; return the users, in order, without duplicates."""
    problems: list[str] = []
    users: list[UserResult] = []
    seen: set[str] = set()
    for index, raw in enumerate(args["users"]):
        identity = (raw or "").strip()
        if not _ADDRESS.fullmatch(identity):
            problems.append(f"users[{index}] {raw!r} is not a SIP address or UPN (user@domain, no wildcards)")
            continue
        key = user_key(identity)
        if key not in seen:
            seen.add(key)
            users.append(UserResult(user=key, identity=identity))
    if not args["users"]:
        problems.append("'users' is empty: give at least one SIP address or UPN")
    target = args["target_pool"].strip()
    if not _FQDN.fullmatch(target):
        problems.append(f"target_pool {args['target_pool']!r} is not a fully qualified domain name")
    # No cloud's hosting provider is an on-premises registrar pool, whichever cloud the tenant is in.
    if target.lower() in _clouds.MICROSOFT_PROXY_FQDNS:
        problems.append(
            f"target_pool {target} is a Microsoft cloud's hosting provider, which would move users to the cloud; "
            "this module moves users on-premises: give the registrar pool FQDN"
        )
    if not args["username"].strip() or not args["password"]:
        problems.append("username and password must not be empty (a tenant admin without MFA)")
    url = args.get("hosted_migration_override_url")
    if url is not None and not re.fullmatch(r"(?i)https://[^\s/]+/\S*", url.strip()):
        problems.append(
            "hosted_migration_override_url must be an https URL such as "
            "https://admin1a.online.lync.com/HostedMigration/hostedmigrationService.svc"
        )
    if not 1 <= args["batch_size"] <= MAX_BATCH:
        problems.append(f"batch_size must be between 1 and {MAX_BATCH}")
    if args["retries"] < 0 or args["delay"] < 0:
        problems.append("retries and delay must be zero or more")
    if problems:
        raise AnsibleActionFail("Invalid options for lync.hybrid.cs_user_move: " + "; ".join(problems) + ".")
    return users


def user_key(identity: str) -> str:
    """The comparable form of a SIP address or UPN: lower case, without the sip: prefix."""
    text = identity.strip().lower()
    return text[4:] if text.startswith("sip:") else text


# --- diagnoses -------------------------------------------------------------------------------------


def _d(reason: str, cause: str, remedy: str) -> Diagnosis:
    return Diagnosis(reason, cause, remedy)


NOT_FOUND = _d(
    "not_found",
    "There is no on-premises Lync/Skype for Business user object with this identity (Get-CsUser found none).",
    "Create or synchronise the user's Active Directory account and enable it for the on-premises deployment "
    f"while it stays homed online: Enable-CsUser -Identity <user> -SipAddress sip:<address> "
    f"-HostingProviderProxyFqdn {ONLINE_PROXY_FQDN}; then run again.",
)
NOT_SYNCED = _d(
    "not_synced",
    "The tenant has no online user matching this on-premises user: Azure AD Connect does not synchronise it "
    "(or not its msRTCSIP attributes).",
    "Check that Azure AD Connect synchronises the user's account and its msRTCSIP-* attributes, wait for a sync "
    "cycle (Start-ADSyncSyncCycle -PolicyType Delta), then run again.",
)
OTHER_POOL = "homed_on_other_pool"
NOT_ONLINE = "not_homed_online"
IDENTITY_MISMATCH = "identity_mismatch"

# Microsoft documents the override URL as https://adminXX.online.lync.com/HostedMigration/hostedmigrationService.svc
# with XX from DC=lyncXX001 in Get-CsTenant's Identity ("Move users between on-premises and cloud", Required
# administrative credentials); MicrosoftTeams 3.0.0 and later no longer return that Identity (Get-CsTenant page),
# so the readiness cannot derive it and relies on the hosting provider's AutodiscoverUrl instead.
HOSTED_MIGRATION_REMEDY = (
    "Give the hosting provider its cloud's AutodiscoverUrl (Set-CsHostingProvider -Identity <provider> "
    "-AutodiscoverUrl https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root for Microsoft 365; "
    "lync.hybrid.cs_hosting_provider does it) and use a *.onmicrosoft.com tenant admin, or set "
    "hosted_migration_override_url to https://adminXX.online.lync.com/HostedMigration/hostedmigrationService.svc "
    "with XX from DC=lyncXX001 in Get-CsTenant's Identity (returned by MicrosoftTeams before 3.0.0 only)."
)

# Failures that every move of the run would meet: after one, no further batch is sent.
BLOCKERS = ("tls12_required", "multiple_edge_pools", "mfa_required", "invalid_credentials", "hosted_migration_url")

_MOVE_RULES: tuple[tuple[re.Pattern[str], Diagnosis | None], ...] = (
    (re.compile(r"(?i)Management object not found|^Identity,"), NOT_FOUND),
    (re.compile(r"(?i)not synchroni[sz]ed|UserNotSynchronized"), NOT_SYNCED),
    (re.compile(r"(?i)UserAlreadyOnTarget|already homed on"), None),
    (
        re.compile(r"(?i)TLS 1\.2|unexpected error occurred on a send|could not create SSL/TLS"),
        _d(
            "tls12_required",
            "Move-CsUser could not reach the hosted migration service: moving users between on-premises and "
            "Microsoft 365 requires TLS 1.2, which this server's .NET Framework does not use.",
            "Enable TLS 1.2 for .NET on the Front End (SchUseStrongCrypto and SystemDefaultTlsVersions = 1 under "
            "HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and its Wow6432Node twin), restart, run again.",
        ),
    ),
    (
        re.compile(r"(?i)Multiple federated Edge|MultipleFederatedEdgePools"),
        _d(
            "multiple_edge_pools",
            "More than one Edge pool is enabled for federation; Skype for Business hybrid allows a single one.",
            "Choose one Edge pool as the federation route in Topology Builder, publish the topology, run again.",
        ),
    ),
    (
        re.compile(r"(?i)AADSTS50076|AADSTS50079|AADSTS50158|multi-?factor"),
        _d(
            "mfa_required",
            "The tenant admin must use multi-factor authentication, which Move-CsUser cannot answer over WinRM "
            "(with MFA it must run interactively without -Credential, and only from SfB 2015 CU12 or SfB 2019).",
            f"Use a tenant admin ({TENANT_ADMIN_ROLES}) that is not required to use MFA from this server, for "
            "example through a Conditional Access exclusion.",
        ),
    ),
    (
        re.compile(r"(?i)AADSTS50126|AADSTS50034|invalid username or password|logon failure"),
        _d(
            "invalid_credentials",
            "The tenant rejected the admin's user name or password.",
            "Check username and password (the admin's user principal name, e.g. admin@contoso.onmicrosoft.com; "
            f"roles: {TENANT_ADMIN_ROLES}).",
        ),
    ),
    (
        re.compile(r"(?i)hosted migration service URL|HostedMigrationUrlNotFound|AutodiscoverUrl"),
        _d(
            "hosted_migration_url",
            "Move-CsUser could not find the hosted migration service: the hosting provider has no AutodiscoverUrl, "
            "or the admin account is not a *.onmicrosoft.com account.",
            f"{HOSTED_MIGRATION_REMEDY} Then run again.",
        ),
    ),
    (
        re.compile(r"(?i)throttl|Micro delay applied|ServerBusy"),
        _d(
            "throttled",
            "The hosted migration service throttled the move.",
            "Raise 'retries' or 'delay', or move fewer users per run; a rerun moves only who is not yet moved.",
        ),
    ),
)


def diagnose_move(record: _runner.ErrorRecord, account: str) -> Diagnosis | None:
    """Explain a failed Move-CsUser (None: the user is already on the target pool)."""
    text = f"{record.fqid} {record.message}"
    for pattern, diagnosis in _MOVE_RULES:
        if pattern.search(record.fqid) or pattern.search(text):
            return diagnosis
    found = diagnose(record, account=account)
    return Diagnosis(found.reason if found.reason != "host_error" else "move_failed", found.cause, found.remedy)


# --- requests --------------------------------------------------------------------------------------


def preflight_request(users: t.Sequence[UserResult], target: str) -> _runner.Request:
    steps = [
        _runner.Step(
            "pool", "Get-CsPool", {"Identity": target}, select=("Identity", "Fqdn", "Services"), continue_on_error=True
        ),
    ]
    steps += [
        _runner.Step(f"u{i}", "Get-CsUser", {"Identity": u.identity}, select=USER_PROPERTIES, continue_on_error=True)
        for i, u in enumerate(users)
    ]
    return _runner.Request(steps=tuple(steps), onprem_modules=ONPREM_MODULES)


def move_params(args: dict[str, t.Any], identity: str, target: str) -> dict[str, t.Any]:
    """Exactly what one Move-CsUser is sent; -Force only when asked, no obsolete switch ever."""
    params: dict[str, t.Any] = {
        "Identity": identity,
        "Target": target,
        "Credential": _runner.credential(args["username"], args["password"]),
        "Confirm": False,
    }
    if args.get("hosted_migration_override_url"):
        params["HostedMigrationOverrideUrl"] = args["hosted_migration_override_url"].strip()
    if args["force"]:
        params["Force"] = True
    return params


def move_request(args: dict[str, t.Any], batch: t.Sequence[tuple[int, UserResult]], target: str) -> _runner.Request:
    steps: list[_runner.Step] = []
    for index, user in batch:
        steps.append(
            _runner.Step(
                f"m{index}",
                "Move-CsUser",
                move_params(args, user.identity, target),
                continue_on_error=not args["fail_fast"],
            )
        )
        steps.append(
            _runner.Step(
                f"r{index}", "Get-CsUser", {"Identity": user.identity}, select=USER_PROPERTIES, continue_on_error=True
            )
        )
    return _runner.Request(steps=tuple(steps), onprem_modules=ONPREM_MODULES)


# --- the work --------------------------------------------------------------------------------------


def override_url_warnings(args: dict[str, t.Any]) -> list[str]:
    """An admin outside *.onmicrosoft.com needs the override URL ("Move users from the cloud to on-premises").

    A warning, not a refusal: Move-CsUser's own page says the AutodiscoverUrl is enough, and the move
    itself tells (reason hosted_migration_url) if this tenant disagrees.
    """
    username = str(args.get("username") or "").strip().lower()
    if args.get("hosted_migration_override_url") or not username or username.endswith(".onmicrosoft.com"):
        return []
    return [
        f"{args['username'].strip()} is not a *.onmicrosoft.com account, and Microsoft requires "
        "-HostedMigrationOverrideUrl for such an admin; if moves fail with reason hosted_migration_url: "
        f"{HOSTED_MIGRATION_REMEDY}"
    ]


class Mover:
    """One task: preflight, plan, batches, retries, results."""

    def __init__(
        self, action: ActionBase, args: dict[str, t.Any], sleep: t.Callable[[float], None] = time.sleep
    ) -> None:
        self.action = action
        self.args = args
        self.sleep = sleep
        self.users = check_options(args)
        self.target = args["target_pool"].strip()
        self.commands = 0
        self.warnings: list[str] = override_url_warnings(args)

    def _execute(self, request: _runner.Request) -> _runner.Response:
        self.commands += 1
        response = _runner.execute(self.action, request)
        if response.error is not None:
            raise HostError(diagnose(response.error), response.error, commands=self.commands)
        return response

    def run(self, check_mode: bool) -> dict[str, t.Any]:
        response = self._execute(preflight_request(self.users, self.target))
        self.target = self._validate_target(response.step("pool"))
        for index, user in enumerate(self.users):
            self._classify(user, response.step(f"u{index}"))
        before = {u.user: u.registrar_pool_before for u in self.users}
        if not check_mode:
            self._move([(i, u) for i, u in enumerate(self.users) if u.status == "would_move"])
        return self._result(before, check_mode)

    def _validate_target(self, step: _runner.StepResult) -> str:
        pool = step.first() if step.ok else None
        if not isinstance(pool, dict):
            why = f" ({step.error.message.rstrip('.')})" if step.error else ""
            raise HostError(
                Diagnosis(
                    "target_not_a_pool",
                    f"The topology has no pool {self.target}{why}.",
                    "Set target_pool to the FQDN of a registrar pool of the published topology (Get-CsPool).",
                ),
                step.error,
                commands=self.commands,
            )
        services = [str(s) for s in pool.get("Services") or []]
        if not any(s.lower().startswith("registrar:") for s in services):
            raise HostError(
                Diagnosis(
                    "target_not_a_registrar",
                    f"The pool {self.target} is not a registrar pool (its services: {', '.join(services) or 'none'}).",
                    "Set target_pool to a Front End pool with the Registrar service, where users can be homed.",
                ),
                None,
                commands=self.commands,
            )
        return str(pool.get("Fqdn") or pool.get("Identity") or self.target)

    def _classify(self, user: UserResult, step: _runner.StepResult) -> None:
        found = step.first() if step.ok else None
        if not isinstance(found, dict):
            record = step.error or _runner.ErrorRecord(f"Get-CsUser returned nothing for {user.identity}.")
            diagnosis = diagnose_move(record, self.args["username"])
            if diagnosis is None or diagnosis.reason != "not_found":
                diagnosis = Diagnosis("read_failed", f"Reading the user failed: {record.message}", "Run again.")
            user.explain(diagnosis, "blocked", record)
            return
        names = {user_key(str(found.get("SipAddress") or "")), user_key(str(found.get("UserPrincipalName") or ""))}
        if user.user not in names:
            user.explain(
                Diagnosis(
                    IDENTITY_MISMATCH,
                    f"Get-CsUser returned a different user ({found.get('SipAddress')}) for {user.identity}.",
                    "Give the user's exact SIP address or UPN.",
                ),
                "blocked",
            )
            return
        pool = found.get("RegistrarPool") or None
        provider = found.get("HostingProvider") or None
        user.registrar_pool_before = user.registrar_pool = pool
        user.hosting_provider = provider
        if pool and pool.lower() == self.target.lower():
            user.status = "already_onprem"
        elif pool:
            user.explain(
                Diagnosis(
                    OTHER_POOL,
                    f"The user is homed on the on-premises pool {pool}, not online; Move-CsUser would move it "
                    "between pools.",
                    "Leave it out of the list, or move it between pools on purpose with Move-CsUser.",
                ),
                "blocked",
            )
        elif provider and str(provider).upper() != "SRV:":
            user.status = "would_move"
        else:
            user.explain(
                Diagnosis(
                    NOT_ONLINE,
                    "The user object is neither homed on a pool nor on a hosting provider.",
                    f"Enable it for hybrid: Enable-CsUser -HostingProviderProxyFqdn {ONLINE_PROXY_FQDN}.",
                ),
                "blocked",
            )

    def _move(self, pending: list[tuple[int, UserResult]]) -> None:
        size = self.args["batch_size"]
        for attempt in range(self.args["retries"] + 1):
            if attempt:
                self.sleep(min(self.args["delay"] * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))
            throttled: list[tuple[int, UserResult]] = []
            for start in range(0, len(pending), size):
                stop = self._batch(pending[start : start + size], throttled)
                if stop is not None:
                    self._skip_rest(pending[start + size :], stop)
                    return
            if not throttled:
                return
            pending = throttled
        for _index, user in pending:
            user.status = "failed"

    def _batch(self, batch: list[tuple[int, UserResult]], throttled: list[tuple[int, UserResult]]) -> Diagnosis | None:
        """Send one batch; return why no further batch may be sent (None: carry on)."""
        response = self._execute(move_request(self.args, batch, self.target))
        stop: Diagnosis | None = None
        for index, user in batch:
            step = response.step(f"m{index}")
            user.attempts += 1
            if step.status == "not_run":
                user.explain(
                    _d(
                        "fail_fast",
                        "Not attempted: an earlier move failed and fail_fast is set.",
                        "Fix the earlier failure and run again.",
                    ),
                    "skipped",
                )
                continue
            if step.ok:
                self._read_back(user, response.step(f"r{index}"))
            else:
                record = step.error or _runner.ErrorRecord("Move-CsUser failed without an error record.")
                diagnosis = diagnose_move(record, self.args["username"])
                if diagnosis is None:
                    user.status, user.registrar_pool = "already_onprem", self.target
                    continue
                status = diagnosis.reason if diagnosis.reason in ("not_found", "not_synced") else "failed"
                user.explain(diagnosis, status, record)
                if diagnosis.reason == "throttled":
                    throttled.append((index, user))
                elif diagnosis.reason in BLOCKERS and stop is None:
                    stop = diagnosis
                if self.args["fail_fast"] and stop is None:
                    stop = _d(
                        "fail_fast",
                        "Not attempted: an earlier move failed and fail_fast is set.",
                        "Fix the earlier failure and run again.",
                    )
        return stop

    def _read_back(self, user: UserResult, step: _runner.StepResult) -> None:
        found = step.first() if step.ok else None
        pool = found.get("RegistrarPool") if isinstance(found, dict) else None
        if pool and str(pool).lower() == self.target.lower():
            user.status, user.registrar_pool = "moved", str(pool)
            user.hosting_provider = found.get("HostingProvider") if isinstance(found, dict) else None
            user.reason = user.cause = user.remedy = None
            user.error_record = None
            return
        if found is None:
            # The move was accepted; only the proof is missing. Count it moved, say so.
            user.status, user.registrar_pool = "moved", self.target
            self.warnings.append(f"{user.user}: moved, but reading it back failed; check it with Get-CsUser.")
            return
        user.explain(
            Diagnosis(
                "not_applied",
                f"Move-CsUser returned without error but the user is homed on {pool or 'the tenant'}.",
                "Replication can lag; run again in a few minutes (users already moved are left alone).",
            ),
            "failed",
        )

    def _skip_rest(self, rest: list[tuple[int, UserResult]], why: Diagnosis) -> None:
        for _index, user in rest:
            user.explain(
                Diagnosis(why.reason, f"Not attempted: {why.cause[0].lower()}{why.cause[1:]}", why.remedy), "skipped"
            )

    def _result(self, before: dict[str, str | None], check_mode: bool) -> dict[str, t.Any]:
        outcomes = PLAN_OUTCOMES if check_mode else OUTCOMES
        if not check_mode:
            for user in self.users:
                if user.status == "blocked":
                    user.status = "not_found" if user.reason == "not_found" else "failed"
        totals = {name: sum(1 for u in self.users if u.status == name) for name in outcomes}
        totals["total"] = len(self.users)
        to_move = "would_move" if check_mode else "moved"
        landed = (to_move, "already_onprem")
        after = {u.user: self.target if u.status in landed else before[u.user] for u in self.users}
        result: dict[str, t.Any] = {
            "changed": totals[to_move] > 0,
            "target_pool": self.target,
            "users": [u.to_result() for u in self.users],
            "totals": totals,
            "retry": [u.user for u in self.users if u.status not in (*DONE, "would_move")],
            "commands": self.commands,
            "diff": {"before": {"registrar_pool": before}, "after": {"registrar_pool": after}},
        }
        if self.warnings:
            result["warnings"] = self.warnings
        not_done = [u for u in self.users if u.status not in DONE]
        if not check_mode and not_done:
            counts = ", ".join(f"{totals[name]} {name}" for name in OUTCOMES[2:] if totals[name])
            result["failed"] = True
            result["msg"] = (
                f"{len(not_done)} of {len(self.users)} users were not moved ({counts}); "
                f"'users' gives each one's cause and remedy, 'retry' lists them. First: {not_done[0].user}: "
                f"{not_done[0].cause} {not_done[0].remedy}".rstrip()
                + " A rerun moves only those not yet moved."
            )
        return result
