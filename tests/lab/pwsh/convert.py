"""Conversions (chapter 6 of the specification) and the runtime errors PowerShell raises for them."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from ..cmdlets.base import ErrorRecord, PSError
from ..values import Credential, PSObject, Secure, Version, ps_string
from .model import (
    ArrayList,
    CategoryInfo,
    Char,
    DictionaryEntry,
    EnumValue,
    ErrorRecordValue,
    ExceptionValue,
    Hashtable,
    MatchValue,
    Property,
    PSObjectView,
    ScriptBlock,
    TypeInfo,
    is_enumerable,
    type_of,
)

RUNTIME = "System.Management.Automation.RuntimeException"


def runtime_error(message: str, fqid: str, category: str = "InvalidOperation", exception: str = RUNTIME) -> PSError:
    """A PowerShell language error (conversion, null method call, ...): a RuntimeException record."""
    return PSError(ErrorRecord(message, fqid, category, exception))


def thrown(value: Any) -> PSError:
    """``throw "text"`` (§8.5.3): a RuntimeException whose FullyQualifiedErrorId and TargetObject are the text."""
    if isinstance(value, ErrorRecordValue):
        return PSError(value.record)
    message = "ScriptHalted" if value is None else to_string(value)
    return PSError(ErrorRecord(message, message, "OperationStopped", RUNTIME, message))


def shown(value: Any) -> str:
    """A value as PowerShell shows it inside conversion error messages."""
    return "System.Object[]" if isinstance(value, list) else to_string(value)


def type_label(value: Any) -> str:
    return "null" if value is None else type_of(value)


def cannot_convert(value: Any, target: str, detail: str = "") -> PSError:
    suffix = f' Error: "{detail}"' if detail else ""
    if detail:
        return runtime_error(
            f'Cannot convert value "{shown(value)}" to type "{target}".{suffix}',
            "InvalidCastFromStringToInteger" if target == "System.Int32" else "InvalidCastParseTargetInvocation",
            "InvalidArgument",
        )
    return runtime_error(
        f'Cannot convert the "{shown(value)}" value of type "{type_label(value)}" to type "{target}".',
        "ConvertToFinalInvalidCastException",
        "InvalidArgument",
    )


# --- to bool (§6.2) -----------------------------------------------------------------------------


def to_bool(value: Any) -> bool:
    """§6.2: zero, $null and '' are false; an IList by its elements; every other object is true."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, Char):
        return value != "\0"
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list | ArrayList | bytes):
        items = value.items if isinstance(value, ArrayList) else value
        if len(items) == 0:
            return False
        if len(items) == 1:
            first = items[0]
            if isinstance(first, list | ArrayList):
                return len(first.items if isinstance(first, ArrayList) else first) > 0
            return to_bool(first)
        return True
    return True


# --- to string (§6.8) ---------------------------------------------------------------------------


def double_text(value: float) -> str:
    """A System.Double as .NET Framework's ToString() writes it (15 significant digits, E notation)."""
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{exponent[0]}{exponent[1:].rjust(2, '0')}"
    return text


def timespan_text(value: dt.timedelta) -> str:
    total = int(value.total_seconds())
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{'-' if total < 0 else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    if value.microseconds:
        text += f".{value.microseconds:06d}0"
    return text


def to_string(value: Any) -> str:
    """§6.8: $null is '', a collection is its elements joined by a space ($OFS), the rest their ToString()."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return double_text(value)
    if is_enumerable(value):
        items = value.items if isinstance(value, ArrayList) else value
        return " ".join(to_string(item) for item in items)
    if isinstance(value, dict):
        return "@{" + "; ".join(f"{key}={to_string(item)}" for key, item in value.items()) + "}"
    if isinstance(value, Hashtable):
        return value.type_name
    if isinstance(value, EnumValue):
        return value.name
    if isinstance(value, ScriptBlock):
        return value.text
    if isinstance(value, TypeInfo):
        return value.full_name
    if isinstance(value, ErrorRecordValue):
        return value.record.message
    if isinstance(value, ExceptionValue):
        return value.message
    if isinstance(value, CategoryInfo):
        return value.category
    if isinstance(value, MatchValue):
        return value.value
    if isinstance(value, dt.timedelta):
        return timespan_text(value)
    if isinstance(value, DictionaryEntry):
        return "System.Collections.DictionaryEntry"
    if isinstance(value, Property):
        return f"{type_label(value.value)} {value.name}={to_string(value.value)}"
    if isinstance(value, PSObjectView):
        return to_string(value.target)
    if isinstance(value, PSObject | dt.datetime | Credential | Secure):
        return ps_string(value)
    return type_of(value)  # Object.ToString() of the remaining .NET objects: the type's full name


# --- to integer (§6.4) and char (§6.3) ----------------------------------------------------------


def _round_half_even(value: float) -> int:
    """§6.4: a real is rounded to the nearest integer, ties to even (Python's round does the same)."""
    return round(value)


def to_int(value: Any, target: str = "System.Int32") -> int:
    """§6.4: bool 0/1, reals rounded to even, strings parsed (decimal or 0x hex), char its code."""
    if value is None:
        return 0
    if isinstance(value, bool):
        result = int(value)
    elif isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise cannot_convert(value, target)
        result = _round_half_even(value)
    elif isinstance(value, Char):
        result = ord(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            result = int(text)
        elif re.fullmatch(r"0x[0-9a-fA-F]+", text):
            result = int(text, 16)
        elif re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
            result = _round_half_even(float(text))
        else:
            raise cannot_convert(value, target, "Input string was not in a correct format.")
    elif isinstance(value, EnumValue):
        result = value.value
    elif isinstance(value, list) and len(value) == 1:
        return to_int(value[0], target)
    else:
        raise cannot_convert(value, target)
    limit = 2**31 if target == "System.Int32" else 2**63
    if not -limit <= result < limit:
        message = "Value was either too large or too small for an Int32."
        raise cannot_convert(value, target, message)
    return result


def to_char(value: Any) -> Char:
    """§6.3: a one-character string, or an integer code in 0..65535."""
    if isinstance(value, Char):
        return value
    if isinstance(value, str) and len(value) == 1:
        return Char(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFF:
        return Char(chr(value))
    if isinstance(value, str):
        raise cannot_convert(value, "System.Char", "String must be exactly one character long.")
    raise cannot_convert(value, "System.Char")


def to_double(value: Any) -> float:
    """§6.5."""
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str) and not isinstance(value, Char):
        try:
            return float(value.strip())
        except ValueError:
            raise cannot_convert(value, "System.Double", "Input string was not in a correct format.") from None
    raise cannot_convert(value, "System.Double")


def to_version(value: Any) -> Version:
    if isinstance(value, Version):
        return value
    text = to_string(value)
    if not re.fullmatch(r"\d+(\.\d+){1,3}", text):
        raise cannot_convert(value, "System.Version", "Version string portion was too short or too long.")
    return Version(text)


def to_number(value: Any) -> int | float | None:
    """The numeric operand of arithmetic and of a comparison with a number on the left (§6.15, §6.16)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, Char):
        return ord(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0
        try:
            return to_int(text) if re.fullmatch(r"[+-]?\d+|0x[0-9a-fA-F]+", text) else float(text)
        except (PSError, ValueError):
            return None
    if isinstance(value, EnumValue):
        return value.value
    return None
