"""IAM documents: every way of writing one lands in the same statement model; unknown parts stay unknown."""

from __future__ import annotations

import pytest

from scanner.discover import discover
from scanner.model import is_unknown
from scanner.parse import ParseOptions, parse_all

ADMIN = {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}

FORMS = {
    "json_string": 'policy = "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"*\\", \\"Resource\\": \\"*\\"}]}"',
    "jsonencode": 'policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })',
    "heredoc": 'policy = <<-EOT\n    {"Statement": {"Effect": "Allow", "Action": ["*"], "Resource": "*"}}\n  EOT',
    "data_source": "policy = data.aws_iam_policy_document.d.json",
    "local": "policy = local.doc",
}
PRELUDE = (
    'data "aws_iam_policy_document" "d" {\n  statement {\n    actions   = ["*"]\n'
    '    resources = ["*"]\n  }\n}\n'
    'locals {\n  doc = jsonencode({ Statement = [{ Effect = "Allow", Action = ["*"], Resource = "*" }] })\n}\n'
)


def _resources(tmp_path, text):
    (tmp_path / "main.tf").write_text(text)
    found = discover([str(tmp_path)], base=str(tmp_path))
    return {r.address: r for r in parse_all(found.files, ParseOptions()).resources}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_normalises_to_one_model(form, tmp_path):
    text = PRELUDE + f'resource "aws_iam_policy" "p" {{\n  {FORMS[form]}\n}}\n'
    p = _resources(tmp_path, text)["aws_iam_policy.p"]
    statements = p.attributes["$policy"]["Statement"]
    assert [{k: s[k] for k in ("Effect", "Action", "Resource")} for s in statements] == [ADMIN]
    assert p.line_of("$policy.Statement.0.Action") == 11


def test_unknown_leaves_keep_the_document(tmp_path):
    text = (
        'variable "actions" {}\n'
        'resource "aws_iam_policy" "p" {\n'
        '  policy = jsonencode({ Statement = [\n'
        '    { Effect = "Allow", Action = var.actions, Resource = "*" },\n'
        '    { Effect = "Allow", Action = "s3:*", Resource = aws_s3_bucket.b.arn },\n'
        '  ] })\n}\n')
    p = _resources(tmp_path, text)["aws_iam_policy.p"]
    assert is_unknown(p.attributes["policy"])  # the JSON text itself is not known
    first, second = p.attributes["$policy"]["Statement"]
    assert [is_unknown(a) for a in first["Action"]] == [True] and first["Resource"] == ["*"]
    assert second["Action"] == ["s3:*"] and is_unknown(second["Resource"][0])


def test_policy_document_data_source_renders_principals_and_conditions(tmp_path):
    text = (
        'data "aws_iam_policy_document" "trust" {\n'
        '  statement {\n    actions = ["sts:AssumeRole"]\n'
        '    principals {\n      type        = "Service"\n      identifiers = ["ec2.amazonaws.com"]\n    }\n'
        '    condition {\n      test     = "StringEquals"\n      variable = "aws:SourceAccount"\n'
        '      values   = ["123456789012"]\n    }\n  }\n}\n'
        'resource "aws_iam_role" "r" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n'
        '  inline_policy {\n    name   = "all"\n'
        '    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })\n'
        '  }\n}\n')
    role = _resources(tmp_path, text)["aws_iam_role.r"]
    (trust,) = role.attributes["$assume_role_policy"]["Statement"]
    assert trust["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ["123456789012"]}}
    assert role.attributes["$policy"]["Statement"] == [ADMIN]
    assert role.line_of("$policy.Statement.0") == 19


def test_glacier_access_policy_is_a_document_and_key_vault_blocks_are_not(tmp_path):
    text = (
        'resource "aws_glacier_vault" "v" {\n'
        '  name          = "archive"\n'
        '  access_policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = "*",\n'
        '                                              Action = "glacier:InitiateJob", Resource = "*" }] })\n'
        '}\n'
        'resource "azurerm_key_vault" "k" {\n'
        '  name = "kv"\n'
        '  access_policy {\n    tenant_id = "t"\n    object_id = "o"\n  }\n'
        '}\n')
    found = _resources(tmp_path, text)
    vault = found["aws_glacier_vault.v"]
    assert vault.attributes["$policy"]["Statement"][0]["Action"] == ["glacier:InitiateJob"]
    assert vault.line_of("$policy") == 3
    assert "$policy" not in found["azurerm_key_vault.k"].attributes
