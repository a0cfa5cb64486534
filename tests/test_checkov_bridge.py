"""The checkov bridge: checkov's checks run in-process, merged, de-duplicated, and its skips honoured."""

from __future__ import annotations

import os

import pytest

from scanner.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

CASE = os.path.join(FIXTURES, "cases", "cli", "checkov")


@pytest.mark.checkov
def test_checkov_findings_are_merged_and_deduplicated():
    pytest.importorskip("checkov")
    from scanner.api import scan

    report = scan([CASE], only=["RG-AWS-001", "RG-K8S-002"], base=CASE, with_checkov=True)
    got = {(f.policy_id, f.resource, f.location.path, f.location.start_line):
           (f.severity.value, f.suppression.reason if f.suppression else None)
           for f in report.findings}
    # riskgraph's own findings; the rdp one is suppressed by checkov:skip=CKV_AWS_25,
    # which RG-AWS-001 declares as its checkov equivalent
    assert got[("RG-AWS-001", "aws_security_group.ssh", "main.tf", 10)] == ("high", None)
    assert got[("RG-AWS-001", "aws_security_group.rdp", "main.tf", 24)] == (
        "high", "jump host for the support desk, reviewed quarterly")
    assert got[("RG-K8S-002", "k8s:core/Pod/ops/tool", "pod.yaml", 11)] == ("high", None)
    # checkov's own checks, mapped to riskgraph addresses (the Pod by file and line)
    assert got[("CKV2_AWS_5", "aws_security_group.ssh", "main.tf", 1)] == ("medium", None)
    assert got[("CKV_K8S_20", "k8s:core/Pod/ops/tool", "pod.yaml", 1)] == ("medium", None)
    # duplicates of riskgraph policies that declare the same checkov id are dropped
    ids = {key[0] for key in got}
    assert not ids & {"CKV_AWS_24", "CKV_AWS_25", "CKV_K8S_16"}
    # checkov checks become SARIF rules, mapped to frameworks where known
    metas = {m.id: m for m in report.policies}
    assert metas["CKV_K8S_20"].frameworks == {"owasp-top10-2021": ("A05",),
                                              "cis-kubernetes": ("5.2.6",)}
    assert metas["CKV2_AWS_5"].frameworks == {}
    skipped = scan([CASE], only=["RG-AWS-001"], skip=["CKV2_AWS_5"], base=CASE, with_checkov=True)
    assert "CKV2_AWS_5" not in {f.policy_id for f in skipped.findings}


def test_without_checkov_the_message_is_clear(monkeypatch, capsys):
    import scanner.bridge.checkov as bridge

    monkeypatch.setattr(bridge, "available", lambda: False)
    code = main(["scan", CASE, "--with-checkov"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--with-checkov needs checkov: pip install 'riskgraph[checkov]'" in err
