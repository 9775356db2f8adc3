"""playbooks/move_users.yml end to end: ansible-playbook -> winrm -> lab host, with a 50-user tenant.

The playbook runs the prerequisites role first, reads the users file on the controller, moves the
users in batches from one Front End and writes the move report beside the readiness report. The
lab's state-out shows who moved; its journal shows every Move-CsUser that reached the host.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import playbook, state_variant, wsman_commands

pytestmark = pytest.mark.lab

PLAYBOOK = "playbooks/move_users.yml"
POOL = "pool01.fabrikam.local"
COUNT = 50


def fifty(data: dict[str, t.Any]) -> None:
    """sfb2019-move with 50 synchronised users homed online (and its six of its own)."""
    data["deployment"]["users"] += [{"sip_address": f"sip:user{n:02d}@fabrikam.com"} for n in range(COUNT)]


def users_file(tmp_path: pathlib.Path, csv: bool) -> pathlib.Path:
    path = tmp_path / ("users.csv" if csv else "users.txt")
    rows = [f"user{n:02d}@fabrikam.com" for n in range(COUNT)]
    if csv:
        text = "SipAddress,Pool\n" + "".join(f"sip:{row},{POOL}\n" for row in rows)
    else:
        text = "# users of wave 1\n" + "\n".join(rows) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def move(lab: Lab, users: pathlib.Path, *args: str) -> t.Any:
    return run(
        ["ansible-playbook", PLAYBOOK, "-i", str(lab.inventory), "-e", f"lync_move_users_file={users}",
         "-e", "lync_move_users_batch_size=20", *args]
    )  # fmt: skip


def moves(lab: Lab) -> list[dict[str, t.Any]]:
    return [e for e in lab.journal("cmdlet") if e["name"] == "Move-CsUser"]


@pytest.mark.parametrize("csv", [False, True], ids=["lines", "csv"])
def test_moves_fifty_users_then_a_second_run_changes_nothing(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path, csv: bool
) -> None:
    lab = lab_factory(str(state_variant(tmp_path, "sfb2019-move", fifty)))
    users = users_file(tmp_path, csv)

    check = move(lab, users, "--check", "--diff")
    assert check.returncode == 0, check.stdout + check.stderr
    assert moves(lab) == []
    plan = (lab.workdir / "reports" / "lync-move-users.md").read_text(encoding="utf-8")
    assert "Plan (check mode)" in plan and plan.count("| would_move | online | online |") == COUNT

    commands_before = wsman_commands(lab)
    first = move(lab, users)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(moves(lab)) == COUNT
    # The move task: one read command and three batches of at most 20, not one command per user.
    assert wsman_commands(lab) - commands_before <= 4 + 4  # the role's tasks + the move
    assert "Tenant-Adm1n" not in first.stdout and "M0ver-Tenant-Passw0rd!" not in first.stdout
    report = (lab.workdir / "reports" / "lync-move-users.md").read_text(encoding="utf-8")
    assert f"| {POOL} | {COUNT} | 0 | 0 | 0 | 0 | 0 | {COUNT} |" in report
    assert (lab.workdir / "reports" / "lync-move-users.html").exists()
    assert (lab.workdir / "reports" / "lync-online-prereqs.md").exists()

    second = move(lab, users)
    assert second.returncode == 0, second.stdout + second.stderr
    assert play_recap(second.stdout)["changed"] == 0
    assert len(moves(lab)) == COUNT
    final = lab.stop()
    homed = {u["sip_address"]: u["registrar_pool"] for u in final["deployment"]["users"]}
    assert all(homed[f"sip:user{n:02d}@fabrikam.com"] == POOL for n in range(COUNT))
    assert homed["sip:ann@fabrikam.com"] is None  # not in the file: never moved


def test_a_failed_user_is_reported_for_retry(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    lab = lab_factory("sfb2019-move")
    users = tmp_path / "users.txt"
    users.write_text("ann@fabrikam.com\neve@fabrikam.com\nzed@fabrikam.com\n", encoding="utf-8")
    out = move(lab, users)
    assert out.returncode != 0
    assert "Not every user was moved" in out.stdout
    report = (lab.workdir / "reports" / "lync-move-users.md").read_text(encoding="utf-8")
    assert "| eve@fabrikam.com | not_synced |" in report and "Azure AD Connect" in report
    assert "| zed@fabrikam.com | not_found |" in report
    assert "## To retry" in report and "- eve@fabrikam.com" in report
    assert [m["params"]["Identity"] for m in moves(lab)] == ["ann@fabrikam.com", "eve@fabrikam.com"]


def test_refuses_to_move_when_the_deployment_is_not_ready(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    def no_provider(data: dict[str, t.Any]) -> None:
        data["deployment"]["hosting_providers"] = []

    lab = lab_factory(str(state_variant(tmp_path, "sfb2019-move", no_provider)))
    users = tmp_path / "users.txt"
    users.write_text("ann@fabrikam.com\n", encoding="utf-8")
    out = move(lab, users, "--check")
    assert out.returncode != 0
    assert moves(lab) == []
    assert not (lab.workdir / "reports" / "lync-move-users.md").exists()


def test_integration_target(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    lab = lab_factory("sfb2019-move")
    out = run(["ansible-playbook", str(playbook(tmp_path, role="cs_user_move")), "-i", str(lab.inventory)])
    assert out.returncode == 0, out.stdout + out.stderr
    recap = play_recap(out.stdout)
    assert (recap["changed"], recap["failed"], recap["ignored"]) == (2, 0, 1)
    assert [m["params"]["Identity"] for m in moves(lab)] == ["ann@fabrikam.com"]
