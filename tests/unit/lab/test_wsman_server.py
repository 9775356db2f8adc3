"""The lab's WinRM transport, exercised by the real clients: pywinrm and ansible's winrm connection plugin.

A stub host echoes what it was asked to run, so every test can see exactly what crossed the wire.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import pytest
import requests
import spnego
import winrm
from requests_ntlm.requests_ntlm import ShimSessionSecurity
from winrm.encryption import Encryption
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError, WSManFaultError

from tests.lab.journal import MASK, Journal
from tests.lab.server import (
    ENCRYPTED_CONTENT_TYPE,
    EncryptionError,
    LabServer,
    ntlm_user_file_lines,
    unwrap_body,
    wrap_body,
)
from tests.lab.wsman import (
    CODE_OPERATION_TIMEOUT,
    CODE_QUOTA_MAX_SHELLS,
    CODE_SHELL_NOT_FOUND,
    encoded_script,
    split_windows_args,
)

pytestmark = pytest.mark.lab

USER = "LAB\\alice"
PASSWORD = "Pa:ss w0rd!"  # ':' and a space on purpose: both have broken credential stores before
ANSIBLE = Path(sys.executable).with_name("ansible")


class CommandResult(NamedTuple):
    stdout: bytes
    stderr: bytes
    rc: int


class Call(NamedTuple):
    command: str
    arguments: list[str]
    stdin: bytes


class EchoHost:
    """Stub host: records each call and answers with it as JSON; ``fail`` and ``big`` are special commands."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def run_command(self, command: str, arguments: list[str], stdin: bytes) -> CommandResult:
        with self._lock:
            self.calls.append(Call(command, list(arguments), stdin))
        if command == "fail":
            return CommandResult(b"partial", b"boom", 7)
        if command == "big":
            return CommandResult(b"o" * int(arguments[0]), b"e" * int(arguments[1]), 0)
        echo = {"command": command, "arguments": arguments, "stdin": stdin.decode("utf-8", "replace")}
        return CommandResult(json.dumps(echo).encode(), b"", 0)


@pytest.fixture
def host() -> EchoHost:
    return EchoHost()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(str(tmp_path / "journal.jsonl"))


@pytest.fixture
def start_lab(host: EchoHost, journal: Journal):
    servers: list[LabServer] = []

    def start(**kwargs) -> LabServer:
        kwargs.setdefault("accounts", {USER: PASSWORD})
        lab = LabServer(host, journal=journal, **kwargs).start()
        servers.append(lab)
        return lab

    yield start
    for lab in servers:
        lab.stop()


def client(lab: LabServer, user: str = USER, password: str = PASSWORD, transport: str = "ntlm", **kw) -> winrm.Protocol:
    return winrm.Protocol(
        lab.url,
        transport=transport,
        username=user,
        password=password,
        read_timeout_sec=10,
        operation_timeout_sec=5,
        proxy=None,
        ca_trust_path=None,
        **kw,
    )


def run(protocol: winrm.Protocol, command: str, args: list[str] = (), stdin: bytes | None = None, **kw):
    """The full sequence ansible uses: Create, Command, Send, Receive..., Signal, Delete."""
    shell = protocol.open_shell(codepage=65001)
    command_id = protocol.run_command(shell, command, args, **kw)
    if stdin is not None:
        protocol.send_command_input(shell, command_id, stdin, end=True)
    result = protocol.get_command_output(shell, command_id)
    protocol.cleanup_command(shell, command_id)
    protocol.close_shell(shell)
    return result


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def wsman_events(journal: Journal, action: str | None = None) -> list[dict]:
    return [e for e in journal.select("wsman") if action is None or e["action"] == action]


# --- the happy path ------------------------------------------------------------------------------


def test_command_with_stdin_round_trips_over_encrypted_ntlm(start_lab, host: EchoHost, journal: Journal) -> None:
    lab = start_lab()
    args = ["-NoProfile", "-EncodedCommand", encode("$input | Out-String")]

    stdout, stderr, rc = run(client(lab), "PowerShell", args, stdin=b'{"k": "v"}\r\n')

    assert (json.loads(stdout), stderr, rc) == (
        {"command": "PowerShell", "arguments": args, "stdin": '{"k": "v"}\r\n'},
        b"",
        0,
    )
    assert host.calls == [Call("PowerShell", args, b'{"k": "v"}\r\n')]
    soap = [e for e in wsman_events(journal) if e["action"] != "auth"]
    assert [e["action"] for e in soap] == ["Create", "Command", "Send", "Receive", "Signal", "Delete"]
    assert all(e["encrypted"] and e["http_status"] == 200 and e["user"] == USER for e in soap)
    assert all(e["bytes_in"] > 0 and e["bytes_out"] > 0 for e in soap[:-1])
    assert lab.shells.open_shells == 0


def test_stdin_sent_in_chunks_reaches_the_host_whole_and_runs_once(start_lab, host: EchoHost, journal: Journal) -> None:
    lab = start_lab()
    protocol = client(lab)
    shell = protocol.open_shell()
    command_id = protocol.run_command(shell, "PowerShell", ["-NoProfile"])
    chunks = [b"a" * 200000, b"b" * 200000, b"tail"]  # ansible sends 200,000-byte chunks, End on the last

    for index, chunk in enumerate(chunks):
        protocol.send_command_input(shell, command_id, chunk, end=index == len(chunks) - 1)
        assert len(host.calls) == (1 if index == len(chunks) - 1 else 0)
    protocol.get_command_output(shell, command_id)

    assert [call.stdin for call in host.calls] == [b"".join(chunks)]
    assert [e["stdin_bytes"] for e in wsman_events(journal, "Send")] == [200000, 200000, 4]


def test_parallel_clients_keep_their_own_ntlm_contexts(start_lab) -> None:
    lab = start_lab()
    results: dict[int, bytes] = {}

    def worker(number: int) -> None:
        stdout, _stderr, _rc = run(client(lab), "PowerShell", [f"-N{number}"], stdin=f"input {number}".encode())
        results[number] = stdout

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {n: json.loads(out)["stdin"] for n, out in results.items()} == {n: f"input {n}" for n in range(8)}
    assert lab.shells.open_shells == 0


def test_exit_code_and_stderr_reach_the_client(start_lab) -> None:
    lab = start_lab()
    assert run(client(lab), "fail") == (b"partial", b"boom", 7)


def test_output_larger_than_one_envelope_spans_several_receives(start_lab, journal: Journal) -> None:
    lab = start_lab()

    stdout, stderr, rc = run(client(lab), "big", ["300000", "70000"])

    assert (stdout, stderr, rc) == (b"o" * 300000, b"e" * 70000, 0)
    receives = wsman_events(journal, "Receive")
    assert len(receives) >= 3
    assert [e["done"] for e in receives] == [False] * (len(receives) - 1) + [True]


def test_ntlm_without_message_encryption_carries_the_body_on_the_auth_request(start_lab, journal: Journal) -> None:
    lab = start_lab()

    assert run(client(lab, message_encryption="never"), "fail")[2] == 7
    assert not any(e.get("encrypted") for e in wsman_events(journal))


# --- authentication ------------------------------------------------------------------------------


def test_wrong_password_is_rejected_as_invalid_credentials(start_lab, host: EchoHost, journal: Journal) -> None:
    lab = start_lab()

    with pytest.raises(InvalidCredentialsError):
        client(lab, password="wrong").open_shell()

    assert host.calls == []
    failures = [e for e in wsman_events(journal) if "auth_error" in e]
    assert len(failures) == 1
    assert failures[0]["http_status"] == 401


def test_unknown_user_is_rejected(start_lab) -> None:
    lab = start_lab()
    with pytest.raises(InvalidCredentialsError):
        client(lab, user="LAB\\mallory").open_shell()


@pytest.mark.parametrize(
    ("account", "sent"),
    [
        ("LAB\\alice", "LAB\\alice"),
        ("LAB\\alice", "lab\\ALICE"),
        ("LAB\\alice", "alice@LAB"),
        ("alice@lab.example", "alice@lab.example"),
        ("alice@lab.example", "lab.example\\alice"),
        ("alice", "alice"),
        ("alice", ".\\alice"),
    ],
)
def test_user_name_spellings_a_windows_host_accepts(start_lab, journal: Journal, account: str, sent: str) -> None:
    lab = start_lab(accounts={account: PASSWORD})

    client(lab, user=sent).open_shell()

    assert journal.select("wsman", action="Create")[0]["user"].lower() == sent.lower()


def test_a_spelling_of_another_account_is_rejected(start_lab) -> None:
    lab = start_lab(accounts={"alice": PASSWORD})
    with pytest.raises(InvalidCredentialsError):
        client(lab, user="OTHER\\alice").open_shell()


def test_basic_transport_runs_commands_and_rejects_a_wrong_password(start_lab, journal: Journal) -> None:
    lab = start_lab(transport="basic")

    assert run(client(lab, transport="basic"), "fail") == (b"partial", b"boom", 7)
    with pytest.raises(InvalidCredentialsError):
        client(lab, transport="basic", password="nope").open_shell()
    assert {e.get("auth") for e in wsman_events(journal) if e["action"] != "auth"} == {"basic"}


def test_basic_is_refused_by_an_ntlm_only_host(start_lab) -> None:
    lab = start_lab()
    with pytest.raises(InvalidCredentialsError):
        client(lab, transport="basic").open_shell()


def test_credential_store_holds_no_clear_password_and_goes_away_on_stop(start_lab) -> None:
    lab = start_lab()
    store = lab.ntlm_user_file
    assert store and PASSWORD not in Path(store).read_text()
    port = lab.port

    lab.stop()

    assert not os.path.exists(store)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


# --- faults --------------------------------------------------------------------------------------


def test_dropped_connection_is_a_connection_error_and_the_host_stays_up(start_lab, journal: Journal) -> None:
    lab = start_lab(faults={"drop_connection_at_request": 2})
    protocol = client(lab)
    shell = protocol.open_shell()

    with pytest.raises(requests.exceptions.ConnectionError):
        protocol.run_command(shell, "fail")

    assert journal.select("wsman", request_no=2)[0]["injected"] == "drop"
    assert run(client(lab), "fail")[2] == 7


def test_http_500_is_a_transport_error(start_lab) -> None:
    lab = start_lab(faults={"http_500_at_request": 1})
    protocol = client(lab)

    with pytest.raises(WinRMTransportError) as caught:
        protocol.open_shell()

    assert caught.value.code == 500
    assert protocol.open_shell()  # the fault fires once; the same authenticated connection goes on


def test_operation_timeout_on_receive_is_retried_transparently(start_lab, host: EchoHost, journal: Journal) -> None:
    lab = start_lab(faults={"operation_timeout_at_request": 3})  # 1 Create, 2 Command, 3 Receive

    assert run(client(lab), "fail") == (b"partial", b"boom", 7)

    receives = wsman_events(journal, "Receive")
    assert [(e["http_status"], e.get("fault_code")) for e in receives] == [(500, CODE_OPERATION_TIMEOUT), (200, None)]
    assert len(host.calls) == 1


def test_first_creates_are_throttled_then_a_shell_opens(start_lab) -> None:
    lab = start_lab(faults={"throttle_first_connects": 2})
    protocol = client(lab)

    for _attempt in range(2):
        with pytest.raises(WSManFaultError) as caught:
            protocol.open_shell()
        assert caught.value.wsman_fault_code == CODE_QUOTA_MAX_SHELLS
    assert protocol.open_shell()


def test_always_throttle_refuses_every_shell(start_lab) -> None:
    lab = start_lab(faults={"always_throttle": True})
    for _attempt in range(3):
        with pytest.raises(WSManFaultError):
            client(lab).open_shell()


def test_latency_is_added_to_every_wsman_message(start_lab, journal: Journal) -> None:
    lab = start_lab(faults={"latency_ms": 40})
    started = time.monotonic()

    run(client(lab), "fail")

    messages = [e for e in wsman_events(journal) if e["action"] != "auth"]
    assert len(messages) == 5  # Create, Command, Receive, Signal, Delete
    assert time.monotonic() - started >= len(messages) * 0.040


def test_an_unknown_fault_setting_is_an_error(host: EchoHost) -> None:
    with pytest.raises(ValueError, match="drop_at"):
        LabServer(host, {USER: PASSWORD}, faults={"drop_at": 1})


# --- WinRS behaviour -----------------------------------------------------------------------------


def test_a_command_line_longer_than_cmd_accepts_fails_like_cmd_exe(start_lab, host: EchoHost) -> None:
    lab = start_lab()
    long_args = ["-EncodedCommand", "A" * 8200]

    assert run(client(lab), "PowerShell", long_args) == (b"", b"The command line is too long.\r\n", 1)
    assert host.calls == []
    assert run(client(lab), "PowerShell", long_args, skip_cmd_shell=True)[2] == 0  # no cmd.exe, no limit


def test_a_request_for_an_unknown_shell_gets_the_shell_not_found_fault(start_lab) -> None:
    lab = start_lab()
    with pytest.raises(WSManFaultError) as caught:
        client(lab).run_command("0B3A9F5E-0000-0000-0000-000000000000", "fail")
    assert caught.value.wsman_fault_code == CODE_SHELL_NOT_FOUND


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ("", []),
        ("a  b\tc", ["a", "b", "c"]),
        ('"a b" c', ["a b", "c"]),
        ("C:\\dir\\x.exe", ["C:\\dir\\x.exe"]),
        ('"a\\"b"', ['a"b']),
        ('"a\\\\" b', ["a\\", "b"]),
        ('""', [""]),
    ],
)
def test_arguments_are_split_the_way_windows_programs_split_them(line: str, argv: list[str]) -> None:
    assert split_windows_args(line) == argv


@pytest.mark.parametrize("switch", ["-EncodedCommand", "-encodedcommand", "-enc", "-ec", "-e", "/EncodedCommand"])
def test_encoded_command_and_its_abbreviations_are_decoded(switch: str) -> None:
    assert encoded_script(["-NoProfile", switch, encode("Get-Date")]) == "Get-Date"


def test_an_undecodable_encoded_command_is_left_alone() -> None:
    assert encoded_script(["-EncodedCommand", "not base64!"]) is None
    assert encoded_script(["-Command", encode("Get-Date")]) is None


# --- message encryption framing, checked against pywinrm's own code ------------------------------


def test_encryption_framing_interoperates_with_pywinrm_and_detects_tampering(tmp_path: Path, monkeypatch) -> None:
    store = tmp_path / "users"
    store.write_text("\n".join(ntlm_user_file_lines({USER: PASSWORD})) + "\n")
    monkeypatch.setenv("NTLM_USER_FILE", str(store))
    initiator = spnego.client(USER, PASSWORD, protocol="ntlm")
    acceptor = spnego.server(protocol="ntlm")
    acceptor.step(initiator.step(acceptor.step(initiator.step())))
    pywinrm = Encryption(SimpleNamespace(auth=SimpleNamespace(session_security=ShimSessionSecurity(initiator))), "ntlm")
    secret = b"<rsp:Stream>very secret stdin</rsp:Stream>"

    framed = pywinrm._encrypt_message(secret, "127.0.0.1") + pywinrm.MIME_BOUNDARY + b"--\r\n"
    assert secret not in framed
    assert unwrap_body(acceptor, framed) == secret

    answer = b"<s:Envelope>reply</s:Envelope>"
    response = SimpleNamespace(
        content=wrap_body(acceptor, answer),
        headers={"Content-Type": ENCRYPTED_CONTENT_TYPE},
        request=SimpleNamespace(url="http://127.0.0.1/wsman"),
    )
    assert pywinrm.parse_encrypted_response(response) == answer

    tampered = bytearray(pywinrm._encrypt_message(secret, "127.0.0.1") + pywinrm.MIME_BOUNDARY + b"--\r\n")
    tampered[-30] ^= 0x01
    with pytest.raises(EncryptionError):
        unwrap_body(acceptor, bytes(tampered))


# --- journal -------------------------------------------------------------------------------------


def test_journal_decodes_command_lines_and_never_holds_a_secret(start_lab, journal: Journal) -> None:
    journal.add_secret("TopSecret-42")
    lab = start_lab()
    script = "$p = 'TopSecret-42'; Write-Output $p"

    run(client(lab), "PowerShell", ["-NoProfile", "-EncodedCommand", encode(script)], stdin=b"TopSecret-42")

    command = journal.select("wsman", action="Command")[0]
    assert command["command_line"] == f"$p = '{MASK}'; Write-Output $p"
    assert command["command"] == "PowerShell"
    text = Path(journal.path).read_text()
    assert "TopSecret-42" not in text
    assert PASSWORD not in text  # account passwords are registered as secrets by the server
    assert encode(script) not in text  # the base64 form would hide a secret from a text scan


def test_journal_masks_secrets_at_any_depth_longest_first(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path / "j.jsonl"))
    journal.add_secret("abc")
    journal.add_secret("abcdef")
    journal.add_secret("")

    journal.write("x", plain="xxabcdefyy", nested={"k": ["abc", ("abc!",)], "abc": b"abc"}, n=3, none=None)

    (line,) = Path(journal.path).read_text().splitlines()
    record = json.loads(line)
    assert record == journal.events[0]
    assert isinstance(record["ts"], float)
    assert record["event"] == "x"
    assert record["plain"] == f"xx{MASK}yy"
    assert record["nested"] == {"k": [MASK, [f"{MASK}!"]], MASK: MASK}
    assert (record["n"], record["none"]) == (3, None)


def test_journal_writes_whole_lines_from_many_threads(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path / "j.jsonl"))

    def writer(thread: int) -> None:
        for index in range(200):
            journal.write("tick", thread=thread, index=index, pad="x" * 500)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = Path(journal.path).read_text().splitlines()
    assert len(lines) == len(journal.events) == 1600
    assert {(r["thread"], r["index"]) for r in map(json.loads, lines)} == {(t, i) for t in range(8) for i in range(200)}


def test_journal_without_a_path_keeps_events_in_memory() -> None:
    journal = Journal(None)
    journal.write("only", value=1)
    assert journal.select("only") == [journal.events[0]]


# --- the real ansible winrm connection plugin ----------------------------------------------------


def run_ansible(lab: LabServer, tmp_path: Path, user: str, *module_args: str) -> subprocess.CompletedProcess:
    host_vars = {
        "ansible_connection": "winrm",
        "ansible_host": "127.0.0.1",
        "ansible_port": lab.port,
        "ansible_winrm_scheme": "http",
        "ansible_winrm_transport": "ntlm",
        "ansible_user": user,
        "ansible_password": PASSWORD,
    }
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {"lab": host_vars}}}))
    env = {key: value for key, value in os.environ.items() if key != "ANSIBLE_CONFIG"}
    env.update(
        ANSIBLE_HOME=str(tmp_path / ".ansible"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible" / "tmp"),
        ANSIBLE_NOCOLOR="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    command = [str(ANSIBLE), "all", "-i", str(inventory), *module_args]
    return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False)


@pytest.mark.skipif(not ANSIBLE.exists(), reason="ansible is not installed next to this python")
@pytest.mark.parametrize("sent_user", ["LAB\\alice", "alice@LAB"])
def test_ansible_raw_runs_powershell_through_the_winrm_plugin(
    start_lab, host: EchoHost, journal: Journal, tmp_path: Path, sent_user: str
) -> None:
    lab = start_lab()

    done = run_ansible(lab, tmp_path, sent_user, "-m", "raw", "-a", "Write-Output 'lab raw check'")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "CHANGED" in done.stdout
    # Windows finds programs case-insensitively; ansible-core 2.19 sends "PowerShell", 2.21 "powershell".
    assert '"command": "powershell"' in done.stdout.lower()
    (call,) = host.calls
    assert call.command.lower() == "powershell"
    assert "-EncodedCommand" in call.arguments
    assert "Write-Output 'lab raw check'" in encoded_script(call.arguments)
    command = journal.select("wsman", action="Command")[0]
    assert "Write-Output 'lab raw check'" in command["command_line"]
    assert command["user"] == sent_user  # ansible sends ansible_user exactly as written
    # The server registers the account's password with the journal, which masks it on write: its
    # absence alone proves nothing. The mask must not appear either (the password reached no field).
    text = Path(journal.path).read_text()
    assert PASSWORD not in text
    assert MASK not in text


@pytest.mark.skipif(not ANSIBLE.exists(), reason="ansible is not installed next to this python")
def test_ansible_reports_a_throttled_host_as_unreachable(start_lab, host: EchoHost, tmp_path: Path) -> None:
    lab = start_lab(faults={"always_throttle": True})

    done = run_ansible(lab, tmp_path, USER, "-m", "raw", "-a", "Write-Output x")

    assert done.returncode == 4, done.stdout + done.stderr  # 4: a host was unreachable
    assert "UNREACHABLE" in done.stdout
    assert str(CODE_QUOTA_MAX_SHELLS) in done.stdout
    assert host.calls == []
