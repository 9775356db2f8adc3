"""Build a lync.hybrid action plugin the way the task executor does, minus the network.

The connection is ansible-core's own winrm connection plugin, with only the three calls
that talk WS-Management replaced: it picks its shell plugin, builds the command line and
streams stdin exactly as it does against a real host, and hands the command to a callable
standing in for the host (normally an in-process lab host, so the real runner protocol is
exercised). When a new ansible-core changes the shell, the command line or the stdin
framing, these tests see it.
"""

from __future__ import annotations

import typing as t

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import action_loader, connection_loader
from ansible.template import Templar

HostCallable = t.Callable[[str, list[str], bytes], tuple[bytes, bytes, int]]
WinRMConnection = connection_loader.get("winrm", class_only=True)


class _NoProtocol:
    """What the winrm plugin's cleanup call reaches; there is no remote command to clean up."""

    def cleanup_command(self, shell_id: str, command_id: str) -> None:
        return None


class HostConnection(WinRMConnection):  # type: ignore[misc, valid-type]
    """ansible-core's winrm connection whose WS-Management exchange is a call to ``host``."""

    def __init__(self, host: HostCallable) -> None:
        super().__init__(PlayContext(), None)
        self._host = host
        self._connected = True
        self._winrm_host = "lab"
        self.shell_id = "lab-shell"
        self.protocol = _NoProtocol()
        self.commands: list[tuple[str, list[str], bytes]] = []
        self._pending: tuple[str, list[str]] | None = None
        self._stdin = b""

    def _winrm_run_command(self, command: bytes, args: tuple[bytes, ...], console_mode_stdin: bool = False) -> str:
        self._pending = (command.decode("utf-8"), [arg.decode("utf-8") for arg in args])
        self._stdin = b""
        return "lab-command"

    def _winrm_write_stdin(self, command_id: str, stdin_iterator: t.Iterable[tuple[bytes, bool]]) -> None:
        for chunk, _eof in stdin_iterator:
            self._stdin += chunk

    def _winrm_get_command_output(
        self, protocol: t.Any, shell_id: str, command_id: str, try_once: bool = False
    ) -> tuple[bytes, bytes, int]:
        assert self._pending is not None, "output asked for before a command ran"
        command, arguments = self._pending
        self.commands.append((command, arguments, self._stdin))
        stdout, stderr, rc = self._host(command, arguments, self._stdin)
        return stdout, stderr, rc


def make_action(
    name: str,
    args: dict[str, t.Any],
    host: HostCallable,
    *,
    check_mode: bool = False,
    diff: bool = False,
    become: bool = False,
) -> tuple[t.Any, HostConnection]:
    """Return (action plugin, connection) ready for ``.run(task_vars={})``."""
    task = Task()
    task.action = f"lync.hybrid.{name}"
    task.args = dict(args)
    task.check_mode = check_mode
    task.diff = diff
    task.become = become
    play_context = PlayContext()
    play_context.become = become  # what the task executor derives from the task and ansible_become
    connection = HostConnection(host)
    loader = DataLoader()
    action = action_loader.get(
        f"lync.hybrid.{name}",
        task=task,
        connection=connection,
        play_context=play_context,
        loader=loader,
        templar=Templar(loader=loader),
        shared_loader_obj=None,
    )
    return action, connection
