"""An incremental re-scan (reused findings, parse cache, stored results) gives the bytes of a cold scan.

A seeded series of random edits to a generated corpus (tests/bench/corpus.py):
values changed in Terraform, Kubernetes and architecture files, files added,
copied and deleted. After each, the JSON and SARIF reports of a scan with
the caches on must equal those of a scan with every cache off, byte for byte.
"""

from __future__ import annotations

import os
import random
import sys

import pytest

from scanner import api
from scanner.policy import incremental
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


def test_incremental_scans_equal_cold_scans_over_random_edits(tmp_path, monkeypatch):
    root = write_corpus(str(tmp_path / "corpus"), 3)
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    memos: list[incremental.Memo] = []
    real_load = incremental.load

    def load(cache, key):
        memo = real_load(cache, key)
        if memo is not None:
            memos.append(memo)
        return memo

    monkeypatch.setattr(incremental, "load", load)
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
    # records were reused after every edit, and edits that changed resources left some to evaluate
    reuse = [(m.reused, len(m.made)) for m in memos]
    assert len(memos) >= 14 and all(0 < used <= made for used, made in reuse[1:]), reuse
    assert sum(used < made for used, made in reuse[1:]) >= 5, reuse


def test_a_reused_record_gives_the_findings_and_counts_of_a_fresh_evaluation(tmp_path):
    from scanner.policy import evaluate, load_policies

    root = write_corpus(str(tmp_path / "corpus"), 2)
    loaded = api.load([root], base=root)
    policies = load_policies(())
    plain = evaluate(loaded.graph, policies)
    first = incremental.Memo()
    assert evaluate(loaded.graph, policies, memo=first) == plain and first.reused == 0
    again = incremental.Memo(first.made)
    assert evaluate(loaded.graph, policies, memo=again) == plain
    assert again.reused == len(first.made) > 50
    # graph-reading policies are recorded as such and run again: the records hold none of their findings
    graph_ids = {pid for entry in first.made.values() for pid in entry[3]}
    assert {"RG-PATH-003", "RG-DRIFT-001"} <= graph_ids
    assert not any(f.policy_id in entry[3] for entry in first.made.values() for f in entry[0])


def test_records_are_keyed_by_the_policy_files_and_parameters(tmp_path):
    from scanner.policy import load_policies

    policies = load_policies(())
    key = incremental.namespace(policies, {})
    assert key is not None and key.startswith(incremental.MEMO_PREFIX)
    assert incremental.namespace(policies, {"RG-AWS-001": {"admin_ports": [22]}}) != key
    assert incremental.namespace(policies[:-1], {}) != key
    from dataclasses import replace

    unpinned = [replace(policies[0], meta=replace(policies[0].meta, source_path="")), *policies[1:]]
    assert incremental.namespace(unpinned, {}) is None


@pytest.mark.parametrize("broken", [b"", b"not a pickle", b"\x00" * 40])
def test_a_damaged_record_store_is_a_miss(tmp_path, monkeypatch, broken):
    import sqlite3

    from scanner import cache as cache_module

    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    root = write_corpus(str(tmp_path / "corpus"), 1)
    first = _reports(root)
    db = sqlite3.connect(os.path.join(tmp_path, "cache", cache_module.DB_NAME))
    with db:
        db.execute("UPDATE entries SET value = ? WHERE key LIKE ?", (broken, incremental.MEMO_PREFIX + "%"))
        db.execute("DELETE FROM entries WHERE key LIKE ?", (cache_module.RESULT_PREFIX + "%",))
    db.close()
    assert _reports(root) == first
