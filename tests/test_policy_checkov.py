"""Checkov's YAML dialect: detected by shape, translated, and refused loudly (file, path, line) where checkov would skip."""

from __future__ import annotations

import os

import pytest

from scanner.policy.loader import PolicyError, load_policies, load_policy_file

# not imported from conftest: tests/bench has a conftest module of the same name
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

GOOD = """\
metadata:
  id: CKV2_ACME_1
  name: Buckets must be private
  category: GENERAL_SECURITY
  severity: HIGH
  guideline: https://example.com/guide
definition:
  cond_type: attribute
  resource_types: [aws_s3_bucket]
  attribute: acl
  operator: equals
  value: private
"""


def write(tmp_path, text, name="CKV2_ACME_1.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_dialect_policy_keeps_its_id_and_metadata(tmp_path):
    p = load_policy_file(write(tmp_path, GOOD, "any-file-name.yaml"))
    m = p.meta
    assert (m.id, m.title, m.severity.value, m.category) == ("CKV2_ACME_1", "Buckets must be private", "high", "checkov")
    assert m.resource_types == ("aws_s3_bucket",) and m.checkov_ids == ("CKV2_ACME_1",)
    assert m.references == ("https://example.com/guide",) and p.layer == ""


def test_dialect_policies_load_beside_riskgraph_policies(tmp_path):
    write(tmp_path, GOOD)
    ids = [p.id for p in load_policies([str(tmp_path), os.path.join(FIXTURES, "cases", "checkov", "policies")],
                                       builtin=False)]
    assert "CKV2_ACME_1" in ids and "CKV2_RGT_24" in ids


@pytest.mark.parametrize("old, new, where, line, message", [
    ("operator: equals", "operator: jsonpath_equals", "definition.operator", 11,
     "unknown or unsupported checkov operator 'jsonpath_equals'"),
    ("operator: equals", "operator: subset", "definition.operator", 11, "unsupported checkov operator 'subset'"),
    ("operator: equals", "operator: equal", "definition.operator", 11, "'equal'"),
    ("cond_type: attribute", "cond_type: resource", "definition.cond_type", 8, "cond_type 'resource' is not supported"),
    ("  value: private", "  valu: private", "definition.valu", 12, "unknown key 'valu'"),
    ("  value: private\n", "", "definition.value", 7, "needs a `value`"),
    ("resource_types: [aws_s3_bucket]", "resource_types: all", "definition.resource_types", 9, "'all' is not supported"),
    ("id: CKV2_ACME_1", "id: RG-AWS-001", "metadata.id", 2, "must not start with RG-"),
    ("  category: GENERAL_SECURITY\n", "", "metadata.category", 1, "must be a non-empty string"),
    ("severity: HIGH", "severity: URGENT", "metadata.severity", 5, "'URGENT'"),
    ("metadata:\n", "metadat:\n", "metadat", 1, "unknown top-level key 'metadat'"),
    ("operator: equals\n  value: private", "operator: regex_match\n  value: '(?<!a)b'", "definition.value", 12,
     "lookahead and lookbehind"),
])
def test_unsupported_input_is_refused_with_its_path(tmp_path, old, new, where, line, message):
    assert old in GOOD
    with pytest.raises(PolicyError) as err:
        load_policy_file(write(tmp_path, GOOD.replace(old, new)))
    assert (err.value.where, err.value.line) == (where, line)
    assert message in err.value.message
    assert err.value.file.endswith("CKV2_ACME_1.yaml")


def test_nested_refusal_names_the_nested_path(tmp_path):
    text = GOOD.replace("""  cond_type: attribute
  resource_types: [aws_s3_bucket]
  attribute: acl
  operator: equals
  value: private
""", """  and:
    - cond_type: attribute
      resource_types: [aws_s3_bucket]
      attribute: acl
      operator: exists
    - or:
        - cond_type: attribute
          resource_types: [aws_s3_bucket]
          attribute: acl
          operator: number_of_words_equals
          value: 1
""")
    with pytest.raises(PolicyError) as err:
        load_policy_file(write(tmp_path, text))
    assert (err.value.where, err.value.line) == ("definition.and[1].or[0].operator", 17)


def test_translation_is_the_negated_compliance_condition():
    from scanner.policy.checkov import translate

    data = {"metadata": {"id": "CKV_X_1", "name": "n", "category": "c"},
            "definition": {"or": [
                {"cond_type": "attribute", "resource_types": ["a"], "attribute": "x.*.y", "operator": "not_equals",
                 "value": 1},
                {"cond_type": "attribute", "resource_types": ["a"], "attribute": "z", "operator": "starting_with",
                 "value": "a.b"}]}}
    _, condition, _ = translate(data, "f.yaml")
    assert condition == {"not": {"any": [
        {"all": [{"type": ["a"]}, {"any": [{"path": "x.*.y", "not_equals": 1}, {"path": "x.*.y", "exists": False}]}]},
        {"all": [{"type": ["a"]}, {"path": "z", "matches": r"\Aa\.b"}]}]}}


def test_dialect_policies_apply_to_kubernetes_kinds_too(tmp_path):
    from scanner.api import scan

    (tmp_path / "pol").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "pol" / "p.yaml").write_text("""\
metadata: {id: CKV2_K8S_ACME_1, name: Pods must not use the host network, category: KUBERNETES}
definition:
  cond_type: attribute
  resource_types: [Pod]
  attribute: spec.hostNetwork
  operator: not_equals
  value: true
""")
    (tmp_path / "m" / "pods.yaml").write_text("""\
apiVersion: v1
kind: Pod
metadata: {name: fine, namespace: shop}
spec:
  containers: [{name: app, image: "nginx:1.25"}]
---
apiVersion: v1
kind: Pod
metadata: {name: net, namespace: shop}
spec:
  hostNetwork: true
  containers: [{name: app, image: "nginx:1.25"}]
""")
    report = scan([str(tmp_path / "m")], policies=load_policies([str(tmp_path / "pol")], builtin=False),
                  base=str(tmp_path / "m"))
    assert [(f.policy_id, f.resource, f.location.start_line) for f in report.findings] == [
        ("CKV2_K8S_ACME_1", "k8s:core/Pod/shop/net", 11)]  # the hostNetwork line


def test_violations_point_at_the_failing_attribute_when_it_is_set():
    from scanner.api import scan

    cases = os.path.join(FIXTURES, "cases", "checkov")
    tf = os.path.join(cases, "terraform")
    report = scan([tf], policies=load_policies([os.path.join(cases, "policies")], builtin=False,
                                               only=["CKV2_RGT_01", "CKV2_RGT_03", "CKV2_RGT_11", "CKV2_RGT_15",
                                                     "CKV2_RGT_16"]), base=tf)
    assert sorted((f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings) == [
        ("CKV2_RGT_01", "aws_s3_bucket.public", "storage.tf", 17),      # acl = "public-read"
        ("CKV2_RGT_03", "aws_instance.legacy", "network.tf", 59),       # no tags at all: the resource
        ("CKV2_RGT_03", "aws_s3_bucket.bare", "storage.tf", 28),
        ("CKV2_RGT_03", "aws_s3_bucket.public", "storage.tf", 15),      # tags without Owner
        ("CKV2_RGT_11", "aws_instance.legacy", "network.tf", 65),       # http_tokens = "optional"
        ("CKV2_RGT_15", "aws_security_group.web", "network.tf", 9),     # cidr_blocks = ["0.0.0.0/0"]
        ("CKV2_RGT_16", "aws_security_group.admin", "network.tf", 13),  # no description
        ("CKV2_RGT_16", "aws_security_group.empty", "network.tf", 33),  # description = ""
    ]
