"""Fixtures that give each test its own lab host process."""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from tests.e2e.lab import Lab, start_lab


@pytest.fixture
def lab_factory(tmp_path: pathlib.Path) -> t.Iterator[t.Callable[..., Lab]]:
    """Start labs on demand; every one is stopped when the test ends."""
    started: list[Lab] = []

    def start(state: str, *extra: str) -> Lab:
        lab = start_lab(state, tmp_path / f"lab{len(started)}", *extra)
        started.append(lab)
        return lab

    yield start
    for lab in started:
        lab.stop()
