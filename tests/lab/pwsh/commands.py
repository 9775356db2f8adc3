"""The PowerShell cmdlets the two scripts use and the lab does not simulate as host cmdlets.

Out-String, ConvertFrom-Json, ConvertTo-Json, Select-Object, Where-Object, ForEach-Object,
Sort-Object, Out-Null, Write-Output and New-Object, each with the parameters the scripts
pass; any other parameter is refused (``Unsupported``) rather than ignored. Every other
command goes to the lab's simulated cmdlets (``Shell.invoke``, with their parameter binding).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..cmdlets.base import BINDING, ErrorRecord, PSError, ps_error
from ..values import PSObject
from . import dotnet, jsonconv
from .convert import to_bool, to_int, to_string
from .model import ArrayList, EnumValue, ScriptBlock, enumerate_value, is_enumerable, resolve_type
from .operators import compare
from .syntax import Unsupported

if TYPE_CHECKING:
    from .interpreter import Interpreter

NEW_OBJECT = "Microsoft.PowerShell.Commands.NewObjectCommand"


@dataclass(frozen=True)
class Spec:
    """A builtin's parameter: a switch, or one taking a value; ``position`` for positional binding."""

    name: str
    switch: bool = False
    position: int | None = None


@dataclass(frozen=True)
class Builtin:
    name: str
    class_name: str
    params: tuple[Spec, ...]
    run: Callable[[Interpreter, dict[str, Any], list[Any] | None, int], list[Any]]


def bind(builtin: Builtin, args: list[tuple[str, Any]], line: int) -> dict[str, Any]:
    """Named parameters (exact name or unique prefix, §8.14), then positional ones by position."""
    owner = f"{builtin.name.split('-')[0]}{builtin.name.split('-')[1]}Command"
    owner = f"Microsoft.PowerShell.Commands.{owner}"
    bound: dict[str, Any] = {}
    positional: list[Any] = []
    index = 0
    while index < len(args):
        kind, payload = args[index]
        index += 1
        if kind == "arg":
            positional.append(payload)
            continue
        hits = [spec for spec in builtin.params if spec.name.lower().startswith(payload.lower())]
        exact = [spec for spec in hits if spec.name.lower() == payload.lower()]
        hits = exact or hits
        if not hits:
            raise Unsupported(f"the parameter -{payload} of {builtin.name}", line)
        if len(hits) > 1:
            raise ps_error(
                f"Parameter cannot be processed because the parameter name '{payload}' is ambiguous. Possible "
                f"matches include: {' '.join('-' + spec.name for spec in hits)}.",
                f"AmbiguousParameter,{owner}",
                "InvalidArgument",
                BINDING,
            )
        spec = hits[0]
        if spec.switch:
            bound[spec.name] = True
            continue
        if index >= len(args) or args[index][0] != "arg":
            raise ps_error(
                f"Missing an argument for parameter '{spec.name}'. Specify a parameter of type 'System.Object' and "
                "try again.",
                f"MissingArgument,{owner}",
                "InvalidArgument",
                BINDING,
            )
        bound[spec.name] = args[index][1]
        index += 1
    by_position = sorted((spec for spec in builtin.params if spec.position is not None), key=lambda s: s.position or 0)
    free = [spec for spec in by_position if spec.name not in bound]
    for value in positional:
        if not free:
            raise ps_error(
                f"A positional parameter cannot be found that accepts argument '{to_string(value)}'.",
                f"PositionalParameterNotFound,{owner}",
                "InvalidArgument",
                BINDING,
            )
        bound[free.pop(0).name] = value
    return bound


def _text_lines(interp: Interpreter, items: list[Any], line: int) -> str:
    """Out-String: each object formatted on its own line; the lab formats only scalars."""
    out = []
    for item in items:
        if item is not None and not isinstance(item, str | bool | int | float | EnumValue):
            raise Unsupported(f"Out-String of a {type(item).__name__} (table formatting)", line)
        out.append(to_string(item) + "\r\n")
    return "".join(out)


def out_string(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    items = list(source or [])
    if "InputObject" in bound:
        items = [bound["InputObject"]]
    return [_text_lines(interp, items, line)]


def convert_from_json(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    """5.1 joins all input strings and writes the result as one object (an array is not unrolled)."""
    if "InputObject" in bound:
        text = bound["InputObject"]
        if text is None:
            raise ps_error(
                "Cannot bind argument to parameter 'InputObject' because it is null.",
                "ParameterArgumentValidationErrorNullNotAllowed,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
                "InvalidData",
                "System.Management.Automation.ParameterBindingValidationException",
            )
        texts = [to_string(text)]
    else:
        texts = [to_string(item) for item in source or []]
    return [jsonconv.from_json("\n".join(texts))]


def convert_to_json(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    if not bound.get("Compress"):
        raise Unsupported("ConvertTo-Json without -Compress (5.1's indented layout)", line)
    depth = to_int(bound.get("Depth", 2))
    if "InputObject" in bound:
        value = bound["InputObject"]
    else:
        items = list(source or [])
        value = items[0] if len(items) == 1 else items
    return [jsonconv.to_json(value, depth)]


def _selected_properties(value: Any) -> list[tuple[str, Any]]:
    return [(prop.name, prop.value) for prop in dotnet.properties(value)]


def select_object(value: Any, names: list[Any]) -> PSObject:
    """``Select-Object -Property``: a new PSCustomObject; names keep the object's spelling, unknown names are $null."""
    from ..values import wildcard

    available = _selected_properties(value)
    chosen: dict[str, Any] = {}
    for raw in names:
        name = to_string(raw)
        if any(char in name for char in "*?["):
            picked = [(key, item) for key, item in available if wildcard(name).match(key)]
        else:
            match = next(((key, item) for key, item in available if key.lower() == name.lower()), None)
            picked = [match or (name, None)]
        for key, item in picked:
            if key in chosen:
                raise ps_error(
                    f'The property cannot be processed because the property "{key}" already exists.',
                    "AlreadyExistingUserSpecifiedPropertyNoExpand,Microsoft.PowerShell.Commands.SelectObjectCommand",
                    "InvalidOperation",
                    "System.Management.Automation.PSArgumentException",
                    value,
                )
            chosen[key] = item
    return PSObject(chosen)


def select(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    items = list(source or [])
    if "First" in bound:
        items = items[: to_int(bound["First"])]
    if "Property" in bound:
        names = list(enumerate_value(bound["Property"]))
        items = [select_object(item, names) for item in items]
    return items


def _script(bound: dict[str, Any], name: str, line: int) -> ScriptBlock:
    block = bound.get(name)
    if not isinstance(block, ScriptBlock):
        raise Unsupported(f"-{name} that is not a script block", line)
    return block


def where(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    block = _script(bound, "FilterScript", line)
    return [item for item in source or [] if to_bool(interp.run_with_underscore(block, item))]


def for_each(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    block = _script(bound, "Process", line)
    out: list[Any] = []
    for item in source or []:
        for value in interp.run_with_underscore(block, item, collapse_output=False):
            out.append(value)
    return out


def sort(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    names = [to_string(name) for name in enumerate_value(bound["Property"])] if "Property" in bound else []

    def key(item: Any) -> list[Any]:
        return [dotnet.get_member(item, name, line) for name in names] if names else [item]

    def order(a: Any, b: Any) -> int:
        for left, right in zip(key(a), key(b), strict=True):
            result = compare(left, right)
            if result:
                return result
        return 0

    return sorted(source or [], key=functools.cmp_to_key(order), reverse=bool(bound.get("Descending")))


def out_null(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    return []


def write_output(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    if "InputObject" in bound:
        return list(enumerate_value(bound["InputObject"]))
    return list(source or [])


def new_object(interp: Interpreter, bound: dict[str, Any], source: list[Any] | None, line: int) -> list[Any]:
    """New-Object: -ArgumentList is an object[], so an array argument spreads over the constructor's parameters."""
    type_name = resolve_type(to_string(bound.get("TypeName")), line)
    raw = bound.get("ArgumentList")
    if raw is None:
        args: list[Any] = []
    elif is_enumerable(raw):
        args = list(raw.items if isinstance(raw, ArrayList) else raw)
    else:
        args = [raw]
    try:
        return [dotnet.construct(type_name, args, line, interp.shell)]
    except PSError as exc:
        record = exc.record
        raise PSError(
            ErrorRecord(
                record.message,
                f"ConstructorInvokedThrowException,{NEW_OBJECT}",
                "InvalidOperation",
                record.exception,
            )
        ) from None


BUILTINS = {
    builtin.name.lower(): builtin
    for builtin in (
        Builtin("Out-String", "OutStringCommand", (Spec("InputObject"),), out_string),
        Builtin("ConvertFrom-Json", "ConvertFromJsonCommand", (Spec("InputObject", position=0),), convert_from_json),
        Builtin(
            "ConvertTo-Json",
            "ConvertToJsonCommand",
            (Spec("InputObject", position=0), Spec("Depth"), Spec("Compress", switch=True)),
            convert_to_json,
        ),
        Builtin("Select-Object", "SelectObjectCommand", (Spec("Property", position=0), Spec("First")), select),
        Builtin("Where-Object", "WhereObjectCommand", (Spec("FilterScript", position=0),), where),
        Builtin("ForEach-Object", "ForEachObjectCommand", (Spec("Process", position=0),), for_each),
        Builtin(
            "Sort-Object",
            "SortObjectCommand",
            (Spec("Property", position=0), Spec("Descending", switch=True)),
            sort,
        ),
        Builtin("Out-Null", "OutNullCommand", (), out_null),
        Builtin("Write-Output", "WriteOutputCommand", (Spec("InputObject", position=0),), write_output),
        Builtin(
            "New-Object",
            "NewObjectCommand",
            (Spec("TypeName", position=0), Spec("ArgumentList", position=1)),
            new_object,
        ),
    )
}

# Aliases Windows PowerShell defines: the lab refuses them rather than mistake them for unknown commands.
ALIASES = {"%", "?", "foreach", "where", "select", "sort", "echo", "write", "gm", "iex", "sleep", "cd", "ls", "dir"}
