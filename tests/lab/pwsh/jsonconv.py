"""ConvertFrom-Json and ConvertTo-Json as Windows PowerShell 5.1 implements them (JavaScriptSerializer)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..cmdlets.base import ErrorRecord, PSError
from ..values import Credential, PSObject, Secure, Version
from .convert import to_string
from .model import ArrayList, Char, EnumValue, Hashtable, is_enumerable
from .syntax import Unsupported

FROM_JSON_FQID = "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand"


def from_json(text: str) -> Any:
    """ConvertFrom-Json (5.1): objects become PSCustomObjects (dicts here), keys differing only in case fail."""
    if not text.strip():
        return None

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, str] = {}
        for key, _value in items:
            if key.lower() in seen:
                raise ValueError(
                    "Cannot convert the JSON string because a dictionary that was converted from the string contains "
                    f"the duplicated keys '{seen[key.lower()]}' and '{key}'."
                )
            seen[key.lower()] = key
        return dict(items)

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except ValueError as exc:
        detail = str(exc) if "duplicated keys" in str(exc) else f"Invalid JSON primitive: {text.strip()[:40]}."
        raise PSError(ErrorRecord(detail, FROM_JSON_FQID, "NotSpecified", "System.ArgumentException")) from None


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def js_string(text: str) -> str:
    """A string as JavaScriptSerializer writes it: <, >, &, ' and control characters as \\uXXXX, other text as is."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char in "<>&'" or ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def to_json(value: Any, depth: int = 2) -> str:
    """``ConvertTo-Json -Compress -Depth n`` (5.1): containers deeper than ``depth`` are written as their text."""
    return _write(value, 0, depth)


def _object(pairs: list[tuple[str, Any]], level: int, depth: int) -> str:
    return "{" + ",".join(f"{js_string(str(key))}:{_write(item, level + 1, depth)}" for key, item in pairs) + "}"


def _write(value: Any, level: int, depth: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, EnumValue):
        return str(value.value)  # 5.1 writes enums as numbers
    if isinstance(value, Version):
        if level > depth:
            return js_string(str(value))
        parts = [*(int(part) for part in value.split(".")), -1, -1][:4]
        fields = ["Major", "Minor", "Build", "Revision"]
        pairs = [*zip(fields, parts, strict=True), ("MajorRevision", -1 if parts[3] < 0 else parts[3] >> 16)]
        pairs.append(("MinorRevision", -1 if parts[3] < 0 else parts[3] & 0xFFFF))
        return _object(pairs, level, depth)
    if isinstance(value, str | Char):
        return js_string(str(value))
    if isinstance(value, dt.datetime):
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return js_string(f"/Date({int((moment - epoch).total_seconds() * 1000)})/").replace("/", "\\/")
    if level > depth:
        return js_string(to_string(value))
    if is_enumerable(value):
        items = value.items if isinstance(value, ArrayList) else value
        return "[" + ",".join(_write(item, level + 1, depth) for item in items) + "]"
    if isinstance(value, dict):
        return _object(list(value.items()), level, depth)
    if isinstance(value, Hashtable):
        return _object([(to_string(key), item) for key, item in value.items()], level, depth)
    if isinstance(value, PSObject):
        return _object(list(value.props.items()), level, depth)
    if isinstance(value, Credential):
        return _object([("UserName", value.username), ("Password", Secure(value.password))], level, depth)
    if isinstance(value, Secure):
        return _object([("Length", len(value.value))], level, depth)
    raise Unsupported(f"ConvertTo-Json of a {type(value).__name__}", 0)
