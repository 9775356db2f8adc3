"""PowerShell values as the lab host models them, and the few PowerShell rules that act on them.

The simulated cmdlets work on JSON-like Python values (str, bool, int, float, None, list,
dict for a PSCustomObject from ConvertFrom-Json) plus the small classes below for what JSON
cannot express. The PowerShell interpreter (tests/lab/pwsh) adds its own runtime types
(hashtables, ArrayList, .NET objects) and owns the language rules; the helpers here are the
few conversions the cmdlets themselves need (``[string]`` casts, truthiness, wildcards).
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
    """A SecureString (``read_only`` after MakeReadOnly(): AppendChar then throws, as .NET does)."""

    value: str = field(repr=False)
    read_only: bool = field(default=False, repr=False)

    def __str__(self) -> str:
        return "System.Security.SecureString"


class Version(str):
    """A System.Version (module versions, $PSVersionTable.PSVersion): its text, ordered as a version.

    A str subclass so that the cmdlets and the journal keep seeing the text; the interpreter
    types it as System.Version (``-is [version]``, Sort-Object, comparisons).
    """

    def key(self) -> tuple[int, ...]:
        return parse_version(self)


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
    if isinstance(value, Version):
        return "System.Version"
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


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 timestamp from a state file (a trailing Z is accepted), as UTC."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
