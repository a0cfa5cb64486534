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


# The JSON reporter writes findings directly (scanner/report/json.py); its bytes must stay
# those of the generic writer over ``to_dict``, whatever a finding holds.
from scanner.model import Finding, Line, Location, PathStep, PolicyMeta, Report, Severity, Suppression  # noqa: E402
from scanner.report import json as json_report  # noqa: E402

TEXT = st.text(max_size=6)
LINES = st.integers(min_value=0, max_value=10**6) | st.builds(Line, st.integers(0, 999), TEXT)
LOCATIONS = st.builds(Location, TEXT, LINES, LINES)
FINDINGS = st.builds(
    Finding, policy_id=st.sampled_from(["P-1", "P-2", "P-\u00e9"]), severity=st.sampled_from(list(Severity)),
    resource=TEXT, location=LOCATIONS, message=TEXT, evidence=st.lists(TEXT, max_size=3).map(tuple),
    path=st.lists(st.builds(PathStep, TEXT, st.none() | LOCATIONS, TEXT, TEXT), max_size=2).map(tuple),
    suppression=st.none() | st.builds(Suppression, TEXT, TEXT, TEXT, st.none() | TEXT),
    block=st.none() | LOCATIONS, elements=st.lists(LOCATIONS, max_size=2).map(tuple))
METAS = (PolicyMeta("P-1", "One \"quoted\"", Severity.LOW, frameworks={"cis": ("1.1", "2"), "a": ()},
                    cwe=("CWE-1",)),
         PolicyMeta("P-2", "Two", Severity.HIGH))  # P-é has no metadata: an empty policy part


@settings(max_examples=200, deadline=None)
@given(st.lists(FINDINGS, max_size=6))
def test_json_report_bytes_match_the_generic_writer(findings: list[Finding]) -> None:
    report = Report(findings=tuple(findings), diagnostics=(), policies=METAS, stats={"files": 1})
    expected = pretty.dumps(json_report.to_dict(report)) + "\n"
    assert json_report.render(report) == expected
    batch, json_report._BATCH = json_report._BATCH, 2  # written in pieces of two findings
    keys, json_report._TEMPLATE_KEYS = json_report._TEMPLATE_KEYS, ()  # and key by key
    try:
        pieces = list(json_report.chunks(report))
    finally:
        json_report._BATCH, json_report._TEMPLATE_KEYS = batch, keys
    assert "".join(pieces) == expected
    # the head, the findings two at a time, the tail (no findings: the document in one piece)
    counts = [p.count('"policy_id"') for p in pieces]
    assert counts == ([0, *[2] * (len(findings) // 2), *[1] * (len(findings) % 2), 0] if findings else [0])


def test_json_report_writes_findings_with_the_one_f_string_writer():
    """The fast writer knows every key finding_dict writes: a key added there without here
    silently sends every report down the slow key-by-key path."""
    assert json_report._keys() == json_report._TEMPLATE_KEYS


def test_json_report_follows_finding_dict_when_it_gains_a_key(monkeypatch):
    """A key the one-f-string writer does not know (a new field) is written key by key, never dropped."""
    report = Report(findings=(Finding("P-1", Severity.LOW, "r", Location("a.tf", 3, 4), "m", ("x",)),
                              Finding("P-2", Severity.HIGH, "s", Location("b.tf", 1, 9), "n")),
                    diagnostics=(), policies=METAS, stats={})
    plain = json_report.render(report)
    real = json_report.finding_dict

    def grown(f, meta, shared=None):
        return {**real(f, meta, shared), "extra": {"lines": [f.location.start_line], "none": None}}

    monkeypatch.setattr(json_report, "finding_dict", grown)
    expected = pretty.dumps(json_report.to_dict(report)) + "\n"
    assert json_report.render(report) == expected != plain and '"extra": {' in expected
