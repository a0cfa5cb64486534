"""`riskgraph policies test DIR`: a policy author's own policies against their own fixtures."""

from __future__ import annotations

import textwrap

from scanner.api import scan
from scanner.policy.selftest import format_report, run_policy_tests

POLICY = """\
id: RG-ACME-001
title: Buckets must not be publicly readable
severity: high
description: A bucket uses a public canned ACL.
remediation: Use a private ACL and grant access through policies.
resource: [aws_s3_bucket]
condition:
  path: acl
  in: [public-read, public-read-write]
"""
FAIL_TF = """\
resource "aws_s3_bucket" "ok" {
  acl = "private"
}

resource "aws_s3_bucket" "open" {
  bucket = "x"
  acl    = "public-read"
}
"""


def author_dir(tmp_path, expected_line=7, pass_acl="private"):
    (tmp_path / "policies").mkdir(parents=True)
    (tmp_path / "policies" / "RG-ACME-001.yaml").write_text(POLICY)
    fx = tmp_path / "fixtures" / "RG-ACME-001"
    (fx / "fail").mkdir(parents=True)
    (fx / "pass").mkdir()
    (fx / "fail" / "main.tf").write_text(FAIL_TF)
    (fx / "pass" / "main.tf").write_text(f'resource "aws_s3_bucket" "b" {{\n  acl = "{pass_acl}"\n}}\n')
    (fx / "expected.yaml").write_text(textwrap.dedent(f"""\
        fail:
          - {{resource: aws_s3_bucket.open, file: main.tf, line: {expected_line}}}
        """))
    return str(tmp_path)


def test_passing_fixtures(tmp_path):
    report = run_policy_tests(author_dir(tmp_path), scan)
    assert report.ok
    assert [(r.policy_id, r.kind, r.ok) for r in report.results] == [("RG-ACME-001", "fail", True),
                                                                      ("RG-ACME-001", "pass", True)]


def test_wrong_line_and_unexpected_pass_failure_are_reported(tmp_path):
    report = run_policy_tests(author_dir(tmp_path, expected_line=6, pass_acl="public-read-write"), scan)
    fail, passed = report.results
    assert fail.missing == (("aws_s3_bucket.open", "main.tf", 6),)
    assert fail.unexpected == (("aws_s3_bucket.open", "main.tf", 7),)
    assert passed.unexpected == (("aws_s3_bucket.b", "main.tf", 2),)
    text = format_report(report)
    assert "FAIL RG-ACME-001 fail" in text and "0/2 fixture cases passed" in text


def test_missing_fixtures_are_a_failure(tmp_path):
    (tmp_path / "RG-ACME-001.yaml").write_text(POLICY)
    report = run_policy_tests(str(tmp_path), scan)
    assert not report.ok
    assert [r.problem.split(" ")[0] for r in report.results] == ["missing", "missing"]


def test_cli_exit_codes(tmp_path, capsys):
    from scanner.cli import main

    good = author_dir(tmp_path / "good")
    assert main(["policies", "test", good]) == 0
    assert "2/2 fixture cases passed" in capsys.readouterr().out
    bad = author_dir(tmp_path / "bad", expected_line=1)
    assert main(["policies", "test", bad]) == 1
    (tmp_path / "good" / "policies" / "RG-ACME-001.yaml").write_text(POLICY.replace("in:", "inn:"))
    assert main(["policies", "test", good]) == 2
    assert "unknown operator 'inn'" in capsys.readouterr().err


def test_checkov_format_policies_are_tested_by_their_own_id(tmp_path):
    author_dir(tmp_path)
    (tmp_path / "policies" / "private.yaml").write_text("""\
metadata: {id: CKV2_ACME_9, name: Buckets must be private, category: GENERAL_SECURITY}
definition:
  cond_type: attribute
  resource_types: [aws_s3_bucket]
  attribute: acl
  operator: equals
  value: private
""")
    fx = tmp_path / "fixtures" / "CKV2_ACME_9"
    (fx / "fail").mkdir(parents=True)
    (fx / "pass").mkdir()
    (fx / "fail" / "main.tf").write_text(FAIL_TF)
    (fx / "pass" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  acl = "private"\n}\n')
    (fx / "expected.yaml").write_text("fail:\n  - {resource: aws_s3_bucket.open, file: main.tf, line: 7}\n")  # the acl line
    report = run_policy_tests(str(tmp_path), scan)
    assert [(r.policy_id, r.kind, r.ok) for r in report.results] == [
        ("CKV2_ACME_9", "fail", True), ("CKV2_ACME_9", "pass", True),
        ("RG-ACME-001", "fail", True), ("RG-ACME-001", "pass", True)]
