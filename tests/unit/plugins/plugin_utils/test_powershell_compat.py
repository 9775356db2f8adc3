"""bootstrap.ps1 and runner.ps1 only use what Windows PowerShell 3.0, 4.0 and 5.1 really have.

Nothing here runs PowerShell. The scripts are parsed with tree-sitter-powershell and every command
and parameter, type literal, constructor (``New-Object`` and ``::new``, with its arity and, where
several overloads share it, the argument types), static member and instance member is looked up in
the reference tables (tests/lab/reference): the commands and type accelerators of Windows Server
2012 / PowerShell 3.0, 2012 R2 / 4.0, 2016 / 5.1 and 2019 / 5.1 from PSScriptAnalyzer's profiles,
and the .NET members from ``dotnet.json``. Syntax newer than a platform is flagged, and so are
variables read before any assignment and calls of functions nobody defines.

Instance members need the type of the expression left of the dot. The analyzer infers it from
``New-Object``, casts, ``[ordered]``/``@{}``/``@()`` literals, static calls' return types, typed
``param`` declarations, ``foreach`` element types and ``-is [T]`` guards; the few variables whose
type comes from their callers are listed in ``DECLARED`` with the reason. Anything else is dynamic
(JSON objects from ConvertFrom-Json, pipeline output) and is not checked.

The mutation table at the end proves each kind of mistake is caught.
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell

from tests.lab import reference

REPO = pathlib.Path(__file__).resolve().parents[4]
UTILS = REPO / "plugins" / "plugin_utils"
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
PLATFORMS = tuple(reference.table("platforms")["platforms"])
WRAPPERS = {
    "pipeline",
    "pipeline_chain",
    "unary_expression",
    "argument_expression",
    "parenthesized_expression",
    "array_literal_expression",
    "left_assignment_expression",
} | {
    f"{kind}{suffix}"
    for kind in ("logical", "bitwise", "comparison", "additive", "multiplicative", "format", "range")
    for suffix in ("_expression", "_argument_expression")
}
COMMON_PARAMETERS = {
    "verbose",
    "debug",
    "erroraction",
    "warningaction",
    "informationaction",
    "errorvariable",
    "warningvariable",
    "informationvariable",
    "outvariable",
    "outbuffer",
    "pipelinevariable",
    "whatif",
    "confirm",
}
AUTOMATIC = {
    "_",
    "psitem",
    "input",
    "null",
    "true",
    "false",
    "psversiontable",
    "args",
    "error",
    "erroractionpreference",
    "progresspreference",
    "matches",
    "lastexitcode",
    "host",
    "this",
}
# Variables whose type the analyzer cannot see from the script itself: (function, variable) -> type, why.
DECLARED: dict[tuple[str, str], tuple[str, str]] = {
    ("ConvertTo-LhError", "record"): (
        "System.Management.Automation.ErrorRecord",
        "every caller passes -Record $_ from inside a catch block",
    ),
    ("ConvertTo-LhPlain", "value"): (
        "System.Object",
        "any output object: its own members are only used under -is guards, GetType()/PSObject exist on all",
    ),
    ("<scriptblock>", "m"): (
        "System.Text.RegularExpressions.Match",
        "the script block is the MatchEvaluator of [regex]::Replace, which passes the Match",
    ),
}
# Output types of the commands whose result the runner calls a member on.
COMMAND_OUTPUT = {"out-string": "System.String", "new-object": None}
SYNTAX_5 = (5, 0)


@dataclasses.dataclass(frozen=True)
class Platform:
    key: str
    version: tuple[int, int]
    commands: dict[str, Any]
    accelerators: dict[str, str]


@functools.cache
def platform(key: str) -> Platform:
    row = reference.table("platforms")["platforms"][key]
    major, minor = (int(part) for part in row["powershell"].split(".")[:2])
    commands = {name.lower(): spec for name, spec in row["commands"].items()}
    accelerators = {name.lower(): full for name, full in row["type_accelerators"].items()}
    return Platform(key, (major, minor), commands, accelerators)


def dotnet() -> dict[str, Any]:
    return reference.table("dotnet")["types"]


def text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8")


def unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """Descend through the grammar's single-child precedence levels to the expression itself."""
    while node.type in WRAPPERS:
        named = [c for c in node.children if c.type not in ("(", ")")]
        if len(named) != 1:
            break
        node = named[0]
    return node


def var_name(node: tree_sitter.Node, source: bytes) -> str | None:
    """``$global:X`` -> ``x``; ``$env:X`` and ``${...}`` are not script variables (None)."""
    raw = text(node, source).lstrip("$@").lower()  # @name is splatting: a read of $name
    if raw.startswith("env:") or raw.startswith("{"):
        return None
    for scope in ("global:", "script:", "local:", "private:"):
        if raw.startswith(scope):
            return raw[len(scope) :]
    return raw


class Analyzer:
    """One script on one platform; ``findings`` lists every problem as readable text."""

    def __init__(self, source: str, key: str) -> None:
        self.source = source.encode("utf-8")
        self.tree = PARSER.parse(self.source)
        self.platform = platform(key)
        self.findings: list[str] = []
        self.functions: dict[str, tuple[tree_sitter.Node, set[str]]] = {}
        self._found: dict[tuple[int, str, tuple[str, ...]], list[tree_sitter.Node]] = {}
        self._collect_functions(self.tree.root_node)

    # --- helpers --------------------------------------------------------------------------------

    def t(self, node: tree_sitter.Node) -> str:
        return text(node, self.source)

    def report(self, node: tree_sitter.Node, message: str) -> None:
        self.findings.append(f"{self.platform.key} line {node.start_point[0] + 1}: {message}")

    def _collect_functions(self, node: tree_sitter.Node) -> None:
        if node.type == "function_statement":
            name = next(c for c in node.children if c.type == "function_name")
            params = {
                var_name(v, self.source) or ""
                for block in self._find(node, "param_block", stop=("function_statement",))
                for v in self._find(block, "variable")
                if v.parent is not None and v.parent.type == "script_parameter"
            }
            self.functions[self.t(name).lower()] = (node, params)
        for child in node.children:
            self._collect_functions(child)

    def _find(self, node: tree_sitter.Node, kind: str, stop: tuple[str, ...] = ()) -> list[tree_sitter.Node]:
        key = (node.id, kind, stop)
        if key not in self._found:
            self._found[key] = self._search(node, kind, stop)
        return self._found[key]

    def _search(self, node: tree_sitter.Node, kind: str, stop: tuple[str, ...]) -> list[tree_sitter.Node]:
        found = []
        for child in node.children:
            if child.type == kind:
                found.append(child)
            if child.type not in stop:
                found += self._find(child, kind, stop)
        return found

    def resolve_type(self, name: str) -> str | None:
        """A type literal's full name, through the platform's accelerators and the .NET table."""
        name = name.strip()
        suffix = ""
        if name.endswith("[]"):
            name, suffix = name[:-2], "[]"
        known = {k.lower(): k for k in dotnet()}
        candidates = [self.platform.accelerators.get(name.lower()), name, f"System.{name}"]
        for candidate in candidates:
            if candidate and (candidate + suffix).lower() in known:
                return known[(candidate + suffix).lower()]
            if candidate and suffix and candidate.lower() in known:
                return "System.Array"
        accelerated = self.platform.accelerators.get(name.lower())
        return accelerated + suffix if accelerated else None

    def members(self, type_name: str, kind: str) -> dict[str, Any] | None:
        """Static or instance members of a type and its bases (instance: System.Object's too)."""
        types = dotnet()
        if type_name not in types:
            return None
        found: dict[str, Any] = {}
        current: str | None = type_name
        while current and current in types:
            for member, spec in types[current][kind].items():
                found.setdefault(member.lower(), spec)
            current = types[current].get("base")
        if kind == "instance":
            for member, spec in types["System.Object"]["instance"].items():
                found.setdefault(member.lower(), spec)
        return found

    def assignable(self, actual: str, wanted: str) -> bool:
        types = dotnet()
        current: str | None = actual
        while current:
            if current == wanted:
                return True
            current = types.get(current, {}).get("base")
        return False

    # --- the checks -----------------------------------------------------------------------------

    def run(self) -> list[str]:
        self.check_syntax(self.tree.root_node)
        self.check_commands(self.tree.root_node)
        self.check_types(self.tree.root_node)
        self.check_variables()
        return self.findings

    def check_syntax(self, node: tree_sitter.Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            snippet = self.t(node).strip()[:40]
            what = "ternary or null-coalescing operator (PowerShell 7)" if "?" in snippet else "unparseable code"
            self.report(node, f"{what}: {snippet!r}")
        elif node.type == "pipeline_chain_tail":
            self.report(node, "pipeline chain operator && or || (PowerShell 7)")
        elif node.type == "class_statement" and self.platform.version < SYNTAX_5:
            self.report(node, "class definitions need PowerShell 5.0")
        elif node.type == "member_name" and self.t(node).lower() == "new" and node.prev_sibling is not None:
            if node.prev_sibling.type == "::" and self.platform.version < SYNTAX_5:
                self.report(node, "::new() needs PowerShell 5.0 (use New-Object)")
        for child in node.children:
            self.check_syntax(child)

    def check_commands(self, node: tree_sitter.Node) -> None:
        if node.type == "command":
            self.check_command(node)
        for child in node.children:
            self.check_commands(child)

    def check_command(self, node: tree_sitter.Node) -> None:
        name_node = next((c for c in node.children if c.type == "command_name"), None)
        if name_node is None:
            return  # & $expression: the callee is data
        name = self.t(name_node)
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        used = [
            self.t(p).lstrip("-").rstrip(":")
            for p in (elements.children if elements else ())
            if p.type == "command_parameter"
        ]
        if name.lower() in self.functions:
            params = self.functions[name.lower()][1]
            for param in used:
                hits = [p for p in params if p.startswith(param.lower())]
                if param.lower() not in params and len(hits) != 1:
                    self.report(name_node, f"{name} has no parameter -{param}")
            return
        spec = self.platform.commands.get(name.lower())
        if spec is None:
            kind = "function" if "-lh" in name.lower() else "command"
            self.report(name_node, f"{kind} {name} is not defined on this platform")
            return
        names = {p.lower() for p in spec["parameters"]} | {a.lower() for a in spec["aliases"]}
        for param in used:
            if param.lower() in names or param.lower() in COMMON_PARAMETERS:
                continue
            if len([n for n in names if n.startswith(param.lower())]) == 1:
                continue
            self.report(name_node, f"{name} has no parameter -{param} on PowerShell {self.platform.version[0]}")
        if name.lower() == "new-object" and elements is not None:
            self.check_new_object(name_node, elements)

    def check_new_object(self, where: tree_sitter.Node, elements: tree_sitter.Node) -> None:
        type_node = next((c for c in elements.children if c.type == "generic_token"), None)
        if type_node is None:
            return
        args = next((c for c in elements.children if c.type == "argument_list"), None)
        self.check_constructor(where, self.t(type_node), self.arguments(args))

    def arguments(self, arg_list: tree_sitter.Node | None) -> list[tree_sitter.Node]:
        if arg_list is None:
            return []
        expressions = next((c for c in arg_list.children if c.type == "argument_expression_list"), None)
        return [c for c in (expressions.children if expressions else ()) if c.type == "argument_expression"]

    def check_constructor(self, where: tree_sitter.Node, type_text: str, args: list[tree_sitter.Node]) -> None:
        full = self.resolve_type(type_text)
        entry = dotnet().get(full or "")
        if entry is None:
            self.report(where, f"type {type_text} is unknown")
            return
        if entry["constructors"] is None:
            self.report(where, f"{full} has no public constructor")
            return
        candidates = [c for c in entry["constructors"] if len(c) == len(args)]
        if not candidates:
            self.report(where, f"{full} has no constructor taking {len(args)} argument(s)")
            return
        if len(candidates) == 1:
            return
        actual = [self.infer(unwrap(arg), self.scope_of(where)) for arg in args]
        exact = [c for c in candidates if all(a and self.assignable(a, p) for a, p in zip(actual, c, strict=True))]
        if len(exact) == 1:
            return
        shown = ", ".join(a or "?" for a in actual)
        self.report(where, f"ambiguous overload: {len(candidates)} constructors of {full} take ({shown})")

    def check_types(self, node: tree_sitter.Node) -> None:
        if node.type == "type_literal":
            spec = next(c for c in node.children if c.type == "type_spec")
            name = self.t(spec)
            if name.lower() != "ordered" and self.resolve_type(name) is None:
                self.report(node, f"type [{name}] is unknown")
            nxt = node.next_sibling
            if nxt is not None and nxt.type == "::":
                self.check_static(node, name)
        elif node.type in ("member_access", "invokation_expression"):
            first = node.children[0]
            if first.type != "type_literal":
                self.check_instance(node)
        for child in node.children:
            self.check_types(child)

    def check_static(self, literal: tree_sitter.Node, name: str) -> None:
        parent = literal.parent
        member_node = next((c for c in parent.children if c.type == "member_name"), None)
        full = self.resolve_type(name)
        if member_node is None or full is None or full not in dotnet():
            return
        member = self.t(member_node)
        args = self.arguments(next((c for c in parent.children if c.type == "argument_list"), None))
        if member.lower() == "new":
            self.check_constructor(literal, name, args)
            return
        entry = dotnet()[full]
        if parent.type == "member_access" and member in entry.get("enum", []):
            return
        spec = (self.members(full, "static") or {}).get(member.lower())
        if spec is None:
            self.report(member_node, f"[{name}] has no static member {member}")
        elif parent.type == "invokation_expression" and len(args) not in spec.get("arities", []):
            self.report(member_node, f"[{name}]::{member} takes no {len(args)} argument(s)")

    def check_instance(self, node: tree_sitter.Node) -> None:
        target = unwrap(node.children[0])
        member_node = next((c for c in node.children if c.type == "member_name"), None)
        if member_node is None or member_node.child_count == 0 or member_node.children[0].type != "simple_name":
            return
        owner = self.infer(target, self.scope_of(node))
        types = dotnet()
        if owner is None or owner not in types or types[owner].get("dynamic"):
            return
        member = self.t(member_node)
        spec = (self.members(owner, "instance") or {}).get(member.lower())
        if spec is None:
            if types[owner].get("dictionary") and node.type == "member_access":
                return  # $table.key reads the key
            self.report(member_node, f"{owner} has no member {member}")
            return
        if node.type == "invokation_expression":
            args = self.arguments(next((c for c in node.children if c.type == "argument_list"), None))
            if spec.get("property") or (-1 not in spec["arities"] and len(args) not in spec["arities"]):
                self.report(member_node, f"{owner}.{member} takes no {len(args)} argument(s)")

    # --- type inference -------------------------------------------------------------------------

    def scope_of(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        current = node.parent
        while current is not None:
            if current.type == "function_statement":
                return current
            if current.type == "script_block_expression" and any(c.type == "param_block" for c in current.children):
                return current
            current = current.parent
        return None

    def scope_name(self, scope: tree_sitter.Node | None) -> str:
        if scope is None:
            return "<script>"
        if scope.type == "script_block_expression":
            return "<scriptblock>"
        return self.t(next(c for c in scope.children if c.type == "function_name"))

    def infer(self, node: tree_sitter.Node, scope: tree_sitter.Node | None) -> str | None:
        kind = node.type
        if kind in ("string_literal", "expandable_string_literal"):
            return "System.String"
        if kind == "integer_literal":
            return "System.Int32"
        if kind == "array_expression":
            return "System.Array"
        if kind == "hash_literal_expression":
            return "System.Collections.Hashtable"
        if kind == "cast_expression":
            name = self.t(next(c for c in node.children if c.type == "type_literal"))[1:-1]
            if name.lower() == "ordered":
                return "System.Collections.Specialized.OrderedDictionary"
            return self.resolve_type(name)
        if kind == "expression_with_unary_operator" and node.children:
            if node.children[0].type == "cast_expression":
                return self.infer(node.children[0], scope)
            if node.children[0].type == ",":  # New-Object T(,$bytes): the one argument is the array itself
                return self.infer(unwrap(node.children[1]), scope)
        if kind == "command":
            name = self.t(next((c for c in node.children if c.type == "command_name"), node)).lower()
            if name == "new-object":
                elements = next(c for c in node.children if c.type == "command_elements")
                token = next((c for c in elements.children if c.type == "generic_token"), None)
                return self.resolve_type(self.t(token)) if token else None
            return COMMAND_OUTPUT.get(name)
        if kind == "pipeline_chain":
            commands = [c for c in node.children if c.type == "command"]
            return self.infer(commands[-1], scope) if commands else None
        if kind == "pipeline":
            return self.infer(unwrap(node.children[0]), scope) if node.children else None
        if kind in ("member_access", "invokation_expression"):
            first = node.children[0]
            member_node = next((c for c in node.children if c.type == "member_name"), None)
            if member_node is None:
                return None
            if first.type == "type_literal":
                full = self.resolve_type(self.t(first)[1:-1])
                if full and self.t(member_node).lower() == "new":
                    return full
                if full and kind == "member_access" and self.t(member_node) in dotnet().get(full, {}).get("enum", []):
                    return full
                spec = (self.members(full, "static") or {}).get(self.t(member_node).lower()) if full else None
                return spec["returns"] if spec else None
            owner = self.infer(unwrap(first), scope)
            spec = (self.members(owner, "instance") or {}).get(self.t(member_node).lower()) if owner else None
            return spec["returns"] if spec else None
        if kind == "variable":
            return self.variable_type(node, scope)
        return None

    def variable_type(self, node: tree_sitter.Node, scope: tree_sitter.Node | None) -> str | None:
        name = var_name(node, self.source)
        if name is None:
            return None
        if name == "_" and self._inside(node, "catch_clause"):
            return "System.Management.Automation.ErrorRecord"
        guarded = self.guard(node, name)
        if guarded:
            return guarded
        declared = DECLARED.get((self.scope_name(scope), name))
        if declared:
            return declared[0]
        body = scope if scope is not None else self.tree.root_node
        for parameter in self._find(body, "script_parameter", stop=("function_statement",)):
            variable = next(c for c in parameter.children if c.type == "variable")
            if var_name(variable, self.source) == name:
                literal = self._find(parameter, "type_literal")
                return self.resolve_type(self.t(literal[0])[1:-1]) if literal else None
        for loop in self._find(body, "foreach_statement", stop=("function_statement",)):
            variable = next(c for c in loop.children if c.type == "variable")
            if var_name(variable, self.source) == name:
                collection = self.infer(unwrap(next(c for c in loop.children if c.type == "pipeline")), scope)
                if collection and collection.endswith("[]"):
                    return collection[:-2]
                return dotnet().get(collection or "", {}).get("element")
        for assignment in self._find(body, "assignment_expression", stop=("function_statement",)):
            target = unwrap(assignment.children[0])
            if target.type == "variable" and var_name(target, self.source) == name:
                value = next(c for c in assignment.children if c.type == "pipeline")
                inferred = self.infer(unwrap(value), scope)
                if inferred:
                    return inferred
        return None

    def _inside(self, node: tree_sitter.Node, kind: str) -> bool:
        current = node.parent
        while current is not None:
            if current.type == kind:
                return True
            current = current.parent
        return False

    def guard(self, node: tree_sitter.Node, name: str) -> str | None:
        """``if ($x -is [T]) { ... $x ... }``: inside the block, $x is a T."""
        current = node.parent
        while current is not None:
            if (
                current.type == "statement_block"
                and current.parent is not None
                and current.parent.type == "if_statement"
            ):
                condition = next(c for c in current.parent.children if c.type == "pipeline")
                compare = self._find(condition, "comparison_expression")
                for test in compare:
                    parts = [unwrap(c) for c in test.children]
                    if (
                        len(parts) == 3
                        and parts[1].type == "comparison_operator"
                        and self.t(parts[1]).lower() == "-is"
                        and parts[0].type == "variable"
                        and var_name(parts[0], self.source) == name
                        and parts[2].type == "type_literal"
                    ):
                        return self.resolve_type(self.t(parts[2])[1:-1])
            current = current.parent
        return None

    # --- variables ------------------------------------------------------------------------------

    def check_variables(self) -> None:
        """A variable read before the script (or its function, or the caller's scope) assigns it."""
        script_assigned: list[tuple[int, str]] = []
        self._walk_scope(self.tree.root_node, set(AUTOMATIC), script_assigned, record=True)
        first_call = self._first_calls()
        for name, (function, params) in self.functions.items():
            at = first_call.get(name)
            if at is None:
                continue
            visible = set(AUTOMATIC) | params | {v for pos, v in script_assigned if pos < at}
            body = next(c for c in function.children if c.type == "script_block")
            self._walk_scope(body, visible, [], record=False)

    def _first_calls(self) -> dict[str, int]:
        calls: dict[str, list[tuple[int, str | None]]] = {}
        for command in self._find(self.tree.root_node, "command_name"):
            name = self.t(command).lower()
            if name in self.functions:
                scope = self.scope_of(command)
                caller = (
                    self.t(next(c for c in scope.children if c.type == "function_name")).lower()
                    if scope is not None and scope.type == "function_statement"
                    else None
                )
                calls.setdefault(name, []).append((command.start_byte, caller))

        @functools.cache
        def first(name: str, depth: int = 0) -> int | None:
            positions = []
            for pos, caller in calls.get(name, []):
                if caller is None:
                    positions.append(pos)
                elif depth < 20:
                    caller_first = first(caller, depth + 1)
                    if caller_first is not None:
                        positions.append(caller_first)
            return min(positions) if positions else None

        return {name: at for name in self.functions if (at := first(name)) is not None}

    def _walk_scope(self, node: tree_sitter.Node, known: set[str], log: list[tuple[int, str]], record: bool) -> None:
        kind = node.type
        if kind == "function_statement":
            return
        if kind == "assignment_expression":
            for child in node.children[1:]:
                self._walk_scope(child, known, log, record)
            for variable in [unwrap(node.children[0]), *self._find(node.children[0], "variable")]:
                if variable.type == "variable" and (name := var_name(variable, self.source)):
                    known.add(name)
                    log.append((node.start_byte, name))
            return
        if kind == "foreach_statement":
            variable = next(c for c in node.children if c.type == "variable")
            for child in node.children:
                if child.type == "pipeline":
                    self._walk_scope(child, known, log, record)
            known.add(var_name(variable, self.source) or "")
            for child in node.children:
                if child.type == "statement_block":
                    self._walk_scope(child, known, log, record)
            return
        if kind == "script_parameter" or kind == "param_block":
            for variable in self._find(node, "variable"):
                if variable.parent is not None and variable.parent.type == "script_parameter":
                    known.add(var_name(variable, self.source) or "")
            for default in self._find(node, "script_parameter_default"):
                self._walk_scope(default, known, log, record)
            return
        if kind == "script_block_expression":
            self._walk_scope_children(node, set(known), log, record)
            return
        if kind == "variable":
            name = var_name(node, self.source)
            if name is not None and name not in known:
                self.report(node, f"${name} is read before it is assigned")
            return
        self._walk_scope_children(node, known, log, record)

    def _walk_scope_children(self, node: tree_sitter.Node, known: set[str], log: list, record: bool) -> None:
        for child in node.children:
            self._walk_scope(child, known, log, record)


def analyze(source: str, key: str) -> list[str]:
    return Analyzer(source, key).run()


def shipped(name: str) -> str:
    return (UTILS / name).read_text(encoding="utf-8")


# --- the shipped scripts ------------------------------------------------------------------------


@pytest.mark.parametrize("key", PLATFORMS)
@pytest.mark.parametrize("script", ["bootstrap.ps1", "runner.ps1"])
def test_shipped_script_is_compatible(script: str, key: str) -> None:
    assert analyze(shipped(script), key) == []


def test_every_declared_variable_type_is_used() -> None:
    """DECLARED must not grow stale: each entry is needed by a member the runner really uses."""
    analyzer = Analyzer(shipped("runner.ps1"), PLATFORMS[0])
    used = set()
    for variable in analyzer._find(analyzer.tree.root_node, "variable"):
        scope = analyzer.scope_of(variable)
        key = (analyzer.scope_name(scope), var_name(variable, analyzer.source))
        if (
            key in DECLARED
            and variable.parent is not None
            and variable.parent.type in ("member_access", "invokation_expression")
        ):
            used.add(key)
    assert used == set(DECLARED)


def test_the_inference_sees_the_bootstrap_streams() -> None:
    analyzer = Analyzer(shipped("bootstrap.ps1"), PLATFORMS[-1])
    variables = [v for v in analyzer._find(analyzer.tree.root_node, "variable") if analyzer.t(v) == "$z"]
    assert analyzer.variable_type(variables[-1], None) == "System.IO.Compression.GZipStream"


# --- seeded mutations ---------------------------------------------------------------------------

ALL = PLATFORMS
BEFORE_5 = ("ws2012_ps3", "ws2012r2_ps4")


@dataclasses.dataclass(frozen=True)
class Mutation:
    """A realistic mistake: ``old`` (exactly once in ``script``) becomes ``new``; ``expect`` must be reported."""

    id: str
    script: str
    old: str
    new: str
    expect: str
    platforms: tuple[str, ...] = ALL


MUTATIONS = (
    Mutation(
        "gzip-mode-as-string",
        "bootstrap.ps1",
        "([IO.Compression.CompressionMode]::Decompress)",
        "'Decompress'",
        "ambiguous overload: 2 constructors of System.IO.Compression.GZipStream",
    ),
    Mutation(
        "gzip-mode-forgotten",
        "bootstrap.ps1",
        ",([IO.Compression.CompressionMode]::Decompress)",
        "",
        "GZipStream has no constructor taking 1 argument",
    ),
    Mutation(
        "enum-member-misspelt",
        "bootstrap.ps1",
        "::Decompress",
        "::Decompres",
        "has no static member Decompres",
    ),
    Mutation(
        "convertfrom-json-ashashtable",
        "bootstrap.ps1",
        "ConvertFrom-Json (New-Object",
        "ConvertFrom-Json -AsHashtable (New-Object",
        "ConvertFrom-Json has no parameter -AsHashtable",
    ),
    Mutation(
        "credential-constructor-arity",
        "runner.ps1",
        "PSCredential($Value.'$credential'.username, $secret)",
        "PSCredential($secret)",
        "PSCredential has no constructor taking 1 argument",
    ),
    Mutation(
        "new-instead-of-new-object",
        "runner.ps1",
        "$items = New-Object System.Collections.ArrayList",
        "$items = [System.Collections.ArrayList]::new()",
        "::new() needs PowerShell 5.0",
        BEFORE_5,
    ),
    Mutation(
        "class-definition",
        "runner.ps1",
        "$response = [ordered]@{",
        "class LhState { }\n$response = [ordered]@{",
        "class definitions need PowerShell 5.0",
        BEFORE_5,
    ),
    Mutation(
        "ternary",
        "runner.ps1",
        "$result.error = $failures[0]",
        "$result.error = $true ? $failures[0] : $null",
        "ternary or null-coalescing operator",
    ),
    Mutation(
        "null-coalescing",
        "runner.ps1",
        "if ($null -ne $current) { $now = $current[$property.Name] }",
        "$now = $current ?? $null",
        "ternary or null-coalescing operator",
    ),
    Mutation(
        "pipeline-chain",
        "runner.ps1",
        "$module = Get-Module -Name $Online.module | Select-Object -First 1",
        "$module = Get-Module -Name $Online.module | Select-Object -First 1 && Write-Output $module",
        "pipeline chain operator",
    ),
    Mutation(
        "foreach-parallel",
        "runner.ps1",
        "ForEach-Object { $_.module }",
        "ForEach-Object -Parallel { $_.module }",
        "ForEach-Object has no parameter -Parallel",
    ),
    Mutation(
        "parameter-misspelt",
        "runner.ps1",
        "Get-Module -ListAvailable -Name $candidate.module",
        "Get-Module -ListAvailble -Name $candidate.module",
        "Get-Module has no parameter -ListAvailble",
    ),
    Mutation(
        "unknown-cmdlet",
        "runner.ps1",
        "Sort-Object -Property Version -Descending",
        "Sort-Objects -Property Version -Descending",
        "command Sort-Objects is not defined",
    ),
    Mutation(
        "undefined-function",
        "runner.ps1",
        "$result.output = Select-LhOutput -Objects",
        "$result.output = Select-LhOutputs -Objects",
        "function Select-LhOutputs is not defined",
    ),
    Mutation(
        "function-parameter-misspelt",
        "runner.ps1",
        "[void]$rows.Add((ConvertTo-LhPlain -Value $object -Depth 1))",
        "[void]$rows.Add((ConvertTo-LhPlain -Value $object -Deep 1))",
        "ConvertTo-LhPlain has no parameter -Deep",
    ),
    Mutation(
        "variable-renamed-at-assignment",
        "runner.ps1",
        "$results = New-Object System.Collections.ArrayList",
        "$resultList = New-Object System.Collections.ArrayList",
        "$results is read before it is assigned",
    ),
    Mutation(
        "static-method-misspelt",
        "runner.ps1",
        "[System.Diagnostics.Stopwatch]::StartNew()",
        "[System.Diagnostics.Stopwatch]::Start()",
        "[System.Diagnostics.Stopwatch] has no static member Start",
    ),
    Mutation(
        "instance-method-misspelt",
        "runner.ps1",
        "$secure.AppendChar($char)",
        "$secure.Append($char)",
        "System.Security.SecureString has no member Append",
    ),
    Mutation(
        "instance-method-arity",
        "runner.ps1",
        "$secure.MakeReadOnly()",
        "$secure.MakeReadOnly($true)",
        "System.Security.SecureString.MakeReadOnly takes no 1 argument(s)",
    ),
    Mutation(
        "member-on-inferred-chain",
        "runner.ps1",
        "$clock.Elapsed.TotalSeconds",
        "$clock.Elapsed.TotalSecond",
        "System.TimeSpan has no member TotalSecond",
    ),
    Mutation(
        "member-under-is-guard",
        "runner.ps1",
        "return $Value.ToUniversalTime().ToString('o')",
        "return $Value.ToUniversal().ToString('o')",
        "System.DateTime has no member ToUniversal",
    ),
    Mutation(
        "unknown-type",
        "runner.ps1",
        "$Value -is [System.Security.SecureString]",
        "$Value -is [System.Security.SecureStrings]",
        "type [System.Security.SecureStrings] is unknown",
    ),
)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_seeded_mutation_is_caught(mutation: Mutation) -> None:
    original = shipped(mutation.script)
    assert original.count(mutation.old) == 1, f"{mutation.id}: the seed no longer matches {mutation.script}"
    mutated = original.replace(mutation.old, mutation.new)
    for key in PLATFORMS:
        findings = analyze(mutated, key)
        caught = any(mutation.expect in finding for finding in findings)
        assert caught == (key in mutation.platforms), (key, mutation.expect, findings)
