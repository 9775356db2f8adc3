"""What every lync.hybrid action plugin does the same way (plugin_utils/_action.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleConnectionFailure

from tests.lab.host import LabHost
from tests.lab.journal import Journal
from tests.lab.state import parse_state
from tests.unit.plugins.action.harness import make_action
from tests.unit.plugins.action.lab_support import state


def _host() -> LabHost:
    return LabHost(parse_state(state("sfb2019-teams")), Journal(None))


def _run(become: bool) -> dict:
    host = _host()
    action, connection = make_action(
        "cs_deployment_facts", {}, lambda c, a, i: tuple(host.run_command(c, a, i)), become=become
    )
    result = action.run(task_vars={})
    assert len(connection.commands) == 1
    return result


@pytest.mark.parametrize("become", [True, False])
def test_become_is_named_as_ignored_only_when_asked_for(become: bool) -> None:
    result = _run(become)
    assert not result.get("failed"), result
    warnings = [w for w in result.get("warnings", []) if "become has no effect" in w]
    assert len(warnings) == (1 if become else 0)


SECRET = "Pa55-w0rd-in-an-error"
LOGON = {"shared_sip_address_space": True, "username": "admin@contoso.onmicrosoft.com", "password": SECRET}


def _raising(exc: BaseException):
    def host(command: str, arguments: list[str], stdin: bytes) -> tuple[bytes, bytes, int]:
        raise exc

    return host


def test_a_controller_bug_fails_the_task_masked_and_without_a_traceback() -> None:
    action, _connection = make_action("cs_tenant_federation", LOGON, _raising(KeyError(f"user {SECRET}")))
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].startswith("lync.hybrid internal error (KeyError)")
    assert SECRET not in result["msg"]


def test_a_transport_failure_makes_the_host_unreachable_with_a_remedy() -> None:
    action, _connection = make_action("cs_tenant_federation", LOGON, _raising(ConnectionResetError("peer reset")))
    with pytest.raises(AnsibleConnectionFailure, match=r"the connection was closed: peer reset.*Test-WSMan"):
        action.run(task_vars={})


@pytest.mark.parametrize(
    "exc",
    [
        # What the winrm connection plugin raises itself (a timeout), message and all.
        AnsibleConnectionFailure(f"winrm connection error: basic: {SECRET}@lab timed out"),
        # A library exception on the wire, which the action turns into an unreachable host.
        ConnectionResetError(f"peer reset while sending {SECRET}"),
    ],
    ids=["connection-failure", "library-exception"],
)
def test_an_unreachable_host_keeps_secrets_masked(exc: BaseException) -> None:
    """The password in a transport failure's text is masked in the exception that makes the host unreachable."""
    action, _connection = make_action("cs_tenant_federation", LOGON, _raising(exc))
    with pytest.raises(AnsibleConnectionFailure) as raised:
        action.run(task_vars={})
    message = raised.value.message
    assert SECRET not in message and SECRET not in str(raised.value)
    assert "********" in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__ is True
