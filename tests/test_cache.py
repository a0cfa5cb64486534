"""The parse cache: content-addressed, off unless active, and a corrupt or forged entry is ignored, never trusted."""

from __future__ import annotations

import hashlib
import os
import pickle

import pytest

from scanner import cache
from scanner.parsers.terraform.syntax import parse_hcl
from scanner.parsers.yamlnodes import iter_documents

TF = b'resource "aws_s3_bucket" "b" {\n  bucket = "b-${var.x}"\n  tags = { a = 1 }\n}\n'
YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d {a: 1}\nmore: *d\n"


class _Counter:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self):
        self.calls += 1
        return self.fn()


def _entries(directory):
    return sorted(os.path.join(dp, n) for dp, _, names in os.walk(directory) for n in names)


def test_inactive_cache_computes_every_time():
    compute = _Counter(lambda: 42)
    assert cache.cached("p", b"x", compute) == 42
    assert cache.cached("p", b"x", compute) == 42
    assert compute.calls == 2


def test_second_parse_is_read_from_the_cache(tmp_path):
    store = cache.ParseCache(str(tmp_path))
    compute = _Counter(lambda: parse_hcl(TF, "main.tf"))
    with cache.active(store):
        first = cache.cached("hcl", TF, compute, "main.tf")
        second = cache.cached("hcl", TF, compute, "main.tf")
    assert compute.calls == 1 and (store.hits, store.misses) == (1, 1)
    assert pickle.dumps(first) == pickle.dumps(second)
    assert second.blocks[0].labels == ["aws_s3_bucket", "b"]
    assert [p for p in _entries(tmp_path) if not p.startswith(str(tmp_path / "parse"))] == []


def test_yaml_documents_round_trip(tmp_path):
    with cache.active(cache.ParseCache(str(tmp_path))):
        cache.cached("yaml", YAML.encode(), lambda: list(iter_documents(YAML)))
        (doc,) = cache.cached("yaml", YAML.encode(), lambda: pytest.fail("not cached"))
    assert doc.value["more"] == {"a": 1} and doc.lines["more"] == 5


@pytest.mark.parametrize("change", ["bytes", "parser", "detail"])
def test_key_covers_bytes_parser_and_detail(tmp_path, change):
    store = cache.ParseCache(str(tmp_path))
    args = {"parser": "hcl", "data": TF, "detail": "main.tf"}
    base = store.key(**args)
    args[{"bytes": "data", "parser": "parser", "detail": "detail"}[change]] = \
        {"bytes": TF + b"\n", "parser": "yaml", "detail": "other.tf"}[change]
    assert store.key(**args) != base


def test_key_covers_the_parser_code(tmp_path, monkeypatch):
    store = cache.ParseCache(str(tmp_path))
    before = store.key("hcl", TF)
    monkeypatch.setattr(cache, "_CODE_STAMP", b"another parser version")
    assert store.key("hcl", TF) != before


def _store_one(tmp_path):
    store = cache.ParseCache(str(tmp_path))
    with cache.active(store):
        cache.cached("hcl", TF, lambda: parse_hcl(TF, "main.tf"), "main.tf")
    (entry,) = _entries(tmp_path)
    return store, entry


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage", "header"])
def test_corrupt_entry_is_ignored_and_rewritten(tmp_path, damage):
    _, entry = _store_one(tmp_path)
    with open(entry, "rb") as handle:
        blob = handle.read()
    broken = {"truncate": blob[: len(blob) // 2], "flip": blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:],
              "empty": b"", "garbage": os.urandom(300), "header": b"XXXXX\n" + blob[6:]}[damage]
    with open(entry, "wb") as handle:
        handle.write(broken)
    store = cache.ParseCache(str(tmp_path))
    compute = _Counter(lambda: parse_hcl(TF, "main.tf"))
    with cache.active(store):
        value = cache.cached("hcl", TF, compute, "main.tf")
    assert compute.calls == 1 and store.ignored == 1
    assert value.blocks[0].labels == ["aws_s3_bucket", "b"]
    with cache.active(cache.ParseCache(str(tmp_path))) as again:
        cache.cached("hcl", TF, lambda: pytest.fail("entry was not rewritten"), "main.tf")
    assert again.hits == 1


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/riskgraph-cache-pwned",))


def test_forged_entry_cannot_run_code(tmp_path):
    _, entry = _store_one(tmp_path)
    payload = pickle.dumps(_Boom())
    with open(entry, "wb") as handle:  # a well-formed entry with a valid digest: only find_class stands
        handle.write(cache.FORMAT + hashlib.sha256(payload).digest() + payload)
    store = cache.ParseCache(str(tmp_path))
    with cache.active(store):
        value = cache.cached("hcl", TF, lambda: parse_hcl(TF, "main.tf"), "main.tf")
    assert store.ignored == 1 and value.blocks[0].labels == ["aws_s3_bucket", "b"]
    assert not os.path.exists("/tmp/riskgraph-cache-pwned")


def test_unwritable_cache_directory_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = cache.ParseCache(str(blocker))
    with cache.active(store):
        value = cache.cached("hcl", TF, lambda: parse_hcl(TF, "main.tf"), "main.tf")
    assert value.blocks and store.misses == 1


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "x"))
    assert cache.cache_dir() == str(tmp_path / "x")
    monkeypatch.delenv("RISKGRAPH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == str(tmp_path / "xdg" / "riskgraph")
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    assert cache.disabled_by_environment()
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "0")
    assert not cache.disabled_by_environment()
