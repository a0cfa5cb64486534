"""Literal secrets in the places issue 15 names: Secrets Manager values and keys copied into Lambda, CodeBuild and Elastic Beanstalk environments."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import scan

CASE = os.path.join(FIXTURES, "cases", "terraform", "secret_places")


def test_each_literal_is_found_at_its_line_and_a_generated_one_is_not():
    report = scan([CASE], base=CASE, only=["RG-SEC-001", "RG-SEC-002"])
    assert sorted((f.policy_id, f.resource, f.location.start_line) for f in report.findings) == [
        ("RG-SEC-001", "aws_lambda_function.f", 14),
        ("RG-SEC-002", "aws_codebuild_project.p", 27),
        ("RG-SEC-002", "aws_elastic_beanstalk_environment.e", 37),
        ("RG-SEC-002", "aws_lambda_function.f", 15),
        ("RG-SEC-002", "aws_secretsmanager_secret_version.db", 3),
        ("RG-SEC-002", "aws_secretsmanager_secret_version.json", 7),
    ]
    # the secret values never reach the report unmasked
    assert not any("Tq9vXz3LmN8pR2sW5yB7cD4fG6hJ1kA0eU3iO5rX" in f.message for f in report.findings)
