"""Open Threat Model files: the same architecture graph as their native twins, lines kept, what OTM cannot say unknown, bad files refused."""

from __future__ import annotations

import json
import os

import pytest

from conftest import FIXTURES
from scanner.api import load_graph, scan
from scanner.discover import classify, discover
from scanner.model import Unknown
from scanner.parse import ParseOptions, parse_all

CASES = os.path.join(FIXTURES, "cases", "architecture", "otm")
SOLAR = os.path.join(FIXTURES, "systems", "solar-booking", "architecture.yaml")


def _architecture_graph(path):
    """Every architecture element (address, type, attributes) and every edge touching one."""
    graph = load_graph([path], base=os.path.dirname(path))
    nodes = {n: (d["resource"].type, dict(d["resource"].attributes))
             for n, d in graph.nodes(data=True)
             if d.get("resource") is not None and n.startswith("arch:")}
    edges = sorted((u, v, k) for u, v, k in graph.edges(keys=True) if u in nodes or v in nodes)
    return nodes, edges


SOLAR_ELEMENTS = {
    "arch:component/android_app", "arch:component/api", "arch:component/browser", "arch:component/db",
    "arch:component/ios_app", "arch:component/web", "arch:data/bookings", "arch:data/customer_pii",
    "arch:flow/android_app->api", "arch:flow/api->db", "arch:flow/browser->web",
    "arch:flow/ios_app->api", "arch:flow/web->api", "arch:role/deployer", "arch:role/engineers",
    "arch:role/sales", "arch:role/support", "arch:zone/dmz", "arch:zone/internet", "arch:zone/private",
}
CLINIC_ELEMENTS = {
    "arch:component/booking-app", "arch:component/booking-worker", "arch:component/patient-browser",
    "arch:component/records-db", "arch:data/opening-hours", "arch:data/patient-records",
    "arch:flow/booking", "arch:flow/records", "arch:zone/clinic-cloud", "arch:zone/public-internet",
    "arch:zone/records-subnet",
}


@pytest.mark.parametrize("otm, native, elements, some_edges", [
    (os.path.join(CASES, "twin", "solar-booking.otm.yaml"), SOLAR, SOLAR_ELEMENTS,
     {("internet", "arch:component/android_app", "exposes"),
      ("arch:component/api", "arch:component/db", "flows_to")}),
    (os.path.join(CASES, "twin", "clinic.otm.json"), os.path.join(CASES, "native", "clinic.yaml"),
     CLINIC_ELEMENTS,
     {("internet", "arch:component/booking-app", "exposes"),
      ("arch:component/booking-app", "arch:component/records-db", "flows_to")}),
])
def test_an_otm_twin_gives_the_same_architecture_graph_as_the_native_file(otm, native, elements, some_edges):
    otm_nodes, otm_edges = _architecture_graph(otm)
    native_nodes, native_edges = _architecture_graph(native)
    assert set(native_nodes) == elements
    assert otm_nodes == native_nodes
    assert otm_edges == native_edges
    assert some_edges <= set(otm_edges)


def test_twin_findings_point_at_the_otm_lines():
    folder = os.path.join(CASES, "twin")
    report = scan([os.path.join(folder, "clinic.otm.json")], base=folder)
    got = sorted((f.policy_id, f.resource, f.location.path, f.location.start_line)
                 for f in report.findings)
    assert got == [
        ("RG-ARCH-003", "arch:flow/records", "clinic.otm.json", 40),
        ("RG-ARCH-007", "arch:component/records-db", "clinic.otm.json", 23),
        ("RG-ARCH-008", "arch:component/records-db", "clinic.otm.json", 20),
        ("RG-ARCH-009", "arch:component/booking-app", "clinic.otm.json", 13),
        ("RG-ARCH-009", "arch:component/booking-worker", "clinic.otm.json", 17),
        ("RG-ARCH-010", "arch:component/records-db", "clinic.otm.json", 23),
        ("RG-ARCH-011", "arch:component/booking-worker", "clinic.otm.json", 19),
        ("RG-ARCH-012", "arch:component/booking-worker", "clinic.otm.json", 19),
    ]


def _plain():
    folder = os.path.join(CASES, "plain")
    found = discover([folder], base=folder)
    assert [f.format for f in found.files] == ["otm"]
    parsed = parse_all(found.files, ParseOptions())
    return parsed, {r.address: r for r in parsed.resources}


def test_plain_otm_maps_zones_components_flows_and_assets():
    parsed, e = _plain()
    assert [(d.code, d.path, d.line, d.level) for d in parsed.diagnostics] == [
        ("otm-component-type", "shop.otm.yaml", 19, "info")]            # CD-V2-QUANTUM-THING
    assert (e["arch:zone/internet"].attributes["trust"], e["arch:zone/aws"].attributes["trust"]) \
        == (0, 6)                                                       # type internet; 60 / 10
    shopper = e["arch:component/shopper"].attributes
    assert (shopper["type"], shopper["zone"], "exposure" in shopper) == ("client", "internet", False)
    front = e["arch:component/storefront"]
    assert (front.attributes["type"], front.attributes["exposure"], front.location.start_line) == \
        ("web_frontend", "public", 9)                                   # called from the internet
    orders = e["arch:component/orders"].attributes
    assert (orders["type"], orders["exposure"], orders["stores"]) == \
        ("database", "private", ["cards", "catalogue"])                  # DynamoDB
    assert e["arch:component/mystery"].attributes["type"] == "service"
    # OTM has no field for controls, TLS or a flow's authentication: unknown, never "absent"
    assert orders["controls"]["encryption_at_rest"] == Unknown()
    assert front.attributes["controls"]["authentication"] == Unknown()
    assert e["arch:flow/store"].attributes["tls"] == Unknown()
    assert {d: e[f"arch:data/{d}"].attributes["classification"]
            for d in ("cards", "catalogue", "staff")} == \
        {"cards": "secret", "catalogue": "public", "staff": "internal"}
    assert e["arch:data/cards"].line_of("classification") == 21


def test_plain_otm_claims_no_missing_control():
    folder = os.path.join(CASES, "plain")
    report = scan([folder], base=folder)
    # the storefront's authentication is unknown, so the card store is not "reachable without
    # authentication"; encryption, logging, backups, WAF and TLS are unknown too
    assert [(f.policy_id, f.resource) for f in report.findings] == []


def _refused(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    found = discover([str(tmp_path)], base=str(tmp_path))
    parsed = parse_all(found.files, ParseOptions())
    assert parsed.resources == []
    return [(d.code, d.line, d.message) for d in parsed.diagnostics]


def test_invalid_otm_is_refused_with_path_and_line(tmp_path):
    text = open(os.path.join(CASES, "plain", "shop.otm.yaml"), encoding="utf-8").read()
    got = _refused(tmp_path, "a.otm.yaml", text.replace("destination: orders", "destination: ghost")
                   .replace("risk: {trustRating: 60}", "risk: {rating: 60}"))
    assert [(c, line) for c, line, _ in got] == [("architecture-invalid", 6)]
    assert "'trustRating' is a required property" in got[0][2]


def test_an_otm_reference_to_nothing_is_refused(tmp_path):
    text = open(os.path.join(CASES, "plain", "shop.otm.yaml"), encoding="utf-8").read()
    got = _refused(tmp_path, "a.otm.yaml", text.replace("destination: orders", "destination: ghost"))
    assert got == [("architecture-invalid", 26, "architecture file refused: at dataflows.1."
                    "destination: 'ghost' is not a declared component id")]


def test_riskgraph_attributes_are_checked_as_the_native_format_checks_them(tmp_path):
    doc = json.load(open(os.path.join(CASES, "twin", "clinic.otm.json"), encoding="utf-8"))
    doc["components"][1]["attributes"]["riskgraph"]["controls"]["tls"] = "yes"
    doc["components"][3]["attributes"]["riskgraph"]["owner"] = "ops"
    got = _refused(tmp_path, "c.otm.json", json.dumps(doc, indent=1))
    assert [(c, "owner" in m or "'yes' is not of type 'boolean'" in m) for c, _, m in got] == \
        [("architecture-invalid", True)]          # the schema of OTM refuses the unknown key first
    del doc["components"][3]["attributes"]["riskgraph"]["owner"]
    got = _refused(tmp_path, "c.otm.json", json.dumps(doc, indent=1))
    assert got == [("architecture-invalid", 58, "architecture file refused: at components[1].controls.tls: "
                    "'yes' is not of type 'boolean'")]          # line 58 holds "tls": "yes"


@pytest.mark.parametrize("name, head, expected", [
    ("m.yaml", b"otmVersion: 0.2.0\nproject: {name: a, id: a}\n", "otm"),
    ("m.json", b'{\n  "otmVersion": "0.2.0",\n  "project": {}\n}', "otm"),
    ("m.json", b'{"description": "mentions otmVersion"}', None),
])
def test_otm_files_are_recognised_by_content(name, head, expected):
    assert classify(name, head) == expected
