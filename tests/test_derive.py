"""Linking never changes what parsing produced: derived facts go through `LinkContext.derive` and live on the graph's nodes only."""

from __future__ import annotations

import copy
import os

import pytest

from scanner.discover import discover
from scanner.graph import LinkContext, build_graph, run_linker
from scanner.graph.linkers import LINKERS
from scanner.model import Layer, Location, Resource
from scanner.parse import ParseOptions, parse_all

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM = os.path.join(ROOT, "fixtures", "systems", "solar-booking")


def _parsed() -> list[Resource]:
    found = discover([SYSTEM], base=ROOT)
    return parse_all(found.files, ParseOptions()).resources


def test_parsed_resources_are_unchanged_by_linking_and_the_graph_carries_the_derived_facts() -> None:
    resources = _parsed()
    before = {r.address: (copy.deepcopy(dict(r.attributes)), dict(r.lines)) for r in resources}
    graph = build_graph(resources)
    for r in resources:
        assert (dict(r.attributes), dict(r.lines)) == before[r.address], r.address
    derived = {address: sorted(k for k in data["resource"].attributes if k not in before.get(address, ({},))[0])
               for address, data in graph.nodes(data=True)
               if data.get("resource") is not None and address in before}
    workloads = [a for a in derived if "/Deployment/" in a]
    assert workloads, "the system has Deployments"
    for address in workloads:
        assert {"$network_isolation", "$network_policies", "$permissions", "$service_account",
                "$automount_service_account_token"} <= set(derived[address]), address
        node = graph.nodes[address]["resource"]
        assert node.lines["$service_account"] == node.line_of("$pod.serviceAccountName") or \
            node.lines["$service_account"] == node.line_of("$pod")
    components = [a for a, data in graph.nodes(data=True)
                  if data.get("resource") is not None and data["resource"].kind is Layer.ARCHITECTURE
                  and data["resource"].type == "component"]
    assert components
    assert all("$in_architecture" in graph.nodes[a]["resource"].attributes for a in workloads)


def _resource(address: str) -> Resource:
    return Resource(address=address, kind=Layer.TERRAFORM, type="aws_thing", attributes={"name": "x"},
                    location=Location("main.tf", 3, 5), lines={"name": 4})


def test_derive_takes_only_dollar_names_and_what_a_crashed_pass_derived_is_undone() -> None:
    import networkx as nx

    graph = nx.MultiDiGraph()
    a, b = _resource("aws_thing.a"), _resource("aws_thing.b")
    for r in (a, b):
        graph.add_node(r.address, resource=r)
    ctx = LinkContext(graph, [a, b])
    with pytest.raises(ValueError):
        ctx.derive(a.address, {"name": "y"})

    def crashes_on_b(c: LinkContext) -> None:
        for r in c.resources:
            c.derive(r.address, {"$seen": True}, {"$seen": 5})
            if r.address == "aws_thing.b":
                raise RuntimeError("boom")

    diagnostics: list = []
    run_linker(crashes_on_b, ctx, diagnostics)
    assert [d.code for d in diagnostics] == ["linker-crash"]
    assert ctx.fact(a.address, "$seen") is True  # the second pass, without b, derived it again
    assert ctx.fact(b.address, "$seen") is None and ctx.line_of(a, "$seen") == 5
    ctx.settle({a.address: a, b.address: b})
    assert graph.nodes[a.address]["resource"].attributes == {"name": "x", "$seen": True}
    assert graph.nodes[a.address]["resource"].line_of("$seen") == 5
    assert graph.nodes[b.address]["resource"] is b and a.attributes == {"name": "x"}


def test_every_linker_is_registered_once() -> None:
    names = [f"{link.__module__}.{link.__qualname__}" for link in LINKERS]
    assert len(names) == len(set(names))
    assert names[0] == "scanner.graph.linkers.references.link"
    formats = names.index("scanner.formats.kubernetes.link.link")
    assert names[formats:formats + 2] == ["scanner.formats.kubernetes.link.link",
                                          "scanner.formats.architecture.link.link"]
    assert names[-1] == "scanner.graph.linkers.data_drift.link"  # compares the architecture with identity paths
