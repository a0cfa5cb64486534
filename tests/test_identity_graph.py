"""Kubernetes joined to cloud identity and data: each identity edge by source, target and kind, node identity,
data access, and the cross-layer attack path of the claims-portal example system."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, SYSTEMS
from scanner.api import load_graph, scan
from scanner.graph.linkers import web_identity as wi

CASES = os.path.join(FIXTURES, "cases", "identity")
SA = "k8s:core/ServiceAccount/shop/"


def graph_of(folder: str):
    return load_graph([os.path.join(CASES, folder)])


def edges(graph, kind: str) -> dict[tuple[str, str], dict]:
    return {(s, t): d for s, t, k, d in graph.edges(keys=True, data=True) if k == kind}


def reach(data: dict):
    return data.get("reach", True)


def test_irsa_edges_are_confirmed_by_the_trust_policy():
    found = edges(graph_of("aws"), "assumes")
    assert {pair: (d.get("mechanism"), reach(d)) for pair, d in found.items()} == {
        (SA + "api", "aws_iam_role.api"): ("irsa", True),            # "${issuer}:sub" = shop:api
        (SA + "web", "aws_iam_role.web"): ("irsa", True),            # literal issuer, JSON heredoc
        (SA + "jobs", "aws_iam_role.anyone"): ("irsa", True),        # system:serviceaccount:*
        (SA + "batch", "aws_iam_role.batch"): ("irsa", None),        # subject from a variable: unknown
        (SA + "reports", "module.reports.aws_iam_role.this"): ("irsa", True),  # role made by a local module
        (SA + "worker", "aws_iam_role.worker"): ("eks-pod-identity", True),
    }
    # not billing -> ledger (its trust names finance/ledger), nor cart (its role is not in the scan)
    assert found[(SA + "worker", "aws_iam_role.worker")]["via"] == "aws_eks_pod_identity_association.worker"


def test_trust_summary_and_the_wildcard_finding():
    report = scan([os.path.join(CASES, "aws")], base=os.path.join(CASES, "aws"))
    wildcard = [(f.resource, f.location.path, f.location.start_line)
                for f in report.findings if f.policy_id == "RG-AWS-102"]
    assert wildcard == [("aws_iam_role.anyone", "main.tf", 55)]
    graph = load_graph([os.path.join(CASES, "aws")])
    ledger = graph.nodes["aws_iam_role.ledger"]["resource"]
    assert ledger.attributes["$service_account_trust"] == [
        {"statement": 0, "any_service_account": False, "subjects": ["system:serviceaccount:finance:ledger"]}]


def test_gke_workload_identity_edges():
    graph = graph_of("gcp")
    assert {pair: reach(d) for pair, d in edges(graph, "assumes").items()} == {
        (SA + "api", "google_service_account.api"): True,
        (SA + "jobs", "google_service_account.jobs"): True,   # project from a variable, [shop/jobs] written out
    }  # not web -> ledger: its workloadIdentityUser binding is for finance/ledger
    assert set(edges(graph, "accesses")) == {("google_service_account.api", "google_storage_bucket.orders")}


def test_azure_workload_identity_edges():
    graph = graph_of("azure")
    found = edges(graph, "assumes")
    assert set(found) == {(SA + "api", "azurerm_user_assigned_identity.api")}   # not web: no credential for it
    assert found[(SA + "api", "azurerm_user_assigned_identity.api")]["via"] == \
        "azurerm_federated_identity_credential.api"
    assert set(edges(graph, "accesses")) == {
        ("azurerm_user_assigned_identity.api", "azurerm_storage_account.documents")}


def test_node_identity_follows_instance_metadata_options():
    graph = graph_of("nodes")
    web, agent = "k8s:apps/Deployment/shop/web", "k8s:apps/DaemonSet/monitoring/agent"
    assert {pair: reach(d) for pair, d in edges(graph, "runs_on").items()} == {
        (web, "aws_eks_node_group.imdsv1"): True,      # IMDSv1 allowed
        (web, "aws_eks_node_group.hop1"): False,       # IMDSv2, hop limit 1: a fact, no credentials
        (web, "aws_eks_node_group.hop2"): True,        # IMDSv2, hop limit 2
        (web, "aws_eks_node_group.default"): None,     # EKS's own template: not known
        (agent, "aws_eks_node_group.imdsv1"): True,    # host network: the node's own network
        (agent, "aws_eks_node_group.hop1"): True,
        (agent, "aws_eks_node_group.hop2"): True,
        (agent, "aws_eks_node_group.default"): True,
        (web, "aws_launch_template.self"): True,       # self-managed: the cluster-tagged group's template
        (agent, "aws_launch_template.self"): True,
    }  # the Fargate namespace's Deployment runs on no node group; the bastion's group is not the cluster's
    assert edges(graph, "runs_on")[(web, "aws_launch_template.self")]["via"] == "aws_autoscaling_group.self"
    assert ("aws_eks_node_group.imdsv1", "aws_iam_role.nodes") in edges(graph, "runs_as")


def test_several_clusters_tie_no_workload_and_say_so():
    graph = graph_of("clusters")
    assert edges(graph, "runs_on") == {}
    diagnostics = graph.graph["diagnostics"]
    assert [(d.code, d.level, d.line) for d in diagnostics] == [("node-identity-ambiguous", "info", 13)]
    assert diagnostics[0].path.endswith("clusters/main.tf")
    assert "2 Kubernetes clusters" in diagnostics[0].message


def test_data_access_from_iam_policies():
    found = edges(graph_of("data"), "accesses")
    assert {pair: (d["access"], d["via"]) for pair, d in found.items()} == {
        ("aws_iam_role.reader", "aws_s3_bucket.documents"): (["read"], "aws_iam_role.reader"),
        ("aws_iam_role.writer", "aws_s3_bucket.documents"): (["write"], "aws_iam_policy.writer"),
        ("aws_iam_role.auditor", "aws_s3_bucket.documents"): (["read"], "aws_iam_role.auditor"),
        ("aws_iam_role.auditor", "aws_s3_bucket.assets"): (["read"], "aws_iam_role.auditor"),
        ("aws_iam_role.cdn", "aws_s3_bucket.assets"): (["read"], "aws_iam_role_policy.cdn"),
        ("aws_iam_role.ops", "aws_s3_bucket.assets"): (["admin", "read", "write"], "aws_iam_role_policy.ops"),
        ("aws_iam_role.reporting", "aws_db_instance.orders"): (["write"], "aws_iam_role_policy.reporting"),
        ("aws_iam_role.csi", "aws_secretsmanager_secret.api_key"): (["read"], "aws_iam_role.csi"),
        ("aws_iam_role.backup", "aws_s3_bucket.documents"): (["read"], "aws_iam_role.backup"),
        ("aws_iam_role.backup", "aws_s3_bucket.assets"): (["read"], "aws_iam_role.backup"),
    }  # not cdn -> documents (it names the assets bucket), not ops -> documents (explicit Deny)
    assert {pair: reach(d) for pair, d in found.items() if pair[0] in ("aws_iam_role.csi", "aws_iam_role.backup")} == {
        ("aws_iam_role.csi", "aws_secretsmanager_secret.api_key"): True,   # only the account id is unknown
        ("aws_iam_role.backup", "aws_s3_bucket.documents"): None,          # the bucket name is unknown
        ("aws_iam_role.backup", "aws_s3_bucket.assets"): None,
    }


@pytest.mark.parametrize("statement, expected", [
    ({"Condition": {"StringEquals": {"x:sub": "system:serviceaccount:shop:api"}}}, True),
    ({"Condition": {"StringEquals": {"x:sub": "system:serviceaccount:shop:other"}}}, False),
    ({"Condition": {"StringEqualsIgnoreCase": {"x:sub": "SYSTEM:serviceaccount:SHOP:API"}}}, True),
    ({"Condition": {"StringLike": {"x:sub": "system:serviceaccount:shop:a?i"}}}, True),
    ({"Condition": {"StringLike": {"x:sub": "system:serviceaccount:shop:a?"}}}, False),
    ({"Condition": {"StringEquals": {"x:sub": "system:serviceaccount:shop:*"}}}, False),  # no wildcards here
    ({"Condition": {"ForAnyValue:StringLike": {"x:sub": ["system:serviceaccount:shop:*"]}}}, True),
    ({"Condition": {"StringNotLike": {"x:sub": "system:serviceaccount:shop:*"}}}, False),
    ({"Condition": {"StringEquals": {"x:aud": "sts.amazonaws.com"}}}, True),   # :aud restricts no subject
    ({"Condition": {"StringEquals": {"x:sub": ["system:serviceaccount:shop:web", object()]}}}, None),
    ({"Condition": {"NumericEquals": {"x:sub": "1"}}}, None),
])
def test_subject_conditions_as_iam_evaluates_them(statement, expected):
    assert wi.admits(statement, "system:serviceaccount:shop:api") is expected


def test_claims_portal_headline_path_and_drift():
    base = os.path.join(SYSTEMS, "claims-portal")
    report = scan([base], base=base)
    assert [str(d) for d in report.diagnostics] == []
    hops = [("internet", ""), ("k8s:core/Service/claims/web", "exposes"),
            ("k8s:apps/Deployment/claims/web", "selects"),
            ("k8s:core/ServiceAccount/claims/web", "runs_as"),
            ("aws_iam_role.web", "assumes"), ("aws_s3_bucket.documents", "accesses")]
    path = [f for f in report.findings if f.policy_id == "RG-PATH-015"]
    assert [(f.resource, f.location.path, f.location.start_line) for f in path] == [
        ("aws_s3_bucket.documents", "terraform/storage.tf", 1)]
    assert [(s.address, s.edge) for s in path[0].path] == hops
    assert path[0].message.startswith("aws_s3_bucket.documents holds pii data")
    drift = [f for f in report.findings if f.policy_id == "RG-DRIFT-007"]
    assert [(f.resource, f.location.path, f.location.start_line) for f in drift] == [
        ("aws_s3_bucket.documents", "terraform/storage.tf", 1)]
    assert drift[0].message.endswith("can act on it with their cloud identity (k8s:apps/Deployment/claims/web first)")
    assert [(s.address, s.edge) for s in drift[0].path] == hops
    # the API's own access is what the architecture draws: no finding names it
    assert not any("claims/api" in f.message for f in report.findings)
    # a network path to the bucket there is none: the network policies stay silent
    assert not [f for f in report.findings if f.policy_id in ("RG-DRIFT-006", "RG-PATH-001", "RG-DRIFT-001")]


def test_a_terraform_managed_account_names_its_role_by_reference():
    """A ServiceAccount written as a Terraform resource (normalised to the Kubernetes shape, its address the
    Terraform one) whose annotation is ``aws_iam_role.api.arn``: the reference names the role, the trust decides."""
    from scanner.graph import build_graph
    from scanner.model import Layer, Location, Resource, Unknown

    def trust(subject):
        return {"Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRoleWithWebIdentity"],
                               "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.x/id/Y"},
                               "Condition": {"StringEquals": {"oidc.eks.x/id/Y:sub": subject}}}]}

    def role(name, subject):
        return Resource(f"aws_iam_role.{name}", Layer.TERRAFORM, "aws_iam_role",
                        {"name": Unknown("var"), "$assume_role_policy": trust(subject)}, Location("main.tf", 1, 1))

    def account(name, target):
        note = "eks.amazonaws.com/role-arn"
        return Resource(f"kubernetes_service_account.{name}", Layer.KUBERNETES, "ServiceAccount",
                        {"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": {"name": name, "namespace": "shop", "annotations": {note: Unknown("arn")}}},
                        Location("k8s.tf", 1, 1), source="terraform",
                        references=((f"metadata.0.annotations.{note}", f"aws_iam_role.{target}"),))

    graph = build_graph([role("api", "system:serviceaccount:shop:api"), role("web", "system:serviceaccount:shop:web"),
                         account("api", "api"), account("cart", "web")])
    assert edges(graph, "assumes") == {("kubernetes_service_account.api", "aws_iam_role.api"): {
        "kind": "assumes", "mechanism": "irsa", "path": "metadata.annotations.eks.amazonaws.com/role-arn"}}
    # cart's annotation names the web role, whose trust admits shop/web only: no edge


def test_pod_identity_ignores_a_cluster_a_module_only_reads():
    """One managed EKS cluster and a ``data.aws_eks_cluster`` read inside a module are one cluster, not
    several: the Pod Identity association's account assumes its role for certain (as node_identity counts)."""
    from scanner.graph import build_graph
    from scanner.model import Layer, Location, Resource

    def tf(address, rtype, attributes, references=()):
        return Resource(address, Layer.TERRAFORM, rtype, attributes, Location("main.tf", 1, 1),
                        references=references)

    account = Resource(SA + "worker", Layer.KUBERNETES, "ServiceAccount",
                       {"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": "worker", "namespace": "shop"}}, Location("sa.yaml", 1, 1))
    graph = build_graph([
        tf("aws_eks_cluster.main", "aws_eks_cluster", {"name": "main"}),
        tf("module.addons.data.aws_eks_cluster.this", "aws_eks_cluster", {"name": "main"}),
        tf("aws_iam_role.worker", "aws_iam_role", {"name": "worker"}),
        tf("aws_eks_pod_identity_association.worker", "aws_eks_pod_identity_association",
           {"namespace": "shop", "service_account": "worker", "role_arn": "arn:aws:iam::1:role/worker"}),
        account])
    assert edges(graph, "assumes") == {(SA + "worker", "aws_iam_role.worker"): {
        "kind": "assumes", "mechanism": "eks-pod-identity", "via": "aws_eks_pod_identity_association.worker"}}
