"""What linking reads is recorded per resource type (graph.Reading), and the parsed resources get their plain attributes back.

scanner/incremental.py skips linking after an edit of keys no linker read: a read
that is not recorded would make it keep edges that should change.
"""

from __future__ import annotations

import pytest

from scanner.graph import ALL_KEYS, Reading, build_graph
from scanner.graph.linkers.aws_network import walk
from scanner.model import Layer, Location, Resource


def _res(address: str, type_: str, attributes: dict) -> Resource:
    return Resource(address=address, kind=Layer.TERRAFORM, type=type_, attributes=attributes,
                    location=Location("main.tf", 1, 3))


def test_reads_by_key_are_noted_per_type_and_whole_reads_as_every_key() -> None:
    bucket = _res("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "b", "acl": "private", "tags": {}})
    group = _res("aws_security_group.g", "aws_security_group", {"name": "g", "ingress": []})
    queue = _res("aws_sqs_queue.q", "aws_sqs_queue", {"name": "q"})

    def link(ctx) -> None:
        for r in ctx.of_type("aws_s3_bucket"):
            r.attributes.get("acl")
            assert "bucket" in r.attributes
        for r in ctx.of_type("aws_security_group"):
            dict(r.attributes)  # a copy reads every key

    graph = build_graph([bucket, group, queue], linkers=[link])
    reads = graph.graph["reads"]
    assert reads["aws_s3_bucket"] == {"acl", "bucket"} and reads["aws_sqs_queue"] == set()
    assert ALL_KEYS in reads["aws_security_group"]
    for r in (bucket, group, queue):  # lent for the length of linking only
        assert type(r.attributes) is dict
        assert type(graph.nodes[r.address]["resource"].attributes) is dict


def test_attributes_are_given_back_when_a_linker_raises_past_the_retries() -> None:
    bucket = _res("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "b"})

    def link(ctx) -> None:
        raise KeyError("boom")  # on no resource: the linker ends, the scan goes on

    graph = build_graph([bucket], linkers=[link])
    assert type(bucket.attributes) is dict and bucket.attributes == {"bucket": "b"}
    assert [d.code for d in graph.graph["diagnostics"]] == ["linker-crash"]


def test_walk_notes_the_keys_it_yields_or_walks_into_not_the_scalars_it_passes() -> None:
    seen: set[str] = set()
    attributes = Reading({"subnet_id": "s-1", "name": "x", "network_interface": [{"subnet_id": "s-2"}],
                          "tags": {"Name": "x"}}, seen)
    found = list(walk(attributes, frozenset({"subnet_id"})))
    assert found == [("subnet_id", "s-1"), ("network_interface.0.subnet_id", "s-2")]
    assert seen == {"subnet_id", "network_interface", "tags"}


@pytest.mark.parametrize("read", [
    lambda a: list(a), lambda a: a.keys(), lambda a: list(a.items()), lambda a: list(a.values()),
    lambda a: len(a), lambda a: a == {}, lambda a: repr(a), lambda a: a.copy(), lambda a: {**a},
])
def test_every_way_of_reading_the_whole_is_noted_as_every_key(read) -> None:
    seen: set[str] = set()
    read(Reading({"a": 1}, seen))
    assert ALL_KEYS in seen
