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
        validation = self._validate()
        no_log_values = validation._no_log_values
        try:
            if validation.error_messages:
                raise AnsibleActionFail(self._validation_message(validation))
            result.update(self.run_module(validation.validated_parameters, task_vars or {}))
        except HostError as exc:
            result.update(exc.to_result())
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=exc.message)
        result.setdefault("changed", False)
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
        return validator.validate(dict(self._task.args))

    def _validation_message(self, validation: ValidationResult) -> str:
        messages = []
        for error in validation.errors.errors:
            prefix = "unsupported option " if isinstance(error, UnsupportedError) else ""
            messages.append(f"{prefix}{error.msg}")
        return f"Invalid options for {self._task.action}: {'; '.join(messages)}"


def transport_failure_message(host: str, exc: BaseException) -> str:
    """Cause and remedy of a failed WinRM exchange; the innermost exception names what broke.

    Exceptions raised while pywinrm cleans up after a dropped connection chain to the original
    one, so the end of the chain is the cause a person can recognise (the connection closed, an
    HTTP status), not the follow-up error.
    """
    root: BaseException = exc
    seen = {id(exc)}
    while (nested := root.__cause__ or root.__context__) is not None and id(nested) not in seen:
        seen.add(id(nested))
        root = nested
    detail = str(root).strip() or type(root).__name__
    return (
        f"The WinRM connection to {host} failed while the lync.hybrid command ran ({detail}). The command may not "
        "have started, or may have finished without its result arriving. Check that the host and its WinRM service "
        "answer (Test-WSMan, the network in between), then run the task again: lync.hybrid modules change only "
        "what still differs."
    )
