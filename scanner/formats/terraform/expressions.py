"""Evaluate HCL expressions statically; anything only known at apply time stays `Unknown`."""

from __future__ import annotations

from typing import Any, Callable, Optional

from ...model import SecretNames, Unknown, is_unknown
from .files import FileAccess, template_expr
from .functions import ERROR_AWARE, FUNCTIONS, UnknownArg
from .values import Invalid, has_invalid, has_unknown, pairs_of, to_bool, to_number, tostr
from .syntax import (
    BinOp,
    Call,
    Cond,
    Expr,
    ForE,
    Lit,
    ObjectE,
    Opaque,
    Postfix,
    Template,
    Traversal,
    TupleE,
    UnOp,
)

# Roots of a traversal that are not resource references.
NON_RESOURCE_ROOTS = frozenset({
    "var", "local", "module", "data", "count", "each", "path", "terraform", "self",
})

Resolver = Callable[[str, tuple, "Scope"], Any]


class Configured(dict):
    """A resource or data block's configured arguments: what a reference to it sees.

    Arguments the provider computes (``id``, ``arn``, an optional block left
    out) are absent but not errors, so a missing key read through it (or
    anything under it) is unknown, never :class:`Invalid`: ``try(aws_vpc.v.id,
    "x")`` stays unknown.
    """

    __slots__ = ()


MAX_ITERATIONS = 250_000  # for-expression elements evaluated per budget (one root module)


class Scope:
    """What names mean while evaluating one module (or one resource instance in it).

    ``budget`` (a one-element list shared by every child scope and, through
    the module evaluator, by a whole root module) bounds how many
    for-expression elements may be evaluated, so nested loops over large
    ranges end as unknown values instead of running for hours.
    """

    __slots__ = ("names", "resolve", "extra", "budget", "files")

    def __init__(self, names: dict[str, Any], resolve: Optional[Resolver] = None,
                 extra: Optional[dict[str, Any]] = None, budget: Optional[list[int]] = None,
                 files: Optional[FileAccess] = None) -> None:
        self.names = names      # "var" -> {...}, "local" -> lazy mapping, "path" -> {...}
        self.resolve = resolve  # fallback for roots not in names (resources, data, module)
        self.extra = extra or {}  # count / each / for-expression variables
        self.budget = budget if budget is not None else [MAX_ITERATIONS]
        self.files = files      # what file() / templatefile() may read (files.py); None: nothing

    def child(self, **extra: Any) -> "Scope":
        merged = dict(self.extra)
        merged.update(extra)
        return Scope(self.names, self.resolve, merged, self.budget, self.files)


def evaluate(expr: Expr, scope: Scope) -> Any:
    """The value of ``expr`` in ``scope``; :class:`Unknown` where it cannot be known."""
    # one type() on this hot path; mypy does not narrow ``expr`` through ``t``, hence the ignores below
    t = type(expr)
    if t is Lit:
        return expr.value  # type: ignore[attr-defined]
    if t is Traversal:
        return _traversal(expr, scope)  # type: ignore[arg-type]
    if t is Template:
        return _template(expr, scope)  # type: ignore[arg-type]
    if t is TupleE:
        return [evaluate(i, scope) for i in expr.items]  # type: ignore[attr-defined]
    if t is ObjectE:
        out: dict[str, Any] = {}
        for k, v in expr.items:  # type: ignore[attr-defined]
            key = evaluate(k, scope)
            if isinstance(key, (Invalid, dict, list)):
                return Invalid("object key is not a string")
            if is_unknown(key):
                return _partial_object(expr, scope)  # type: ignore[arg-type]
            out[tostr(key)] = evaluate(v, scope)
        return out
    if t is Call:
        return _call(expr, scope)  # type: ignore[arg-type]
    if t is Cond:
        return _cond(expr, scope)  # type: ignore[arg-type]
    if t is BinOp:
        return _binop(expr, scope)  # type: ignore[arg-type]
    if t is UnOp:
        v = evaluate(expr.operand, scope)  # type: ignore[attr-defined]
        if is_unknown(v):
            return v
        try:
            return (not to_bool(v)) if expr.op == "!" else -to_number(v)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return Invalid("bad operand")
    if t is Postfix:
        return apply_steps(evaluate(expr.base, scope), expr.steps, scope)  # type: ignore[attr-defined]
    if t is ForE:
        return _for(expr, scope)  # type: ignore[arg-type]
    if t is Opaque:
        return Unknown(expr.reason)  # type: ignore[attr-defined]
    return Unknown("unsupported expression")


def _traversal(expr: Traversal, scope: Scope) -> Any:
    root = expr.root
    if root in scope.extra:
        return apply_steps(scope.extra[root], expr.steps, scope)
    if root in scope.names:
        return apply_steps(scope.names[root], expr.steps, scope)
    if scope.resolve is not None:
        return scope.resolve(root, expr.steps, scope)
    return Unknown(f"{root} is not known before apply")


def apply_steps(value: Any, steps: tuple, scope: Scope, partial: bool = False) -> Any:
    """``value`` indexed by ``steps``; under a :class:`Configured` block (``partial``) a missing key is unknown."""
    for i, (kind, arg) in enumerate(steps):
        if is_unknown(value):
            return value
        partial = partial or isinstance(value, Configured)
        if kind == "splat":
            if value is None:
                return []
            items = value if isinstance(value, list) else [value]
            return [apply_steps(item, steps[i + 1:], scope, partial) for item in items]
        key = arg if kind == "attr" else evaluate(arg, scope)
        if is_unknown(key):
            if isinstance(key, Invalid):
                return key
            same = None if partial else _the_one_value(value)
            if same is None:
                return Unknown("index not known")
            value = same[0]  # every element is this value: whichever the key, an apply that succeeds reads it
            continue
        value = _index(value, key, partial)
    return value


_SCALARS = (str, int, float, bool)


def _the_one_value(value: Any) -> Optional[tuple[Any]]:
    """``(v,)`` when ``value`` is a map or list whose elements are all the same known scalar ``v``, else None.

    ``local.deploy[local.environment]`` over ``{dev = false, prod = false}`` is false whatever the
    environment: not a guess, the only value an index into it can give.
    """
    if isinstance(value, LazyMapping) or not isinstance(value, (dict, list)) or not value:
        return None
    items = list(value.values()) if isinstance(value, dict) else value
    first = items[0]
    if not isinstance(first, _SCALARS) or any(type(x) is not type(first) or x != first for x in items[1:]):
        return None
    return (first,)


def _index(value: Any, key: Any, partial: bool) -> Any:
    if isinstance(value, LazyMapping):
        return value.get(str(key))
    missing: type[Unknown] = Unknown if partial else Invalid
    if isinstance(value, dict):
        if str(key) in value:
            return value[str(key)]
        return missing(f"no key {key!r}")
    if isinstance(value, list):
        try:
            return value[int(key)]
        except (ValueError, IndexError, TypeError):
            return missing(f"no index {key!r}")
    return missing("cannot index this value")


class PartialTemplate(Unknown):
    """A string template with some interpolations unknown: the string is unknown, its known text kept.

    ``parts`` holds the literal text and known values as strings and the
    unknown interpolations as :class:`Unknown`, so a JSON policy written as a
    heredoc with ``${aws_s3_bucket.b.arn}`` inside can still be normalised.
    """

    __slots__ = ("parts",)

    def __init__(self, parts: list[Any]) -> None:
        super().__init__("interpolation not known")
        self.parts = parts

    def __reduce__(self) -> tuple[Any, ...]:
        return (PartialTemplate, (self.parts,))


class PartialObject(Unknown):
    """An object with a key known only at apply time: unknown, its entries kept in ``items``.

    ``items`` holds ``(key, value)`` pairs whose key is a string or an
    :class:`Unknown` (often a :class:`PartialTemplate` such as
    ``"${local.oidc_issuer}:sub"``), so an IAM condition keyed by an issuer
    computed at apply can still be read by the claim it names.
    """

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Any, Any]]) -> None:
        super().__init__("object key not known")
        self.items = items

    def __reduce__(self) -> tuple[Any, ...]:
        return (PartialObject, (self.items,))


def _partial_object(expr: ObjectE, scope: Scope) -> Any:
    items: list[tuple[Any, Any]] = []
    for k, v in expr.items:
        key = evaluate(k, scope)
        if isinstance(key, (Invalid, dict, list)):
            return Invalid("object key is not a string")
        items.append((key if is_unknown(key) else tostr(key), evaluate(v, scope)))
    return PartialObject(items)


def _template(expr: Template, scope: Scope) -> Any:
    """The string a template makes (the names of secrets it interpolates kept: :class:`SecretNames`)."""
    out: list[Any] = []
    names: set[str] = set()
    partial = False
    for part in expr.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        v = evaluate(part, scope)
        if isinstance(v, (Invalid, dict, list)):
            return v if isinstance(v, Invalid) else Invalid("collection in a template")
        if is_unknown(v):
            partial = True
            out.append(v)
            continue
        if isinstance(v, SecretNames):
            names |= v.names
            out.append(v)  # kept as it is: a partial template's known text says which parts name secrets
            continue
        out.append(tostr(v))
    if partial:
        return PartialTemplate(out)
    return SecretNames("".join(out), names) if names else "".join(out)


def _call(expr: Call, scope: Scope) -> Any:
    name = expr.name.split("::")[-1]  # provider::aws::arn_parse -> arn_parse
    fn = FUNCTIONS.get(name)
    args = [evaluate(a, scope) for a in expr.args]
    if name in FILE_FUNCTIONS and not expr.expand:
        return _file_call(name, args, scope)
    if fn is None:  # its result is not known to us, but an error in its arguments still is one
        if any(has_invalid(a) for a in args):
            return Invalid(f"{expr.name}() argument is an error")
        return Unknown(f"function {expr.name}() is not evaluated")
    if expr.expand and args:
        last = args.pop()
        if is_unknown(last):
            return last
        if not isinstance(last, list):
            return Invalid("expanded argument is not a list")
        args.extend(last)
    if name not in ERROR_AWARE and any(has_invalid(a) for a in args):
        return Invalid(f"{expr.name}() argument is an error")
    try:
        return fn(*args)
    except UnknownArg:
        return Unknown(f"{expr.name}() argument not known")
    except Exception:  # a bad argument in user code is not our crash; Terraform rejects it too
        if any(has_unknown(a) for a in args):
            return Unknown(f"{expr.name}() could not be evaluated")
        return Invalid(f"{expr.name}() fails for these arguments")


FILE_FUNCTIONS = frozenset({"file", "fileexists", "templatefile"})


def _file_call(name: str, args: list[Any], scope: Scope) -> Any:
    """``file()``, ``fileexists()``, ``templatefile()`` over files inside the scanned root (files.py)."""
    if any(has_invalid(a) for a in args) or len(args) != (2 if name == "templatefile" else 1):
        return Invalid(f"{name}() arguments are an error")
    if scope.files is None:
        return Unknown(f"{name}() is not evaluated here")
    if name == "fileexists":
        return scope.files.exists(args[0])
    text = scope.files.read(args[0])
    if name == "file" or not isinstance(text, str):
        return text
    variables = args[1]
    if not isinstance(variables, dict):
        return variables if is_unknown(variables) else Invalid("templatefile() variables are not an object")
    parsed = template_expr(text)
    if parsed is None:
        return Invalid(f"templatefile({args[0]!r}) is not a valid template")
    body, newline = parsed
    value = evaluate(body, Scope({}, extra=dict(variables), budget=scope.budget, files=scope.files))
    if not newline and isinstance(value, str) and value.endswith("\n"):
        return SecretNames(value[:-1], value.names) if isinstance(value, SecretNames) else value[:-1]
    if not newline and isinstance(value, PartialTemplate) and value.parts and isinstance(value.parts[-1], str):
        return PartialTemplate([*value.parts[:-1], value.parts[-1][:-1] if value.parts[-1].endswith("\n")
                                else value.parts[-1]])
    return value


def _cond(expr: Cond, scope: Scope) -> Any:
    """``pred ? then : other``; with the predicate unknown, known only when both branches agree."""
    pred = evaluate(expr.pred, scope)
    if isinstance(pred, Invalid):
        return pred
    if is_unknown(pred):
        then, other = evaluate(expr.then, scope), evaluate(expr.other, scope)
        if not has_unknown(then) and not has_unknown(other) and _same(then, other):
            return then
        return Unknown("condition not known")
    try:
        chosen = to_bool(pred)
    except TypeError:
        return Invalid("condition is not a bool")
    return evaluate(expr.then if chosen else expr.other, scope)


def _binop(expr: BinOp, scope: Scope) -> Any:
    """Operators; ``&&`` and ``||`` three-valued: ``unknown && false`` is false, ``unknown || true`` true."""
    op = expr.op
    left = evaluate(expr.left, scope)
    if op in ("&&", "||"):
        return _logic(op, left, lambda: evaluate(expr.right, scope))
    right = evaluate(expr.right, scope)
    for side in (left, right):
        if isinstance(side, Invalid):
            return side
    if is_unknown(left) or is_unknown(right):
        return Unknown("operand not known")
    try:
        return _BINOPS[op](left, right)
    except (TypeError, ValueError, ZeroDivisionError):
        return Invalid("operation not defined for these values")


def _logic(op: str, left: Any, right_of: Callable[[], Any]) -> Any:
    """Kleene logic over bools (and the strings "true" / "false", as Terraform converts them)."""
    decisive = op == "||"  # the value that decides the result on its own
    a = _bool_or_marker(left)
    if a is decisive:
        return decisive
    b = _bool_or_marker(right_of())
    if b is decisive:
        return decisive
    for side in (a, b):
        if isinstance(side, Invalid):
            return side
    if is_unknown(a) or is_unknown(b):
        return Unknown("operand not known")
    return not decisive


def _bool_or_marker(v: Any) -> Any:
    """``v`` as a bool, or the :class:`Unknown` / :class:`Invalid` it is (or becomes)."""
    if is_unknown(v):
        return v
    try:
        return to_bool(v)
    except TypeError:
        return Invalid("operand is not a bool")


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (``1 == True`` in Python, not in Terraform)."""
    return type(a) is type(b) and a == b


def _equal(a: Any, b: Any) -> bool:
    """``==``, where a number or bool equals its string form: a variable declared ``string`` keeps
    numbers and bools as written (see types.py), and Terraform would have converted them."""
    if isinstance(a, str) != isinstance(b, str):
        other = b if isinstance(a, str) else a
        if isinstance(other, (bool, int, float)):
            return tostr(a) == tostr(b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False  # 1 == true in Python, not in Terraform
    return bool(a == b)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: to_number(a) + to_number(b),
    "-": lambda a, b: to_number(a) - to_number(b),
    "*": lambda a, b: to_number(a) * to_number(b),
    "/": lambda a, b: to_number(a) / to_number(b),
    "%": lambda a, b: to_number(a) % to_number(b),
    "==": lambda a, b: _equal(a, b),
    "!=": lambda a, b: not _equal(a, b),
    "<": lambda a, b: to_number(a) < to_number(b),
    ">": lambda a, b: to_number(a) > to_number(b),
    "<=": lambda a, b: to_number(a) <= to_number(b),
    ">=": lambda a, b: to_number(a) >= to_number(b),
}


def _for(expr: ForE, scope: Scope) -> Any:
    if scope.budget[0] <= 0:
        return Unknown("for expressions exceed the evaluation budget")
    coll = evaluate(expr.collection, scope)
    if is_unknown(coll):
        return coll if isinstance(coll, Invalid) else Unknown("for expression over unknown collection")
    if isinstance(coll, LazyMapping):
        coll = {k: coll.get(k) for k in sorted(coll.keys())}
    if not isinstance(coll, (dict, list)):
        return Invalid("for expression over a non-collection")
    pairs = pairs_of(coll)
    scope.budget[0] -= len(pairs)
    if scope.budget[0] < 0:
        return Unknown("for expressions exceed the evaluation budget")
    items: list[Any] = []
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if scope.budget[0] < 0:
            return Unknown("for expressions exceed the evaluation budget")
        names = {expr.value_var: v}
        if expr.key_var:
            names[expr.key_var] = k
        inner = scope.child(**names)
        if expr.cond is not None:
            c = _bool_or_marker(evaluate(expr.cond, inner))
            if is_unknown(c):
                return c if isinstance(c, Invalid) else Unknown("for condition not known")
            if not c:
                continue
        value = evaluate(expr.value, inner)
        if expr.key is None:
            items.append(value)
            continue
        key = evaluate(expr.key, inner)
        if is_unknown(key):
            return key if isinstance(key, Invalid) else Unknown("for key not known")
        if expr.group:
            obj.setdefault(tostr(key), []).append(value)
        else:
            obj[tostr(key)] = value
    return items if expr.key is None else obj




class LazyMapping:
    """A mapping whose values are computed on first access (locals, module outputs)."""

    def __init__(self, compute: Callable[[str], Any], keys: set[str]) -> None:
        self._compute = compute
        self._keys = keys
        self._cache: dict[str, Any] = {}
        self._active: set[str] = set()

    def keys(self) -> set[str]:
        return set(self._keys)

    def get(self, key: str) -> Any:
        if key in self._cache:
            return self._cache[key]
        if key not in self._keys:
            return Unknown(f"{key} is not declared")
        if key in self._active:
            return Unknown(f"{key} refers to itself")
        self._active.add(key)
        try:
            value = self._compute(key)
        finally:
            self._active.discard(key)
        self._cache[key] = value
        return value


def plain(value: Any) -> Any:
    """``value`` with every lazy mapping (``module.x``, ``local``, ``var`` taken whole) made a dict.

    Attributes hold plain data only; a lazy mapping reaching one (``tags =
    module.labels``) is evaluated in full here.
    """
    if isinstance(value, LazyMapping):
        return {k: plain(value.get(k)) for k in sorted(value.keys())}
    if isinstance(value, list):
        return [plain(v) for v in value] if any(isinstance(v, (LazyMapping, list, dict)) for v in value) else value
    if isinstance(value, dict):
        if any(isinstance(v, (LazyMapping, list, dict)) for v in value.values()):
            out = {k: plain(v) for k, v in value.items()}
            return Configured(out) if isinstance(value, Configured) else out
        return value
    return value
