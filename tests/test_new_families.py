"""Behaviour of the issue-15 families beyond their fixtures: parameters, several offending statements."""

from __future__ import annotations

import os
import shutil

from scanner.api import scan

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def _copy(tmp_path, policy: str) -> str:
    root = os.path.join(str(tmp_path), "root")
    shutil.copytree(os.path.join(FIXTURES, policy, "fail"), root)
    return root


def test_trusted_principals_exempts_your_own_accounts(tmp_path):
    root = _copy(tmp_path, "RG-AWS-097")
    report = scan([root], only=["RG-AWS-097"], base=root,
                  parameters={"RG-AWS-097": {"trusted_principals": ["arn:aws:iam::111122223333:root"]}})
    assert [(f.resource, f.location.start_line) for f in report.findings] == [("aws_iam_role.audit", 25)]
