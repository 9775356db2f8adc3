"""WS-Management / WinRS messages for the lab's fake Windows host.

This module knows the SOAP side of a Windows Remote Shell ([MS-WSMV]): it parses the
Create / Command / Send / Receive / Signal / Delete requests that pywinrm sends and
answers them in the shapes a real Windows host uses (prefixes s, a, x, w, rsp, p; faults
with a ``WSManFault Code=``), so the real ansible winrm connection plugin can be tested
against it. It runs nothing itself: a command is handed to a *host* object once its
stdin is complete. HTTP, authentication and fault injection live in ``server.py``.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Protocol
from xml.sax.saxutils import escape, quoteattr

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_MS_WSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"

CMD_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
STATE_DONE = f"{NS_SHELL}/CommandState/Done"
STATE_RUNNING = f"{NS_SHELL}/CommandState/Running"
SIGNAL_TERMINATE = f"{NS_SHELL}/signal/terminate"

ACTIONS = {
    f"{NS_TRANSFER}/Create": "Create",
    f"{NS_TRANSFER}/Delete": "Delete",
    f"{NS_SHELL}/Command": "Command",
    f"{NS_SHELL}/Send": "Send",
    f"{NS_SHELL}/Receive": "Receive",
    f"{NS_SHELL}/Signal": "Signal",
}

# WSManFault codes (wsmerror.h) the lab uses.
CODE_OPERATION_TIMEOUT = 2150858793  # ERROR_WSMAN_OPERATION_TIMEDOUT: normal for a Receive; clients retry
CODE_ACTION_NOT_SUPPORTED = 2150858771  # ERROR_WSMAN_ACTION_NOT_SUPPORTED
CODE_RESOURCE_NOT_FOUND = 2150858752  # ERROR_WSMAN_RESOURCE_NOT_FOUND
CODE_INVALID_XML = 2150858819  # ERROR_WSMAN_INVALID_XML
CODE_SHELL_NOT_FOUND = 2150858843  # what WinRS returns for an unknown or closed ShellId
CODE_INVALID_PARAMETER = 2150858810  # ERROR_WSMAN_INVALID_PARAMETER
CODE_PROVIDER_FAILURE = 2150858755  # ERROR_WSMAN_PROVIDER_FAILURE
CODE_QUOTA_MAX_SHELLS = 2150859173  # ERROR_WSMAN_QUOTA_MAX_SHELLS (0x803381A5): host refuses a new shell

DEFAULT_MAX_ENVELOPE = 153600
CMD_LINE_LIMIT = 8191  # cmd.exe's limit; WinRS runs commands through cmd.exe unless WINRS_SKIP_CMD_SHELL
CMD_LINE_TOO_LONG = b"The command line is too long.\r\n"
MACHINE = "LABHOST"


class CommandOutcome(Protocol):
    """What a host returns for one command (``host.CommandResult`` fits)."""

    @property
    def stdout(self) -> bytes: ...

    @property
    def stderr(self) -> bytes: ...

    @property
    def rc(self) -> int: ...


class CommandHost(Protocol):
    """The object that plays the Windows machine; the transport never executes anything itself."""

    def run_command(self, command: str, arguments: list[str], stdin: bytes) -> CommandOutcome: ...


class WsmanFault(Exception):
    """A SOAP fault to send back; raised anywhere while handling a request."""

    def __init__(self, code: int, subcode: str, reason: str, value: str = "s:Receiver", http_status: int = 500):
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason
        self.value = value
        self.http_status = http_status


def operation_timeout_fault() -> WsmanFault:
    """The fault a real host returns when a Receive waited OperationTimeout without output."""
    return WsmanFault(
        CODE_OPERATION_TIMEOUT,
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
    )


def quota_max_shells_fault(limit: int = 5) -> WsmanFault:
    """The fault a busy host returns for a Create when the user's shell quota is used up."""
    return WsmanFault(
        CODE_QUOTA_MAX_SHELLS,
        "w:QuotaLimit",
        f"The WS-Management service cannot process the request. This user is allowed a maximum number of {limit} "
        "concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.",
    )


def shell_not_found_fault(shell_id: str | None) -> WsmanFault:
    """The fault for a request that names a shell this host does not have."""
    return WsmanFault(
        CODE_SHELL_NOT_FOUND,
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found "
        "on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on "
        "the server. Provide the correct ShellId or create a new shell and retry the operation.",
        value="s:Sender",
    )


def invalid_parameter_fault(reason: str) -> WsmanFault:
    """The fault for a well-formed request that refers to something this shell does not have."""
    return WsmanFault(CODE_INVALID_PARAMETER, "w:InvalidParameter", reason, value="s:Sender")


def invalid_xml_fault(reason: str) -> WsmanFault:
    """The fault for a body that is not a WS-Man envelope; real hosts answer 400 for these."""
    return WsmanFault(CODE_INVALID_XML, "w:SchemaValidationError", reason, value="s:Sender", http_status=400)


@dataclass(frozen=True)
class WsmanRequest:
    """The parts of a WS-Man request the lab needs; ``action`` is the short name (Create, Command, ...)."""

    action: str
    action_uri: str
    message_id: str
    resource_uri: str
    shell_id: str | None
    options: dict[str, str]
    max_envelope: int
    body: ET.Element


@dataclass(frozen=True)
class CommandLine:
    """A command as WinRS received it: ``arguments`` split the way a Windows program would split them."""

    command: str
    arguments: list[str]
    raw: str


@dataclass
class WsmanReply:
    """A SOAP answer plus the facts the server journals about it."""

    status: int
    body: bytes
    shell_id: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_request(data: bytes) -> WsmanRequest:
    """Parse a SOAP envelope by namespace (clients choose their own prefixes); raises WsmanFault."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise invalid_xml_fault(f"The request is not well-formed XML: {exc}") from exc
    header = root.find(_q(NS_SOAP, "Header"))
    body = root.find(_q(NS_SOAP, "Body"))
    if root.tag != _q(NS_SOAP, "Envelope") or header is None or body is None:
        raise invalid_xml_fault("The request is not a SOAP 1.2 envelope with a Header and a Body.")
    action_uri = _text(header.find(_q(NS_ADDRESSING, "Action")))
    selector = header.find(f"{_q(NS_WSMAN, 'SelectorSet')}/{_q(NS_WSMAN, 'Selector')}[@Name='ShellId']")
    options = {
        option.get("Name", ""): _text(option)
        for option in header.iterfind(f"{_q(NS_WSMAN, 'OptionSet')}/{_q(NS_WSMAN, 'Option')}")
    }
    max_envelope = _text(header.find(_q(NS_WSMAN, "MaxEnvelopeSize")))
    return WsmanRequest(
        action=ACTIONS.get(action_uri, "Unknown"),
        action_uri=action_uri,
        message_id=_text(header.find(_q(NS_ADDRESSING, "MessageID"))),
        resource_uri=_text(header.find(_q(NS_WSMAN, "ResourceURI"))),
        shell_id=_text(selector) or None,
        options=options,
        max_envelope=int(max_envelope) if max_envelope.isdigit() else DEFAULT_MAX_ENVELOPE,
        body=body,
    )


def split_windows_args(text: str) -> list[str]:
    """Split a command line like CommandLineToArgvW, because WinRS hands one flat string to the program."""
    args: list[str] = []
    current: list[str] = []
    in_arg = in_quotes = False
    backslashes = 0
    for char in text:
        if char == "\\":
            backslashes += 1
            in_arg = True
            continue
        if char == '"':
            current.append("\\" * (backslashes // 2))
            if backslashes % 2:
                current.append('"')
            else:
                in_quotes = not in_quotes
            backslashes, in_arg = 0, True
            continue
        current.append("\\" * backslashes)
        backslashes = 0
        if char in " \t" and not in_quotes:
            if in_arg:
                args.append("".join(current))
            current, in_arg = [], False
        else:
            current.append(char)
            in_arg = True
    current.append("\\" * backslashes)
    if in_arg:
        args.append("".join(current))
    return args


def parse_command_line(req: WsmanRequest) -> CommandLine:
    """Read ``rsp:CommandLine``; pywinrm joins all arguments into one ``rsp:Arguments``, others send several."""
    line = req.body.find(_q(NS_SHELL, "CommandLine"))
    if line is None:
        raise invalid_xml_fault("A Command request needs an rsp:CommandLine element.")
    command = _text(line.find(_q(NS_SHELL, "Command")))
    pieces = [element.text or "" for element in line.iterfind(_q(NS_SHELL, "Arguments"))]
    raw = " ".join([command, *pieces]) if pieces else command
    arguments = [arg for piece in pieces for arg in split_windows_args(piece)]
    return CommandLine(command=command, arguments=arguments, raw=raw)


def _is_encoded_command_switch(arg: str) -> bool:
    """PowerShell accepts -EncodedCommand and its unambiguous abbreviations (-e, -ec, -enc, ...)."""
    name = arg.lower()
    if not name.startswith(("-", "/")):
        return False
    name = name[1:]
    return name in ("e", "ec") or (len(name) >= 2 and "encodedcommand".startswith(name))


def encoded_script(arguments: list[str]) -> str | None:
    """The script behind ``-EncodedCommand <base64 UTF-16-LE>``, or None when there is none or it is not valid."""
    for index, arg in enumerate(arguments[:-1]):
        if _is_encoded_command_switch(arg):
            try:
                return base64.b64decode(arguments[index + 1], validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                return None
    return None


def readable_command_line(line: CommandLine) -> str:
    """What ran, as text a reader (or a secret scanner) can check: the decoded script when encoded."""
    script = encoded_script(line.arguments)
    return script if script is not None else line.raw


def journal_arguments(arguments: list[str]) -> list[str]:
    """Arguments for the journal: the base64 blob is replaced, its decoded text is in ``command_line``."""
    out = list(arguments)
    for index, arg in enumerate(out[:-1]):
        if _is_encoded_command_switch(arg) and encoded_script(out) is not None:
            out[index + 1] = f"<{len(out[index + 1])} base64 chars, decoded into command_line>"
            break
    return out


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    """A response envelope in the shape Windows uses (new MessageID, RelatesTo = the request's MessageID)."""
    return (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" xmlns:x="{NS_TRANSFER}" '
        f'xmlns:w="{NS_WSMAN}" xmlns:rsp="{NS_SHELL}" xmlns:p="{NS_MS_WSMAN}">'
        "<s:Header>"
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{new_id()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        "</s:Header>"
        f"<s:Body>{body}</s:Body>"
        "</s:Envelope>"
    ).encode()


def new_id() -> str:
    """Windows hands out upper-case GUIDs for message, shell and command ids."""
    return str(uuid.uuid4()).upper()


def fault_body(fault: WsmanFault, message_id: str = "") -> bytes:
    """A SOAP fault carrying the Microsoft ``WSManFault Code=`` detail clients key on."""
    reason = escape(fault.reason)
    body = (
        "<s:Fault>"
        f"<s:Code><s:Value>{fault.value}</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        "<s:Detail>"
        f'<f:WSManFault xmlns:f="{NS_FAULT}" Code="{fault.code}" Machine="{MACHINE}"><f:Message>{reason}</f:Message>'
        "</f:WSManFault>"
        "</s:Detail>"
        "</s:Fault>"
    )
    return _envelope(FAULT_ACTION, message_id, body)


def fault_reply(fault: WsmanFault, message_id: str = "", shell_id: str | None = None) -> WsmanReply:
    """Wrap a fault as a reply, recording its code for the journal."""
    return WsmanReply(fault.http_status, fault_body(fault, message_id), shell_id, {"fault_code": fault.code})


def _stream(name: str, command_id: str, data: bytes, end: bool = False) -> str:
    end_attr = ' End="true"' if end else ""
    payload = base64.b64encode(data).decode("ascii")
    return f'<rsp:Stream Name="{name}" CommandId={quoteattr(command_id)}{end_attr}>{payload}</rsp:Stream>'


@dataclass
class _Command:
    """One command in a shell: its stdin as received, and its output once the host ran it."""

    command_id: str
    line: CommandLine
    skip_cmd_shell: bool
    stdin: bytearray = field(default_factory=bytearray)
    stdin_closed: bool = False
    result: tuple[bytes, bytes, int] | None = None
    sent_out: int = 0
    sent_err: int = 0
    run_seconds: float | None = None  # how long the host took to run it (the benchmark keeps it apart)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class _Shell:
    shell_id: str
    owner: str
    options: dict[str, str]
    commands: dict[str, _Command] = field(default_factory=dict)


class ShellService:
    """The WinRS side of the host: shells, commands, stdin and output, keyed by the ids it hands out.

    Args:
        host: Runs commands (see CommandHost).
        endpoint: The URL put into the Create response's EndpointReference.
        cmd_line_limit: Longest command line cmd.exe accepts (None: no limit); longer ones fail like on Windows.
    """

    def __init__(self, host: CommandHost, endpoint: str = "", cmd_line_limit: int | None = CMD_LINE_LIMIT) -> None:
        self.host = host
        self.endpoint = endpoint
        self.cmd_line_limit = cmd_line_limit
        self._shells: dict[str, _Shell] = {}
        self._lock = threading.Lock()

    @property
    def open_shells(self) -> int:
        """Shells created and not deleted yet (a leak check for tests)."""
        with self._lock:
            return len(self._shells)

    def handle(self, req: WsmanRequest, user: str) -> WsmanReply:
        """Answer one request; every failure becomes the SOAP fault a real host would send."""
        handlers = {
            "Create": self._create,
            "Command": self._command,
            "Send": self._send,
            "Receive": self._receive,
            "Signal": self._signal,
            "Delete": self._delete,
        }
        handler = handlers.get(req.action)
        try:
            if handler is None:
                raise WsmanFault(
                    CODE_ACTION_NOT_SUPPORTED,
                    "a:ActionNotSupported",
                    f"The action {req.action_uri!r} is not supported by this lab host.",
                    value="s:Sender",
                )
            return handler(req, user)
        except WsmanFault as fault:
            return fault_reply(fault, req.message_id, req.shell_id)

    def _reply(self, req: WsmanRequest, body: str, shell_id: str | None, **info: Any) -> WsmanReply:
        return WsmanReply(200, _envelope(req.action_uri + "Response", req.message_id, body), shell_id, info)

    def _shell(self, req: WsmanRequest) -> _Shell:
        with self._lock:
            shell = self._shells.get(req.shell_id or "")
        if shell is None:
            raise shell_not_found_fault(req.shell_id)
        return shell

    def _find_command(self, shell: _Shell, command_id: str | None) -> _Command:
        command = shell.commands.get(command_id or "")
        if command is None:
            raise invalid_parameter_fault(f"The command with CommandId {command_id} was not found in the shell.")
        return command

    def _create(self, req: WsmanRequest, user: str) -> WsmanReply:
        if req.resource_uri != CMD_RESOURCE_URI:
            raise WsmanFault(
                CODE_RESOURCE_NOT_FOUND,
                "w:DestinationUnreachable",
                f"The lab host only offers the cmd shell, not {req.resource_uri!r}.",
                value="s:Sender",
            )
        shell = _Shell(new_id(), user, dict(req.options))
        with self._lock:
            self._shells[shell.shell_id] = shell
        spec = req.body.find(_q(NS_SHELL, "Shell"))
        inputs = _text(spec.find(_q(NS_SHELL, "InputStreams"))) if spec is not None else "stdin"
        outputs = _text(spec.find(_q(NS_SHELL, "OutputStreams"))) if spec is not None else "stdout stderr"
        body = (
            "<x:ResourceCreated>"
            f"<a:Address>{escape(self.endpoint)}</a:Address>"
            "<a:ReferenceParameters>"
            f"<w:ResourceURI>{CMD_RESOURCE_URI}</w:ResourceURI>"
            f'<w:SelectorSet><w:Selector Name="ShellId">{shell.shell_id}</w:Selector></w:SelectorSet>'
            "</a:ReferenceParameters>"
            "</x:ResourceCreated>"
            "<rsp:Shell>"
            f"<rsp:ShellId>{shell.shell_id}</rsp:ShellId>"
            f"<rsp:ResourceUri>{CMD_RESOURCE_URI}</rsp:ResourceUri>"
            f"<rsp:Owner>{escape(user)}</rsp:Owner>"
            "<rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
            "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
            f"<rsp:InputStreams>{escape(inputs)}</rsp:InputStreams>"
            f"<rsp:OutputStreams>{escape(outputs)}</rsp:OutputStreams>"
            "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
            "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
            "</rsp:Shell>"
        )
        return self._reply(req, body, shell.shell_id, codepage=req.options.get("WINRS_CODEPAGE"))

    def _command(self, req: WsmanRequest, user: str) -> WsmanReply:
        shell = self._shell(req)
        line = parse_command_line(req)
        element = req.body.find(_q(NS_SHELL, "CommandLine"))
        command_id = (element.get("CommandId") if element is not None else None) or new_id()
        skip_cmd = req.options.get("WINRS_SKIP_CMD_SHELL", "FALSE").upper() == "TRUE"
        shell.commands[command_id] = _Command(command_id, line, skip_cmd)
        body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        return self._reply(
            req,
            body,
            shell.shell_id,
            command_id=command_id,
            command=line.command,
            arguments=journal_arguments(line.arguments),
            command_line=readable_command_line(line),
            command_line_length=len(line.raw),
        )

    def _send(self, req: WsmanRequest, user: str) -> WsmanReply:
        shell = self._shell(req)
        received, ended, ran = 0, False, False
        for stream in req.body.iterfind(f"{_q(NS_SHELL, 'Send')}/{_q(NS_SHELL, 'Stream')}"):
            if stream.get("Name", "stdin") != "stdin":
                raise invalid_parameter_fault(f"Input stream {stream.get('Name')!r} is not open in this shell.")
            command = self._find_command(shell, stream.get("CommandId"))
            try:
                data = base64.b64decode(stream.text or "", validate=True)
            except binascii.Error as exc:
                raise invalid_xml_fault(f"stdin is not valid base64: {exc}") from exc
            with command.lock:
                if command.stdin_closed:
                    raise invalid_parameter_fault("The stdin stream of this command is already closed.")
                command.stdin.extend(data)
                received += len(data)
                if stream.get("End", "false").lower() == "true":
                    command.stdin_closed = ended = True
            if ended:
                ran = self._run(command)
        timing = {"run_ms": _ms(command.run_seconds)} if ran else {}
        return self._reply(
            req, "<rsp:SendResponse/>", shell.shell_id, stdin_bytes=received, end=ended, ran=ran, **timing
        )

    def _run(self, command: _Command) -> bool:
        """Run the command on the host once (stdin is complete, or the client started reading); True if it ran now."""
        with command.lock:
            if command.result is not None:
                return False
            line = command.line
            if self.cmd_line_limit is not None and not command.skip_cmd_shell and len(line.raw) > self.cmd_line_limit:
                command.result = (b"", CMD_LINE_TOO_LONG, 1)
                return True
            began = time.perf_counter()
            try:
                outcome = self.host.run_command(line.command, list(line.arguments), bytes(command.stdin))
            except Exception as exc:  # a broken host must show up as a clear fault, not a hung client
                raise WsmanFault(CODE_PROVIDER_FAILURE, "w:InternalError", f"lab host failed: {exc!r}") from exc
            command.result = (_as_bytes(outcome.stdout), _as_bytes(outcome.stderr), int(outcome.rc))
            command.run_seconds = time.perf_counter() - began
            return True

    def _receive(self, req: WsmanRequest, user: str) -> WsmanReply:
        shell = self._shell(req)
        desired = req.body.find(f"{_q(NS_SHELL, 'Receive')}/{_q(NS_SHELL, 'DesiredStream')}")
        command = self._find_command(shell, desired.get("CommandId") if desired is not None else None)
        ran = self._run(command)
        body, info = self._output_chunk(command, req.max_envelope)
        if ran:
            info["run_ms"] = _ms(command.run_seconds)
        return self._reply(req, body, shell.shell_id, command_id=command.command_id, ran=ran, **info)

    def _output_chunk(self, command: _Command, max_envelope: int) -> tuple[str, dict[str, Any]]:
        """Next slice of output that fits the client's MaxEnvelopeSize; Done (with ExitCode) once all is sent."""
        assert command.result is not None
        stdout, stderr, rc = command.result
        budget = max(1024, (max_envelope - 4096) * 3 // 4)  # base64 grows data by 4/3; leave room for the envelope
        with command.lock:
            out = stdout[command.sent_out : command.sent_out + budget]
            err = stderr[command.sent_err : command.sent_err + max(0, budget - len(out))]
            command.sent_out += len(out)
            command.sent_err += len(err)
            done = command.sent_out >= len(stdout) and command.sent_err >= len(stderr)
        cid = command.command_id
        parts = [_stream("stdout", cid, out)] if out else []
        parts += [_stream("stderr", cid, err)] if err else []
        if done:
            parts += [_stream("stdout", cid, b"", end=True), _stream("stderr", cid, b"", end=True)]
            state = (
                f'<rsp:CommandState CommandId={quoteattr(cid)} State="{STATE_DONE}">'
                f"<rsp:ExitCode>{rc}</rsp:ExitCode></rsp:CommandState>"
            )
        else:
            state = f'<rsp:CommandState CommandId={quoteattr(cid)} State="{STATE_RUNNING}"/>'
        body = f"<rsp:ReceiveResponse>{''.join(parts)}{state}</rsp:ReceiveResponse>"
        info: dict[str, Any] = {"stdout_bytes": len(out), "stderr_bytes": len(err), "done": done}
        if done:
            info["rc"] = rc
        return body, info

    def _signal(self, req: WsmanRequest, user: str) -> WsmanReply:
        shell = self._shell(req)
        signal = req.body.find(_q(NS_SHELL, "Signal"))
        command_id = signal.get("CommandId") if signal is not None else None
        code = _text(signal.find(_q(NS_SHELL, "Code"))) if signal is not None else ""
        self._find_command(shell, command_id)
        if code == SIGNAL_TERMINATE:
            shell.commands.pop(command_id or "", None)
        return self._reply(
            req, "<rsp:SignalResponse/>", shell.shell_id, command_id=command_id, signal=code.rsplit("/", 1)[-1]
        )

    def _delete(self, req: WsmanRequest, user: str) -> WsmanReply:
        shell = self._shell(req)
        with self._lock:
            self._shells.pop(shell.shell_id, None)
        return self._reply(req, "", shell.shell_id)


def _as_bytes(value: bytes | str) -> bytes:
    """Hosts should return bytes; accept text too (as UTF-8) so a slip in a stub does not break the wire."""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _ms(seconds: float | None) -> float | None:
    """A host run time for the journal, in milliseconds (None when the host never ran the command)."""
    return None if seconds is None else round(seconds * 1000, 3)
