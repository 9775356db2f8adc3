"""Build the collection tarball and install it the way users do, away from the checkout.

Shared by tests/e2e/test_install.py (every ansible-core leg) and tests/packaging (the import,
execution environment and docs checks, main venv only). The environment these helpers give to
ansible commands carries nothing of the checkout: no ANSIBLE_CONFIG, no build/collections
link, no PYTHONPATH, a HOME of its own, and only the install path as collections path.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import tarfile

from tests.e2e.lab import BIN, REPO

NAMESPACE, NAME = "lync", "hybrid"

# What the tarball may ship (galaxy.yml `manifest` is the allow-list; this is its test).
ALLOWED = [
    re.compile(pattern)
    for pattern in (
        r"MANIFEST\.json",
        r"FILES\.json",
        r"README\.md",
        r"COPYING",
        r"CHANGELOG\.rst",
        r"requirements\.txt",
        r"\.ansible-lint",
        r"meta/(runtime|execution-environment)\.yml",
        r"docs/[\w.-]+\.(md|yml)",
        r"docs/docsite/[\w.-]+\.yml",
        r"docs/docsite/rst/[\w.-]+\.rst",
        r"plugins/(action|modules|doc_fragments|plugin_utils)/\w+\.(py|ps1)",
        r"roles/lync_online_prereqs/(defaults|meta|tasks|templates|vars)/[\w.-]+\.(yml|j2)",
        r"roles/lync_online_prereqs/README\.md",
        r"playbooks/\w+\.yml",
        r"playbooks/templates/[\w.-]+\.j2",
        r"changelogs/(changelog|config)\.yaml",
        r"tests/integration/targets/\w+/(aliases|(defaults|meta|tasks)/main\.yml)",
        r"tests/sanity/ignore-\d+\.\d+\.txt",
    )
]
# What must never be in it, whatever the allow-list says: the lab, the developer tooling, caches.
FORBIDDEN = re.compile(
    r"^(\.venv|build/|tests/(lab|e2e|unit|bench|matrix|importer|packaging)/|tests/[^/]+\.py$|Makefile|ansible\.cfg"
    r"|pyproject\.toml|requirements-(dev|test)\.txt|extensions/|\.ci/|\.git|\.python-version|\.ansible/)"
    r"|(^|/)(__pycache__|\.pytest_cache|\.ruff_cache|\.hypothesis|tests/output)(/|$)|\.pyc$|\.tar\.gz$"
)
# Folders whose every file is content: all of them must reach the tarball.
CONTENT = ("plugins", "roles", "playbooks", "meta", "tests/integration/targets")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell would have: no Ansible settings and no checkout on any path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANSIBLE_", "MOLECULE_", "GALAXY_IMPORTER_")) and key not in ("PYTHONPATH",)
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def tool(
    name: str, *args: str | os.PathLike[str], cwd: pathlib.Path, env: dict[str, str], timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command from this venv's bin folder and capture what it printed."""
    return subprocess.run(
        [str(BIN / name), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def build_tarball(out_dir: pathlib.Path) -> pathlib.Path:
    """`ansible-galaxy collection build` of the checkout, as a release would do it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = tool("ansible-galaxy", "collection", "build", REPO, "--output-path", out_dir, cwd=out_dir, env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    (tarball,) = out_dir.glob(f"{NAMESPACE}-{NAME}-*.tar.gz")
    return tarball


def tarball_files(tarball: pathlib.Path) -> set[str]:
    """The regular files in the tarball (directories are implied by them)."""
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers() if member.isfile()}


def install_tarball(tarball: pathlib.Path, collections: pathlib.Path) -> pathlib.Path:
    """`ansible-galaxy collection install` into an empty collections path; returns the collection's folder.

    --offline: the collection has no dependencies, so nothing needs Galaxy (unreachable here).
    """
    done = tool(
        "ansible-galaxy", "collection", "install", "--offline", "-p", collections, tarball,
        cwd=collections.parent, env=clean_env(HOME=str(collections.parent)),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    installed = collections / "ansible_collections" / NAMESPACE / NAME
    assert (installed / "MANIFEST.json").is_file(), done.stdout
    return installed
