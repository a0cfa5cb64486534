"""SARIF for code scanning: the official schema, a real consumer (sarif-tools), and what GitHub reads."""

from __future__ import annotations

import json
import os
import shutil

import jsonschema
import pytest

from scanner.api import scan
from scanner.report.sarif import to_dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
SARIF_SCHEMA = os.path.join(os.path.dirname(ROOT), "shared", "schemas", "sarif-schema-2.1.0.json")

SHOP = os.path.join(FIXTURES, "cases", "cli", "shop")
SUPPRESS = os.path.join(FIXTURES, "cases", "suppress")
VENDORED_SCHEMA = os.path.join(os.path.dirname(__file__), "sarif-schema-2.1.0.json")
POLICIES = ["RG-AWS-001", "RG-AWS-002", "RG-AWS-004", "RG-PATH-001", "RG-K8S-001", "RG-K8S-002"]


def _schema() -> dict:
    # the shared copy when CI has it beside the clone, else the vendored official copy
    path = SARIF_SCHEMA if os.path.exists(SARIF_SCHEMA) else VENDORED_SCHEMA
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def shop_sarif() -> dict:
    report = scan([SHOP], only=POLICIES, base=ROOT)
    return to_dict(report, root=ROOT)


def _results(doc: dict) -> list[dict]:
    return doc["runs"][0]["results"]


def _where(result: dict) -> tuple[str, str, int]:
    loc = result["locations"][0]["physicalLocation"]
    return result["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"]


def test_valid_against_official_schema(shop_sarif):
    errors = sorted(jsonschema.Draft4Validator(_schema()).iter_errors(shop_sarif), key=str)
    assert errors == []


def test_vendored_schema_is_the_official_one():
    if not os.path.exists(SARIF_SCHEMA):
        pytest.skip("shared schema not beside the clone; the vendored copy is used alone")
    with open(SARIF_SCHEMA, "rb") as a, open(VENDORED_SCHEMA, "rb") as b:
        assert a.read() == b.read()


def test_results_are_located_relative_with_a_base(shop_sarif):
    where = sorted(_where(r) for r in _results(shop_sarif))
    tf, k8s = "fixtures/cases/cli/shop/infra/main.tf", "fixtures/cases/cli/shop/k8s/app.yaml"
    assert where == sorted([
        ("RG-AWS-001", tf, 8), ("RG-AWS-001", tf, 19), ("RG-PATH-001", tf, 23),
        ("RG-AWS-004", tf, 28), ("RG-AWS-002", tf, 29),
        ("RG-K8S-002", k8s, 17), ("RG-K8S-001", k8s, 25)])
    run = shop_sarif["runs"][0]
    base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base == "file://" + ROOT.replace(os.sep, "/") + "/"
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "SRCROOT"
               for r in _results(shop_sarif))
    assert run["automationDetails"]["id"] == "riskgraph/"


def test_rules_carry_what_github_reads(shop_sarif):
    rules = {r["id"]: r for r in shop_sarif["runs"][0]["tool"]["driver"]["rules"]}
    aws1 = rules["RG-AWS-001"]["properties"]
    assert aws1["security-severity"] == "8.0"
    assert {"security", "owasp-top10-2021/A05", "cis-aws-foundations/5.2",
            "external/cwe/cwe-284"} <= set(aws1["tags"])
    assert rules["RG-PATH-001"]["properties"]["security-severity"] == "9.5"
    assert rules["RG-K8S-001"]["properties"]["security-severity"] == "5.5"
    for rule in rules.values():
        assert isinstance(rule["properties"]["security-severity"], str)
        assert "Remediation" in rule["help"]["markdown"]
    assert "cidr_blocks" in rules["RG-AWS-001"]["help"]["markdown"]


def test_graph_path_is_a_code_flow_with_related_locations(shop_sarif):
    path = next(r for r in _results(shop_sarif) if r["ruleId"] == "RG-PATH-001"
                and r["properties"]["resource"] == "aws_db_instance.orders")
    hops = path["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [h["location"]["message"]["text"] for h in hops] == [
        "internet", "--allows_ingress_from--> aws_security_group.db",
        "--attached_to--> aws_db_instance.orders"]
    assert "physicalLocation" not in hops[0]["location"]   # the internet has no file
    assert hops[1]["location"]["physicalLocation"]["region"]["startLine"] == 12
    related = [(r["message"]["text"], r["physicalLocation"]["region"]["startLine"])
               for r in path["relatedLocations"]]
    assert related == [("aws_security_group.db", 12)]


def test_secrets_are_masked(shop_sarif):
    text = json.dumps(shop_sarif)
    assert "Xk9#mQ2v!Lp7@wZr4Tq8" not in text
    password = next(r for r in _results(shop_sarif) if r["ruleId"] == "RG-AWS-004")
    assert "Xk**********" in password["message"]["text"]


def test_fingerprints_survive_reruns_and_line_moves(tmp_path):
    copy = tmp_path / "shop"
    shutil.copytree(SHOP, copy)
    first = {(r["ruleId"], r["properties"]["resource"]): (r["partialFingerprints"]["riskgraph/v1"], _where(r)[2])
             for r in _results(to_dict(scan([str(copy)], only=POLICIES, base=str(tmp_path)),
                                       root=str(tmp_path)))}
    main_tf = copy / "infra" / "main.tf"
    main_tf.write_text("\n" * 5 + main_tf.read_text())    # every resource moves down 5 lines
    second = {(r["ruleId"], r["properties"]["resource"]): (r["partialFingerprints"]["riskgraph/v1"], _where(r)[2])
              for r in _results(to_dict(scan([str(copy)], only=POLICIES, base=str(tmp_path)),
                                        root=str(tmp_path)))}
    assert second.keys() == first.keys()
    moved = ("RG-AWS-001", "aws_security_group.bastion")
    assert (first[moved][1], second[moved][1]) == (8, 13)
    for key in first:
        assert first[key][0] == second[key][0]


def test_suppressed_findings_and_diagnostics(tmp_path):
    report = scan([SUPPRESS], only=["RG-AWS-001", "RG-K8S-002"], base=ROOT)
    doc = to_dict(report, root=ROOT)
    assert not list(jsonschema.Draft4Validator(_schema()).iter_errors(doc))
    by_resource = {r["properties"]["resource"]: r for r in _results(doc)}
    above = by_resource["aws_security_group.above"]
    assert above["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                      "justification": "bastion range, reviewed by secops (SEC-1)"}]
    assert "suppressions" not in by_resource["aws_security_group.active"]
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    got = sorted((n["descriptor"]["id"],
                  n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  n["locations"][0]["physicalLocation"]["region"]["startLine"]) for n in notes)
    assert got == [("suppression-expired", "fixtures/cases/suppress/main.tf", 29),
                   ("suppression-without-reason", "fixtures/cases/suppress/main.tf", 20),
                   ("suppression-without-reason", "fixtures/cases/suppress/workloads.yaml", 26)]


def test_baseline_state(tmp_path):
    from scanner.suppress import baseline_document

    first = scan([SHOP], only=["RG-AWS-001"], base=ROOT)
    baseline = tmp_path / "baseline.json"
    doc = baseline_document(f for f in first.findings if f.resource == "aws_security_group.db")
    baseline.write_text(json.dumps(doc))
    report = scan([SHOP], only=["RG-AWS-001"], base=ROOT, baseline=str(baseline))
    states = {r["properties"]["resource"]: (r["baselineState"], "suppressions" in r)
              for r in _results(to_dict(report, root=ROOT))}
    assert states == {"aws_security_group.bastion": ("new", False),
                      "aws_security_group.db": ("unchanged", True)}


def test_read_by_sarif_tools(tmp_path, shop_sarif):
    from sarif import loader

    path = tmp_path / "riskgraph.sarif"
    path.write_text(json.dumps(shop_sarif))
    sarif_file = loader.load_sarif_file(str(path))
    assert sarif_file.get_distinct_tool_names() == ["riskgraph"]
    records = sorted((r["Code"], r["Location"], int(r["Line"]), r["Severity"])
                     for r in sarif_file.get_records())
    tf, k8s = "fixtures/cases/cli/shop/infra/main.tf", "fixtures/cases/cli/shop/k8s/app.yaml"
    assert records == sorted([
        ("RG-AWS-001", tf, 8, "error"), ("RG-AWS-001", tf, 19, "error"),
        ("RG-PATH-001", tf, 23, "error"), ("RG-AWS-004", tf, 28, "error"),
        ("RG-AWS-002", tf, 29, "error"),
        ("RG-K8S-002", k8s, 17, "error"),
        ("RG-K8S-001", k8s, 25, "warning")])


def test_sarif_tools_command_line(tmp_path, shop_sarif):
    import subprocess
    import sys

    path = tmp_path / "riskgraph.sarif"
    path.write_text(json.dumps(shop_sarif))
    out = subprocess.run([sys.executable, "-m", "sarif", "summary", str(path)],
                         capture_output=True, text=True, check=True).stdout
    assert "error: 6" in out and "warning: 1" in out
    assert "RG-K8S-001 k8s:core/Service/shop/storefront is reachable from the internet: 1" in out
