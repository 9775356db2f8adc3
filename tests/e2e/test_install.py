"""The collection as users get it: a built tarball, installed with ansible-galaxy, run by FQCN.

Nothing of the checkout is visible to the installed collection's run: it starts in a folder
outside the checkout with no ansible.cfg, no ANSIBLE_CONFIG, and ANSIBLE_COLLECTIONS_PATH
set to the install path only (not the checkout's build/collections link), with a HOME of its
own and without Python's site-packages collections. Runs on every ansible-core leg.
"""

from __future__ import annotations

import pathlib
import re
import typing as t

import pytest

from tests.e2e.install_support import (
    ALLOWED,
    CONTENT,
    FORBIDDEN,
    build_tarball,
    clean_env,
    install_tarball,
    tarball_files,
    tool,
)
from tests.e2e.lab import REPO, Lab, play_recap

pytestmark = pytest.mark.lab


def test_tarball_ships_the_allow_list_and_every_content_file(tmp_path: pathlib.Path) -> None:
    files = tarball_files(build_tarball(tmp_path / "dist"))

    stray = sorted(name for name in files if not any(pattern.fullmatch(name) for pattern in ALLOWED))
    assert stray == [], f"files outside the allow-list: {stray}"
    forbidden = sorted(name for name in files if FORBIDDEN.search(name))
    assert forbidden == [], f"lab, tooling or caches in the tarball: {forbidden}"

    # Every file of the content folders, and the files users and Galaxy read, are in it.
    content = {
        path.relative_to(REPO).as_posix()
        for folder in CONTENT
        for path in (REPO / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert content - files == set()
    assert {
        "README.md", "COPYING", "CHANGELOG.rst", "requirements.txt", "meta/execution-environment.yml",
        "roles/lync_online_prereqs/README.md", "docs/docsite/extra-docs.yml", "docs/docsite/links.yml",
        "tests/sanity/ignore-2.21.txt", "plugins/plugin_utils/runner.ps1",
    } <= files  # fmt: skip
    # The integration targets are shipped (like ansible.windows); the lab they were run against is not.
    assert any(name.startswith("tests/integration/targets/cs_online_session/") for name in files)
    assert not any(name.startswith("tests/lab/") for name in files)


def test_installed_tarball_runs_the_prereqs_playbook_from_outside_the_checkout(
    lab_factory: t.Callable[..., Lab], tmp_path: pathlib.Path
) -> None:
    tarball = build_tarball(tmp_path / "dist")
    home = tmp_path / "user"
    collections = home / "collections"
    collections.mkdir(parents=True)
    installed = install_tarball(tarball, collections)
    assert not (installed / "tests" / "lab").exists()

    lab = lab_factory("lync2013-ready")
    workdir = home / "migration"
    workdir.mkdir()
    env = clean_env(
        HOME=str(home),
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
    )
    assert not REPO.resolve().is_relative_to(workdir.resolve()) and not workdir.resolve().is_relative_to(REPO.resolve())

    # The only lync.hybrid Ansible can see is the installed one.
    listed = tool("ansible-galaxy", "collection", "list", "lync.hybrid", cwd=workdir, env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert f"# {collections / 'ansible_collections'}" in listed.stdout
    assert str(REPO) not in listed.stdout + listed.stderr

    def prereqs() -> t.Any:
        return tool("ansible-playbook", "lync.hybrid.prereqs", "-i", lab.inventory, "-v", cwd=workdir, env=env)

    first, second = prereqs(), prereqs()
    final = lab.stop()
    for out in (first, second):
        assert out.returncode == 0, out.stdout + out.stderr
        assert "No config file found; using defaults" in out.stdout
    first_recap, second_recap = play_recap(first.stdout), play_recap(second.stdout)
    assert first_recap["failed"] == 0 and first_recap["changed"] >= 1, first.stdout
    assert re.search(r"TASK \[lync\.hybrid\.lync_online_prereqs : Ensure the tenant shares the SIP", first.stdout)
    assert second_recap["failed"] == 0 and second_recap["changed"] == 0, second.stdout
    # The first run changed the tenant, once; the second found nothing to change.
    changes = [(c["object"], c["property"], c["after"]) for c in lab.journal("change")]
    assert changes == [("tenant.federation", "shared_sip_address_space", True)]
    assert final["tenant"]["federation"]["shared_sip_address_space"] is True
    # The role's report went next to the inventory, not into the checkout.
    assert (lab.workdir / "reports" / "lync-online-prereqs.md").is_file()
