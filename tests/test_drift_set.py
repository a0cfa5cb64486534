"""The drift set: intent/code pairs, each with the drift findings expected (both sides named) or silence; precision and recall must be 100 %."""

from __future__ import annotations

import os

import pytest
import yaml

from conftest import FIXTURES
from scanner.api import scan
from scanner.policy.loader import load_policies

CASES_FILE = os.path.join(FIXTURES, "drift", "cases.yaml")
CASES = yaml.safe_load(open(CASES_FILE, encoding="utf-8"))["cases"]
FILES = ("architecture", "main.tf", "k8s.yaml")


def _drift_ids():
    return sorted(p.meta.id for p in load_policies() if p.meta.id.startswith("RG-DRIFT-"))


def _write(case, folder):
    for key in FILES:
        if key in case:
            name = "architecture.yaml" if key == "architecture" else key
            with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                handle.write(case[key])


def run_case(case, folder):
    """(policy, resource, file, line, architecture line) of every drift finding of one pair."""
    _write(case, folder)
    report = scan([folder], base=folder, only=_drift_ids())
    assert [d for d in report.diagnostics if d.level == "error"] == []
    got = set()
    for f in report.findings:
        arch = [loc.start_line for loc in f.related if loc.path == "architecture.yaml"]
        got.add((f.policy_id, f.resource, f.location.path, f.location.start_line,
                 arch[0] if arch else None))
    return got


def _expected(case):
    return {tuple(e) for e in case["expect"]}


def test_the_set_is_large_and_covers_every_drift_policy():
    assert len(CASES) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)
    expected = {e[0] for c in CASES for e in c["expect"]}
    assert expected == set(_drift_ids())
    assert sum(1 for c in CASES if not c["expect"]) >= 15         # silence is tested as much


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_drift_case(case, tmp_path):
    assert run_case(case, str(tmp_path)) == _expected(case)


def test_drift_findings_name_both_sides(tmp_path):
    """Where the component has code, the finding is on the code and names the architecture line."""
    for case in CASES:
        for policy, resource, path, _, arch_line in case["expect"]:
            if policy in ("RG-DRIFT-004", "RG-DRIFT-005"):      # one side does not exist
                continue
            assert path != "architecture.yaml" and not resource.startswith("arch:")
            assert arch_line is not None, case["id"]


def score(tmp_root):
    """Precision and recall of the drift policies over the whole set, in per cent."""
    true_pos = false_pos = false_neg = 0
    for i, case in enumerate(CASES):
        folder = os.path.join(tmp_root, str(i))
        os.makedirs(folder)
        got, want = run_case(case, folder), _expected(case)
        true_pos += len(got & want)
        false_pos += len(got - want)
        false_neg += len(want - got)
    precision = 100.0 * true_pos / (true_pos + false_pos) if true_pos + false_pos else 100.0
    recall = 100.0 * true_pos / (true_pos + false_neg) if true_pos + false_neg else 100.0
    return precision, recall, true_pos


def test_precision_and_recall_are_100_percent(tmp_path):
    precision, recall, found = score(str(tmp_path))
    assert (precision, recall) == (100.0, 100.0)
    assert found == sum(len(c["expect"]) for c in CASES)


if __name__ == "__main__":          # python tests/test_drift_set.py: print the two numbers
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        p, r, n = score(root)
    print(f"drift set: {len(CASES)} pairs, {n} expected findings; precision {p:.1f} %, "
          f"recall {r:.1f} %")
