"""HTTP front end of the lab's fake Windows host: WinRM over HTTP on 127.0.0.1.

Speaks what a Windows WinRM listener speaks so the real pywinrm and ansible winrm plugin
can be exercised: NTLM over ``Negotiate`` (pyspnego as the acceptor, one context per TCP
connection, like http.sys), optional Basic, and [MS-WSMV] message encryption
(``multipart/encrypted``). It can also misbehave on purpose (latency, dropped connections,
HTTP 500, operation timeouts, busy hosts) so error handling can be tested. Every HTTP
exchange is journaled; the SOAP work is done by ``wsman.ShellService``.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import os
import re
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import spnego
import spnego.exceptions

from .journal import Journal
from .wsman import (
    CommandHost,
    ShellService,
    WsmanFault,
    WsmanReply,
    WsmanRequest,
    fault_reply,
    operation_timeout_fault,
    parse_request,
    quota_max_shells_fault,
)

WSMAN_PATH = "/wsman"
ENCRYPTED_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
OCTET_STREAM = b"\tContent-Type: application/octet-stream\r\n"
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{ENCRYPTED_PROTOCOL}";boundary="Encrypted Boundary"'

# NTLM_USER_FILE is process-wide but each server has its own accounts: whoever creates or steps an
# acceptor holds this lock with the variable pointing at its own file.
_NTLM_ENV_LOCK = threading.Lock()
_CONNECTION_IDS = itertools.count(1)


class EncryptionError(ValueError):
    """A multipart/encrypted body that cannot be parsed or does not decrypt (real hosts answer 400)."""


@dataclass(frozen=True)
class FaultPlan:
    """Misbehaviour to inject; request numbers count authenticated WS-Man requests from 1, per server.

    ``operation_timeout_at_request`` fires on the first Receive at or after each listed number.
    """

    latency_ms: int = 0
    drop_connection_at_request: frozenset[int] = frozenset()
    http_500_at_request: frozenset[int] = frozenset()
    operation_timeout_at_request: frozenset[int] = frozenset()
    throttle_first_connects: int = 0
    always_throttle: bool = False

    @classmethod
    def from_config(cls, faults: dict[str, Any] | None) -> FaultPlan:
        """Build from a config dict; unknown keys are an error so a typo cannot silently disable a fault."""
        faults = dict(faults or {})
        unknown = set(faults) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        numbered = ("drop_connection_at_request", "http_500_at_request", "operation_timeout_at_request")
        for key in numbered:
            if key in faults:
                faults[key] = _request_numbers(faults[key])
        return cls(**faults)


def _request_numbers(value: int | list[int] | None) -> frozenset[int]:
    if value is None:
        return frozenset()
    return frozenset([value] if isinstance(value, int) else value)


class _FaultState:
    """Counters that make faults fire once, at the configured points of the server's life."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._lock = threading.Lock()
        self._requests = 0
        self._creates = 0
        self._timeouts_armed = 0

    def next_request(self) -> int:
        with self._lock:
            self._requests += 1
            if self._requests in self.plan.operation_timeout_at_request:
                self._timeouts_armed += 1
            return self._requests

    def injection(self, number: int, action: str) -> str | None:
        """Which fault (if any) to play for request ``number``: drop, http_500, operation_timeout, throttle."""
        if number in self.plan.drop_connection_at_request:
            return "drop"
        if number in self.plan.http_500_at_request:
            return "http_500"
        with self._lock:
            if action == "Receive" and self._timeouts_armed:
                self._timeouts_armed -= 1
                return "operation_timeout"
            if action == "Create":
                self._creates += 1
                if self.plan.always_throttle or self._creates <= self.plan.throttle_first_connects:
                    return "throttle"
        return None


def principal_aliases(user: str) -> list[str]:
    """The spellings of an account a Windows host accepts: ``DOM\\u`` and ``u@DOM`` alike; ``u`` and ``.\\u``."""
    if "\\" in user:
        domain, name = user.split("\\", 1)
        return [user, f"{name}@{domain}"]
    if "@" in user:
        name, domain = user.rsplit("@", 1)
        return [user, f"{domain}\\{name}"]
    return [user, f".\\{user}"]


def ntlm_user_file_lines(accounts: dict[str, str]) -> list[str]:
    """Credential store lines for pyspnego's acceptor, one per accepted spelling.

    Written in the smbpasswd form (``USER:UID:LM:NT:[U]:LCT``) rather than ``DOMAIN:user:password``:
    the hashes are what the acceptor needs, passwords may contain ``:``, and no clear-text password is
    written to disk.
    """
    from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1

    lines = []
    for uid, (user, password) in enumerate(sorted(accounts.items()), start=1000):
        lm_hash = base64.b16encode(lmowfv1(password)).decode()
        nt_hash = base64.b16encode(ntowfv1(password)).decode()
        lines += [f"{alias}:{uid}:{lm_hash}:{nt_hash}:[U]:LCT-00000000" for alias in principal_aliases(user)]
    return lines


@contextlib.contextmanager
def _ntlm_user_file(path: str) -> Iterator[None]:
    with _NTLM_ENV_LOCK:
        previous = os.environ.get("NTLM_USER_FILE")
        os.environ["NTLM_USER_FILE"] = path
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("NTLM_USER_FILE", None)
            else:
                os.environ["NTLM_USER_FILE"] = previous


def unwrap_body(context: spnego.ContextProxy, body: bytes) -> bytes:
    """Decrypt an [MS-WSMV] 2.2.9.1 ``multipart/encrypted`` body.

    Each part is a header block (``OriginalContent: ...;Length=N``) and an octet-stream block holding
    ``<uint32 LE signature length><signature><sealed data>``. NTLM sealing (RC4) keeps the length, so
    ``Length`` says exactly where the sealed data ends; the boundary is not searched inside ciphertext.
    """
    plain, pos = b"", 0
    opener = BOUNDARY + b"\r\n"
    while body.startswith(opener, pos):
        header_end = body.find(opener, pos + len(opener))
        length = re.search(rb"Length=(\d+)", body[pos:header_end]) if header_end > 0 else None
        data_start = header_end + len(opener) + len(OCTET_STREAM)
        if length is None or body[header_end + len(opener) : data_start] != OCTET_STREAM:
            raise EncryptionError("malformed multipart/encrypted part")
        sig_len = struct.unpack("<I", body[data_start : data_start + 4])[0]
        sig_end = data_start + 4 + sig_len
        sealed_end = sig_end + int(length.group(1))
        try:
            plain += context.unwrap_winrm(body[data_start + 4 : sig_end], body[sig_end:sealed_end])
        except spnego.exceptions.SpnegoError as exc:
            raise EncryptionError(f"cannot decrypt the message: {exc}") from exc
        pos = sealed_end
    if body[pos:] != BOUNDARY + b"--\r\n":
        raise EncryptionError("multipart/encrypted body does not end with the closing boundary")
    return plain


def wrap_body(context: spnego.ContextProxy, plain: bytes) -> bytes:
    """Encrypt a response in the framing pywinrm's ``Encryption._decrypt_response`` reads."""
    wrapped = context.wrap_winrm(plain)
    return (
        BOUNDARY + b"\r\n"
        b"\tContent-Type: " + ENCRYPTED_PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(plain)).encode()
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + OCTET_STREAM
        + struct.pack("<I", len(wrapped.header))
        + wrapped.header
        + wrapped.data
        + BOUNDARY
        + b"--\r\n"
    )


@dataclass
class _Connection:
    """Per-TCP-connection state: NTLM authenticates a connection, not a request."""

    conn_id: int
    context: spnego.ContextProxy | None = None
    user: str | None = None


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class LabServer:
    """A WinRM listener on 127.0.0.1 for the lab host.

    Args:
        host: Runs the commands (``run_command(command, arguments, stdin) -> CommandResult``).
        accounts: user -> password; a user may be ``user``, ``DOMAIN\\user`` or ``user@domain`` and is
            accepted in the equivalent spelling too (``user@DOMAIN`` for ``DOMAIN\\user``, ``.\\user`` for ``user``).
        journal: Where every exchange is recorded; account passwords are registered as its secrets.
        port: TCP port, 0 for any free one (read ``.port`` after ``start()``).
        transport: ``ntlm`` (Negotiate only) or ``basic`` (Basic accepted as well, like a host with Basic enabled).
        faults: See FaultPlan; e.g. ``{"latency_ms": 20, "http_500_at_request": 3}``.
        cmd_line_limit: cmd.exe's command-line limit that WinRS enforces (None disables it).
    """

    def __init__(
        self,
        host: CommandHost,
        accounts: dict[str, str],
        journal: Journal | None = None,
        port: int = 0,
        transport: str = "ntlm",
        faults: dict[str, Any] | None = None,
        cmd_line_limit: int | None = 8191,
    ) -> None:
        if transport not in ("ntlm", "basic"):
            raise ValueError(f"transport must be 'ntlm' or 'basic', not {transport!r}")
        self.accounts = dict(accounts)
        self.journal = journal if journal is not None else Journal()
        self.transport = transport
        self.faults = FaultPlan.from_config(faults)
        self.shells = ShellService(host, cmd_line_limit=cmd_line_limit)
        self._requested_port = port
        self._fault_state = _FaultState(self.faults)
        self._aliases = {
            alias.lower(): password for user, password in accounts.items() for alias in principal_aliases(user)
        }
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._user_file: str | None = None
        for password in self.accounts.values():
            self.journal.add_secret(password)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WSMAN_PATH}"

    @property
    def ntlm_user_file(self) -> str | None:
        """The credential store pyspnego's acceptor reads (exists only while the server runs)."""
        return self._user_file

    def start(self) -> LabServer:
        """Write the NTLM credential store, bind, and serve in a background thread."""
        fd, self._user_file = tempfile.mkstemp(prefix="lab-ntlm-", suffix=".users")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(ntlm_user_file_lines(self.accounts)) + "\n")
        self._httpd = _HTTPServer(("127.0.0.1", self._requested_port), _Handler, self)
        self.shells.endpoint = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"lab-wsman-{self.port}", daemon=True
        )
        self._thread.start()
        self.journal.write("server_start", port=self.port, transport=self.transport, faults=_plan_fields(self.faults))
        return self

    def stop(self) -> None:
        """Stop serving, cut open keep-alive connections and remove the credential store."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_all_connections()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self.journal.write("server_stop", port=self.port)
            self._httpd = None
        if self._user_file:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._user_file)
            self._user_file = None

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- one HTTP exchange -------------------------------------------------------------------

    def handle(self, conn: _Connection, headers: dict[str, str], body: bytes) -> _Reply:
        """Authenticate, decrypt, run the WS-Man request (or a planned fault), encrypt, journal."""
        event: dict[str, Any] = {"action": "auth", "conn": conn.conn_id, "bytes_in": len(body), "shell_id": None}
        reply = self._authenticate(conn, headers.get("authorization", ""), event)
        if reply is None:
            reply = self._authenticated(conn, headers, body, event)
        event.update(http_status=None if reply.drop else reply.status, bytes_out=len(reply.body), user=conn.user)
        self.journal.write("wsman", **event)
        return reply

    def _authenticated(self, conn: _Connection, headers: dict[str, str], body: bytes, event: dict[str, Any]) -> _Reply:
        encrypted = headers.get("content-type", "").lower().startswith("multipart/encrypted")
        event["encrypted"] = encrypted
        if encrypted:
            if conn.context is None:
                return _Reply(400, b"message encryption needs an NTLM-authenticated connection")
            try:
                body = unwrap_body(conn.context, body)
            except EncryptionError as exc:
                event["error"] = str(exc)
                return _Reply(400, b"Bad Request")
        if not body:
            return _Reply(200)  # pywinrm's empty POST that only sets up the security context
        reply = self._wsman(conn, body, event)
        if encrypted and conn.context is not None and not reply.drop and reply.headers.get("Content-Type") is None:
            reply.body = wrap_body(conn.context, reply.body)
            reply.headers["Content-Type"] = ENCRYPTED_CONTENT_TYPE
        reply.headers.setdefault("Content-Type", SOAP_CONTENT_TYPE)
        return reply

    def _wsman(self, conn: _Connection, body: bytes, event: dict[str, Any]) -> _Reply:
        number = self._fault_state.next_request()
        event["request_no"] = number
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        try:
            req = parse_request(body)
        except WsmanFault as fault:
            result = fault_reply(fault)
            event.update(action="invalid", **result.info)
            return _Reply(result.status, result.body)
        event.update(action=req.action, shell_id=req.shell_id)
        injected = self._fault_state.injection(number, req.action)
        event["injected"] = injected
        if injected == "drop":
            return _Reply(0, drop=True)
        if injected == "http_500":
            return _Reply(500, b"Internal Server Error", {"Content-Type": "text/plain"})
        result = self._dispatch(req, conn.user or "", injected)
        event.update(shell_id=result.shell_id or req.shell_id, **result.info)
        return _Reply(result.status, result.body)

    def _dispatch(self, req: WsmanRequest, user: str, injected: str | None) -> WsmanReply:
        if injected == "operation_timeout":
            return fault_reply(operation_timeout_fault(), req.message_id, req.shell_id)
        if injected == "throttle":
            return fault_reply(quota_max_shells_fault(), req.message_id)
        return self.shells.handle(req, user)

    # --- authentication ----------------------------------------------------------------------

    def _authenticate(self, conn: _Connection, authorization: str, event: dict[str, Any]) -> _Reply | None:
        """None when the request may proceed, else the 401 to send (challenge or rejection)."""
        scheme, _space, token = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme in ("negotiate", "ntlm"):
            return self._ntlm_step(conn, scheme, token.strip(), event)
        if scheme == "basic" and self.transport == "basic":
            return self._basic(conn, token.strip(), event)
        if conn.user is not None and conn.context is not None:
            return None  # connection authenticated by NTLM earlier; no header on later requests
        event["auth"] = "challenge"
        return self._unauthorized()

    def _unauthorized(self, challenge: str | None = None) -> _Reply:
        headers = {"WWW-Authenticate": f"Negotiate {challenge}" if challenge else "Negotiate"}
        if self.transport == "basic" and not challenge:
            headers["WWW-Authenticate"] += ', Basic realm="WSMAN"'
        return _Reply(401, headers=headers)

    def _ntlm_step(self, conn: _Connection, scheme: str, token: str, event: dict[str, Any]) -> _Reply | None:
        if conn.context is None or conn.context.complete:
            conn.context, conn.user = None, None
            with _ntlm_user_file(self._require_user_file()):
                conn.context = spnego.server(protocol="ntlm")
        event["auth"] = scheme
        try:
            with _ntlm_user_file(self._require_user_file()):
                out_token = conn.context.step(base64.b64decode(token))
        except (spnego.exceptions.SpnegoError, ValueError) as exc:
            conn.context, conn.user = None, None
            event.update(auth_error=type(exc).__name__, auth_detail=str(exc)[:200])
            return self._unauthorized()
        if not conn.context.complete:
            return self._unauthorized(base64.b64encode(out_token or b"").decode())
        conn.user = conn.context.client_principal
        event["auth_user"] = conn.user
        return None

    def _basic(self, conn: _Connection, token: str, event: dict[str, Any]) -> _Reply | None:
        event["auth"] = "basic"
        try:
            user, _colon, password = base64.b64decode(token).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", None
        expected = self._aliases.get(user.lower())
        if expected is None or password != expected:
            event["auth_error"] = "bad credentials"
            return self._unauthorized()
        conn.context, conn.user = None, user
        event["auth_user"] = user
        return None

    def _require_user_file(self) -> str:
        if not self._user_file:
            raise RuntimeError("the server is not started")
        return self._user_file


def _plan_fields(plan: FaultPlan) -> dict[str, Any]:
    return {
        key: sorted(value) if isinstance(value, frozenset) else value
        for key, value in plan.__dict__.items()
        if value not in (0, False, frozenset())
    }


class _HTTPServer(ThreadingHTTPServer):
    """Threaded server that remembers its connections so ``stop()`` can cut idle keep-alive ones."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], lab: LabServer) -> None:
        self.lab = lab
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """One instance per TCP connection (keep-alive), which is exactly NTLM's unit of authentication."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY: without it each request stalls ~40 ms (delayed ACK)
    timeout = 120
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.lab_conn = _Connection(next(_CONNECTION_IDS))

    def version_string(self) -> str:
        return "Microsoft-HTTPAPI/2.0"

    def log_message(self, format: str, *args: Any) -> None:
        """The journal is the log; stderr noise would drown test output."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?", 1)[0].rstrip("/").lower() != WSMAN_PATH:
            self._send(_Reply(404, b"Not Found", {"Content-Type": "text/plain"}))
            return
        headers = {key.lower(): value for key, value in self.headers.items()}
        reply = self.server.lab.handle(self.lab_conn, headers, body)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply)

    def do_GET(self) -> None:
        self._send(_Reply(405, b"Method Not Allowed", {"Content-Type": "text/plain", "Allow": "POST"}))

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.body:
            self.wfile.write(reply.body)
