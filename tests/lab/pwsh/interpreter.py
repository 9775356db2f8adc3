"""The interpreter: scopes, statements, pipelines, functions and parameter binding.

It walks the tree syntax.py folds (one parse per script text) and executes it against the
lab: cmdlets the lab simulates go to ``Shell.invoke``, the PowerShell cmdlets the scripts use
to commands.py, .NET members to dotnet.py. Section numbers refer to the Windows PowerShell
Language Specification 3.0 (MicrosoftDocs/PowerShell-Docs, reference/docs-conceptual/lang-spec).

Known simplifications (none changes an outcome the runner can reach): a pipeline runs one
command after the other over the whole list instead of streaming (§3.13), so an upstream
command is not stopped early by ``Select-Object -First``; a pipeline that writes nothing
assigns $null rather than AutomationNull; Hashtable keys enumerate in insertion order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cmdlets.base import BINDING, TRANSFORMATION, VALIDATION, ErrorRecord, PSError, ps_error
from ..values import Version
from . import dotnet, modulelog
from . import nodes as n
from .commands import ALIASES, BUILTINS, bind
from .convert import runtime_error, thrown, to_bool, to_char, to_double, to_int, to_string, to_version
from .model import Hashtable, ScriptBlock, TypeInfo, enumerate_value, is_enumerable, resolve_type
from .operators import arithmetic, comparison, format_operator, join
from .syntax import Unsupported, parse

if TYPE_CHECKING:
    from ..cmdlets.base import Shell

_ARITHMETIC = {"+", "-", "*", "/", "%"}
_COMMAND_WORD = re.compile(r"[A-Za-z_][\w-]*|[%?]")
_CONSTANTS = {"true": True, "false": False, "null": None}


class ReturnFlow(Exception):
    """``return`` (§8.5.4): unwinds to the function or script block."""


class ContinueFlow(Exception):
    """``continue`` (§8.5.2)."""


class BreakFlow(Exception):
    """``break`` (§8.5.1)."""


class Scope:
    """One scope (§3.5): variables and functions, looked up through the parent chain (dynamic scoping)."""

    __slots__ = ("functions", "parent", "script", "variables")

    def __init__(self, parent: Scope | None) -> None:
        self.parent = parent
        self.variables: dict[str, Any] = {}
        self.functions: dict[str, n.FunctionDef] = {}
        self.script: Scope = parent.script if parent is not None else self


def collapse(objects: list[Any]) -> Any:
    """A pipeline's output used as a value: nothing is $null, one object is itself, more an object[] (§7.1.1)."""
    if not objects:
        return None
    return objects[0] if len(objects) == 1 else list(objects)


def write(value: Any, out: list[Any]) -> None:
    """Writing a value to the pipeline enumerates a collection one level (§8.2, §7.2.1)."""
    if value is dotnet.VOID:
        return
    if is_enumerable(value):
        out.extend(enumerate_value(value))
    else:
        out.append(value)


class Interpreter:
    """One powershell.exe process running one script against a lab Shell.

    Args:
        shell: the simulated process (imported modules, sessions, the state).
        on_script_block: called with the text of every ``[ScriptBlock]::Create``; the lab host
            refuses any text that is not the collection's runner there.
        ps_version: ``$PSVersionTable.PSVersion``.
    """

    def __init__(
        self,
        shell: Shell | None,
        on_script_block: Callable[[str], None] | None = None,
        ps_version: str = "5.1.17763.1",
        on_module_log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.shell = shell
        self.on_script_block = on_script_block
        # What module logging (event 4103) would record, one entry per cmdlet invocation (modulelog.py).
        self.module_log: list[dict[str, Any]] = []
        self.on_module_log = on_module_log
        self.global_scope = Scope(None)
        self.scope = self.global_scope
        self.errors: list[ErrorRecord] = []  # non-terminating errors (the error stream)
        table = Hashtable()
        table.set("PSVersion", Version(ps_version))
        table.set("PSEdition", "Desktop")
        self.global_scope.variables.update({"psversiontable": table, "erroractionpreference": "Continue", "input": []})
        self._eval = {
            n.Const: lambda node: node.value,
            n.Var: self.eval_var,
            n.Expand: self.eval_expand,
            n.Member: self.eval_member,
            n.Call: self.eval_call,
            n.Index: self.eval_index,
            n.Unary: self.eval_unary,
            n.Cast: self.eval_cast,
            n.Binary: self.eval_binary,
            n.ArrayLiteral: lambda node: [self.eval(item) for item in node.items],
            n.SubExpr: lambda node: collapse(self.run_body(node.body)),
            n.ArrayExpr: lambda node: self.run_body(node.body),
            n.Paren: self.eval_paren,
            n.HashLiteral: self.eval_hash,
            n.ScriptBlockLiteral: lambda node: ScriptBlock(node.script, node.script.text),
            n.TypeLiteral: lambda node: TypeInfo(resolve_type(node.type_name, node.line)),
            n.Pipeline: self.value_of,
            n.Assign: self.value_of,
        }

    # --- entry points ---------------------------------------------------------------------------

    def run(self, text: str, input_lines: list[str] | None = None) -> list[Any]:
        """Run a script in the global scope (``-EncodedCommand``); ``$input`` enumerates stdin's lines."""
        self.global_scope.variables["input"] = list(input_lines or [])
        script = parse(text)
        if script.params:
            raise Unsupported("a param() block in the command text", script.line)
        return self.run_body(script.body)

    def create_script_block(self, text: str) -> ScriptBlock:
        """``[ScriptBlock]::Create(text)``."""
        if self.on_script_block is not None:
            self.on_script_block(text)
        return ScriptBlock(parse(text), text)

    # --- variables (§3.5, §5) -------------------------------------------------------------------

    def _scope_for(self, qualifier: str | None) -> Scope:
        if qualifier == "global":
            return self.global_scope
        if qualifier == "script":
            return self.scope.script
        return self.scope

    def get_variable(self, name: str, qualifier: str | None = None) -> Any:
        key = name.lower()
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        scope: Scope | None = self._scope_for(qualifier)
        if qualifier == "local":
            return scope.variables.get(key) if scope else None
        while scope is not None:
            if key in scope.variables:
                return scope.variables[key]
            scope = scope.parent if qualifier is None else None
        return None  # an unset variable is $null (strict mode off)

    def set_variable(self, name: str, value: Any, qualifier: str | None = None) -> None:
        key = name.lower()
        if key in _CONSTANTS:
            raise runtime_error(
                f"Cannot overwrite variable {name} because it is read-only or constant.", "VariableNotWritable"
            )
        self._scope_for(qualifier).variables[key] = value

    def eval_var(self, node: n.Var) -> Any:
        return self.get_variable(node.name, node.scope)

    # --- statements (chapter 8) -----------------------------------------------------------------

    def run_body(self, body: list[Any], out: list[Any] | None = None) -> list[Any]:
        """Run statements, writing into ``out``: a ``return`` deep inside must not lose what was written."""
        out = [] if out is None else out
        for statement in body:
            self.execute(statement, out)
        return out

    def execute(self, statement: Any, out: list[Any]) -> None:
        kind = type(statement)
        if kind is n.Pipeline:
            out.extend(self.run_pipeline(statement))
        elif kind is n.Assign:
            self.assign(statement)
        elif kind is n.If:
            self.run_if(statement, out)
        elif kind is n.Foreach:
            self.run_foreach(statement, out)
        elif kind is n.Try:
            self.run_try(statement, out)
        elif kind is n.Flow:
            self.run_flow(statement, out)
        elif kind is n.FunctionDef:
            self.scope.functions[statement.name.lower()] = statement  # §8.10: defined when reached
        else:  # pragma: no cover - syntax.py only builds the node types above
            raise Unsupported(type(statement).__name__, statement.line)

    def value_of(self, statement: Any) -> Any:
        """A statement used as a value (assignment, ``(...)``): an expression keeps its value as is;
        a command pipeline's output is collapsed (§7.11.1, §7.1.1)."""
        if isinstance(statement, n.Pipeline) and len(statement.elements) == 1:
            first = statement.elements[0]
            if not isinstance(first, n.Command):
                value = self.eval(first)
                return None if value is dotnet.VOID else value
        if isinstance(statement, n.Assign):
            return self.assign(statement)
        out: list[Any] = []
        self.execute(statement, out)
        return collapse(out)

    def assign(self, node: n.Assign) -> Any:
        """§7.11.1: one target takes the value; several take one value each, the last the rest (an array)."""
        value = self.value_of(node.value)
        if len(node.targets) == 1:
            self.store(node.targets[0], value)
            return value
        values = list(enumerate_value(value)) if is_enumerable(value) else [value]
        for index, target in enumerate(node.targets):
            if index == len(node.targets) - 1:
                rest = values[index:]
                self.store(target, rest[0] if len(rest) == 1 else (rest or None))
            else:
                self.store(target, values[index] if index < len(values) else None)
        return value

    def store(self, target: Any, value: Any) -> None:
        if isinstance(target, n.Var):
            self.set_variable(target.name, value, target.scope)
        elif isinstance(target, n.Member) and target.static:
            owner = self.eval(target.target)
            if not isinstance(owner, TypeInfo):
                raise Unsupported("'::' on a value that is not a type", target.line)
            name = target.name if isinstance(target.name, str) else to_string(self.eval(target.name))
            dotnet.set_static_property(owner.full_name, name, value, self.shell, target.line)
        elif isinstance(target, n.Member):
            name = target.name if isinstance(target.name, str) else to_string(self.eval(target.name))
            dotnet.set_member(self.eval(target.target), name, value, target.line)
        elif isinstance(target, n.Index):
            dotnet.set_index(self.eval(target.target), self.eval(target.index), value, target.line)
        else:  # pragma: no cover - refused by syntax.py
            raise Unsupported("this assignment target", target.line)

    def run_if(self, node: n.If, out: list[Any]) -> None:
        """§8.3: the first clause whose condition converts to true (§6.2) runs."""
        for condition, body in node.clauses:
            if to_bool(self.value_of(condition)):
                self.run_body(body, out)
                return
        if node.otherwise is not None:
            self.run_body(node.otherwise, out)

    def run_foreach(self, node: n.Foreach, out: list[Any]) -> None:
        """§8.4.4: a collection is enumerated, a scalar is one iteration, $null none."""
        source = node.source
        if (
            isinstance(source, n.Pipeline)
            and len(source.elements) == 1
            and not isinstance(source.elements[0], n.Command)
        ):
            value = self.eval(source.elements[0])
            items = [] if value is None or value is dotnet.VOID else list(enumerate_value(value))
        else:
            items = []
            self.execute(source, items)
        for item in items:
            self.set_variable(node.variable, item)
            try:
                self.run_body(node.body, out)
            except ContinueFlow:
                continue
            except BreakFlow:
                break

    def run_try(self, node: n.Try, out: list[Any]) -> None:
        """§8.7: a terminating error runs the catch block with $_ as the ErrorRecord; finally always runs."""
        try:
            try:
                self.run_body(node.body, out)
            except PSError as error:
                if node.catch is None:
                    raise
                saved = self.scope.variables.get("_")
                self.scope.variables["_"] = _record(error)
                try:
                    self.run_body(node.catch, out)
                finally:
                    self.scope.variables["_"] = saved
        finally:
            if node.final is not None:
                self.run_body(node.final, out)

    def run_flow(self, node: n.Flow, out: list[Any]) -> None:
        if node.kind == "return":
            if node.value is not None:
                self.execute(node.value, out)  # `return x` writes x, then returns (§8.5.4)
            raise ReturnFlow
        if node.kind == "throw":
            raise thrown(None if node.value is None else self.value_of(node.value))
        raise ContinueFlow if node.kind == "continue" else BreakFlow

    # --- pipelines and commands (§8.2, §3.13) ---------------------------------------------------

    def run_pipeline(self, node: n.Pipeline) -> list[Any]:
        first = node.elements[0]
        if isinstance(first, n.Command):
            objects = self.run_command(first, None)
        else:
            objects = []
            write(self.eval(first), objects)
        for command in node.elements[1:]:
            objects = self.run_command(command, objects)
        return objects

    def command_arguments(self, command: n.Command) -> list[tuple[str, Any]]:
        """The arguments in order: ('param', name), ('arg', value); a splatted hashtable becomes both (§8.14)."""
        args: list[tuple[str, Any]] = []
        for element in command.elements:
            kind = type(element)
            if kind is n.CmdParam:
                args.append(("param", element.name))
            elif kind is n.CmdArg:
                value = self.eval(element.expr)
                args.append(("arg", None if value is dotnet.VOID else value))
            else:
                table = self.get_variable(element.variable)
                if isinstance(table, Hashtable):
                    for key, value in table.items():
                        args.extend((("param", to_string(key)), ("arg", value)))
                elif isinstance(table, list):
                    raise Unsupported("splatting an array", element.line)
                elif table is not None:
                    raise Unsupported(f"splatting a {type(table).__name__}", element.line)
        return args

    def run_command(self, command: n.Command, source: list[Any] | None) -> list[Any]:
        if command.name is not None:
            name: Any = command.name
            if not _COMMAND_WORD.fullmatch(name):
                # e.g. `1..3`: tree-sitter reads a range as a bare command word.
                raise Unsupported(f"the command word '{name}'", command.line)
        else:
            name = self.eval(command.name_expr)
        args = self.command_arguments(command)
        if isinstance(name, ScriptBlock):
            return self.call_script(name.script, "", args, source)
        if not isinstance(name, str):
            raise Unsupported(f"invoking a {type(name).__name__} with &", command.line)
        lower = name.lower()
        function = self.find_function(lower)
        if function is not None:
            return self.call_script(function.script, function.name, args, source)
        if lower in ALIASES:
            raise Unsupported(f"the alias '{name}'", command.line)
        if lower in BUILTINS and not self._is_proxy(lower):
            builtin = BUILTINS[lower]
            try:
                bound = bind(builtin, args, command.line)
                self.log_cmdlet(builtin.name, bound, source)
                return builtin.run(self, bound, source, command.line)
            except PSError as error:
                _blame(error, builtin.name)
                raise
        return self.call_cmdlet(name, args, source, command.line)

    def log_cmdlet(self, name: str, bound: dict[str, Any], source: list[Any] | None) -> None:
        """Module logging records a cmdlet's bindings (functions defined in the script are not logged)."""
        entry = modulelog.record(name, bound, source)
        self.module_log.append(entry)
        if self.on_module_log is not None:
            self.on_module_log(entry)

    def find_function(self, lower: str) -> n.FunctionDef | None:
        scope: Scope | None = self.scope
        while scope is not None:
            if lower in scope.functions:
                return scope.functions[lower]
            scope = scope.parent
        return None

    def _is_proxy(self, lower: str) -> bool:
        return self.shell is not None and lower in self.shell.proxies

    def call_cmdlet(self, name: str, args: list[tuple[str, Any]], source: list[Any] | None, line: int) -> list[Any]:
        """A lab-simulated cmdlet: named arguments only (``Shell.invoke`` binds them as PowerShell does)."""
        if self.shell is None:
            raise Unsupported(f"the command '{name}' (no lab host)", line)
        if source is not None:
            raise Unsupported(f"pipeline input to '{name}'", line)
        named: dict[str, Any] = {}
        error_action: str | None = None
        index = 0
        while index < len(args):
            kind, payload = args[index]
            if kind != "param":
                raise Unsupported(f"a positional argument to '{name}'", line)
            takes_value = index + 1 < len(args) and args[index + 1][0] == "arg"
            value = args[index + 1][1] if takes_value else True
            index += 2 if takes_value else 1
            if payload.lower() in ("erroraction", "ea") and error_action is None and not isinstance(value, bool):
                error_action = to_string(value)
            else:
                named[payload] = value
        self.log_cmdlet(name, {**named, **({"ErrorAction": error_action} if error_action else {})}, None)
        try:
            return self.shell.invoke(name, named, error_action)
        except PSError as error:
            return self._non_terminating(error, name, error_action)

    def _non_terminating(self, error: PSError, name: str, error_action: str | None) -> list[Any]:
        """-ErrorAction (or $ErrorActionPreference, §13.1) decides: Stop throws, SilentlyContinue drops the
        record, Continue writes it to the error stream. Binding and command-not-found errors ignore the
        command's own -ErrorAction (it was never bound)."""
        record = error.record
        unbound = record.exception in (BINDING, VALIDATION, TRANSFORMATION) or record.fqid == "CommandNotFoundException"
        action = self.get_variable("ErrorActionPreference") if unbound or error_action is None else error_action
        action = to_string(action).lower()
        if action == "stop":
            _blame(error, name)
            raise error
        if action in ("silentlycontinue", "ignore"):
            return []
        if action == "continue":
            self.errors.append(record)
            return []
        raise Unsupported(f"-ErrorAction {action}", 0)

    # --- functions and script blocks (§8.10, §8.14) ---------------------------------------------

    def call_script(
        self, script: n.Script, name: str, args: list[tuple[str, Any]], source: list[Any] | None
    ) -> list[Any]:
        """Invoke a function or script block in a new child scope of the caller's (§3.5.1)."""
        if source is not None:
            raise Unsupported(f"pipeline input to the function '{name or 'script block'}'", script.line)
        caller = self.scope
        self.scope = Scope(caller)
        out: list[Any] = []
        try:
            self._bind(script, name, args)
            try:
                for statement in script.body:
                    self.execute(statement, out)
            except ReturnFlow:
                pass
            except (ContinueFlow, BreakFlow):
                raise Unsupported("continue/break outside a loop", script.line) from None
        finally:
            self.scope = caller
        return out

    def call_script_block(self, block: ScriptBlock, positional: list[Any]) -> Any:
        """A script block called from .NET (a MatchEvaluator): positional arguments, collapsed output."""
        return collapse(self.call_script(block.script, "", [("arg", value) for value in positional], None))

    def run_with_underscore(self, block: ScriptBlock, item: Any, collapse_output: bool = True) -> Any:
        """Where-Object / ForEach-Object: the block runs in the caller's scope with $_ set (§4.5.16 pipelines)."""
        if block.script.params:
            raise Unsupported("a param() block in a ForEach-Object/Where-Object script block", block.script.line)
        saved = self.scope.variables.get("_")
        self.scope.variables["_"] = item
        out: list[Any] = []
        try:
            for statement in block.script.body:
                self.execute(statement, out)
        except (ReturnFlow, ContinueFlow, BreakFlow):
            raise Unsupported("return/continue/break in a pipeline script block", block.script.line) from None
        finally:
            self.scope.variables["_"] = saved
        return collapse(out) if collapse_output else out

    def _bind(self, script: n.Script, name: str, args: list[tuple[str, Any]]) -> None:
        """Parameter binding (§8.14): named (exact or unique prefix), then positional in declared order;
        ``[int]``/``[string]`` conversions (§6.17); mandatory parameters; the rest in $args."""
        params = script.params or []
        owner = f",{name}" if name else ""
        bound: dict[str, Any] = {}
        positional: list[Any] = []
        extra: list[Any] = []
        index = 0
        while index < len(args):
            kind, payload = args[index]
            index += 1
            if kind == "arg":
                positional.append(payload)
                continue
            hits = [p for p in params if p.name.lower().startswith(payload.lower())]
            exact = [p for p in hits if p.name.lower() == payload.lower()]
            hits = exact or hits
            if not hits:
                if script.advanced:
                    raise ps_error(
                        f"A parameter cannot be found that matches parameter name '{payload}'.",
                        f"NamedParameterNotFound{owner}",
                        "InvalidArgument",
                        BINDING,
                    )
                extra.append("-" + payload)
                continue
            if len(hits) > 1:
                raise ps_error(
                    f"Parameter cannot be processed because the parameter name '{payload}' is ambiguous. Possible "
                    f"matches include: {' '.join('-' + p.name for p in hits)}.",
                    f"AmbiguousParameter{owner}",
                    "InvalidArgument",
                    BINDING,
                )
            param = hits[0]
            if param.name in bound:
                raise ps_error(
                    f"Cannot bind parameter because parameter '{param.name}' is specified more than once. To provide "
                    "multiple values to parameters that can accept multiple values, use the array syntax. For "
                    'example, "-parameter value1,value2,value3".',
                    f"ParameterAlreadyBound{owner}",
                    "InvalidArgument",
                    BINDING,
                )
            if index >= len(args) or args[index][0] != "arg":
                raise ps_error(
                    f"Missing an argument for parameter '{param.name}'. Specify a parameter of type "
                    f"'{_declared(param)}' and try again.",
                    f"MissingArgument{owner}",
                    "InvalidArgument",
                    BINDING,
                )
            bound[param.name] = args[index][1]
            index += 1
        for value in positional:
            free = [p for p in params if p.name not in bound]
            if free:
                bound[free[0].name] = value
            elif script.advanced:
                raise ps_error(
                    f"A positional parameter cannot be found that accepts argument '{to_string(value)}'.",
                    f"PositionalParameterNotFound{owner}",
                    "InvalidArgument",
                    BINDING,
                )
            else:
                extra.append(value)
        missing = [p.name for p in params if p.mandatory and p.name not in bound]
        if missing:
            raise ps_error(
                f"Cannot process command because of one or more missing mandatory parameters: {' '.join(missing)}.",
                f"MissingMandatoryParameter{owner}",
                "InvalidArgument",
                BINDING,
            )
        variables = self.scope.variables
        variables["args"] = extra
        variables["input"] = []
        for param in params:
            if param.name in bound:
                value = bound[param.name]
                if param.mandatory and value is None:
                    raise ps_error(
                        f"Cannot bind argument to parameter '{param.name}' because it is null.",
                        f"ParameterArgumentValidationErrorNullNotAllowed{owner}",
                        "InvalidData",
                        VALIDATION,
                    )
            elif param.default is not None:
                value = self.eval(param.default)
            else:
                value = None
            variables[param.name.lower()] = self._constrain(param, value, owner)

    def _constrain(self, param: n.ParamDecl, value: Any, owner: str) -> Any:
        if param.type_name is None:
            return value
        try:
            if param.type_name == "int":
                return to_int(value)
            return to_string(value)
        except PSError as error:
            raise ps_error(
                f"Cannot process argument transformation on parameter '{param.name}'. {error.record.message}",
                f"ParameterArgumentTransformationError{owner}",
                "InvalidData",
                TRANSFORMATION,
            ) from None

    # --- expressions (chapter 7) ----------------------------------------------------------------

    def eval(self, node: Any) -> Any:
        return self._eval[type(node)](node)

    def eval_expand(self, node: n.Expand) -> str:
        """§2.3.5.2: each embedded part converted to string (§6.8) in place."""
        parts = []
        for part in node.parts:
            parts.append(part if isinstance(part, str) else to_string(self.eval(part)))
        return "".join(parts)

    def eval_paren(self, node: n.Paren) -> Any:
        inner = node.statement
        if type(inner) in (n.Pipeline, n.Assign):
            return self.value_of(inner)
        value = self.eval(inner)
        return None if value is dotnet.VOID else value

    def eval_hash(self, node: n.HashLiteral) -> Hashtable:
        """§7.1.9: keys in order; a duplicate key is an error."""
        table = Hashtable()
        for key_node, value_node in node.entries:
            key = self.eval(key_node)
            if key in table:
                raise runtime_error(
                    f"Duplicate keys '{to_string(key)}' are not allowed in hash literals.", "DuplicateKeyInHashLiteral"
                )
            table.set(key, self.value_of(value_node))
        return table

    def _member_name(self, node: n.Member | n.Call) -> str:
        return node.name if isinstance(node.name, str) else to_string(self.eval(node.name))

    def eval_member(self, node: n.Member) -> Any:
        name = self._member_name(node)
        if node.static:
            target = self.eval(node.target)
            if not isinstance(target, TypeInfo):
                raise Unsupported("'::' on a value that is not a type", node.line)
            return dotnet.static_property(target.full_name, name, node.line, self.shell)
        return dotnet.get_member(self.eval(node.target), name, node.line)

    def eval_call(self, node: n.Call) -> Any:
        target = self.eval(node.target)
        args = []
        for arg in node.args:
            value = self.eval(arg)
            args.append(None if value is dotnet.VOID else value)
        if node.static:
            if not isinstance(target, TypeInfo):
                raise Unsupported("'::' on a value that is not a type", node.line)
            return dotnet.call_static(target.full_name, node.name, args, self, node.line)
        return dotnet.call_method(target, node.name, args, node.line)

    def eval_index(self, node: n.Index) -> Any:
        return dotnet.get_index(self.eval(node.target), self.eval(node.index), node.line)

    def eval_unary(self, node: n.Unary) -> Any:
        value = self.eval(node.operand)
        if value is dotnet.VOID:
            value = None
        if node.op == ",":
            return [value]  # §7.2.1: a new one-element array
        if node.op in ("-not", "!"):
            return not to_bool(value)  # §7.2.2
        number = to_int(value) if isinstance(value, str) else value
        if isinstance(number, bool | int | float):
            return -number
        raise Unsupported(f"unary minus on a {type(value).__name__}", node.line)

    def eval_cast(self, node: n.Cast) -> Any:
        """§7.2.9 with the conversions of chapter 6."""
        lower = node.type_name.lower()
        if lower == "ordered":
            if not isinstance(node.operand, n.HashLiteral):
                raise runtime_error(
                    "The ordered attribute can be specified only on a hash literal node.",
                    "OrderedAttributeOnlyOnHashLiteralNode",
                )
            table = self.eval_hash(node.operand)
            table.ordered = True  # §4.3.9 / §6.19
            return table
        value = self.eval(node.operand)
        full = resolve_type(node.type_name, node.line)
        if full == "System.Void":
            return dotnet.VOID  # §6.1
        if value is dotnet.VOID:
            value = None
        converters: dict[str, Callable[[Any], Any]] = {
            "System.String": to_string,
            "System.Int32": to_int,
            "System.Int64": lambda v: to_int(v, "System.Int64"),
            "System.Char": to_char,
            "System.Boolean": to_bool,
            "System.Double": to_double,
            "System.Version": to_version,
            "System.Object": lambda v: v,
        }
        if full in dotnet.ENUMS:
            return dotnet.convert_to(value, full)  # §6.x: a string names an enum member, a number is its value
        if full not in converters:
            raise Unsupported(f"the cast [{node.type_name}]", node.line)
        return converters[full](value)

    def eval_binary(self, node: n.Binary) -> Any:
        op = node.op
        if op == "-and":  # §7.10: short-circuit
            return to_bool(self.eval(node.left)) and to_bool(self.eval(node.right))
        if op == "-or":
            return to_bool(self.eval(node.left)) or to_bool(self.eval(node.right))
        left = self.eval(node.left)
        right = self.eval(node.right)
        if op in _ARITHMETIC:
            return arithmetic(op, left, right)
        if op == "-f":
            return format_operator(left, right)
        if op == "-join":
            return join(left, right)
        if op in ("-band", "-bor"):
            a, b = to_int(left, "System.Int64"), to_int(right, "System.Int64")
            return a & b if op == "-band" else a | b  # §7.9
        if op in ("-is", "-isnot") and not isinstance(right, TypeInfo | str):
            raise Unsupported("-is with this right operand", node.line)
        return comparison(op, left, right, self)


def _declared(param: n.ParamDecl) -> str:
    return {"int": "System.Int32", "string": "System.String"}.get(param.type_name or "", "System.Object")


def _record(error: PSError) -> Any:
    from .model import ErrorRecordValue

    return ErrorRecordValue(error.record)


def _blame(error: PSError, name: str) -> None:
    """Remember which command raised a terminating error (the console's error view starts with it)."""
    if not hasattr(error, "command"):
        error.command = name  # type: ignore[attr-defined]
