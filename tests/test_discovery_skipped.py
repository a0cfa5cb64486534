"""Discovery reads JSON manifests, and says why each file it might have read was not scanned."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, ROOT
from scanner.api import scan
from scanner.discover import discover
from scanner.formats import FORMATS
from scanner.report import render

CASE = os.path.join(FIXTURES, "cases", "discovery")
HERE = "fixtures/cases/discovery"


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_json_manifests_and_json_lists_are_kubernetes():
    report = scan([CASE], only=["RG-K8S-002"])
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.findings] == [
        ("k8s:apps/Deployment/shop/web", f"{HERE}/manifests/list.json", 20),
        ("k8s:core/Pod/tools/debug", f"{HERE}/manifests/pod.json", 10),
    ]
    assert {f.relpath: f.format for f in discover([CASE]).files} == {
        f"{HERE}/manifests/list.json": "kubernetes", f"{HERE}/manifests/pod.json": "kubernetes"}


def test_every_file_riskgraph_might_read_that_is_skipped_has_an_info_diagnostic():
    found = discover([CASE], exclude=["settings.yaml"])
    assert [(d.code, d.level, d.path, d.message) for d in found.diagnostics] == [
        ("skipped-unrecognised", "info", f"{HERE}/empty.json", "empty file; not scanned"),
        ("skipped-dependencies", "info", f"{HERE}/node_modules",
         "directory of installed or vendored dependencies; not scanned (name its path to scan it)"),
        ("skipped-unrecognised", "info", f"{HERE}/package.json",
         "not a Terraform plan, an Open Threat Model or a Kubernetes manifest (by its first 64 KiB); "
         "not scanned"),
        ("skipped-excluded", "info", f"{HERE}/settings.yaml",
         "excluded by an --exclude or configuration pattern"),
    ]
    assert found.skipped == 4  # README.md too, without a diagnostic: not a kind of file riskgraph reads


def test_an_unrecognised_yaml_file_is_told_every_format_it_could_have_been(tmp_path):
    (tmp_path / "settings.yml").write_text("colour: blue\n")
    found = discover([str(tmp_path)], base=str(tmp_path))
    assert [(d.code, d.path, d.message) for d in found.diagnostics] == [(
        "skipped-unrecognised", "settings.yml",
        "not an Open Threat Model, a Threagile model, a Kubernetes manifest or an architecture file "
        "(by its first 64 KiB); not scanned")]
    assert all(f.kind for f in FORMATS.values() if f.sniff is not None)   # a new sniffed format says what it is


def test_a_file_named_on_the_command_line_is_never_skipped_silently():
    found = discover([os.path.join(CASE, "README.md")])
    assert [(d.code, d.path) for d in found.diagnostics] == [("skipped-unrecognised", f"{HERE}/README.md")]


def test_a_dependency_directory_named_on_the_command_line_is_scanned():
    files = discover([os.path.join(CASE, "node_modules")]).files
    assert [(f.relpath, f.format) for f in files] == [(f"{HERE}/node_modules/lib/main.tf", "terraform")]


def test_text_output_summarises_skipped_files_in_one_line():
    text = render(scan([CASE], only=["RG-K8S-002"]), "text")
    assert "SKIPPED (4, each listed in --format json or sarif): 1 dependencies, 3 unrecognised\n" in text
    assert "DIAGNOSTICS" not in text and "package.json" not in text


def test_a_components_mapping_is_not_an_architecture_file(tmp_path):
    """OpenAPI documents and tools' settings have a top-level ``components`` mapping; ours is a list.

    Found on a public repository: ``.github/component_owners.yml`` (components -> reviewers) was refused
    as a broken architecture file, an error that made the whole scan incomplete.
    """
    (tmp_path / "component_owners.yml").write_text("components:\n  src/ad:\n    - jack\n")
    (tmp_path / "openapi.yaml").write_text("openapi: 3.0.0\ncomponents:\n  schemas:\n    Pet: {type: object}\n")
    (tmp_path / "system.yaml").write_text("components:\n- id: web\n  zone: dmz\n")
    (tmp_path / "windows.yaml").write_text("zones:\r\n  -\r\n    id: dmz\r\n")
    found = discover([str(tmp_path)], base=str(tmp_path))
    assert {f.relpath: f.format for f in found.files} == {"system.yaml": "architecture",
                                                           "windows.yaml": "architecture"}
    assert sorted((d.code, d.path) for d in found.diagnostics) == [
        ("skipped-unrecognised", "component_owners.yml"), ("skipped-unrecognised", "openapi.yaml")]
