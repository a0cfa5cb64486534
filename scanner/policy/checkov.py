"""Checkov's YAML custom-policy dialect, translated into riskgraph's condition tree.

A checkov policy (``metadata`` + ``definition``) describes what a COMPLIANT
resource looks like; a riskgraph condition describes the violation, so the
translated condition is ``not <definition>``. Checkov skips a policy it does
not understand with a log line; here every unsupported key, ``cond_type`` or
operator is refused, naming the path inside the file.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Collection, Mapping, Optional

from ..model import PolicyMeta, Severity
from .compiler import Check, Outcome
from .paths import resolve, split_path
from .operators import REGEX_OPERATORS, compile_regex

# Dialect policies keep checkov's id; ours (``RG-...``) stay reserved for riskgraph's own.
ID_PATTERN = re.compile(r"^(?!RG-)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SEVERITIES = frozenset(s.value for s in Severity)
_LEAF_KEYS = frozenset({"cond_type", "resource_types", "attribute", "operator", "value",
                        "connected_resource_types"})

Node = dict[str, Any]


class DialectError(Exception):
    """A checkov-format policy riskgraph will not run; ``where`` is the path inside the file."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


def is_checkov_document(data: Any) -> bool:
    """Checkov's shape: a ``definition`` (and ``metadata``) at the top, no riskgraph ``condition``."""
    return isinstance(data, dict) and "definition" in data and "condition" not in data


def _escape(value: Any) -> str:
    return re.escape(str(value))


def _positive(path: str, op: str, value: Any) -> Node:
    return {"path": path, op: value}


# checkov operator -> (riskgraph operator, operand builder, negated?)
_Builder = Callable[[Any], Any]
_SAME: _Builder = lambda v: v  # noqa: E731
ATTRIBUTE_OPERATORS: dict[str, tuple[str, _Builder, bool]] = {
    "equals": ("equals", _SAME, False),
    "not_equals": ("equals", _SAME, True),
    "contains": ("contains", _SAME, False),
    "not_contains": ("contains", _SAME, True),
    "within": ("in", lambda v: v if isinstance(v, list) else [v], False),
    "not_within": ("in", lambda v: v if isinstance(v, list) else [v], True),
    "starting_with": ("matches", lambda v: rf"\A{_escape(v)}", False),
    "not_starting_with": ("matches", lambda v: rf"\A{_escape(v)}", True),
    "ending_with": ("matches", lambda v: rf"{_escape(v)}\Z", False),
    "not_ending_with": ("matches", lambda v: rf"{_escape(v)}\Z", True),
    "regex_match": ("matches", lambda v: rf"\A(?:{v})", False),
    "not_regex_match": ("matches", lambda v: rf"\A(?:{v})", True),
    "equals_ignore_case": ("matches", lambda v: rf"(?i)\A{_escape(v)}\Z", False),
    "not_equals_ignore_case": ("matches", lambda v: rf"(?i)\A{_escape(v)}\Z", True),
    "greater_than": ("gt", float, False),
    "greater_than_or_equal": ("gte", float, False),
    "less_than": ("lt", float, False),
    "less_than_or_equal": ("lte", float, False),
    "is_true": ("equals", lambda v: True, False),
    "is_false": ("equals", lambda v: False, False),
    "is_empty": ("length_equals", lambda v: 0, False),
}
# Operators that take no `value`.
VALUELESS = frozenset({"exists", "not_exists", "is_true", "is_false", "is_empty"})
# Each positive riskgraph operator's negation, applied value by value under `*` paths.
_NEGATED_OP = {"equals": "not_equals", "in": "not_in", "matches": "not_matches"}


class Translator:
    """Translate one ``definition`` tree; collects the resource types it applies to."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self.leaves: list[tuple[str, Node]] = []   # (attribute, compliance condition) of each attribute test

    def node(self, raw: Any, where: str) -> Node:
        if not isinstance(raw, dict):
            raise DialectError(where, f"expected a mapping, got {type(raw).__name__}")
        logical = [k for k in ("and", "or", "not") if k in raw]
        if logical:
            return self._logical(raw, logical, where)
        unknown = sorted(set(raw) - _LEAF_KEYS)
        if unknown:
            raise DialectError(f"{where}.{unknown[0]}", f"unknown key {unknown[0]!r} "
                               f"(allowed: and, or, not, {', '.join(sorted(_LEAF_KEYS))})")
        cond_type = raw.get("cond_type")
        handler = {"attribute": self._attribute, "filter": self._filter,
                   "connection": self._connection}.get(cond_type)  # type: ignore[arg-type]
        if handler is None:
            raise DialectError(f"{where}.cond_type", f"cond_type {cond_type!r} is not supported "
                               "(supported: attribute, connection, filter)")
        return handler(raw, where)

    def _logical(self, raw: Node, keys: list[str], where: str) -> Node:
        if len(keys) != 1 or len(raw) != 1:
            raise DialectError(where, "a logical block holds exactly one of and / or / not and nothing else")
        key = keys[0]
        children = raw[key]
        if isinstance(children, dict):
            children = [children]
        if not isinstance(children, list) or not children:
            raise DialectError(f"{where}.{key}", "expected a non-empty list of conditions")
        nodes = [self.node(c, f"{where}.{key}[{i}]") for i, c in enumerate(children)]
        if key == "not":
            if len(nodes) != 1:
                raise DialectError(f"{where}.not", "`not` takes exactly one condition")
            return {"not": nodes[0]}
        return {"all" if key == "and" else "any": nodes}

    def _resource_types(self, raw: Node, key: str, where: str) -> list[str]:
        types = raw.get(key)
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
            raise DialectError(f"{where}.{key}", f"`{key}` must name one or more resource types")
        special = [t for t in types if t.lower() in ("all", "taggable") or t.startswith("provider")]
        if special:
            raise DialectError(f"{where}.{key}", f"resource type {special[0]!r} is not supported; "
                               "list the resource types")
        return types

    def _operator(self, raw: Node, where: str, allowed: Collection[str]) -> str:
        op = raw.get("operator")
        if not isinstance(op, str) or op not in allowed:
            raise DialectError(f"{where}.operator", f"unknown or unsupported checkov operator {op!r} "
                               f"for cond_type {raw.get('cond_type')!r} (supported: "
                               f"{', '.join(sorted(allowed))})")
        return op

    def _attribute(self, raw: Node, where: str) -> Node:
        types = self._resource_types(raw, "resource_types", where)
        self.types.extend(types)
        op = self._operator(raw, where, {*ATTRIBUTE_OPERATORS, "exists", "not_exists"})
        attribute = raw.get("attribute")
        if not isinstance(attribute, str) or not attribute.strip("."):
            raise DialectError(f"{where}.attribute", "`attribute` must be a dotted attribute name")
        if op not in VALUELESS and "value" not in raw:
            raise DialectError(f"{where}.value", f"operator {op!r} needs a `value`")
        leaf = {"all": [{"type": types}, self._test(attribute, op, raw.get("value"), where)]}
        self.leaves.append((attribute, leaf))
        return leaf

    def _test(self, path: str, op: str, value: Any, where: str) -> Node:
        if op in ("exists", "not_exists"):
            return {"path": path, "exists": op == "exists"}
        ours, build, negated = ATTRIBUTE_OPERATORS[op]
        try:
            operand = build(value)
        except (TypeError, ValueError):
            raise DialectError(f"{where}.value", f"operator {op!r} needs a number, got {value!r}") from None
        if ours in REGEX_OPERATORS:
            try:
                compile_regex(operand)
            except ValueError as exc:
                raise DialectError(f"{where}.value", str(exc)) from None
        if not negated:
            return _positive(path, ours, operand)
        if "*" in path.split(".") and ours in _NEGATED_OP:
            # checkov: some matched value passes, or no value matched the pattern at all
            return {"any": [_positive(path, _NEGATED_OP[ours], operand), {"path": path, "exists": False}]}
        return {"not": _positive(path, ours, operand)}

    def _filter(self, raw: Node, where: str) -> Node:
        self._operator(raw, where, frozenset({"within"}))
        if raw.get("attribute") != "resource_type":
            raise DialectError(f"{where}.attribute", "a filter tests `attribute: resource_type`")
        return {"type": self._resource_types(raw, "value", where)}

    def _connection(self, raw: Node, where: str) -> Node:
        op = self._operator(raw, where, frozenset({"exists", "not_exists"}))
        types = self._resource_types(raw, "resource_types", where)
        others = self._resource_types(raw, "connected_resource_types", where)
        self.types.extend(types + others)

        def linked(a: list[str], b: list[str]) -> Node:
            return {"all": [{"type": a}, {"connected": {"edge": "references", "direction": "both",
                                                         "where": {"type": b}}}]}
        exists = {"any": [linked(types, others), linked(others, types)]}
        return exists if op == "exists" else {"not": exists}


def _text(meta: Mapping[str, Any], key: str, required: bool = True) -> Optional[str]:
    value = meta.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DialectError(f"metadata.{key}", f"`metadata.{key}` must be a non-empty string")
    return value.strip()


def translate(data: Mapping[str, Any], path: str) -> tuple[PolicyMeta, Node, list[tuple[str, Node]]]:
    """The metadata, the riskgraph violation condition and the attribute tests of a checkov-format policy."""
    extra = sorted(set(data) - {"metadata", "definition", "scope"})
    if extra:
        raise DialectError(extra[0], f"unknown top-level key {extra[0]!r} (allowed: metadata, definition, scope)")
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        raise DialectError("metadata", "`metadata` must be a mapping with id, name and category")
    policy_id = _text(meta, "id") or ""
    if not ID_PATTERN.match(policy_id):
        raise DialectError("metadata.id", f"id {policy_id!r} must be letters, digits, _ . - "
                           "and must not start with RG- (reserved for riskgraph's own policies)")
    name = _text(meta, "name") or ""
    _text(meta, "category")
    severity = str(meta.get("severity") or "medium").lower()
    if severity not in SEVERITIES:
        raise DialectError("metadata.severity", f"severity {meta.get('severity')!r} is not one of "
                           "CRITICAL, HIGH, MEDIUM, LOW, INFO")
    translator = Translator()
    compliant = translator.node(data["definition"], "definition")
    types = set(translator.types)
    if "all" in compliant:
        # checkov: a filter directly under the top-level `and` restricts what the policy reports on
        for child in compliant["all"]:
            if set(child) == {"type"}:
                types &= set(child["type"])
    guideline = _text(meta, "guideline", required=False)
    policy_meta = PolicyMeta(
        id=policy_id, title=name, severity=Severity(severity), description=name,
        remediation=guideline or "", references=(guideline,) if guideline else (),
        resource_types=tuple(sorted(types)),
        checkov_ids=(policy_id,) if policy_id.startswith("CKV") else (),
        source_path=path, category="checkov")
    return policy_meta, {"not": compliant}, translator.leaves


def with_leaf_evidence(check: Check, leaves: list[tuple[str, Check]]) -> Check:
    """Point a violation at the attribute of the first attribute test that fails, when it is set.

    The negated tree loses evidence (a failed test proves nothing), so the
    finding would otherwise sit on the resource's first line.
    """
    def run(ctx: Any, r: Any, v: Any, p: str) -> Outcome:
        truth, evidence, gpath = check(ctx, r, v, p)
        if truth is True and not evidence:
            for attribute, leaf in leaves:
                if leaf(ctx, r, v, p)[0] is False:
                    found = [path for path, x in resolve(v, split_path(attribute), p) if x is not None]
                    if found:
                        return True, (found[0],), gpath
        return truth, evidence, gpath
    return run
