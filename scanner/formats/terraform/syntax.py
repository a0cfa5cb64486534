"""HCL syntax: tree-sitter-hcl's concrete tree turned into a small, picklable expression AST."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from ...model import Diagnostic


class Expr:
    """Base of every expression node; ``line`` is 1-based."""

    __slots__ = ("line",)
    line: int


class Lit(Expr):
    __slots__ = ("value",)

    def __init__(self, value: Any, line: int) -> None:
        self.value, self.line = value, line


class Template(Expr):
    """A string template: literal parts and interpolated expressions."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Union[str, Expr]], line: int) -> None:
        self.parts, self.line = parts, line


class Opaque(Expr):
    """Something we keep but never evaluate (template directives, syntax we do not model)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str, line: int) -> None:
        self.reason, self.line = reason, line


# A traversal step: ("attr", name) | ("index", Expr) | ("splat", None)
Step = tuple[str, Any]


class Traversal(Expr):
    """``root.step.step[...]``: a variable, local, resource or other named value."""

    __slots__ = ("root", "steps")

    def __init__(self, root: str, steps: tuple[Step, ...], line: int) -> None:
        self.root, self.steps, self.line = root, steps, line


class Postfix(Expr):
    """Attribute access, index or splat applied to a non-variable expression."""

    __slots__ = ("base", "steps")

    def __init__(self, base: Expr, steps: tuple[Step, ...], line: int) -> None:
        self.base, self.steps, self.line = base, steps, line


class Call(Expr):
    __slots__ = ("name", "args", "expand")

    def __init__(self, name: str, args: list[Expr], expand: bool, line: int) -> None:
        self.name, self.args, self.expand, self.line = name, args, expand, line


class TupleE(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[Expr], line: int) -> None:
        self.items, self.line = items, line


class ObjectE(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Expr, Expr]], line: int) -> None:
        self.items, self.line = items, line


class Cond(Expr):
    __slots__ = ("pred", "then", "other")

    def __init__(self, pred: Expr, then: Expr, other: Expr, line: int) -> None:
        self.pred, self.then, self.other, self.line = pred, then, other, line


class BinOp(Expr):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expr, right: Expr, line: int) -> None:
        self.op, self.left, self.right, self.line = op, left, right, line


class UnOp(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Expr, line: int) -> None:
        self.op, self.operand, self.line = op, operand, line


class ForE(Expr):
    """``[for k, v in coll : val if cond]`` or ``{for k, v in coll : key => val... if cond}``."""

    __slots__ = ("key_var", "value_var", "collection", "key", "value", "cond", "group")

    def __init__(self, key_var: Optional[str], value_var: str, collection: Expr,
                 key: Optional[Expr], value: Expr, cond: Optional[Expr], group: bool,
                 line: int) -> None:
        self.key_var, self.value_var, self.collection = key_var, value_var, collection
        self.key, self.value, self.cond, self.group, self.line = key, value, cond, group, line


@dataclass
class Attribute:
    name: str
    expr: Expr
    line: int
    end_line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    attributes: dict[str, Attribute]
    blocks: list["Block"]
    start_line: int
    end_line: int


@dataclass
class HclFile:
    """One parsed ``.tf`` file: its top-level blocks and any syntax problems."""

    path: str
    blocks: list[Block] = field(default_factory=list)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


_PARSER: Any = None
BINARY_OPS = frozenset({"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"})
MAX_DEPTH = 64  # nesting levels; each costs several Python frames while converting and evaluating


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_hcl

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return _PARSER


def parse_hcl(source: bytes, path: str) -> HclFile:
    """Parse HCL bytes; syntax errors become diagnostics and the valid blocks are kept.

    tree-sitter gets a time budget that grows with the file (:func:`parse_budget`):
    its error recovery on some garbled input is very slow (a 5 MB file of
    random HCL punctuation took 19 s). Past the budget the file is skipped
    with an ``hcl-timeout`` diagnostic.
    """
    result = HclFile(path)
    tree, finished = _parse_within(source, parse_budget(len(source)))
    if not finished:
        result.diagnostics.append(Diagnostic(
            "hcl-timeout", f"parsing took longer than {parse_budget(len(source)):.0f} s "
            "(garbled or pathological input?); file skipped", path, 1))
        return result
    root = tree.root_node
    body = next((c for c in root.named_children if c.type == "body"), None)
    if root.has_error:
        bad = _first_error(root)
        line = bad.start_point[0] + 1 if bad is not None else 1
        result.diagnostics.append(Diagnostic(
            "hcl-syntax", "HCL syntax error; blocks containing it were skipped", path, line))
    if body is None:
        return result
    conv = _Converter(source)
    for child in body.named_children:
        if child.has_error or child.type not in ("block", "attribute"):
            continue
        try:
            if child.type == "attribute":
                attr = conv.attribute(child, 0)
                result.attributes[attr.name] = attr
            else:
                result.blocks.append(conv.block(child, 0))
        except (_TooDeep, RecursionError):
            result.diagnostics.append(Diagnostic(
                "hcl-too-deep", f"expression nesting deeper than {MAX_DEPTH}; block skipped",
                path, child.start_point[0] + 1))
    return result


# Valid HCL parses at several MB/s; the budget leaves a wide margin for a slow or busy machine.
PARSE_BUDGET_BASE = 2.0      # seconds for any file
PARSE_BUDGET_PER_MB = 1.0    # and this much more per MB (a 5 MB file: 7 s)
_READ_CHUNK = 65536


def parse_budget(size: int) -> float:
    """Seconds tree-sitter may spend on ``size`` bytes."""
    return PARSE_BUDGET_BASE + PARSE_BUDGET_PER_MB * size / 1_000_000


def _parse_within(source: bytes, seconds: float) -> tuple[Any, bool]:
    """The tree, and False when reading stopped because ``seconds`` had passed.

    tree-sitter reads its input through the callback as it parses, so ending
    the input there is how a parse is cut short (py-tree-sitter 0.26 has no
    timeout of its own).
    """
    deadline = time.perf_counter() + seconds
    cut = False

    def read(offset: int, _point: Any) -> bytes:
        nonlocal cut
        if offset < len(source) and time.perf_counter() > deadline:
            cut = True
            return b""
        return source[offset:offset + _READ_CHUNK]

    return _parser().parse(read), not cut


def _first_error(node: Any) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n
        stack.extend(reversed([c for c in n.children if c.has_error or c.is_missing or c.type == "ERROR"]))
    return None


class _TooDeep(Exception):
    pass


class _Converter:
    """Walks tree-sitter nodes into the AST above; node text is sliced from ``source``.

    Not ``node.text``: for a tree parsed through a read callback (the time
    budget in :func:`_parse_within`) py-tree-sitter 0.26 does not hold the
    source, and ``node.text`` read out of bounds (a crash on deep nesting).
    """

    def __init__(self, source: bytes) -> None:
        self.source = source

    def _text(self, node: Any) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def _literal_text(self, string_lit: Any) -> str:
        """A quoted string's literal text without its quotes (tree-sitter-hcl leaves out the blanks at either end)."""
        return "".join(self._text(c) for c in string_lit.named_children if c.type == "template_literal")

    def block(self, node: Any, depth: int) -> Block:
        kids = node.named_children
        btype = self._text(kids[0])
        labels: list[str] = []
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in kids[1:]:
            if child.type == "string_lit":
                labels.append(self._literal_text(child))  # escapes kept, as written
            elif child.type == "identifier":
                labels.append(self._text(child))
            elif child.type == "body":
                for item in child.named_children:
                    if item.type == "attribute":
                        attr = self.attribute(item, depth)
                        attributes[attr.name] = attr
                    elif item.type == "block":
                        blocks.append(self.block(item, depth + 1))
        return Block(btype, labels, attributes, blocks, node.start_point[0] + 1, node.end_point[0] + 1)

    def attribute(self, node: Any, depth: int) -> Attribute:
        name_node, expr_node = node.named_children[0], node.named_children[-1]
        return Attribute(self._text(name_node), self.expr(expr_node, depth + 1),
                         node.start_point[0] + 1, node.end_point[0] + 1)

    def expr(self, node: Any, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise _TooDeep()
        t = node.type
        if t == "expression":
            return self.term(node.named_children, node, depth)
        return self.term([node], node, depth)

    def term(self, parts: list[Any], node: Any, depth: int) -> Expr:
        """A primary expression followed by get_attr / index / splat postfixes."""
        line = node.start_point[0] + 1
        if not parts:
            return Opaque("empty expression", line)
        primary, rest = parts[0], parts[1:]
        if primary.type == "variable_expr":
            steps = self.steps(rest, depth)
            return Traversal(self._text(primary.named_children[0]), steps, line)
        base = self.primary(primary, depth)
        if rest:
            return Postfix(base, self.steps(rest, depth), line)
        return base

    def steps(self, nodes: list[Any], depth: int) -> tuple[Step, ...]:
        out: list[Step] = []
        for n in nodes:
            if n.type == "get_attr":
                out.append(("attr", self._text(n.named_children[-1])))
            elif n.type == "index":
                inner = n.named_children[0]
                if inner.type == "legacy_index":
                    out.append(("index", Lit(int(self._text(inner).lstrip(".")), inner.start_point[0] + 1)))
                else:
                    out.append(("index", self.expr(inner.named_children[0], depth + 1)))
            elif n.type == "splat":
                out.append(("splat", None))
                for sub in n.named_children[0].named_children:
                    out.extend(self.steps([sub], depth))
        return tuple(out)

    def primary(self, node: Any, depth: int) -> Expr:
        t = node.type
        line = node.start_point[0] + 1
        if t == "literal_value":
            return self.literal(node.named_children[0], line)
        if t in ("template_expr",):
            return self.template(node.named_children[0], depth)
        if t in ("quoted_template", "heredoc_template", "string_lit"):
            return self.template(node, depth)
        if t == "collection_value":
            return self.collection(node.named_children[0], depth)
        if t == "function_call":
            kids = node.named_children
            name = self._text(kids[0])
            args: list[Expr] = []
            expand = False
            for k in kids[1:]:
                if k.type == "function_arguments":
                    for a in k.named_children:
                        if a.type == "expression":
                            args.append(self.expr(a, depth + 1))
                        elif a.type == "ellipsis":
                            expand = True
            return Call(name, args, expand, line)
        if t == "conditional":
            e = [c for c in node.named_children if c.type == "expression"]
            return Cond(self.expr(e[0], depth + 1), self.expr(e[1], depth + 1),
                        self.expr(e[2], depth + 1), line)
        if t == "operation":
            return self.operation(node.named_children[0], depth)
        if t in ("unary_operation", "binary_operation"):
            return self.operation(node, depth)
        if t == "for_expr":
            return self.for_expr(node.named_children[0], depth)
        if t == "expression":
            return self.expr(node, depth + 1)
        return Opaque(f"unsupported syntax {t}", line)

    def literal(self, node: Any, line: int) -> Expr:
        t = node.type
        if t == "numeric_lit":
            raw = self._text(node)
            try:
                return Lit(int(raw), line)
            except ValueError:
                return Lit(float(raw), line)
        if t == "bool_lit":
            return Lit(self._text(node) == "true", line)
        if t == "null_lit":
            return Lit(None, line)
        if t == "string_lit":
            return Lit(_string_value(self._literal_text(node)), line)
        return Opaque(f"unsupported literal {t}", line)

    def template(self, node: Any, depth: int) -> Expr:
        line = node.start_point[0] + 1
        parts: list[Union[str, Expr]] = []
        heredoc = node.type == "heredoc_template"
        strip = heredoc and b"<<-" in self.source[node.start_byte:node.start_byte + 4]
        only_text = True
        for child in node.named_children:
            t = child.type
            if t == "template_literal":
                literal = self._text(child)
                parts.append(literal.replace("$${", "${").replace("%%{", "%{") if heredoc
                             else _string_value(literal))
            elif t == "template_interpolation":
                inner = [c for c in child.named_children if c.type == "expression"]
                if inner:
                    parts.append(self.expr(inner[0], depth + 1))
                    only_text = False
            elif t == "template_directive":
                parts.append(Opaque("template directive", child.start_point[0] + 1))
                only_text = False
        if heredoc:
            parts = _heredoc_parts(node, parts, strip)
        if len(parts) == 1 and not only_text:
            return parts[0]  # type: ignore[return-value]
        if only_text:
            return Lit("".join(parts), line)  # type: ignore[arg-type]
        return Template(parts, line)

    def collection(self, node: Any, depth: int) -> Expr:
        line = node.start_point[0] + 1
        if node.type == "tuple":
            return TupleE([self.expr(c, depth + 1) for c in node.named_children
                           if c.type == "expression"], line)
        items: list[tuple[Expr, Expr]] = []
        for elem in node.named_children:
            if elem.type != "object_elem":
                continue
            key_node, value_node = elem.named_children[0], elem.named_children[-1]
            key = self.expr(key_node, depth + 1)
            if isinstance(key, Traversal) and not key.steps:
                key = Lit(key.root, key.line)
            items.append((key, self.expr(value_node, depth + 1)))
        return ObjectE(items, line)

    def operation(self, node: Any, depth: int) -> Expr:
        line = node.start_point[0] + 1
        kids = node.children
        if node.type == "unary_operation":
            op = self._text(kids[0])
            return UnOp(op, self.operand(kids[1:], node, depth), line)
        for i, k in enumerate(kids):
            if not k.is_named and k.type in BINARY_OPS and i > 0:
                return BinOp(k.type, self.operand(kids[:i], node, depth),
                             self.operand(kids[i + 1:], node, depth), line)
        return Opaque("unparsed operation", line)

    def operand(self, kids: list[Any], node: Any, depth: int) -> Expr:
        named = [k for k in kids if k.is_named]
        if kids and kids[0].type == "(":
            inner = self.expr(named[0], depth + 1)
            return Postfix(inner, self.steps(named[1:], depth), inner.line) if len(named) > 1 else inner
        if len(named) == 1 and named[0].type in ("operation", "unary_operation", "binary_operation"):
            return self.primary(named[0], depth + 1)
        return self.term(named, named[0] if named else node, depth + 1)

    def for_expr(self, node: Any, depth: int) -> Expr:
        line = node.start_point[0] + 1
        intro = next(c for c in node.named_children if c.type == "for_intro")
        idents = [self._text(c) for c in intro.named_children if c.type == "identifier"]
        coll = self.expr(next(c for c in intro.named_children if c.type == "expression"), depth + 1)
        key_var, value_var = (idents[0], idents[1]) if len(idents) > 1 else (None, idents[0])
        exprs = [c for c in node.named_children if c.type == "expression"]
        cond_node = next((c for c in node.named_children if c.type == "for_cond"), None)
        cond = None
        if cond_node is not None:
            cond = self.expr(next(c for c in cond_node.named_children if c.type == "expression"),
                             depth + 1)
        group = any(c.type == "ellipsis" for c in node.named_children)
        if node.type == "for_object_expr":
            return ForE(key_var, value_var, coll, self.expr(exprs[0], depth + 1),
                        self.expr(exprs[1], depth + 1), cond, group, line)
        return ForE(key_var, value_var, coll, None, self.expr(exprs[0], depth + 1), cond, False, line)


def _heredoc_parts(node: Any, parts: list[Union[str, Expr]], strip: bool) -> list[Union[str, Expr]]:
    """Heredoc literals lose their final newline's indentation handling in the CST; fix it."""
    if not strip:
        return parts
    text = "".join(p for p in parts if isinstance(p, str))
    lines = [ln for ln in text.split("\n") if ln.strip()]
    indent = min((len(ln) - len(ln.lstrip(" \t")) for ln in lines), default=0)
    return [("\n".join(ln[indent:] for ln in p.split("\n")) if isinstance(p, str) else p)
            for p in parts]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _string_value(literal: str) -> str:
    """The value of a quoted string's literal text: escapes and ``$${`` / ``%%{`` resolved."""
    return _unescape(literal).replace("$${", "${").replace("%%{", "%{")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
        out.append(ch)
        i += 1
    return "".join(out)
