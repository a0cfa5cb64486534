"""HCL syntax: tree-sitter-hcl's concrete tree turned into a small, picklable expression AST."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Optional, Union

from ...model import Diagnostic
from .literals import MARK, restore


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


@dataclass(slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int
    end_line: int


@dataclass(slots=True)
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
# Bytes of a label or string that cannot start an escape, a template or a blank: its text as written.
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@+=,*")
MAX_DEPTH = 64  # nesting levels; each costs several Python frames while converting and evaluating


def _parser(fresh: bool = False) -> Any:
    """The shared whole-file parser, or a new one (``fresh``) for parsing ranges."""
    global _PARSER
    if _PARSER is None or fresh:
        import tree_sitter
        import tree_sitter_hcl

        made = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
        if fresh:
            return made
        _PARSER = made
    return _PARSER


def parse_hcl(source: bytes, path: str, chunk: int = 0, at_once: Optional[AtOnce] = None) -> HclFile:
    """Parse HCL bytes; syntax errors become diagnostics and the valid blocks are kept.

    tree-sitter gets a budget of CPU time that grows with the file (:func:`parse_budget`):
    its error recovery on some garbled input is very slow (a 5 MB file of
    random HCL punctuation took 19 s). Past the budget the file is skipped
    with an ``hcl-timeout`` diagnostic. A large file is parsed ``chunk``
    bytes of top-level items at a time (:mod:`.chunks`); long literal text
    is set aside while tree-sitter parses (:mod:`.literals`). Given ``at_once``
    (the parse context's, which runs tasks in parallel processes when it may), a
    file of at least :data:`HALVES_BYTES` is parsed as two halves at once
    (:func:`_parse`): the same result, in about 60 % of the time.
    """
    from .literals import shrink

    shrunk, runs = shrink(source)
    result = _parse(shrunk, path, chunk, runs, at_once)
    if runs and any(d.code == "hcl-syntax" for d in result.diagnostics):
        result = _parse(source, path, chunk, [], at_once)  # a marker stood where no literal text may
    return result


# From this size up, with a second process allowed, a file is parsed as two halves at once.
HALVES_BYTES = 1024 * 1024
# Runs tasks in parallel processes, giving their results; None when it has no process to spare.
AtOnce = Callable[[list[Callable[[], Optional["HclFile"]]]], Optional[list[Optional["HclFile"]]]]


def _parse(source: bytes, path: str, chunk: int, runs: list[str],
           at_once: Optional[AtOnce] = None) -> HclFile:
    """The whole file; for a large one, when ``at_once`` has a second process, its halves in two.

    The halves meet at a cut between top-level blocks (:func:`.chunks.next_cut`). Their
    result is taken only when each half parsed cleanly and whole: a clean parse of a range
    between two cuts gives the very blocks a parse of the whole file gives
    (tests/test_scale.py). A syntax error, a cut that was no boundary (inside a heredoc) or
    a half past its time budget: the file is parsed whole, as without a second process.
    """
    from .chunks import next_cut

    if at_once is not None and len(source) >= HALVES_BYTES:
        mid = next_cut(source, len(source) // 2)
        halves = at_once([partial(_parse_range, source, path, chunk, runs, 0, mid),
                          partial(_parse_range, source, path, chunk, runs, mid, -1)]) if 0 < mid < len(source) else None
        if halves is not None:
            first, second = halves
            if first is not None and second is not None:
                first.blocks.extend(second.blocks)
                first.attributes.update(second.attributes)
                first.diagnostics.extend(second.diagnostics)
                return first
    result = _parse_range(source, path, chunk, runs)
    assert result is not None  # a whole file is never refused
    return result


def _parse_range(source: bytes, path: str, chunk: int, runs: list[str], start: int = 0,
                 stop: int = -1) -> Optional[HclFile]:
    """The blocks of ``source[start:stop]`` (the whole file by default); for a part of the file,
    None unless it parsed cleanly within its budget."""
    from .chunks import CHUNK_BYTES, trees

    whole = start == 0 and stop < 0
    result = HclFile(path)
    budget = parse_budget(len(source))
    conv = _Converter(source, runs)
    reported = False
    for tree, finished in trees(source, _parser, budget, chunk or CHUNK_BYTES, start, stop):
        if not whole and (not finished or tree.root_node.has_error):
            return None
        if not finished:
            return HclFile(path, diagnostics=[Diagnostic(
                "hcl-timeout", f"parsing took longer than {budget:.0f} s "
                "(garbled or pathological input?); file skipped", path, 1)])
        root = tree.root_node
        if root.has_error and not reported:
            reported = True
            bad = _first_error(root)
            line = bad.start_point[0] + 1 if bad is not None else 1
            result.diagnostics.append(Diagnostic(
                "hcl-syntax", "HCL syntax error; blocks containing it were skipped", path, line))
        body = next((c for c in root.named_children if c.type == "body"), None)
        if body is not None:
            _convert_body(conv, body, result)
        del tree, root, body  # one range's tree alive at a time (scanner/formats/terraform/chunks.py)
    return result


def _convert_body(conv: "_Converter", body: Any, result: HclFile) -> None:
    """The top-level attributes and blocks of ``body`` into ``result``; those with errors skipped."""
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
                result.path, child.start_point[0] + 1))


# Valid HCL parses at several MB/s; the budget leaves a wide margin for a slow or busy machine.
PARSE_BUDGET_BASE = 2.0      # seconds for any file
PARSE_BUDGET_PER_MB = 1.0    # and this much more per MB (a 5 MB file: 7 s)


def parse_budget(size: int) -> float:
    """Seconds tree-sitter may spend on ``size`` bytes."""
    return PARSE_BUDGET_BASE + PARSE_BUDGET_PER_MB * size / 1_000_000


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
    budget in :func:`parse_hcl`) py-tree-sitter 0.26 does not hold the
    source, and ``node.text`` read out of bounds (a crash on deep nesting).
    """

    def __init__(self, source: bytes, runs: Optional[list[str]] = None) -> None:
        self.source = source
        self._indent = 0  # the indentation a ``<<-`` heredoc being read strips from each line
        self.runs = runs or []  # long literal text set aside before parsing (.literals)

    def _text(self, node: Any) -> str:
        text = self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")
        if self.runs and MARK in text:
            return restore(text, self.runs)
        return text

    def _literal_text(self, string_lit: Any) -> str:
        """A quoted string's literal text without its quotes, blanks at either end included.

        Sliced from the source between the quotes: tree-sitter-hcl's ``template_literal`` children
        leave out the blanks at either end, so ``" "`` would read as ``""`` (``replace(name, " ",
        "-")`` then put a ``-`` between every character). A string literal holds no interpolation.
        """
        raw = self.source[string_lit.start_byte + 1:string_lit.end_byte - 1]
        if raw.isalnum() or (raw and _PLAIN.issuperset(raw)):  # plain ASCII: no decoding, no set-aside runs
            text = raw.decode("ascii")
            return sys.intern(text) if len(text) < 64 else text
        text = raw.decode("utf-8", "replace")
        return restore(text, self.runs) if self.runs and MARK in text else text

    def block(self, node: Any, depth: int) -> Block:
        kids = node.named_children
        btype = sys.intern(self._text(kids[0]))
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
        return Attribute(sys.intern(self._text(name_node)), self.expr(expr_node, depth + 1),
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
        heredoc = node.type == "heredoc_template"
        strip = heredoc and b"<<-" in self.source[node.start_byte:node.start_byte + 4]
        kids = node.children
        if heredoc:  # the body: from the line after the opening marker to the closing marker's line
            marks = [c for c in kids if c.type == "heredoc_identifier"]
            begin = self.source.find(b"\n", marks[0].end_byte) + 1 if marks else node.end_byte
            end = self.source.rfind(b"\n", begin, marks[-1].start_byte) + 1 if len(marks) > 1 else begin
            end = max(end, begin)
        else:
            begin = kids[0].end_byte if kids else node.start_byte
            end = kids[-1].start_byte if len(kids) > 1 else begin
        self._indent = _indentation(self.source[begin:end]) if strip else 0
        try:
            parts = self._template_parts(node, begin, end, heredoc, depth)
        finally:
            self._indent = 0
        only_text = all(isinstance(p, str) for p in parts)
        if len(parts) == 1 and not only_text:
            return parts[0]  # type: ignore[return-value]
        if only_text:
            return Lit("".join(parts), line)  # type: ignore[arg-type]
        return Template(parts, line)

    def _template_parts(self, node: Any, begin: int, end: int, heredoc: bool,
                        depth: int) -> list[Union[str, Expr]]:
        """Literal text (sliced from the source: tree-sitter-hcl leaves blanks out of literals) and expressions."""
        parts: list[Union[str, Expr]] = []
        cursor = begin
        for child in node.named_children:
            if child.type not in ("template_interpolation", "template_directive"):
                continue
            if child.start_byte < begin or child.end_byte > end:
                continue
            self._literal(parts, cursor, child.start_byte, heredoc)
            cursor = child.end_byte
            if child.type == "template_interpolation":
                inner = [c for c in child.named_children if c.type == "expression"]
                if inner:
                    parts.append(self.expr(inner[0], depth + 1))
            else:
                parts.append(self._directive(child, heredoc, depth + 1))
        self._literal(parts, cursor, end, heredoc)
        return parts

    def _literal(self, parts: list[Union[str, Expr]], start: int, stop: int, heredoc: bool) -> None:
        """The text between two template items; ``~`` strip markers and ``<<-`` indentation applied."""
        if stop <= start:
            return
        raw = self.source[start:stop].decode("utf-8", "replace")
        if self._indent:
            at_line_start = start == 0 or self.source[start - 1:start] == b"\n"
            raw = _dedent(raw, self._indent, at_line_start)
        if self.source[max(0, start - 2):start] == b"~}":
            raw = raw.lstrip()
        if self.source[stop:stop + 3] in (b"%{~", b"${~"):
            raw = raw.rstrip()
        if not raw:
            return
        if self.runs and MARK in raw:  # long runs set aside before parsing (.literals): one line each
            raw = restore(raw, self.runs)
        parts.append(raw.replace("$${", "${").replace("%%{", "%{") if heredoc else _string_value(raw))

    def _directive(self, node: Any, heredoc: bool, depth: int) -> Expr:
        """``%{if}`` as a conditional and ``%{for}`` as a joined for expression; anything else stays opaque."""
        line = node.start_point[0] + 1
        inner = node.named_children[0] if node.named_children else None
        if depth > MAX_DEPTH:
            raise _TooDeep()
        if inner is not None and inner.type == "template_if":
            kids = inner.named_children
            intro = next((k for k in kids if k.type == "template_if_intro"), None)
            other = next((k for k in kids if k.type == "template_else_intro"), None)
            close = next((k for k in kids if k.type == "template_if_end"), None)
            cond = [c for c in intro.named_children if c.type == "expression"] if intro else []
            if intro is None or close is None or not cond:
                return Opaque("template directive", line)
            split = other.start_byte if other is not None else close.start_byte
            then = self._template_parts(inner, intro.end_byte, split, heredoc, depth)
            rest = (self._template_parts(inner, other.end_byte, close.start_byte, heredoc, depth)
                    if other is not None else [])
            return Cond(self.expr(cond[0], depth + 1), Template(then, line), Template(rest, line), line)
        if inner is not None and inner.type == "template_for":
            kids = inner.named_children
            head = next((k for k in kids if k.type == "template_for_start"), None)
            close = next((k for k in kids if k.type == "template_for_end"), None)
            if head is None or close is None:
                return Opaque("template directive", line)
            names = [self._text(c) for c in head.named_children if c.type == "identifier"]
            coll = [c for c in head.named_children if c.type == "expression"]
            if not names or not coll or len(names) > 2:
                return Opaque("template directive", line)
            body = Template(self._template_parts(inner, head.end_byte, close.start_byte, heredoc, depth), line)
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            loop = ForE(key_var, value_var, self.expr(coll[0], depth + 1), None, body, None, False, line)
            return Call("join", [Lit("", line), loop], False, line)
        return Opaque("template directive", line)

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


def _indentation(body: bytes) -> int:
    """The smallest indentation of the non-blank lines of a ``<<-`` heredoc body."""
    lines = [ln for ln in body.decode("utf-8", "replace").split("\n") if ln.strip()]
    return min((len(ln) - len(ln.lstrip(" \t")) for ln in lines), default=0)


def _dedent(raw: str, indent: int, at_line_start: bool) -> str:
    """``raw`` with up to ``indent`` leading blanks removed from each line that starts in it."""
    lines = raw.split("\n")
    out = []
    for i, ln in enumerate(lines):
        if i > 0 or at_line_start:
            cut = len(ln) - len(ln.lstrip(" \t"))
            ln = ln[min(cut, indent):]
        out.append(ln)
    return "\n".join(out)


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
