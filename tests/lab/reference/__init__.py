"""Reference tables derived from Microsoft's sources, and how the lab's cmdlets are compared with them.

The tables are data (``cmdlets.json``, ``platforms.json``, ``dotnet.json``; see README.md). This module
only loads them and lists where a simulated cmdlet's declaration departs from the documented
signature, so that the lab refuses exactly what PowerShell would refuse.
"""

from __future__ import annotations

import functools
import json
import pathlib
from dataclasses import dataclass
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
ALL_SETS = "__AllParameterSets"


@functools.cache
def table(name: str) -> dict[str, Any]:
    """One of the checked-in tables, parsed once."""
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def page(cmdlet: str, legacy: bool = False) -> dict[str, Any] | None:
    """The documented signature of a cmdlet; ``legacy`` picks the Skype Online connector's variant."""
    cmdlets = table("cmdlets")
    if legacy and cmdlet in cmdlets["legacy_online"]:
        return cmdlets["legacy_online"][cmdlet]
    return cmdlets["cmdlets"].get(cmdlet)


@dataclass(frozen=True)
class Declared:
    """What the lab declares for one parameter, independent of the lab's classes."""

    name: str
    sets: tuple[str, ...]
    mandatory_in: tuple[str, ...]
    aliases: tuple[str, ...]


def documented_names(doc: dict[str, Any]) -> set[str]:
    return set(doc["parameters"]) | set(doc["yaml_only"])


def disagreements(name: str, declared: list[Declared], doc: dict[str, Any]) -> list[str]:
    """Where a simulated cmdlet would accept or refuse differently from the documented signature.

    The lab may model fewer parameters and fewer parameter sets than the page, but what it declares
    must exist on the page, every set it declares must be a documented set holding exactly the
    declared parameters' documented membership, and every parameter the page makes mandatory in a
    set the lab models must be declared mandatory there (and nothing else mandatory).
    """
    problems: list[str] = []
    documented = documented_names(doc)
    doc_sets: dict[str, dict[str, Any]] = doc["parameter_sets"]
    aliases = {alias.lower() for p in doc["parameters"].values() for alias in p["aliases"]}
    lab_sets = sorted({s for d in declared for s in d.sets})
    for d in declared:
        if d.name not in documented:
            problems.append(f"{name}: -{d.name} is not documented")
            continue
        for alias in d.aliases:
            if alias.lower() not in aliases:
                problems.append(f"{name}: alias -{alias} of -{d.name} is not documented")
    # Which documented sets does the lab model? Its declared ones; without any, every documented set
    # whose mandatory parameters the lab declares (a set needing an unmodelled one is never chosen).
    set_free = {d.name for d in declared if d.name in doc["yaml_only"]}
    if lab_sets:
        modelled = lab_sets
        for set_name in lab_sets:
            if set_name not in doc_sets:
                problems.append(f"{name}: parameter set {set_name} is not documented ({', '.join(doc_sets)})")
    else:
        names = {d.name for d in declared}
        modelled = [
            s
            for s, members in doc_sets.items()
            if all(not spec["mandatory"] or p in names for p, spec in members.items())
        ]
        if not modelled:
            problems.append(f"{name}: the lab declares no set and satisfies none of {', '.join(doc_sets)}")
        for d in declared:
            outside = [s for s in modelled if d.name not in doc_sets[s]]
            if d.name in documented and d.name not in set_free and outside:
                problems.append(
                    f"{name}: -{d.name} is not in documented set {', '.join(outside)}; the lab declares none"
                )
    by_name = {d.name: d for d in declared}
    for set_name in modelled:
        members = doc_sets.get(set_name, {})
        for pname, spec in members.items():
            d = by_name.get(pname)
            in_lab_set = d is not None and (not d.sets or set_name in d.sets)
            if spec["mandatory"] and not (in_lab_set and set_name in d.mandatory_in):
                problems.append(f"{name}: -{pname} is mandatory in {set_name} but the lab does not require it")
        for d in declared:
            if d.name in set_free:
                continue
            if lab_sets and d.sets and set_name in d.sets and d.name not in members and d.name in documented:
                problems.append(f"{name}: -{d.name} is not in documented parameter set {set_name}")
            if lab_sets and not d.sets and d.name not in members and d.name in documented:
                problems.append(f"{name}: -{d.name} (declared in all sets) is not in documented set {set_name}")
            if set_name in d.mandatory_in and not members.get(d.name, {}).get("mandatory", False):
                problems.append(f"{name}: the lab requires -{d.name} in {set_name}, the page does not")
    return problems
