# Copyright (c) lync.hybrid contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send one request to the PowerShell runner on a Windows host (internal use only).

The wire protocol is described in docs/architecture.md. This module owns both ends
of it on the controller: it builds the stdin payload, runs the one WinRM command
through the task's own connection and turns the printed JSON back into typed
results. Nothing here knows about Lync; the action plugins decide what to ask.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import gzip
import json
import pathlib
import re
import typing as t
import xml.etree.ElementTree as ET

from ansible.errors import AnsibleActionFail

if t.TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

MARKER = "#LYNC-HYBRID-RESULT#"
SECRET = "$secret"  # {"$secret": n}: the n-th secret line of stdin (see encode_payload)
PROTOCOL = 1
_HERE = pathlib.Path(__file__).resolve().parent


@functools.cache
def _ship(name: str) -> str:
    """Read a PowerShell file shipped beside this module, exactly as stored."""
    return (_HERE / name).read_text(encoding="utf-8-sig")


def bootstrap_script() -> str:
    """The one-line command line; it carries no data, so -vvv logs reveal nothing."""
    return _ship("bootstrap.ps1").strip()


def runner_script() -> str:
    """The runner as sent: lines stripped, blank and comment-only lines dropped.

    The file keeps its comments and indentation for people; the host needs neither,
    and every byte of the runner travels with every task.
    """
    lines = (line.strip() for line in _ship("runner.ps1").splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("#"))


class RunnerFailure(AnsibleActionFail):
    """The host did not produce a runner response (PowerShell itself failed)."""


@dataclasses.dataclass(frozen=True)
class ErrorRecord:
    """A PowerShell error record as the runner reports it."""

    message: str
    fqid: str = ""
    category: str = ""
    exception: str = ""
    target: str = ""
    stage: str = ""

    @classmethod
    def from_wire(cls, data: t.Mapping[str, t.Any] | None) -> ErrorRecord | None:
        if not data:
            return None
        return cls(**{f.name: str(data.get(f.name) or "") for f in dataclasses.fields(cls)})

    def to_result(self) -> dict[str, str]:
        """The shape returned to users in a task result (empty fields dropped)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v}


@dataclasses.dataclass(frozen=True)
class StepResult:
    id: str
    status: str
    output: list[t.Any]
    error: ErrorRecord | None
    sent: tuple[str, ...]
    # for_each steps: one record per item whose call failed (its target is the item).
    item_errors: tuple[ErrorRecord, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def first(self) -> t.Any:
        return self.output[0] if self.output else None


@dataclasses.dataclass(frozen=True)
class OnlineResult:
    module: str | None
    connected: bool
    closed: bool
    module_version: str | None
    seconds: float | None
    close_error: ErrorRecord | None
    # Certificate logon: where the runner found the certificate (LocalMachine\My or CurrentUser\My) and
    # which Connect-MicrosoftTeams parameter carried it (Certificate, or CertificateThumbprint before 4.9.2).
    certificate_store: str | None = None
    certificate_parameter: str | None = None


@dataclasses.dataclass(frozen=True)
class Response:
    ps_version: str
    onprem: dict[str, str] | None
    online: OnlineResult | None
    steps: dict[str, StepResult]
    error: ErrorRecord | None
    # The process's [Net.ServicePointManager]::SecurityProtocol after the runner added TLS 1.2 ("Ssl3, Tls, Tls12"),
    # or why it could not (tls_error): a gallery install or a tenant logon then fails for want of TLS 1.2.
    tls_protocols: str | None = None
    tls_error: ErrorRecord | None = None

    def step(self, step_id: str) -> StepResult:
        try:
            return self.steps[step_id]
        except KeyError:
            raise RunnerFailure(f"The runner response has no result for step '{step_id}'.") from None


@dataclasses.dataclass(frozen=True)
class ForEach:
    """Call a step's cmdlet once per value of ``property`` in an earlier step's output, bound to ``parameter``.

    Each call fails alone: a host where one item cannot be read (a malformed registry
    value under one Uninstall key) still answers for every other item.
    """

    step: str
    property: str
    parameter: str


@dataclasses.dataclass(frozen=True)
class Step:
    """One cmdlet call. See docs/architecture.md for the meaning of each field."""

    id: str
    cmdlet: str
    params: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    scope: str = "local"
    select: tuple[str, ...] | None = None
    when_differs: dict[str, t.Any] | None = None
    continue_on_error: bool = False
    for_each: ForEach | None = None

    def to_wire(self) -> dict[str, t.Any]:
        data = dataclasses.asdict(self)
        data["select"] = list(self.select) if self.select is not None else None
        return data


@dataclasses.dataclass(frozen=True)
class OnlineSession:
    """How the runner opens (and always closes) the session to the tenant."""

    module: str
    connect_cmdlet: str
    connect_params: dict[str, t.Any]
    import_session: bool
    commands: tuple[str, ...] = ()
    disconnect: str | None = None
    prefix: str = "LyncHybrid"
    # A thumbprint the runner resolves in LocalMachine\My, then CurrentUser\My, and hands to the connect cmdlet.
    certificate: str | None = None

    def to_wire(self) -> dict[str, t.Any]:
        return {
            "module": self.module,
            "certificate": self.certificate,
            "connect": {"cmdlet": self.connect_cmdlet, "params": self.connect_params},
            "import_session": self.import_session,
            "prefix": self.prefix,
            "commands": list(self.commands),
            "disconnect": self.disconnect,
        }


@dataclasses.dataclass(frozen=True)
class Request:
    steps: tuple[Step, ...]
    onprem_modules: tuple[str, ...] | None = None
    online: tuple[OnlineSession, ...] | None = None

    def to_wire(self) -> dict[str, t.Any]:
        return {
            "onprem_modules": list(self.onprem_modules) if self.onprem_modules is not None else None,
            "online": [candidate.to_wire() for candidate in self.online] if self.online else None,
            "steps": [step.to_wire() for step in self.steps],
        }


def credential(username: str, password: str) -> dict[str, t.Any]:
    """Mark a value the runner turns into a PSCredential (JSON cannot carry one)."""
    if password is None:
        raise AnsibleActionFail(missing_secret(f"the password of {username}"))
    return {"$credential": {"username": username, "password": password}}


def missing_secret(what: str) -> str:
    """Why a null secret is refused: sent as text it would become the password "None"."""
    return (
        f"No value for {what} (it is null): nothing was sent to the host. Set it, for example from a vault "
        "variable, and check that the variable is defined for this host."
    )


def encode_payload(request: Request) -> bytes:
    """The stdin document: the request without its secrets, then each secret on its own line.

    Line 1 is the gzip-compressed JSON of runner and request in base64, with every secret
    (a ``$credential`` password, a ``$secure`` value) replaced by ``{"$secret": n}``. Line
    n + 2 is secret n: base64 of a 0x01 byte and its UTF-8 text (never an empty line). The
    host decodes line 1 with ConvertFrom-Json and the secret lines with .NET calls only, so
    no secret ever becomes a cmdlet's parameter or pipeline input, which PowerShell module
    logging (event 4103) would record. Compression takes the runner (most of what a task
    sends) to about a third; base64 keeps stdin plain ASCII, which PowerShell's ``$input``
    reads the same in every console code page.
    """
    secrets: list[str] = []
    payload = {"runner": runner_script(), "request": _extract_secrets(request.to_wire(), secrets)}
    document = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    lines = [base64.b64encode(gzip.compress(document, compresslevel=9, mtime=0))]
    lines += [base64.b64encode(b"\x01" + secret.encode("utf-8")) for secret in secrets]
    return b"\r\n".join(lines)


def _extract_secrets(value: t.Any, secrets: list[str]) -> t.Any:
    """``value`` with each credential password and SecureString text moved to ``secrets`` (by reference)."""

    def reference(secret: t.Any) -> dict[str, int]:
        if secret is None:
            # str(None) would log on with the password "None" and fail as a wrong password, or worse, not fail.
            raise AnsibleActionFail(missing_secret("a password or secure value"))
        secrets.append(str(secret))
        return {SECRET: len(secrets) - 1}

    if isinstance(value, dict):
        if set(value) == {"$credential"} and isinstance(value["$credential"], dict):
            credential = value["$credential"]
            return {"$credential": {**credential, "password": reference(credential.get("password", ""))}}
        if set(value) == {"$secure"}:
            return {"$secure": reference(value["$secure"])}
        return {key: _extract_secrets(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_extract_secrets(item, secrets) for item in value]
    return value


def decode_payload(data: bytes) -> dict[str, t.Any]:
    """The inverse of encode_payload, for tests and for reading what was sent: secrets put back in place."""
    first, *rest = data.split(b"\r\n")
    secrets = [base64.b64decode(line)[1:].decode("utf-8") for line in rest]
    return _insert_secrets(json.loads(gzip.decompress(base64.b64decode(first))), secrets)


def _insert_secrets(value: t.Any, secrets: list[str]) -> t.Any:
    if isinstance(value, dict):
        if set(value) == {SECRET}:
            return secrets[value[SECRET]]
        return {key: _insert_secrets(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_insert_secrets(item, secrets) for item in value]
    return value


def execute(action: ActionBase, request: Request) -> Response:
    """Run the request on the task's host as exactly one command.

    Transport failures are left to propagate: the connection plugin raises
    AnsibleConnectionFailure, which makes the host unreachable as users expect.
    """
    _require_supported_connection(action)
    result = action._low_level_execute_command(bootstrap_script(), in_data=encode_payload(request), sudoable=False)
    return parse_output(result.get("stdout", ""), result.get("stderr", ""), result.get("rc"))


# Connection plugins whose command channel breaks the wire protocol, with the reason. psrp
# (ansible-core 2.20/2.21 connection/psrp.py, exec_command) passes the stdin of a plain
# script to PowerShell as lines of bytes, which pypsrp serializes as byte arrays, so
# `$input | Out-String` reads numbers instead of the request; and it keeps one runspace for
# every task of a play, so one task's tenant connection and preferences reach the next.
UNSUPPORTED_CONNECTIONS = {
    # ssh (ansible-core connection/ssh.py) hands the command line to the SSH server's default shell as it is, not
    # as -EncodedCommand: Windows OpenSSH starts cmd.exe unless DefaultShell is set to powershell.exe, and cmd.exe
    # cannot run the runner's one-line PowerShell command, so the result depends on the host's configuration.
    "ssh": (
        "its command line reaches the SSH server's default shell unencoded, which runs the runner only when "
        "Windows OpenSSH's DefaultShell is powershell.exe, and the collection is tested over WinRM only"
    ),
    "psrp": (
        "it hands standard input to PowerShell as byte arrays, which the runner cannot read, "
        "and keeps one PowerShell runspace for all tasks, so one task's tenant session would outlive it"
    ),
}


def _require_supported_connection(action: ActionBase) -> None:
    """Refuse, before anything is sent, a host the runner cannot be run on."""
    connection = action._connection
    transport = str(getattr(connection, "transport", "")).rsplit(".", 1)[-1]
    if transport in UNSUPPORTED_CONNECTIONS:
        raise AnsibleActionFail(
            f"lync.hybrid modules do not run over the '{transport}' connection: "
            f"{UNSUPPORTED_CONNECTIONS[transport]}. Use ansible_connection=winrm for this host "
            "(NTLM or Kerberos with message encryption, or HTTPS)."
        )
    shell = connection._shell
    if not is_powershell_family(shell):
        raise AnsibleActionFail(
            "lync.hybrid modules run on Windows hosts only: the connection uses the "
            f"'{getattr(shell, 'SHELL_FAMILY', 'unknown')}' shell. Use ansible_connection=winrm "
            "for this host."
        )


def is_powershell_family(shell: object) -> bool:
    """Whether a shell plugin runs commands through Windows PowerShell.

    The family is a class trait, not a name: ansible-core 2.21 gives the winrm connection
    the ``cmd`` shell, a subclass of the PowerShell shell whose SHELL_FAMILY is ``cmd``,
    and the runner's one command line is PowerShell either way. sh-family shells are not.
    """
    return any(getattr(cls, "SHELL_FAMILY", None) == "powershell" for cls in type(shell).__mro__)


def parse_output(stdout: str, stderr: str, rc: int | None) -> Response:
    """Read the runner's one JSON document; anything else is a host failure."""
    position = stdout.rfind(MARKER)
    if position < 0:
        detail = _clixml_text(stderr) or stdout.strip() or "no output"
        raise RunnerFailure(
            f"PowerShell on the host did not run the lync.hybrid runner (rc={rc}): {detail}. "
            "Check that Windows PowerShell 3.0 or later is installed and that the account may run it."
        )
    try:
        data = json.loads(stdout[position + len(MARKER) :])
    except ValueError as exc:
        raise RunnerFailure(f"The runner response could not be read as JSON: {exc}.") from None
    if not isinstance(data, dict) or data.get("protocol") != PROTOCOL:
        raise RunnerFailure("The runner response has an unexpected protocol version.")
    return _response_from_wire(unwrap_arrays(data))


def unwrap_arrays(value: t.Any) -> t.Any:
    """Undo Windows PowerShell 5.1's ``{"value": [...], "Count": n}`` for arrays.

    ConvertTo-Json in Windows PowerShell 5.1 writes an array that reaches it wrapped in a
    PSObject as an object with ``value`` and ``Count`` (the type data of System.Array adds
    Count; PowerShell/PowerShell issues 3222 and 5579, fixed only in PowerShell 6). The
    runner avoids such arrays, but a host with its own type data could still produce one,
    and a list read as a dict would silently become its keys.
    """
    if isinstance(value, list):
        return [unwrap_arrays(item) for item in value]
    if isinstance(value, dict):
        items = value.get("value")
        if set(value) == {"value", "Count"} and isinstance(items, list) and value["Count"] == len(items):
            return [unwrap_arrays(item) for item in items]
        return {key: unwrap_arrays(item) for key, item in value.items()}
    return value


def _response_from_wire(data: dict[str, t.Any]) -> Response:
    online = data.get("online")
    steps = {}
    for raw in data.get("steps") or []:
        steps[raw["id"]] = StepResult(
            id=raw["id"],
            status=raw.get("status", "error"),
            output=list(raw.get("output") or []),
            error=ErrorRecord.from_wire(raw.get("error")),
            sent=tuple(raw.get("sent") or ()),
            item_errors=tuple(
                record for record in (ErrorRecord.from_wire(item) for item in raw.get("item_errors") or ()) if record
            ),
        )
    return Response(
        ps_version=str(data.get("ps_version") or ""),
        onprem=data.get("onprem"),
        online=OnlineResult(
            module=online.get("module"),
            connected=bool(online.get("connected")),
            closed=bool(online.get("closed")),
            module_version=online.get("module_version"),
            seconds=online.get("seconds"),
            close_error=ErrorRecord.from_wire(online.get("close_error")),
            certificate_store=online.get("certificate_store"),
            certificate_parameter=online.get("certificate_parameter"),
        )
        if online
        else None,
        steps=steps,
        error=ErrorRecord.from_wire(data.get("error")),
        tls_protocols=(data.get("tls") or {}).get("protocols"),
        tls_error=ErrorRecord.from_wire((data.get("tls") or {}).get("error")),
    )


def _clixml_text(stderr: str) -> str:
    """Turn PowerShell's CLIXML error stream into the plain lines a person reads."""
    text = stderr.strip()
    if not text.startswith("#< CLIXML"):
        return text
    lines = []
    for match in re.finditer(r"<Objs.*?</Objs>", text, re.DOTALL):
        try:
            root = ET.fromstring(match.group(0))
        except ET.ParseError:
            continue
        for node in root.iter():
            if node.tag.endswith("S") and node.get("S") == "Error" and node.text:
                lines.append(node.text.replace("_x000D__x000A_", "\n"))
    return "".join(lines).strip() or text
