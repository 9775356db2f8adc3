"""What the role says at a glance, end to end against lab processes (issue 11, item 6).

A string of ignored checks as -e gives it, the console warning for failed checks that do not
stop the run, the report when no server answers, one report file per run beside the latest,
the verdict and readable values, and `make lab` agreeing with its own report.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import typing as t

import pytest
import yaml

from tests.e2e.lab import REPO, Lab, ansible_env, play_recap
from tests.e2e.test_role import closed_port, prereqs, two_host_inventory, wsman_commands
from tests.unit.plugins.action.lab_support import BROKEN_FAILED_CHECKS

pytestmark = pytest.mark.lab

REPORT = "lync-online-prereqs.md"


def warning_lines(output: str) -> list[str]:
    """The lines of the warning the role prints for failed checks that do not stop the run (a debug list)."""
    match = re.search(r'"msg": \[\n((?:\s+".*",?\n)+)\s+\]', output.split("Warn about failed readiness checks")[1])
    assert match, output
    lines = [json.loads(line.strip().rstrip(",")) for line in match.group(1).splitlines()]
    assert lines[0].startswith("WARNING: readiness check(s) failed on "), lines
    return lines[1:]


def verdict(text: str) -> str:
    match = re.search(r"^\*\*Verdict: (.*)\*\*$", text, re.M)
    assert match, text
    return match.group(1)


def test_ignore_checks_as_a_comma_separated_string_is_warned_and_reported(lab_factory: t.Callable[..., Lab]) -> None:
    """-e gives a string: the role splits it (it used to die in a template error after the facts task)."""
    lab = lab_factory("broken")
    ignored = ",".join(BROKEN_FAILED_CHECKS)
    out = prereqs(
        lab.inventory, "--tags", "lync_online_prereqs_facts", "-e", f"lync_online_prereqs_ignore_checks={ignored}"
    )
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert play_recap(out.stdout)["failed"] == 0
    lines = warning_lines(out.stdout)
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"[{check_id}] ignored (lync_online_prereqs_ignore_checks)" for check_id in BROKEN_FAILED_CHECKS
    ], lines
    text = (lab.workdir / "reports" / REPORT).read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", text, re.M))
    assert {check_id for check_id, outcome in rows.items() if outcome == "ignored"} == set(BROKEN_FAILED_CHECKS)
    assert "**FAILED**" not in text
    assert verdict(text).startswith(f"READY WITH {len(BROKEN_FAILED_CHECKS)} IGNORED CHECK(S): 1 server(s)")


def test_an_ignored_check_is_warned_before_the_other_failed_checks_stop_the_run(
    lab_factory: t.Callable[..., Lab],
) -> None:
    lab = lab_factory("broken")
    out = prereqs(
        lab.inventory, "--tags", "lync_online_prereqs_facts", "-e", "lync_online_prereqs_ignore_checks=build_minimum"
    )
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    (line,) = warning_lines(out.stdout)
    assert line.startswith("[build_minimum] ignored (lync_online_prereqs_ignore_checks): ")
    (fatal,) = [line for line in out.stdout.splitlines() if line.startswith("fatal: [")]
    assert f"{len(BROKEN_FAILED_CHECKS) - 1} readiness check(s) failed" in fatal and "[build_minimum]" not in fatal
    text = (lab.workdir / "reports" / REPORT).read_text(encoding="utf-8")
    assert "| `build_minimum` | ignored |" in text and verdict(text).startswith(
        "NOT READY: 1 server(s): 0 ready, 1 not"
    )


def test_an_unknown_name_in_the_string_is_refused_before_any_server_is_contacted(
    lab_factory: t.Callable[..., Lab],
) -> None:
    lab = lab_factory("lync2013-ready")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_ignore_checks=build_minimum,online_conector")
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert "lync_online_prereqs_ignore_checks" in out.stdout and "Got no match for: online_conector" in out.stdout
    assert wsman_commands(lab) == 0


def test_fail_on_checks_false_warns_about_each_failed_check_and_the_verdict_says_not_ready(
    lab_factory: t.Callable[..., Lab],
) -> None:
    lab = lab_factory("broken")
    out = prereqs(
        lab.inventory, "--tags", "lync_online_prereqs_facts", "-e", "lync_online_prereqs_fail_on_checks=false"
    )
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    lines = warning_lines(out.stdout)
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"[{check_id}] failed (lync_online_prereqs_fail_on_checks is false)" for check_id in BROKEN_FAILED_CHECKS
    ], lines
    text = (lab.workdir / "reports" / REPORT).read_text(encoding="utf-8")
    assert verdict(text).startswith("NOT READY: 1 server(s): 0 ready, 1 not ready, 0 unreachable")
    assert f"; {len(BROKEN_FAILED_CHECKS)} failed check(s), 0 ignored;" in verdict(text)


def test_a_report_is_written_when_no_server_can_be_reached(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """Every server down (the lab's inventory, on closed ports): the report names each one with the reason."""
    lab = lab_factory("lync2013-ready")
    data = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))
    lab.stop()
    group = data["all"]["children"]["lync_servers"]
    host_vars = next(iter(group["hosts"].values()))
    hosts = {name: {**host_vars, "ansible_port": closed_port()} for name in ("fe-down1", "fe-down2")}
    group["hosts"] = hosts
    inventory = tmp_path / "down" / "inventory.yml"
    inventory.parent.mkdir()
    inventory.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = prereqs(inventory, "-e", "lync_online_prereqs_report_html=true")
    assert out.returncode != 0
    recap = play_recap(out.stdout)
    assert recap["failed"] == 2 and recap["changed"] == 0, out.stdout
    markdown = (inventory.parent / "reports" / REPORT).read_text(encoding="utf-8")
    html = (inventory.parent / "reports" / "lync-online-prereqs.html").read_text(encoding="utf-8")
    assert verdict(markdown).startswith("NOT READY: 2 server(s): 0 ready, 0 not ready, 2 unreachable")
    for host in hosts:
        assert re.search(rf"### {host}\n\nUnreachable: .*(refused|connect)", markdown, re.I), markdown
        assert re.search(rf'<h3>{host}</h3>\n<p class="failed">Unreachable: .*(refused|connect)', html, re.I), html
    assert "No tenant session was opened." in markdown


def test_limit_writes_its_own_report_beside_the_whole_pool_report(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("lync2013-ready")
    inventory = two_host_inventory(lab, tmp_path)
    reports = inventory.parent / "reports"
    whole = prereqs(inventory)
    limited = prereqs(inventory, "--limit", "lync-fe01-second")
    lab.stop()
    assert whole.returncode == 0 and limited.returncode == 0, whole.stdout + limited.stdout
    (pool,) = reports.glob("lync-online-prereqs-*-all.md")
    (one,) = reports.glob("lync-online-prereqs-*-limit-lync-fe01-second.md")
    assert re.fullmatch(r"lync-online-prereqs-\d{8}T\d{6}Z-all\.md", pool.name)
    pool_text, one_text = pool.read_text(encoding="utf-8"), one.read_text(encoding="utf-8")
    assert "### lync-fe01\n" in pool_text and "### lync-fe01-second\n" in pool_text
    assert "### lync-fe01\n" not in one_text and "scope: --limit lync-fe01-second" in one_text
    # The stable name is a copy of the latest run's report, not a link.
    latest = reports / REPORT
    assert not latest.is_symlink() and latest.read_text(encoding="utf-8") == one_text
    assert f"Readiness report: {latest} (this run's own copy: {one})" in limited.stdout


def test_report_opens_with_the_verdict_and_reads_as_an_administrator_reads(
    lab_factory: t.Callable[..., Lab],
) -> None:
    lab = lab_factory("sfb2019-teams")
    out = prereqs(lab.inventory, "-e", "lync_online_prereqs_report_html=true")
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    markdown = (lab.workdir / "reports" / REPORT).read_text(encoding="utf-8")
    html = (lab.workdir / "reports" / "lync-online-prereqs.html").read_text(encoding="utf-8")
    expected = "READY, CHANGED: 1 server(s): 1 ready, 0 not ready, 0 unreachable or without a result; "
    assert verdict(markdown).startswith(expected), verdict(markdown)
    assert markdown.index("**Verdict: ") < markdown.index("## Servers")
    assert f'<p class="verdict passed">Verdict: {expected}' in html
    assert html.index("Verdict: ") < html.index("<h2>Servers</h2>")
    assert "1 change(s) made." in verdict(markdown)
    # The federation table only: sections after it (the move prerequisites) are prose.
    federation = markdown.split("## Tenant federation settings")[1].split("\n## ")[0]
    html_federation = html.split("<h2>Tenant federation settings</h2>")[1].split("<h2>")[0]
    assert "| SharedSipAddressSpace | no | yes (changed) |" in federation
    assert "<tr><td>SharedSipAddressSpace</td><td>no</td><td>yes (changed)</td></tr>" in html_federation
    # No Python reprs: no brackets, quotes, True/False or None anywhere in the table.
    for text in (federation, html_federation):
        assert "<tr><td>AllowFederatedUsers</td>" in text or "| AllowFederatedUsers |" in text
        assert not re.search(r"\[|'|&#39;|\bTrue\b|\bFalse\b|\bNone\b", text), text
    sip_domains = re.search(r"^- SIP domains: (.*)$", markdown, re.M)
    assert sip_domains and re.fullmatch(r"[\w.-]+(, [\w.-]+)*", sip_domains.group(1)), markdown


def test_make_lab_demonstrates_microsoft_teams_and_agrees_with_its_report(tmp_path: pathlib.Path) -> None:
    """`make lab`: two runs (changed, then changed=0) on MicrosoftTeams, and a report that says READY."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.lab.demo", "--workdir", str(tmp_path)],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "First run: changed=1; second run: changed=0" in out.stdout
    assert re.search(r"^Verdict: READY: 1 server\(s\): 1 ready", out.stdout, re.M), out.stdout
    text = (tmp_path / "reports" / REPORT).read_text(encoding="utf-8")
    assert "| `online_connector` | passed | MicrosoftTeams " in text
    assert "**FAILED**" not in text and "LyncOnlineConnector" not in out.stdout
