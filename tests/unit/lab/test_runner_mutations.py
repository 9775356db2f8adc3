"""Proof that the lab runs the shipped runner: seeded mutations of runner.ps1 break behavioural tests.

Each mutation changes runner.ps1 as a careless edit would. The collection then sends the
mutated runner (``_runner.runner_script()``) and the lab host accepts and interprets it (its
gate compares against the same mutated file), so the action plugins run end to end against
the changed script. For every mutation the test names the behavioural tests of the action
plugins that must now fail, runs them, and asserts they do, and that the interpreter ran the
mutated runner rather than refusing it.
"""

from __future__ import annotations

import collections.abc as cabc
import functools
import pathlib
import typing as t

import pytest
from ansible_collections.lync.hybrid.plugins.plugin_utils import _runner

from tests.lab import host as lab_host
from tests.unit.lab import host_support
from tests.unit.plugins.action import lab_support
from tests.unit.plugins.action import test_cs_deployment_facts as facts
from tests.unit.plugins.action import test_cs_online_connector as connector
from tests.unit.plugins.action import test_cs_online_session as session
from tests.unit.plugins.action import test_cs_tenant_federation as federation

RUNNER = pathlib.Path(lab_host.PLUGIN_UTILS / "runner.ps1").read_text(encoding="utf-8")

SCENARIOS: dict[str, cabc.Callable[[], None]] = {
    "federation apply (legacy)": functools.partial(
        federation.test_apply_sends_one_set_with_only_the_drifted_value, "lync2013-ready", lab_support.LEGACY
    ),
    "federation apply (teams)": functools.partial(
        federation.test_apply_sends_one_set_with_only_the_drifted_value, "sfb2019-teams", lab_support.CERTIFICATE
    ),
    "federation second run": functools.partial(
        federation.test_second_run_changes_nothing_and_sends_no_set, "lync2013-ready", lab_support.LEGACY
    ),
    "federation failing read": functools.partial(
        federation.test_a_failing_read_sends_no_set, "lync2013-ready", lab_support.LEGACY
    ),
    "session legacy": session.test_legacy_connector_reports_the_tenant_and_closes_the_session,
    "session certificate": session.test_certificate_auth_with_microsoft_teams,
    "session failed disconnect": session.test_a_failed_disconnect_is_a_warning,
    "facts healthy": facts.test_healthy_sfb2019_passes_every_check_in_one_read_only_command,
    "gallery without strong crypto": connector.test_the_gallery_is_reached_on_a_host_without_strong_crypto,
    "no program key readable": connector.test_a_legacy_connector_is_not_deleted_when_no_program_key_can_be_read,
}


class Mutation(t.NamedTuple):
    """Replace ``old`` (found exactly once in runner.ps1) by ``new``; ``caught_by`` must then fail."""

    old: str
    new: str
    caught_by: tuple[str, ...]


MUTATIONS = {
    "TLS 1.2 never added to the process": Mutation(
        "            [Net.ServicePointManager]::SecurityProtocol = $current -bor 3072\n",
        "",
        ("gallery without strong crypto",),
    ),
    "certificate always passed by thumbprint": Mutation(
        "if ($null -eq $connect -or -not $connect.Parameters.ContainsKey('Certificate')) {",
        "if ($true) {",
        ("session certificate",),
    ),
    "for_each status left ok when no call succeeded": Mutation(
        "                $result.status = 'error'\n                $result.error = $failures[0]\n",
        "",
        ("no program key readable",),
    ),
    "delete the Close-LhOnline call": Mutation(
        "    if ($null -ne $chosen) { Close-LhOnline -Online $chosen -State $online }\n",
        "",
        ("session legacy", "session certificate", "federation apply (legacy)"),
    ),
    "drift compared with -ceq instead of -cne": Mutation(
        "if ($nowJson -cne $wantJson)",
        "if ($nowJson -ceq $wantJson)",
        ("federation apply (legacy)", "federation apply (teams)", "federation second run"),
    ),
    "misspelt variable in the drift table": Mutation(
        "$drifted[$property.Name] = $property.Value",
        "$drifted[$property.Name] = $propery.Value",
        ("federation apply (legacy)", "federation apply (teams)"),
    ),
    "finally block dropped": Mutation(
        "finally {\n    if ($null -ne $chosen) { Close-LhOnline -Online $chosen -State $online }\n}\n",
        "",
        ("session legacy", "session certificate"),
    ),
    "unary comma dropped from Select-LhOutput's return": Mutation(
        "    return , $rows.ToArray()",
        "    return $rows.ToArray()",
        ("session legacy", "facts healthy"),
    ),
    "connected flag never set": Mutation(
        "    $State.connected = $true\n",
        "",
        ("session certificate", "session failed disconnect"),
    ),
    "continue_on_error inverted": Mutation(
        "-and -not $step.continue_on_error)",
        "-and $step.continue_on_error)",
        ("federation failing read",),
    ),
    "response serialised too shallow": Mutation(
        "-InputObject $response -Depth 8 -Compress",
        "-InputObject $response -Depth 1 -Compress",
        ("session legacy", "facts healthy", "federation apply (legacy)"),
    ),
}


@pytest.fixture
def shipped_runner(monkeypatch: pytest.MonkeyPatch) -> cabc.Callable[[str], None]:
    """Make both ends (the controller's runner_script() and the lab host's gate) see a given runner.ps1."""
    original_ship = _runner._ship
    original_shipped = lab_host.shipped

    def install(text: str) -> None:
        monkeypatch.setattr(_runner, "_ship", lambda name: text if name == "runner.ps1" else original_ship(name))
        monkeypatch.setattr(lab_host, "shipped", lambda name: text if name == "runner.ps1" else original_shipped(name))

    return install


def _failures(refused: list[str]) -> dict[str, str]:
    failed = {}
    for name, scenario in SCENARIOS.items():
        try:
            scenario()
        except Exception as exc:  # an assertion, or the action failing in an unexpected way
            failed[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
            if "outside the PowerShell subset" in str(exc):
                refused.append(name)
    return failed


def test_every_scenario_passes_with_the_shipped_runner(shipped_runner: cabc.Callable[[str], None]) -> None:
    shipped_runner(RUNNER)
    assert _failures([]) == {}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_mutated_runner_fails_behavioural_tests(name: str, shipped_runner: cabc.Callable[[str], None]) -> None:
    mutation = MUTATIONS[name]
    assert RUNNER.count(mutation.old) == 1, f"the mutation no longer applies: {mutation.old!r}"
    shipped_runner(RUNNER.replace(mutation.old, mutation.new))
    assert _runner.runner_script() != lab_host.compact_runner(RUNNER)
    refused: list[str] = []
    failed = _failures(refused)
    assert refused == [], f"the interpreter refused the mutated runner instead of running it: {failed}"
    missing = [scenario for scenario in mutation.caught_by if scenario not in failed]
    assert missing == [], f"{name} survived {missing}; failures: {failed}"


# Mutations the action tests above do not notice (the controller ignores extra properties and
# anything printed before the marker), listed so that the gap stays visible: the lab still runs
# them, and the wire shows the difference.
SURVIVORS = {
    "select ignored": Mutation("-Objects $output -Select $Step.select", "-Objects $output -Select $null", ()),
    "step results leak into the output": Mutation(
        "            [void]$results.Add($stepResult)", "            $results.Add($stepResult)", ()
    ),
}
PROBE = host_support.request(
    [host_support.step("modules", "Get-Module", {"ListAvailable": True, "Name": "MicrosoftTeams"}, select=["Name"])]
)


def _wire(runner: str) -> str:
    lab = host_support.Lab(host_support.make_state([host_support.teams_module()]))
    result = lab.send(PROBE, lab_host.compact_runner(runner))
    assert result.rc == 0, result.stderr
    return result.stdout.decode("ascii")


@pytest.mark.parametrize("name", list(SURVIVORS))
def test_survivors_change_the_wire_but_no_action_test(name: str, shipped_runner: cabc.Callable[[str], None]) -> None:
    mutation = SURVIVORS[name]
    assert RUNNER.count(mutation.old) == 1, f"the mutation no longer applies: {mutation.old!r}"
    mutated = RUNNER.replace(mutation.old, mutation.new)
    shipped_runner(RUNNER)
    before = _wire(RUNNER)
    shipped_runner(mutated)
    assert _wire(mutated) != before
    assert _failures([]) == {}, "an action test now catches this mutation: move it to MUTATIONS"
