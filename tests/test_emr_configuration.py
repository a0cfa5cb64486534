"""EMR security configurations: the `configuration` JSON decoded into `$configuration`, unknown where it is not known."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import load
from scanner.model import Resource, is_unknown

FAIL = os.path.join(FIXTURES, "RG-AWS-205", "fail")
PASS = os.path.join(FIXTURES, "RG-AWS-205", "pass")


def _resources(case: str) -> dict[str, Resource]:
    return {r.address: r for r in load([case], base=case).resources}


def _attributes(case: str) -> dict[str, dict]:
    return {address: r.attributes for address, r in _resources(case).items()}


def test_jsonencode_and_heredoc_documents_are_decoded():
    resources = _resources(FAIL)
    attrs = {address: r.attributes for address, r in resources.items()}
    disabled = attrs["aws_emr_security_configuration.disabled"]["$configuration"]
    assert disabled == {"EncryptionConfiguration": {"EnableInTransitEncryption": False,
                                                    "EnableAtRestEncryption": False}}
    s3_only = attrs["aws_emr_security_configuration.s3_only"]["$configuration"]  # a heredoc
    assert s3_only["EncryptionConfiguration"]["AtRestEncryptionConfiguration"] == {
        "S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}}
    lines = resources["aws_emr_security_configuration.s3_only"].lines
    assert lines["$configuration"] == 14
    assert lines["$configuration.EncryptionConfiguration.EnableAtRestEncryption"] == 14


def test_unknown_parts_stay_unknown_and_never_absent():
    attrs = _attributes(PASS)
    encrypted = attrs["aws_emr_security_configuration.encrypted"]["$configuration"]
    local = encrypted["EncryptionConfiguration"]["AtRestEncryptionConfiguration"]["LocalDiskEncryptionConfiguration"]
    assert local["EncryptionKeyProviderType"] == "AwsKms" and is_unknown(local["AwsKmsKey"])
    heredoc = attrs["aws_emr_security_configuration.heredoc"]["$configuration"]  # "${var...}" inside a string
    assert is_unknown(heredoc["EncryptionConfiguration"]["AtRestEncryptionConfiguration"]
                      ["LocalDiskEncryptionConfiguration"]["AwsKmsKey"])
    # a whole document from a variable, and a heredoc that is not JSON until apply
    assert is_unknown(attrs["aws_emr_security_configuration.from_variable"]["$configuration"])
    assert is_unknown(attrs["aws_emr_security_configuration.unknown_flag"]["$configuration"])
