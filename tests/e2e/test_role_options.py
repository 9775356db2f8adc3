"""Documented role options and files, end to end against lab processes.

What roles/lync_online_prereqs/meta/argument_specs.yml, its defaults and the user guide promise
and no other test checks: ``fail_on_checks: false`` (the checks are reported, the assert does
not fail the run), ``report_dir`` and the report's file modes, ``connector_minimum_version``
passed to the install, the exported ``waits_for_connector``, and docs/inventory.example.yml
as an inventory that works.
"""

from __future__ import annotations

import pathlib
import re
import stat
import typing as t

import pytest
import yaml
from ansible_collections.lync.hybrid.plugins.plugin_utils._checks import CHECK_IDS

from tests.e2e.lab import REPO, Lab, play_recap, run
from tests.e2e.test_role import (
    BROKEN_CHECKS,
    export_play,
    exported,
    initial_state,
    role_play,
    write_playbook,
)
from tests.unit.plugins.action.lab_support import BROKEN_FAILED_CHECKS

pytestmark = pytest.mark.lab

REPORT = "lync-online-prereqs.md"


def playbook(tmp_path: pathlib.Path, **play: t.Any) -> pathlib.Path:
    """The role on the lab's servers, then a play printing what it exported (also under --tags)."""
    show = export_play()
    for task in show["tasks"]:
        task["tags"] = ["always"]
    return write_playbook(tmp_path, [role_play(**play), show])


def test_fail_on_checks_false_reports_every_failed_check_without_failing(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """broken, facts area only: the readiness assert is skipped, the failed checks are exported and reported.

    Only what is consistent between the documentation and the role is asserted here: the facts
    area fails nothing and lists every failed check. (Whether the other areas should run when
    the checks fail is a separate question; they are left out with the facts tag.)
    """
    lab = lab_factory("broken")
    report_dir = tmp_path / "change-1234" / "readiness"
    out = run(
        [
            *["ansible-playbook", str(playbook(tmp_path)), "-i", str(lab.inventory)],
            *["--tags", "lync_online_prereqs_facts", "-e", "lync_online_prereqs_fail_on_checks=false"],
            *["-e", f"lync_online_prereqs_report_dir={report_dir}"],
        ]
    )
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert recap["failed"] == 0 and recap["changed"] == 0, out.stdout
    assert "fatal: [" not in out.stdout
    assert re.search(
        r"TASK \[[^\]]*Assert that every readiness check passed\][^\n]*\nskipping: \[sfb-fe02\]", out.stdout
    )

    (result,) = exported(out.stdout)
    assert [check["id"] for check in result["failed_checks"]] == list(BROKEN_FAILED_CHECKS)
    for check in result["failed_checks"]:
        assert check["passed"] is False and check["detail"] and check["remedy"], check
    assert result["connector"] is None and result["tenant"] is None and result["federation"] is None

    # report_dir: the report is there (created with its parents), not in the default folder.
    text = (report_dir / REPORT).read_text(encoding="utf-8")
    assert not (lab.workdir / "reports").exists()
    rows = dict(re.findall(r"^\| `(\w+)` \| (passed|\*\*FAILED\*\*) \|", text, re.M))
    assert set(rows) == set(CHECK_IDS)
    assert {check_id for check_id, verdict in rows.items() if verdict == "**FAILED**"} == BROKEN_CHECKS
    assert lab.journal("online_session") == [] and lab.journal("change") == []
    assert final == initial_state("broken")


def test_report_files_have_the_documented_modes(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    """The user guide: the report is written with mode 0640 (its folder 0750, the role's task), HTML too."""
    lab = lab_factory("lync2013-ready")
    report_dir = tmp_path / "reports-here"
    out = run(
        [
            *["ansible-playbook", "playbooks/prereqs.yml", "-i", str(lab.inventory)],
            *[
                "--tags",
                "lync_online_prereqs_facts",
                "-e",
                '{"lync_online_prereqs_ignore_checks": ["online_connector"]}',
            ],
            *["-e", f"lync_online_prereqs_report_dir={report_dir}", "-e", "lync_online_prereqs_report_html=true"],
        ]
    )
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert stat.S_IMODE(report_dir.stat().st_mode) == 0o750
    for name in (REPORT, "lync-online-prereqs.html"):
        assert stat.S_IMODE((report_dir / name).stat().st_mode) == 0o640, name
    assert f"Readiness report: {report_dir / REPORT}" in out.stdout


def test_connector_minimum_version_is_passed_to_the_install(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """connector-sources without the pinned version: the newest MicrosoftTeams >= the minimum is installed."""
    lab = lab_factory("connector-sources")
    out = run(
        [
            *["ansible-playbook", str(playbook(tmp_path)), "-i", str(lab.inventory)],
            *[
                "-e",
                "lync_online_prereqs_connector_version=''",
                "-e",
                "lync_online_prereqs_connector_minimum_version=6.0.0",
            ],
        ]
    )
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    installs = [e for e in lab.journal("cmdlet") if e["name"] == "Install-Module"]
    assert [e["params"] for e in installs] == [
        {
            "Name": "MicrosoftTeams",
            "Repository": "InternalGallery",
            "MinimumVersion": "6.0.0",
            "Scope": "AllUsers",
            "Force": True,
            "AllowClobber": True,
        }
    ]
    teams = [(m["name"], m["version"]) for m in final["host"]["modules"] if m["name"] == "MicrosoftTeams"]
    assert teams == [("MicrosoftTeams", "6.4.0")]
    (result,) = exported(out.stdout)
    assert result["connector"]["version"] == "6.4.0" and result["connector"]["changed"] is True
    assert result["waits_for_connector"] is False


def test_connector_minimum_version_above_the_installed_one_needs_a_source(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """sfb2019-teams has MicrosoftTeams 6.4.0 and no source: a minimum of 7.0.0 fails the connector area."""
    lab = lab_factory("sfb2019-teams")
    out = run(
        [
            *["ansible-playbook", "playbooks/prereqs.yml", "-i", str(lab.inventory)],
            *["-e", "lync_online_prereqs_connector_minimum_version=7.0.0"],
        ]
    )
    final = lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("fatal: [")]
    assert len(lines) == 1 and '"reason": "source_required"' in lines[0], out.stdout
    assert (
        "MicrosoftTeams >= 7.0.0 is not installed (the host has 6.4.0) and no source was given. Set source to a "
        "PowerShell repository name (MicrosoftTeams), a folder written by Save-Module, or the path of the "
        "connector's MSI (legacy connectors)."
    ) in lines[0]
    assert lab.journal("online_session") == []
    assert final == initial_state("sfb2019-teams")


def test_waits_for_connector_is_exported_in_check_mode(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """connector-sources in check mode: the connector would be installed, so the tenant tasks wait for it."""
    lab = lab_factory("connector-sources")
    out = run(["ansible-playbook", str(playbook(tmp_path)), "-i", str(lab.inventory), "--check"])
    final = lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    (result,) = exported(out.stdout)
    assert result["waits_for_connector"] is True
    assert result["connector"]["changed"] is True
    assert result["tenant"] is None and result["federation"] is None
    assert lab.journal("online_session") == []
    assert final == initial_state("connector-sources")


def test_the_example_inventory_runs_modules_against_a_lab_host(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    """docs/inventory.example.yml with the lab's address, port, account and tenant logon put in its places.

    Its shape stays: the same group, the same two servers, the same variables. Only values change,
    and NTLM replaces Kerberos (the example's documented alternative; the lab has no KDC).
    """
    example = yaml.safe_load((REPO / "docs" / "inventory.example.yml").read_text(encoding="utf-8"))
    lab = lab_factory("sfb2019-teams")
    lab_vars = lab.inventory_vars()
    group = example["all"]["children"]["lync_servers"]
    names = list(group["hosts"])
    assert names == ["fe01.contoso.local", "fe02.contoso.local"]
    assert all(value is None for value in group["hosts"].values())
    keys = set(group["vars"])
    # The example's values that are the real server's, each replaced by the lab's.
    replaced = {
        "ansible_port": lab_vars["ansible_port"],
        "ansible_winrm_transport": "ntlm",
        "ansible_user": lab_vars["ansible_user"],
        "ansible_password": lab_vars["ansible_password"],
        "lync_online_prereqs_certificate_thumbprint": lab_vars["lync_online_prereqs_certificate_thumbprint"],
        "lync_online_prereqs_application_id": lab_vars["lync_online_prereqs_application_id"],
        "lync_online_prereqs_tenant_id": lab_vars["lync_online_prereqs_tenant_id"],
        "lync_online_prereqs_connector_source": "InternalGallery",
    }
    assert set(replaced) <= keys
    group["vars"].update(replaced)
    # Both servers are the lab host (as two Front Ends of one pool would be two hosts).
    group["hosts"] = {name: {"ansible_host": lab_vars.get("ansible_host", "127.0.0.1")} for name in names}
    assert set(group["vars"]) == keys and list(group["hosts"]) == names
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(example, sort_keys=False), encoding="utf-8")
    # The unchanged values: WinRM over HTTP with message encryption, MicrosoftTeams, minimum 6.2.1, Kerberos
    # delegation (ignored by NTLM, which the lab speaks).
    kept = {key: group["vars"][key] for key in keys - set(replaced)}
    assert kept == {
        "ansible_connection": "winrm",
        "ansible_winrm_scheme": "http",
        "ansible_winrm_message_encryption": "always",
        "lync_online_prereqs_connector": "microsoft_teams",
        "lync_online_prereqs_connector_minimum_version": "6.2.1",
        "ansible_winrm_kerberos_delegation": True,
    }

    facts = run(["ansible", "lync_servers", "-i", str(inventory), "-m", "lync.hybrid.cs_deployment_facts"])
    session_args = " ".join(
        f"{option}={{{{ lync_online_prereqs_{option} }}}}"
        for option in ("connector", "certificate_thumbprint", "application_id", "tenant_id")
    )
    session = run(
        [
            "ansible",
            "fe01.contoso.local",
            "-i",
            str(inventory),
            "-m",
            "lync.hybrid.cs_online_session",
            "-a",
            session_args,
        ]
    )
    lab.stop()
    assert facts.returncode == 0, facts.stdout + facts.stderr
    for name in names:
        assert re.search(rf"^{re.escape(name)} \| SUCCESS => ", facts.stdout, re.M), facts.stdout
    assert facts.stdout.count('"product_key": "sfb2019"') == 2
    assert session.returncode == 0, session.stdout + session.stderr
    assert '"display_name": "Fabrikam"' in session.stdout
    assert len([e for e in lab.journal("wsman") if e.get("action") == "Command"]) == 3
    assert {e["user"] for e in lab.journal("wsman") if e.get("action") == "Command"} == {lab_vars["ansible_user"]}
