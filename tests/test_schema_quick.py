"""The quick schema check agrees with jsonschema on every shipped schema, and refuses what it cannot do."""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.formats import classify
from scanner.yamlnodes import Document, iter_documents
from scanner.schemas import _validator, load_schema, validate
from scanner.schemas.quick import compile_schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = ["architecture.schema.json", "threagile.schema.json", "otm.schema.json", "policy.schema.json",
           "config.schema.json"]
FORMAT_SCHEMA = {"architecture": "architecture.schema.json", "threagile": "threagile.schema.json",
                 "otm": "otm.schema.json"}


def agree(document: Any, name: str) -> None:
    quick = compile_schema(load_schema(name))
    assert quick is not None
    assert quick(document) == _validator(name).is_valid(document), (name, document)


def _shipped_documents() -> list[tuple[str, str]]:
    """(path, schema) for every architecture, Threagile and policy file the parsers read."""
    found = []
    for top in ("fixtures", "tests", "policies"):
        for directory, _, names in os.walk(os.path.join(ROOT, top)):
            for name in sorted(names):
                path = os.path.join(directory, name)
                if top == "policies" and name.endswith((".yaml", ".yml")):
                    found.append((path, "policy.schema.json"))
                    continue
                with open(path, "rb") as handle:
                    kind = classify(name, handle.read(65536))
                if kind in FORMAT_SCHEMA:
                    found.append((path, FORMAT_SCHEMA[kind]))
    return sorted(found)


def test_shipped_files_agree() -> None:
    files = _shipped_documents()
    assert sum(schema == "policy.schema.json" for _, schema in files) > 200
    assert sum(schema == "architecture.schema.json" for _, schema in files) > 20
    for path, schema in files:
        with open(path, encoding="utf-8") as handle:
            for doc in iter_documents(handle.read()):
                if isinstance(doc, Document):
                    agree(doc.value, schema)


# --- documents generated around the schemas ------------------------------------------------

JUNK = [None, True, False, 0, 1, -1, 1.0, 10.0, 2.5, -0.5, math.nan, math.inf, 65536, 11, "", "x",
        "public", "RG-AWS-001", "CWE-79", "A01", "9bad", [], [""], ["x"], {}, {"param": "p"},
        {"path": "a"}, {"x": 1}]
# copies, so that mutating one generated document never changes another (or JUNK itself)
JUNK_VALUES = st.sampled_from(JUNK).map(copy.deepcopy)
MAX_REFS = 4


def fitting(schema: Any, root: dict[str, Any], refs: int = 0) -> st.SearchStrategy[Any]:
    """Values meant to fit ``schema``; past MAX_REFS nested references, none at all (st.nothing)."""
    if schema is True or schema == {}:
        return JUNK_VALUES
    if "$ref" in schema:
        if refs >= MAX_REFS:
            return st.nothing()
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        return fitting(target, root, refs + 1)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([fitting(s, root, refs) for s in schema[key]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", [])
    return st.one_of([_typed(t, schema, root, refs) for t in ([types] if isinstance(types, str) else types)])


def _typed(kind: str, schema: dict[str, Any], root: dict[str, Any], refs: int) -> st.SearchStrategy[Any]:
    if kind == "object":
        return _object(schema, root, refs)
    if kind == "array":
        items = fitting(schema.get("items", {}), root, refs)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=3)
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(min_size=schema.get("minLength", 0), max_size=12)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", -5), schema.get("maximum", 70000)
        numbers = st.integers(low, high)
        return numbers if kind == "integer" else st.one_of(numbers, st.floats(low, high))
    return {"boolean": st.booleans(), "null": st.none()}[kind]


def _object(schema: dict[str, Any], root: dict[str, Any], refs: int) -> st.SearchStrategy[Any]:
    props = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    values = {k: fitting(v, root, refs) for k, v in props.items()}
    if any(values[k].is_empty for k in required if k in values):
        return st.nothing()
    optional = sorted(k for k in set(values) - set(required) if not values[k].is_empty)
    high = max(min(schema.get("maxProperties", 5) - len(required), len(optional)), 0)
    low = min(max(schema.get("minProperties", 0) - len(required), 0), high)
    extra_values = fitting(extra, root, refs) if isinstance(extra, dict) else st.nothing()

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        doc = {k: draw(values[k]) for k in required if k in values}
        chosen = draw(st.lists(st.sampled_from(optional), min_size=low, max_size=high, unique=True)) \
            if optional else []
        for k in chosen:
            doc[k] = draw(values[k])
        if not extra_values.is_empty:
            for k in draw(st.lists(st.text(max_size=3), max_size=2)):
                doc.setdefault(k, draw(extra_values))
        return doc

    return build()


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _paths(v, prefix + (i,))
    return found


def mutate(data: Any, doc: Any) -> Any:
    """One typical mistake somewhere in ``doc``: a wrong value, a missing key, an extra key."""
    path = data.draw(st.sampled_from(_paths(doc)))
    if not path:
        return data.draw(JUNK_VALUES)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    how = data.draw(st.sampled_from(["replace", "delete", "extra"]))
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "extra" and isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["zzz", "Id", "type", "tags", "param"]))] = data.draw(
            JUNK_VALUES)
    else:
        parent[path[-1]] = data.draw(JUNK_VALUES)
    return doc


FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", SCHEMAS)
def test_generated_documents_agree(name: str) -> None:
    schema = load_schema(name)

    @FAST
    @given(fitting(schema, schema), st.data())
    def check(document: Any, data: Any) -> None:
        agree(document, name)
        agree(mutate(data, document), name)

    check()


def _valid_architecture() -> dict[str, Any]:
    return {"version": 1, "zones": [{"id": "net", "trust": 0}],
            "components": [{"id": "web", "type": "api", "zone": "net",
                            "implemented_by": ["aws_lb.web", {"tags": {"app": "web"}}]}],
            "flows": [{"from": "web", "to": "web", "port": 443}],
            "roles": [{"id": "ops", "kind": "human", "members": 2}]}


@pytest.mark.parametrize("where, value", [
    (("version",), 1.0), (("version",), True), (("version",), 2), (("zones", 0, "trust"), 10.0),
    (("zones", 0, "trust"), 10.5), (("zones", 0, "trust"), False), (("zones", 0, "trust"), 11),
    (("flows", 0, "port"), math.nan), (("flows", 0, "port"), 65535.0), (("flows", 0, "port"), -1),
    (("roles", 0, "members"), 0), (("roles", 0, "members"), True), (("components", 0, "id"), ""),
    (("components", 0, "id"), "-web"), (("components", 0, "id"), "wéb"), (("components", 0, "type"), "API"),
    (("components", 0, "implemented_by", 0), ""),
    (("components", 0, "implemented_by", 1), {"tags": {}, "labels": {}}),
    (("components", 0, "implemented_by", 1), {"tags": {"a": 1}}), (("components",), ()), (("name",), None),
])
def test_architecture_edge_values_agree(where: tuple[Any, ...], value: Any) -> None:
    doc = _valid_architecture()
    agree(doc, "architecture.schema.json")
    node: Any = doc
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    agree(doc, "architecture.schema.json")


def _policy(condition: dict[str, Any]) -> dict[str, Any]:
    return {"id": "RG-AWS-001", "title": "A long enough title", "severity": "high",
            "description": "A long enough description", "remediation": "A long enough remedy",
            "resource": ["aws_s3_bucket"], "condition": condition}


@pytest.mark.parametrize("condition", [
    {"path": "a", "exists": True}, {"path": "a"}, {"path": "a", "exists": True, "match": "all", "equals": 1},
    {"path": "a", "gt": True}, {"path": "a", "length_gt": 1.0}, {"path": "a", "equals": {"param": "p"}},
    {"all": [{"path": "a", "exists": True}]}, {"all": []}, {"not": {"type": ["aws_s3_bucket"]}},
    {"connected": {"edge": "routes", "hops": 10.0}}, {"reachable_from": {"node": "internet", "max_hops": 0}},
])
def test_policy_conditions_agree(condition: dict[str, Any]) -> None:
    agree(_policy(condition), "policy.schema.json")


def test_deep_documents_are_left_to_jsonschema() -> None:
    condition: dict[str, Any] = {"path": "a", "exists": True}
    for _ in range(40):
        condition = {"not": condition}
    quick = compile_schema(load_schema("policy.schema.json"))
    assert quick is not None and not quick(_policy(condition))
    assert validate(_policy(condition), "policy.schema.json") == []


@pytest.mark.parametrize("schema", [
    {"type": "object", "unevaluatedProperties": False},
    {"type": "string", "format": "email"},
    {"properties": {"a": {"const": 1}}},
    {"items": [{"type": "string"}]},
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "integer"},
    {"properties": {"a": {"$id": "inner", "type": "string"}}},
    {"$ref": "other.json#/$defs/a"},
    {"$ref": "#/$defs/a~1b", "$defs": {"a/b": {}}},
    {"enum": [1, "1"]},
    {"type": "decimal"},
])
def test_schemas_outside_the_subset_compile_to_none(schema: dict[str, Any]) -> None:
    assert compile_schema(schema) is None


def test_every_shipped_schema_compiles() -> None:
    for name in SCHEMAS:
        assert compile_schema(load_schema(name)) is not None, name
