"""Architecture YAML: refusal of invalid files (file, path inside, line), elements, derived attributes and links."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.api import scan
from scanner.discover import discover
from scanner.graph import build_graph
from scanner.parse import ParseOptions, parse_all

CASES = os.path.join(FIXTURES, "cases", "architecture")


def _graph(path):
    """The linked graph of a folder or file, which must parse without diagnostics."""
    parsed = parse_all(discover([path]).files, ParseOptions())
    assert parsed.diagnostics == []
    return build_graph(parsed.resources)


def _edges(graph, kind):
    return sorted((u, v) for u, v, k in graph.edges(keys=True) if k == kind)


def _attrs(graph, address):
    return graph.nodes[address]["resource"].attributes


@pytest.mark.parametrize("name, expected", [
    ("unknown-key.yaml", [("components[0]", 6, "unknown key 'owner'")]),
    ("bad-enum.yaml", [("components[0].type", 6, "'microservice' is not one of"),
                       ("roles[0].access[0].level", 12, "'root' is not one of")]),
    ("dangling.yaml", [("components[0].zone", 5, "'dmz' is not a declared zone id"),
                       ("components[0].stores[0]", 6, "'orders' is not a declared data id"),
                       ("flows[0].to", 9, "'db' is not a declared component id")]),
    ("duplicate.yaml", [("components[1].id", 4, "duplicate id 'api'")]),
    ("wrong-type.yaml", [("zones[0].trust", 4, "'high' is not of type 'integer'"),
                         ("components[0].implemented_by[0]", 9, "is not valid under any")]),
])
def test_invalid_file_is_refused_with_path_and_line(name, expected):
    folder = os.path.join(CASES, "invalid")
    report = scan([os.path.join(folder, name)], base=folder)
    got = [(d.path, d.line, d.code) for d in report.diagnostics]
    assert got == [(name, line, "architecture-invalid") for _, line, _ in expected]
    for diagnostic, (path, _, fragment) in zip(report.diagnostics, expected):
        assert f"at {path}: " in diagnostic.message and fragment in diagnostic.message
    assert not any(f.resource.startswith("arch:") for f in report.findings)
    assert report.stats["resources"] == 0


def test_yaml_syntax_error_is_a_diagnostic():
    folder = os.path.join(CASES, "invalid")
    report = scan([os.path.join(folder, "syntax.yaml")], base=folder)
    assert [(d.path, d.line, d.code) for d in report.diagnostics] == [
        ("syntax.yaml", 5, "yaml-syntax")]


def test_elements_have_addresses_and_lines():
    parsed = parse_all(discover([os.path.join(CASES, "linking")],
                                base=os.path.join(CASES, "linking")).files, ParseOptions())
    arch = {r.address: r for r in parsed.resources if r.kind.value == "architecture"}
    assert sorted(arch) == [
        "arch:component/api", "arch:component/cache", "arch:component/db",
        "arch:component/mobile", "arch:data/catalogue", "arch:data/customers",
        "arch:flow/api-db", "arch:flow/mobile->api", "arch:role/oncall", "arch:role/support",
        "arch:zone/dmz", "arch:zone/internet", "arch:zone/private"]
    db = arch["arch:component/db"]
    assert (db.location.path, db.location.start_line, db.location.end_line) == \
        ("architecture.yaml", 15, 22)
    assert db.line_of("implemented_by.1") == 22
    assert arch["arch:flow/api-db"].line_of("tls") == 34


def test_derived_attributes():
    graph = _graph(os.path.join(CASES, "linking"))
    db = graph.nodes["arch:component/db"]["resource"]
    assert db.attributes["$zone_trust"] == 3
    assert db.attributes["$stored_classifications"] == ["pii", "public"]
    assert db.attributes["$data_outside_region"] == ["customers"]
    assert db.line_of("$data_outside_region.0") == 18       # the component's `region:` line
    assert _attrs(graph, "arch:component/api")["$data_outside_region"] == []
    assert _attrs(graph, "arch:component/api")["$inbound_tls"] is True
    assert _attrs(graph, "arch:component/db")["$inbound_tls"] is False
    assert _attrs(graph, "arch:flow/api-db")["$crosses_into_higher_trust"] is True
    assert _attrs(graph, "arch:flow/api-db")["$data_classifications"] == ["pii", "public"]
    assert _attrs(graph, "arch:data/customers")["$stored_in_regions"] == ["us-east-1"]


def test_edges():
    graph = _graph(os.path.join(CASES, "linking"))
    assert _edges(graph, "in_zone") == [
        ("arch:component/api", "arch:zone/dmz"), ("arch:component/cache", "arch:zone/private"),
        ("arch:component/db", "arch:zone/private"), ("arch:component/mobile", "arch:zone/internet")]
    assert _edges(graph, "stores") == [("arch:component/db", "arch:data/catalogue"),
                                       ("arch:component/db", "arch:data/customers")]
    assert _edges(graph, "flows_to") == [("arch:component/api", "arch:component/db"),
                                         ("arch:component/mobile", "arch:component/api")]
    flow = graph.get_edge_data("arch:component/api", "arch:component/db")["flows_to"]
    assert (flow["flow"], flow["tls"], flow["authentication"], flow["port"], flow["data"]) == \
        ("arch:flow/api-db", False, "password", 3306, ("customers", "catalogue"))
    assert ("internet", "arch:component/mobile") in _edges(graph, "exposes")
    access = [(u, v) for u, v in _edges(graph, "can_access") if u == "arch:role/oncall"]
    assert [v for _, v in access] == ["arch:component/api", "arch:component/cache",
                                      "arch:component/db", "arch:component/mobile"]
    assert _edges(graph, "can_access")[-1] == ("arch:role/support", "arch:component/api")


def test_implemented_by_selectors():
    graph = _graph(os.path.join(CASES, "linking"))
    assert [e for e in _edges(graph, "implemented_by")] == [
        ("arch:component/api", "k8s:apps/Deployment/shop/api"),       # exact address
        ("arch:component/cache", "k8s:apps/StatefulSet/shop/redis"),   # labels + kind + namespace
        ("arch:component/db", "aws_db_instance.primary"),              # tags + type
        ("arch:component/db", "aws_db_instance.replica[0]"),           # base address: every instance
        ("arch:component/db", "aws_db_instance.replica[1]"),
    ]
    cache = graph.nodes["arch:component/cache"]["resource"]
    assert cache.attributes["$unresolved_implementations"] == ["aws_elasticache_cluster.gone"]
    assert cache.line_of("$unresolved_implementations.0") == 28
    assert _attrs(graph, "arch:component/db")["$unresolved_implementations"] == []


def test_in_architecture_marks_mentioned_and_fronting_resources():
    graph = _graph(os.path.join(CASES, "linking"))
    mentioned = {n: _attrs(graph, n)["$in_architecture"] for n in graph.nodes
                 if graph.nodes[n].get("resource") is not None
                 and not n.startswith("arch:") and "$in_architecture" in _attrs(graph, n)}
    assert mentioned["k8s:core/Service/shop/api"] is True     # selects an implementation
    assert mentioned["k8s:apps/StatefulSet/shop/redis"] is True
    assert mentioned["k8s:apps/StatefulSet/other/redis"] is False
    assert mentioned["aws_lb.unmentioned"] is False
    assert _attrs(graph, "aws_db_instance.primary")["$holds_classifications"] == ["pii", "public"]
    assert "$holds_classifications" not in _attrs(graph, "aws_lb.unmentioned")


def test_architecture_alone_derives_no_scan_wide_attributes():
    graph = _graph(os.path.join(CASES, "linking", "architecture.yaml"))
    assert "$unresolved_implementations" not in _attrs(graph, "arch:component/cache")


def test_code_alone_gets_no_in_architecture():
    graph = _graph(os.path.join(CASES, "linking", "main.tf"))
    assert "$in_architecture" not in _attrs(graph, "aws_lb.unmentioned")


def test_elements_repeated_across_files():
    """Identical repeats (a shared zone) merge silently; a differing one is reported and ignored."""
    folder = os.path.join(CASES, "split")
    report = scan([folder], base=folder, only=["RG-ARCH-001"])
    assert [(d.path, d.line, d.code, d.level) for d in report.diagnostics] == [
        ("frontend.yaml", 6, "architecture-duplicate", "warning")]
    assert "arch:component/api is also defined, differently, at backend.yaml:5" in \
        report.diagnostics[0].message
    assert report.stats["resources"] == 4      # dmz, api (from backend.yaml), db, web
