"""Every command the collection names in a remedy, hint or error text exists as Microsoft documents it.

Remedies are what an administrator types next. They are checked here against the signature
tables derived from Microsoft's pages (tests/lab/reference), not against the collection's own
constants: a remedy naming a parameter the cmdlet lacks, or a cmdlet no page documents, fails.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

from tests.lab.reference import documented_names, page

PLUGIN_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "plugin_utils"
# Verbs of the commands the texts name (approved PowerShell verbs); "Skype-Online" and the like are not commands.
VERBS = {"Get", "Set", "New", "Remove", "Start", "Stop", "Install", "Uninstall", "Import", "Enable", "Disable"}
VERBS |= {"Test", "Move", "Connect", "Disconnect", "Register", "Update", "Invoke", "Find", "Save", "Publish"}
COMMAND = re.compile(r"\b([A-Z][a-z]+)-([A-Z][A-Za-z0-9]+)\b")
# A command's parameters: the -Name tokens that follow it up to the end of the sentence or clause.
PARAMETERS_UNTIL = re.compile(r"[;()|\n]|\. |, (?!\$)")
PARAMETER = re.compile(r"(?:^|\s)-([A-Za-z][A-Za-z0-9]*)")
COMMON = {"Verbose", "Debug", "ErrorAction", "WarningAction", "WhatIf", "Confirm", "Force"}
# Commands named in texts whose pages are not in the tables, each with the reason.
NOT_IN_TABLES = {
    # Runs on the Azure AD Connect server, not on the Lync server: the ADSync module's page is not one of
    # the sources of the tables (learn.microsoft.com, "Azure AD Connect sync: Scheduler").
    "Start-ADSyncSyncCycle": {"PolicyType"},
}
LEGACY_ONLINE = {"New-CsOnlineSession"}


def _texts(path: pathlib.Path) -> list[str]:
    """The string constants of a module, f-string placeholders written as <value>."""
    texts: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            texts.append("".join(v.value if isinstance(v, ast.Constant) else "<value>" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return texts


def _named_commands() -> dict[str, set[str]]:
    """Command name -> every parameter some text passes to it."""
    found: dict[str, set[str]] = {}
    for path in sorted(PLUGIN_UTILS.glob("*.py")):
        for text in _texts(path):
            for match in COMMAND.finditer(text):
                if match.group(1) not in VERBS:
                    continue
                rest = PARAMETERS_UNTIL.split(text[match.end() :], maxsplit=1)[0]
                found.setdefault(match.group(0), set()).update(PARAMETER.findall(rest))
    return found


NAMED = _named_commands()


def test_the_scan_sees_the_remedies_it_checks() -> None:
    # The documented hybrid fix and the tenant's read-back must be among what is checked.
    assert {"Identity", "ProxyFqdn", "Enabled", "EnabledSharedAddressSpace"} <= NAMED["New-CsHostingProvider"]
    assert {"AllowOutsideUsers", "AllowFederatedUsers"} <= NAMED["Set-CsAccessEdgeConfiguration"]
    assert "MinimumVersion" in NAMED["Install-Module"]


@pytest.mark.parametrize("name", sorted(NAMED))
def test_each_named_command_and_its_parameters_are_documented(name: str) -> None:
    if name in NOT_IN_TABLES:
        assert NAMED[name] <= NOT_IN_TABLES[name]
        return
    doc = page(name, legacy=name in LEGACY_ONLINE)
    assert doc is not None, f"{name} is named in a text but no page in tests/lab/reference documents it"
    aliases = {alias for parameter in doc["parameters"].values() for alias in parameter["aliases"]}
    known = {n.lower() for n in documented_names(doc) | aliases | COMMON}
    unknown = sorted(p for p in NAMED[name] if p.lower() not in known)
    assert unknown == [], f"{name} has no parameter {unknown} on its page ({doc['source']})"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Run New-CsHostingProvider -Identity Office365 -ProxyFqdns x", "ProxyFqdns"),
        ("Run Set-CsHostingProvider -Identity Office365 -ProxyFqdn x", "ProxyFqdn"),  # Set cannot change it
        ("Run Install-Module MicrosoftTeams -MinimumVersion 6.2.1 -AllUsers", "AllUsers"),
    ],
)
def test_a_remedy_with_an_undocumented_parameter_is_caught(text: str, problem: str) -> None:
    match = COMMAND.search(text)
    assert match is not None
    doc = page(match.group(0))
    assert doc is not None
    rest = PARAMETERS_UNTIL.split(text[match.end() :], maxsplit=1)[0]
    known = {n.lower() for n in documented_names(doc) | COMMON}
    assert [p for p in PARAMETER.findall(rest) if p.lower() not in known] == [problem]
