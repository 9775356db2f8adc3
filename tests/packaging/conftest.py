"""The built tarball and its installed copy, made once per test process and shared by the packaging checks."""

from __future__ import annotations

import pathlib

import pytest

from tests.e2e.install_support import build_tarball, install_tarball


@pytest.fixture(scope="session")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """`ansible-galaxy collection build` of the checkout."""
    return build_tarball(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def installed(tarball: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The tarball installed into an empty collections path: .../ansible_collections/lync/hybrid."""
    return install_tarball(tarball, tmp_path_factory.mktemp("user") / "collections")
