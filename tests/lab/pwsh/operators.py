"""Operators (chapter 7): comparison, containment, type test, matching, -join, -f, arithmetic."""

from __future__ import annotations

import functools
import re
from typing import Any

from ..values import Version, wildcard
from .convert import runtime_error, to_bool, to_int, to_number, to_string
from .model import ArrayList, Char, EnumValue, Hashtable, TypeInfo, is_enumerable, is_instance, resolve_type
from .syntax import Unsupported

# --- .NET regular expressions (§3.16) -----------------------------------------------------------


@functools.lru_cache(maxsize=64)
def dotnet_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A .NET pattern as a Python one: ``\\z`` is Python's ``\\Z``; .NET's ``\\Z`` allows a final newline."""
    translated = re.sub(r"\\\\|\\z|\\Z", lambda m: {"\\z": "\\Z", "\\Z": "(?=\\n?\\Z)"}.get(m[0], m[0]), pattern)
    flags = re.IGNORECASE if ignore_case else 0
    try:
        return re.compile(translated, flags)
    except re.error as exc:
        raise runtime_error(
            f'Invalid regular expression pattern: "{pattern}". ({exc})', "InvalidRegularExpression", "InvalidOperation"
        ) from None


# --- equality and ordering (§7.8.1) -------------------------------------------------------------


def equals(left: Any, right: Any, case_sensitive: bool = False) -> bool:
    """One scalar comparison: the right operand is converted to the left operand's type (§7.8.1).

    ``"RED" -eq "Red"`` is true and ``-ceq`` false; ``10 -eq "010"`` compares numbers and
    ``"010" -eq 10`` strings. $null equals only $null.
    """
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, Version) and isinstance(right, Version):
        return left.key() == right.key()
    if isinstance(left, str):
        text = to_string(right)
        return left == text if case_sensitive else left.lower() == text.lower()
    if isinstance(left, bool):
        return left == to_bool(right)
    if isinstance(left, int | float):
        number = to_number(right)
        return number is not None and left == number
    if isinstance(left, EnumValue):
        if isinstance(right, str):
            return left.name.lower() == right.lower()
        return left == right or left.value == to_number(right)
    if isinstance(left, TypeInfo):
        return isinstance(right, TypeInfo) and left == right
    if isinstance(left, list | dict | Hashtable | ArrayList):
        return left is right
    return left == right


def compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """-1/0/1 for -lt/-gt and Sort-Object: numbers as numbers, text culture-like ignoring case, versions."""
    if left is None or right is None:
        return (left is not None) - (right is not None)
    if isinstance(left, Version):
        other = right if isinstance(right, Version) else Version(to_string(right))
        return (left.key() > other.key()) - (left.key() < other.key())
    if isinstance(left, str):
        a, b = left, to_string(right)
        if not case_sensitive:
            a, b = a.lower(), b.lower()
        return (a > b) - (a < b)
    if isinstance(left, bool | int | float | Char | EnumValue):
        a = to_number(left)
        b = to_number(right)
        if b is None:
            raise runtime_error(
                f'Could not compare "{to_string(left)}" to "{to_string(right)}". Error: "Cannot convert value '
                f'"{to_string(right)}" to type "System.Int32". Error: "Input string was not in a correct format.""',
                "ComparisonFailure",
            )
        return (a > b) - (a < b)
    raise Unsupported(f"ordering values of type {type(left).__name__}", 0)


_RELATIONS = {
    "eq": equals,
    "ne": lambda left, right, cs: not equals(left, right, cs),
    "gt": lambda left, right, cs: compare(left, right, cs) > 0,
    "ge": lambda left, right, cs: compare(left, right, cs) >= 0,
    "lt": lambda left, right, cs: compare(left, right, cs) < 0,
    "le": lambda left, right, cs: compare(left, right, cs) <= 0,
}


def _split(operator: str) -> tuple[str, bool]:
    """``-ceq`` -> ('eq', case-sensitive); ``-ieq`` and ``-eq`` are case-insensitive (§7.8)."""
    name = operator[1:]
    if name[0] == "c" and name[1:] in _CASE_VARIANTS:
        return name[1:], True
    if name[0] == "i" and name[1:] in _CASE_VARIANTS:
        return name[1:], False
    return name, False


_CASE_VARIANTS = {*_RELATIONS, "contains", "notcontains", "in", "notin", "match", "notmatch", "like", "notlike"}


def _items(value: Any) -> list[Any]:
    if isinstance(value, ArrayList):
        return list(value.items)
    return list(value)


def comparison(operator: str, left: Any, right: Any, context: Any) -> Any:
    """A comparison-family operator. With a collection on the left the result is the matching elements (§7.8.1)."""
    name, case_sensitive = _split(operator)
    if name in _RELATIONS:
        test = _RELATIONS[name]
        if is_enumerable(left):
            return [item for item in _items(left) if test(item, right, case_sensitive)]
        return test(left, right, case_sensitive)
    if name in ("contains", "notcontains", "in", "notin"):
        collection, value = (left, right) if name in ("contains", "notcontains") else (right, left)
        items = _items(collection) if is_enumerable(collection) else [collection]  # §7.8.2: a scalar is one element
        found = any(equals(item, value, case_sensitive) for item in items)
        return found if name in ("contains", "in") else not found
    if name in ("match", "notmatch"):
        return _match(name, left, right, case_sensitive, context)
    if name in ("like", "notlike"):
        pattern = wildcard(to_string(right)) if not case_sensitive else _case_wildcard(to_string(right))

        def like(item: Any) -> bool:
            return bool(pattern.match(to_string(item))) == (name == "like")

        return [item for item in _items(left) if like(item)] if is_enumerable(left) else like(left)
    if name in ("is", "isnot"):
        return is_type(left, right) == (name == "is")
    if name == "join":
        return join(left, right)
    raise Unsupported(f"the operator {operator}", 0)


def _case_wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(wildcard(pattern).pattern)


def _match(name: str, left: Any, right: Any, case_sensitive: bool, context: Any) -> Any:
    """-match / -notmatch (§7.8.4.2): case-insensitive by default; a scalar match sets $Matches."""
    regex = dotnet_regex(to_string(right), not case_sensitive)
    if is_enumerable(left):
        return [item for item in _items(left) if bool(regex.search(to_string(item))) == (name == "match")]
    found = regex.search(to_string(left))
    if found and name == "match":
        matches = Hashtable()
        for index, group in enumerate([found.group(0), *found.groups()]):
            if group is not None:
                matches.set(index, group)
        for group_name, group in found.groupdict().items():
            if group is not None:
                matches.set(group_name, group)
        context.set_variable("Matches", matches)
    return bool(found) == (name == "match")


def is_type(value: Any, type_value: Any) -> bool:
    """``-is`` (§7.8.3): the right operand is a type or a string naming one."""
    if isinstance(type_value, TypeInfo):
        return is_instance(value, type_value.full_name)
    if isinstance(type_value, str):
        return is_instance(value, resolve_type(type_value, 0))
    raise runtime_error(
        'Cannot convert the value to type "System.Type".', "RuntimeException", "InvalidArgument"
    )  # pragma: no cover - defensive


def join(left: Any, right: Any) -> str:
    """Binary -join (§7.8.4.4): elements converted to string, separated by the right operand."""
    items = _items(left) if is_enumerable(left) else [left]
    return to_string(right).join(to_string(item) for item in items)


# --- -f (§7.5) ----------------------------------------------------------------------------------

_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}|[{}]")


def format_operator(template: Any, values: Any) -> str:
    """``"{0,5:x4}" -f ...`` with the .NET composite format items the runner uses (§7.5)."""
    args = _items(values) if is_enumerable(values) else [values]
    text = to_string(template)

    def item(match: re.Match[str]) -> str:
        token = match[0]
        if token in ("{{", "}}"):
            return token[0]
        if match[1] is None:
            raise runtime_error(
                f'Error formatting a string: Input string was not in a correct format.: "{text}"', "FormatError"
            )
        index = int(match[1])
        if index >= len(args):
            raise runtime_error(
                "Error formatting a string: Index (zero based) must be greater than or equal to zero and less than "
                f'the size of the argument list.: "{text}"',
                "FormatError",
            )
        rendered = _format_value(args[index], match[3])
        width = int(match[2]) if match[2] else 0
        return rendered.rjust(width) if width >= 0 else rendered.ljust(-width)

    return _FORMAT_ITEM.sub(item, text)


def _format_value(value: Any, spec: str | None) -> str:
    if not spec:
        return to_string(value)
    kind, digits = spec[0], spec[1:]
    if kind in "xX" and digits.isdigit() | (digits == ""):
        number = to_int(value)
        rendered = format(number & 0xFFFFFFFF if number < 0 else number, "x" if kind == "x" else "X")
        return rendered.rjust(int(digits or 0), "0")
    if kind in "dD" and digits.isdigit() | (digits == ""):
        number = to_int(value)
        return ("-" if number < 0 else "") + str(abs(number)).rjust(int(digits or 0), "0")
    raise Unsupported(f"the format string '{spec}'", 0)


# --- arithmetic (§7.6, §7.7) --------------------------------------------------------------------


def add(left: Any, right: Any) -> Any:
    """§7.7: numbers add, a string on the left concatenates, an array on the left concatenates (§7.7.3)."""
    if left is None:
        return right if not is_enumerable(right) else list(_items(right))
    if isinstance(left, str):
        return str(left) + to_string(right)
    if is_enumerable(left):
        return [*_items(left), *(_items(right) if is_enumerable(right) else [right])]
    if isinstance(left, Hashtable):
        raise Unsupported("hashtable addition", 0)
    return _arith(left, right, "+", lambda a, b: a + b)


def _arith(left: Any, right: Any, symbol: str, operation: Any) -> Any:
    a, b = to_number(left), to_number(right)
    if a is None or b is None:
        bad = left if a is None else right
        raise runtime_error(
            f'Cannot convert value "{to_string(bad)}" to type "System.Int32". '
            'Error: "Input string was not in a correct format."',
            "InvalidCastFromStringToInteger",
            "InvalidArgument",
        )
    return operation(a, b)


def arithmetic(operator: str, left: Any, right: Any) -> Any:
    if operator == "+":
        return add(left, right)
    if operator == "-":
        return _arith(left, right, "-", lambda a, b: a - b)
    if operator == "*":
        if isinstance(left, str):
            return str(left) * to_int(right)
        return _arith(left, right, "*", lambda a, b: a * b)
    if operator == "/":

        def divide(a: Any, b: Any) -> Any:
            if b == 0:
                raise runtime_error("Attempted to divide by zero.", "RuntimeException", "NotSpecified")
            result = a / b
            return int(result) if isinstance(a, int) and isinstance(b, int) and result.is_integer() else result

        return _arith(left, right, "/", divide)
    if operator == "%":
        return _arith(left, right, "%", lambda a, b: a - b * int(a / b))
    raise Unsupported(f"the operator {operator}", 0)
