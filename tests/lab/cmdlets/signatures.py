"""Parameter sets taken from the reference tables instead of being retyped by hand.

Cmdlets such as Get-Module or Install-Module have several parameter sets whose membership decides
whether PowerShell binds a call at all (``Get-Module -ListAvailable -All`` is fine, ``-Refresh``
without ``-ListAvailable`` is not). The lab models a few of their parameters; which sets each one
belongs to and where it is mandatory comes from Microsoft's page (tests/lab/reference/cmdlets.json),
so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses

from ..reference import page
from .base import Param


def documented(cmdlet: str, params: tuple[Param, ...], legacy: bool = False) -> tuple[Param, ...]:
    """``params`` with the sets and mandatory flags of the documented signature.

    A documented set that needs a parameter the lab does not model can never be chosen by a call the
    lab accepts, so it is left out (otherwise the lab would think it complete).
    """
    doc = page(cmdlet, legacy=legacy)
    if doc is None:
        raise LookupError(f"no reference page for {cmdlet}")
    modelled = {p.name for p in params}
    usable = {
        name: members
        for name, members in doc["parameter_sets"].items()
        if all(not spec["mandatory"] or pname in modelled for pname, spec in members.items())
    }
    result = []
    for param in params:
        sets = tuple(name for name, members in usable.items() if param.name in members)
        if not sets:
            raise LookupError(f"{cmdlet}: -{param.name} is in no documented parameter set the lab models")
        required = tuple(name for name in sets if usable[name][param.name]["mandatory"])
        # The lab's binder learns which sets exist from the parameters' sets: name them all unless
        # the cmdlet has a single usable set.
        single = len(usable) == 1
        result.append(
            dataclasses.replace(
                param,
                sets=() if single else sets,
                mandatory=bool(required),
                mandatory_sets=() if single or len(required) in (0, len(sets)) else required,
            )
        )
    return tuple(result)


def default_set(cmdlet: str, legacy: bool = False) -> str | None:
    doc = page(cmdlet, legacy=legacy)
    return doc["default_set"] if doc else None
