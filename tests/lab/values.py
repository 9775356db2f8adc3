"""PowerShell values as the lab host models them, and the few PowerShell rules that act on them.

The runner on a real host works on .NET objects; the lab keeps JSON-like Python values
(str, bool, int, float, None, list, dict for a PSCustomObject from ConvertFrom-Json) plus
the small classes below for what JSON cannot express. The helpers reproduce exactly the
PowerShell behaviours the runner relies on (case-insensitive member access, member
enumeration on arrays, truthiness, ``[string]`` casts, Windows PowerShell 5.1's
``ConvertTo-Json``), so the simulated runner fails where the real one would.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

MASK = "********"


@dataclass
class PSObject:
    """An object a cmdlet writes: ordered properties plus the text ``[string]$obj`` gives.

    ``text`` matters because the runner flattens nested objects to that text.
    """

    props: dict[str, Any]
    type_name: str = "System.Management.Automation.PSCustomObject"
    text: str | None = None

    def __str__(self) -> str:
        if self.text is not None:
            return self.text
        return "@{" + "; ".join(f"{key}={ps_string(value)}" for key, value in self.props.items()) + "}"

    def get(self, name: str) -> Any:
        for key, value in self.props.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Credential:
    """A PSCredential; ``repr`` never shows the password so it cannot leak through logs."""

    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return "System.Management.Automation.PSCredential"


@dataclass
class Secure:
    """A SecureString."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "System.Security.SecureString"


def type_name(value: Any) -> str:
    """The .NET type name PowerShell would print for a value (used in binding error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Decimal"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Management.Automation.PSCustomObject"
    if isinstance(value, Credential):
        return "System.Management.Automation.PSCredential"
    if isinstance(value, Secure):
        return "System.Security.SecureString"
    if isinstance(value, dt.datetime):
        return "System.DateTime"
    if isinstance(value, PSObject):
        return value.type_name
    return type(value).__name__


def ps_string(value: Any) -> str:
    """``[string]$value``: arrays join with a space, booleans are True/False, objects give their text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return " ".join(ps_string(item) for item in value)
    if isinstance(value, dict):
        return "@{" + "; ".join(f"{key}={ps_string(item)}" for key, item in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    return str(value)


def ps_truthy(value: Any) -> bool:
    """PowerShell's conversion to bool: '' and 0 and $null are false, 'false' is true, arrays by content."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        if not value:
            return False
        return ps_truthy(value[0]) if len(value) == 1 else True
    return True


def ps_eq(left: Any, right: Any) -> bool:
    """``$left -eq $right`` for scalars: strings compare case-insensitively, the right side is converted."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, str):
        return left.lower() == ps_string(right).lower()
    if isinstance(left, bool):
        return left == ps_truthy(right)
    return bool(left == right)


def ps_member(value: Any, name: str) -> Any:
    """``$value.name``: case-insensitive; on an array, member enumeration (one result -> a scalar)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() == name.lower():
                return item
        return None
    if isinstance(value, PSObject):
        return value.get(name)
    if isinstance(value, list):
        found: list[Any] = []
        for item in value:
            member = ps_member(item, name)
            if isinstance(member, list):
                found.extend(member)
            elif member is not None:
                found.append(member)
        if not found:
            return None
        return found[0] if len(found) == 1 else found
    return None


def ps_array(value: Any) -> list[Any]:
    """``@($value)``: a list stays a list, anything else (even $null) becomes a one-element array."""
    if isinstance(value, list):
        return list(value)
    return [value]


def ps_keys(value: Any) -> list[tuple[str, Any]]:
    """``$value.PSObject.Properties`` as (name, value) pairs; nothing for $null or scalars."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, PSObject):
        return list(value.props.items())
    return []


def wildcard(pattern: str) -> re.Pattern[str]:
    """A PowerShell -like pattern (``*``, ``?``, ``[a-z]``) as a case-insensitive regex."""
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char in "[]":
            out.append(char)
        else:
            out.append(re.escape(char))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def parse_version(text: Any) -> tuple[int, ...]:
    """System.Version ordering; anything unparsable sorts first."""
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return (-1,)


_JS_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _js_string(text: str) -> str:
    """A string as Windows PowerShell 5.1's ConvertTo-Json (JavaScriptSerializer) writes it.

    It escapes <, >, &, ' and control characters as \\uXXXX and leaves other non-ASCII text alone.
    """
    out = ['"']
    for char in text:
        if char in _JS_ESCAPES:
            out.append(_JS_ESCAPES[char])
        elif char in "<>&'" or ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def ps_json(value: Any) -> str:
    """``ConvertTo-Json -Compress`` (Windows PowerShell 5.1) of a plain value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(ps_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_js_string(str(key))}:{ps_json(item)}" for key, item in value.items()) + "}"
    return _js_string(ps_string(value))


def ascii_json(text: str) -> str:
    """The runner's last touch: every non-ASCII UTF-16 code unit becomes \\uXXXX (lower-case hex)."""
    encoded = text.encode("utf-16-le", "surrogatepass")
    units = [int.from_bytes(encoded[i : i + 2], "little") for i in range(0, len(encoded), 2)]
    return "".join(chr(unit) if unit < 0x80 else f"\\u{unit:04x}" for unit in units)


def iso_utc(value: dt.datetime) -> str:
    """``$date.ToUniversalTime().ToString('o')``: seven fractional digits and a Z."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 timestamp from a state file (a trailing Z is accepted), as UTC."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
