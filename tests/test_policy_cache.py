"""Validated policies as parse-cache entries: unchanged files skip validation; changed or broken files never come from it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3

import pytest

from scanner import cache
from scanner.policy import loader
from scanner.policy import cache as policy_cache
from scanner.policy.loader import PolicyError, load_policies

POLICY = """\
id: RG-TST-001
title: Buckets must not be publicly readable
severity: high
description: A bucket uses a public canned ACL.
remediation: Use a private ACL instead.
resource: [aws_s3_bucket]
condition: {path: acl, equals: public-read}
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "RG-TST-001.yaml").write_text(POLICY)
    calls = []
    real = loader.validate
    monkeypatch.setattr(loader, "validate", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    return policies, calls


def load(policies):
    return [p.id for p in load_policies([str(policies)], builtin=False)]


def _blobs(directory):
    """key -> stored blob of every entry in the one cache database."""
    with contextlib.closing(sqlite3.connect(os.path.join(directory, cache.DB_NAME))) as db:
        return {key: bytes(value) for key, value in db.execute("SELECT key, value FROM entries")}


def _policy_key(directory, policies):
    return cache.ParseCache(str(directory)).key(policy_cache.PARSER,
                                                (policies / "RG-TST-001.yaml").read_bytes())


def _set_blob(directory, key, blob):
    with contextlib.closing(sqlite3.connect(os.path.join(directory, cache.DB_NAME))) as db, db:
        db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (key, blob))


def test_second_load_skips_validation(setup, tmp_path):
    policies, calls = setup
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1
    # one store: the document is an entry of the parse cache's database, under its key and stamp
    key = _policy_key(tmp_path / "cache", policies)
    assert list(_blobs(tmp_path / "cache")) == [key]
    assert sorted(os.listdir(tmp_path / "cache")) == [cache.DB_NAME]
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1


def test_a_new_code_stamp_validates_again(setup, monkeypatch):
    policies, calls = setup
    load(policies)
    monkeypatch.setattr(cache, "_CODE_STAMP", b"another riskgraph")
    assert load(policies) == ["RG-TST-001"] and len(calls) == 2


def test_a_copy_of_the_same_bytes_elsewhere_is_served(setup, tmp_path):
    policies, calls = setup
    load(policies)
    other = tmp_path / "other"
    other.mkdir()
    (other / "RG-TST-001.yaml").write_bytes((policies / "RG-TST-001.yaml").read_bytes())
    assert [p.meta.source_path for p in load_policies([str(other)], builtin=False)] == [
        str(other / "RG-TST-001.yaml")]
    assert len(calls) == 1


def test_a_changed_file_is_validated_again_and_a_broken_one_refused(setup):
    policies, calls = setup
    load(policies)
    (policies / "RG-TST-001.yaml").write_text(POLICY.replace("equals:", "equalz:"))
    with pytest.raises(PolicyError, match="unknown operator 'equalz'"):
        load(policies)
    with pytest.raises(PolicyError, match="unknown operator 'equalz'"):
        load(policies)  # the broken file was not cached


def test_a_file_that_fails_to_compile_is_not_cached(setup, tmp_path):
    policies, _ = setup
    (policies / "RG-TST-001.yaml").write_text(POLICY.replace("id: RG-TST-001", "id: RG-TST-002"))
    for _ in range(2):
        with pytest.raises(PolicyError, match="does not match the file name"):
            load(policies)
    assert not os.path.exists(tmp_path / "cache" / cache.DB_NAME) or not _blobs(tmp_path / "cache")


def test_parameters_and_file_name_checks_still_apply_to_cached_documents(setup):
    policies, _ = setup
    load(policies)
    with pytest.raises(PolicyError, match="undeclared parameters"):
        load_policies([str(policies)], builtin=False, parameters={"RG-TST-001": {"x": 1}})


@pytest.mark.parametrize("damage", ["flipped", "truncated", "wrong-shape"])
def test_a_corrupt_entry_is_ignored_and_the_file_validated_again(setup, tmp_path, damage):
    policies, calls = setup
    load(policies)
    key = _policy_key(tmp_path / "cache", policies)
    blob = _blobs(tmp_path / "cache")[key]
    if damage == "flipped":
        blob = blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:]
    elif damage == "truncated":
        blob = blob[: len(blob) // 2]
    else:  # sound bytes and digest, but not a (document, lines) pair: never used as one
        payload = pickle.dumps(["RG-TST-001"])
        blob = cache.FORMAT + hashlib.sha256(payload).digest() + payload
    _set_blob(tmp_path / "cache", key, blob)
    assert load(policies) == ["RG-TST-001"] and len(calls) == 2
    assert load(policies) == ["RG-TST-001"] and len(calls) == 2  # rewritten by the second load


@pytest.mark.parametrize("content", [b"\x00garbage", b"SQLite format 3\0" + b"\xff" * 4000])
def test_a_corrupt_cache_database_is_not_an_error(setup, tmp_path, content):
    policies, calls = setup
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / cache.DB_NAME).write_bytes(content)
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1


def test_cache_can_be_turned_off(setup, tmp_path, monkeypatch):
    policies, calls = setup
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    load(policies)
    load(policies)
    assert len(calls) == 2 and not os.path.exists(tmp_path / "cache")


def test_an_entry_that_names_a_function_is_refused_not_executed(setup, tmp_path):
    policies, calls = setup
    load(policies)

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    payload = pickle.dumps(Boom())  # a well-formed entry with a valid digest: only the unpickler stands
    _set_blob(tmp_path / "cache", _policy_key(tmp_path / "cache", policies),
              cache.FORMAT + hashlib.sha256(payload).digest() + payload)
    assert load(policies) == ["RG-TST-001"] and len(calls) == 2
    assert not (tmp_path / "pwned").exists()


def test_a_scan_loads_policies_through_its_active_cache(setup, tmp_path):
    policies, calls = setup
    store = cache.ParseCache(str(tmp_path / "elsewhere"))
    with cache.active(store):
        assert load(policies) == ["RG-TST-001"]
        assert store.misses == 1 and not os.path.exists(tmp_path / "cache")
    assert list(_blobs(tmp_path / "elsewhere")) == [_policy_key(tmp_path / "elsewhere", policies)]
