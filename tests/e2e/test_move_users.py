"""playbooks/move_users.yml end to end: ansible-playbook -> winrm -> lab host, with a 50-user tenant.

The playbook runs the prerequisites role first, reads the users file on the controller, moves the
users in batches from one Front End and writes the move report beside the readiness report. The
lab's state-out shows who moved; its journal shows every Move-CsUser that reached the host.
"""

from __future__ import annotations

import pathlib
import re
import typing as t

import pytest
import yaml

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


# --- one Front End per pool ---------------------------------------------------------------------

POOL2 = "pool02.fabrikam.local"
FRONT_ENDS = {"sfb-fe01": POOL, "sfb-fe02": POOL, "sfb-fe03": POOL2}


def two_pools(name: str) -> t.Callable[[dict[str, t.Any]], None]:
    """sfb2019-move seen from Front End ``name``: pool01 has sfb-fe01 and sfb-fe02, pool02 has sfb-fe03."""

    def change(data: dict[str, t.Any]) -> None:
        data["host"]["name"] = name
        domain = data["host"]["domain"]
        members = {
            pool: [f"{fe}.{domain}" for fe, home in FRONT_ENDS.items() if home == pool] for pool in (POOL, POOL2)
        }
        data["deployment"]["pools"] = [{"fqdn": p, "site": "Dublin", "computers": c} for p, c in members.items()]

    return change


def pools_inventory(labs: dict[str, Lab], path: pathlib.Path) -> pathlib.Path:
    """One lync_servers group over the lab hosts (each under its own name), group vars from the first."""
    hosts: dict[str, t.Any] = {}
    group_vars: dict[str, t.Any] = {}
    for lab in labs.values():
        group = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))["all"]["children"]["lync_servers"]
        group_vars = group_vars or group.get("vars", {})
        hosts.update(group["hosts"])
    path.write_text(yaml.safe_dump({"all": {"children": {"lync_servers": {"hosts": hosts, "vars": group_vars}}}}))
    return path


def start_pools(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> tuple[dict[str, Lab], pathlib.Path]:
    labs = {}
    for name in FRONT_ENDS:
        folder = tmp_path / name
        folder.mkdir()
        labs[name] = lab_factory(str(state_variant(folder, "sfb2019-move", two_pools(name))))
    return labs, pools_inventory(labs, tmp_path / "inventory.yml")


def move_in(inventory: pathlib.Path, users: pathlib.Path, *args: str) -> t.Any:
    return run(["ansible-playbook", PLAYBOOK, "-i", str(inventory), "-e", f"lync_move_users_file={users}", *args])


def test_each_pool_is_moved_once_from_one_of_its_front_ends(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    labs, inventory = start_pools(lab_factory, tmp_path)
    users = tmp_path / "users.csv"
    users.write_text(
        f"SipAddress,Pool\nann@fabrikam.com,{POOL}\nbob@fabrikam.com,{POOL}\n"
        f"carla@fabrikam.com,{POOL2}\ndan@fabrikam.com,{POOL2}\n",
        encoding="utf-8",
    )

    out = move_in(inventory, users)
    assert out.returncode == 0, out.stdout + out.stderr
    # Which host ran each pool's moves: the lab journal of each Front End.
    moved = {name: [m["params"]["Identity"] for m in moves(lab)] for name, lab in labs.items()}
    assert moved == {
        "sfb-fe01": ["ann@fabrikam.com", "bob@fabrikam.com"],
        "sfb-fe02": [],
        "sfb-fe03": ["carla@fabrikam.com", "dan@fabrikam.com"],
    }
    # Once per pool: the move task ran one item on each pool's first Front End, and skipped sfb-fe02.
    task = out.stdout.split("TASK [Move the users of each pool from one Front End of that pool]", 1)[1]
    task = task.split("TASK [", 1)[0]
    statuses = sorted(re.findall(r"^(\w+): \[(sfb-fe\d+)\]", task, re.M))
    assert statuses == [("changed", "sfb-fe01"), ("changed", "sfb-fe03"), ("skipping", "sfb-fe02")]
    assert f"changed: [sfb-fe01] => (item={POOL})" in task and f"changed: [sfb-fe03] => (item={POOL2})" in task
    report = (tmp_path / "reports" / "lync-move-users.md").read_text(encoding="utf-8")
    assert f"| {POOL} | 2 | 0 | 0 | 0 | 0 | 0 | 2 |" in report
    assert f"| {POOL2} | 2 | 0 | 0 | 0 | 0 | 0 | 2 |" in report

    again = move_in(inventory, users)
    assert again.returncode == 0, again.stdout + again.stderr
    assert play_recap(again.stdout)["changed"] == 0
    assert sum(len(moves(lab)) for lab in labs.values()) == 4


def test_refuses_a_pool_without_a_front_end_in_the_play(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    labs, inventory = start_pools(lab_factory, tmp_path)
    users = tmp_path / "users.csv"
    users.write_text(f"SipAddress,Pool\nann@fabrikam.com,{POOL}\ncarla@fabrikam.com,{POOL2}\n", encoding="utf-8")
    out = move_in(inventory, users, "--limit", "sfb-fe01,sfb-fe02")
    assert out.returncode != 0
    assert f"No host of this play is a Front End of {POOL2}" in out.stdout
    assert f"sfb-fe01 in {POOL}, sfb-fe02 in {POOL}" in out.stdout
    assert all(moves(lab) == [] for lab in labs.values())
