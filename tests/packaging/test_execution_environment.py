"""ansible-builder: the installed collection asks for its Python packages, and an EE build context carries them.

There is no container runtime here, so no image is built. `ansible-builder create` writes the
build context of an execution environment (format 3) that installs the built tarball; the test
then does what the image build would do in its galaxy and builder stages, on this machine:
installs the collection from the context's requirements.yml, and runs the context's own
introspection script on it, which must name pywinrm and pyspnego for lync.hybrid.
"""

from __future__ import annotations

import pathlib
import re
import shutil

import yaml

from tests.e2e.install_support import clean_env, tool

PYTHON_REQUIREMENTS = {"pywinrm", "pyspnego"}


def requirement_names(lines: list[str]) -> set[str]:
    """Distribution names of pip requirement lines ('pywinrm>=0.5.0  # from collection ...' -> 'pywinrm')."""
    return {re.split(r"[\s\[<>=!~;#]", line.strip(), maxsplit=1)[0].lower() for line in lines if line.strip()}


def test_introspect_lists_the_collection_python_requirements(installed: pathlib.Path) -> None:
    collections = installed.parents[2]
    done = tool("ansible-builder", "introspect", collections, cwd=collections.parent, env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    found = yaml.safe_load(done.stdout)
    # ansible-builder's combined lists, each line marked with the collection that asked for it.
    assert requirement_names(found["python"]) == PYTHON_REQUIREMENTS, done.stdout
    assert all(line.endswith("# from collection lync.hybrid") for line in found["python"]), done.stdout
    # No system packages needed for the default transports.
    assert found["system"] == [], done.stdout


def test_create_writes_a_build_context_that_installs_the_collection_and_its_packages(
    tarball: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    shutil.copy(tarball, tmp_path / tarball.name)
    (tmp_path / "requirements.yml").write_text(
        yaml.safe_dump({"collections": [{"name": f"collections/{tarball.name}", "type": "file"}]}), encoding="utf-8"
    )
    definition = {
        "version": 3,
        "images": {"base_image": {"name": "quay.io/centos/centos:stream9"}},
        "dependencies": {
            "python_interpreter": {"package_system": "python3.12", "python_path": "/usr/bin/python3.12"},
            "ansible_core": {"package_pip": "ansible-core>=2.20,<2.22"},
            "ansible_runner": {"package_pip": "ansible-runner"},
            "galaxy": "requirements.yml",
        },
        "additional_build_files": [{"src": tarball.name, "dest": "collections"}],
    }
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    done = tool(
        "ansible-builder", "create", "-f", "execution-environment.yml", "--context", "context",
        "--output-filename", "Containerfile", cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    build = tmp_path / "context" / "_build"
    containerfile = (tmp_path / "context" / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile
    assert (build / "collections" / tarball.name).read_bytes() == tarball.read_bytes()

    # The galaxy stage: install from the context's requirements.yml, in the context's _build folder.
    collections = tmp_path / "image" / "collections"
    installed = tool(
        "ansible-galaxy", "collection", "install", "--offline", "-r", "requirements.yml", "--collections-path",
        collections, cwd=build, env=clean_env(HOME=str(tmp_path)),
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The builder stage: the context's introspection script writes the pip requirements the image installs.
    pip = tmp_path / "image" / "requirements.txt"
    introspected = tool(
        "python", build / "scripts" / "introspect.py", "introspect", collections, "--write-pip", pip,
        "--write-bindep", tmp_path / "image" / "bindep.txt", cwd=build, env=clean_env(),
    )  # fmt: skip
    assert introspected.returncode == 0, introspected.stdout + introspected.stderr
    lines = pip.read_text(encoding="utf-8").splitlines()
    assert requirement_names(lines) == PYTHON_REQUIREMENTS
    assert all("lync.hybrid" in line for line in lines if line.strip()), lines
