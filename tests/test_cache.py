"""The parse cache: content-addressed, off unless active, and a corrupt or forged entry is ignored, never trusted."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import shutil
import sqlite3

import pytest

from scanner import cache
from scanner.formats.terraform.syntax import parse_hcl
from scanner.yamlnodes import iter_documents

TF = b'resource "aws_s3_bucket" "b" {\n  bucket = "b-${var.x}"\n  tags = { a = 1 }\n}\n'
YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d {a: 1}\nmore: *d\n"


class _Counter:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self):
        self.calls += 1
        return self.fn()


def _entries(directory):
    """(key, blob) of every stored entry."""
    path = os.path.join(directory, cache.DB_NAME)
    if not os.path.exists(path):
        return []
    with contextlib.closing(sqlite3.connect(path)) as db:
        return sorted(db.execute("SELECT key, value FROM entries").fetchall())


def _rewrite(directory, change):
    """Replace each stored blob with ``change(index, blob)``."""
    with contextlib.closing(sqlite3.connect(os.path.join(directory, cache.DB_NAME))) as db, db:
        for i, (key, blob) in enumerate(_entries(directory)):
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (change(i, bytes(blob)), key))


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
    assert os.listdir(tmp_path) == [cache.DB_NAME]  # closed: no WAL files left
    assert len(_entries(tmp_path)) == 1


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
    assert len(_entries(tmp_path)) == 1
    return store


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage", "header"])
def test_corrupt_entry_is_ignored_and_rewritten(tmp_path, damage):
    _store_one(tmp_path)
    _rewrite(tmp_path, lambda _, blob: {
        "truncate": blob[: len(blob) // 2], "flip": blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:],
        "empty": b"", "garbage": os.urandom(300), "header": b"XXXXX\n" + blob[6:]}[damage])
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
    _store_one(tmp_path)
    payload = pickle.dumps(_Boom())  # a well-formed entry with a valid digest: only find_class stands
    _rewrite(tmp_path, lambda *_: cache.FORMAT + hashlib.sha256(payload).digest() + payload)
    store = cache.ParseCache(str(tmp_path))
    with cache.active(store):
        value = cache.cached("hcl", TF, lambda: parse_hcl(TF, "main.tf"), "main.tf")
    assert store.ignored == 1 and value.blocks[0].labels == ["aws_s3_bucket", "b"]
    assert not os.path.exists("/tmp/riskgraph-cache-pwned")


def test_entries_rebuild_only_classes_of_the_model_and_of_modules_a_format_declares():
    """The allow-list is the shared parse classes plus each format's ``memo_modules``: nothing else is built."""
    from scanner.formats import FORMATS
    from scanner.formats.terraform.module import Instance
    from scanner.formats.terraform.values import TfSet

    assert "scanner.formats.terraform.syntax" in FORMATS["terraform"].memo_modules
    hcl = cache._Unpickler(io.BytesIO(pickle.dumps(parse_hcl(TF, "main.tf")))).load()
    assert hcl.blocks[0].labels == ["aws_s3_bucket", "b"]
    # evaluated values (a stored root module's resources hold them): declared by the Terraform format
    assert cache._Unpickler(io.BytesIO(pickle.dumps(TfSet(["a"])))).load() == ["a"]
    undeclared = pickle.dumps(Instance("", None, {}, {}, []))  # a class of a format module no descriptor names
    with pytest.raises(pickle.UnpicklingError, match=r"scanner\.formats\.terraform\.module\.Instance"):
        cache._Unpickler(io.BytesIO(undeclared)).load()


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100, b"SQLite format 3\0" + b"\xff" * 4000],
                         ids=["empty", "text", "bad-pages"])
def test_corrupt_database_file_is_not_an_error(tmp_path, content):
    (tmp_path / cache.DB_NAME).write_bytes(content)
    for _ in range(2):
        store = cache.ParseCache(str(tmp_path))
        with cache.active(store):
            value = cache.cached("hcl", TF, lambda: parse_hcl(TF, "main.tf"), "main.tf")
        assert value.blocks[0].labels == ["aws_s3_bucket", "b"] and store.ignored == 0


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


# -- the cache inside a scan --------------------------------------------------

def _scan_rendered(root, policies, store):
    from scanner.api import scan
    from scanner.report import render

    with cache.active(store):
        report = scan([root], policies=policies, base=root)
    return render(report, "json"), render(report, "sarif")


@pytest.fixture(scope="module")
def system_policies(builtin_policies):
    return list(builtin_policies.values())


def _named_lookups(store: cache.ParseCache) -> tuple[dict[str, int], dict[str, int]]:
    """Count ``store``'s lookups by the name they were memoised under: (found, missing), filled as it is used."""
    names: dict[str, str] = {}
    found: dict[str, int] = {}
    missing: dict[str, int] = {}
    key, get = store.key, store.get

    def named_key(parser: str, data: bytes, detail: str = "") -> str:
        k = key(parser, data, detail)
        names[k] = parser
        return k

    def counted_get(k: str):
        hit, value = get(k)
        tally = found if hit else missing
        tally[names.get(k, "?")] = tally.get(names.get(k, "?"), 0) + 1
        return hit, value
    store.key, store.get = named_key, counted_get  # type: ignore[method-assign]
    return found, missing


def test_rescan_reads_every_file_from_the_cache_with_identical_output(tmp_path, system_policies):
    from conftest import SYSTEMS

    root = os.path.join(SYSTEMS, "solar-booking")
    uncached = _scan_rendered(root, system_policies, None)
    cold = cache.ParseCache(str(tmp_path))
    cold_found, cold_missing = _named_lookups(cold)
    assert _scan_rendered(root, system_policies, cold) == uncached
    assert cold_found == {} and cold_missing == {
        "yaml-documents": 2, "hcl": 2, "architecture": 1, "k8s-parse": 1, "tf-root": 1}
    warm = cache.ParseCache(str(tmp_path))
    warm_found, warm_missing = _named_lookups(warm)
    assert _scan_rendered(root, system_policies, warm) == uncached
    # nothing parsed again; the whole Kubernetes parse is used without the entries made beneath it
    # (each manifest's documents); the Terraform files' syntax trees are still read, to find the roots
    assert warm_missing == {} and warm.ignored == 0
    assert warm_found == {"hcl": 2, "architecture": 1, "k8s-parse": 1, "tf-root": 1}


def test_scan_with_every_entry_corrupted_gives_identical_output(tmp_path, system_policies):
    from conftest import SYSTEMS

    root = os.path.join(SYSTEMS, "solar-booking")
    uncached = _scan_rendered(root, system_policies, None)
    _scan_rendered(root, system_policies, cache.ParseCache(str(tmp_path)))
    entries = _entries(tmp_path)
    assert entries
    _rewrite(tmp_path, lambda i, blob: blob[:10] if i % 2 else blob[:-1] + bytes([blob[-1] ^ 1]))
    damaged = cache.ParseCache(str(tmp_path))
    assert _scan_rendered(root, system_policies, damaged) == uncached
    assert damaged.ignored == len(entries) and damaged.hits == 0


def test_changed_file_is_parsed_again(tmp_path, system_policies):
    from conftest import SYSTEMS

    root = tmp_path / "repo"
    shutil.copytree(os.path.join(SYSTEMS, "solar-booking"), root)
    store_dir = str(tmp_path / "cache")

    def public_databases(rendered):
        return [(f["resource"], f["location"]["start_line"]) for f in json.loads(rendered[0])["findings"]
                if f["policy_id"] == "RG-AWS-002"]

    before = _scan_rendered(str(root), system_policies, cache.ParseCache(store_dir))
    assert public_databases(before) == [("aws_db_instance.customers", 47)]
    main_tf = root / "terraform" / "main.tf"
    main_tf.write_text(main_tf.read_text().replace("publicly_accessible    = true",
                                                   "publicly_accessible    = false"))
    warm = cache.ParseCache(store_dir)
    after = _scan_rendered(str(root), system_policies, warm)
    assert after == _scan_rendered(str(root), system_policies, None)
    assert warm.misses == 1 and public_databases(after) == []


def test_cached_file_reads_the_path_and_skips_a_file_changed_meanwhile(tmp_path):
    target = tmp_path / "arch.yaml"
    target.write_bytes(b"components: []\n")
    store = cache.ParseCache(str(tmp_path / "cache"))
    with cache.active(store):
        assert cache.cached_file("arch", str(target), lambda: "first", "arch.yaml") == "first"
        assert cache.cached_file("arch", str(target), lambda: "again", "arch.yaml") == "first"

        def edit_while_parsing():
            target.write_bytes(b"components: [x]\n")
            return "stale"

        target.write_bytes(b"zones: []\n")
        assert cache.cached_file("arch", str(target), edit_while_parsing, "arch.yaml") == "stale"
        target.write_bytes(b"zones: []\n")
        assert cache.cached_file("arch", str(target), lambda: "fresh", "arch.yaml") == "fresh"
        assert cache.cached_file("arch", str(tmp_path / "missing"), lambda: "none") == "none"
