"""Reachability from the internet: which resources the attack-path search reaches, which it cannot decide, per provider rule."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.discover import discover
from scanner.graph import build_graph
from scanner.graph.cidr import scope
from scanner.graph.traffic import evaluate, of
from scanner.parse import ParseOptions, parse_all
from scanner.policy.compiler import EvalContext
from scanner.policy.graphsearch import searches

REACH = os.path.join(FIXTURES, "cases", "terraform", "reach")


def _reach(name):
    directory = os.path.join(REACH, name)
    parsed = parse_all(discover([directory], base=directory).files, ParseOptions())
    assert parsed.diagnostics == []
    graph = build_graph(parsed.resources)
    assert graph.graph["diagnostics"] == []
    sure, unknown = searches(EvalContext(graph), "internet", None, None, 8)
    return sure, set(unknown)


@pytest.mark.parametrize("name", ["hcl_unknown", "plan_unknown"])
def test_unknown_rules_make_the_path_unknown_and_never_crash(name):
    # `ingress = var.rules`, `vpc_config = var.rules`, `security_rule = var.x`, `allow = var.x`,
    # and a plan's after_unknown: the linkers must not iterate them, and must not decide either way
    sure, unknown = _reach(name)
    assert sure == {}
    assert unknown == {"aws_db_instance.db"}


def test_azure_nsg_rules_by_priority_in_any_case():
    sure, unknown = _reach("azure")
    assert set(sure) == {
        "azurerm_network_security_group.open",
        "azurerm_network_interface.open", "azurerm_linux_virtual_machine.open",
        # a Basic public IP with no NSG anywhere is open
        "azurerm_network_interface.basic_bare",
    }
    # deny at 100 before allow at 200; one office address; Standard SKU without NSG: not reachable
    assert sure["azurerm_linux_virtual_machine.open"] == (
        "internet", "exposes", "azurerm_network_interface.open", "attached_to", "azurerm_linux_virtual_machine.open")
    assert unknown == set()


def test_gcp_firewalls_by_priority_deny_first_disabled_and_provider_ranges():
    sure, unknown = _reach("gcp")
    assert set(sure) == {"google_compute_firewall.ssh", "google_compute_instance.ssh"}
    assert sure["google_compute_instance.ssh"] == (
        "internet", "allows_ingress_from", "google_compute_firewall.ssh", "attached_to", "google_compute_instance.ssh")
    assert unknown == set()


@pytest.mark.parametrize("value, expected", [
    ("0.0.0.0/0", "internet"), ("::/0", "internet"), ("*", "internet"), ("Internet", "internet"),
    ("any", "internet"), ("52.0.0.0/8", "internet"),
    ("93.184.216.34/32", "address"), ("2001:db8::1/128", "private"), ("2600:1f18::1/128", "address"),
    # a /24 or narrower is one site's few addresses (ooni's ClickHouse allow-list); wider stays the internet
    ("93.65.174.0/24", "network"), ("2600:1f18:aa00::/48", "network"),
    ("52.94.0.0/22", "internet"), ("159.142.0.0/16", "internet"), ("2600:1f18::/32", "internet"),
    ("35.191.0.0/16", "provider"), ("130.211.0.0/22", "provider"), ("35.235.240.0/20", "provider"),
    ("10.0.0.0/8", "private"), ("VirtualNetwork", "private"), ("AzureLoadBalancer", "private"),
])
def test_what_counts_as_the_internet(value, expected):
    assert scope(value) == expected


def _rule(order, allow, proto, low, high, source):
    return ((order,), allow, of([proto], [(low, high)]), [source])


def test_first_match_in_rule_order():
    deny_ssh = _rule(100, False, "tcp", 22, 22, "0.0.0.0/0")
    allow_all = _rule(200, True, "tcp", 0, 65535, "0.0.0.0/0")
    assert evaluate([allow_all, deny_ssh]) == {"tcp": ((0, 21), (23, 65535))}
    # a deny on part of the internet leaves the rest of it to later rules
    partial = _rule(50, False, "tcp", 0, 65535, "52.0.0.0/8")
    assert evaluate([partial, allow_all]) == {"tcp": ((0, 65535),)}
    # an unknown rule before the deciding one makes the answer unknown
    unknown = ((50,), False, None, ["0.0.0.0/0"])
    assert evaluate([unknown, allow_all]) is None
    assert evaluate([]) == {}


def test_reach_data_decides_the_search_and_on_unknown_decides_the_finding():
    """`reach: false` is never taken; a node behind `reach: null` is unknown: no finding unless on_unknown is fail."""
    import networkx as nx

    from scanner.model import ANYONE, INTERNET, Layer, Location, Resource
    from scanner.policy.evaluate import evaluate as run
    from scanner.policy.loader import policy_from_document

    graph = nx.MultiDiGraph()
    for node in (INTERNET, ANYONE):
        graph.add_node(node, resource=None, special=True)
    for name in ("fact", "maybe", "sure", "after_maybe"):
        graph.add_node(name, resource=Resource(name, Layer.TERRAFORM, "t", {}, Location("main.tf", 1, 2)))
    graph.add_edge(INTERNET, "fact", key="exposes", kind="exposes", reach=False)
    graph.add_edge(INTERNET, "maybe", key="exposes", kind="exposes", reach=None)
    graph.add_edge(INTERNET, "sure", key="exposes", kind="exposes")
    graph.add_edge("maybe", "after_maybe", key="routes_to", kind="routes_to")
    base = {"id": "RG-TST-001", "title": "A test policy title", "severity": "high",
            "description": "Describes the test policy.", "remediation": "Fix the test resource.",
            "resource": ["t"], "condition": {"reachable_from": {"node": "internet"}}}
    for on_unknown, expected in (("pass", ["sure"]), ("fail", ["after_maybe", "maybe", "sure"])):
        policy = policy_from_document({**base, "on_unknown": on_unknown}, {"condition": 1}, "RG-TST-001.yaml", {})
        findings, _ = run(graph, [policy])
        assert sorted(f.resource for f in findings) == expected


def _cloud_types():
    import re

    from scanner.graph.linkers import aws, aws_network, aws_reach, azure, azure_reach, gcp
    found = set()
    for module in (aws, aws_network, aws_reach, azure, azure_reach, gcp):
        with open(module.__file__, encoding="utf-8") as handle:
            found.update(re.findall(r'"((?:aws|azurerm|google)_[a-z0-9_]+)"', handle.read()))
    return sorted(found)


ATTRIBUTE_NAMES = ("ingress", "egress", "security_rule", "allow", "deny", "source_ranges", "route", "subnet_ids",
                   "vpc_config", "network_interface", "network_interfaces", "ip_configuration", "settings",
                   "vpc_security_group_ids", "security_groups", "subnet_id", "subnets", "target_tags",
                   "network_configuration", "members", "tags", "service_account", "direction", "disabled",
                   "priority", "publicly_accessible", "associate_public_ip_address", "internal", "acl",
                   "cidr_blocks", "protocol", "from_port", "to_port", "rule_no", "action", "egress_rule",
                   "map_public_ip_on_launch", "vpc_id", "sku", "public_network_access_enabled", "network_acls")


@pytest.mark.parametrize("shape", ["unknown", "list_of_unknown", "dict_of_unknown", "text", "block", "number", "flag"])
def test_linkers_never_iterate_unknown_values(shape):
    """Every attribute a linker reads, as an Unknown, a list of Unknowns, blocks of Unknowns or the wrong type: linked, never raised."""
    from scanner.model import UNKNOWN, Layer, Location, Resource

    value = {"unknown": UNKNOWN, "list_of_unknown": [UNKNOWN],
             "dict_of_unknown": [{name: UNKNOWN for name in ATTRIBUTE_NAMES}], "text": "x",
             "block": {name: [UNKNOWN, "x"] for name in ATTRIBUTE_NAMES}, "number": 5, "flag": True}[shape]
    resources = [Resource(f"{t}.x", Layer.TERRAFORM, t, {name: value for name in ATTRIBUTE_NAMES},
                          Location("main.tf", 1, 2)) for t in _cloud_types()]
    graph = build_graph(resources)
    # build_graph turns a linker's exception into a diagnostic: without this, a crash would pass
    assert graph.graph["diagnostics"] == []
    sure, _ = searches(EvalContext(graph), "internet", None, None, 8)
    if shape in ("unknown", "list_of_unknown", "dict_of_unknown"):
        # nothing is claimed from unknown values; an EKS endpoint is public by default (no endpoint_public_access
        # and no public_access_cidrs in these blocks)
        assert set(sure) <= {"aws_eks_cluster.x"}


def test_load_balancers_by_type_and_groups():
    sure, unknown = _reach("aws_lb")
    assert {n for n in sure if not n.startswith("aws_security_group")} == {
        "aws_lb.nlb", "aws_lb.public_alb", "aws_lb_listener.https", "aws_lb_target_group.app", "aws_instance.app"}
    assert sure["aws_instance.app"] == (
        "internet", "allows_ingress_from", "aws_security_group.https", "attached_to", "aws_lb.public_alb",
        "routes_to", "aws_lb_listener.https", "routes_to", "aws_lb_target_group.app", "routes_to", "aws_instance.app")
    assert unknown == {"aws_lb.unknown_type"}
