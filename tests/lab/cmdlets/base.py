"""The cmdlet framework of the lab host: declarations, PowerShell-like parameter binding, errors, the shell.

Every simulated cmdlet declares its parameters; binding follows PowerShell's rules closely
enough that a controller bug (a misspelt parameter, a missing mandatory one, two
parameters from different parameter sets, a string where a switch belongs) fails in the
lab with the error record a Windows host would return, instead of being silently accepted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..values import MASK, Credential, PSObject, Secure, ps_string, ps_truthy, type_name
from .locale import localize

if TYPE_CHECKING:
    from ..journal import Journal
    from ..state import LabState

BINDING = "System.Management.Automation.ParameterBindingException"
VALIDATION = "System.Management.Automation.ParameterBindingValidationException"
TRANSFORMATION = "System.Management.Automation.ParameterBindingArgumentTransformationException"
REMOTE = "System.Management.Automation.RemoteException"
COMMON = (
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ErrorVariable",
    "WarningVariable",
    "InformationVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
)
COMMON_ALIASES = {
    "vb": "Verbose",
    "db": "Debug",
    "ea": "ErrorAction",
    "wa": "WarningAction",
    "infa": "InformationAction",
    "ev": "ErrorVariable",
    "wv": "WarningVariable",
    "iv": "InformationVariable",
    "ov": "OutVariable",
    "ob": "OutBuffer",
    "pv": "PipelineVariable",
    "wi": "WhatIf",
    "cf": "Confirm",
}
ALL_SETS = "__AllParameterSets"


@dataclass(frozen=True)
class ErrorRecord:
    """What the runner reports of an ErrorRecord (see docs/architecture.md)."""

    message: str
    fqid: str
    category: str
    exception: str
    target: str = ""

    def to_wire(self) -> dict[str, str]:
        return {
            "message": self.message,
            "fqid": self.fqid,
            "category": self.category,
            "exception": self.exception,
            "target": self.target,
        }


class PSError(Exception):
    """A terminating error: the runner calls every cmdlet with -ErrorAction Stop, so all errors are."""

    def __init__(self, record: ErrorRecord) -> None:
        super().__init__(record.message)
        self.record = record


def ps_error(message: str, fqid: str, category: str, exception: str, target: Any = "") -> PSError:
    return PSError(ErrorRecord(message, fqid, category, exception, ps_string(target)))


def command_not_found(name: str) -> PSError:
    return ps_error(
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
        "program. Check the spelling of the name, or if a path was included, verify that the path is correct "
        "and try again.",
        "CommandNotFoundException",
        "ObjectNotFound",
        "System.Management.Automation.CommandNotFoundException",
        name,
    )


def _binding(message: str, reason: str, owner: str, category: str = "InvalidArgument", exc: str = BINDING) -> PSError:
    return ps_error(message, f"{reason},{owner}", category, exc)


@dataclass(frozen=True)
class Param:
    """One parameter.

    Args:
        kind: str, bool, int, switch, credential, secure, list, enum, any.
        sets: parameter sets it belongs to; empty means all sets.
        choices: enum names, for kind=enum (type_name is then the .NET enum type).
    """

    name: str
    kind: str = "str"
    mandatory: bool = False
    sets: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    type_name: str = ""
    aliases: tuple[str, ...] = ()
    mandatory_sets: tuple[str, ...] = ()  # mandatory only in these sets (optional in its other sets)

    def required_in(self, parameter_set: str) -> bool:
        if self.mandatory_sets:
            return parameter_set in self.mandatory_sets
        return self.mandatory and (not self.sets or parameter_set in self.sets)

    def convert(self, value: Any, owner: str) -> Any:
        """Argument transformation and validation as PowerShell does them for this parameter type."""
        if value is None:
            if self.mandatory:
                raise _binding(
                    f"Cannot bind argument to parameter '{self.name}' because it is null.",
                    "ParameterArgumentValidationErrorNullNotAllowed",
                    owner,
                    "InvalidData",
                    VALIDATION,
                )
            return False if self.kind == "switch" else None
        converter = getattr(self, f"_to_{self.kind}")
        result = converter(value, owner)
        if self.mandatory and result == "" and self.kind == "str":
            raise _binding(
                f"Cannot bind argument to parameter '{self.name}' because it is an empty string.",
                "ParameterArgumentValidationErrorEmptyStringNotAllowed",
                owner,
                "InvalidData",
                VALIDATION,
            )
        return result

    def _cannot_convert(self, value: Any, target: str, owner: str, detail: str = "") -> PSError:
        shown = ps_string(value) if not isinstance(value, list) else "System.Object[]"
        suffix = f' Error: "{detail}"' if detail else ""
        return _binding(
            f'Cannot bind parameter \'{self.name}\'. Cannot convert value "{shown}" to type "{target}".{suffix}',
            "CannotConvertArgumentNoMessage",
            owner,
        )

    def _to_any(self, value: Any, owner: str) -> Any:
        return value

    def _to_str(self, value: Any, owner: str) -> str:
        if isinstance(value, list):
            raise _binding(
                f"Cannot convert '{type_name(value)}' to the type 'System.String' required by parameter "
                f"'{self.name}'. Specified method is not supported.",
                "CannotConvertArgument",
                owner,
            )
        return ps_string(value)

    def _to_bool(self, value: Any, owner: str) -> bool:
        if isinstance(value, bool | int | float):
            return bool(value)
        target = "System.Management.Automation.SwitchParameter" if self.kind == "switch" else "System.Boolean"
        raise _binding(
            f"Cannot process argument transformation on parameter '{self.name}'. Cannot convert value "
            f'"{type_name(value)}" to type "{target}". Boolean parameters accept only Boolean values and '
            "numbers, such as $True, $False, 1 or 0.",
            "ParameterArgumentTransformationError",
            owner,
            "InvalidData",
            TRANSFORMATION,
        )

    _to_switch = _to_bool

    def _to_int(self, value: Any, owner: str) -> int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            detail = "Input string was not in a correct format."
            raise self._cannot_convert(value, "System.Int32", owner, detail) from None

    def _to_list(self, value: Any, owner: str) -> list[Any]:
        return list(value) if isinstance(value, list) else [value]

    def _to_enum(self, value: Any, owner: str) -> str:
        text = ps_string(value)
        for choice in self.choices:
            if choice.lower() == text.lower():
                return choice
        names = ", ".join(self.choices)
        raise self._cannot_convert(
            value,
            self.type_name,
            owner,
            f"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the following "
            f"enumerator names and try again:\r\n{names}",
        )

    def _to_credential(self, value: Any, owner: str) -> Credential:
        if isinstance(value, Credential):
            return value
        if isinstance(value, str):
            raise _binding(
                f"Cannot process argument transformation on parameter '{self.name}'. A command that prompts the "
                "user failed because the host program or the command type does not support user interaction. The "
                "host was attempting to request confirmation with the following message: Enter your credentials.",
                "ParameterArgumentTransformationError",
                owner,
                "InvalidData",
                TRANSFORMATION,
            )
        raise self._cannot_convert(value, "System.Management.Automation.PSCredential", owner)

    def _to_secure(self, value: Any, owner: str) -> Secure:
        if isinstance(value, Secure):
            return value
        raise _binding(
            f"Cannot bind parameter '{self.name}'. Cannot convert the \"{ps_string(value)}\" value of type "
            f'"{type_name(value)}" to type "System.Security.SecureString".',
            "CannotConvertArgumentNoMessage",
            owner,
        )


@dataclass
class Bound:
    """Bound parameters by their declared names, and the parameter set PowerShell chose."""

    values: dict[str, Any]
    parameter_set: str
    common: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def switch(self, name: str) -> bool:
        return ps_truthy(self.values.get(name))


Handler = Callable[["Shell", Bound], list[Any]]


@dataclass(frozen=True)
class Cmdlet:
    """A simulated command.

    Args:
        class_name: the .NET class (or function name) that appears after the comma in binding FQIDs.
        scope: host, onprem or online, for the journal.
        should_process: the cmdlet takes -WhatIf and -Confirm.
    """

    name: str
    scope: str
    class_name: str
    params: tuple[Param, ...]
    run: Handler
    default_set: str | None = None
    should_process: bool = False

    def bind(self, arguments: dict[str, Any], owner: str | None = None, error_action: str | None = "Stop") -> Bound:
        owner = owner or self.class_name
        values: dict[str, Any] = {}
        common: dict[str, Any] = {}
        # The runner calls most commands as `& name @params -ErrorAction Stop`: a params key that also
        # names ErrorAction is then bound twice. None: the call passed no -ErrorAction of its own.
        explicit = [] if error_action is None else [("ErrorAction", error_action)]
        for raw, value in [*arguments.items(), *explicit]:
            name = self._match(raw, owner)
            if name in values or name in common:
                raise _binding(
                    f"Cannot bind parameter because parameter '{name}' is specified more than once. To provide "
                    "multiple values to parameters that can accept multiple values, use the array syntax. For "
                    'example, "-parameter value1,value2,value3".',
                    "ParameterAlreadyBound",
                    owner,
                )
            param = self._param(name)
            if param is None:
                common[name] = value
            else:
                values[name] = param.convert(value, owner)
        chosen = self._resolve_set(values, owner)
        missing = [p.name for p in self.params if p.required_in(chosen) and p.name not in values]
        if missing:
            raise _binding(
                f"Cannot process command because of one or more missing mandatory parameters: {' '.join(missing)}.",
                "MissingMandatoryParameter",
                owner,
            )
        return Bound(values, chosen, common)

    def _param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def _names(self) -> dict[str, str]:
        """Every accepted spelling (lower case) -> canonical name, common parameters included."""
        names = {name.lower(): name for name in COMMON}
        if self.should_process:
            names.update({"whatif": "WhatIf", "confirm": "Confirm"})
        names.update({alias: target for alias, target in COMMON_ALIASES.items() if target.lower() in names})
        for param in self.params:
            names[param.name.lower()] = param.name
            names.update({alias.lower(): param.name for alias in param.aliases})
        return names

    def _match(self, raw: str, owner: str) -> str:
        """Exact name or alias first, then an unambiguous prefix, as PowerShell matches parameter names."""
        names = self._names()
        if raw.lower() in names:
            return names[raw.lower()]
        hits = sorted({target for spelled, target in names.items() if spelled.startswith(raw.lower())})
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise _binding(
                f"Parameter cannot be processed because the parameter name '{raw}' is ambiguous. Possible matches "
                f"include: {' '.join('-' + hit for hit in hits)}.",
                "AmbiguousParameter",
                owner,
            )
        raise _binding(
            f"A parameter cannot be found that matches parameter name '{raw}'.", "NamedParameterNotFound", owner
        )

    def _resolve_set(self, values: dict[str, Any], owner: str) -> str:
        declared = sorted({s for p in self.params for s in p.sets})
        if not declared:
            return ALL_SETS
        candidates = set(declared)
        for name in values:
            param = self._param(name)
            if param is not None and param.sets:
                candidates &= set(param.sets)
        if len(candidates) == 1:
            return candidates.pop()
        if candidates and self.default_set in candidates:
            return self.default_set
        complete = [s for s in sorted(candidates) if all(p.name in values for p in self.params if p.required_in(s))]
        if len(complete) == 1:
            return complete[0]
        raise _binding(
            "Parameter set cannot be resolved using the specified named parameters.", "AmbiguousParameterSet", owner
        )


@dataclass
class Resolved:
    """A command found by name: the cmdlet, the name it was called by, and how it was reached."""

    cmdlet: Cmdlet
    name: str
    owner: str
    remote: bool = False
    guard: Callable[[], None] | None = None


class Registry:
    """Which commands exist: built-ins always, module commands once the module is imported.

    Module providers receive the shell and the imported version and return the commands the
    module exports on this host (the on-premises module exports fewer on Lync Server 2013).
    """

    def __init__(self) -> None:
        self.builtins: dict[str, Cmdlet] = {}
        self.modules: dict[str, Callable[[Shell, str], Iterable[Resolved]]] = {}

    def builtin(self, cmdlet: Cmdlet) -> Cmdlet:
        self.builtins[cmdlet.name.lower()] = cmdlet
        return cmdlet

    def module(self, name: str, provider: Callable[[Shell, str], Iterable[Resolved]]) -> None:
        self.modules[name.lower()] = provider


REGISTRY = Registry()


@dataclass
class Runtime:
    """What lives as long as the lab server: fault counters (sessions are counted in the state itself)."""

    busy_connects_left: int = 0
    sessions: itertools.count = field(default_factory=lambda: itertools.count(1))


class Shell:
    """One powershell.exe process: imported modules, imported session proxies, the Teams connection.

    A new Shell is made for every WinRM command, exactly as every Ansible task starts a new
    PowerShell process: nothing imported or connected survives, only the state (the host's
    disk and the tenant) and what the tenant still counts (abandoned sessions).
    """

    def __init__(self, state: LabState, journal: Journal, runtime: Runtime) -> None:
        self.state = state
        self.journal = journal
        self.runtime = runtime
        self.imported: dict[str, tuple[str, str]] = {}  # lower name -> (name, version), import order
        self.proxies: dict[str, Resolved] = {}
        self.teams: dict[str, Any] | None = None  # the MicrosoftTeams connection of this process
        self.sessions: list[Any] = []  # PSSessions opened by this process
        self.host_lines: list[str] = []
        self.security_protocol: int | None = None  # [Net.ServicePointManager]::SecurityProtocol (tls.py)

    # --- commands -----------------------------------------------------------------------------

    def resolve(self, name: str) -> Resolved:
        """Functions (session proxies) first, then the most recently imported module, then built-ins."""
        key = name.lower()
        if key in self.proxies:
            return self.proxies[key]
        for module_key, (_module, version) in reversed(list(self.imported.items())):
            provider = REGISTRY.modules.get(module_key)
            for entry in provider(self, version) if provider else ():
                if entry.name.lower() == key:
                    return entry
        if key in REGISTRY.builtins:
            cmdlet = REGISTRY.builtins[key]
            return Resolved(cmdlet, cmdlet.name, cmdlet.class_name)
        raise command_not_found(name)

    def invoke(
        self, name: str, arguments: dict[str, Any] | None = None, error_action: str | None = "Stop"
    ) -> list[Any]:
        """``& name @arguments -ErrorAction <error_action>``; journals the call and its outcome."""
        arguments = dict(arguments or {})
        try:
            entry = self.resolve(name)
        except PSError as exc:
            record = localize(exc.record, self.state.host["culture"], service=False)
            self._journal(name, None, arguments, record)
            raise PSError(record) from None
        try:
            bound = entry.cmdlet.bind(arguments, entry.owner, error_action)
            if entry.guard is not None:
                entry.guard()
            self._confirm(bound)
            self._injected(entry)
            output = entry.cmdlet.run(self, bound)
        except PSError as exc:
            record = exc.record
            if entry.remote and not record.fqid.endswith("," + entry.owner):
                record = ErrorRecord(record.message, record.fqid, record.category, REMOTE, record.target)
            record = localize(record, self.state.host["culture"], service=entry.cmdlet.scope == "online")
            self._journal(entry.name, entry.cmdlet.scope, arguments, record)
            raise PSError(record) from None
        self._journal(entry.name, entry.cmdlet.scope, arguments, None)
        return output

    def _injected(self, entry: Resolved) -> None:
        """faults.cmdlet_errors: make a named cmdlet fail with a given message (after binding, like a server error)."""
        for name, message in self.state.faults["cmdlet_errors"].items():
            if name.lower() == entry.cmdlet.name.lower():
                raise ps_error(
                    message, f"LabInjectedFault,{entry.cmdlet.class_name}", "NotSpecified", "System.Exception"
                )

    def _confirm(self, bound: Bound) -> None:
        if ps_truthy(bound.common.get("Confirm")) and not ps_truthy(bound.common.get("WhatIf")):
            raise ps_error(
                "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
                "HostException",
                "InvalidOperation",
                "System.Management.Automation.PSInvalidOperationException",
            )

    def should_process(self, bound: Bound, target: str, action: str) -> bool:
        """-WhatIf prints what would happen (to the console, as a real host does) and changes nothing."""
        if ps_truthy(bound.common.get("WhatIf")):
            self.host_lines.append(f'What if: Performing the operation "{action}" on target "{target}".')
            return False
        return True

    def _journal(self, name: str, scope: str | None, arguments: dict[str, Any], error: ErrorRecord | None) -> None:
        params = {key: journal_value(value) for key, value in arguments.items() if key.lower() != "erroraction"}
        fields: dict[str, Any] = {"name": name, "scope": scope, "params": params, "status": "error" if error else "ok"}
        if error is not None:
            fields["error"] = {"fqid": error.fqid, "message": error.message}
        self.journal.write("cmdlet", **fields)

    # --- state ---------------------------------------------------------------------------------

    def change(self, label: str, target: dict[str, Any], key: str, value: Any) -> bool:
        """Set ``target[key]``; every real mutation is journaled as a ``change`` event."""
        before = target.get(key)
        if before == value and key in target:
            return False
        target[key] = value
        self.journal.write("change", object=label, property=key, before=before, after=value)
        return True

    def add(self, label: str, collection: list[Any], item: Any, name: str) -> None:
        collection.append(item)
        self.journal.write("change", object=label, property=name, before=None, after=item)

    def remove(self, label: str, collection: list[Any], item: Any, name: str) -> None:
        collection.remove(item)
        self.journal.write("change", object=label, property=name, before=item, after=None)

    def drop(self, label: str, mapping: dict[str, Any], key: str) -> None:
        before = mapping.pop(key)
        self.journal.write("change", object=label, property=key, before=before, after=None)


def journal_value(value: Any) -> Any:
    """A parameter value for the journal: credentials and secure strings are masked."""
    if isinstance(value, Credential | Secure):
        return MASK
    if isinstance(value, dict):
        if any(key.lower() in ("$credential", "$secure") for key in value):
            return MASK
        return {key: journal_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [journal_value(item) for item in value]
    if isinstance(value, PSObject):
        return str(value)
    return value
