"""A re-scan with the caches on (parse cache, stored results) gives the bytes of a cold scan.

A seeded series of random edits to a generated corpus (tests/bench/corpus.py):
values changed in Terraform, Kubernetes and architecture files, files added,
copied and deleted. After each, the JSON and SARIF reports of a scan with
the caches on must equal those of a scan with every cache off, byte for byte.
"""

from __future__ import annotations

import os
import random
import sys

from scanner import api
from scanner.report import render

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
from corpus import write_corpus  # noqa: E402

# (file suffix, text in it, what it may become): each flips a finding on or off
SWAPS = [
    (".tf", '"10.20.0.0/16"', '"0.0.0.0/0"'), (".tf", '"0.0.0.0/0"', '"10.9.0.0/16"'),
    (".tf", "publicly_accessible    = false", "publicly_accessible    = true"),
    (".tf", "publicly_accessible    = true", "publicly_accessible    = false"),
    (".tf", "block_public_policy     = true", "block_public_policy     = false"),
    (".tf", "from_port   = 443", "from_port   = 22"), (".tf", "storage_encrypted      = true",
                                                       "storage_encrypted      = false"),
    (".yaml", "replicas: 2", "replicas: 1"), (".yaml", "containerPort: 8080", "containerPort: 22"),
    (".yaml", "serviceAccountName: api", "serviceAccountName: default"),
    (".yaml", "spec:\n      serviceAccountName", "spec:\n      hostNetwork: true\n      serviceAccountName"),
    (".yaml", "LOG_LEVEL: info", "DB_PASSWORD: hunter2-Zq81xw"),
    (".yaml", "kind: NetworkPolicy", "kind: NetworkPolicyX"),
]
EXTRA_TF = ('resource "aws_s3_bucket" "extra_{n}" {{\n  bucket = "extra-{n}"\n  acl    = "public-read"\n}}\n'
            'resource "aws_security_group" "extra_{n}" {{\n  ingress {{\n    from_port   = 22\n'
            '    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n')


def _files(root: str) -> list[str]:
    return sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names)


def _edit(rng: random.Random, root: str, step: int) -> str:
    """One random change to the corpus; returns what it did."""
    files = _files(root)
    kind = rng.choice(["swap", "swap", "swap", "add", "copy", "delete", "comment"])
    if kind == "swap":
        rng.shuffle(files)
        for path in files:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            options = [(old, new) for suffix, old, new in SWAPS if path.endswith(suffix) and old in text]
            if options:
                old, new = rng.choice(options)
                at = rng.choice([i for i in range(len(text)) if text.startswith(old, i)])
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text[:at] + new + text[at + len(old):])
                return f"swap {old!r} in {os.path.relpath(path, root)}"
    if kind == "add":
        directory = rng.choice(sorted({os.path.dirname(p) for p in files if p.endswith("main.tf")}))
        path = os.path.join(directory, f"extra{step}.tf")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(EXTRA_TF.format(n=step))
        return f"add {os.path.relpath(path, root)}"
    if kind == "copy":  # a second copy of a manifest: the same addresses twice in one unit
        source = rng.choice([p for p in files if p.endswith(".yaml") and "kubernetes" in p])
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
        path = os.path.join(os.path.dirname(source), f"copy{step}.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text.replace("name: worker", f"name: worker{step}"))
        return f"copy {os.path.relpath(source, root)}"
    if kind == "delete":
        path = rng.choice([p for p in files if not p.endswith(("variables.tf", "outputs.tf"))])
        os.remove(path)
        return f"delete {os.path.relpath(path, root)}"
    path = rng.choice(files)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\n# edited in step {step}\n")
    return f"comment {os.path.relpath(path, root)}"


def _reports(root: str) -> tuple[str, str]:
    report = api.scan([root], base=root)
    return render(report, "json"), render(report, "sarif", root=root)


def test_cached_scans_equal_cold_scans_over_random_edits(tmp_path, monkeypatch):
    root = write_corpus(str(tmp_path / "corpus"), 3)
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    rng = random.Random(13)
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    _reports(root)  # records for the first edit to reuse
    done = []
    for step in range(14):
        done.append(_edit(rng, root, step))
        monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
        warm = _reports(root)
        monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
        cold = _reports(root)
        assert warm[0] == cold[0], done
        assert warm[1] == cold[1], done
    kinds = {d.split()[0] for d in done}
    assert kinds >= {"swap", "add", "copy", "delete", "comment"}, done
