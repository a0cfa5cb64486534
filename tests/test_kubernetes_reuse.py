"""The Kubernetes manifests' parse is reused whole while nothing it read changed (formats/kubernetes/parser.py `parse`)."""

from __future__ import annotations

import pytest

from scanner import api
from scanner.formats.kubernetes import parser

KUSTOMIZATION = '''resources:
  - web.yaml
configMapGenerator:
  - name: web-settings
    envs: [settings.env]
'''
WEB = '''apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
'''


@pytest.fixture
def tree(tmp_path, monkeypatch):
    root = tmp_path / "app"
    root.mkdir()
    (root / "kustomization.yaml").write_text(KUSTOMIZATION)
    (root / "web.yaml").write_text(WEB)
    (root / "settings.env").write_text("LOG_LEVEL=info\n")   # not discovered: read by the kustomization
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    return tmp_path


def _parses(monkeypatch, root) -> tuple[int, list]:
    """How many times the manifests were parsed (not reused) by one scan, and its resources."""
    count = [0]
    real = parser._parse

    def counting(files, ctx):
        count[0] += 1
        return real(files, ctx)
    monkeypatch.setattr(parser, "_parse", counting)
    resources = api.load([str(root)], base=str(root)).resources
    monkeypatch.setattr(parser, "_parse", real)
    return count[0], resources


def _cold(monkeypatch, root) -> list:
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    resources = api.load([str(root)], base=str(root)).resources
    monkeypatch.delenv("RISKGRAPH_NO_CACHE")
    return resources


def _settings(resources) -> dict:
    configmap = next(r for r in resources if r.type == "ConfigMap")
    return configmap.attributes["data"]


def test_an_edit_elsewhere_reuses_the_manifests_and_one_here_parses_them_again(tree, monkeypatch):
    assert _parses(monkeypatch, tree)[0] == 1      # nothing stored yet
    assert _parses(monkeypatch, tree)[0] == 0      # reused
    with open(tree / "infra" / "main.tf", "a", encoding="utf-8") as handle:
        handle.write('resource "aws_s3_bucket" "c" {\n  bucket = "c"\n}\n')
    count, resources = _parses(monkeypatch, tree)
    assert count == 0                              # a Terraform edit: the manifests are reused
    assert resources == _cold(monkeypatch, tree)
    (tree / "app" / "web.yaml").write_text(WEB.replace("nginx:1.27", "nginx:1.28"))
    count, resources = _parses(monkeypatch, tree)
    assert count == 1 and resources == _cold(monkeypatch, tree)


def test_a_file_a_kustomization_reads_is_part_of_what_the_parse_read(tree, monkeypatch):
    _parses(monkeypatch, tree)
    assert _parses(monkeypatch, tree)[0] == 0
    (tree / "app" / "settings.env").write_text("LOG_LEVEL=debug\n")
    count, resources = _parses(monkeypatch, tree)
    assert count == 1                              # the generator's file was read through the context
    assert _settings(resources) == {"LOG_LEVEL": "debug"}
    assert resources == _cold(monkeypatch, tree)
