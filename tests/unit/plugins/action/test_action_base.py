"""What every lync.hybrid action plugin does the same way (plugin_utils/_action.py)."""

from __future__ import annotations

import pytest

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
