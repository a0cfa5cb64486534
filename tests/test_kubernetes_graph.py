"""The cluster as a graph: every Kubernetes edge kind by address, implicit objects, effective permissions, attack paths."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.discover import discover
from scanner.graph import build_graph, resource_of
from scanner.model import PathStep
from scanner.parse import ParseOptions, parse_all
from scanner.yamlnodes import iter_documents
from scanner.policy import evaluate
from scanner.policy.loader import policy_from_document

CASES = os.path.join(FIXTURES, "cases", "kubernetes")
RBAC = "k8s:rbac.authorization.k8s.io"


def graph_of(folder: str):
    path = os.path.join(CASES, folder)
    found = discover([path], base=path)
    return build_graph(parse_all(found.files, ParseOptions()).resources)


def edges(graph, kind: str) -> set[tuple[str, str]]:
    return {(s, t) for s, t, k in graph.edges(keys=True) if k == kind}


def compile_policy(text: str):
    doc = next(iter_documents(text))
    return policy_from_document(doc.value, doc.lines, f"{doc.value['id']}.yaml", {})


@pytest.fixture(scope="module")
def network():
    return graph_of("network")


@pytest.fixture(scope="module")
def rbac():
    return graph_of("rbac")


def test_exposure(network):
    assert edges(network, "exposes") == {
        ("internet", "k8s:core/Service/shop/api-public"),       # LoadBalancer
        ("internet", "k8s:core/Service/shop/worker-nodeport"),  # NodePort
        ("internet", "k8s:networking.k8s.io/Ingress/shop/shop"),
        ("internet", "k8s:gateway.networking.k8s.io/Gateway/infra/edge"),
        ("internet", "k8s:core/Service/shop/partner"),          # one public source range
        ("internet", "k8s:core/Service/shop/legacy-public-ip"),  # a public externalIP (not the private one)
    }  # not the annotated internal LoadBalancer, not the private-ranges one, not the ClusterIP Service
    assert network.edges["internet", "k8s:core/Service/shop/partner", "exposes"]["cidrs"] == ["52.94.0.0/22"]
    assert network.edges["internet", "k8s:core/Service/shop/legacy-public-ip", "exposes"]["addresses"] == [
        "52.94.1.7"]


def test_selection_by_services_and_network_policies(network):
    assert edges(network, "selects") == {
        ("k8s:core/Service/shop/api", "k8s:apps/Deployment/shop/api"),
        ("k8s:core/Service/shop/api-public", "k8s:apps/Deployment/shop/api"),
        ("k8s:core/Service/shop/api-internal", "k8s:apps/Deployment/shop/api"),
        ("k8s:core/Service/shop/worker-nodeport", "k8s:apps/Deployment/shop/worker"),
        ("k8s:core/Service/shop/legacy-public-ip", "k8s:apps/Deployment/shop/worker"),
        ("k8s:core/Service/shop/legacy-private-ip", "k8s:apps/Deployment/shop/worker"),
        # matchExpressions: tier In [backend], app NotIn [worker]
        ("k8s:networking.k8s.io/NetworkPolicy/shop/backend-only", "k8s:apps/Deployment/shop/api"),
        # podSelector {} selects every pod of its namespace, and no other
        ("k8s:networking.k8s.io/NetworkPolicy/shop/default-deny", "k8s:apps/Deployment/shop/api"),
        ("k8s:networking.k8s.io/NetworkPolicy/shop/default-deny", "k8s:apps/Deployment/shop/worker"),
        ("k8s:networking.k8s.io/NetworkPolicy/shop/default-deny", "k8s:apps/StatefulSet/shop/store"),
        # an Argo Rollout is a workload like a Deployment
        ("k8s:core/Service/shop/office-only", "k8s:argoproj.io/Rollout/shop/canary"),
        ("k8s:core/Service/shop/partner", "k8s:argoproj.io/Rollout/shop/canary"),
        ("k8s:networking.k8s.io/NetworkPolicy/shop/default-deny", "k8s:argoproj.io/Rollout/shop/canary"),
    }


def test_ingress_and_gateway_routes(network):
    assert edges(network, "routes_to") == {
        ("k8s:networking.k8s.io/Ingress/shop/shop", "k8s:core/Service/shop/api"),
        ("k8s:gateway.networking.k8s.io/Gateway/infra/edge", "k8s:gateway.networking.k8s.io/HTTPRoute/shop/api"),
        ("k8s:gateway.networking.k8s.io/HTTPRoute/shop/api", "k8s:core/Service/shop/api"),
    }


def test_mounted_and_referenced_secrets_and_configmaps(network):
    store = "k8s:apps/StatefulSet/shop/store"
    assert edges(network, "mounts") == {
        (store, "k8s:core/Secret/shop/tls"),            # secret volume
        (store, "k8s:core/ConfigMap/shop/ca"),          # projected volume
        (store, "k8s:core/Secret/shop/registry"),       # imagePullSecrets
        (store, "k8s:core/Secret/shop/db-password"),    # env valueFrom.secretKeyRef
        (store, "k8s:core/ConfigMap/shop/settings"),    # envFrom.configMapRef
    }


def test_kustomize_output_is_linked():
    graph = graph_of("kustomize")
    assert ("k8s:apps/Deployment/shop/prod-app", "k8s:core/ConfigMap/shop/app-config-7g5c2f9h8k") \
        in edges(graph, "mounts")


def test_implicit_default_service_accounts(network):
    assert edges(network, "runs_as") == {
        ("k8s:apps/Deployment/shop/api", "k8s:core/ServiceAccount/shop/default"),
        ("k8s:apps/Deployment/shop/worker", "k8s:core/ServiceAccount/shop/default"),
        ("k8s:apps/StatefulSet/shop/store", "k8s:core/ServiceAccount/shop/default"),
        ("k8s:apps/Deployment/other/api", "k8s:core/ServiceAccount/other/default"),
        ("k8s:argoproj.io/Rollout/shop/canary", "k8s:core/ServiceAccount/shop/default"),
    }
    implicit = resource_of(network, "k8s:core/ServiceAccount/other/default")
    assert (implicit.source, implicit.attributes["$implicit"], implicit.type) == \
        ("kubernetes.implicit", True, "ServiceAccount")
    # located at the first workload that relies on it: the `spec` line of its pod
    assert (implicit.location.path, implicit.location.start_line) == ("network.yaml", 38)


def test_network_isolation_attribute_and_connected_test(network):
    isolation = {a: resource_of(network, a).attributes["$network_isolation"]
                 for a in ("k8s:apps/Deployment/shop/api", "k8s:apps/Deployment/other/api")}
    assert isolation == {"k8s:apps/Deployment/shop/api": {"ingress": True, "egress": True},
                         "k8s:apps/Deployment/other/api": {"ingress": False, "egress": False}}
    policy = compile_policy("""
id: RG-TEST-001
title: Workloads must be selected by a NetworkPolicy
severity: medium
description: No NetworkPolicy selects the workload's pods.
remediation: Add a NetworkPolicy.
resource: [k8s_workload]
condition:
  not:
    connected: {edge: selects, direction: in, where: {type: [NetworkPolicy]}}
""")
    findings, _ = evaluate(network, [policy])
    assert [(f.resource, f.location.path, f.location.start_line) for f in findings] == [
        ("k8s:apps/Deployment/other/api", "network.yaml", 29)]


def test_bindings_and_subjects(rbac):
    assert edges(rbac, "binds") == {
        (f"{RBAC}/RoleBinding/shop/reader-secrets", f"{RBAC}/Role/shop/read-secrets"),
        (f"{RBAC}/RoleBinding/shop/reader-secrets", "k8s:core/ServiceAccount/shop/reader"),
        (f"{RBAC}/ClusterRoleBinding/reader-monitoring", f"{RBAC}/ClusterRole/monitoring"),
        (f"{RBAC}/ClusterRoleBinding/reader-monitoring", "k8s:core/ServiceAccount/shop/reader"),
        (f"{RBAC}/RoleBinding/shop/ci-edit", f"{RBAC}/ClusterRole/edit"),
        (f"{RBAC}/RoleBinding/shop/ci-edit", "k8s:core/ServiceAccount/shop/ci"),
        # group system:serviceaccounts:shop: every account of the namespace
        (f"{RBAC}/ClusterRoleBinding/everyone-custom", "k8s:core/ServiceAccount/shop/reader"),
        (f"{RBAC}/ClusterRoleBinding/everyone-custom", "k8s:core/ServiceAccount/shop/ci"),
        (f"{RBAC}/ClusterRoleBinding/everyone-custom", "k8s:core/ServiceAccount/shop/default"),
        (f"{RBAC}/RoleBinding/shop/public-view", f"{RBAC}/ClusterRole/view"),
    }
    assert edges(rbac, "bound_to") == {
        ("k8s:core/ServiceAccount/shop/reader", f"{RBAC}/Role/shop/read-secrets"),
        ("k8s:core/ServiceAccount/shop/reader", f"{RBAC}/ClusterRole/monitoring"),
        ("k8s:core/ServiceAccount/shop/ci", f"{RBAC}/ClusterRole/edit"),
        ("anyone", f"{RBAC}/ClusterRole/view"),                 # User system:anonymous
    }


def test_built_in_roles_and_undeclared_accounts_are_implicit(rbac):
    got = {a: (r.source, r.location.start_line) for a in rbac.nodes
           if (r := resource_of(rbac, a)) is not None and r.source == "kubernetes.implicit"}
    assert got == {
        "k8s:core/ServiceAccount/shop/ci": ("kubernetes.implicit", 69),       # the binding's subject
        "k8s:core/ServiceAccount/shop/default": ("kubernetes.implicit", 112),  # Job cleanup's spec
        f"{RBAC}/ClusterRole/edit": ("kubernetes.implicit", 71),               # roleRef
        f"{RBAC}/ClusterRole/view": ("kubernetes.implicit", 126),
        "k8s:core/Node/*": ("kubernetes.implicit", 69),  # ci may create pods (edit): POD_CREATE, its node
    }


def _grants(graph, address):
    return {(tuple(p["resources"]), tuple(p["verbs"]), p["namespace"], p["role"].rsplit("/", 1)[-1])
            for p in resource_of(graph, address).attributes["$permissions"]}


def test_effective_permissions_union_every_bound_role(rbac):
    reader = resource_of(rbac, "k8s:core/ServiceAccount/shop/reader")
    assert _grants(rbac, reader.address) == {
        (("secrets",), ("get", "list"), "shop", "read-secrets"),
        (("pods",), ("get", "list", "watch"), "*", "monitoring"),  # aggregated from monitoring-pods
    }
    assert reader.attributes["$unresolved_roles"] == [f"{RBAC}/ClusterRole/not-in-these-files"]


def test_edit_aggregates_view_and_grants_secrets_in_the_namespace(rbac):
    ci = _grants(rbac, "k8s:core/ServiceAccount/shop/ci")
    secrets = {g for g in ci if "secrets" in g[0]}
    assert {(g[1], g[2]) for g in secrets} == {
        (("get", "list", "watch"), "shop"), (("create", "delete", "deletecollection", "patch", "update"), "shop")}
    assert (("pods/log", "pods/status") in {g[0][4:6] for g in ci})  # a rule only `view` holds


def test_workloads_carry_permissions_and_token_automount(rbac):
    reporter = resource_of(rbac, "k8s:apps/Deployment/shop/reporter")
    cleanup = resource_of(rbac, "k8s:batch/Job/shop/cleanup")
    assert reporter.attributes["$permissions"] == \
        resource_of(rbac, "k8s:core/ServiceAccount/shop/reader").attributes["$permissions"]
    # the ServiceAccount says false; the line is the workload's serviceAccountName
    assert (reporter.attributes["$automount_service_account_token"],
            reporter.line_of("$automount_service_account_token")) == (False, 100)
    assert (cleanup.attributes["$automount_service_account_token"],
            cleanup.line_of("$automount_service_account_token")) == (True, 112)
    workloads = graph_of("workloads")
    backup = resource_of(workloads, "k8s:batch/CronJob/shop/backup")
    assert (backup.attributes["$automount_service_account_token"],
            backup.line_of("$automount_service_account_token")) == (False, 137)


ATTACK_POLICY = """
id: RG-TEST-002
title: Cluster-admin must not be reachable from the internet
severity: critical
description: An internet-exposed workload runs as an account bound to cluster-admin.
remediation: Bind a least-privilege role.
resource: [ClusterRole]
condition:
  all:
    - {path: metadata.name, equals: cluster-admin}
    - reachable_from: {node: internet}
"""


def test_internet_to_cluster_admin_attack_path():
    graph = graph_of("attack-path")
    findings, _ = evaluate(graph, [compile_policy(ATTACK_POLICY)])
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.resource, finding.location.path, finding.location.start_line) == (
        f"{RBAC}/ClusterRole/cluster-admin", "cluster.yaml", 43)  # the implicit role: at the roleRef
    assert [(s.address, s.edge) for s in finding.path] == [
        ("internet", ""),
        ("k8s:core/Service/prod/api", "exposes"),
        ("k8s:apps/Deployment/prod/api", "selects"),
        ("k8s:core/ServiceAccount/prod/api", "runs_as"),
        (f"{RBAC}/ClusterRole/cluster-admin", "bound_to"),
    ]
    assert isinstance(finding.path[1], PathStep) and finding.path[1].location.start_line == 1


def test_no_path_without_exposure():
    graph = graph_of("attack-path")
    graph.remove_edge("internet", "k8s:core/Service/prod/api", key="exposes")
    findings, _ = evaluate(graph, [compile_policy(ATTACK_POLICY)])
    assert findings == []


def test_a_bundle_without_namespaces_is_bound_where_it_is_applied():
    graph = graph_of("applied-with-namespace")
    binding = f"{RBAC}/ClusterRoleBinding/deployer"
    assert {t for _, t, k in graph.out_edges(binding, keys=True) if k == "binds"} == {
        f"{RBAC}/ClusterRole/cluster-admin",
        "k8s:core/ServiceAccount/default/deployer",  # declared without a namespace: the same account
        "k8s:core/ServiceAccount/tools/pinned",      # default/pinned is pinned to `default`: another one
    }
    assert resource_of(graph, "k8s:core/ServiceAccount/tools/pinned").source == "kubernetes.implicit"


def _docs_example() -> str:
    """The `$permissions` example policy fragment of docs/kubernetes.md, verbatim."""
    with open(os.path.join(os.path.dirname(FIXTURES), "docs", "kubernetes.md"), encoding="utf-8") as handle:
        text = handle.read()
    after = text.split("read secrets cluster-wide?", 1)[1]
    return after.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_documented_cluster_wide_secrets_example_works():
    policy = compile_policy("""
id: RG-TEST-003
title: Service accounts must not read secrets cluster-wide
severity: high
description: From docs/kubernetes.md.
remediation: Bind a namespaced Role.
""" + _docs_example())
    found = []
    for folder in ("attack-path", "rbac"):  # rbac: secrets only inside `shop`, never cluster-wide
        findings, _ = evaluate(graph_of(folder), [policy])
        found += [(f.resource, f.location.path, f.location.start_line) for f in findings]
    assert found == [("k8s:core/ServiceAccount/prod/api", "cluster.yaml", 29)]


def test_internal_gateways_and_ingresses_are_not_exposed_and_routes_name_gateway_api_gateways():
    graph = graph_of("exposure")
    gw, istio, net = "k8s:gateway.networking.k8s.io", "k8s:networking.istio.io", "k8s:networking.k8s.io"
    assert {t for s, t in edges(graph, "exposes") if s == "internet"} == {
        f"{gw}/Gateway/shop/public", f"{istio}/Gateway/shop/public", f"{net}/Ingress/shop/open"}
    assert edges(graph, "routes_to") == {
        (f"{gw}/Gateway/shop/public", f"{gw}/HTTPRoute/shop/shop"),
        (f"{gw}/Gateway/shop/internal", f"{gw}/HTTPRoute/shop/admin"),
        (f"{gw}/HTTPRoute/shop/shop", "k8s:core/Service/shop/web"),
        (f"{gw}/HTTPRoute/shop/admin", "k8s:core/Service/shop/admin"),
        # another namespace's Service only where a ReferenceGrant lets the route in; no weight-0 backend
        (f"{gw}/Gateway/shop/public", f"{gw}/HTTPRoute/shop/cross"),
        (f"{gw}/HTTPRoute/shop/cross", "k8s:core/Service/billing/ledger"),
        (f"{net}/Ingress/shop/open", "k8s:core/Service/shop/web"),
        (f"{net}/Ingress/shop/alb-internal", "k8s:core/Service/shop/admin"),
        (f"{net}/Ingress/shop/gce-internal", "k8s:core/Service/shop/admin"),
    }
