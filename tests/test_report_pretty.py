"""The fast indented JSON writer gives exactly json.dumps(indent=2, ensure_ascii=False)."""

from __future__ import annotations

import enum
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.report import pretty

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text())
VALUES = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=5) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.text(max_size=8), inner, max_size=5)),
    max_leaves=40)


def reference(value: object, indent: int = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_same_text_as_json_dumps(value: object) -> None:
    assert pretty.dumps(value) == reference(value)


@pytest.mark.parametrize("value", [
    {}, [], (), {"a": {}}, [[]], "",
    {"é": "\u2028 \x00 \x1f \" \\ \ud800"},      # non-ASCII kept, controls and a lone surrogate escaped
    {1: "int key", 2.5: "float key", None: "null key"},
    {True: "bool key", False: "another"},
    [float("nan"), float("inf"), -float("inf"), -0.0, 1e300, 10**30],
])
def test_edge_values(value: object) -> None:
    assert pretty.dumps(value) == reference(value)


class Colour(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_of_scalars_as_json_writes_them() -> None:
    value = {"colour": Colour.RED, "level": Level.HIGH, "nested": [Colour.RED]}
    assert pretty.dumps(value) == reference(value)


def test_other_indent() -> None:
    value = {"a": [1, {"b": None}]}
    assert pretty.dumps(value, indent=4) == reference(value, indent=4)


@pytest.mark.parametrize("value", [{"x": object()}, {(1, 2): "tuple key"}, [b"bytes"]])
def test_refuses_what_json_refuses(value: object) -> None:
    with pytest.raises(TypeError):
        reference(value)
    with pytest.raises(TypeError):
        pretty.dumps(value)
