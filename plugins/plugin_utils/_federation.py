# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant federation settings: read, compare, change only on drift (internal use only).

One tenant session per task: the Get, the conditional Set and the read-back run
in the same runner request, so the task costs one command and one session
whatever it finds.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils import _online, _runner, _session
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import Diagnosis, HostError

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

GET = "Get-CsTenantFederationConfiguration"
SET = "Set-CsTenantFederationConfiguration"

# Module option -> property of the tenant federation configuration.
MANAGED = {
    "shared_sip_address_space": "SharedSipAddressSpace",
    "allow_federated_users": "AllowFederatedUsers",
}
# allow_public_users is refused: the Set-CsTenantFederationConfiguration page (office-docs-powershell,
# teams/teams-ps/MicrosoftTeams/Set-CsTenantFederationConfiguration.md @ 139b2ee8) no longer lists
# -AllowPublicUsers and notes that since May 5, 2025 Skype consumer interoperability is no longer
# supported and the parameter can no longer be used. The option stays in the spec only to say so.
PUBLIC_USERS_REMOVED = (
    "The option allow_public_users was removed: Microsoft ended Skype consumer interoperability with Teams on "
    "May 5, 2025, and Set-CsTenantFederationConfiguration no longer accepts AllowPublicUsers "
    "(its reference page says the parameter can no longer be used). Remove allow_public_users from the task."
)

# Properties returned to users (Microsoft's documented output of the Get cmdlet).
REPORTED = (
    "Identity",
    "AllowedDomains",
    "BlockedDomains",
    "AllowFederatedUsers",
    "AllowPublicUsers",
    "AllowTeamsConsumer",
    "AllowTeamsConsumerInbound",
    "TreatDiscoveredPartnersAsUnverified",
    "SharedSipAddressSpace",
    "RestrictTeamsConsumerToExternalUserProfiles",
)

UNSUPPORTED_DISABLE = Diagnosis(
    "shared_sip_address_space_disable_unsupported",
    "Microsoft no longer allows turning SharedSipAddressSpace off once it is on ('This scenario is not "
    "supported anymore'); it must also stay on while any user of the tenant's SIP domains is on-premises.",
    "Remove shared_sip_address_space=false from the task.",
)


def desired_values(args: dict[str, t.Any]) -> dict[str, bool]:
    """Only the options the user set; anything else is never sent to Set."""
    return {prop: args[option] for option, prop in MANAGED.items() if args.get(option) is not None}


def check_options(args: dict[str, t.Any]) -> None:
    """What the argument spec lets through but would open a tenant session for nothing.

    required_one_of counts an option that is present even when it is null, so a task
    whose desired values all template to null would pass it and change nothing.
    """
    if args.get("allow_public_users") is not None:
        raise AnsibleActionFail(PUBLIC_USERS_REMOVED)
    if not desired_values(args):
        raise AnsibleActionFail(
            f"Nothing to manage: set at least one of {', '.join(MANAGED)} to true or false (all are null)."
        )


def build_steps(desired: dict[str, bool], check_mode: bool, read_tenant: bool = False) -> list[_runner.Step]:
    """The federation steps; with read_tenant, the session probe's reads around them.

    Get-CsTenant goes first (a session that cannot read the tenant must not change it) and the
    optional Get-CsOnlineSipDomain last, so its failure cannot keep the federation steps from running.
    """
    tenant, sip_domains = _session.build_steps() if read_tenant else (None, None)
    steps = _federation_steps(desired, check_mode)
    return [tenant, *steps, sip_domains] if tenant and sip_domains else steps


def _federation_steps(desired: dict[str, bool], check_mode: bool) -> list[_runner.Step]:
    read = _runner.Step("before", GET, {"Identity": "Global"}, scope="online", select=REPORTED)
    if check_mode:
        return [read]
    return [
        read,
        _runner.Step(
            "set",
            SET,
            {"Identity": "Global"},
            scope="online",
            when_differs={"step": "before", "values": desired},
        ),
        _runner.Step("after", GET, {"Identity": "Global"}, scope="online", select=REPORTED),
    ]


def drift(before: dict[str, t.Any], desired: dict[str, bool]) -> dict[str, bool]:
    return {prop: value for prop, value in desired.items() if before.get(prop) != value}


def manage(action: ActionBase, args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """Bring the tenant to the desired values; return the module result."""
    check_options(args)
    desired = desired_values(args)
    read_tenant = bool(args.get("read_tenant"))
    refused: list[dict[str, t.Any]] = []
    steps = build_steps(desired, check_mode, read_tenant)
    response, attempts = _online.run_online(action, args, steps, refused=refused)
    session = {"attempts": attempts, "refused_attempts": refused, "session_closed": _online.session_closed(response)}
    warnings = _online.retirement_warnings(args)
    probed = _session.read(response, args, session, warnings) if read_tenant else {}
    before_step = response.step("before")
    if not before_step.ok or not isinstance(before_step.first(), dict):
        _fail(before_step, args, "read", **session)
    before: dict[str, t.Any] = before_step.first()
    changes = drift(before, desired)
    if changes.get("SharedSipAddressSpace") is False:
        # In check mode nothing was sent; otherwise the Set carried the value and
        # Microsoft's refusal is the record the user can quote in a support case.
        record = None if check_mode else response.step("set").error
        raise HostError(UNSUPPORTED_DISABLE, record, federation=before, **session)

    after: dict[str, t.Any] = before | changes
    changed = bool(changes)
    if not check_mode:
        after, changed = _applied(response, args, desired, before, session, warnings)
    warnings.extend(_online.close_warnings(response))
    result: dict[str, t.Any] = {
        "changed": changed,
        "federation": after,
        "federation_before": before,
        "changed_properties": sorted(changes),
        "connector": _online.connector_used(response),
        **probed,
        **session,
        "diff": {"before": _view(before), "after": _view(after)},
    }
    if warnings:
        result["warnings"] = warnings
    return result


def _applied(
    response: _runner.Response,
    args: dict[str, t.Any],
    desired: dict[str, bool],
    before: dict[str, t.Any],
    session: dict[str, t.Any],
    warnings: list[str],
) -> tuple[dict[str, t.Any], bool]:
    """What the Set and the read-back say: the configuration now, and whether the Set ran.

    The read-back is the proof: a value the tenant does not report after an accepted
    Set fails the task; a read-back that itself failed leaves the values sent, with a warning.
    """
    set_step = response.step("set")
    if set_step.status == "error":
        _fail(set_step, args, "change", federation=before, **session)
    changed = set_step.status == "ok"
    after = before | drift(before, desired)
    after_step = response.step("after")
    if after_step.ok and isinstance(after_step.first(), dict):
        after = after_step.first()
    elif changed:
        why = after_step.error.message if after_step.error else after_step.status
        warnings.append(f"The change was made but reading it back failed ({why}); 'federation' shows the values sent.")
    unmet = drift(after, desired)
    if unmet:
        reported = {prop: after.get(prop) for prop in unmet}
        raise HostError(
            Diagnosis(
                "not_applied",
                f"The tenant still reports {reported} after the change was sent.",
                "Replication in the tenant can lag; run the task again in a few minutes.",
            ),
            None,
            federation=after,
            changed=True,
            **session,
        )
    return after, changed


def _view(config: dict[str, t.Any]) -> dict[str, t.Any]:
    return {prop: config[prop] for prop in REPORTED if prop in config}


def _fail(step: _runner.StepResult, args: dict[str, t.Any], verb: str, **extra: t.Any) -> t.NoReturn:
    if step.error and "not supported anymore" in step.error.message.lower():
        raise HostError(UNSUPPORTED_DISABLE, step.error, **extra)
    found, record = _online.step_failure(step, args, f"{verb} it")
    cause = f"Could not {verb} the tenant federation configuration: {found.cause}"
    raise HostError(Diagnosis(found.reason, cause, found.remedy), record, **extra)
