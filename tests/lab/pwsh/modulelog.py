"""What PowerShell module logging (event 4103) would record for one cmdlet invocation.

Microsoft documents module logging in about_Group_Policy_Settings ("Turn on Module Logging":
"pipeline execution events for members of the specified modules are recorded in the
Windows PowerShell log"; ModuleNames ``*`` covers every module, Microsoft.PowerShell.Core
included) and about_Logging_Windows (MicrosoftDocs/PowerShell-Docs, reference/5.1). What an
event holds is not on those pages; it follows PowerShell's source (ParameterBinderBase binds
and logs, MshCommandRuntime writes the detail): for each *cmdlet* (not for functions a script
defines, which belong to no module), one ``ParameterBinding(<cmdlet>): name="<param>";
value="<text>"`` line per bound parameter, pipeline input included (``InputObject``, once
per object). The text is the value's ``ToString()``; a collection is written as its items'
``ToString()`` joined by ", " (assumed from the same reading; the lab errs on the side of
recording more). Windows PowerShell 5.1 writes the same lines into a transcript.

The lab records these for every cmdlet the interpreter dispatches, so a test can assert that
no secret ever becomes a cmdlet's parameter or pipeline input on the host.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import re
from typing import Any

from .convert import to_string
from .model import ArrayList, ScriptBlock, type_of


def dotnet_text(value: Any) -> str:
    """``Object.ToString()``: arrays and lists are their type name, the rest as the lab formats them."""
    if value is None:
        return ""
    if isinstance(value, list | bytes | ArrayList):
        return type_of(value)
    if isinstance(value, ScriptBlock):
        return value.text
    return to_string(value)


def logged_text(value: Any) -> str:
    """The ``value="..."`` of one binding: a collection's items joined by ", ", anything else its ToString()."""
    if isinstance(value, list | ArrayList):
        items = value.items if isinstance(value, ArrayList) else value
        return ", ".join(dotnet_text(item) for item in items)
    return dotnet_text(value)


def record(cmdlet: str, bound: dict[str, Any], pipeline: list[Any] | None) -> dict[str, Any]:
    """One invocation: its bound parameters, then one InputObject binding per pipeline object."""
    bindings = [{"name": name, "value": logged_text(value)} for name, value in bound.items()]
    bindings += [{"name": "InputObject", "value": logged_text(item)} for item in pipeline or ()]
    return {"cmdlet": cmdlet, "bindings": bindings}


def lines(entry: dict[str, Any]) -> list[str]:
    """The event text as PowerShell writes it."""
    return [f'ParameterBinding({entry["cmdlet"]}): name="{b["name"]}"; value="{b["value"]}"' for b in entry["bindings"]]


_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def recoverable(text: str) -> list[str]:
    """The text a reader of the log gets back from one value: itself, and every base64 run in it decoded
    (as UTF-8 and UTF-16-LE, and gunzipped first when it is gzip), since encoding is not protection."""
    found = [text]
    for match in _BASE64.finditer(text):
        try:
            data = base64.b64decode(match.group(0) + "=" * (-len(match.group(0)) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if data[:2] == b"\x1f\x8b":
            with contextlib.suppress(OSError, EOFError):
                data = gzip.decompress(data)
        found += [data.decode("utf-8", "replace"), data.decode("utf-16-le", "replace")]
    return found


def runner_text_only(event: dict[str, Any], runner: str, mask: str) -> bool:
    """A journaled module_log event of ConvertFrom-Json whose only masks are the runner's own text's
    (the runner reports a SecureString as the mask), so a test looking for masked secrets can skip it."""
    if event.get("event") != "module_log" or event.get("cmdlet") != "ConvertFrom-Json":
        return False
    return [binding["value"].count(mask) for binding in event["bindings"]] == [runner.count(mask)]
