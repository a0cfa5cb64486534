"""Whole-output snapshots of JSON, SARIF, JUnit and Markdown for a fixed fixture.

Refresh after an intended change with ``RISKGRAPH_UPDATE_SNAPSHOTS=1 pytest tests/test_report_snapshots.py``
and review the diff.
"""

from __future__ import annotations

import os

import pytest

from scanner.api import scan
from scanner.report import render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

SNAPSHOTS = os.path.join(os.path.dirname(__file__), "snapshots")
SHOP = os.path.join(FIXTURES, "cases", "cli", "shop")
POLICIES = ["RG-AWS-001", "RG-AWS-002", "RG-AWS-004", "RG-PATH-001", "RG-K8S-001", "RG-K8S-002"]
UPDATE = os.environ.get("RISKGRAPH_UPDATE_SNAPSHOTS") == "1"
ROOT_URI = "file://" + ROOT.replace(os.sep, "/") + "/"


def _normalise(text: str) -> str:
    """The only absolute path in any output is SARIF's originalUriBaseIds."""
    return text.replace(ROOT_URI, "file:///ROOT/")


@pytest.fixture(scope="module")
def report():
    return scan([SHOP], only=POLICIES, base=ROOT)


@pytest.mark.parametrize("fmt,name", [("json", "shop.json"), ("sarif", "shop.sarif.json"),
                                      ("junit", "shop.junit.xml"), ("markdown", "shop.md")])
def test_snapshot(report, fmt, name):
    got = _normalise(render(report, fmt, root=ROOT))
    path = os.path.join(SNAPSHOTS, name)
    if UPDATE or not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(got)
        if not UPDATE:
            pytest.fail(f"snapshot {name} was missing and has been written; review and rerun")
    with open(path, encoding="utf-8") as handle:
        assert got == handle.read(), f"{name} changed; refresh with RISKGRAPH_UPDATE_SNAPSHOTS=1"


def test_outputs_are_deterministic(report):
    again = scan([SHOP], only=POLICIES, base=ROOT)
    for fmt in ("json", "sarif", "junit", "markdown", "text"):
        assert render(report, fmt, root=ROOT) == render(again, fmt, root=ROOT)


def test_no_absolute_paths_outside_the_uri_base(report):
    for fmt in ("json", "sarif", "junit", "markdown", "text"):
        assert ROOT not in _normalise(render(report, fmt, root=ROOT)), fmt
