"""docs/coverage.md is generated from checkov's registry, the policies' `checkov:` ids and scanner/policy/coverage.yaml."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from conftest import need_tool
from scanner.policy.coverage import REASONS_FILE, build, checkov_python, render_coverage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "coverage.md")


@pytest.mark.checkov
def test_coverage_page_is_up_to_date():
    need_tool(checkov_python() is not None, "checkov")
    with open(PAGE, encoding="utf-8") as handle:
        assert handle.read() == build(), "docs/coverage.md is stale; run `python -m scanner.policy.coverage`"


def test_rows_come_from_policies_reasons_and_gaps():
    with open(REASONS_FILE, encoding="utf-8") as handle:
        reasons = yaml.safe_load(handle)
    # a "Not yet covered" reason of its own: the real file's gaps close one by one
    reasons["checks"]["CKV_AZURE_997"] = "Not yet covered: the public endpoint of a service riskgraph has no policy on."
    checks = {
        "CKV_AWS_17": {"name": "Ensure RDS is not public", "categories": ["NETWORKING"], "types": {"aws_db_instance"}},
        "CKV_AWS_9": {"name": "Password expiry", "categories": ["IAM"], "types": {"aws_iam_account_password_policy"}},
        "CKV_AWS_149": {"name": "Ensure secret is encrypted using KMS CMK", "categories": ["ENCRYPTION"],
                        "types": {"aws_secretsmanager_secret"}},
        "CKV_AWS_999": {"name": "Something new", "categories": ["LOGGING"], "types": {"aws_thing"}},
        "CKV_AWS_998": {"name": "Out of theme", "categories": ["BACKUP_AND_RECOVERY"], "types": {"aws_thing"}},
        "CKV_AZURE_1": {"name": "Ensure VM password auth off", "categories": ["IAM"], "types": {"azurerm_linux_virtual_machine"}},
        "CKV_AZURE_997": {"name": "Ensure a made-up service disables public network access",
                          "categories": ["NETWORKING"], "types": {"azurerm_made_up"}},
    }
    policies = [{"id": "RG-AWS-002", "checkov": ["CKV_AWS_17"]}, {"id": "RG-AZ-013", "checkov": ["CKV_AZURE_1"]}]
    page = render_coverage(checks, policies, reasons, "x")
    rows = {m.group(1): (m.group(2), m.group(3)) for m in
            re.finditer(r"^\| (CKV_\w+) \| [^|]* \| (\w+) \| (.*) \|$", page, re.M)}
    assert rows["CKV_AWS_17"] == ("covered", "[RG-AWS-002](policies/RG-AWS-002.md)")
    assert rows["CKV_AWS_9"][0] == "reason" and "800-63B" in rows["CKV_AWS_9"][1]
    assert rows["CKV_AWS_149"][0] == "reason" and "key custody" in rows["CKV_AWS_149"][1]
    assert rows["CKV_AWS_999"] == ("gap", "no equivalent yet")
    assert "CKV_AWS_998" not in rows
    assert rows["CKV_AZURE_1"][0] == "covered"
    assert rows["CKV_AZURE_997"][0] == "reason" and rows["CKV_AZURE_997"][1].startswith("Not yet covered: the public")
    assert "Covered by a policy: 2; not covered, with a reason: 3; gaps: 1. Of the reasons, 1 start" in page
