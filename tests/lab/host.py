"""The lab's Windows host: what happens to a command after WinRS hands it to the machine.

It accepts exactly one program: ``PowerShell -EncodedCommand <the collection's bootstrap>``
with ``{"runner": <runner.ps1>, "request": ...}`` on stdin. The bootstrap text itself is then
interpreted (tests/lab/pwsh) with stdin as ``$input``: it decodes the payload, creates the
script block from ``runner`` (where the lab refuses any text but the collection's runner) and
calls it with ``-Request``; the runner's cmdlet calls reach the simulated cmdlets and the
state. Anything else is answered the way Windows would answer a command the lab cannot run:
an empty stdout, exit code 1 and a PowerShell (CLIXML) or cmd.exe error on stderr, so
``ansible -m raw`` or a module that is not the runner fails cleanly instead.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from .cmdlets import PSError, Runtime, Shell
from .cmdlets.base import ErrorRecord
from .cmdlets.online import end_of_process
from .journal import Journal
from .pwsh import Interpreter, ParseError, Unsupported
from .pwsh.convert import to_string
from .state import LabState
from .wsman import encoded_script

REPO = Path(__file__).resolve().parents[2]
PLUGIN_UTILS = REPO / "plugins" / "plugin_utils"
CLIXML_HEAD = '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'


class CommandResult(NamedTuple):
    """What the program wrote and its exit code, as WinRS returns them."""

    stdout: bytes
    stderr: bytes
    rc: int


def normalize(script: str) -> str:
    """Every line stripped, blank lines dropped: ansible-core 2.20 sends a script so, 2.21 as written."""
    return "\n".join(line.strip() for line in script.splitlines() if line.strip())


def clixml(lines: list[str]) -> bytes:
    """stderr as powershell.exe writes it when its output is redirected: CLIXML error strings."""
    body = "".join(
        f'<S S="Error">{escape(line).replace(chr(13), "_x000D_").replace(chr(10), "_x000A_")}_x000D__x000A_</S>'
        for line in lines
    )
    return (CLIXML_HEAD + body + "</Objs>").encode("utf-8")


def error_text(record: ErrorRecord, invocation: str, script_line: str) -> list[str]:
    """An error record formatted like the console host's error view (one CLIXML string per line)."""
    short = record.exception.rsplit(".", 1)[-1]
    activity = "" if record.fqid == "CommandNotFoundException" else invocation
    target = f"({record.target}:String)" if record.target else "(:)"
    underline = "~" * max(1, min(len(script_line), len(invocation) or len(script_line)))
    lines = [f"{invocation} : {record.message}" if invocation else record.message]
    lines += [
        "At line:1 char:1",
        f"+ {script_line}",
        f"+ {underline}",
        f"    + CategoryInfo          : {record.category}: {target} [{activity}], {short}",
        f"    + FullyQualifiedErrorId : {record.fqid}",
        " ",
    ]
    return lines


_STATEMENT = re.compile(r"^\s*(?:\$[\w:]+\s*=\s*)?[&.]?\s*(?P<term>[^\s;|(){}'\"$]+)")


def first_term(script: str) -> str:
    """The command PowerShell would try first: skips assignments and empty statements."""
    for statement in re.split(r"[;\n]", script):
        match = _STATEMENT.match(statement)
        if match and not re.fullmatch(r"[\d.]+", match["term"]):
            return match["term"]
    return script.strip().split()[0] if script.strip() else ""


def shipped(name: str) -> str:
    """A PowerShell file the collection ships (plugins/plugin_utils), as the lab host reads it at start."""
    return (PLUGIN_UTILS / name).read_text(encoding="utf-8")


def compact_runner(text: str) -> str:
    """runner.ps1 as the collection sends it (docs/architecture.md): each line stripped, blank and
    comment-only lines dropped. Anything else on stdin is not the collection's runner."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("#"))


_REASONS = {
    "FormatException": "stdin is not base64",
    "InvalidDataException": "stdin is not gzip",
    "System.ArgumentException": "stdin is not JSON",
}


class _RunnerGate:
    """``[ScriptBlock]::Create`` in the bootstrap: the lab creates a script block from the collection's runner
    (as the lab read it at start) and from nothing else, so a changed runner cannot run unnoticed."""

    def __init__(self, runner: str, journal: Journal, script: str) -> None:
        self.runner = runner
        self.journal = journal
        self.script = script
        self.reached = False

    def __call__(self, text: str) -> None:
        self.reached = True
        if text != self.runner:
            self.journal.write("command", command=self.script, accepted=False, reason="runner differs from runner.ps1")
            raise PSError(
                ErrorRecord(
                    "The lab host only runs the lync.hybrid runner (plugins/plugin_utils/runner.ps1 as it was when "
                    "the lab started); the runner sent on stdin differs from it.",
                    "LabRunnerMismatch",
                    "SecurityError",
                    "System.Management.Automation.PSSecurityException",
                )
            )
        self.journal.write("command", command=self.script, accepted=True)


class LabHost:
    """The machine behind the WinRM listener (``LabServer(host=LabHost(...))``).

    Args:
        state: the loaded state; cmdlets change it in place and it lives as long as the host.
        journal: gets ``command``, ``cmdlet``, ``online_session`` and ``change`` events.
    """

    def __init__(self, state: LabState, journal: Journal) -> None:
        self.state = state
        self.journal = journal
        self.bootstrap = normalize(shipped("bootstrap.ps1"))
        self.runner = compact_runner(shipped("runner.ps1"))
        self.runtime = Runtime(busy_connects_left=state.faults["online_busy_connects"])
        self._lock = threading.Lock()  # one command at a time: the state is shared
        # What module logging would have recorded, UNMASKED (the journal masks secrets on write): tests look
        # here for a secret that reached a cmdlet's parameters or pipeline input (tests/lab/pwsh/modulelog.py).
        self.module_log: list[dict[str, Any]] = []
        for secret in state.secrets():
            journal.add_secret(secret)

    def run_command(self, command: str, arguments: list[str], stdin: bytes) -> CommandResult:
        with self._lock:
            return self._run(command, arguments, stdin)

    def _run(self, command: str, arguments: list[str], stdin: bytes) -> CommandResult:
        program = command.strip().strip('"').replace("/", "\\").rsplit("\\", 1)[-1].lower()
        if program not in ("powershell", "powershell.exe"):
            self.journal.write(
                "command", command=" ".join([command, *arguments]), accepted=False, reason="not PowerShell"
            )
            message = f"'{command}' is not recognized as an internal or external command,\r\n"
            return CommandResult(b"", (message + "operable program or batch file.\r\n").encode("utf-8"), 1)
        script = encoded_script(arguments)
        if script is None:
            script = self._command_argument(arguments, stdin)
        if normalize(script) != self.bootstrap:
            return self._refuse_script(script)
        return self._bootstrap(script, stdin)

    @staticmethod
    def _command_argument(arguments: list[str], stdin: bytes) -> str:
        """``-Command <text>`` (or ``-Command -``: the script comes on stdin)."""
        for index, arg in enumerate(arguments):
            if arg.lower() in ("-command", "-c", "/command", "/c"):
                rest = arguments[index + 1 :]
                if rest == ["-"]:
                    return stdin.decode("utf-8", errors="replace")
                return " ".join(rest)
        return ""

    def _refuse_script(self, script: str) -> CommandResult:
        term = first_term(script)
        self.journal.write("command", command=script, accepted=False, reason=f"not the lync.hybrid bootstrap ({term})")
        record = ErrorRecord(
            f"The term '{term}' is not recognized as the name of a cmdlet, function, script file, or operable program. "
            "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
            "CommandNotFoundException",
            "ObjectNotFound",
            "System.Management.Automation.CommandNotFoundException",
            term,
        )
        first_line = next((line.strip() for line in script.splitlines() if line.strip()), "")
        return CommandResult(b"", clixml(error_text(record, term, first_line)), 1)

    def _fail(self, record: ErrorRecord, invocation: str, stdout: str = "") -> CommandResult:
        return CommandResult(stdout.encode("utf-8"), clixml(error_text(record, invocation, self.bootstrap)), 1)

    def _bootstrap(self, script: str, stdin: bytes) -> CommandResult:
        # $input | Out-String reads stdin in the console code page: ASCII survives, the rest is mangled.
        lines = stdin.decode("cp437").splitlines()
        shell = Shell(self.state, self.journal, self.runtime)
        gate = _RunnerGate(self.runner, self.journal, script)
        interpreter = Interpreter(shell, gate, self.state.host["powershell_version"], self._module_log)
        try:
            output = interpreter.run(self.bootstrap, lines)
        except PSError as exc:
            if not gate.reached:
                reason = _REASONS.get(exc.record.fqid.split(",")[0], exc.record.fqid)
                self.journal.write("command", command=script, accepted=False, reason=reason)
            return self._fail(exc.record, getattr(exc, "command", ""), self._host_text(shell))
        except (Unsupported, ParseError) as exc:
            self.journal.write("command", command=script, accepted=False, reason=f"lab cannot interpret: {exc}")
            return CommandResult(b"", clixml([f"The lab cannot interpret this PowerShell: {exc}"]), 1)
        finally:
            end_of_process(shell)
        stderr = b""
        if interpreter.errors:
            stderr = clixml([line for record in interpreter.errors for line in error_text(record, "", self.bootstrap)])
        text = "".join(to_string(item) + "\r\n" for item in output)  # Out-Default: one line per object
        return CommandResult((self._host_text(shell) + text).encode("utf-8"), stderr, 0)

    def _module_log(self, entry: dict[str, Any]) -> None:
        self.module_log.append(entry)
        self.journal.write("module_log", **entry)

    @staticmethod
    def _host_text(shell: Shell) -> str:
        """What cmdlets wrote to the console (What if: lines, warnings) before the runner's own output."""
        return "".join(line + "\r\n" for line in shell.host_lines)
