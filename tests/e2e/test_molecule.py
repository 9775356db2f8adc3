"""`molecule test` of extensions/molecule/default, as a developer runs it from the repository root.

The scenario starts its own lab host (create.yml), so this test only runs molecule and reads
what it printed: every action of the test sequence succeeded, the first converge changed the
tenant, the idempotence run and the check run changed nothing, and destroy left nothing behind.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess

import pytest

from tests.e2e.lab import BIN, REPO, ansible_env

pytestmark = pytest.mark.lab

SEQUENCE = ["destroy", "syntax", "create", "converge", "idempotence", "check", "verify", "destroy"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def sections(output: str) -> list[tuple[str, str]]:
    """(action, what it printed) for each action, in the order molecule ran them."""
    parts = re.split(r"^.*default [>➜] (\w+)\]?:? Executing\s*$", output, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def recap(text: str, host: str) -> dict[str, int]:
    match = re.search(rf"^[\s│]*{re.escape(host)}\s+: (ok=.*)$", text, re.M)
    assert match, text
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def test_molecule_test_passes(tmp_path: pathlib.Path) -> None:
    ephemeral = tmp_path / "molecule"
    pid_file = ephemeral / "lab" / "lab.pid"
    try:
        # One stream: molecule logs its actions on stderr, ansible-playbook prints on stdout.
        out = subprocess.run(
            [str(BIN / "molecule"), "test"],
            cwd=REPO,
            env=ansible_env(MOLECULE_EPHEMERAL_DIRECTORY=str(ephemeral), NO_COLOR="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        leftover = pid_file.read_text(encoding="utf-8").strip() if pid_file.exists() else ""
        if leftover:
            os.kill(int(leftover), signal.SIGTERM)
    output = ANSI.sub("", out.stdout)
    assert out.returncode == 0, output
    assert not leftover, "destroy left the lab host running"

    # Collection mode: molecule found galaxy.yml in the working directory.
    assert "Collection 'lync.hybrid' detected." in output
    ran = sections(output)
    assert [action for action, _text in ran] == SEQUENCE, output
    for action, text in ran:
        assert re.search(rf"default [>➜] {action}\]?:? Executed: Successful", text), text

    by_action = dict(ran[1:-1])
    assert recap(by_action["converge"], "lync-fe01")["changed"] == 1
    assert recap(by_action["idempotence"], "lync-fe01")["changed"] == 0
    check = recap(by_action["check"], "lync-fe01")
    assert check["changed"] == 0 and check["failed"] == 0
    assert "Assert Set-CsTenantFederationConfiguration was called exactly once" in by_action["verify"]
    assert "All assertions passed" in by_action["verify"]
    assert re.search(r"default\s+: actions=8\s+successful=8 .*failed=0", output), output
    # destroy stopped the lab host and removed its files.
    assert not (ephemeral / "lab").exists()
