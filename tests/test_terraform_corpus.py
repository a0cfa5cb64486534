"""Robustness and speed on generated Terraform: every construct at once, broken files beside good ones."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from terraform_corpus import generate, measure
from scanner.discover import discover
from scanner.model import is_unknown
from scanner.parse import ParseOptions, parse_all


def test_generated_corpus_parses_without_crashes_and_quickly(tmp_path):
    generate(str(tmp_path), seed=7, roots=18)
    stats = measure(str(tmp_path))
    assert stats["crashes"] == 0
    assert stats["seconds"] < 10  # generous for a shared CI machine; ~0.3 s measured
    parsed = parse_all(discover([str(tmp_path)], base=str(tmp_path)).files, ParseOptions())
    codes = {(d.code, os.path.basename(d.path)) for d in parsed.diagnostics}
    # every broken file is named by a diagnostic, and its good neighbours are still read
    assert {("hcl-syntax", "broken.tf"), ("binary-file", "junk.tf"), ("json-syntax", "bad.tf.json"),
            ("expansion-limit", "huge_count.tf"), ("module-described", "main.tf")} <= codes
    addresses = {r.address for r in parsed.resources}
    assert "stack000:aws_s3_bucket.ok" in addresses
    assert "stack003:module.db[0].module.params.aws_db_parameter_group.this" in addresses
    assert not any(a.startswith("stack018") for a in addresses)


_TOKENS = st.sampled_from([
    'resource "aws_s3_bucket" "b" {', "}", "{", "count = ", "for_each = ", "var.x", "local.y",
    '"${', "}\"", "[for k, v in ", " : ", "]", "module ", 'source = "./"', "dynamic \"x\" {",
    "content {", "jsonencode(", ")", "<<EOT\n", "\nEOT\n", "= ", "\n", "0", "1e400", "-1", "*",
    "aws_s3_bucket.b[*].id", "data.aws_iam_policy_document.d.json", "toset(", "range(99999999)",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(_TOKENS, max_size=40), st.booleans())
def test_arbitrary_token_soup_never_crashes(tmp_path_factory, tokens, as_json):
    directory = tmp_path_factory.mktemp("soup")
    name = "main.tf.json" if as_json else "main.tf"
    (directory / name).write_text(" ".join(tokens))
    parsed = parse_all(discover([str(directory)], base=str(directory)).files, ParseOptions())
    assert not [d for d in parsed.diagnostics if d.code == "parser-crash"]


def test_nested_loops_over_large_ranges_end_as_unknown(tmp_path):
    (tmp_path / "main.tf").write_text(
        'locals {\n  big = [for a in range(50000) : [for b in range(50000) : a * b]]\n}\n'
        'resource "aws_ssm_parameter" "p" {\n  value = length(local.big)\n}\n')
    parsed = parse_all(discover([str(tmp_path)], base=str(tmp_path)).files, ParseOptions())
    (param,) = parsed.resources
    assert is_unknown(param.attributes["value"])
