"""The checkov bridge: the checkov command runs as a separate process; its checks are merged, de-duplicated, its skips honoured."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, need_tool
from scanner.bridge.checkov import available
from scanner.cli import main

FIXTURES = os.path.join(ROOT, "fixtures")
CASE = os.path.join(FIXTURES, "cases", "cli", "checkov")


@pytest.mark.checkov
def test_checkov_findings_are_merged_and_deduplicated():
    need_tool(available(), "the checkov command")
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


@pytest.mark.checkov
def test_checkov_never_runs_inside_riskgraph(tmp_path):
    """The bridge is a subprocess: riskgraph's interpreter never imports checkov (nor its pins)."""
    need_tool(available(), "the checkov command")
    code = ("import sys; from scanner.api import scan; "
            f"r = scan([{CASE!r}], only=['RG-AWS-001'], base={CASE!r}, with_checkov=True); "
            "assert any(f.policy_id == 'CKV2_AWS_5' for f in r.findings); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'checkov'], 'imported'")
    env = {**os.environ, "PYTHONPATH": ROOT, "RISKGRAPH_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]


def test_checkov_that_fails_is_a_diagnostic_not_a_crash(tmp_path):
    fake = tmp_path / "checkov"
    fake.write_text("#!/bin/sh\necho 'checkov: broken install' >&2\nexit 2\n")
    fake.chmod(0o755)
    from scanner.api import scan

    report = scan([CASE], only=["RG-AWS-001"], base=CASE, with_checkov=True, checkov_path=str(fake))
    diags = [(d.code, d.path) for d in report.diagnostics if d.code == "checkov-failed"]
    assert diags == [("checkov-failed", "main.tf")]
    assert "checkov: broken install" in next(d.message for d in report.diagnostics
                                               if d.code == "checkov-failed")
    # its own findings are still there
    assert ("RG-AWS-001", 10) in {(f.policy_id, f.location.start_line) for f in report.findings}


def test_without_checkov_the_message_is_clear(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))            # no checkov command anywhere
    code = main(["scan", CASE, "--with-checkov"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--with-checkov needs the checkov command on PATH" in err
    code = main(["scan", CASE, "--with-checkov", "--checkov-path", str(tmp_path / "nope")])
    assert code == 2 and "is not an executable file" in capsys.readouterr().err
