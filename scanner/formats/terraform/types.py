"""Variable type constraints: a value converted to its declared `type`, with `optional()` defaults filled in."""

from __future__ import annotations

from typing import Any, Optional, Union

from ...model import Unknown, is_unknown
from .expressions import Configured, Scope, evaluate, plain
from .functions import FUNCTIONS
from .values import Invalid, to_bool, to_number, tostr
from .syntax import Call, Expr, Lit, ObjectE, Traversal, TupleE

# A parsed type: ("any",), ("string",), ("number",), ("bool",), ("list" | "set" | "map", T),
# ("tuple", [T, ...]) or ("object", {name: (T, optional, default)}).
Type = tuple
_PRIMITIVES = frozenset({"any", "string", "number", "bool"})
_NO_DEFAULT = object()


def parse_type(expr: Optional[Expr]) -> Optional[Type]:
    """The type a ``type = ...`` expression declares, or None when it is absent or not understood."""
    if isinstance(expr, Traversal) and not expr.steps and expr.root in _PRIMITIVES:
        return (expr.root,)
    if isinstance(expr, Lit) and isinstance(expr.value, str):  # Terraform 0.11: type = "list"
        return {"string": ("string",), "list": ("list", ("any",)), "map": ("map", ("any",))}.get(expr.value)
    if not isinstance(expr, Call):
        return None
    args = expr.args
    if expr.name in ("list", "set", "map") and len(args) == 1:
        inner = parse_type(args[0])
        return (expr.name, inner) if inner is not None else None
    if expr.name == "tuple" and len(args) == 1 and isinstance(args[0], TupleE):
        items = [parse_type(a) for a in args[0].items]
        return ("tuple", items) if all(i is not None for i in items) else None
    if expr.name == "object" and len(args) == 1 and isinstance(args[0], ObjectE):
        return _object_type(args[0])
    return None


def _object_type(expr: ObjectE) -> Optional[Type]:
    attrs: dict[str, tuple[Type, bool, Any]] = {}
    for key, value in expr.items:
        if not isinstance(key, Lit) or not isinstance(key.value, str):
            return None
        optional, default = False, _NO_DEFAULT
        if isinstance(value, Call) and value.name == "optional" and value.args:
            optional = True
            if len(value.args) > 1:
                default = evaluate(value.args[1], Scope({}))
            value = value.args[0]
        inner = parse_type(value)
        if inner is None:
            return None
        attrs[key.value] = (inner, optional, default)
    return ("object", attrs)


def convert(value: Any, t: Optional[Type]) -> Any:
    """``value`` as Terraform converts it to ``t``: primitives converted, object attributes typed and defaulted.

    Unknown values stay unknown; a value that cannot be converted is an
    error (:class:`Invalid`), as Terraform rejects it; an undeclared type
    (None) or ``any`` leaves the value as it is. One departure: a number or
    bool declared ``string`` (``list(map(string))`` rule lists) stays a
    number or bool, because the resource argument it ends in converts it
    back per the provider's schema, which a static scan does not have, and
    policies compare ports and flags as numbers and bools.
    """
    if t is None or t[0] == "any" or is_unknown(value) or value is None:
        return value
    value = plain(value)
    kind = t[0]
    if kind in ("string", "number", "bool"):
        return _primitive(value, kind)
    if kind in ("list", "set"):
        if not isinstance(value, list):
            return Invalid(f"a {kind} is required")
        items = [convert(v, t[1]) for v in value]
        return FUNCTIONS["toset"](items) if kind == "set" else items
    if kind == "map":
        if not isinstance(value, dict):
            return Invalid("a map is required")
        return {k: convert(v, t[1]) for k, v in value.items()}
    if kind == "tuple":
        if not isinstance(value, list) or len(value) != len(t[1]):
            return Invalid("a tuple of another length is required")
        return [convert(v, item) for v, item in zip(value, t[1])]
    return _object(value, t[1])


def _object(value: Any, attrs: dict[str, tuple[Type, bool, Any]]) -> Any:
    if not isinstance(value, dict):
        return Invalid("an object is required")
    computed = isinstance(value, Configured)  # a resource passed whole: absent means computed
    out: dict[str, Any] = {}
    for name, (t, optional, default) in attrs.items():
        given = value.get(name)
        if given is not None:
            out[name] = convert(given, t)
        elif optional:
            out[name] = None if default is _NO_DEFAULT else convert(default, t)
        elif name in value:
            out[name] = None
        else:
            out[name] = (Unknown(f"attribute {name!r} is computed by the provider") if computed
                         else Invalid(f"attribute {name!r} is required"))
    return out


def _primitive(value: Any, kind: str) -> Union[str, int, float, bool, Unknown]:
    if isinstance(value, (dict, list)):
        return Invalid(f"a {kind} is required")
    try:
        if kind == "string":  # a number or bool is kept: the argument it reaches converts it back
            return value if isinstance(value, (bool, int, float)) else tostr(value)
        if kind == "bool":
            return to_bool(value)
        return to_number(value)
    except (TypeError, ValueError):
        return Invalid(f"{value!r} is not a {kind}")
