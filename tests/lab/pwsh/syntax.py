"""Parse PowerShell with tree-sitter-powershell and fold the tree into nodes.py, refusing the rest.

The conversion happens once per script text (``parse`` is cached): the lab parses the
bootstrap once and the runner once, then walks the folded tree for every command. Every
construct the converter does not know, from a ``while`` loop to a redirection, a here-string or
a ``[ValidateSet()]`` attribute, raises ``Unsupported`` naming the construct and its line, at
parse time, so the runner cannot grow a construct the lab does not interpret even on a code path
no test reaches.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import tree_sitter
import tree_sitter_powershell

from . import nodes as n

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


class Unsupported(Exception):
    """A construct outside the subset the lab interprets (the lab cannot say what Windows would do)."""

    def __init__(self, construct: str, line: int) -> None:
        super().__init__(f"line {line}: {construct} is outside the PowerShell subset the lab interprets")
        self.construct = construct
        self.line = line


class ParseError(Exception):
    """The text does not parse (PowerShell would refuse to run it at all)."""


# Precedence levels (§7): one tree-sitter node per level, a single child when no operator is used.
_CHAINS = {
    "logical_expression",
    "logical_argument_expression",
    "bitwise_expression",
    "bitwise_argument_expression",
    "comparison_expression",
    "comparison_argument_expression",
    "additive_expression",
    "additive_argument_expression",
    "multiplicative_expression",
    "multiplicative_argument_expression",
    "format_expression",
    "format_argument_expression",
    "range_expression",
    "range_argument_expression",
    "unary_expression",
    "argument_expression",
}
_EQUALITY = ("eq", "ne", "gt", "ge", "lt", "le", "contains", "notcontains", "in", "notin", "match", "notmatch")
_EQUALITY += ("like", "notlike")
# The binary operators the interpreter implements (§7.5-§7.10); any other operator is refused.
BINARY_OPERATORS = frozenset(
    {f"-{case}{op}" for case in ("", "i", "c") for op in _EQUALITY}
    | {"-is", "-isnot", "-join", "-f", "-and", "-or", "-band", "-bor", "+", "-", "*", "/", "%"}
)
_UNARY = {",", "-not", "!", "-"}
_SCOPES = {"global", "script", "local"}
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


@functools.lru_cache(maxsize=16)
def parse(text: str) -> n.Script:
    """The folded tree of a whole script (cached: the runner text is the same on every command)."""
    tree = _PARSER.parse(text.encode("utf-8"))
    broken = _first_error(tree.root_node)
    if broken is not None:
        raise ParseError(f"line {broken.start_point[0] + 1}: the script does not parse near {_text(broken)[:40]!r}")
    return _Converter(text).script(tree.root_node)


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current
        if current.has_error:
            stack.extend(current.children)
    return None


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8") if node.text is not None else ""


def _line(node: tree_sitter.Node) -> int:
    return node.start_point[0] + 1


def _named(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [child for child in node.named_children if child.type != "comment"]


class _Converter:
    """One pass over the concrete tree; methods are named after the grammar's node types."""

    def __init__(self, text: str) -> None:
        self.text = text

    def refuse(self, node: tree_sitter.Node, what: str | None = None) -> Unsupported:
        return Unsupported(what or f"'{node.type}' ({_text(node)[:40]!r})", _line(node))

    # --- scripts and statements ----------------------------------------------------------------

    def script(self, node: tree_sitter.Node) -> n.Script:
        """program, script_block or a script_block_expression's inside."""
        params: list[n.ParamDecl] | None = None
        advanced = False
        body: list[Any] = []
        for child in _named(node):
            if child.type == "param_block":
                params, advanced = self.param_block(child)
            elif child.type == "script_block":
                inner = self.script(child)
                params = inner.params if inner.params is not None else params
                advanced = advanced or inner.advanced
                body.extend(inner.body)
            elif child.type == "script_block_body":
                for part in _named(child):
                    if part.type != "statement_list":
                        raise self.refuse(part, "named blocks (begin/process/end)")
                    body.extend(self.statements(part))
            elif child.type == "statement_list":
                body.extend(self.statements(child))
            else:
                raise self.refuse(child)
        return n.Script(_line(node), params, body, advanced, _text(node))

    def param_block(self, node: tree_sitter.Node) -> tuple[list[n.ParamDecl], bool]:
        params: list[n.ParamDecl] = []
        advanced = False
        for child in _named(node):
            if child.type == "attribute_list":
                raise self.refuse(child, "script attributes ([CmdletBinding()] and others)")
            if child.type != "parameter_list":
                raise self.refuse(child)
            for item in _named(child):
                decl, is_advanced = self.script_parameter(item)
                params.append(decl)
                advanced = advanced or is_advanced
        return params, advanced

    def script_parameter(self, node: tree_sitter.Node) -> tuple[n.ParamDecl, bool]:
        decl = n.ParamDecl(_line(node), "")
        advanced = False
        for child in _named(node):
            if child.type == "variable":
                decl.name = _text(child)[1:]
            elif child.type == "script_parameter_default":
                decl.default = self.expression(_named(child)[0])
            elif child.type == "attribute_list":
                for attribute in _named(child):
                    kind = _named(attribute)[0]
                    if kind.type == "type_literal":
                        type_name = self.type_name(kind)
                        if type_name.lower() not in ("int", "string"):
                            raise self.refuse(kind, f"parameter type [{type_name}] (only [int] and [string])")
                        decl.type_name = type_name.lower()
                    else:
                        decl.mandatory = self.parameter_attribute(attribute)
                        advanced = True
            else:
                raise self.refuse(child)
        return decl, advanced

    def parameter_attribute(self, node: tree_sitter.Node) -> bool:
        """``[Parameter(Mandatory = $true)]`` (§12.3.7); any other attribute or argument is refused."""
        parts = _named(node)
        if _text(parts[0]).lower() != "parameter":
            raise self.refuse(node, f"attribute [{_text(parts[0])}]")
        mandatory = False
        for arguments in parts[1:]:
            for argument in _named(arguments):
                name, value = _named(argument)[0], _named(argument)[-1]
                if _text(name).lower() != "mandatory" or _text(value).lower() not in ("$true", "$false"):
                    raise self.refuse(argument, f"Parameter attribute argument {_text(argument)!r}")
                mandatory = _text(value).lower() == "$true"
        return mandatory

    def statements(self, node: tree_sitter.Node) -> list[Any]:
        out = []
        for child in _named(node):
            if child.type == "empty_statement":
                continue
            out.append(self.statement(child))
        return out

    def block(self, node: tree_sitter.Node) -> list[Any]:
        """statement_block: ``{ statement_list }``."""
        body: list[Any] = []
        for child in _named(node):
            body.extend(self.statements(child))
        return body

    def statement(self, node: tree_sitter.Node) -> Any:
        handler = getattr(self, "stmt_" + node.type, None)
        if handler is None:
            raise self.refuse(node, f"the statement '{node.type}'")
        return handler(node)

    def stmt_pipeline(self, node: tree_sitter.Node) -> Any:
        parts = _named(node)
        if len(parts) == 1 and parts[0].type == "assignment_expression":
            return self.assignment(parts[0])
        if len(parts) != 1 or parts[0].type != "pipeline_chain":
            raise self.refuse(node, "pipeline chains (&&, ||) and redirections")
        chain = parts[0]
        elements = []
        for child in _named(chain):
            if child.type == "command":
                elements.append(self.command(child))
            elif child.type == "redirection" or child.type.endswith("redirection"):
                raise self.refuse(child, "redirection")
            else:
                if elements:
                    raise self.refuse(child, "an expression after '|'")
                elements.append(self.expression(child))
        return n.Pipeline(_line(node), elements)

    def assignment(self, node: tree_sitter.Node) -> n.Assign:
        left, operator, value = _named(node)
        if _text(operator) != "=":
            raise self.refuse(operator, f"the assignment operator {_text(operator)}")
        target = self.expression(_named(left)[0])
        targets = target.items if isinstance(target, n.ArrayLiteral) else [target]
        for item in targets:
            # A static member is assignable only as the one target ([Net.ServicePointManager]::SecurityProtocol = ...).
            static = isinstance(item, n.Member) and item.static and len(targets) > 1
            if not isinstance(item, n.Var | n.Member | n.Index) or static:
                raise self.refuse(left, f"assignment to {_text(left)!r}")
        return n.Assign(_line(node), targets, self.statement(value))

    def stmt_function_statement(self, node: tree_sitter.Node) -> n.FunctionDef:
        for child in _named(node):
            if child.type not in ("function_name", "script_block"):
                raise self.refuse(child, "function parameters outside a param() block")
        name = next(child for child in _named(node) if child.type == "function_name")
        if _text(node).split(None, 1)[0].lower() != "function":
            raise self.refuse(node, "filters and workflows")
        body = next((child for child in _named(node) if child.type == "script_block"), None)
        script = self.script(body) if body is not None else n.Script(_line(node), None, [])
        return n.FunctionDef(_line(node), _text(name), script)

    def stmt_if_statement(self, node: tree_sitter.Node) -> n.If:
        parts = _named(node)
        clauses = [(self.statement(parts[0]), self.block(parts[1]))]
        otherwise = None
        for child in parts[2:]:
            if child.type == "elseif_clauses":
                for clause in _named(child):
                    condition, block = _named(clause)
                    clauses.append((self.statement(condition), self.block(block)))
            elif child.type == "else_clause":
                otherwise = self.block(_named(child)[0])
            else:
                raise self.refuse(child)
        return n.If(_line(node), clauses, otherwise)

    def stmt_foreach_statement(self, node: tree_sitter.Node) -> n.Foreach:
        parts = _named(node)
        if len(parts) != 3 or parts[0].type != "variable":
            raise self.refuse(node, "foreach with -parallel or a label")
        return n.Foreach(_line(node), _text(parts[0])[1:], self.statement(parts[1]), self.block(parts[2]))

    def stmt_try_statement(self, node: tree_sitter.Node) -> n.Try:
        parts = _named(node)
        result = n.Try(_line(node), self.block(parts[0]), None, None)
        for child in parts[1:]:
            if child.type == "catch_clauses":
                clauses = _named(child)
                if len(clauses) != 1 or len(_named(clauses[0])) != 1:
                    raise self.refuse(child, "typed or multiple catch clauses")
                result.catch = self.block(_named(clauses[0])[0])
            elif child.type == "finally_clause":
                result.final = self.block(_named(child)[0])
            else:
                raise self.refuse(child)
        return result

    def stmt_flow_control_statement(self, node: tree_sitter.Node) -> n.Flow:
        kind = _text(node.children[0]).lower()
        if kind not in ("return", "throw", "continue", "break"):
            raise self.refuse(node, f"the statement '{kind}'")
        parts = _named(node)
        if parts and kind in ("continue", "break"):
            raise self.refuse(node, f"labelled {kind}")
        return n.Flow(_line(node), kind, self.statement(parts[0]) if parts else None)

    # --- commands ------------------------------------------------------------------------------

    def command(self, node: tree_sitter.Node) -> n.Command:
        parts = _named(node)
        call_operator = None
        if parts and parts[0].type == "command_invokation_operator":
            call_operator = _text(parts[0])
            parts = parts[1:]
            if call_operator != "&":
                raise self.refuse(node, "dot-sourcing")
        head, rest = parts[0], parts[1:]
        if head.type == "command_name":
            command = n.Command(_line(node), _text(head), None)
        elif head.type == "command_name_expr" and call_operator:
            command = n.Command(_line(node), None, self.command_name_expr(head))
        else:
            raise self.refuse(head, "this kind of command name")
        for child in rest:
            if child.type != "command_elements":
                raise self.refuse(child, "redirection" if "redirect" in child.type else None)
            command.elements = self.command_elements(child)
        return command

    def command_name_expr(self, node: tree_sitter.Node) -> Any:
        (inner,) = _named(node)
        if inner.type != "path_command_name":
            return self.expression(inner)
        pieces = _named(inner)
        if not pieces or pieces[0].type != "variable":
            raise self.refuse(inner, "a command path")
        target = self.expression(pieces[0])
        for token in pieces[1:]:
            names = _text(token)
            if token.type != "path_command_name_token" or not re.fullmatch(r"(\.[A-Za-z_]\w*)+", names):
                raise self.refuse(token, "a command path")
            for name in names.split(".")[1:]:
                target = n.Member(_line(token), target, name)
        return target

    def command_elements(self, node: tree_sitter.Node) -> list[Any]:
        elements: list[Any] = []
        previous: tree_sitter.Node | None = None
        for child in node.named_children:
            kind = child.type
            if kind in ("command_argument_sep", "comment"):
                previous = None
                continue
            adjacent = previous is not None and previous.end_byte == child.start_byte
            if kind == "command_parameter":
                name = _text(child)[1:]
                if name.endswith(":"):
                    raise self.refuse(child, "-Name:value parameter syntax")
                elements.append(n.CmdParam(_line(child), name))
            elif kind == "argument_list":
                args = self.arguments(child)
                last = elements[-1] if elements else None
                if adjacent and isinstance(last, n.CmdArg) and isinstance(last.expr, n.Member):
                    # `(expr).Method()` in argument mode: tree-sitter splits the call in two (§7.1.3).
                    member = last.expr
                    if not isinstance(member.name, str):
                        raise self.refuse(child, "a method call with a computed name")
                    last.expr = n.Call(member.line, member.target, member.name, args, member.static)
                elif not args:
                    raise self.refuse(child, "an empty argument '()'")
                else:
                    # `New-Object Type(a, b)`: the parenthesis starts a new argument, `(a, b)` (§8.2).
                    value = args[0] if len(args) == 1 else n.ArrayLiteral(_line(child), args)
                    elements.append(n.CmdArg(_line(child), n.Paren(_line(child), value)))
            elif kind == "generic_token":
                text = _text(child)
                if re.search(r"[$`\"'@{}]", text):
                    raise self.refuse(child, f"the bareword argument {text!r}")
                elements.append(n.CmdArg(_line(child), n.Const(_line(child), text)))
            elif re.fullmatch(r"@\w+", _text(child)):
                elements.append(n.Splat(_line(child), _text(child)[1:]))
            elif "redirect" in kind or kind == "stop_parsing":
                raise self.refuse(child, "redirection" if "redirect" in kind else "--%")
            else:
                elements.append(n.CmdArg(_line(child), self.expression(child)))
            previous = child
        return elements

    def arguments(self, node: tree_sitter.Node) -> list[Any]:
        """argument_list: ``( a, b )`` of a method call or ``New-Object``."""
        out = []
        for child in _named(node):
            if child.type != "argument_expression_list":
                raise self.refuse(child)
            out.extend(self.expression(item) for item in _named(child))
        return out

    # --- expressions ---------------------------------------------------------------------------

    def expression(self, node: tree_sitter.Node) -> Any:
        kind = node.type
        if kind in _CHAINS or kind == "array_literal_expression":
            return self.chain(node)
        handler = getattr(self, "expr_" + kind, None)
        if handler is None:
            raise self.refuse(node)
        return handler(node)

    def chain(self, node: tree_sitter.Node) -> Any:
        children = [child for child in node.children if child.type != "comment"]
        if len(children) == 1:
            return self.expression(children[0])
        if node.type == "array_literal_expression":
            return n.ArrayLiteral(_line(node), self.comma_items(node))
        result = self.expression(children[0])
        for index in range(1, len(children), 2):
            operator = _text(children[index]).lower()
            if operator not in BINARY_OPERATORS:
                raise self.refuse(children[index], f"the operator {operator}")
            result = n.Binary(_line(children[index]), operator, result, self.expression(children[index + 1]))
        return result

    def comma_items(self, node: tree_sitter.Node) -> list[Any]:
        """``a, b, c``: the grammar nests the list; the items are one flat array (§7.3)."""
        items: list[Any] = []
        for child in node.children:
            if child.type in (",", "comment"):
                continue
            nested = child.type == "array_literal_expression" and any(c.type == "," for c in child.children)
            items.extend(self.comma_items(child) if nested else [self.expression(child)])
        return items

    def expr_pipeline(self, node: tree_sitter.Node) -> Any:
        return self.stmt_pipeline(node)

    def expr_variable(self, node: tree_sitter.Node) -> n.Var:
        text = _text(node)
        if text.startswith("@") or text.startswith("${"):
            raise self.refuse(node, f"the variable form {text}")
        name = text[1:]
        if ":" in name:
            scope, name = name.split(":", 1)
            if scope.lower() not in _SCOPES:
                raise self.refuse(node, f"the variable drive or scope '{scope}:'")
            return n.Var(_line(node), name, scope.lower())
        if not re.fullmatch(r"\w+|\?|\^|\$", name):
            raise self.refuse(node, f"the variable {text}")
        return n.Var(_line(node), name)

    def expr_integer_literal(self, node: tree_sitter.Node) -> n.Const:
        text = _text(node).lower()
        if re.fullmatch(r"\d+", text):
            return n.Const(_line(node), int(text))
        if re.fullmatch(r"0x[0-9a-f]+", text):
            return n.Const(_line(node), int(text, 16))
        raise self.refuse(node, f"the numeric literal {text} (type suffix or multiplier)")

    def expr_real_literal(self, node: tree_sitter.Node) -> n.Const:
        text = _text(node).lower()
        if not re.fullmatch(r"\d*\.\d+(e[+-]?\d+)?", text):
            raise self.refuse(node, f"the numeric literal {text}")
        return n.Const(_line(node), float(text))

    def expr_string_literal(self, node: tree_sitter.Node) -> Any:
        (inner,) = _named(node) or [node]
        raw = _text(inner)
        if inner.type == "verbatim_string_characters" and raw.startswith("'") and raw.endswith("'"):
            return n.Const(_line(node), raw[1:-1].replace("''", "'"))
        if inner.type == "expandable_string_literal":
            return self.expandable(inner)
        raise self.refuse(node, "here-strings")

    def expandable(self, node: tree_sitter.Node) -> Any:
        """``"text $var $(expr)"`` (§2.3.5.2): literal runs with backtick escapes and embedded parts."""
        base = node.start_byte + 1
        source = node.text or b""
        parts: list[Any] = []
        cursor = 1
        for child in _named(node):
            parts.append(self._literal(source[cursor : child.start_byte - base + 1].decode("utf-8"), node))
            if child.type == "variable":
                parts.append(self.expr_variable(child))
            elif child.type == "sub_expression":
                parts.append(self.expr_sub_expression(child))
            else:
                raise self.refuse(child, "this part of an expandable string")
            cursor = child.end_byte - base + 1
        parts.append(self._literal(source[cursor:-1].decode("utf-8"), node))
        parts = [part for part in parts if part != ""]
        if all(isinstance(part, str) for part in parts):
            return n.Const(_line(node), "".join(parts))
        return n.Expand(_line(node), parts)

    def _literal(self, text: str, node: tree_sitter.Node) -> str:
        out = []
        index = 0
        while index < len(text):
            char = text[index]
            if char == "`" and index + 1 < len(text):
                following = text[index + 1]
                if following == "u":
                    raise self.refuse(node, "the `u{} escape (PowerShell 6)")
                out.append(_ESCAPES.get(following, following))
                index += 2
            elif char == '"' and text[index + 1 : index + 2] == '"':
                out.append('"')
                index += 2
            else:
                out.append(char)
                index += 1
        return "".join(out)

    def expr_member_access(self, node: tree_sitter.Node) -> n.Member:
        children = [child for child in node.children if child.type != "comment"]
        target, operator, name = children[0], _text(children[1]), children[2]
        return n.Member(_line(node), self.expression(target), self.member_name(name), operator == "::")

    def member_name(self, node: tree_sitter.Node) -> Any:
        (inner,) = _named(node)
        if inner.type == "simple_name":
            return _text(inner)
        if inner.type == "string_literal":
            value = self.expr_string_literal(inner)
            if isinstance(value, n.Const):
                return value.value
            return value
        return self.expression(inner)

    def expr_invokation_expression(self, node: tree_sitter.Node) -> n.Call:
        children = [child for child in node.children if child.type != "comment"]
        if len(children) != 4 or children[3].type != "argument_list":
            raise self.refuse(node, "this invocation form")
        name = self.member_name(children[2])
        if not isinstance(name, str):
            raise self.refuse(node, "a method call with a computed name")
        args = self.arguments(children[3])
        return n.Call(_line(node), self.expression(children[0]), name, args, _text(children[1]) == "::")

    def expr_element_access(self, node: tree_sitter.Node) -> n.Index:
        parts = _named(node)
        if len(parts) != 2:
            raise self.refuse(node, "this element access")
        return n.Index(_line(node), self.expression(parts[0]), self.expression(parts[1]))

    def expr_expression_with_unary_operator(self, node: tree_sitter.Node) -> Any:
        children = [child for child in node.children if child.type != "comment"]
        if len(children) == 1 and children[0].type == "cast_expression":
            return self.expr_cast_expression(children[0])
        operator = _text(children[0]).lower()
        if operator not in _UNARY or len(children) != 2:
            raise self.refuse(node, f"the unary operator {operator}")
        return n.Unary(_line(node), operator, self.expression(children[1]))

    def expr_cast_expression(self, node: tree_sitter.Node) -> Any:
        type_node, operand = _named(node)
        return n.Cast(_line(node), self.type_name(type_node), self.expression(operand))

    def type_name(self, node: tree_sitter.Node) -> str:
        text = _text(node)
        if not re.fullmatch(r"\[[A-Za-z_][\w.]*\]", text):
            raise self.refuse(node, f"the type {text} (arrays and generics)")
        return text[1:-1]

    def expr_type_literal(self, node: tree_sitter.Node) -> n.TypeLiteral:
        return n.TypeLiteral(_line(node), self.type_name(node))

    def expr_parenthesized_expression(self, node: tree_sitter.Node) -> n.Paren:
        (inner,) = _named(node)
        return n.Paren(_line(node), self.statement(inner))

    def expr_sub_expression(self, node: tree_sitter.Node) -> n.SubExpr:
        body: list[Any] = []
        for child in _named(node):
            body.extend(self.statements(child))
        return n.SubExpr(_line(node), body)

    def expr_array_expression(self, node: tree_sitter.Node) -> n.ArrayExpr:
        body: list[Any] = []
        for child in _named(node):
            body.extend(self.statements(child))
        return n.ArrayExpr(_line(node), body)

    def expr_hash_literal_expression(self, node: tree_sitter.Node) -> n.HashLiteral:
        entries = []
        for body in _named(node):
            for entry in _named(body):
                key, value = _named(entry)
                key_parts = _named(key)
                if len(key_parts) == 1 and key_parts[0].type == "simple_name":
                    key_expr: Any = n.Const(_line(key), _text(key_parts[0]))
                elif len(key_parts) == 1:
                    key_expr = self.expression(key_parts[0])
                else:
                    key_expr = n.Const(_line(key), _text(key))
                entries.append((key_expr, self.statement(value)))
        return n.HashLiteral(_line(node), entries)

    def expr_script_block_expression(self, node: tree_sitter.Node) -> n.ScriptBlockLiteral:
        script = self.script(node)
        script.text = _text(node)[1:-1]
        return n.ScriptBlockLiteral(_line(node), script)
