"""``python -m tests.lab serve``: run one lab host until SIGTERM/SIGINT.

Prints exactly one line when ready (``lab ready port=<N> host=<name>``), after the inventory
is written, so a test can start Ansible as soon as it reads that line. On stop it writes the
final state (``--state-out``) so the test can assert what the playbook changed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

from .host import LabHost
from .journal import Journal
from .state import LabState, StateError, dump_state, load_state


def inventory(state: LabState, port: int, transport: str) -> dict[str, Any]:
    """One host in group lync_servers, reached over WinRM/HTTP on 127.0.0.1; the state's variables as group vars."""
    account = state.host["accounts"][0]
    host_vars = {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_connection": "winrm",
        "ansible_winrm_scheme": "http",
        "ansible_winrm_transport": transport,
        "ansible_user": account["user"],
        "ansible_password": account["password"],
        "ansible_winrm_message_encryption": "auto",
    }
    group = {"hosts": {state.host["name"]: host_vars}, "vars": dict(state.inventory)}
    return {"all": {"children": {"lync_servers": group}}}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description="The lync.hybrid lab host.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a state over WinRM on 127.0.0.1 until SIGTERM/SIGINT")
    serve.add_argument("--state", required=True, help="state file (YAML, see docs/lab.md)")
    serve.add_argument("--port", type=int, default=0, help="TCP port, 0 for any free one (default)")
    serve.add_argument("--journal", help="append journal events here (JSON lines)")
    serve.add_argument("--inventory", help="write an Ansible inventory for this host here")
    serve.add_argument("--state-out", help="write the final state here when stopping")
    serve.add_argument("--transport", choices=("ntlm", "basic"), default="ntlm")
    return parser


def serve(options: argparse.Namespace) -> int:
    from .server import LabServer  # imported late: loading a state must not need the transport's dependencies

    try:
        state = load_state(options.state)
    except StateError as exc:
        print(f"lab: {exc}", file=sys.stderr, flush=True)
        return 2
    journal = Journal(options.journal)
    host = LabHost(state, journal)
    server = LabServer(host, state.accounts, journal, options.port, options.transport, state.transport_faults)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    server.start()
    try:
        if options.inventory:
            document = inventory(state, server.port, options.transport)
            Path(options.inventory).write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        print(f"lab ready port={server.port} host={state.host['name']}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if options.state_out:
            Path(options.state_out).write_text(dump_state(state), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    return serve(options)


if __name__ == "__main__":
    sys.exit(main())
