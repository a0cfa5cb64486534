"""The condition language end to end: any/all, some/every, tri-state, parameters, graph tests and their evidence."""

from __future__ import annotations

import networkx as nx
import pytest

from scanner.model import ANYONE, INTERNET, UNKNOWN, UNKNOWN_BLOCKS, Layer, Location, Resource, Unknown
from scanner.policy.compiler import EvalContext
from scanner.policy.evaluate import evaluate
from scanner.policy.loader import PolicyError, policy_from_document

BASE = {"id": "RG-TST-001", "title": "A test policy title", "severity": "high",
        "description": "Describes the test policy.", "remediation": "Fix the test resource.",
        "resource": ["t"]}


def policy(condition, parameters=None, overrides=None, **extra):
    doc = {**BASE, "condition": condition, **extra}
    if parameters:
        doc["parameters"] = parameters
    return policy_from_document(doc, {"condition": 30}, "RG-TST-001.yaml", overrides or {})


def res(address, attributes, type_="t", lines=None):
    return Resource(address, Layer.TERRAFORM, type_, attributes, Location("main.tf", 1, 9), lines=lines or {})


def truth(p, r, graph=None):
    g = graph if graph is not None else nx.MultiDiGraph()
    return p.check(EvalContext(g), r, r.attributes, "")


@pytest.mark.parametrize("match, values, want", [
    ("any", [1, 5], True), ("all", [1, 5], False), ("all", [5, 6], True), ("any", [1, 2], False),
    ("any", [1, UNKNOWN], None), ("any", [5, UNKNOWN], True), ("all", [5, UNKNOWN], None), ("all", [1, UNKNOWN], False),
])
def test_match_any_all_and_unknowns(match, values, want):
    p = policy({"path": "ports.*", "gt": 3, "match": match})
    assert truth(p, res("t.a", {"ports": values}))[0] is want


def test_evidence_is_the_matching_path_and_its_line():
    p = policy({"path": "rules.*.cidr", "is_public_cidr": True})
    r = res("t.a", {"rules": [{"cidr": "10.0.0.0/8"}, {"cidr": "0.0.0.0/0"}]}, lines={"rules.1.cidr": 7})
    assert truth(p, r)[:2] == (True, ("rules.1.cidr",))
    findings, _ = evaluate(_graph(r), [p])
    assert [(f.resource, f.location.start_line) for f in findings] == [("t.a", 7)]


def test_some_and_every_scope_a_condition_to_each_element():
    both = {"all": [{"path": "from", "lte": 22}, {"path": "to", "gte": 22}]}
    some, every = policy({"path": "rules", "some": both}), policy({"path": "rules", "every": both})
    r = res("t.a", {"rules": [{"from": 0, "to": 100}, {"from": 443, "to": 443}]})
    assert truth(some, r)[:2] == (True, ("rules.0.from", "rules.0.to"))
    assert truth(every, r)[0] is False


@pytest.mark.parametrize("on_unknown, findings", [("pass", []), ("fail", [("t.a", True)])])
def test_on_unknown_decides_undetermined_outcomes(on_unknown, findings):
    p = policy({"path": "encrypted", "equals": False}, on_unknown=on_unknown)
    got, stats = evaluate(_graph(res("t.a", {"encrypted": UNKNOWN})), [p])
    assert [(f.resource, "not known before apply" in f.message) for f in got] == findings
    assert stats["undetermined"] == 1


def test_exists_under_an_unknown_parent_is_unknown():
    p = policy({"path": "logging.target", "exists": False})
    assert truth(p, res("t.a", {"logging": UNKNOWN}))[0] is None
    assert truth(p, res("t.b", {"logging": [{"target": "x"}]}))[0] is False
    assert truth(p, res("t.c", {}))[0] is True


def test_a_block_made_only_by_dynamic_blocks_over_apply_time_collections_may_not_exist():
    # round 16's recall review: a bucket's retention_policy written as a dynamic block over a collection
    # known at apply read as present, so RG-GCP-073 said "no finding" where it cannot know
    unknown_block = Unknown(UNKNOWN_BLOCKS)
    p = policy({"not": {"path": "retention_policy", "exists": True}})
    assert truth(p, res("t.a", {"retention_policy": [unknown_block]}))[0] is None
    assert truth(p, res("t.b", {"retention_policy": [unknown_block, {"days": 7}]}))[0] is False
    assert truth(p, res("t.c", {"retention_policy": [{"days": 7}]}))[0] is False
    assert truth(p, res("t.d", {}))[0] is True


def test_parameters_have_defaults_and_configuration_overrides():
    params = {"ports": {"default": [22, 3389]}}
    cond = {"path": "port", "in": {"param": "ports"}}
    r = res("t.a", {"port": 5432})
    assert truth(policy(cond, params), r)[0] is False
    assert truth(policy(cond, params, {"RG-TST-001": {"ports": [5432]}}), r)[0] is True


def test_parameters_inside_an_iam_request():
    p = policy({"path": "$policy.Statement", "some": {"path": ".", "iam_statement": {"actions": {"param": "dangerous"}}}},
               {"dangerous": {"default": ["iam:PassRole"]}})
    r = res("t.a", {"$policy": {"Statement": [{"Effect": "Allow", "Action": ["iam:*"], "Resource": ["*"]}]}})
    assert truth(p, r)[0] is True


@pytest.mark.parametrize("condition, overrides, message", [
    ({"path": "port", "in": {"param": "nope"}}, None, "parameter 'nope' is not declared"),
    ({"path": "x", "matches": "^(?!a)"}, None, "lookahead and lookbehind ((?=...)"),
    ({"path": "x", "cidr_overlaps": ["10.0.0.0/33"]}, None, "not an IP address or CIDR"),
    ({"path": "x", "equals": 1}, {"RG-TST-001": {"ghost": 1}}, "undeclared parameters ['ghost']"),
    ({"path": "x", "equal": 1}, None, "unknown operator 'equal'; did you mean 'equals'?"),
    ({"path": "x", "length_gt": -1}, None, "-1"),
    ({"path": "x", "iam_statement": {"actions": ["*"], "effect": "allow"}}, None, "'allow' is not one of"),
])
def test_bad_conditions_are_refused_with_file_and_path(condition, overrides, message):
    with pytest.raises(PolicyError) as err:
        policy(condition, None, overrides)
    assert err.value.file == "RG-TST-001.yaml"
    assert message in err.value.message


# -- graph tests ---------------------------------------------------------------

def _graph(*resources, edges=()):
    g = nx.MultiDiGraph()
    g.add_node(INTERNET, resource=None, special=True)
    g.add_node(ANYONE, resource=None, special=True)
    for r in resources:
        g.add_node(r.address, resource=r)
    for a, b, kind in edges:
        g.add_edge(a, b, key=kind, kind=kind)
    return g


def test_connected_follows_edge_kind_direction_and_hops():
    pod, sa, role = res("pod", {}), res("sa", {}, "sa"), res("role", {"rules": ["*"]}, "role")
    g = _graph(pod, sa, role, edges=[("pod", "sa", "runs_as"), ("sa", "role", "bound_to")])
    two_hops = policy({"connected": {"edge": ["runs_as", "bound_to"], "hops": 2,
                                     "where": {"path": "rules", "contains": "*"}}})
    one_hop = policy({"connected": {"edge": ["runs_as", "bound_to"], "where": {"path": "rules", "contains": "*"}}})
    wrong_way = policy({"connected": {"edge": "runs_as", "direction": "in"}})
    out, _, path = truth(two_hops, pod, g)
    assert out is True and [(s.address, s.edge) for s in path] == [("pod", ""), ("sa", "runs_as"), ("role", "bound_to")]
    assert truth(one_hop, pod, g)[0] is False
    assert truth(wrong_way, pod, g)[0] is False
    assert truth(wrong_way, sa, g)[0] is True


def test_connected_to_a_special_node():
    sg = res("sg", {})
    g = _graph(sg, edges=[("sg", INTERNET, "allows_ingress_from")])
    assert truth(policy({"connected": {"edge": "allows_ingress_from", "node": "internet"}}), sg, g)[0] is True
    assert truth(policy({"connected": {"edge": "allows_ingress_from", "node": "anyone"}}), sg, g)[0] is False


def _web_graph():
    lb = res("lb", {"waf": False}, "lb")
    waf_lb = res("waf_lb", {"waf": True}, "lb")
    app, admin, db = res("app", {}), res("admin", {}), res("db", {})
    return _graph(lb, waf_lb, app, admin, db, edges=[
        (INTERNET, "lb", "exposes"), (INTERNET, "waf_lb", "exposes"),
        ("lb", "app", "routes_to"), ("waf_lb", "admin", "routes_to"), ("app", "db", "flows_to")])


@pytest.mark.parametrize("spec, reached", [
    ({"node": "internet"}, {"app", "admin", "db"}),
    ({"node": "internet", "not_through": {"path": "waf", "equals": True}}, {"app", "db"}),
    ({"node": "internet", "through": {"path": "waf", "equals": True}}, {"admin"}),
    ({"node": "internet", "max_hops": 2}, {"app", "admin"}),
])
def test_reachable_from_internet(spec, reached):
    g = _web_graph()
    p = policy({"reachable_from": spec})
    findings, _ = evaluate(g, [p])
    assert {f.resource for f in findings} == reached


def test_reachable_path_becomes_the_evidence():
    findings, _ = evaluate(_web_graph(), [policy({"reachable_from": {"node": "internet"}})])
    db = next(f for f in findings if f.resource == "db")
    assert [(s.address, s.edge) for s in db.path] == [("internet", ""), ("lb", "exposes"), ("app", "routes_to"),
                                                      ("db", "flows_to")]


def test_reachability_is_searched_once_per_policy_per_scan(monkeypatch):
    from scanner.policy import graphsearch
    calls = []
    real = graphsearch.search
    monkeypatch.setattr(graphsearch, "search", lambda *a: calls.append(1) or real(*a))
    g = _graph(*(res(f"r{i}", {}) for i in range(50)), edges=[(INTERNET, "r0", "exposes")]
               + [(f"r{i}", f"r{i + 1}", "routes_to") for i in range(49)])
    findings, _ = evaluate(g, [policy({"reachable_from": {"node": "internet", "max_hops": 20}})])
    assert calls == [1]
    assert sorted(f.resource for f in findings) == sorted(f"r{i}" for i in range(20))


def test_reachability_caches_of_two_policies_never_mix():
    """Two policies whose specs are freed after compiling must not share a cached search."""
    waf = policy({"reachable_from": {"node": "internet", "through": {"path": "waf", "equals": True}}})
    plain = policy({"reachable_from": {"node": "internet"}})
    findings, _ = evaluate(_web_graph(), [waf, plain])
    assert sorted((f.resource, len(f.path)) for f in findings) == [
        ("admin", 3), ("admin", 3), ("app", 3), ("db", 4)]


def test_through_and_not_through_run_once_per_node_per_search(monkeypatch):
    from scanner.policy import graphsearch
    seen = []
    real, real_truth = graphsearch._matches_node, graphsearch._node_truth
    monkeypatch.setattr(graphsearch, "_matches_node",                       # through
                        lambda ctx, check, node: seen.append(node) or real(ctx, check, node))
    monkeypatch.setattr(graphsearch, "_node_truth",                         # not_through
                        lambda ctx, check, node: seen.append(node) or real_truth(ctx, check, node))
    # a diamond: two ways into `db`, so it is reached twice
    lb, a, b, db = res("lb", {"waf": False}, "lb"), res("a", {}), res("b", {}), res("db", {})
    g = _graph(lb, a, b, db, edges=[(INTERNET, "lb", "exposes"), ("lb", "a", "routes_to"), ("lb", "b", "routes_to"),
                                     ("a", "db", "flows_to"), ("b", "db", "flows_to")])
    p = policy({"reachable_from": {"node": "internet", "through": {"path": "waf", "equals": True},
                                   "not_through": {"path": "waf", "equals": True}}})
    assert evaluate(g, [p])[0] == []
    assert sorted(seen) == sorted(["lb", "a", "b", "db"] * 2)  # once for through, once for not_through


def test_parameters_for_a_policy_that_does_not_exist_are_refused():
    from scanner.policy.loader import load_policies

    with pytest.raises(PolicyError) as err:
        load_policies(parameters={"RG-AWS-01": {"admin_ports": [22]}})
    assert err.value.where == "parameters.RG-AWS-01" and "no policy 'RG-AWS-01'; did you mean" in err.value.message


def test_not_through_leaves_no_elements_of_the_nodes_it_judged_on_a_finding():
    """The search judges other nodes while a resource is evaluated: what offends there
    (the second `deny` of the blocking load balancer) is no element of the finding."""
    app = res("app", {}, lines={"rules": 4, "rules.1": 5})
    lb = res("lb", {"rules": ["deny", "deny"]}, "lb")
    lb2 = res("lb2", {"rules": []}, "lb")
    g = _graph(app, lb, lb2, edges=[(INTERNET, "lb", "exposes"), (INTERNET, "lb2", "exposes"),
                                    ("lb", "app", "routes_to"), ("lb2", "app", "routes_to")])
    p = policy({"reachable_from": {"node": "internet", "not_through": {"path": "rules.*", "equals": "deny"}}})
    findings, _ = evaluate(g, [p])
    found = next(f for f in findings if f.resource == "app")
    assert [s.address for s in found.path] == ["internet", "lb2", "app"]
    assert found.elements == ()
