# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The on-premises hosting provider for Microsoft 365: read, compare, change only on drift (internal use only).

Microsoft's procedure ("Configure Skype for Business hybrid", see ``_clouds``) creates the provider
with New-CsHostingProvider. Set-CsHostingProvider can change every documented value except
ProxyFqdn (its page has no -ProxyFqdn), so a provider with a wrong ProxyFqdn can only be removed
and created again, which this module does only when the task says ``replace: true``.

One command per task when nothing has to be removed, planned so that the host decides on what it reads in
the same command: ``target`` reads the provider; ``new`` runs only when the identity is absent
(``when_differs`` on Identity); ``current`` reads it again; ``set`` sends only the drifted values.
ProxyFqdn is among the values ``set`` compares: if it differs, PowerShell refuses to bind
-ProxyFqdn to Set-CsHostingProvider before the cmdlet runs, so nothing changes and the controller
reports (or, with ``replace``, performs in a second command) the documented remove + new.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible_collections.lync.hybrid.plugins.plugin_utils import _clouds, _runner
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import Diagnosis, HostError, diagnose

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

ONPREM_MODULES = ("SkypeForBusiness", "Lync")
# What Get-CsHostingProvider returns that this module reports (Identity first).
REPORTED = (
    "Identity",
    "ProxyFqdn",
    "Enabled",
    "EnabledSharedAddressSpace",
    "HostsOCSUsers",
    "VerificationLevel",
    "IsLocal",
    "AutodiscoverUrl",
)

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "identity": {"type": "str", "default": "Office365"},
    "cloud": {"type": "str", "choices": _clouds.CHOICES, "default": _clouds.DEFAULT},
    "replace": {"type": "bool", "default": False},
}


def desired_values(cloud: _clouds.Cloud) -> dict[str, t.Any]:
    """The documented provider for a cloud (New-CsHostingProvider in "Configure Skype for Business hybrid").

    The readiness checks compare with the same values, so the check and the fix cannot disagree.
    """
    return {
        "ProxyFqdn": cloud.proxy_fqdn,
        "Enabled": True,
        "EnabledSharedAddressSpace": True,
        "HostsOCSUsers": True,
        "VerificationLevel": "UseSourceVerification",
        "IsLocal": False,
        "AutodiscoverUrl": cloud.autodiscover_url,
    }


def check_options(args: dict[str, t.Any]) -> None:
    identity = str(args["identity"] or "").strip()
    if not identity or any(ch in identity for ch in "*?[]/\\"):
        raise AnsibleActionFail(
            f"Invalid identity {args['identity']!r}: give the hosting provider's name (for example Office365), "
            "without wildcards or path separators."
        )


def _read(step_id: str, identity: str) -> _runner.Step:
    # -Filter matches the identity like -Identity but returns nothing, not an error, when it is absent.
    return _runner.Step(step_id, "Get-CsHostingProvider", {"Filter": identity}, select=REPORTED)


def build_steps(args: dict[str, t.Any], check_mode: bool) -> list[_runner.Step]:
    identity, desired = args["identity"], desired_values(_clouds.get(args["cloud"]))
    steps = [_runner.Step("all", "Get-CsHostingProvider", select=REPORTED), _read("target", identity)]
    if check_mode:
        return steps
    if args["state"] == "absent":
        # Removal is planned from the read (a second command, only when the provider exists):
        # when_differs can gate a step on absence, not on presence.
        return steps
    settable = {key: value for key, value in desired.items() if key != "ProxyFqdn"}
    return [
        *steps,
        _runner.Step(
            "new",
            "New-CsHostingProvider",
            {**desired, "Force": True},
            when_differs={"step": "target", "values": {"Identity": identity}},
        ),
        _read("current", identity),
        _runner.Step(
            "set",
            "Set-CsHostingProvider",
            {"Identity": identity, "Force": True},
            when_differs={"step": "current", "values": {"ProxyFqdn": desired["ProxyFqdn"], **settable}},
        ),
        _read("after", identity),
    ]


def replace_steps(args: dict[str, t.Any]) -> list[_runner.Step]:
    """Microsoft's documented fix for a wrong ProxyFqdn: remove, then create with every value."""
    identity, desired = args["identity"], desired_values(_clouds.get(args["cloud"]))
    return [
        _read("target", identity),
        _runner.Step("remove", "Remove-CsHostingProvider", {"Identity": identity, "Force": True}),
        _runner.Step("new", "New-CsHostingProvider", {"Identity": identity, **desired, "Force": True}),
        _read("after", identity),
    ]


def drift(before: dict[str, t.Any] | None, desired: dict[str, t.Any]) -> dict[str, t.Any]:
    if before is None:
        return dict(desired)
    return {key: value for key, value in desired.items() if before.get(key) != value}


def manage(action: ActionBase, args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """Bring the provider to the documented values (or remove it); return the module result."""
    check_options(args)
    identity, cloud = args["identity"], _clouds.get(args["cloud"])
    desired = desired_values(cloud)
    response = _execute(action, build_steps(args, check_mode))
    providers = _objects(response.step("all"), "read the hosting providers")
    before = _first(response.step("target"), "read the hosting provider")
    common = {"cloud": cloud.key, "hosting_providers_before": providers}

    if args["state"] == "absent":
        changed = before is not None
        if not check_mode and changed:
            remove = _runner.Step("remove", "Remove-CsHostingProvider", {"Identity": identity, "Force": True})
            response = _execute(action, [remove, _read("after", identity)])
            _require_ok(response.step("remove"), "remove the hosting provider")
            if _first(response.step("after"), "read the hosting provider back") is not None:
                raise HostError(_not_applied(f"Hosting provider {identity} still exists after the removal."))
        return _result(changed, before, None, [], False, common)

    changes = drift(before, desired)
    wrong_proxy = before is not None and "ProxyFqdn" in changes
    conflicts = [
        p["Identity"]
        for p in providers
        if str(p.get("ProxyFqdn", "")).lower() == cloud.proxy_fqdn
        and str(p.get("Identity")).lower() != identity.lower()
    ]
    if before is None and conflicts:
        raise HostError(
            Diagnosis(
                "proxy_fqdn_in_use",
                f"Hosting provider {conflicts[0]} already points at {cloud.proxy_fqdn}; a second provider with the "
                "same ProxyFqdn cannot be created.",
                f"Manage that provider instead (identity: {conflicts[0]}), or remove it first.",
            ),
            None,
            **common,
        )
    if wrong_proxy and not args["replace"]:
        # Nothing was changed: the Set (if sent) was refused at binding, before it ran.
        raise HostError(
            Diagnosis(
                "replace_required",
                f"Hosting provider {identity} points at {before.get('ProxyFqdn')}, not {cloud.proxy_fqdn} "
                f"({cloud.name}); Set-CsHostingProvider cannot change ProxyFqdn.",
                "Set replace=true to remove and re-create it with the documented values (Microsoft's documented "
                "procedure; federation with the cloud is interrupted between the two commands, a few seconds).",
            ),
            None,
            hosting_provider=before,
            changed=False,
            **common,
        )
    after = desired if before is None else {**before, **changes}
    after = {"Identity": identity, **after}
    changed = bool(changes)
    if check_mode or not changed:
        return _result(changed, before, after, sorted(changes), wrong_proxy, common)
    if wrong_proxy:
        response = _execute(action, replace_steps(args))
        _require_ok(response.step("remove"), "remove the hosting provider before re-creating it")
        _require_ok(response.step("new"), "create the hosting provider")
    else:
        _require_ok(response.step("new"), "create the hosting provider")
        _require_ok(response.step("set"), "change the hosting provider")
    read_back = _first(response.step("after"), "read the hosting provider back")
    unmet = drift(read_back, desired)
    if unmet:
        raise HostError(
            _not_applied(f"Hosting provider {identity} still differs after the change: {sorted(unmet)}."),
            None,
            hosting_provider=read_back,
            changed=True,
            **common,
        )
    return _result(True, before, read_back, sorted(changes), wrong_proxy, common)


def _result(
    changed: bool,
    before: dict[str, t.Any] | None,
    after: dict[str, t.Any] | None,
    changed_properties: list[str],
    replaced: bool,
    common: dict[str, t.Any],
) -> dict[str, t.Any]:
    before_view = _view(before)
    after_view = _view(after)
    if replaced:
        # The diff says how, not only what: ProxyFqdn is never changed in place.
        after_view["_action"] = "remove and re-create (Set-CsHostingProvider cannot change ProxyFqdn)"
    return {
        "changed": changed,
        "hosting_provider": after,
        "hosting_provider_before": before,
        "changed_properties": changed_properties,
        "replaced": replaced and changed,
        **common,
        "diff": {"before": before_view, "after": after_view},
    }


def _view(provider: dict[str, t.Any] | None) -> dict[str, t.Any]:
    if provider is None:
        return {}
    return {key: provider[key] for key in REPORTED if key in provider}


def _execute(action: ActionBase, steps: list[_runner.Step]) -> _runner.Response:
    response = _runner.execute(action, _runner.Request(steps=tuple(steps), onprem_modules=ONPREM_MODULES))
    if response.error is not None:
        fail_onprem(response.error)
    return response


def fail_onprem(error: _runner.ErrorRecord) -> t.NoReturn:
    """The management module did not load: say so, not a tenant logon problem."""
    found = diagnose(error)
    if found.reason != "onprem_module_missing":
        found = Diagnosis(
            "onprem_module_failed",
            f"The Lync management shell could not be used: {error.message.rstrip('.')}.",
            "Check that the connecting account is a member of RTCUniversalServerAdmins and that the management "
            "shell opens on this server.",
        )
    raise HostError(found, error)


def _objects(step: _runner.StepResult, verb: str) -> list[dict[str, t.Any]]:
    _require_ok(step, verb)
    return [row for row in step.output if isinstance(row, dict)]


def _first(step: _runner.StepResult, verb: str) -> dict[str, t.Any] | None:
    rows = _objects(step, verb)
    return rows[0] if rows else None


def _require_ok(step: _runner.StepResult, verb: str) -> None:
    if step.status in ("ok", "skipped"):
        return
    record = step.error
    why = record.message.rstrip(".") if record else f"the step was {step.status}"
    raise HostError(
        Diagnosis(
            "host_error",
            f"Could not {verb}: {why}.",
            "Nothing after this step ran; read error_record, fix the cause and run the task again.",
        ),
        record,
    )


def _not_applied(cause: str) -> Diagnosis:
    return Diagnosis(
        "not_applied",
        cause,
        "Central management store replication can lag; run the task again in a minute.",
    )
