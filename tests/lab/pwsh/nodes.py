"""The syntax tree the interpreter walks: one small class per construct of the supported subset.

tree-sitter-powershell's concrete tree has a node per precedence level (logical, bitwise,
comparison, ... unary), most of them with a single child. syntax.py folds that chain away once
per script text, so the interpreter only sees the constructs below, each with its source line
for error messages. Section numbers refer to the Windows PowerShell Language Specification 3.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    line: int


# --- scripts, parameters, statements (chapter 8) ------------------------------------------------


@dataclass(slots=True)
class ParamDecl(Node):
    """One entry of ``param()`` (§8.10.9): an optional ``[int]``/``[string]`` constraint and default."""

    name: str
    type_name: str | None = None
    default: Any = None
    mandatory: bool = False


@dataclass(slots=True)
class Script(Node):
    """A script block body (§7.1.8): the script text, a function body or ``{ ... }``."""

    params: list[ParamDecl] | None
    body: list[Any]
    advanced: bool = False  # a [Parameter()] attribute makes it an advanced script (§12.3.7)
    text: str = ""


@dataclass(slots=True)
class FunctionDef(Node):
    """``function Name { ... }`` (§8.10)."""

    name: str
    script: Script


@dataclass(slots=True)
class Pipeline(Node):
    """``expr | cmd | cmd`` or ``cmd | cmd`` (§8.2); ``elements[0]`` may be an expression."""

    elements: list[Any]


@dataclass(slots=True)
class Assign(Node):
    """``target = statement`` and multiple assignment ``$a, $b = ...`` (§7.11.1)."""

    targets: list[Any]
    value: Any


@dataclass(slots=True)
class If(Node):
    """``if / elseif / else`` (§8.3)."""

    clauses: list[tuple[Any, list[Any]]]
    otherwise: list[Any] | None


@dataclass(slots=True)
class Foreach(Node):
    """``foreach ($v in pipeline) { ... }`` (§8.4.4)."""

    variable: str
    source: Any
    body: list[Any]


@dataclass(slots=True)
class Try(Node):
    """``try { } catch { } finally { }`` with untyped catch clauses only (§8.7)."""

    body: list[Any]
    catch: list[Any] | None
    final: list[Any] | None


@dataclass(slots=True)
class Flow(Node):
    """``return`` / ``continue`` / ``break`` / ``throw`` with an optional pipeline (§8.5)."""

    kind: str
    value: Any = None


# --- commands (§8.2, §8.14) ---------------------------------------------------------------------


@dataclass(slots=True)
class Command(Node):
    """A command: a bare name, or ``& <expression>`` (§7.1.3 / §8.2)."""

    name: str | None
    name_expr: Any
    elements: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class CmdParam(Node):
    """``-Name`` (or ``-Name:value``)."""

    name: str
    argument: Any = None


@dataclass(slots=True)
class CmdArg(Node):
    expr: Any


@dataclass(slots=True)
class Splat(Node):
    """``@name``: the hashtable's entries become named arguments (§8.14 splatting)."""

    variable: str


# --- expressions (chapter 7) --------------------------------------------------------------------


@dataclass(slots=True)
class Const(Node):
    value: Any


@dataclass(slots=True)
class Expand(Node):
    """A double-quoted string with ``$var`` and ``$(...)`` parts (§2.3.5.2)."""

    parts: list[Any]


@dataclass(slots=True)
class Var(Node):
    """``$name`` / ``$global:name`` / ``$script:name`` / ``$local:name`` (§3.5, §2.3.2)."""

    name: str
    scope: str | None = None


@dataclass(slots=True)
class Member(Node):
    """``target.name`` / ``[type]::name`` (§7.1.2); ``name`` may itself be an expression."""

    target: Any
    name: Any
    static: bool = False


@dataclass(slots=True)
class Call(Node):
    """``target.name(args)`` / ``[type]::name(args)`` (§7.1.3)."""

    target: Any
    name: str
    args: list[Any]
    static: bool = False


@dataclass(slots=True)
class Index(Node):
    """``target[index]`` (§7.1.4)."""

    target: Any
    index: Any


@dataclass(slots=True)
class Unary(Node):
    """``-not``, ``!``, ``-`` and the unary comma (§7.2)."""

    op: str
    operand: Any


@dataclass(slots=True)
class Cast(Node):
    """``[type]operand`` (§7.2.9)."""

    type_name: str
    operand: Any


@dataclass(slots=True)
class Binary(Node):
    op: str
    left: Any
    right: Any


@dataclass(slots=True)
class ArrayLiteral(Node):
    """The binary comma operator (§7.3)."""

    items: list[Any]


@dataclass(slots=True)
class SubExpr(Node):
    """``$( statements )`` (§7.1.6)."""

    body: list[Any]


@dataclass(slots=True)
class ArrayExpr(Node):
    """``@( statements )`` (§7.1.7)."""

    body: list[Any]


@dataclass(slots=True)
class Paren(Node):
    """``( pipeline )`` (§7.1.1)."""

    statement: Any


@dataclass(slots=True)
class HashLiteral(Node):
    """``@{ key = value; ... }`` (§7.1.9)."""

    entries: list[tuple[Any, Any]]


@dataclass(slots=True)
class ScriptBlockLiteral(Node):
    """``{ ... }`` as a value (§7.1.8)."""

    script: Script


@dataclass(slots=True)
class TypeLiteral(Node):
    """``[type]`` (§7.1.10)."""

    type_name: str
