"""The lync_online_prereqs role end to end: ansible-playbook -> winrm -> lab host -> tenant.

playbooks/prereqs.yml (and small playbooks that include or import the role) run against lab
processes. The assertions read what Ansible printed, the report the role wrote and the lab's
journal and final state, so each one says what really reached the host and the tenant.
"""

from __future__ import annotations

import json
import pathlib
import re
import socket
import typing as t

import pytest
import yaml
from ansible_collections.lync.hybrid.plugins.plugin_utils._checks import CHECK_IDS

from tests.e2e.lab import REPO, STATES, Lab, play_recap, run
from tests.lab.state import load_state
from tests.unit.plugins.action.lab_support import BROKEN_FAILED_CHECKS

pytestmark = pytest.mark.lab

PLAYBOOK = "playbooks/prereqs.yml"
# Tenant connections per run: the federation task proves the session in its own connection (read_tenant).
TENANT_TASKS = 1
# Tasks that reach a Lync server, each one WinRM command: facts, connector, federation (with the session probe).
# (The onprem_federation area leaves the checking to the facts area when that ran.)
HOST_TASKS = 3
# What broken.yml gets wrong (see the comment at the top of that state).
BROKEN_CHECKS = set(BROKEN_FAILED_CHECKS)


def prereqs(inventory: pathlib.Path, *args: str, playbook: str | pathlib.Path = PLAYBOOK) -> t.Any:
    return run(["ansible-playbook", str(playbook), "-i", str(inventory), *args])


def report(lab: Lab, suffix: str = "md") -> str:
    """The readiness report; the role writes it next to the inventory by default."""
    return (lab.workdir / "reports" / f"lync-online-prereqs.{suffix}").read_text(encoding="utf-8")


def sessions(lab: Lab, action: str) -> list[dict[str, t.Any]]:
    return [e for e in lab.journal("online_session") if e["action"] == action]


def federation_sets(lab: Lab) -> list[dict[str, t.Any]]:
    """Set-CsTenantFederationConfiguration calls; legacy connectors import it with the runner's noun prefix."""
    pattern = re.compile(r"^Set-\w*CsTenantFederationConfiguration$")
    return [e for e in lab.journal("cmdlet") if e["scope"] == "online" and pattern.match(e["name"])]


def wsman_commands(lab: Lab) -> int:
    return len([e for e in lab.journal("wsman") if e.get("action") == "Command"])


def assert_sessions_closed(lab: Lab, final: dict[str, t.Any]) -> None:
    assert len(sessions(lab, "open")) == len(sessions(lab, "close"))
    assert sessions(lab, "abandoned") == []
    tenant = final["tenant"]
    assert all(holder["open_sessions"] == 0 for holder in tenant["admins"] + tenant.get("app_registrations", []))


def initial_state(name: str) -> dict[str, t.Any]:
    return load_state(STATES / f"{name}.yml").to_dict()


def fatal_results(output: str) -> list[dict[str, t.Any]]:
    """The JSON result of every `fatal:` line Ansible printed."""
    return [json.loads(line.split(" => ", 1)[1]) for line in output.splitlines() if line.startswith("fatal: [")]


def two_host_inventory(lab: Lab, tmp_path: pathlib.Path) -> pathlib.Path:
    """The lab's inventory with a second Lync server: another alias for the same lab host and tenant."""
    data = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))
    hosts = data["all"]["children"]["lync_servers"]["hosts"]
    (name, host_vars), *_others = hosts.items()
    hosts[f"{name}-second"] = dict(host_vars)
    path = tmp_path / "two-servers" / "inventory.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("state", ["lync2013-ready", "sfb2019-teams"])
def test_first_run_changes_the_tenant_and_the_second_run_nothing(lab_factory: t.Callable[..., Lab], state: str) -> None:
    """lync2013-ready: legacy connector with credentials; sfb2019-teams: MicrosoftTeams with a certificate."""
    lab = lab_factory(state)
    first = prereqs(lab.inventory)
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = report(lab)
    second = prereqs(lab.inventory)
    final = lab.stop()
    assert second.returncode == 0, second.stdout + second.stderr

    first_recap, second_recap = play_recap(first.stdout), play_recap(second.stdout)
    assert first_recap["failed"] == 0 and first_recap["changed"] == 1, first.stdout
    assert second_recap["failed"] == 0 and second_recap["changed"] == 0, second.stdout
    assert "changed: [" in first.stdout.split("Ensure the tenant shares the SIP address space")[1].split("TASK")[0]

    # The tenant was changed once, by the first run, and nothing else changed anywhere.
    assert len(federation_sets(lab)) == 1
    changes = lab.journal("change")
    assert [(c["object"], c["property"], c["before"], c["after"]) for c in changes] == [
        ("tenant.federation", "shared_sip_address_space", False, True)
    ]
    expected = initial_state(state)
    expected["tenant"]["federation"]["shared_sip_address_space"] = True
    assert final == expected

    # One session per tenant-level task and run, every one closed; one WinRM command per host task.
    assert len(sessions(lab, "open")) == 2 * TENANT_TASKS
    assert_sessions_closed(lab, final)
    assert wsman_commands(lab) == 2 * HOST_TASKS
    assert "| SharedSipAddressSpace | no | yes (changed) |" in after_first
    assert "| SharedSipAddressSpace | yes | yes |" in report(lab)
    if state == "sfb2019-teams":
        assert {e["account"] for e in sessions(lab, "open")} == {"application 0c4f7b2e-91d3-4a6b-8e5f-2d1c3b4a5e6f"}
    else:
        assert "Tenant-Adm1n-Passw0rd!" not in first.stdout + first.stderr + second.stdout + second.stderr


@pytest.mark.parametrize("state", ["lync2013-ready", "sfb2019-teams"])
def test_check_mode_on_a_fresh_lab_reports_the_change_and_makes_none(
    lab_factory: t.Callable[..., Lab], state: str
) -> None:
    lab = lab_factory(state)
    out = prereqs(lab.inventory, "--check", "--diff")
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 1, out.stdout
    assert '-    "SharedSipAddressSpace": false,' in out.stdout
    assert '+    "SharedSipAddressSpace": true,' in out.stdout
    # Read-only: no Set reached the tenant, nothing changed on the host or the tenant.
    assert federation_sets(lab) == []
    assert lab.journal("change") == []
    assert final == initial_state(state)
    assert len(sessions(lab, "open")) == TENANT_TASKS
    assert_sessions_closed(lab, final)
    # The report is written in check mode too, and says so.
    text = report(lab)
    assert "(check mode: nothing was changed)" in text
    assert "| SharedSipAddressSpace | no | yes (would change) |" in text
    assert "(changed)" not in text


def test_broken_deployment_fails_once_listing_every_check_with_its_remedy(lab_factory: t.Callable[..., Lab]) -> None:
    lab = lab_factory("broken")
    out = prereqs(lab.inventory)
    final = lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 1 and recap["changed"] == 0, out.stdout

    # ONE failure, the assert, and it lists every failed check with its remedy.
    (fatal,) = fatal_results(out.stdout)
    assert fatal["assertion"] == "_lync_online_prereqs_failed_checks | length == 0"
    message = fatal["msg"]
    assert message.startswith(f"{len(BROKEN_CHECKS)} readiness check(s) failed on sfb-fe02:")
    assert set(re.findall(r"\[(\w+)\] ", message)) == BROKEN_CHECKS
    assert message.count(" Remedy: ") == len(BROKEN_CHECKS)

    # The report still lists every check, and the failed ones with the same detail and remedy as the message.
    text = report(lab)
    table = re.findall(r"^\| `(\w+)` \| (passed|\*\*FAILED\*\*) \| (.*) \| (.*) \|$", text, re.M)
    rows = {check_id: (result, detail, remedy) for check_id, result, detail, remedy in table}
    assert set(rows) == set(CHECK_IDS)
    failed = {check_id for check_id, (result, _detail, _remedy) in rows.items() if result == "**FAILED**"}
    assert failed == BROKEN_CHECKS
    for check_id in BROKEN_CHECKS:
        _result, detail, remedy = rows[check_id]
        assert f"[{check_id}] {detail} Remedy: {remedy}" in message
    assert "No tenant session was opened." in text
    assert "The federation settings were not checked." in text

    # The run stopped before anything reached the tenant or installed anything.
    assert lab.journal("online_session") == []
    assert lab.journal("change") == []
    assert wsman_commands(lab) == 1
    assert final == initial_state("broken")


def test_reports_list_every_check_and_the_tenant_settings(lab_factory: t.Callable[..., Lab]) -> None:
    lab = lab_factory("lync2013-ready")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_report_html=true")
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr

    markdown, html = report(lab, "md"), report(lab, "html")
    # The legacy connector the inventory selects passes the connector area, not the MicrosoftTeams check.
    failed = {"online_connector"}
    for check_id in CHECK_IDS:
        result = "**FAILED**" if check_id in failed else "passed"
        assert f"| `{check_id}` | {result} |" in markdown
        result = 'failed">FAILED' if check_id in failed else 'passed">passed'
        assert f'<tr><td><code>{check_id}</code></td><td class="{result}</td>' in html
    assert "Install MicrosoftTeams 6.2.1 or later for all users" in markdown
    assert "Install MicrosoftTeams 6.2.1 or later for all users" in html
    for text in (markdown, html):
        assert "### lync-fe01" in text or "<h3>lync-fe01</h3>" in text
        assert "Lync Server 2013 Enterprise, build 5.0.8308.1182" in text
        assert "Contoso (6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f)" in text
        assert "https://admin0e.online.lync.com/HostedMigration/hostedmigrationService.svc" in text
    # Every tenant federation property, before and after.
    before = re.findall(r"^\| (\w+) \| (.*) \| (.*) \|$", markdown.split("## Tenant federation settings")[1], re.M)
    properties = [name for name, *_values in before if name != "Property"]
    assert {"Identity", "AllowFederatedUsers", "SharedSipAddressSpace"} <= set(properties)
    for name in properties:
        assert f"<tr><td>{name}</td>" in html
    assert "| SharedSipAddressSpace | no | yes (changed) |" in markdown
    assert "<tr><td>SharedSipAddressSpace</td><td>no</td><td>yes (changed)</td></tr>" in html
    assert "| AllowFederatedUsers | yes | yes |" in markdown


def test_tenant_tasks_run_once_with_two_servers_in_the_play(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("lync2013-ready")
    inventory = two_host_inventory(lab, tmp_path)
    out = prereqs(inventory)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"^lync-fe01 +: ok=\d+ +changed=1 .* failed=0", out.stdout, re.M), out.stdout
    assert re.search(r"^lync-fe01-second +: ok=\d+ +changed=0 .* failed=0", out.stdout, re.M), out.stdout

    assert len(federation_sets(lab)) == 1
    assert len(sessions(lab, "open")) == TENANT_TASKS
    assert_sessions_closed(lab, final)
    # Facts and connector on each server, the tenant tasks once.
    assert wsman_commands(lab) == 2 * 2 + TENANT_TASKS
    text = (inventory.parent / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")
    assert "### lync-fe01\n" in text and "### lync-fe01-second\n" in text
    assert text.count("| `powershell_version` | passed |") == 2


def test_include_role_import_role_and_a_later_play_reading_the_result(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("lync2013-ready")
    inventory = two_host_inventory(lab, tmp_path)
    result = "hostvars[item].lync_online_prereqs_result"
    plays = [
        {
            "name": "Include the role",
            "hosts": "lync_servers",
            "gather_facts": False,
            "tasks": [
                {"name": "Something before", "ansible.builtin.debug": {"msg": "before the role"}},
                {"name": "Prerequisites", "ansible.builtin.include_role": {"name": "lync.hybrid.lync_online_prereqs"}},
            ],
        },
        {
            "name": "Import the role",
            "hosts": "lync_servers",
            "gather_facts": False,
            "tasks": [
                {"name": "Prerequisites", "ansible.builtin.import_role": {"name": "lync.hybrid.lync_online_prereqs"}},
            ],
        },
        {
            "name": "Read what the role exported",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Every server is ready and the tenant shares the SIP address space",
                    "ansible.builtin.assert": {
                        "that": [
                            f"{result}.failed_checks == []",
                            f"{result}.deployment.product == 'Lync Server 2013'",
                            f"{result}.deployment.checks | length == {len(CHECK_IDS)}",
                            f"{result}.tenant.tenant.display_name == 'Contoso'",
                            f"{result}.federation.federation.SharedSipAddressSpace",
                            f"{result}.federation is not changed",
                        ]
                    },
                    "loop": "{{ groups['lync_servers'] }}",
                },
                {
                    "name": "Show the result",
                    "ansible.builtin.debug": {
                        "msg": "EXPORTED {{ hostvars[groups['lync_servers'][0]].lync_online_prereqs_result.federation"
                        ".federation_before.SharedSipAddressSpace }}"
                    },
                },
            ],
        },
    ]
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    out = prereqs(inventory, playbook=playbook)
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 1, out.stdout
    # The import play ran after the include play had set it: before == True there.
    assert '"msg": "EXPORTED True"' in out.stdout
    assert len(federation_sets(lab)) == 1
    assert len(sessions(lab, "open")) == 2 * TENANT_TASKS
    assert_sessions_closed(lab, final)
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True


def test_facts_tag_opens_no_tenant_session(lab_factory: t.Callable[..., Lab]) -> None:
    """sfb2019-teams has MicrosoftTeams 6.1.0, so every check passes without the connector area."""
    lab = lab_factory("sfb2019-teams")
    out = prereqs(lab.inventory, "--tags", "lync_online_prereqs_facts")
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 0, out.stdout
    assert "Gather the Lync deployment facts" in out.stdout
    assert "Ensure the online connector module is installed" not in out.stdout
    assert lab.journal("online_session") == []
    assert [e for e in lab.journal("cmdlet") if e["scope"] == "online"] == []
    assert wsman_commands(lab) == 1
    assert final == initial_state("sfb2019-teams")
    # The always section still exports the result and writes the report.
    text = report(lab)
    assert all(f"| `{check_id}` | " in text for check_id in CHECK_IDS)
    assert "No tenant session was opened." in text


def test_federation_switched_off_makes_no_set(lab_factory: t.Callable[..., Lab]) -> None:
    lab = lab_factory("lync2013-ready")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_federation_enabled=false")
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 0, out.stdout
    assert federation_sets(lab) == []
    assert [e["name"] for e in lab.journal("cmdlet") if "TenantFederationConfiguration" in e["name"]] == []
    # The session area still proves the tenant is reachable.
    assert len(sessions(lab, "open")) == 1
    assert_sessions_closed(lab, final)
    assert final == initial_state("lync2013-ready")
    assert "The federation settings were not checked." in report(lab)


def test_missing_microsoft_teams_is_left_to_the_connector_area_when_it_has_a_source(
    lab_factory: t.Callable[..., Lab],
) -> None:
    """connector-sources: MicrosoftTeams is not installed, but the inventory gives a repository to install it from."""
    lab = lab_factory("connector-sources")
    out = prereqs(lab.inventory)
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 1, out.stdout
    assert "changed: [" in out.stdout.split("Ensure the online connector module is installed")[1].split("TASK")[0]
    # The check itself failed when the facts were gathered; the report keeps it.
    assert "| `online_connector` | **FAILED** | MicrosoftTeams is not installed." in report(lab)
    assert "Online connector: MicrosoftTeams 6.1.0 (changed)" in report(lab)
    assert len(sessions(lab, "open")) == TENANT_TASKS


def test_missing_microsoft_teams_without_a_source_fails_the_checks(lab_factory: t.Callable[..., Lab]) -> None:
    """The same host without a source: the connector area could not install it, so the assert lists it."""
    lab = lab_factory("connector-sources")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_connector_source=''")
    lab.stop()
    (fatal,) = fatal_results(out.stdout)
    assert fatal["msg"].startswith("1 readiness check(s) failed on sfb-fe03:")
    assert "[online_connector] MicrosoftTeams is not installed." in fatal["msg"]
    assert lab.journal("online_session") == []


ROLE = REPO / "roles" / "lync_online_prereqs"


def write_playbook(tmp_path: pathlib.Path, plays: list[dict[str, t.Any]], name: str = "site.yml") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    return path


def role_play(**play: t.Any) -> dict[str, t.Any]:
    """A play running the role on the lab's servers; keyword arguments are added to the play."""
    return {
        "name": "Prerequisites",
        "hosts": "lync_servers",
        "gather_facts": False,
        "roles": [{"role": "lync.hybrid.lync_online_prereqs"}],
        **play,
    }


def export_play() -> dict[str, t.Any]:
    """A play that prints every server's lync_online_prereqs_result as one JSON line."""
    return {
        "name": "Show what the role exported",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Print the result",
                "ansible.builtin.debug": {
                    "msg": "EXPORTED {{ groups['lync_servers'] | map('extract', hostvars)"
                    " | map(attribute='lync_online_prereqs_result', default=none) | list | to_json }}"
                },
            }
        ],
    }


def exported(output: str) -> list[t.Any]:
    (line,) = [line for line in output.splitlines() if '"msg": "EXPORTED ' in line]
    return json.loads(json.loads("{" + line.strip() + "}")["msg"].removeprefix("EXPORTED "))


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def state_file(tmp_path: pathlib.Path, name: str, change: t.Callable[[dict[str, t.Any]], None]) -> pathlib.Path:
    """A copy of a lab state with `change` applied, for variants the shipped states do not cover."""
    data = yaml.safe_load((STATES / f"{name}.yml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / f"{name}-variant.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_report_when_the_first_server_is_unreachable(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    """The tenant result comes from the server that ran the tenant tasks, not from the play's first server."""
    lab = lab_factory("lync2013-ready")
    data = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))
    hosts = data["all"]["children"]["lync_servers"]["hosts"]
    (name, host_vars), *_others = hosts.items()
    data["all"]["children"]["lync_servers"]["hosts"] = {
        "aaa-down": {**host_vars, "ansible_port": closed_port()},
        name: host_vars,
    }
    inventory = tmp_path / "down-first" / "inventory.yml"
    inventory.parent.mkdir()
    inventory.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = prereqs(inventory, "-e", "lync_online_prereqs_report_html=true")
    lab.stop()
    # The role keeps an unreachable server for one task that fails it with the reason, so the report names it.
    assert re.search(r"^aaa-down +: ok=\d+ +changed=0 +unreachable=0 +failed=1", out.stdout, re.M), out.stdout
    assert re.search(r"^lync-fe01 +: ok=\d+ +changed=1 +unreachable=0 +failed=0", out.stdout, re.M), out.stdout
    markdown = (inventory.parent / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")
    html = (inventory.parent / "reports" / "lync-online-prereqs.html").read_text(encoding="utf-8")
    assert "### aaa-down\n\nUnreachable: " in markdown
    assert '<h3>aaa-down</h3>\n<p class="failed">Unreachable: ' in html
    for text in (markdown, html):
        assert "Contoso (6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f)" in text
        assert "No tenant session was opened." not in text
    assert "| SharedSipAddressSpace | no | yes (changed) |" in markdown


def render_report(tmp_path: pathlib.Path, results: dict[str, t.Any], *args: str) -> str:
    """The role's Markdown template rendered on the controller for hosts with the given exported results."""
    inventory = {"all": {"hosts": {host: {"ansible_connection": "local"} for host in results}}}
    facts = {host: result for host, result in results.items() if result is not None}
    plays = [
        {
            "name": "Render the report",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Pretend the role ran",
                    "ansible.builtin.set_fact": {"lync_online_prereqs_result": "{{ results[inventory_hostname] }}"},
                    "vars": {"results": facts},
                    "when": "inventory_hostname in results",
                    "check_mode": False,
                },
                {
                    "name": "Render",
                    "ansible.builtin.template": {
                        "src": str(ROLE / "templates" / "readiness-report.md.j2"),
                        "dest": str(tmp_path / "report.md"),
                        "mode": "0600",
                    },
                    "run_once": True,
                    "check_mode": False,
                    "delegate_to": "localhost",
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    },
                },
            ],
        }
    ]
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    playbook = write_playbook(tmp_path, plays, "render.yml")
    out = run(["ansible-playbook", str(playbook), "-i", str(tmp_path / "inventory.yml"), *args])
    assert out.returncode == 0, out.stdout + out.stderr
    return (tmp_path / "report.md").read_text(encoding="utf-8")


def test_report_says_unknown_for_an_unknown_build_and_would_change_in_check_mode(tmp_path: pathlib.Path) -> None:
    deployment = {"product": "Lync Server 2013", "build": None, "build_minimum": "5.0.8308.1182", "checks": []}
    connector = {"changed": True, "module": "MicrosoftTeams", "version": "6.1.0"}
    result = {"deployment": deployment, "failed_checks": [], "connector": connector, "tenant": None, "federation": None}
    results = {"down": None, "fe01": {**result, "deployment": {**deployment, "build_meets_minimum": None}}}
    text = render_report(tmp_path, results, "--check")
    assert "### down\n\nUnreachable or no result" in text
    assert "build unknown (unknown whether it meets the minimum for moving users: 5.0.8308.1182)" in text
    assert "below the minimum" not in text
    assert "Online connector: MicrosoftTeams 6.1.0 (would change)\n" in text
    # A result with nothing in it (an older export, or one written by hand) does not break the report.
    text = render_report(tmp_path, {"fe01": {"deployment": {"build_meets_minimum": False}}, "fe02": {}})
    assert "(below the minimum for moving users: unknown)" in text
    assert "No tenant session was opened." in text


def test_check_mode_with_a_connector_to_install_leaves_the_tenant_tasks_for_later(
    lab_factory: t.Callable[..., Lab],
) -> None:
    """connector-sources: MicrosoftTeams is missing, so a check-mode session would fail with connector_missing."""
    lab = lab_factory("connector-sources")
    out = prereqs(lab.inventory, "--check", "--diff")
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 1, out.stdout
    assert "they would run after the" in out.stdout and "connector install." in out.stdout
    assert lab.journal("online_session") == []
    assert final == initial_state("connector-sources")
    text = report(lab)
    assert "Online connector: MicrosoftTeams" in text and "(would change)" in text
    assert "the tenant session would be opened after the connector install." in text
    assert "the federation settings would be checked after the connector install." in text


def test_report_tasks_run_locally_under_play_level_windows_connection_vars(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("lync2013-ready")
    play_vars = {"ansible_connection": "winrm", "ansible_shell_type": "powershell", "ansible_become_method": "runas"}
    playbook = write_playbook(tmp_path, [role_play(vars=play_vars)])
    out = prereqs(lab.inventory, playbook=playbook)
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert play_recap(out.stdout)["unreachable"] == 0, out.stdout
    assert "| SharedSipAddressSpace | no | yes (changed) |" in report(lab)


def test_areas_that_did_not_run_export_null_and_the_result_is_not_cached(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("lync2013-ready")
    switches = {
        "lync_online_prereqs_facts_enabled": False,
        "lync_online_prereqs_connector_enabled": False,
        "lync_online_prereqs_federation_enabled": False,
    }
    playbook = write_playbook(tmp_path, [role_play(vars=switches), export_play()])
    cache = tmp_path / "fact-cache"
    out = run(
        ["ansible-playbook", str(playbook), "-i", str(lab.inventory)],
        ANSIBLE_CACHE_PLUGIN="ansible.builtin.jsonfile",
        ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache),
    )
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    (result,) = exported(out.stdout)
    assert result["deployment"] is None
    assert result["failed_checks"] is None
    assert result["connector"] is None
    assert result["federation"] is None
    assert result["tenant"]["tenant"]["display_name"] == "Contoso"
    cached = "".join(path.read_text(encoding="utf-8") for path in cache.iterdir()) if cache.exists() else ""
    assert "lync_online_prereqs_result" not in cached


def test_include_role_with_tags_always_selects_areas_by_tag(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """The documented way to use --tags with include_role: tags [always] on the include itself."""
    lab = lab_factory("sfb2019-teams")
    include = {"name": "lync.hybrid.lync_online_prereqs"}
    plays = [
        {
            "name": "Without tags on the include",
            "hosts": "lync_servers",
            "gather_facts": False,
            "tasks": [{"name": "Plain include", "ansible.builtin.include_role": include}],
        },
        {
            "name": "With tags [always] on the include",
            "hosts": "lync_servers",
            "gather_facts": False,
            "tasks": [{"name": "Tagged include", "ansible.builtin.include_role": include, "tags": ["always"]}],
        },
    ]
    out = prereqs(lab.inventory, "--tags", "lync_online_prereqs_facts", playbook=write_playbook(tmp_path, plays))
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    without, with_tags = out.stdout.split("PLAY [With tags [always] on the include]")
    assert "Gather the Lync deployment facts" not in without
    assert "Gather the Lync deployment facts" in with_tags
    assert "Ensure the online connector module is installed" not in with_tags
    assert lab.journal("online_session") == []
    assert wsman_commands(lab) == 1


def test_a_half_given_logon_fails_before_anything_reaches_a_server(lab_factory: t.Callable[..., Lab]) -> None:
    lab = lab_factory("connector-sources")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_password=''")
    final = lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    (fatal,) = fatal_results(out.stdout)
    assert "set lync_online_prereqs_username and lync_online_prereqs_password" in fatal["msg"]
    assert "Set (non-empty) now: lync_online_prereqs_username." in fatal["msg"]
    assert wsman_commands(lab) == 0
    assert final == initial_state("connector-sources")
    # Without the tenant areas, no logon is needed.
    lab = lab_factory("sfb2019-teams")
    out = prereqs(
        lab.inventory,
        "-e",
        "lync_online_prereqs_certificate_thumbprint='' lync_online_prereqs_session_enabled=false"
        " lync_online_prereqs_federation_enabled=false",
    )
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    "args",
    [("--tags", "lync_online_prereqs_facts"), ("--skip-tags", "lync_online_prereqs_connector")],
    ids=["tags-facts", "skip-tags-connector"],
)
def test_online_connector_check_stays_when_the_connector_area_does_not_run(
    lab_factory: t.Callable[..., Lab], args: tuple[str, str]
) -> None:
    """lync2013-ready selects a legacy connector; only the connector area may accept it."""
    lab = lab_factory("lync2013-ready")
    out = prereqs(lab.inventory, *args)
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    (fatal,) = fatal_results(out.stdout)
    assert fatal["msg"].startswith("1 readiness check(s) failed on lync-fe01:")
    assert "[online_connector] MicrosoftTeams is not installed." in fatal["msg"]
    assert lab.journal("online_session") == []


@pytest.mark.parametrize("pinned", ["", "6.1.0", "6.4.0"], ids=["no-pin", "pinned-6.1.0", "pinned-6.4.0"])
def test_microsoft_teams_older_than_6_2_1_is_not_left_to_the_connector_area(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, pinned: str
) -> None:
    """MicrosoftTeams 3.1.0 installed and a source: only a pinned version at or above 6.2.1 (what Move-CsUser
    needs) lets the area fix it."""

    def old_teams(data: dict[str, t.Any]) -> None:
        data["host"]["modules"] = [{"name": "MicrosoftTeams", "version": "3.1.0", "installed_by": "powershellget"}]

    lab = lab_factory(str(state_file(tmp_path, "connector-sources", old_teams)))
    out = prereqs(lab.inventory, "-e", f"lync_online_prereqs_connector_version='{pinned}'")
    lab.stop()
    if pinned == "6.4.0":
        assert out.returncode == 0, out.stdout + out.stderr
        assert "changed: [" in out.stdout.split("Ensure the online connector module is installed")[1].split("TASK")[0]
        return
    assert out.returncode == 2, out.stdout + out.stderr
    (fatal,) = fatal_results(out.stdout)
    assert "[online_connector] MicrosoftTeams 3.1.0 is older than 6.2.1, which Move-CsUser needs" in fatal["msg"]
    assert lab.journal("online_session") == []


def test_argument_spec_limits_ignored_checks_to_known_ids_and_hides_the_password(
    lab_factory: t.Callable[..., Lab],
) -> None:
    spec = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = spec["argument_specs"]["main"]["options"]
    assert options["lync_online_prereqs_ignore_checks"]["choices"] == list(CHECK_IDS)
    assert options["lync_online_prereqs_password"]["no_log"] is True

    lab = lab_factory("lync2013-ready")
    out = prereqs(lab.inventory, "-vvv", "-e", '{"lync_online_prereqs_ignore_checks": ["online_conector"]}')
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert "online_conector" in out.stdout and "lync_online_prereqs_ignore_checks" in out.stdout
    assert "Tenant-Adm1n-Passw0rd!" not in out.stdout + out.stderr
    assert wsman_commands(lab) == 0


def test_serial_runs_the_tenant_tasks_once_per_batch(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    """As the user guide says: run_once is per batch, and the last batch's report has every server."""
    lab = lab_factory("lync2013-ready")
    inventory = two_host_inventory(lab, tmp_path)
    out = prereqs(inventory, playbook=write_playbook(tmp_path, [role_play(serial=1)]))
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(sessions(lab, "open")) == 2 * TENANT_TASKS
    assert len(federation_sets(lab)) == 1
    assert_sessions_closed(lab, final)
    text = (inventory.parent / "reports" / "lync-online-prereqs.md").read_text(encoding="utf-8")
    assert text.count("| `powershell_version` | passed |") == 2
    assert "Unreachable or no result" not in text
