"""galaxy-importer, the checks Galaxy and Automation Hub run on an upload, on the built tarball.

It runs from its own venv (.venv-importer, tests/importer/requirements.txt) with
tests/importer/galaxy-importer.cfg: offline, no containers, ansible-test not started (make sanity
runs it), ansible-lint on. Import warnings are only logged, so the test reads the log: the only
warnings allowed are the importer's notes that sanity ignore files exist, and only while they are
empty.

galaxy.yml has no `repository` yet (there is no public repository) and the importer requires one,
so the shipped tarball must be refused for exactly that reason and nothing else; a copy whose
MANIFEST.json names a stand-in repository (what the build makes once galaxy.yml has one) must
then import cleanly. Once galaxy.yml has a repository the tarball itself must import cleanly.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import re
import subprocess
import tarfile

import yaml

from tests.e2e.install_support import clean_env
from tests.e2e.lab import REPO

IMPORTER_VENV = REPO / ".venv-importer"
CONFIG = REPO / "tests" / "importer" / "galaxy-importer.cfg"
# Test-only: stands for the public repository galaxy.yml does not have yet; never shipped.
STAND_IN_REPOSITORY = "https://lync-hybrid.test/repository"
EMPTY_IGNORE_FILE = re.compile(
    r"^WARNING: Ignore files skip ansible-test sanity tests, found ignore-[\d.]+\.txt with 0 statement\(s\)$"
)
NO_REPOSITORY = (
    "ERROR: The import failed for the following reason: Invalid collection metadata. 'repository' is required"
)


def import_tarball(tarball: pathlib.Path) -> subprocess.CompletedProcess[str]:
    python = IMPORTER_VENV / "bin" / "python"
    assert python.exists(), "no .venv-importer: run `make importer-venv` (make test does)"
    env = clean_env(
        PATH=f"{IMPORTER_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        GALAXY_IMPORTER_CONFIG=str(CONFIG),
    )
    return subprocess.run(
        [str(python), "-m", "galaxy_importer.main", str(tarball)],
        cwd=tarball.parent, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def log_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What the importer logged (its final JSON result and its indented parts left out)."""
    return [line for line in (done.stdout + done.stderr).splitlines() if line and line[0] not in "{ \t}"]


def with_repository(tarball: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    """A copy of the tarball whose MANIFEST.json names a repository, as the build writes it from galaxy.yml."""
    out_dir.mkdir()
    copy = out_dir / tarball.name  # the importer reads namespace-name-version from the file name
    with tarfile.open(tarball) as source, tarfile.open(copy, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "MANIFEST.json":
                assert data is not None
                manifest = json.load(data)
                manifest["collection_info"]["repository"] = STAND_IN_REPOSITORY
                content = json.dumps(manifest, indent=4).encode()
                member.size = len(content)
                data = io.BytesIO(content)
            target.addfile(member, data)
    return copy


def assert_imported_cleanly(done: subprocess.CompletedProcess[str]) -> None:
    lines = log_lines(done)
    assert done.returncode == 0, "\n".join(lines)
    assert "Importer processing completed successfully" in lines
    for kind, name in [("module", "cs_online_session"), ("role", "lync_online_prereqs"), ("playbook", "prereqs.yml")]:
        assert f"Loading {kind} {name}" in lines
    # ansible-lint ran inside the importer and found nothing: no line between its start and end.
    start = next(i for i, line in enumerate(lines) if line.startswith("Linting collection via ansible-lint"))
    assert lines[start + 1] == "...ansible-lint run complete", lines[start:]
    complaints = [line for line in lines if line.startswith(("WARNING", "ERROR")) and not EMPTY_IGNORE_FILE.match(line)]
    assert complaints == []


def test_galaxy_importer_accepts_the_tarball(tarball: pathlib.Path, tmp_path: pathlib.Path) -> None:
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    done = import_tarball(tarball)
    if galaxy.get("repository"):
        assert_imported_cleanly(done)
        return
    errors = [line for line in log_lines(done) if line.startswith("ERROR")]
    assert done.returncode != 0
    assert errors == [NO_REPOSITORY]
    assert_imported_cleanly(import_tarball(with_repository(tarball, tmp_path / "with-repository")))
