"""The validated-policy cache: unchanged files skip validation; changed or broken files never come from it."""

from __future__ import annotations

import os

import pytest

from scanner.policy import loader
from scanner.policy.cache import FILE_NAME, PolicyCache
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


def test_second_load_skips_validation(setup, tmp_path):
    policies, calls = setup
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1
    assert os.path.exists(tmp_path / "cache" / FILE_NAME)
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1


def test_a_changed_file_is_validated_again_and_a_broken_one_refused(setup):
    policies, calls = setup
    load(policies)
    (policies / "RG-TST-001.yaml").write_text(POLICY.replace("equals:", "equalz:"))
    with pytest.raises(PolicyError, match="unknown operator 'equalz'"):
        load(policies)
    with pytest.raises(PolicyError, match="unknown operator 'equalz'"):
        load(policies)  # the broken file was not cached


def test_parameters_and_file_name_checks_still_apply_to_cached_documents(setup):
    policies, _ = setup
    load(policies)
    with pytest.raises(PolicyError, match="undeclared parameters"):
        load_policies([str(policies)], builtin=False, parameters={"RG-TST-001": {"x": 1}})


def test_a_corrupt_or_foreign_cache_is_ignored(setup, tmp_path):
    policies, calls = setup
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).write_bytes(b"\x00garbage")
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1
    assert PolicyCache(str(tmp_path / "cache")).get(str(policies / "RG-TST-001.yaml")) is not None


def test_cache_can_be_turned_off(setup, tmp_path, monkeypatch):
    policies, calls = setup
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    load(policies)
    load(policies)
    assert len(calls) == 2 and not os.path.exists(tmp_path / "cache")


def test_a_cache_that_names_a_class_is_refused_not_executed(setup, tmp_path):
    import pickle

    policies, calls = setup
    (tmp_path / "cache").mkdir()

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    (tmp_path / "cache" / FILE_NAME).write_bytes(pickle.dumps(Boom()))
    assert load(policies) == ["RG-TST-001"] and len(calls) == 1
    assert not (tmp_path / "pwned").exists()
