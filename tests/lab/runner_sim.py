"""plugins/plugin_utils/runner.ps1, re-enacted in Python over the simulated cmdlets.

Each function mirrors one function of runner.ps1 (same name in the docstring) and keeps
its PowerShell semantics where they change an outcome: case-insensitive member access,
``@($x)`` turning $null into a one-element array, ``throw "text"`` records, the
case-insensitive parameter hashtable, ``Sort-Object``, Windows PowerShell 5.1's
``ConvertTo-Json``. When runner.ps1 changes, this module must change with it; the lab
refuses any runner text other than the file it read at start, so a drift cannot go
unnoticed.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from .cmdlets.base import ErrorRecord, PSError, Shell, ps_error
from .cmdlets.online import SESSION_TYPE
from .values import (
    MASK,
    Credential,
    PSObject,
    Secure,
    ascii_json,
    iso_utc,
    parse_version,
    ps_array,
    ps_eq,
    ps_json,
    ps_keys,
    ps_member,
    ps_string,
    ps_truthy,
    wildcard,
)

MARKER = "#LYNC-HYBRID-RESULT#"
NAME_PATTERN = re.compile(r"^[A-Za-z]+-[A-Za-z0-9]+\Z")
PARAMETER_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*\Z")


def thrown(message: str) -> PSError:
    """``throw "message"``: a RuntimeException whose FullyQualifiedErrorId and TargetObject are the message."""
    return PSError(
        ErrorRecord(message, message, "OperationStopped", "System.Management.Automation.RuntimeException", message)
    )


def plain(value: Any, depth: int = 1) -> Any:
    """ConvertTo-LhPlain."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, Secure):
        return MASK
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [plain(item, depth - 1) for item in value]
    if depth <= 0:
        return ps_string(value)
    if isinstance(value, Credential):
        return {"UserName": value.username, "Password": MASK}
    return {name: plain(item, depth - 1) for name, item in ps_keys(value)}


def _properties(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, str):
        return [("Length", len(value))]
    return ps_keys(value)


def select_object(value: Any, names: list[Any]) -> PSObject:
    """``Select-Object -Property``: resolved names keep the object's spelling, unknown names come back as $null."""
    available = _properties(value)
    chosen: dict[str, Any] = {}
    for raw in names:
        name = ps_string(raw)
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


def select_output(objects: list[Any], select: Any) -> list[Any]:
    """Select-LhOutput."""
    rows = []
    for item in objects:
        if item is None:
            continue
        if select is not None:
            item = select_object(item, ps_array(select))
        rows.append(plain(item, 1))
    return rows


def secure_string(value: Any) -> Secure:
    """ConvertTo-LhSecureString (``[string]$Plain``, so $null is the empty string)."""
    return Secure("" if value is None else ps_string(value))


def credential(username: Any, secret: Secure) -> Credential:
    """``New-Object System.Management.Automation.PSCredential($username, $secret)``."""
    if username is None or ps_string(username) == "":
        raise ps_error(
            'Exception calling ".ctor" with "2" argument(s): "Cannot process argument because the value of argument '
            '"userName" is not valid. Change the value of the "userName" argument and run the operation again."',
            "ConstructorInvokedThrowException,Microsoft.PowerShell.Commands.NewObjectCommand",
            "InvalidOperation",
            "System.Management.Automation.MethodInvocationException",
        )
    return Credential(ps_string(username), secret.value)


def argument(value: Any) -> Any:
    """ConvertTo-LhArgument: the ``$credential`` / ``$secure`` markers become real objects."""
    if isinstance(value, dict):
        names = [key.lower() for key in value]
        if "$credential" in names:
            inner = ps_member(value, "$credential")
            secret = secure_string(ps_member(inner, "password"))
            return credential(ps_member(inner, "username"), secret)
        if "$secure" in names:
            return secure_string(ps_member(value, "$secure"))
    if isinstance(value, list):
        return [argument(item) for item in value]
    return value


def ci_set(table: dict[str, Any], key: str, value: Any) -> None:
    """``$hashtable[$key] = $value`` on PowerShell's case-insensitive hashtable: the first spelling stays."""
    existing = next((name for name in table if name.lower() == key.lower()), key)
    table[existing] = value


def parameters(raw: Any) -> dict[str, Any]:
    """ConvertTo-LhParameters."""
    table: dict[str, Any] = {}
    if raw is None:
        return table
    for name, value in _properties(raw):
        if not PARAMETER_PATTERN.match(name):
            raise thrown(f"Invalid parameter name '{name}'.")
        ci_set(table, name, argument(value))
    return table


def assert_name(name: Any) -> str:
    """Assert-LhName (its parameter is ``[string]``, so $null is '')."""
    text = ps_string(name)
    if not NAME_PATTERN.match(text):
        raise thrown(f"Invalid command name '{text}'.")
    return text


def _index(row: Any, name: str) -> Any:
    """``$current[$name]`` on an output row (an ordered, case-insensitive dictionary, or a scalar)."""
    if isinstance(row, dict):
        return next((value for key, value in row.items() if key.lower() == name.lower()), None)
    if isinstance(row, str):
        raise ps_error(
            f'Cannot convert value "{name}" to type "System.Int32". Error: "Input string was not in a correct format."',
            "InvalidCastFromStringToInteger",
            "InvalidArgument",
            "System.Management.Automation.RuntimeException",
        )
    if isinstance(row, bool | int | float):
        raise ps_error(
            f"Unable to index into an object of type {type(row).__name__}.",
            "CannotIndex",
            "InvalidOperation",
            "System.Management.Automation.RuntimeException",
        )
    return None


def drift_parameters(drift: Any, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Get-LhDriftParameters: desired values whose JSON differs from the first output row of an earlier step."""
    drifted: dict[str, Any] = {}
    wanted = ps_member(drift, "step")
    earlier = next((result for result in results if ps_eq(result["id"], wanted)), None)
    current = earlier["output"][0] if earlier is not None and earlier["output"] else None
    if current is not None and not isinstance(current, dict):
        raise thrown(f"Step '{ps_string(wanted)}' returned no object to compare with.")
    for name, desired in ps_keys(ps_member(drift, "values")):
        if not PARAMETER_PATTERN.match(name):
            raise thrown(f"Invalid parameter name '{name}'.")
        now = None if current is None else _index(current, name)
        if ps_json(now) != ps_json(desired):
            ci_set(drifted, name, desired)
    return drifted


def invoke_step(shell: Shell, step: Any, results: list[dict[str, Any]], prefix: Any) -> dict[str, Any]:
    """Invoke-LhStep: a refused step is reported as that step's error, like a failing cmdlet."""
    result: dict[str, Any] = {"id": ps_member(step, "id"), "status": "ok", "output": [], "error": None, "sent": []}
    try:
        command = assert_name(ps_member(step, "cmdlet"))
        table = parameters(ps_member(step, "params"))
        drift = ps_member(step, "when_differs")
        if drift is not None:
            drifted = drift_parameters(drift, results)
            if not drifted:
                result["status"] = "skipped"
                return result
            for key, value in drifted.items():
                ci_set(table, key, value)
        if ps_eq(ps_member(step, "scope"), "online") and ps_string(prefix):
            verb, noun = command.split("-", 1)
            command = f"{verb}-{ps_string(prefix)}{noun}"
        result["sent"] = sorted(table, key=lambda key: (key.lower(), key))
        output = shell.invoke(command, table)
        result["output"] = select_output(output, ps_member(step, "select"))
    except PSError as exc:
        result["status"] = "error"
        result["error"] = exc.record.to_wire()
    return result


def select_online(shell: Shell, candidates: Any) -> Any:
    """Select-LhOnline: the first candidate whose module ``Get-Module -ListAvailable`` finds."""
    for candidate in ps_array(candidates):
        name = ps_member(candidate, "module")
        if shell.invoke("Get-Module", {"ListAvailable": True, "Name": name}):
            return candidate
    return None


def _single(output: list[Any]) -> Any:
    """``$x = & cmd``: nothing is $null, one object is that object, more are an array."""
    if not output:
        return None
    return output[0] if len(output) == 1 else list(output)


def open_online(shell: Shell, online: Any, state: dict[str, Any]) -> None:
    """Open-LhOnline."""
    module = ps_member(online, "module")
    state["module"] = module
    shell.invoke("Import-Module", {"Name": module})
    loaded = shell.invoke("Get-Module", {"Name": module})
    state["module_version"] = ps_string(loaded[0].get("Version")) if loaded else ""
    connect = ps_member(online, "connect")
    cmdlet = assert_name(ps_member(connect, "cmdlet"))
    table = parameters(ps_member(connect, "params"))
    clock = time.monotonic()
    connection = _single(shell.invoke(cmdlet, table))
    if ps_truthy(ps_member(online, "import_session")):
        if not (isinstance(connection, PSObject) and connection.type_name == SESSION_TYPE):
            raise thrown(f"{cmdlet} returned no PSSession to import.")
        state["session"] = connection
        shell.invoke(
            "Import-PSSession",
            {
                "Session": connection,
                "Prefix": ps_member(online, "prefix"),
                "CommandName": ps_array(ps_member(online, "commands")),
                "AllowClobber": True,
                "DisableNameChecking": True,
            },
        )
    state["connected"] = True
    state["seconds"] = round(time.monotonic() - clock, 3)


def close_online(shell: Shell, online: Any, state: dict[str, Any]) -> None:
    """Close-LhOnline: whatever fails while closing is reported in ``close_error``, never thrown."""
    try:
        if state["session"] is not None:
            shell.invoke("Remove-PSSession", {"Session": state["session"]})
            state["closed"] = True
        elif state["connected"] and ps_truthy(ps_member(online, "disconnect")):
            name = assert_name(ps_member(online, "disconnect"))
            shell.invoke(name, {})
            state["closed"] = True
    except PSError as exc:
        state["close_error"] = exc.record.to_wire()


def _missing(stage: str, message: str, fqid: str, target: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "message": message,
        "fqid": fqid,
        "category": "ObjectNotFound",
        "exception": "",
        "target": target,
    }


def run(shell: Shell, request: Any) -> str:
    """The runner's main body; returns what it writes to stdout (marker + JSON)."""
    response: dict[str, Any] = {
        "protocol": 1,
        "ps_version": shell.state.host["powershell_version"],
        "onprem": None,
        "online": None,
        "steps": [],
        "error": None,
    }
    online: dict[str, Any] = {
        "module": None,
        "connected": False,
        "closed": False,
        "module_version": None,
        "seconds": None,
        "session": None,
        "close_error": None,
    }
    results: list[dict[str, Any]] = []
    chosen = None
    stage = "onprem"
    try:
        wanted = ps_member(request, "onprem_modules")
        if wanted is not None:
            found = shell.invoke("Get-Module", {"ListAvailable": True, "Name": ps_array(wanted)})
            available = sorted(found, key=lambda module: parse_version(module.get("Version")), reverse=True)
            if not available:
                target = ",".join(ps_string(name) for name in ps_array(wanted))
                response["error"] = _missing(
                    "onprem", "No on-premises management module found.", "LyncHybrid.OnPremModuleMissing", target
                )
            else:
                shell.invoke("Import-Module", {"Name": available[0].get("Name")})
                response["onprem"] = {
                    "name": available[0].get("Name"),
                    "version": ps_string(available[0].get("Version")),
                }
        candidates = ps_member(request, "online")
        if response["error"] is None and candidates is not None:
            stage = "online"
            chosen = select_online(shell, candidates)
            if chosen is None:
                names = ", ".join(ps_string(ps_member(c, "module")) for c in ps_array(candidates))
                response["error"] = _missing(
                    "online",
                    f"No online connector module is installed ({names}).",
                    "LyncHybrid.ConnectorMissing",
                    names,
                )
            else:
                open_online(shell, chosen, online)
        if response["error"] is None:
            stage = "steps"
            prefix = None
            if chosen is not None and ps_truthy(ps_member(chosen, "import_session")):
                prefix = ps_member(chosen, "prefix")
            stopped = False
            for step in [item for item in ps_array(ps_member(request, "steps")) if item is not None]:
                if stopped:
                    results.append(
                        {"id": ps_member(step, "id"), "status": "not_run", "output": [], "error": None, "sent": []}
                    )
                    continue
                result = invoke_step(shell, step, results, prefix)
                results.append(result)
                if result["status"] == "error" and not ps_truthy(ps_member(step, "continue_on_error")):
                    stopped = True
    except PSError as exc:
        response["error"] = {**exc.record.to_wire(), "stage": stage}
    finally:
        if chosen is not None:
            close_online(shell, chosen, online)
    del online["session"]
    if ps_member(request, "online") is not None:
        response["online"] = online
    response["steps"] = results
    # Write-Output of one string: the console host ends it with CRLF. '#' is escaped like non-ASCII.
    return MARKER + ascii_json(ps_json(response)).replace("#", "\\u0023") + "\r\n"
