"""A Terraform root module's evaluated resources are reused while nothing it read changed (formats/terraform/parser.py `_root`)."""

from __future__ import annotations

import os
import sys

import pytest

from scanner import api
from scanner.formats.terraform import parser

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
from corpus import write_corpus  # noqa: E402


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    root = write_corpus(str(tmp_path / "corpus"), 3)
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    return root


def _evaluated(monkeypatch, root: str, **options) -> tuple[list[str], list]:
    """The root directories evaluated (not reused) by one scan, and its resources."""
    seen: list[str] = []
    real = parser.evaluate_root

    def counting(directory, *args, **kwargs):
        seen.append(os.path.relpath(directory, root))
        return real(directory, *args, **kwargs)
    monkeypatch.setattr(parser, "evaluate_root", counting)
    loaded = api.load([root], base=root, **options)
    monkeypatch.setattr(parser, "evaluate_root", real)
    return sorted(seen), loaded.resources


def _cold(monkeypatch, root: str, **options) -> list:
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    resources = api.load([root], base=root, **options).resources
    monkeypatch.delenv("RISKGRAPH_NO_CACHE")
    return resources


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


ROOTS = ["terraform/svc00000", "terraform/svc00001", "terraform/svc00002"]


def test_only_the_edited_root_is_evaluated_again(corpus, monkeypatch):
    assert _evaluated(monkeypatch, corpus)[0] == ROOTS  # nothing stored yet
    assert _evaluated(monkeypatch, corpus)[0] == []      # every root reused
    _append(os.path.join(corpus, "terraform/svc00001/main.tf"),
            'resource "aws_s3_bucket" "late" {\n  bucket = "late"\n}\n')
    evaluated, resources = _evaluated(monkeypatch, corpus)
    assert evaluated == ["terraform/svc00001"]
    assert resources == _cold(monkeypatch, corpus)
    assert "aws_s3_bucket.late" in {r.address for r in resources}


def test_a_change_to_a_shared_module_or_an_option_evaluates_every_root_again(corpus, monkeypatch):
    _evaluated(monkeypatch, corpus)
    _append(os.path.join(corpus, "modules/network/main.tf"), "\n# reviewed\n")
    assert _evaluated(monkeypatch, corpus)[0] == ROOTS  # the module's bytes are part of every root's input
    assert _evaluated(monkeypatch, corpus)[0] == []
    evaluated, resources = _evaluated(monkeypatch, corpus, variables={"environment": "staging"})
    assert evaluated == ROOTS
    assert resources == _cold(monkeypatch, corpus, variables={"environment": "staging"})


def test_a_root_that_reads_a_file_is_evaluated_again_when_the_file_changes(corpus, monkeypatch):
    main = os.path.join(corpus, "terraform/svc00002/main.tf")
    _append(main, 'resource "aws_iam_policy" "from_file" {\n  policy = file("${path.module}/policy.json")\n}\n')
    policy = os.path.join(corpus, "terraform/svc00002/policy.json")
    with open(policy, "w", encoding="utf-8") as handle:
        handle.write('{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}')
    _evaluated(monkeypatch, corpus)
    assert _evaluated(monkeypatch, corpus)[0] == []
    with open(policy, "w", encoding="utf-8") as handle:
        handle.write('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}')
    evaluated, resources = _evaluated(monkeypatch, corpus)
    assert evaluated == ["terraform/svc00002"]  # file() read it: a traced read
    assert resources == _cold(monkeypatch, corpus)


def test_a_root_whose_evaluation_gave_a_diagnostic_is_not_stored(corpus, monkeypatch):
    _append(os.path.join(corpus, "terraform/svc00000/main.tf"),
            'module "gone" {\n  source = "./does-not-exist"\n}\n')
    _evaluated(monkeypatch, corpus)
    evaluated, _ = _evaluated(monkeypatch, corpus)
    assert evaluated == ["terraform/svc00000"]  # module-missing: its diagnostics depend on the scan's order



def test_a_root_that_adds_to_another_roots_diagnostic_is_not_stored(corpus, monkeypatch):
    """``instances-unknown`` gathers one module file's blocks across roots: a root naming one more changed it."""
    _append(os.path.join(corpus, "modules/network/variables.tf"),
            'variable "a" {\n  default = 1\n}\nvariable "b" {\n  default = 1\n}\n')
    _append(os.path.join(corpus, "modules/network/main.tf"),
            'resource "aws_s3_bucket" "by_a" {\n  count  = var.a\n  bucket = "a"\n}\n'
            'resource "aws_s3_bucket" "by_b" {\n  count  = var.b\n  bucket = "b"\n}\n')
    for service, name in (("svc00000", "a"), ("svc00001", "b")):  # each root leaves another count unknown
        main = os.path.join(corpus, "terraform", service, "main.tf")
        with open(main, encoding="utf-8") as handle:
            text = handle.read()
        with open(main, "w", encoding="utf-8") as handle:
            handle.write(text.replace("  subnet_count = 2\n", f"  subnet_count = 2\n  {name} = length(var.unset)\n", 1)
                         + 'variable "unset" {\n  type = list(string)\n}\n')
    _evaluated(monkeypatch, corpus)
    evaluated, _ = _evaluated(monkeypatch, corpus)
    # svc00000 gave the diagnostic and svc00001 added its block to it: neither is stored; svc00002 is
    assert evaluated == ["terraform/svc00000", "terraform/svc00001"]
    warm = api.load([corpus], base=corpus)
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    cold = api.load([corpus], base=corpus)
    unknown = [d for d in cold.diagnostics if d.code == "instances-unknown"]
    assert [d for d in warm.diagnostics if d.code == "instances-unknown"] == unknown
    assert len(unknown) == 1 and "by_a" in unknown[0].message and "by_b" in unknown[0].message
