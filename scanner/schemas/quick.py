"""A fast yes/no JSON Schema check that never accepts what jsonschema would reject.

`compile_schema` turns a schema written in the subset of draft 2020-12 that
riskgraph's schemas use into closures answering "is this document valid?".
Every keyword is implemented with jsonschema's own semantics (its draft
2020-12 type checker, its ``equal`` for ``enum``, ``re.search`` for
``pattern``), so an answer is exact, not merely safe; a schema using anything
else compiles to ``None`` and callers validate with jsonschema alone. A False
answer is cheap to confirm: callers then run jsonschema for the errors.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, Callable, Optional

Check = Callable[[Any, int], bool]
"""A compiled subschema: ``check(instance, ref_depth) -> valid``."""

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# jsonschema recurses roughly ten Python frames per `$ref`, so it raises
# RecursionError on documents nested a few hundred references deep. Past this
# depth the quick check gives up instead of accepting such a document.
MAX_REF_DEPTH = 64

_ANNOTATIONS = frozenset({"description", "title", "$comment", "default", "examples",
                          "deprecated", "readOnly", "writeOnly", "$defs"})
_OBJECT_KEYWORDS = ("properties", "additionalProperties", "required", "minProperties",
                    "maxProperties")
_KNOWN = frozenset({"type", "enum", "items", "minItems", "minLength", "pattern", "minimum", "maximum",
                    "anyOf", "oneOf", "$ref", "$schema", "$id", *_OBJECT_KEYWORDS, *_ANNOTATIONS})


class Unsupported(Exception):
    """The schema uses something this module does not implement exactly."""


class _Unsure(Exception):
    """Raised mid-check when only jsonschema can give the answer."""


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, numbers.Number)


# jsonschema's draft 2020-12 type checker, predicate for predicate.
_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "integer": _is_integer,
    "null": lambda x: x is None,
    "number": _is_number,
    "object": lambda x: isinstance(x, dict),
    "string": lambda x: isinstance(x, str),
}


def _always(x: Any, depth: int) -> bool:
    return True


def _never(x: Any, depth: int) -> bool:
    return False


def compile_schema(schema: Any) -> Optional[Callable[[Any], bool]]:
    """``valid(document) -> bool`` for ``schema``, or None when the schema is outside the subset."""
    if not isinstance(schema, dict) or schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        return None
    try:
        check = _Compiler(schema).compile(schema, root=True)
    except (Unsupported, re.error):
        return None

    def valid(document: Any) -> bool:
        try:
            return check(document, 0)
        except Exception:  # _Unsure, RecursionError, a comparison jsonschema would also choke on
            return False

    return valid


class _Compiler:
    """Compiles the subschemas of one root schema; each `$ref` target once."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, list[Check]] = {}

    def compile(self, schema: Any, root: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        unknown = set(schema) - _KNOWN
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        for key in ("$schema", "$id"):
            if key in schema and not root:
                raise Unsupported(f"{key} below the root")
        checks: list[Check] = []
        if "type" in schema:
            checks.append(_type_check(schema["type"]))
        if "enum" in schema:
            checks.append(_enum_check(schema["enum"]))
        if any(k in schema for k in _OBJECT_KEYWORDS):
            checks.append(self._object_check(schema))
        if "items" in schema or "minItems" in schema:
            checks.append(self._array_check(schema))
        if "minLength" in schema or "pattern" in schema:
            checks.append(_string_check(schema))
        if "minimum" in schema or "maximum" in schema:
            checks.append(_number_check(schema))
        if "anyOf" in schema:
            checks.append(_any_of([self.compile(s) for s in _subschemas(schema["anyOf"])]))
        if "oneOf" in schema:
            checks.append(_one_of([self.compile(s) for s in _subschemas(schema["oneOf"])]))
        if "$ref" in schema:
            checks.append(self._ref(schema["$ref"]))
        return _all_of(checks)

    def _ref(self, ref: Any) -> Check:
        if not isinstance(ref, str):
            raise Unsupported(f"$ref {ref!r}")
        if ref not in self.refs:
            cell: list[Check] = []
            self.refs[ref] = cell  # registered before compiling, so recursive schemas terminate
            cell.append(self.compile(self._resolve(ref)))
        cell = self.refs[ref]

        def check(x: Any, depth: int) -> bool:
            if depth >= MAX_REF_DEPTH:
                raise _Unsure
            return cell[0](x, depth + 1)

        return check

    def _resolve(self, ref: str) -> Any:
        """A local JSON pointer (``#/$defs/id``) into the root, with no escapes and no `$id` on the way."""
        if not ref.startswith("#/") or "~" in ref or "%" in ref:
            raise Unsupported(f"$ref {ref!r}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            if not isinstance(node, dict) or part not in node or (node is not self.root and "$id" in node):
                raise Unsupported(f"$ref {ref!r}")
            node = node[part]
        return node

    def _object_check(self, schema: dict[str, Any]) -> Check:
        props_schema = schema.get("properties", {})
        extra_schema = schema.get("additionalProperties", True)
        required = schema.get("required", [])
        if not isinstance(props_schema, dict) or not _is_string_list(required):
            raise Unsupported("properties or required")
        low = _bound(schema.get("minProperties", 0))
        high = _bound(schema.get("maxProperties", float("inf")))
        props = {name: self.compile(sub) for name, sub in props_schema.items()}
        extra = None if extra_schema is True else self.compile(extra_schema)

        def check(x: Any, depth: int) -> bool:
            if not isinstance(x, dict):
                return True
            if len(x) < low or len(x) > high:
                return False
            for name in required:
                if name not in x:
                    return False
            for key, value in x.items():
                sub = props.get(key, extra)
                if sub is not None and not sub(value, depth):
                    return False
            return True

        return check

    def _array_check(self, schema: dict[str, Any]) -> Check:
        item = self.compile(schema.get("items", True))
        low = _bound(schema.get("minItems", 0))

        def check(x: Any, depth: int) -> bool:
            if not isinstance(x, list):
                return True
            if len(x) < low:
                return False
            if item is not _always:
                for value in x:
                    if not item(value, depth):
                        return False
            return True

        return check


def _subschemas(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise Unsupported(f"subschema list {value!r}")
    return value


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _bound(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported(f"bound {value!r}")
    return value


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(x: Any, depth: int) -> bool:
        for c in checks:
            if not c(x, depth):
                return False
        return True

    return check


def _any_of(checks: list[Check]) -> Check:
    def check(x: Any, depth: int) -> bool:
        for c in checks:
            if c(x, depth):
                return True
        return False

    return check


def _one_of(checks: list[Check]) -> Check:
    # Counting passing branches is right only because every branch is exact: a
    # branch that wrongly said False could hide a second valid branch, which
    # jsonschema rejects. Nothing here is approximate; doubt raises _Unsure.
    def check(x: Any, depth: int) -> bool:
        passed = 0
        for c in checks:
            if c(x, depth):
                passed += 1
                if passed > 1:
                    return False
        return passed == 1

    return check


def _type_check(types: Any) -> Check:
    names = [types] if isinstance(types, str) else types
    if not _is_string_list(names) or not names or any(n not in _TYPES for n in names):
        raise Unsupported(f"type {types!r}")
    if names == ["object"]:  # the commonest cases, without a call per test
        return lambda x, depth: isinstance(x, dict)
    if names == ["string"]:
        return lambda x, depth: isinstance(x, str)
    tests = [_TYPES[n] for n in names]
    return lambda x, depth: any(t(x) for t in tests)


def _enum_check(values: Any) -> Check:
    """jsonschema's ``equal``: ``==`` for strings; for numbers ``==``, but booleans equal nothing."""
    if not isinstance(values, list) or not values:
        raise Unsupported(f"enum {values!r}")
    if all(isinstance(v, str) for v in values):
        strings = frozenset(values)
        # a set lookup is exact for str instances; anything else takes the literal `==` of `equal`
        return lambda x, depth: x in strings if type(x) is str else any(v == x for v in values)
    if all(type(v) in (int, float) for v in values):
        return lambda x, depth: x is not True and x is not False and any(v is x or v == x for v in values)
    raise Unsupported(f"enum {values!r}")


def _string_check(schema: dict[str, Any]) -> Check:
    low = _bound(schema.get("minLength", 0))
    pattern = schema.get("pattern")
    if pattern is not None and not isinstance(pattern, str):
        raise Unsupported(f"pattern {pattern!r}")
    search = re.compile(pattern).search if pattern is not None else None

    def check(x: Any, depth: int) -> bool:
        if not isinstance(x, str):
            return True
        # jsonschema's error conditions, negated (a NaN bound passes there too)
        return not (len(x) < low or (search is not None and search(x) is None))

    return check


def _number_check(schema: dict[str, Any]) -> Check:
    low = _bound(schema["minimum"]) if "minimum" in schema else None
    high = _bound(schema["maximum"]) if "maximum" in schema else None

    def check(x: Any, depth: int) -> bool:
        if not _is_number(x):
            return True
        # written as jsonschema's error conditions, so NaN passes as it does there
        return not ((low is not None and x < low) or (high is not None and x > high))

    return check
