"""GitLab SAST report (``--format gitlab-sast``): the fields GitLab's security report schema 15.x requires.

GitLab's own schema file (sast-report-format.json) could not be obtained
here, so the report is validated against a JSON Schema written from its
documented requirements: top level ``version``, ``scan`` and
``vulnerabilities``; ``scan`` with ``analyzer`` and ``scanner`` (id, name,
version, vendor.name), ``type: sast``, ``status`` success/failure and
``start_time`` / ``end_time`` as ``YYYY-MM-DDTHH:MM:SS``; each vulnerability
with an ``id``, at least one identifier (type, name, value), a ``location``
with ``file`` and lines, and a severity from GitLab's six values.
"""

from __future__ import annotations

import datetime
import json
import os

import jsonschema

from conftest import ROOT
from scanner.api import scan
from scanner.cli import main
from scanner.report.gitlab_sast import SCHEMA_VERSION, to_dict

SHOP = os.path.join(ROOT, "fixtures", "cases", "cli", "shop")
SUPPRESS = os.path.join(ROOT, "fixtures", "cases", "suppress")

_TOOL = {"type": "object", "required": ["id", "name", "version", "vendor"],
         "properties": {"id": {"type": "string", "minLength": 1},
                        "name": {"type": "string", "minLength": 1},
                        "version": {"type": "string", "minLength": 1},
                        "url": {"type": "string", "pattern": "^https?://.+"},
                        "vendor": {"type": "object", "required": ["name"],
                                   "properties": {"name": {"type": "string", "minLength": 1}}}}}
_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}
DOCUMENTED = {
    "type": "object",
    "required": ["version", "scan", "vulnerabilities"],
    "properties": {
        "version": {"type": "string", "pattern": r"^15\.\d+\.\d+$"},
        "schema": {"type": "string", "pattern": "sast-report-format.json$"},
        "scan": {"type": "object",
                 "required": ["analyzer", "scanner", "type", "start_time", "end_time", "status"],
                 "properties": {"analyzer": _TOOL, "scanner": _TOOL, "type": {"const": "sast"},
                                "start_time": _TIME, "end_time": _TIME,
                                "status": {"enum": ["success", "failure"]},
                                "messages": {"type": "array", "items": {
                                    "type": "object", "required": ["level", "value"],
                                    "properties": {"level": {"enum": ["info", "warn", "fatal"]},
                                                   "value": {"type": "string"}}}}}},
        "vulnerabilities": {"type": "array", "items": {
            "type": "object", "required": ["id", "identifiers", "location"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "maxLength": 255},
                "description": {"type": "string", "maxLength": 1048576},
                "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                "solution": {"type": "string", "maxLength": 7000},
                "identifiers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "name", "value"],
                    "properties": {"type": {"type": "string", "minLength": 1},
                                   "name": {"type": "string", "minLength": 1},
                                   "value": {"type": "string", "minLength": 1},
                                   "url": {"type": "string", "pattern": "^https?://.+"}}}},
                "links": {"type": "array", "items": {"type": "object", "required": ["url"]}},
                "location": {"type": "object", "required": ["file"],
                             "properties": {"file": {"type": "string", "minLength": 1},
                                            "start_line": {"type": "integer", "minimum": 1},
                                            "end_line": {"type": "integer", "minimum": 1}}}}}},
    },
}


def test_shop_report_has_what_gitlab_requires():
    report = scan([SHOP], base=ROOT)
    doc = to_dict(report, now=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
    errors = sorted(str(e) for e in jsonschema.Draft7Validator(DOCUMENTED).iter_errors(doc))
    assert errors == []
    assert doc["version"] == SCHEMA_VERSION and doc["scan"]["end_time"] == "2026-01-02T03:04:05"
    ids = [v["id"] for v in doc["vulnerabilities"]]
    assert len(ids) == len(set(ids)) == len(report.active_findings)
    public = next(v for v in doc["vulnerabilities"]
                  if v["identifiers"][0]["value"] == "RG-AWS-002")
    assert public["location"] == {"file": "fixtures/cases/cli/shop/infra/main.tf",
                                  "start_line": 29, "end_line": 29}
    assert public["severity"] == "High" and public["solution"]
    assert "Xk9#mQ2v!Lp7@wZr4Tq8" not in json.dumps(doc)


def test_ids_are_stable_and_suppressed_findings_are_left_out():
    one, two = (to_dict(scan([SUPPRESS], base=ROOT)) for _ in range(2))
    assert [v["id"] for v in one["vulnerabilities"]] == [v["id"] for v in two["vulnerabilities"]]
    report = scan([SUPPRESS], base=ROOT)
    assert len(one["vulnerabilities"]) == len(report.active_findings) < len(report.findings)


def test_cli_writes_gl_sast_report_json_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["scan", SHOP, "--only", "RG-AWS-002", "-f", "gitlab-sast"])
    assert code == 1 and capsys.readouterr().out == ""
    doc = json.loads((tmp_path / "gl-sast-report.json").read_text())
    assert [v["identifiers"][0]["name"] for v in doc["vulnerabilities"]] == ["RG-AWS-002"]
