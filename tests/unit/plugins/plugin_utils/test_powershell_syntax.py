"""Every PowerShell text the collection ships must parse; the lab cannot run it."""

from __future__ import annotations

import pathlib

import pytest
import tree_sitter
import tree_sitter_powershell
from ansible_collections.lync.hybrid.plugins.plugin_utils import _runner

REPO = pathlib.Path(__file__).resolve().parents[4]
SHIPPED = sorted(path for folder in ("plugins", "roles") for path in (REPO / folder).glob("**/*.ps*1"))
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def _errors(source: str) -> list[str]:
    tree = PARSER.parse(source.encode("utf-8"))
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(f"line {node.start_point[0] + 1}: {source.encode()[node.start_byte : node.end_byte][:60]!r}")
        stack.extend(node.children)
    return found


def test_the_parser_reports_broken_powershell() -> None:
    assert _errors("if ($x { Write-Output 'unclosed'")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_powershell_parses(path: pathlib.Path) -> None:
    assert _errors(path.read_text(encoding="utf-8")) == []


def test_the_runner_as_sent_parses_and_keeps_every_statement() -> None:
    sent = _runner.runner_script()
    assert _errors(sent) == []
    assert "#" not in "".join(line[:1] for line in sent.splitlines())
    shipped = (REPO / "plugins" / "plugin_utils" / "runner.ps1").read_text(encoding="utf-8")
    code_lines = [line.strip() for line in shipped.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert sent.splitlines() == code_lines


def test_runner_and_bootstrap_are_shipped() -> None:
    names = {p.name for p in SHIPPED}
    assert {"runner.ps1", "bootstrap.ps1"} <= names
    assert "\n" not in _runner.bootstrap_script()


def test_powershell_avoids_syntax_newer_than_5_1() -> None:
    """Windows PowerShell 3.0-5.1 has no ternary, null-coalescing or pipeline chain operators."""
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8")
        for token in ("??", "?.", "&&", "||", "-Parallel", "class "):
            assert token not in text, f"{path.name} uses {token!r}"


def test_the_runner_has_nothing_line_compaction_would_break() -> None:
    """runner_script() strips lines and drops comment lines: safe only without these constructs."""
    text = (REPO / "plugins" / "plugin_utils" / "runner.ps1").read_text(encoding="utf-8")
    assert not text.startswith("\ufeff")
    for construct in ('@"', "@'", "<#", "#>", "#requires"):
        assert construct not in text, construct
    assert not [line for line in text.splitlines() if line.rstrip().endswith("`")], "backtick line continuation"
