"""What a policy's condition reads, from its text (scanner/incremental.py re-runs a policy only where an edit touches it)."""

from __future__ import annotations

from scanner.policy import load_policies
from scanner.policy.compiler import Reads, condition_reads


def test_attribute_paths_read_their_first_key_and_stars_read_every_key() -> None:
    assert condition_reads({"any": [{"path": "deletion_protection", "equals": False},
                                    {"not": {"path": "deletion_protection", "exists": True}}]}) == \
        Reads(frozenset({"deletion_protection"}))
    assert condition_reads({"path": "ingress", "some": {"path": "cidr_blocks", "contains": "0.0.0.0/0"}}) == \
        Reads(frozenset({"ingress"}))
    assert condition_reads({"path": "**.password", "is_credential": True}).keys is None
    assert condition_reads({"type": ["aws_s3_bucket"]}) == Reads()


def test_a_search_reads_its_conditions_keys_on_the_types_they_allow() -> None:
    reads = condition_reads({"all": [
        {"path": "publicly_accessible", "equals": True},
        {"connected": {"edge": "attached_to", "where": {"all": [
            {"type": ["aws_security_group"]}, {"path": "ingress", "exists": True}]}}},
        {"reachable_from": {"node": "internet", "through": {"path": "**.enabled", "equals": True}}},
    ]})
    assert reads.keys == frozenset({"publicly_accessible"}) and reads.searches
    assert reads.reads_elsewhere("aws_security_group", {"ingress"})
    assert reads.reads_elsewhere("aws_security_group", {"description"})  # `through` reads every key
    assert reads.reads_elsewhere("aws_db_instance", {"anything"})  # ... of any type
    only_groups = condition_reads({"connected": {"edge": "attached_to", "where": {"all": [
        {"type": ["aws_security_group"]}, {"path": "ingress", "exists": True}]}}})
    assert not only_groups.reads_elsewhere("aws_db_instance", {"ingress"})
    assert not only_groups.reads_elsewhere("aws_security_group", {"name"})


def test_every_builtin_policy_has_a_condition_to_read() -> None:
    for policy in load_policies([]):
        assert policy.condition is not None, policy.id
        condition_reads(policy.condition)  # every operator and test of the language is dispatched
