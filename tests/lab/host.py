"""The lab's Windows host: what happens to a command after WinRS hands it to the machine.

It accepts exactly one program: ``PowerShell -EncodedCommand <the collection's bootstrap>``
with ``{"runner": <runner.ps1>, "request": ...}`` on stdin, and then plays that runner
(runner_sim) against the simulated cmdlets and the state. Anything else is answered the
way Windows would answer a command the lab cannot run: an empty stdout, exit code 1 and a
PowerShell (CLIXML) or cmd.exe error on stderr. The lab never executes what it is sent,
so ``ansible -m raw`` or a module that is not the runner fails cleanly instead.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import threading
import zlib
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from . import runner_sim
from .cmdlets import PSError, Runtime, Shell
from .cmdlets.base import ErrorRecord
from .cmdlets.online import end_of_process
from .journal import Journal
from .state import LabState
from .values import ps_member
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


def _parse_json(text: str) -> Any:
    """ConvertFrom-Json (5.1): keys that differ only by case are an error there, so they are here."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, str] = {}
        for key, _value in items:
            if key.lower() in seen:
                raise ValueError(
                    "Cannot convert the JSON string because a dictionary that was converted from the string contains "
                    f"the duplicated keys '{seen[key.lower()]}' and '{key}'."
                )
            seen[key.lower()] = key
        return dict(items)

    return json.loads(text, object_pairs_hook=pairs)


def compact_runner(text: str) -> str:
    """runner.ps1 as the collection sends it (docs/architecture.md): each line stripped, blank and
    comment-only lines dropped. Anything else on stdin is not the collection's runner."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("#"))


class _BootstrapFailure(Exception):
    """The bootstrap line failed before the runner started (bad base64 or gzip on stdin)."""

    def __init__(self, reason: str, record: ErrorRecord, invocation: str) -> None:
        super().__init__(record.message)
        self.reason = reason
        self.record = record
        self.invocation = invocation


def _method_failure(method: str, arguments: int, message: str, fqid: str) -> ErrorRecord:
    """A .NET method that throws inside PowerShell: MethodInvocationException wrapping the .NET error."""
    return ErrorRecord(
        f'Exception calling "{method}" with "{arguments}" argument(s): "{message}"',
        fqid,
        "NotSpecified",
        "System.Management.Automation.MethodInvocationException",
    )


def _unpack(text: str) -> str:
    """What bootstrap.ps1 does with stdin: base64, then gzip, then UTF-8 text."""
    try:
        packed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        message = (
            "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two "
            "padding characters, or an illegal character among the padding characters. "
        )
        raise _BootstrapFailure(
            "stdin is not base64", _method_failure("FromBase64String", 1, message, "FormatException"), "[Convert]"
        ) from None
    try:
        return gzip.decompress(packed).decode("utf-8", errors="replace")
    except (OSError, EOFError, zlib.error):
        message = "The magic number in GZip header is not correct. Make sure you are passing in a GZip stream."
        raise _BootstrapFailure(
            "stdin is not gzip", _method_failure("ReadToEnd", 0, message, "InvalidDataException"), "ReadToEnd"
        ) from None


class LabHost:
    """The machine behind the WinRM listener (``LabServer(host=LabHost(...))``).

    Args:
        state: the loaded state; cmdlets change it in place and it lives as long as the host.
        journal: gets ``command``, ``cmdlet``, ``online_session`` and ``change`` events.
    """

    def __init__(self, state: LabState, journal: Journal) -> None:
        self.state = state
        self.journal = journal
        self.bootstrap = normalize((PLUGIN_UTILS / "bootstrap.ps1").read_text(encoding="utf-8"))
        self.runner = compact_runner((PLUGIN_UTILS / "runner.ps1").read_text(encoding="utf-8"))
        self.runtime = Runtime(busy_connects_left=state.faults["online_busy_connects"])
        self._lock = threading.Lock()  # one command at a time: the state is shared
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
        text = stdin.decode("cp437")
        try:
            document = _unpack(text)
        except _BootstrapFailure as exc:
            self.journal.write("command", command=script, accepted=False, reason=exc.reason)
            return self._fail(exc.record, exc.invocation)
        try:
            payload = _parse_json(document) if document.strip() else None
        except ValueError as exc:
            self.journal.write("command", command=script, accepted=False, reason="stdin is not JSON")
            detail = str(exc) if "duplicated keys" in str(exc) else f"Invalid JSON primitive: {document.strip()[:40]}."
            record = ErrorRecord(
                detail,
                "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
                "NotSpecified",
                "System.ArgumentException",
            )
            return self._fail(record, "ConvertFrom-Json")
        runner = ps_member(payload, "runner") if isinstance(payload, dict) else None
        if runner != self.runner:
            self.journal.write("command", command=script, accepted=False, reason="runner differs from runner.ps1")
            record = ErrorRecord(
                "The lab host only runs the lync.hybrid runner (plugins/plugin_utils/runner.ps1 as it was when the "
                "lab started); the runner sent on stdin differs from it.",
                "LabRunnerMismatch",
                "SecurityError",
                "System.Management.Automation.PSSecurityException",
            )
            return self._fail(record, "ScriptBlock")
        self.journal.write("command", command=script, accepted=True)
        request = ps_member(payload, "request")
        if request is None:
            record = ErrorRecord(
                "Cannot bind argument to parameter 'Request' because it is null.",
                "ParameterArgumentValidationErrorNullNotAllowed",
                "InvalidData",
                "System.Management.Automation.ParameterBindingValidationException",
            )
            return self._fail(record, "")
        shell = Shell(self.state, self.journal, self.runtime)
        try:
            output = runner_sim.run(shell, request)
        except PSError as exc:  # pragma: no cover - the runner catches everything in its try
            return self._fail(exc.record, "", self._host_text(shell))
        finally:
            end_of_process(shell)
        return CommandResult((self._host_text(shell) + output).encode("utf-8"), b"", 0)

    @staticmethod
    def _host_text(shell: Shell) -> str:
        """What cmdlets wrote to the console (What if: lines, warnings) before the runner's own output."""
        return "".join(line + "\r\n" for line in shell.host_lines)
