"""The JSON Schemas that ship with riskgraph, and validation with precise paths and lines."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional

from ..model import line_at
from .quick import compile_schema

SCHEMA_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class SchemaError:
    """One violation: where in the document (``components[2].zone``), what, and its line."""

    path: str
    message: str
    line: Optional[int]

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}at {self.path or '(top level)'}: {self.message}"


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A schema shipped in this package, by file name (``policy.schema.json``)."""
    with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as handle:
        schema = json.load(handle)
    if name == "policy.schema.json":  # the layers a policy may name are the formats' (one list: the registry)
        schema["properties"]["layer"]["enum"] = policy_layers()
    return schema


def policy_layers() -> list[str]:
    """The layers of the registered formats, sorted: what a policy's ``layer:`` may be."""
    from ..formats import FORMATS

    return sorted({f.layer.value for f in FORMATS.values()})


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=None)
def _quick(name: str) -> Optional[Callable[[Any], bool]]:
    return compile_schema(load_schema(name))


def validate(document: Any, name: str, lines: Mapping[str, int] | None = None) -> list[SchemaError]:
    """Every schema violation of ``document``, best first, with the line of each path."""
    quick = _quick(name)
    if quick is not None and quick(document):
        return []  # exactly what jsonschema would find, without importing it (see quick.py)
    lines = lines or {}
    errors = []
    for error in _validator(name).iter_errors(document):
        for leaf in _leaves(error):
            parts = list(leaf.absolute_path)
            errors.append(SchemaError(render_path(parts), _message(leaf), _line(parts, lines)))
    errors.sort(key=lambda e: (e.line or 0, e.path))
    seen: set[tuple[str, str]] = set()
    unique = []
    for e in errors:
        if (e.path, e.message) not in seen:
            seen.add((e.path, e.message))
            unique.append(e)
    return unique


def _leaves(error: Any) -> list[Any]:
    """For oneOf/anyOf, the sub-errors that went deepest say the most."""
    if not error.context:
        return [error]
    deepest = max(len(e.absolute_path) for e in error.context)
    if deepest <= len(error.absolute_path):
        return [error]
    return [e for e in error.context if len(e.absolute_path) == deepest][:3]


def _message(error: Any) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown key {', '.join(map(repr, extra))} (allowed: {allowed})"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    quoted = repr(error.instance)
    if len(quoted) > MAX_QUOTED and error.message.startswith(quoted):
        # a whole section quoted back says less than what it is
        return _summary(error.instance) + error.message[len(quoted):]
    return error.message


# A value longer than this (as Python writes it) is described in a message, not quoted.
MAX_QUOTED = 80


def _summary(value: Any) -> str:
    """A short description of a long value: ``a list of 3 items``, ``a mapping of 2 keys``, ``a string of 90 characters``."""
    if isinstance(value, list):
        return f"a list of {len(value)} item" + ("s" if len(value) != 1 else "")
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key" + ("s" if len(value) != 1 else "")
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return f"a {type(value).__name__}"


def render_path(parts: list[Any]) -> str:
    """``['components', 2, 'zone']`` -> ``components[2].zone``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _line(parts: list[Any], lines: Mapping[str, int]) -> Optional[int]:
    return line_at(lines, ".".join(str(p) for p in parts))
