"""Session Manager documents: `$session` holds the sessionType and inputs their JSON or YAML content encodes."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import load
from scanner.formats.terraform.ssm import add_session
from scanner.model import Unknown, is_unknown

FAIL = os.path.join(FIXTURES, "RG-AWS-121", "fail")
PASS = os.path.join(FIXTURES, "RG-AWS-121", "pass")


def test_session_documents_in_json_yaml_and_heredocs():
    resources = {r.address: r for r in load([FAIL], base=FAIL).resources}
    json_doc = resources["aws_ssm_document.json"]
    assert json_doc.attributes["$session"] == {
        "sessionType": "Standard_Stream",
        "inputs": {"s3BucketName": "", "cloudWatchLogGroupName": "", "runAsEnabled": False}}
    assert json_doc.lines["$session"] == 5
    yaml_doc = resources["aws_ssm_document.yaml"]
    assert yaml_doc.attributes["$session"] == {"sessionType": "InteractiveCommands",
                                               "inputs": {"idleSessionTimeout": "20"}}
    passing = {r.address: r.attributes for r in load([PASS], base=PASS).resources}
    assert passing["aws_ssm_document.s3_heredoc"]["$session"]["inputs"]["s3BucketName"] == "acme-session-logs"
    assert is_unknown(passing["aws_ssm_document.unknown"]["$session"]["inputs"]["cloudWatchLogGroupName"])
    assert "$session" not in passing["aws_ssm_document.command"]


def test_unknown_and_unreadable_content():
    unknown: dict = {"document_type": "Session", "content": Unknown("computed")}
    add_session("aws_ssm_document", unknown, {})
    assert is_unknown(unknown["$session"])
    garbage: dict = {"document_type": "Session", "content": "{not json"}
    add_session("aws_ssm_document", garbage, {})
    assert "$session" not in garbage
    other: dict = {"document_type": "Session", "content": "{}"}
    add_session("aws_ssm_association", other, {})
    assert "$session" not in other
