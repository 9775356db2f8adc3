"""The reference tables are well formed, and the lab's simulated cmdlets agree with them.

The tables come from Microsoft's cmdlet reference and PSScriptAnalyzer's compatibility profiles
(tests/lab/reference/README.md). If a simulated cmdlet accepted a parameter the real one lacks,
or did not insist on a mandatory one, a controller bug would pass in the lab and fail on a server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.lab import reference
from tests.lab.cmdlets import REGISTRY, online, onprem
from tests.lab.cmdlets.base import Cmdlet
from tests.lab.cmdlets.tenant import tenant_cmdlets
from tests.unit.lab.host_support import Lab, make_state, request, step

COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Deliberate departures from the pinned pages, each with its reason. Keep this short.
EXCEPTIONS: dict[str, str] = {}
PLATFORMS = ("ws2012_ps3", "ws2012r2_ps4", "ws2016_ps51", "ws2019_ps51")


def simulated() -> list[tuple[str, Cmdlet, bool]]:
    """(id, cmdlet, legacy) for every cmdlet the lab can run, in each variant it has."""
    found = [(c.name, c, False) for c in REGISTRY.builtins.values()]
    found += [(c.name, c, False) for c, _products in onprem.CMDLETS]
    found += [(c.name, c, False) for c in (online.CONNECT, online.DISCONNECT)]
    found.append((f"{online.NEW_CS_ONLINE_SESSION.name} (legacy)", online.NEW_CS_ONLINE_SESSION, True))
    found += [(f"{c.name} (legacy)", c, True) for c in tenant_cmdlets(legacy=True)]
    found += [(f"{c.name} (MicrosoftTeams)", c, False) for c in tenant_cmdlets(legacy=False, module_version="6.1.0")]
    return sorted(found, key=lambda item: item[0])


def declared(cmdlet: Cmdlet, doc: dict[str, Any]) -> list[reference.Declared]:
    """The lab's declaration in the neutral form the comparison takes."""
    lab_sets = sorted({s for p in cmdlet.params for s in p.sets})
    universe = lab_sets or list(doc["parameter_sets"])
    return [
        reference.Declared(
            p.name,
            p.sets,
            tuple(s for s in universe if p.required_in(s) or (not lab_sets and p.mandatory)),
            p.aliases,
        )
        for p in cmdlet.params
    ]


def _source_ok(row: dict[str, Any]) -> bool:
    src = row["source"]
    return bool(src["repo"]) and COMMIT.match(src["commit"]) is not None and bool(src["path"])


def test_cmdlet_table_is_well_formed() -> None:
    data = reference.table("cmdlets")
    rows = {**data["cmdlets"], **{f"{k} (legacy)": v for k, v in data["legacy_online"].items()}}
    assert len(data["cmdlets"]) >= 50
    for name, row in rows.items():
        assert _source_ok(row), name
        assert row["source"]["path"].endswith(name.split(" ")[0] + ".md"), name
        assert row["parameter_sets"], name
        for set_name, members in row["parameter_sets"].items():
            for pname, spec in members.items():
                assert pname in row["parameters"], (name, set_name, pname)
                assert isinstance(spec["mandatory"], bool) and isinstance(spec["positional"], bool)
                assert spec["position"] is None or spec["positional"], (name, pname)
        assert row["default_set"] is None or row["default_set"] in row["parameter_sets"], name
        assert isinstance(row["outputs"]["types"], list) and isinstance(row["outputs"]["mentioned_properties"], list)


def test_platform_table_is_well_formed() -> None:
    platforms = reference.table("platforms")["platforms"]
    assert tuple(platforms) == PLATFORMS
    assert [p["powershell"][:3] for p in platforms.values()] == ["3.0", "4.0", "5.1", "5.1"]
    for key, platform in platforms.items():
        assert _source_ok(platform), key
        assert platform["runtime"] == "Framework" and platform["clr"].startswith("4.0.30319")
        assert {"ConvertFrom-Json", "New-Object", "Get-Module", "Import-Module"} <= set(platform["commands"]), key
        assert platform["type_accelerators"]["scriptblock"] == "System.Management.Automation.ScriptBlock", key
    # Facts the compatibility test depends on, straight from the profiles.
    assert "AsHashtable" not in platforms["ws2019_ps51"]["commands"]["ConvertFrom-Json"]["parameters"]
    assert "Parallel" not in platforms["ws2019_ps51"]["commands"]["ForEach-Object"]["parameters"]
    assert "pscustomobject" in platforms["ws2012_ps3"]["type_accelerators"]


def test_dotnet_table_is_well_formed() -> None:
    data = reference.table("dotnet")
    assert data["platforms"] == list(PLATFORMS)
    for name, entry in data["types"].items():
        assert entry.get("assumed") is True or _source_ok(entry), name
        assert set(entry) >= {"constructors", "static", "instance"}, name
        for member in (*entry["static"].values(), *entry["instance"].values()):
            assert member.get("property") or member["arities"], (name, member)


@pytest.mark.parametrize(("label", "cmdlet", "legacy"), simulated(), ids=lambda v: v if isinstance(v, str) else "")
def test_simulated_cmdlet_agrees_with_the_documentation(label: str, cmdlet: Cmdlet, legacy: bool) -> None:
    doc = reference.page(cmdlet.name, legacy=legacy)
    assert doc is not None, f"{label}: no reference page"
    problems = reference.disagreements(label, declared(cmdlet, doc), doc)
    assert [problem for problem in problems if problem not in EXCEPTIONS] == []
    assert cmdlet.should_process == doc["should_process"] or not cmdlet.should_process, label


def test_every_exception_is_still_needed() -> None:
    found = set()
    for label, cmdlet, legacy in simulated():
        doc = reference.page(cmdlet.name, legacy=legacy)
        found.update(reference.disagreements(label, declared(cmdlet, doc), doc))
    assert set(EXCEPTIONS) <= found


def test_the_comparison_finds_an_undocumented_parameter_and_a_missing_mandatory_one() -> None:
    doc = reference.page("New-CsHostingProvider")
    wrong = [
        reference.Declared("Identity", ("__AllParameterSets",), ("__AllParameterSets",), ()),
        reference.Declared("Fqdn", ("__AllParameterSets",), (), ()),
    ]
    problems = reference.disagreements("New-CsHostingProvider", wrong, doc)
    assert "New-CsHostingProvider: -Fqdn is not documented" in problems
    assert any("-Enabled is mandatory" in problem for problem in problems)
    assert any("-ProxyFqdn is mandatory" in problem for problem in problems), problems


def test_the_lab_refuses_an_undocumented_parameter() -> None:
    """Get-CsServerVersion takes no parameter at all (its page: 'has no additional parameters')."""
    lab = Lab(make_state(deployment="sfb2015"))
    response = lab.run(
        request([step("s", "Get-CsServerVersion", {"Report": "C:\\r.html"})], onprem=["SkypeForBusiness"])
    )
    error = response["steps"][0]["error"]
    assert error["fqid"] == "NamedParameterNotFound,Microsoft.Rtc.Management.Deployment.GetServerVersionCmdlet"
    assert error["message"] == "A parameter cannot be found that matches parameter name 'Report'."
