"""Suppressions: inline comments (HCL and YAML), the Kubernetes annotation, checkov:skip, expiry, baselines."""

from __future__ import annotations

import datetime
import json
import os

import pytest

from scanner.api import scan
from scanner.suppress import BaselineError, baseline_document, comment_directives, load_baseline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

SUPPRESS = os.path.join(FIXTURES, "cases", "suppress")
ONLY = ["RG-AWS-001", "RG-K8S-002"]


def _state(report) -> dict[tuple[str, str, int], object]:
    return {(f.resource, f.location.path, f.location.start_line):
            (f.suppression.source, f.suppression.reason) if f.suppression else None
            for f in report.findings}


@pytest.fixture(scope="module")
def report():
    return scan([SUPPRESS], only=ONLY, base=SUPPRESS, today=datetime.date(2026, 6, 1))


def test_which_findings_are_suppressed_and_by_what(report):
    assert _state(report) == {
        ("aws_security_group.above", "main.tf", 7):
            ("main.tf:1", "bastion range, reviewed by secops (SEC-1)"),
        ("aws_security_group.offending_line", "main.tf", 16):
            ("main.tf:16", "temporary during the VPN migration"),
        ("aws_security_group.no_reason", "main.tf", 25): None,
        ("aws_security_group.expired", "main.tf", 34): None,
        ("aws_security_group.future", "main.tf", 43): ("main.tf:38", "approved exception"),
        ("aws_security_group.checkov", "main.tf", 53): ("main.tf:48", "bastion only"),
        ("aws_security_group.wrong_id", "main.tf", 62): None,
        ("aws_security_group.active", "main.tf", 71): None,
        ("k8s:apps/Deployment/kube-system/cni", "workloads.yaml", 19):
            ("workloads.yaml:6", "the CNI agent needs host network privileges"),
        ("k8s:apps/Deployment/default/unexplained", "workloads.yaml", 40):
            ("workloads.yaml:39", "debugging build, removed before release"),
        ("k8s:apps/Deployment/default/plain", "workloads.yaml", 58): None,
    }
    future = next(f for f in report.findings if f.resource == "aws_security_group.future")
    assert future.suppression.expires == "2999-01-31" and future.suppression.kind == "inSource"


def test_problems_with_directives_are_diagnostics(report):
    assert sorted((d.code, d.path, d.line) for d in report.diagnostics) == [
        ("suppression-expired", "main.tf", 29),
        ("suppression-without-reason", "main.tf", 20),
        ("suppression-without-reason", "workloads.yaml", 26),
    ]


def test_expiry_depends_on_the_date():
    before = scan([SUPPRESS], only=["RG-AWS-001"], base=SUPPRESS, today=datetime.date(2020, 1, 31))
    expired = next(f for f in before.findings if f.resource == "aws_security_group.expired")
    assert expired.suppression is not None and expired.suppression.reason == "old exception"
    assert not [d for d in before.diagnostics if d.code == "suppression-expired"]


def test_suppressions_can_be_turned_off():
    report = scan([SUPPRESS], only=ONLY, base=SUPPRESS, suppressions=False)
    assert all(f.suppression is None for f in report.findings)
    assert not report.diagnostics


def test_comment_parsing_edge_cases():
    text = ("a = 1 # riskgraph:ignore=RG-A-001,RG-B-002 two at once\n"
            "// riskgraph:ignore=RG-C-003 until=2027-13-45 bad date\n"
            "# riskgraph:ignore\n"
            "/* riskgraph:ignore=RG-D-004 block comment */\n"
            "# checkov:skip=CKV_AWS_20\n")
    found, problems = comment_directives("x.tf", text)
    assert [(d.ids, d.reason, d.line, d.checkov) for d in found] == [
        (("RG-A-001", "RG-B-002"), "two at once", 1, False),
        (("RG-D-004",), "block comment", 4, False),
        (("CKV_AWS_20",), "checkov:skip=CKV_AWS_20", 5, True),
    ]
    assert [(p.code, p.line) for p in problems] == [("suppression-bad-date", 2),
                                                    ("suppression-malformed", 3)]


def test_baseline_round_trip(tmp_path):
    first = scan([SUPPRESS], only=ONLY, base=SUPPRESS)
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline_document(first.findings)))
    assert load_baseline(str(path)) == {f.fingerprint for f in first.active_findings}
    again = scan([SUPPRESS], only=ONLY, base=SUPPRESS, baseline=str(path))
    assert again.active_findings == ()
    by_kind = {f.resource: f.suppression.kind for f in again.findings}
    assert by_kind["aws_security_group.active"] == "external"
    assert by_kind["aws_security_group.above"] == "inSource"   # inline wins over the baseline


def test_new_finding_after_baseline_is_reported(tmp_path):
    work = tmp_path / "infra"
    work.mkdir()
    tf = work / "main.tf"
    rule = ('resource "aws_security_group" "%s" {\n  ingress {\n    from_port = 22\n'
            '    to_port = 22\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')
    tf.write_text(rule % "old")
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps(baseline_document(
        scan([str(work)], only=["RG-AWS-001"], base=str(work)).findings)))
    tf.write_text(rule % "old" + "\n" + rule % "new")
    report = scan([str(work)], only=["RG-AWS-001"], base=str(work), baseline=str(baseline))
    assert [(f.resource, f.location.start_line) for f in report.active_findings] == [
        ("aws_security_group.new", 15)]


@pytest.mark.parametrize("content,message", [
    ("not json", "not valid JSON"),
    ('{"version": 7, "findings": []}', "not a riskgraph baseline"),
    ('{"version": 1, "findings": [{"fp": 1}]}', "not a riskgraph baseline"),
])
def test_bad_baseline_names_the_file(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=message) as info:
        load_baseline(str(path))
    assert str(path) in str(info.value)
