"""Build a lync.hybrid action plugin the way the task executor does, minus the network.

The connection is the only double: it encodes the command exactly as the winrm
connection plugin does and hands it to a callable standing in for the host
(normally an in-process lab host, so the real runner protocol is exercised).
"""

from __future__ import annotations

import typing as t

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import action_loader, shell_loader
from ansible.template import Templar

HostCallable = t.Callable[[str, list[str], bytes], tuple[bytes, bytes, int]]


class HostConnection:
    """Stands in for ansible's winrm connection: same encoding, no WS-Management."""

    transport = "lync.hybrid.in_process"
    allow_executable = False
    become = None

    def __init__(self, host: HostCallable) -> None:
        self._shell = shell_loader.get("powershell")
        self._host = host
        self.commands: list[tuple[str, list[str], bytes]] = []

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        parts = self._shell._encode_script(cmd, as_list=True, strict_mode=False, preserve_rc=False)
        stdin = in_data or b""
        self.commands.append((parts[0], parts[1:], stdin))
        stdout, stderr, rc = self._host(parts[0], parts[1:], stdin)
        return rc, stdout, stderr


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
