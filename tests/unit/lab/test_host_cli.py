"""``python -m tests.lab serve``: the ready line, the inventory, the final state, clear errors."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests.unit.lab.host_support import REPO, STATES


def test_bad_state_exits_with_the_reason(tmp_path: Path) -> None:
    state = tmp_path / "state.yml"
    state.write_text("host: {name: x}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "tests.lab", "serve", "--state", str(state)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "state.host.accounts: is required" in result.stderr


def test_serve_writes_inventory_and_final_state(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "tests.lab",
        "serve",
        "--state",
        str(STATES / "sfb2019-teams.yml"),
        "--port",
        "0",
        "--inventory",
        str(tmp_path / "inventory.yml"),
        "--state-out",
        str(tmp_path / "out.yml"),
        "--journal",
        str(tmp_path / "journal.jsonl"),
        "--transport",
        "basic",
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("lab ready port=") and line.strip().endswith("host=sfb-fe01")
        port = int(line.split("port=")[1].split()[0])
        inventory = yaml.safe_load((tmp_path / "inventory.yml").read_text(encoding="utf-8"))
        group = inventory["all"]["children"]["lync_servers"]
        host_vars = group["hosts"]["sfb-fe01"]
        assert host_vars["ansible_port"] == port and host_vars["ansible_winrm_transport"] == "basic"
        assert host_vars["ansible_user"] == "FABRIKAM\\lab-admin" and host_vars["ansible_connection"] == "winrm"
        assert group["vars"]["lync_online_prereqs_connector"] == "microsoft_teams"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    final = yaml.safe_load((tmp_path / "out.yml").read_text(encoding="utf-8"))
    assert final["host"]["name"] == "sfb-fe01" and final["tenant"]["federation"]["shared_sip_address_space"] is False
