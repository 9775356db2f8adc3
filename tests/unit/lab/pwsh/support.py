"""Run PowerShell text through the lab's interpreter, without a lab host behind it."""

from __future__ import annotations

from typing import Any

from tests.lab.pwsh import Interpreter
from tests.lab.pwsh.interpreter import collapse


def run(source: str) -> list[Any]:
    """The objects the script writes to its output, in order."""
    return Interpreter(None).run(source)


def value(source: str) -> Any:
    """The script's output as ``$x = <script>`` would see it (§7.11.1: one object itself, more an array)."""
    return collapse(run(source))
