"""Every registry is the single source: CLI choices, schema enums and docs agree with it (one test per registry)."""

from __future__ import annotations

import json
import os
import pickle
import re

import yaml

from scanner import cli
from scanner.formats import FORMATS, TYPE_GROUPS, classify, read_suffixes
from scanner.model import Layer, Severity
from scanner.policy.operators import OPERATORS, STRUCTURAL_OPERATORS
from scanner.schemas import load_schema, policy_layers, validate
from scanner.report import REPORTERS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _schema(name: str) -> dict:
    with open(os.path.join(ROOT, "scanner", "schemas", name), encoding="utf-8") as handle:
        return json.load(handle)


def _doc(name: str) -> str:
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as handle:
        return handle.read()


def test_formats_registry_drives_discovery_parsing_and_policy_layers() -> None:
    for name, fmt in FORMATS.items():
        assert fmt.name == name
        __import__(fmt.parser)  # every parser named exists
        if fmt.linker:
            module, _, function = fmt.linker.partition(":")
            assert callable(getattr(__import__(module, fromlist=[function]), function))
    assert set(load_schema("policy.schema.json")["properties"]["layer"]["enum"]) == {
        f.layer.value for f in FORMATS.values()}
    assert set(read_suffixes()) >= {".tf", ".tfvars", ".yaml", ".json"}
    assert classify("main.tf", None) == "terraform" and classify("kustomization.yaml", None) == "kubernetes"
    assert set(TYPE_GROUPS) == {g for f in FORMATS.values() for g in f.type_groups}
    design = _doc("design.md")
    for name in FORMATS:
        assert f"`{name}`" in design, f"docs/design.md does not list the format {name}"


def test_reporters_registry_is_the_cli_config_and_docs_choice() -> None:
    assert set(cli.FORMATS) == set(REPORTERS)
    assert set(_schema("config.schema.json")["properties"]["format"]["enum"]) == set(REPORTERS)
    output = _doc("output.md")
    for name in REPORTERS:
        assert re.search(rf"^## {re.escape(name)}\b", output, re.M), f"docs/output.md has no section for {name}"


def test_operators_registry_is_the_policy_schema_and_the_language_doc() -> None:
    attribute = _schema("policy.schema.json")["$defs"]["attribute"]["properties"]
    assert set(attribute) - {"path", "match"} == set(OPERATORS) | STRUCTURAL_OPERATORS
    documented = set(re.findall(r"^### `([a-z_]+)`", _doc("policy-language.md"), re.M))
    assert set(OPERATORS) | STRUCTURAL_OPERATORS <= documented


def test_severities_are_one_list() -> None:
    values = [s.value for s in sorted(Severity, key=lambda s: s.rank)]
    assert values == ["info", "low", "medium", "high", "critical"]
    assert set(_schema("policy.schema.json")["properties"]["severity"]["enum"]) == set(values)
    assert set(_schema("config.schema.json")["properties"]["severity_threshold"]["enum"]) == set(values)
    assert list(cli.SEVERITIES) == values


def test_layers_are_the_formats_and_a_policy_naming_another_is_refused() -> None:
    assert {Layer.TERRAFORM, Layer.KUBERNETES, Layer.ARCHITECTURE} <= {f.layer for f in FORMATS.values()}
    assert "enum" not in _schema("policy.schema.json")["properties"]["layer"]  # the file holds no list of its own
    assert policy_layers() == sorted({f.layer.value for f in FORMATS.values()})
    with open(os.path.join(ROOT, "policies", "secrets", "RG-SEC-001.yaml"), encoding="utf-8") as handle:
        policy = yaml.safe_load(handle)  # a shipped policy, which names the terraform layer
    assert policy["layer"] == "terraform" and validate(policy, "policy.schema.json") == []
    assert validate({**policy, "layer": "kubernetes"}, "policy.schema.json") == []
    [error] = validate({**policy, "layer": "compose"}, "policy.schema.json")
    assert error.path == "layer" and "compose" in error.message


def test_a_layer_is_one_object_per_name_and_survives_pickling() -> None:
    assert Layer("terraform") is Layer.TERRAFORM and Layer.TERRAFORM == "terraform"
    assert pickle.loads(pickle.dumps(Layer.KUBERNETES)) is Layer.KUBERNETES
    new = Layer("compose")  # what a format bringing its own vocabulary declares
    assert new is Layer("compose") and new.value == "compose" and new not in policy_layers()
