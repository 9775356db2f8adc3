"""Which Ansible connection plugins the modules run over, end to end against a lab host."""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab, play_recap, run
from tests.e2e.lab_support import playbook

pytestmark = pytest.mark.lab

FACTS_TASK = {"name": "Read the deployment", "lync.hybrid.cs_deployment_facts": {}}


def test_psrp_is_refused_before_anything_reaches_the_host(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("sfb2019-teams")
    play = str(playbook(tmp_path, tasks=[FACTS_TASK]))
    out = run(["ansible-playbook", "-i", str(lab.inventory), "-e", "ansible_connection=psrp", play])
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert play_recap(out.stdout)["failed"] == 1
    assert "lync.hybrid modules do not run over the 'psrp' connection: it hands standard input" in out.stdout
    assert "Use ansible_connection=winrm for this host" in out.stdout
    assert lab.journal("wsman") == []  # refused on the controller: not one request reached the host


def test_winrm_from_the_same_inventory_runs(lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path) -> None:
    lab = lab_factory("sfb2019-teams")
    out = run(["ansible-playbook", "-i", str(lab.inventory), str(playbook(tmp_path, tasks=[FACTS_TASK]))])
    lab.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert play_recap(out.stdout)["ok"] == 1
    assert len([e for e in lab.journal("wsman") if e.get("action") == "Command"]) == 1


def test_ssh_is_refused_before_anything_reaches_the_host(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    lab = lab_factory("sfb2019-teams")
    play = str(playbook(tmp_path, tasks=[FACTS_TASK]))
    extra = ["-e", "ansible_connection=ssh", "-e", "ansible_shell_type=powershell"]
    out = run(["ansible-playbook", "-i", str(lab.inventory), *extra, play])
    lab.stop()
    assert out.returncode == 2, out.stdout + out.stderr
    assert play_recap(out.stdout)["failed"] == 1
    assert "lync.hybrid modules do not run over the 'ssh' connection: its command line reaches" in out.stdout
    assert "DefaultShell is powershell.exe" in out.stdout and "Use ansible_connection=winrm" in out.stdout
    assert lab.journal("wsman") == []  # refused on the controller: not one request reached the host
