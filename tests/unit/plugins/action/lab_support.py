"""What the action tests of the tenant modules share: an in-process lab host and the lab states' logons.

Each test module subclasses ``Lab`` with the name of its module; a test builds a lab from a
state file (or a modified copy of one), runs the action through the harness connection and
reads the lab's in-memory journal and state to see what reached the host and the tenant.
"""

from __future__ import annotations

import base64
import copy
import json
import pathlib
import typing as t

import yaml
from ansible_collections.lync.hybrid.plugins.plugin_utils import _runner

from tests.lab.host import LabHost, normalize
from tests.lab.journal import MASK, Journal
from tests.lab.pwsh import modulelog
from tests.lab.state import parse_state
from tests.unit.plugins.action.harness import make_action

STATES = pathlib.Path(__file__).resolve().parents[4] / "tests" / "lab" / "states"

# The tenant logons of the lab states: lync2013-ready (Contoso, legacy connector, hybrid DNS)
# and sfb2019-teams (Fabrikam, MicrosoftTeams, MFA admin, app-only certificate).
ADMIN = "admin@contoso.onmicrosoft.com"
PASSWORD = "Tenant-Adm1n-Passw0rd!"
THUMBPRINT = "3B1E2C4D5F60718293A4B5C6D7E8F90A1B2C3D4E"
APPLICATION = "0c4f7b2e-91d3-4a6b-8e5f-2d1c3b4a5e6f"
FABRIKAM = "2b7e9c41-5d3a-4f8e-b6c2-1a9d0e8f7c65"
CONTOSO = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"

# The readiness checks broken.yml fails, in the module's order (see the comment atop that state).
BROKEN_FAILED_CHECKS = (
    "build_minimum",
    "topology_published",
    "pools_present",
    "services_running",
    "cms_replication",
    "hosting_provider",
    "access_edge",
    "online_connector",
    "strong_crypto",
)
LEGACY = {
    "connector": "lync_online_connector",
    "username": ADMIN,
    "password": PASSWORD,
    "override_admin_domain": "contoso.onmicrosoft.com",
}
CERTIFICATE = {
    "connector": "microsoft_teams",
    "certificate_thumbprint": THUMBPRINT,
    "application_id": APPLICATION,
    "tenant_id": FABRIKAM,
}


def state(name: str) -> dict[str, t.Any]:
    """A state file as a dict, to modify per test before the lab host is built."""
    return yaml.safe_load((STATES / f"{name}.yml").read_text(encoding="utf-8"))


class Lab:
    """An in-process lab host with an in-memory journal; calling it is one WinRM command.

    Subclasses set ``module`` to the lync.hybrid module that ``run`` builds.
    """

    module: t.ClassVar[str]

    def __init__(self, data: dict[str, t.Any] | str) -> None:
        self.state = parse_state(copy.deepcopy(state(data) if isinstance(data, str) else data))
        self.before = self.state.to_dict()
        self.journal = Journal()
        self.host = LabHost(self.state, self.journal)
        # What the host wrote back to the controller, unmasked (the journal masks secrets on write).
        self.answers: list[tuple[bytes, bytes]] = []

    def __call__(self, command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        result = self.host.run_command(command, arguments, stdin)
        self.answers.append((result.stdout, result.stderr))
        return result.stdout, result.stderr, result.rc

    def run(self, args: dict[str, t.Any], **options: t.Any) -> tuple[dict[str, t.Any], t.Any]:
        """Run the module once (``check_mode=``, ``diff=``); returns (result, connection)."""
        action, connection = make_action(self.module, args, self, **options)
        return action.run(task_vars={}), connection

    def sessions(self, action: str | None = None) -> list[dict[str, t.Any]]:
        return [e for e in self.journal.select("online_session") if action is None or e["action"] == action]

    def cmdlets(self) -> list[str]:
        return [e["name"] for e in self.journal.select("cmdlet")]

    def calls(self, name: str) -> list[dict[str, t.Any]]:
        """The journaled calls of one cmdlet (by the name it was invoked with, prefix and all)."""
        return self.journal.select("cmdlet", name=name)

    def changes(self) -> list[dict[str, t.Any]]:
        return self.journal.select("change")


def assert_closed(lab: Lab) -> None:
    """Every session the runner opened was closed by it, none abandoned, none still counted."""
    assert len(lab.sessions("open")) == len(lab.sessions("close"))
    assert lab.sessions("abandoned") == []
    tenant = lab.state.tenant
    assert all(a["open_sessions"] == 0 for a in tenant["admins"] + tenant["app_registrations"])


# The command line the collection sends: the bootstrap as -EncodedCommand, nothing else.
COMMAND_ARGUMENTS = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-EncodedCommand"]


def leaked_forms(secret: str) -> dict[str, str]:
    """The spellings a leak of ``secret`` would take in text."""
    return {
        "raw": secret,
        "JSON (ASCII escapes)": json.dumps(secret)[1:-1],
        "PowerShell single-quoted": secret.replace("'", "''"),
        "base64 of UTF-8": base64.b64encode(secret.encode("utf-8")).decode(),
        "base64 of UTF-16-LE": base64.b64encode(secret.encode("utf-16-le")).decode(),
    }


def assert_absent(where: str, secret: str, text: str) -> None:
    found = [name for name, form in leaked_forms(secret).items() if form in text]
    assert found == [], f"the secret appears in {where} ({', '.join(found)})"


def _without_credential_passwords(value: t.Any, secret: str, found: list[str]) -> t.Any:
    """The request with each credential's password equal to ``secret`` taken out (and counted)."""
    if isinstance(value, dict):
        credential = value.get("$credential")
        if isinstance(credential, dict) and credential.get("password") == secret and len(value) == 1:
            found.append(credential["username"])
            return {"$credential": {**credential, "password": None}}
        return {key: _without_credential_passwords(item, secret, found) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_credential_passwords(item, secret, found) for item in value]
    return value


def assert_secret_only_in_credentials(lab: Lab, connection: t.Any, secret: str, *, accounts: list[str]) -> None:
    """What crossed the wire, unmasked: ``secret`` travels only as the password of credentials on stdin.

    * every command line is exactly the data-free bootstrap (decoded and compared whole);
    * on stdin, the runner is the shipped runner and the secret is the password of one
      ``$credential`` per connector candidate, for ``accounts``, and nowhere else in the request;
    * nothing the host wrote back (stdout, stderr) carries it;
    * the lab's journal masks secrets on write, so it cannot show a leak by a missing value;
      instead its mask may appear only where the lab hides credentials by design, the
      ``Credential`` parameter of the connect cmdlet, so a secret bound anywhere else shows.
    """
    assert connection.commands, "nothing reached the host"
    for command, arguments, stdin in connection.commands:
        assert command.lower() == "powershell"  # 2.20 sends "PowerShell", 2.21 "powershell"
        assert arguments[:-1] == COMMAND_ARGUMENTS
        script = base64.b64decode(arguments[-1], validate=True).decode("utf-16-le")
        assert normalize(script) == normalize(_runner.bootstrap_script())
        payload = _runner.decode_payload(stdin)
        assert payload["runner"] == _runner.runner_script()
        found: list[str] = []
        rest = _without_credential_passwords(payload["request"], secret, found)
        assert found == accounts, f"credentials carrying the secret: {found}"
        assert_absent("the request outside its credentials", secret, json.dumps(rest, ensure_ascii=False))
        assert_absent("the request outside its credentials", secret, json.dumps(rest))
    assert len(lab.answers) == len(connection.commands)
    for stdout, stderr in lab.answers:
        assert_absent("what the host wrote back", secret, stdout.decode("utf-8", "replace"))
        assert_absent("what the host wrote back", secret, stderr.decode("utf-8", "replace"))
    assert_secret_not_in_module_log(lab, secret)
    masked = [event for event in lab.journal.events if MASK in json.dumps(event, ensure_ascii=False)]
    # The runner's own text (ConvertFrom-Json's input) has the mask once: what it reports for a SecureString.
    masked = [e for e in masked if not modulelog.runner_text_only(e, _runner.runner_script(), MASK)]
    for event in masked:
        assert event["event"] == "cmdlet" and event["name"] in ("New-CsOnlineSession", "Connect-MicrosoftTeams"), event
        others = {name: value for name, value in event["params"].items() if name != "Credential"}
        assert event["params"]["Credential"] == MASK and MASK not in json.dumps(others, ensure_ascii=False), event


def assert_secret_not_in_module_log(lab: Lab, secret: str) -> None:
    """No cmdlet on the host got ``secret`` as a parameter or pipeline input (what module logging, event
    4103, would record; tests/lab/pwsh/modulelog.py), read unmasked, base64 runs decoded."""
    assert lab.host.module_log, "the lab recorded no cmdlet invocation"
    for entry in lab.host.module_log:
        for binding in entry["bindings"]:
            for text in modulelog.recoverable(binding["value"]):
                assert_absent(f"module logging of {entry['cmdlet']} -{binding['name']}", secret, text)
