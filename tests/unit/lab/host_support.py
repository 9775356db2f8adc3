"""Helpers for the host-model tests: requests built as the controller builds them, run in-process.

The controller (plugins/plugin_utils/_runner.py) sends the one-line bootstrap as the script of
``PowerShell -EncodedCommand`` and ``{"runner": <runner.ps1>, "request": ...}`` as ASCII JSON on
stdin; ansible-core 2.20 strips every script line before encoding (2.21 does not). These helpers do the same
without Ansible, so the tests exercise exactly what crosses the wire.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from ansible_collections.lync.hybrid.plugins.plugin_utils._runner import MARKER, _extract_secrets

from tests.lab.host import LabHost
from tests.lab.journal import Journal
from tests.lab.state import LabState, load_state

REPO = Path(__file__).resolve().parents[3]
STATES = REPO / "tests" / "lab" / "states"
PLUGIN_UTILS = REPO / "plugins" / "plugin_utils"
COMMON_ARGS = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted"]


def encoded_arguments(script: str) -> list[str]:
    """The arguments ansible-core 2.20's winrm plugin sends for a script."""
    script = "\n".join(line.strip() for line in script.splitlines() if line.strip())
    return [*COMMON_ARGS, "-EncodedCommand", base64.b64encode(script.encode("utf-16-le")).decode()]


def bootstrap() -> str:
    return (PLUGIN_UTILS / "bootstrap.ps1").read_text(encoding="utf-8").strip()


def runner_text() -> str:
    """runner.ps1 compacted as the collection sends it."""
    lines = (line.strip() for line in (PLUGIN_UTILS / "runner.ps1").read_text(encoding="utf-8").splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("#"))


def pack(document: Any) -> bytes:
    """What bootstrap.ps1 unpacks from stdin: JSON, gzip, base64."""
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return base64.b64encode(gzip.compress(text.encode("utf-8")))


def payload(request: dict[str, Any], runner: str | None = None) -> bytes:
    """As the controller sends it: the secrets of ``$credential``/``$secure`` values on their own lines."""
    secrets: list[str] = []
    document = {"runner": runner_text() if runner is None else runner, "request": _extract_secrets(request, secrets)}
    return b"\r\n".join([pack(document), *(base64.b64encode(b"\x01" + secret.encode("utf-8")) for secret in secrets)])


def step(step_id: str, cmdlet: str, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": step_id,
        "cmdlet": cmdlet,
        "params": params or {},
        "scope": extra.pop("scope", "local"),
        "select": extra.pop("select", None),
        "when_differs": extra.pop("when_differs", None),
        "continue_on_error": extra.pop("continue_on_error", False),
        **extra,
    }


def credential(username: str, password: str) -> dict[str, Any]:
    return {"$credential": {"username": username, "password": password}}


def legacy_online(module: str, username: str, password: str, commands: list[str], **params: Any) -> dict[str, Any]:
    return {
        "module": module,
        "connect": {
            "cmdlet": "New-CsOnlineSession",
            "params": {"Credential": credential(username, password), **params},
        },
        "import_session": True,
        "prefix": "LyncHybrid",
        "commands": commands,
        "disconnect": None,
    }


def teams_online(params: dict[str, Any], certificate: str | None = None) -> dict[str, Any]:
    return {
        "module": "MicrosoftTeams",
        "certificate": certificate,
        "connect": {"cmdlet": "Connect-MicrosoftTeams", "params": params},
        "import_session": False,
        "prefix": "LyncHybrid",
        "commands": [],
        "disconnect": "Disconnect-MicrosoftTeams",
    }


def request(
    steps: list[dict[str, Any]], online: list[dict[str, Any]] | None = None, onprem: list[str] | None = None
) -> dict[str, Any]:
    return {"onprem_modules": onprem, "online": online, "steps": steps}


class Lab:
    """A LabHost with an in-memory journal, and helpers to send requests and read responses."""

    def __init__(self, state: str | LabState) -> None:
        self.state = state if isinstance(state, LabState) else load_state(STATES / f"{state}.yml")
        self.journal = Journal()
        self.host = LabHost(self.state, self.journal)

    def raw(self, script: str, stdin: bytes = b"", command: str = "PowerShell"):
        return self.host.run_command(command, encoded_arguments(script), stdin)

    def send(self, req: dict[str, Any], runner: str | None = None):
        return self.raw(bootstrap(), payload(req, runner))

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        """Send a request and return the runner's response (fails the test when there is none)."""
        result = self.send(req)
        stdout = result.stdout.decode("ascii")
        assert result.rc == 0, result.stderr.decode("utf-8", "replace")
        assert MARKER in stdout, stdout
        return json.loads(stdout[stdout.index(MARKER) + len(MARKER) :])

    def events(self, event: str, **match: Any) -> list[dict[str, Any]]:
        return self.journal.select(event, **match)


def steps_by_id(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in response["steps"]}


LAB_PASSWORD = "Lab-Adm1n-Passw0rd!"
TENANT_PASSWORD = "Tenant-Adm1n-Passw0rd!"
TENANT_ID = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
ADMIN = "admin@contoso.onmicrosoft.com"


def make_state(modules: list[dict[str, Any]] | None = None, deployment: Any = "sfb2015", **sections: Any) -> LabState:
    """A small state built in code: one host, optionally a deployment and the Contoso tenant."""
    from tests.lab.state import parse_state

    data: dict[str, Any] = {
        "host": {
            "name": "lab-fe01",
            "accounts": [{"user": "CONTOSO\\lab-admin", "password": LAB_PASSWORD}],
            "modules": modules or [],
            **sections.pop("host", {}),
        },
        "tenant": {
            "tenant_id": TENANT_ID,
            "display_name": "Contoso",
            "domains": ["contoso.com", "contoso.onmicrosoft.com"],
            "admins": [{"user": ADMIN, "password": TENANT_PASSWORD}],
            **sections.pop("tenant", {}),
        },
        **sections,
    }
    if isinstance(deployment, str):
        builds = {"lync2013": "5.0.8308.1182", "sfb2015": "6.0.9319.619", "sfb2019": "7.0.2046.385"}
        data["deployment"] = {"product": deployment, "build": builds[deployment]}
    else:
        data["deployment"] = deployment
    return parse_state(data, "test-state")


def legacy_module(name: str = "SkypeOnlineConnector", version: str = "7.0.0.0") -> dict[str, Any]:
    return {"name": name, "version": version, "installed_by": "msi"}


def teams_module(version: str = "6.1.0") -> dict[str, Any]:
    return {"name": "MicrosoftTeams", "version": version, "installed_by": "powershellget"}
