# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base class of the lync.hybrid action plugins (internal use only).

It does what every module needs and an action plugin does not get for free:
argument validation (also in check mode, before anything is sent), masking of
no_log values in results and messages, and one error path that turns controller
and host failures into a failed task with a message instead of a traceback.
Base classes live here rather than in plugins/action so sanity tests see only
real actions there.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible_collections.lync.hybrid.plugins.plugin_utils._errors import HostError

if t.TYPE_CHECKING:
    from ansible.module_utils.common.arg_spec import ValidationResult


# Windows runas lives in Ansible's PowerShell module wrapper, which these raw commands do not use.
BECOME_IGNORED = (
    "become has no effect on lync.hybrid modules: they run as the connecting account. For what needs "
    "another identity (DPAPI, a second hop), see 'The network logon, DPAPI and become' in the user guide."
)


class CsActionBase(ActionBase):
    """Validate, run ``run_module`` and mask; subclasses declare their spec."""

    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    ARGUMENT_SPEC: t.ClassVar[dict[str, dict[str, t.Any]]] = {}
    MUTUALLY_EXCLUSIVE: t.ClassVar[list[list[str]]] = []
    REQUIRED_TOGETHER: t.ClassVar[list[list[str]]] = []
    REQUIRED_ONE_OF: t.ClassVar[list[list[str]]] = []
    REQUIRED_IF: t.ClassVar[list[t.Any]] = []
    REQUIRED_BY: t.ClassVar[dict[str, t.Any]] = {}

    def run_module(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """Do the module's work with validated arguments; return the result fields."""
        raise NotImplementedError

    def run(self, tmp: str | None = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        # Until the validator has listed them, the no_log options' values as given.
        no_log_values = {
            str(value)
            for name, spec in self.ARGUMENT_SPEC.items()
            if spec.get("no_log") and (value := self._task.args.get(name)) not in (None, "")
        }
        try:
            validation = self._validate()
            no_log_values = validation._no_log_values
            not_strings = self._not_strings()
            if validation.error_messages or not_strings:
                raise AnsibleActionFail(self._validation_message(validation, not_strings))
            result.update(self.run_module(validation.validated_parameters, task_vars or {}))
        except HostError as exc:
            result.update(exc.to_result())
        except AnsibleConnectionFailure as exc:
            # Unreachable is the right outcome; the message still must not carry a secret.
            raise AnsibleConnectionFailure(remove_values(exc.message, no_log_values)) from None
        except AnsibleError as exc:
            result.update(failed=True, msg=exc.message)
        except Exception as exc:  # a controller bug must still fail the task, masked, without a traceback
            result.update(failed=True, msg=f"lync.hybrid internal error ({type(exc).__name__}): {exc}")
        result.setdefault("changed", False)
        if not self._task.diff:
            result.pop("diff", None)
        if self._play_context.become:
            result["warnings"] = [*result.get("warnings", []), BECOME_IGNORED]
        return remove_values(result, no_log_values)

    def _low_level_execute_command(self, *args: t.Any, **kwargs: t.Any) -> dict[str, t.Any]:
        """Run the command; a transport failure makes the host unreachable with a message to act on.

        The winrm connection plugin turns only timeouts into AnsibleConnectionFailure. A dropped
        connection, an HTTP error from the WinRM service or pywinrm tripping over the reply that
        follows one escape as library exceptions, which Ansible prints as a bare repr (for example
        "Task failed: 'content-type'") that says neither what happened nor what to do.
        """
        try:
            return super()._low_level_execute_command(*args, **kwargs)
        except AnsibleError:
            raise
        except Exception as exc:
            if not _from_transport(exc):
                raise
            host = getattr(self._play_context, "remote_addr", None) or "the host"
            raise AnsibleConnectionFailure(transport_failure_message(host, exc)) from None

    def _validate(self) -> ValidationResult:
        validator = ArgumentSpecValidator(
            self.ARGUMENT_SPEC,
            mutually_exclusive=self.MUTUALLY_EXCLUSIVE or None,
            required_together=self.REQUIRED_TOGETHER or None,
            required_one_of=self.REQUIRED_ONE_OF or None,
            required_if=self.REQUIRED_IF or None,
            required_by=self.REQUIRED_BY or None,
        )
        try:
            return validator.validate(dict(self._task.args))
        except ArithmeticError as exc:
            # ansible-core's int conversion lets OverflowError escape for an infinite float
            # (retries: .inf in YAML) instead of reporting a type error.
            raise AnsibleActionFail(
                f"Invalid options for {self._task.action}: a value cannot be converted to its option's type ({exc})."
            ) from None

    def _not_strings(self) -> list[str]:
        """String options given a list or a mapping, which the validator would turn into their repr.

        ArgumentSpecValidator converts any value to a string for type=str, so a templated list
        (``username: "{{ admins }}"``) would reach the tenant as "['admin@contoso.com']" and fail
        there with a misleading message. Scalars still convert (``version: 6.1``).
        """
        problems = []
        for name, spec in self.ARGUMENT_SPEC.items():
            value = self._task.args.get(name)
            if spec.get("type", "str") == "str" and isinstance(value, (list, tuple, set, dict)):
                kind = "a mapping" if isinstance(value, dict) else "a list"
                problems.append(f"the option '{name}' must be a string, not {kind}")
        return problems

    def _validation_message(self, validation: ValidationResult, not_strings: t.Sequence[str] = ()) -> str:
        messages = []
        for error in validation.errors.errors:
            prefix = "unsupported option " if isinstance(error, UnsupportedError) else ""
            messages.append(f"{prefix}{error.msg}")
        messages.extend(not_strings)
        return f"Invalid options for {self._task.action}: {'; '.join(messages)}"


TRANSPORT_LIBRARIES = ("winrm", "requests", "urllib3", "spnego", "pypsrp", "paramiko", "http")


def _from_transport(exc: BaseException) -> bool:
    """Only failures of the connection libraries make a host unreachable; a bug here stays a bug.

    pywinrm can fail with a plain KeyError (a reply without Content-Type after a dropped
    connection), so where the exception was raised counts as much as its type.
    """
    if isinstance(exc, OSError) or type(exc).__module__.partition(".")[0] in TRANSPORT_LIBRARIES:
        return True
    frame = None
    trace = exc.__traceback__
    while trace is not None:
        frame, trace = trace.tb_frame, trace.tb_next
    origin = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
    return origin.partition(".")[0] in TRANSPORT_LIBRARIES or origin.startswith("ansible.plugins.connection")


def transport_failure_message(host: str, exc: BaseException) -> str:
    """Cause and remedy of a failed WinRM exchange, for any connection plugin's exception."""
    return (
        f"The WinRM connection to {host} failed while the lync.hybrid command ran ({_transport_cause(exc)}). The "
        "command may not have started, or may have finished without its result arriving. Check that the host and "
        "its WinRM service answer (Test-WSMan, the network in between), then run the task again: lync.hybrid "
        "modules change only what still differs."
    )


def _transport_cause(exc: BaseException) -> str:
    """The failure a person recognises, from an exception and the ones it was raised while handling.

    After a dropped connection pywinrm's cleanup fails again (HTTP 400, a missing header) and
    that follow-up error is the one raised, so the chain is searched: a closed connection first,
    then what the HTTP and WinRM client libraries said (an HTTP status, a WS-Management fault),
    then the exception itself.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, ConnectionError):  # reset, refused, aborted, closed without a response
            return f"the connection was closed: {str(item) or type(item).__name__}"
    for item in chain:
        if type(item).__module__.partition(".")[0] in ("winrm", "requests", "urllib3") and str(item):
            return str(item)
    return str(exc) or type(exc).__name__
