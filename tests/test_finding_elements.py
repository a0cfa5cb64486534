"""Every offending element located: one finding per resource and policy, its other offending elements in `elements`, the block as context."""

from __future__ import annotations

import json
import os

from scanner.api import scan
from scanner.report import json as json_report
from scanner.report import sarif

POD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: a
          image: nginx
          securityContext:
            privileged: true
        - name: b
          image: nginx
          securityContext:
            privileged: false
        - name: c
          image: nginx
          securityContext:
            privileged: true
"""

RULES = """
resource "aws_security_group" "open" {
  name = "open"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def _scan(tmp_path, name: str, text: str, policy: str):
    with open(os.path.join(str(tmp_path), name), "w", encoding="utf-8") as handle:
        handle.write(text)
    return scan([str(tmp_path)], only=[policy], base=str(tmp_path))


def test_each_offending_container_is_located(tmp_path):
    report = _scan(tmp_path, "d.yaml", POD, "RG-K8S-002")
    (finding,) = report.findings
    assert (finding.location.path, finding.location.start_line) == ("d.yaml", 17)
    assert [(e.path, e.start_line) for e in finding.elements] == [("d.yaml", 25)]  # not b (line 21)
    assert (finding.block.start_line, finding.block.end_line) == (1, 26)


def test_each_open_rule_is_located_and_the_fingerprint_is_the_first(tmp_path):
    report = _scan(tmp_path, "main.tf", RULES, "RG-AWS-001")
    (finding,) = report.findings
    assert finding.location.start_line == 14
    assert [e.start_line for e in finding.elements] == [20]
    # the fingerprint hashes the first element's evidence only: a later element does not change it
    alone = _scan(tmp_path, "main.tf", RULES.replace('cidr_blocks = ["0.0.0.0/0"]\n  }\n}',
                                                     'cidr_blocks = ["10.0.0.0/8"]\n  }\n}'), "RG-AWS-001")
    (first,) = alone.findings
    assert first.elements == () and first.fingerprint == finding.fingerprint


def test_an_element_under_a_negation_is_not_offending(tmp_path):
    """RG-K8S-022 fails containers that do NOT set allowPrivilegeEscalation: false; the one that does is no element."""
    text = POD.replace("privileged: false", "allowPrivilegeEscalation: false")
    report = _scan(tmp_path, "d.yaml", text, "RG-K8S-022")
    (finding,) = report.findings
    assert finding.location.start_line == 14
    assert [e.start_line for e in finding.elements] == [22]


def test_json_and_sarif_carry_block_and_elements(tmp_path):
    report = _scan(tmp_path, "d.yaml", POD, "RG-K8S-002")
    (out,) = json.loads(json_report.render(report))["findings"]
    assert out["block"] == {"path": "d.yaml", "start_line": 1, "end_line": 26}
    assert out["elements"] == [{"path": "d.yaml", "start_line": 25}]
    (result,) = json.loads(sarif.render(report, root=str(tmp_path)))["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["region"]["startLine"] == 17
    assert physical["contextRegion"] == {"startLine": 1, "endLine": 26}
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["region"]["startLine"] == 25
