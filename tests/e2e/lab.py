"""Start a lab host as its own process and run real ansible commands against it.

Everything above the PowerShell boundary is real here: ansible-playbook, the winrm
connection plugin, pywinrm, NTLM with message encryption, the action plugins.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import typing as t

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
STATES = REPO / "tests" / "lab" / "states"
BIN = pathlib.Path(sys.executable).parent


@dataclasses.dataclass
class Lab:
    """A running lab host and the files it writes."""

    process: subprocess.Popen[str]
    workdir: pathlib.Path
    port: int

    @property
    def inventory(self) -> pathlib.Path:
        return self.workdir / "inventory.yml"

    @property
    def journal_path(self) -> pathlib.Path:
        return self.workdir / "journal.jsonl"

    def journal(self, event: str | None = None) -> list[dict[str, t.Any]]:
        if not self.journal_path.exists():
            return []
        lines = self.journal_path.read_text(encoding="utf-8").splitlines()
        events = [json.loads(line) for line in lines if line.strip()]
        return [e for e in events if event is None or e.get("event") == event]

    def inventory_vars(self) -> dict[str, t.Any]:
        data = yaml.safe_load(self.inventory.read_text(encoding="utf-8"))
        group = data["all"]["children"]["lync_servers"]
        host_vars = next(iter(group["hosts"].values()))
        return {**group.get("vars", {}), **host_vars}

    def stop(self) -> dict[str, t.Any]:
        """Stop the lab and return its final state (what the tenant and host look like now)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        state_out = self.workdir / "state-out.yml"
        return yaml.safe_load(state_out.read_text(encoding="utf-8")) if state_out.exists() else {}


def start_lab(state: str | pathlib.Path, workdir: pathlib.Path, *extra: str) -> Lab:
    """Start ``python -m tests.lab serve`` and wait for its ready line."""
    state_path = pathlib.Path(state)
    if not state_path.is_absolute() and not state_path.exists():
        state_path = STATES / f"{state}.yml"
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "tests.lab", "serve",
        "--state", str(state_path),
        "--port", "0",
        "--journal", str(workdir / "journal.jsonl"),
        "--inventory", str(workdir / "inventory.yml"),
        "--state-out", str(workdir / "state-out.yml"),
        *extra,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"lab ready port=(\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"lab did not start: {line!r} {process.stderr.read() if process.stderr else ''}")
    return Lab(process=process, workdir=workdir, port=int(match.group(1)))


def ansible_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
        ANSIBLE_ROLES_PATH=str(REPO / "tests" / "integration" / "targets"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCAL_TEMP=str(REPO / "build" / "tmp"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run an ansible command (from this venv) and capture everything it printed."""
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO,
        env=ansible_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def play_recap(output: str) -> dict[str, int]:
    """The numbers of the PLAY RECAP line(s), summed over hosts."""
    totals: dict[str, int] = {}
    for line in output.splitlines():
        if " : ok=" in line:
            for key, value in re.findall(r"(\w+)=(\d+)", line):
                totals[key] = totals.get(key, 0) + int(value)
    return totals
