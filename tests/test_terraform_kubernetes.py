"""Terraform-managed Kubernetes: `kubernetes_*` resources and `kubernetes_manifest` become the objects their YAML twins are.

The acceptance case: a privileged Deployment behind a LoadBalancer Service,
running as a ServiceAccount bound to cluster-admin, written once in
Terraform and once as manifests, gives the same findings (policy, object)
and the same attack paths, with the Terraform findings at Terraform lines.
Then one fixture of each supported type checks the mapping of the
provider's block schema to manifest shape, lines included.
"""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.api import load, scan
from scanner.formats.kubernetes.objects import plain_address
from scanner.model import Layer

CASES = os.path.join(FIXTURES, "cases", "tf-kubernetes")
TWIN = os.path.join(CASES, "twin")
TYPES = os.path.join(CASES, "types")
RBAC = "k8s:rbac.authorization.k8s.io"


def _identity(graph, node: str) -> str:
    """The Kubernetes identity of a node (``internet`` stays itself)."""
    resource = graph.nodes[node].get("resource")
    return plain_address(resource) if resource is not None else node


@pytest.fixture(scope="module")
def twins():
    out = {}
    for form in ("terraform", "yaml"):
        folder = os.path.join(TWIN, form)
        graph = load([folder], base=folder).graph
        report = scan([folder], base=folder)
        out[form] = (graph, report)
    return out


def _findings(graph, report) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(f.policy_id, _identity(graph, f.resource), tuple(_identity(graph, s.address) for s in f.path))
            for f in report.findings}


def test_twin_same_findings_and_paths(twins):
    tf, yaml = (_findings(*twins[form]) for form in ("terraform", "yaml"))
    assert tf == yaml
    deployment = "k8s:apps/Deployment/shop/web"
    service = "k8s:core/Service/shop/web"
    # the path enters at the internet and reaches the workload through its Service (it may go on
    # to the account and its role: whatever it shows, both forms show the same, checked above)
    admin_paths = [path for p, r, path in tf if (p, r) == ("RG-PATH-004", deployment)]
    assert [path[:3] for path in admin_paths] == [("internet", service, deployment)]
    # RG-PATH-003, 011 and 018 find the same path as RG-PATH-004: reported once, naming them
    assert {p for p, r, _ in tf if r == deployment} >= {
        "RG-K8S-002", "RG-K8S-019", "RG-PATH-004", "RG-PATH-006", "RG-PATH-017"}
    _, report = twins["terraform"]
    message = next(f.message for f in report.findings if f.policy_id == "RG-PATH-004")
    assert message.endswith("(also RG-PATH-003, RG-PATH-011, RG-PATH-018)")
    assert ("RG-K8S-005", f"{RBAC}/ClusterRoleBinding/web-admin", ()) in tf
    assert [path[:2] for p, r, path in tf if (p, r) == ("RG-K8S-001", service)] == [("internet", service)]


def test_twin_findings_at_terraform_lines(twins):
    _, report = twins["terraform"]
    got = {(f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings}
    main = "main.tf"
    assert {
        ("RG-K8S-002", "kubernetes_deployment.web", main, 59),     # privileged = true
        ("RG-K8S-019", "kubernetes_deployment.web", main, 51),     # host_pid = true
        ("RG-PATH-006", "kubernetes_deployment.web", main, 59),
        ("RG-K8S-037", "kubernetes_deployment.web", main, 54),     # image = "nginx:1.25"
        ("RG-K8S-001", "kubernetes_service.web", main, 73),        # type = "LoadBalancer"
        ("RG-K8S-005", "kubernetes_cluster_role_binding.web_admin", main, 21),  # role_ref kind
    } <= got
    assert all(f.location.path == main for f in report.findings)


def test_twin_edges(twins):
    graph, _ = twins["terraform"]
    edges = {(s, t, k) for s, t, k in graph.edges(keys=True) if k != "references"}
    admin = f"{RBAC}/ClusterRole/cluster-admin"
    assert edges == {
        ("internet", "kubernetes_service.web", "exposes"),
        ("kubernetes_service.web", "kubernetes_deployment.web", "selects"),
        ("kubernetes_deployment.web", "kubernetes_service_account.web", "runs_as"),
        ("kubernetes_cluster_role_binding.web_admin", "kubernetes_service_account.web", "binds"),
        ("kubernetes_cluster_role_binding.web_admin", admin, "binds"),
        ("kubernetes_service_account.web", admin, "bound_to"),
        # attack techniques (docs/attack-paths.md): privileged escapes; cluster-admin reads and creates
        ("kubernetes_deployment.web", "k8s:core/Node/*", "escapes_to"),
        ("kubernetes_service_account.web", "k8s:core/Node/*", "creates_pods"),
        ("kubernetes_service_account.web", "k8s:core/Secret/kube-system/*", "reads_secrets"),
    }
    account = graph.nodes["kubernetes_service_account.web"]["resource"]
    assert account.kind is Layer.KUBERNETES and account.type == "ServiceAccount"
    assert account.attributes["$unit"] == "terraform:."


@pytest.fixture(scope="module")
def types():
    loaded = load([TYPES], base=TYPES)
    return loaded.graph, loaded


def _resource(graph, address: str):
    return graph.nodes[address]["resource"]


@pytest.mark.parametrize("address, kind, identity", [
    ("kubernetes_daemon_set_v1.agent", "DaemonSet", "k8s:apps/DaemonSet/ops/agent"),
    ("kubernetes_stateful_set.db", "StatefulSet", "k8s:apps/StatefulSet/ops/db"),
    ("kubernetes_pod_v1.debug", "Pod", "k8s:core/Pod/ops/debug"),
    ("kubernetes_job_v1.migrate", "Job", "k8s:batch/Job/ops/migrate"),
    ("kubernetes_cron_job_v1.backup", "CronJob", "k8s:batch/CronJob/ops/backup"),
    ("kubernetes_replication_controller.legacy", "ReplicationController",
     "k8s:core/ReplicationController/ops/legacy"),
    ("kubernetes_namespace_v1.ops", "Namespace", "k8s:core/Namespace/ops"),
    ("kubernetes_service_v1.db", "Service", "k8s:core/Service/ops/db"),
    ("kubernetes_ingress_v1.web", "Ingress", "k8s:networking.k8s.io/Ingress/ops/web"),
    ("kubernetes_network_policy_v1.db", "NetworkPolicy", "k8s:networking.k8s.io/NetworkPolicy/ops/db"),
    ("kubernetes_role_v1.reader", "Role", f"{RBAC}/Role/ops/reader"),
    ("kubernetes_role_binding_v1.reader", "RoleBinding", f"{RBAC}/RoleBinding/ops/reader"),
    ("kubernetes_cluster_role_v1.metrics", "ClusterRole", f"{RBAC}/ClusterRole/metrics"),
    ("kubernetes_service_account_v1.db", "ServiceAccount", "k8s:core/ServiceAccount/ops/db"),
    ("kubernetes_default_service_account_v1.ops", "ServiceAccount", "k8s:core/ServiceAccount/ops/default"),
    ("kubernetes_secret_v1.db", "Secret", "k8s:core/Secret/ops/db-credentials"),
    ("kubernetes_config_map_v1.settings", "ConfigMap", "k8s:core/ConfigMap/ops/settings"),
    ("kubernetes_manifest.agent_policy", "ClusterRole", f"{RBAC}/ClusterRole/impersonator"),
    ("module.app.kubernetes_service_account.app", "ServiceAccount", "k8s:core/ServiceAccount/ops/app"),
    ("kubernetes_ingress.legacy", "Ingress", "k8s:networking.k8s.io/Ingress/ops/legacy"),
    ("kubernetes_pod_security_policy.privileged", "PodSecurityPolicy", "k8s:policy/PodSecurityPolicy/privileged"),
])
def test_each_type_becomes_its_kind(types, address, kind, identity):
    r = _resource(types[0], address)
    assert (r.kind, r.type, r.source, r.attributes["$kubernetes_address"]) == (
        Layer.KUBERNETES, kind, "terraform.kubernetes", identity)
    assert r.attributes["$unit"] == "terraform:."


def test_workload_blocks_in_manifest_shape(types):
    graph, _ = types
    agent = _resource(graph, "kubernetes_daemon_set_v1.agent")
    spec = agent.attributes["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}     # the provider's `strategy`
    pod = agent.attributes["$pod"]
    assert pod["hostNetwork"] is True and agent.line_of("$pod.hostNetwork") == 19
    assert pod["volumes"] == [{"name": "root", "hostPath": {"path": "/"}}]
    assert agent.line_of("$pod.volumes.0.hostPath.path") == 31
    assert pod["containers"][0]["volumeMounts"] == [{"name": "root", "mountPath": "/host"}]

    db = _resource(graph, "kubernetes_stateful_set.db")
    assert db.attributes["spec"]["replicas"] == 3                  # "3": a string in the provider's schema
    assert [c["$group"] for c in db.attributes["$containers"]] == ["initContainers", "containers"]
    main = db.attributes["$containers"][1]
    effective = main["$effective"]
    assert (effective["runAsUser"], effective["nonRoot"], effective["allowPrivilegeEscalation"]) == (1000, True, False)
    assert effective["capabilities"] == {"add": ["NET_ADMIN"], "drop": ["ALL"]}
    assert db.line_of("$containers.1.$effective.runAsUser") == 56     # pod security_context run_as_user
    assert db.line_of("$containers.1.$effective.capabilities") == 77
    assert main["env"][0]["valueFrom"] == {"secretKeyRef": {"name": "db-credentials", "key": "password"}}
    assert db.attributes["spec"]["volumeClaimTemplates"][0]["spec"] == {"accessModes": ["ReadWriteOnce"]}

    # the provider sends automount_service_account_token = true when it is left out: the default
    # account's `automount_service_account_token = false` does not decide for the pod
    assert (db.attributes["$automount_service_account_token"], db.line_of("$automount_service_account_token")) == (
        True, 54)

    debug = _resource(graph, "kubernetes_pod_v1.debug")
    assert debug.attributes["$pod"]["hostIPC"] is True
    assert debug.attributes["$containers"][0]["command"] == ["sleep", "infinity"]

    backup = _resource(graph, "kubernetes_cron_job_v1.backup")
    assert backup.attributes["$containers"][0]["$effective"]["privileged"] is True
    assert backup.line_of("$containers.0.$effective.privileged") == 152

    legacy = _resource(graph, "kubernetes_replication_controller.legacy")
    assert legacy.attributes["$pod"]["volumes"][0]["projected"]["sources"] == [
        {"secret": {"name": "legacy-token"}}, {"configMap": {"name": "settings"}}]


def test_object_blocks_in_manifest_shape(types):
    graph, _ = types
    service = _resource(graph, "kubernetes_service_v1.db")
    assert service.attributes["spec"]["ports"] == [{"port": 5432, "targetPort": "5432"}]
    assert service.attributes["spec"]["externalIPs"] == ["203.0.113.10"]
    ingress = _resource(graph, "kubernetes_ingress_v1.web")
    assert ingress.attributes["spec"]["rules"] == [{"host": "example.com", "http": {"paths": [{
        "path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "db", "port": {"number": 5432}}}}]}}]
    assert ingress.attributes["spec"]["tls"] == [{"hosts": ["example.com"], "secretName": "web-tls"}]
    legacy = _resource(graph, "kubernetes_ingress.legacy")   # networking/v1beta1 form
    assert legacy.attributes["spec"] == {"backend": {"serviceName": "db", "servicePort": 5432}}
    psp = _resource(graph, "kubernetes_pod_security_policy.privileged")
    assert psp.attributes["spec"]["runAsUser"] == {"rule": "RunAsAny"}
    assert psp.attributes["spec"]["seLinux"] == {"rule": "RunAsAny"}
    policy = _resource(graph, "kubernetes_network_policy_v1.db")
    assert policy.attributes["spec"]["ingress"] == [
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "5432", "protocol": "TCP"}]}]
    role = _resource(graph, "kubernetes_cluster_role_v1.metrics")
    assert role.attributes["rules"] == [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]
    binding = _resource(graph, "kubernetes_role_binding_v1.reader")
    assert binding.attributes["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                             "name": "reader"}
    assert binding.attributes["subjects"] == [{"kind": "ServiceAccount", "name": "default", "namespace": "ops"}]
    account = _resource(graph, "kubernetes_service_account_v1.db")
    assert account.attributes["automountServiceAccountToken"] is False
    assert account.attributes["imagePullSecrets"] == [{"name": "registry"}]
    secret = _resource(graph, "kubernetes_secret_v1.db")   # the provider encodes `data`: it is plain text
    assert [(e["at"], e["credential"]) for e in secret.attributes["$entries"]] == [
        ("stringData.username", False), ("stringData.password", True)]
    assert secret.line_of("$entries.1") == 144
    manifest = _resource(graph, "kubernetes_manifest.agent_policy")
    assert manifest.attributes["rules"][0]["verbs"] == ["impersonate"]
    assert manifest.line_of("rules.0.verbs") == 169             # nested inside `manifest = {...}`


def test_edges_among_terraform_objects(types):
    graph, _ = types
    edges = {(s, t, k) for s, t, k in graph.edges(keys=True) if k != "references"}
    default = "kubernetes_default_service_account_v1.ops"
    assert {
        ("internet", "kubernetes_service_v1.db", "exposes"),                  # NodePort
        ("internet", "kubernetes_ingress_v1.web", "exposes"),
        ("kubernetes_ingress_v1.web", "kubernetes_service_v1.db", "routes_to"),
        ("internet", "kubernetes_ingress.legacy", "exposes"),
        ("kubernetes_ingress.legacy", "kubernetes_service_v1.db", "routes_to"),   # spec.backend.serviceName
        ("kubernetes_service_v1.db", "kubernetes_stateful_set.db", "selects"),
        ("kubernetes_network_policy_v1.db", "kubernetes_stateful_set.db", "selects"),
        ("kubernetes_stateful_set.db", "kubernetes_secret_v1.db", "mounts"),  # env secret_key_ref
        ("kubernetes_job_v1.migrate", "kubernetes_config_map_v1.settings", "mounts"),  # env_from
        ("kubernetes_replication_controller.legacy", "kubernetes_config_map_v1.settings", "mounts"),
        ("kubernetes_role_binding_v1.reader", "kubernetes_role_v1.reader", "binds"),
        ("kubernetes_role_binding_v1.reader", default, "binds"),
        (default, "kubernetes_role_v1.reader", "bound_to"),
        ("kubernetes_stateful_set.db", default, "runs_as"),
    } <= edges
    # `service_account_name = var.app_name` has no value: no account is guessed
    assert not [e for e in edges if e[0] == "kubernetes_deployment_v1.unnamed" and e[2] == "runs_as"]


def test_unknown_name_is_never_guessed(types):
    r = _resource(types[0], "kubernetes_deployment_v1.unnamed")
    assert r.attributes["$kubernetes_address"] == "k8s:apps/Deployment/ops/(kubernetes_deployment_v1.unnamed)"


def test_not_converted_and_said_so(types):
    graph, loaded = types
    assert _resource(graph, "data.kubernetes_service_account_v1.existing").kind is Layer.TERRAFORM
    for address in ("kubernetes_manifest.from_file", "helm_release.nginx"):
        assert _resource(graph, address).kind is Layer.TERRAFORM
    notes = {(d.code, d.path, d.line, d.level) for d in loaded.diagnostics}
    assert {("kubernetes-not-rendered", "objects.tf", 175, "info"),
            ("kubernetes-not-rendered", "objects.tf", 179, "info")} <= notes


def test_provider_default_namespace(tmp_path):
    (tmp_path / "main.tf").write_text('resource "kubernetes_service_account" "a" {\n'
                                      '  metadata {\n    name = "a"\n  }\n}\n')
    report = scan([str(tmp_path)], base=str(tmp_path))
    found = {(f.policy_id, f.resource, f.location.start_line) for f in report.findings}
    assert ("RG-K8S-040", "kubernetes_service_account.a", 2) in found   # the provider's default: `default`


def test_kubernetes_labels_merge_into_the_object(types):
    graph, _ = types
    ns = _resource(graph, "kubernetes_namespace_v1.apps")
    assert ns.attributes["metadata"]["labels"] == {"pod-security.kubernetes.io/enforce": "baseline"}
    assert ns.line_of("metadata.labels.pod-security.kubernetes.io/enforce") == 236   # the kubernetes_labels line
    report = scan([TYPES], base=TYPES)
    flagged = {f.resource for f in report.findings if f.policy_id == "RG-K8S-050"}
    assert "kubernetes_namespace_v1.apps" not in flagged        # labelled by kubernetes_labels
    assert "kubernetes_namespace_v1.ops" not in flagged         # labelled in its own block


def test_references_at_manifest_paths(types):
    graph, _ = types
    account = _resource(graph, "kubernetes_service_account_v1.irsa")
    # the role's ARN is known only at apply; the reference says which role the annotation names
    assert account.references == (("metadata.annotations.eks.amazonaws.com/role-arn", "aws_iam_role.irsa"),)
    assert graph.edges["kubernetes_service_account_v1.irsa", "aws_iam_role.irsa", "references"]["path"] == \
        "metadata.annotations.eks.amazonaws.com/role-arn"


def test_plan_json_objects_too():
    folder = os.path.join(CASES, "plan")
    report = scan([folder], base=folder)
    got = {(f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings}
    assert {("RG-K8S-002", "kubernetes_pod_v1.debug", "plan.json", 30),   # "privileged": true
            ("RG-K8S-019", "kubernetes_pod_v1.debug", "plan.json", 22)} <= got   # "host_pid": true
    graph = load([folder], base=folder).graph
    pod = graph.nodes["kubernetes_pod_v1.debug"]["resource"]
    assert (pod.type, pod.attributes["$unit"]) == ("Pod", "terraform:plan.json")


def test_a_conversion_that_raises_is_a_diagnostic(monkeypatch):
    from scanner.formats.terraform import k8s_resources

    real = k8s_resources._finish

    def finish(resource, obj, convert):
        if resource.address == "kubernetes_service.web":
            raise ValueError("boom")
        return real(resource, obj, convert)

    monkeypatch.setattr(k8s_resources, "_finish", finish)
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")  # a root stored by an earlier test would not convert again
    folder = os.path.join(TWIN, "terraform")
    loaded = load([folder], base=folder)
    service = loaded.graph.nodes["kubernetes_service.web"]["resource"]
    assert (service.kind, service.type) == (Layer.TERRAFORM, "kubernetes_service")   # kept as written
    assert loaded.graph.nodes["kubernetes_deployment.web"]["resource"].type == "Deployment"
    crashes = [d for d in loaded.diagnostics if d.code == "kubernetes-conversion-crash"]
    assert [(d.path, d.line, d.level) for d in crashes] == [("main.tf", 67, "error")]
    assert "kubernetes_service.web" in crashes[0].message and "ValueError: boom" in crashes[0].message
