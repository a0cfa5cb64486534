"""The schema is the single definition: every operator is implemented, documented, and its example compiles."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from scanner.policy.checkov import translate
from scanner.policy.loader import attribute_operators, policy_from_document
from scanner.policy.operators import OPERATORS, STRUCTURAL_OPERATORS

# not imported from conftest: tests/bench has a conftest module of the same name
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DOC = os.path.join(ROOT, "docs", "policy-language.md")
BASE = {"id": "RG-DOC-001", "title": "Documentation example", "severity": "low",
        "description": "An example from the language documentation.",
        "remediation": "Nothing to fix here.", "resource": ["x"]}


def _sections() -> dict[str, list[str]]:
    """Each `### ` heading's YAML code blocks."""
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    out: dict[str, list[str]] = {}
    for chunk in re.split(r"^### ", text, flags=re.M)[1:]:
        heading, _, body = chunk.partition("\n")
        out[heading.strip().strip("`")] = re.findall(r"```yaml\n(.*?)```", body.split("\n## ")[0], re.S)
    return out


SECTIONS = _sections()


def test_operators_implemented_match_the_schema():
    assert sorted(set(OPERATORS) | STRUCTURAL_OPERATORS) == attribute_operators()


@pytest.mark.parametrize("operator", attribute_operators())
def test_every_operator_is_documented_with_an_example_that_compiles(operator):
    assert operator in SECTIONS, f"docs/policy-language.md has no `### \\`{operator}\\`` section"
    assert SECTIONS[operator], f"the {operator} section has no yaml example"
    for block in SECTIONS[operator]:
        condition = yaml.safe_load(block)
        assert operator in yaml.dump(condition)
        policy_from_document({**BASE, "condition": condition}, {}, "RG-DOC-001.yaml", {})


@pytest.mark.parametrize("section", ["match: any | all", "Parameters", "connected", "reachable_from"])
def test_language_examples_compile(section):
    for block in SECTIONS[section]:
        data = yaml.safe_load(block)
        doc = {**BASE, **data} if "condition" in data else {**BASE, "condition": data}
        policy_from_document(doc, {}, "RG-DOC-001.yaml", {})


def test_checkov_dialect_example_translates():
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read().split("## Checkov's YAML dialect", 1)[1]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    meta, condition, _ = translate(example, "example.yaml")
    assert meta.id == "CKV2_ACME_1" and "not" in condition
