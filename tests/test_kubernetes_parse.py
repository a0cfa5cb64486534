"""Kubernetes parsing: every workload kind, the derived pod model with its lines, List / Helm / Kustomize / CRD input."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, parse_tree
from scanner.api import scan
from scanner.discover import discover
from scanner.parse import ParseOptions, parse_all
from scanner.formats.kubernetes.pod import parse_image
from scanner.model import Unknown

CASES = os.path.join(FIXTURES, "cases", "kubernetes")


def parsed(folder: str):
    path = os.path.join(CASES, folder)
    found = discover([path], base=path)
    out = parse_all(found.files, ParseOptions())
    diagnostics = sorted((d.path, d.line, d.code, d.level) for d in [*found.diagnostics, *out.diagnostics])
    return {r.address: r for r in out.resources}, diagnostics


def value_and_line(resource, path: str):
    value = resource.attributes
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value, resource.line_of(path)


@pytest.fixture(scope="module")
def workloads():
    resources, diagnostics = parsed("workloads")
    assert diagnostics == []
    return resources


def test_every_workload_kind_is_addressed_with_the_api_server_namespace(workloads):
    assert sorted(workloads) == [
        "k8s:apps/DaemonSet/kube-system/agent",
        "k8s:apps/Deployment/shop/listed",
        "k8s:apps/Deployment/shop/web",
        "k8s:apps/ReplicaSet/default/legacy",
        "k8s:apps/StatefulSet/shop/db",
        "k8s:batch/CronJob/shop/backup",
        "k8s:batch/Job/shop/migrate",
        "k8s:core/ConfigMap/shop/settings",
        "k8s:core/Pod/default/debug",
        "k8s:core/ReplicationController/default/old",
    ]


@pytest.mark.parametrize("address, containers", [
    ("k8s:core/Pod/default/debug",
     [("setup", "initContainers", 14), ("shell", "containers", 17), ("probe", "ephemeralContainers", 25)]),
    ("k8s:apps/Deployment/shop/web", [("web", "containers", 43)]),
    ("k8s:apps/StatefulSet/shop/db", [("postgres", "containers", 61)]),
    ("k8s:apps/DaemonSet/kube-system/agent", [("agent", "containers", 79)]),
    ("k8s:apps/ReplicaSet/default/legacy", [("legacy", "containers", 95)]),
    ("k8s:core/ReplicationController/default/old", [("old", "containers", 108)]),
    ("k8s:batch/Job/shop/migrate", [("migrate", "containers", 121)]),
    ("k8s:batch/CronJob/shop/backup", [("wait", "initContainers", 139), ("backup", "containers", 142)]),
])
def test_containers_of_every_group_with_their_group_and_line(workloads, address, containers):
    r = workloads[address]
    got = [(c["name"], c["$group"], r.line_of(f"$containers.{i}.$group"))
           for i, c in enumerate(r.attributes["$containers"])]
    assert got == containers


def test_derived_keys_do_not_leak_into_the_manifest(workloads):
    pod = workloads["k8s:core/Pod/default/debug"].attributes
    assert "$effective" not in pod["spec"]["containers"][0]
    assert pod["$pod"] is pod["spec"]


@pytest.mark.parametrize("address, path, value, line", [
    # pod-level settings inherited by a container that does not set them
    ("k8s:core/Pod/default/debug", "$containers.0.$effective.runAsNonRoot", True, 9),
    ("k8s:core/Pod/default/debug", "$containers.0.$effective.runAsUser", 1000, 10),
    ("k8s:core/Pod/default/debug", "$containers.0.$effective.nonRoot", True, 10),
    ("k8s:core/Pod/default/debug", "$containers.0.$effective.seccompProfile.type", "RuntimeDefault", 12),
    ("k8s:core/Pod/default/debug", "$containers.0.$effective.privileged", False, 14),
    ("k8s:core/Pod/default/debug", "$containers.0.$effective.allowPrivilegeEscalation", True, 14),
    # the container's own settings win
    ("k8s:core/Pod/default/debug", "$containers.1.$effective.runAsUser", 0, 20),
    ("k8s:core/Pod/default/debug", "$containers.1.$effective.nonRoot", False, 20),
    ("k8s:core/Pod/default/debug", "$containers.1.$effective.runAsNonRoot", True, 9),
    ("k8s:core/Pod/default/debug", "$containers.1.$effective.allowPrivilegeEscalation", False, 21),
    ("k8s:core/Pod/default/debug", "$containers.1.$effective.capabilities.add", ["NET_ADMIN", "SYS_TIME"], 23),
    ("k8s:core/Pod/default/debug", "$containers.2.$effective.capabilities.add", [], 25),
    ("k8s:core/Pod/default/debug", "$pod.hostPID", True, 7),
    # legacy seccomp annotation; privileged forces privilege escalation
    ("k8s:apps/Deployment/shop/web", "$containers.0.$effective.seccompProfile.type", "RuntimeDefault", 40),
    ("k8s:apps/Deployment/shop/web", "$containers.0.$effective.privileged", True, 47),
    ("k8s:apps/Deployment/shop/web", "$containers.0.$effective.allowPrivilegeEscalation", True, 43),
    ("k8s:apps/Deployment/shop/web", "$containers.0.$effective.readOnlyRootFilesystem", True, 46),
    ("k8s:apps/Deployment/shop/web", "$containers.0.$effective.nonRoot", False, 43),
    # host namespaces, hostPath, host ports, automount and limits through the pod model
    ("k8s:apps/DaemonSet/kube-system/agent", "$pod.hostNetwork", True, 74),
    ("k8s:apps/DaemonSet/kube-system/agent", "$pod.volumes.0.hostPath.path", "/var/run/docker.sock", 77),
    ("k8s:apps/DaemonSet/kube-system/agent", "$containers.0.ports.0.hostPort", 9100, 83),
    ("k8s:batch/CronJob/shop/backup", "$pod.automountServiceAccountToken", False, 137),
    ("k8s:batch/CronJob/shop/backup", "$containers.1.resources.limits.memory", "256Mi", 145),
    # images
    ("k8s:core/Pod/default/debug", "$containers.0.$image.latest", True, 15),
    ("k8s:core/Pod/default/debug", "$containers.0.$image.repository", "library/busybox", 15),
    ("k8s:core/Pod/default/debug", "$containers.1.$image.registry", "registry.example.com:5000", 18),
    ("k8s:core/Pod/default/debug", "$containers.1.$image.digest", "sha256:abc123", 18),
    ("k8s:core/Pod/default/debug", "$containers.1.$image.latest", False, 18),
    ("k8s:core/Pod/default/debug", "$containers.2.$image.tag", "latest", 26),
    ("k8s:apps/DaemonSet/kube-system/agent", "$containers.0.$image.latest", True, 80),
    ("k8s:apps/Deployment/shop/web", "$containers.0.$image.latest", False, 44),
    # ConfigMap entries, inside a kind: List
    ("k8s:core/ConfigMap/shop/settings", "$entries.0.secret_like", False, 10),
    ("k8s:core/ConfigMap/shop/settings", "$entries.1.key", "DATABASE_URL", 11),
    ("k8s:core/ConfigMap/shop/settings", "$entries.1.secret_like", True, 11),
])
def test_derived_values_and_their_lines(workloads, address, path, value, line):
    assert value_and_line(workloads[address], path) == (value, line)


@pytest.mark.parametrize("image, parts", [
    ("nginx", ("docker.io", "library/nginx", None, None, True)),
    ("nginx:latest", ("docker.io", "library/nginx", "latest", None, True)),
    ("bitnami/redis:7.2", ("docker.io", "bitnami/redis", "7.2", None, False)),
    ("localhost/app", ("localhost", "app", None, None, True)),
    ("quay.io/org/app@sha256:ff", ("quay.io", "org/app", None, "sha256:ff", False)),
    ("reg:5000/a/b:1@sha256:ee", ("reg:5000", "a/b", "1", "sha256:ee", False)),
])
def test_image_parts(image, parts):
    got = parse_image(image)
    assert (got["registry"], got["repository"], got["tag"], got["digest"], got["latest"]) == parts


@pytest.mark.parametrize("image, tag, digest, latest", [
    # a placeholder for the registry or project: the name, tag and digest after it are written out
    # (kubernetes-engine-samples: gcr.io/<<PROJECT>>/jax/hello:latest, <DOCKER_REPO>/chatbot:1.0)
    ("gcr.io/<<PROJECT>>/jax/hello:latest", "latest", None, True),
    ("<DOCKER_REPO>/chatbot:1.0", "1.0", None, False),
    ("$LOCATION-docker.pkg.dev/$PROJECT/repo/app", None, None, True),
    ("${REGISTRY}/app:2.1@sha256:ab12", "2.1", "sha256:ab12", False),
])
def test_a_placeholder_before_the_name_leaves_tag_and_digest_known(image, tag, digest, latest):
    got = parse_image(image)
    assert isinstance(got["registry"], Unknown) and isinstance(got["repository"], Unknown)
    assert (got["tag"], got["digest"], got["latest"]) == (tag, digest, latest)


@pytest.mark.parametrize("image", ["$IMAGE_URL", "${IMAGE_URI}", "<YOUR-CONTAINER>", "repo/app:${TAG}",
                                   "{{ .Values.image.repository }}:{{ .Values.image.tag }}", "reg/<IMAGE>:<TAG>"])
def test_a_placeholder_for_the_name_or_tag_leaves_every_part_unknown(image):
    assert all(isinstance(v, Unknown) for v in parse_image(image).values())


def test_list_items_keep_their_own_location(workloads):
    cm, deploy = workloads["k8s:core/ConfigMap/shop/settings"], workloads["k8s:apps/Deployment/shop/listed"]
    assert (cm.location.path, cm.location.start_line, cm.location.end_line) == ("list.yaml", 4, 11)
    assert (deploy.location.start_line, deploy.line_of("$containers.0.envFrom.0")) == (12, 26)


def test_helm_rendered_output_keeps_the_template_path():
    resources, diagnostics = parsed("helm-rendered")
    assert diagnostics == []
    got = {a: value_and_line(r, "$helm_source") + (r.location.start_line,) for a, r in resources.items()}
    assert got == {
        "k8s:core/ServiceAccount/default/release-web": ("web/templates/serviceaccount.yaml", 2, 3),
        "k8s:core/Service/default/release-web": ("web/templates/service.yaml", 10, 11),
        "k8s:apps/Deployment/default/release-web": ("web/templates/deployment.yaml", 24, 25),
    }


def test_unrendered_helm_templates_are_skipped_with_an_info_diagnostic():
    resources, diagnostics = parsed("helm-chart")
    assert resources == {}
    assert diagnostics == [
        ("web/templates/configmap.yaml", 4, "helm-template", "info"),   # valid YAML, found by the chart layout
        ("web/templates/deployment.yaml", 4, "helm-template", "info"),  # valid YAML with .Release / .Values
        ("web/templates/service.yaml", 6, "helm-template", "info"),     # not YAML at all
    ]


def test_kustomize_output_is_read_through_its_kustomization():
    resources, diagnostics = parsed("kustomize")
    assert sorted(resources) == ["k8s:apps/Deployment/shop/prod-app",
                                 "k8s:core/ConfigMap/shop/app-config-7g5c2f9h8k"]
    assert diagnostics == []  # the kustomization is build input: built, not reported


def test_custom_resources_are_kept_and_a_crd_decides_the_scope():
    resources, diagnostics = parsed("crd")
    assert sorted(resources) == [
        "k8s:acme.io/ClusterWidget/big",          # cluster-scoped per the CRD: namespace ignored
        "k8s:acme.io/Widget/default/small",        # unknown kind: namespaced, defaulted
        "k8s:apiextensions.k8s.io/CustomResourceDefinition/clusterwidgets.acme.io",
        "k8s:core/Namespace/shop",
    ]
    assert diagnostics == [("crd.yaml", 23, "k8s-unnamed", "warning")]


def test_duplicates_are_reported_once_per_file():
    resources, diagnostics = parsed("duplicates")
    assert sorted(resources) == ["k8s:core/ServiceAccount/default/one", "k8s:core/ServiceAccount/default/three",
                                 "k8s:core/ServiceAccount/default/two"]
    assert all(r.location.path == "a-install.yaml" for r in resources.values())
    assert diagnostics == [("b-overlay.yaml", 1, "duplicate-object", "warning"),
                           ("c-single.yaml", 1, "duplicate-object", "warning")]
    _, messages = parse_messages("duplicates")
    assert messages == [
        "2 objects here are defined earlier in other files (first: k8s:core/ServiceAccount/default/two "
        "at line 1, also at a-install.yaml:5); these copies are ignored",
        "k8s:core/ServiceAccount/default/one is also defined at a-install.yaml:1; this copy is ignored"]


def parse_messages(folder: str):
    path = os.path.join(CASES, folder)
    out = parse_all(discover([path], base=path).files, ParseOptions())
    return out.resources, sorted(d.message for d in out.diagnostics)


def test_an_object_its_api_group_does_not_serve_is_refused_not_scanned(tmp_path):
    """`apiVersion: v1, kind: Deployment` never reaches a cluster; a CRD kind named like a built-in one is read."""
    (tmp_path / "objects.yaml").write_text(
        "apiVersion: v1\nkind: Deployment\nmetadata: {name: fixture}\n"
        "spec: {template: {spec: {containers: [{name: a, image: nginx}]}}}\n---\n"
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello}\n---\n"
        "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n"
        "spec: {template: {spec: {containers: [{name: a, image: nginx}]}}}\n")
    parsed = parse_tree(tmp_path)
    assert sorted(r.address for r in parsed.resources) == [
        "k8s:extensions/Deployment/default/old", "k8s:serving.knative.dev/Service/default/hello"]
    assert [(d.code, d.path, d.line) for d in parsed.diagnostics] == [("k8s-unserved", "objects.yaml", 1)]


UNPLACED_BINDING = (  # a ClusterRoleBinding whose ServiceAccount subject names no namespace
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: setup}\n"
    "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
    "subjects: [{kind: ServiceAccount, name: setup}]\n---\n")


def test_a_cluster_role_binding_naming_an_account_without_its_namespace_is_refused(tmp_path):
    """The API server requires a ClusterRoleBinding's ServiceAccount subjects to name their namespace (a
    RoleBinding's default to its own): rook's sqlitevfs example was read as granting `view` (round 17)."""
    (tmp_path / "rbac.yaml").write_text(
        UNPLACED_BINDING +
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: placed}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
        "subjects: [{kind: ServiceAccount, name: setup, namespace: tools}, {kind: Group, name: ops}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: local, namespace: tools}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
        "subjects: [{kind: ServiceAccount, name: setup}]\n")
    parsed = parse_tree(tmp_path)
    assert sorted(r.address for r in parsed.resources) == [
        "k8s:rbac.authorization.k8s.io/ClusterRoleBinding/placed",
        "k8s:rbac.authorization.k8s.io/RoleBinding/tools/local"]
    assert [(d.code, d.path, d.line, d.level) for d in parsed.diagnostics] == [
        ("k8s-invalid", "rbac.yaml", 1, "warning")]
    # the refused binding grants nothing: a workload running as the account mounts a token no role uses
    (tmp_path / "rbac.yaml").write_text(
        UNPLACED_BINDING +
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: setup, namespace: default}\n"
        "spec: {template: {spec: {serviceAccountName: setup, containers: [{name: a, image: 'setup:1.0'}]}}}\n")
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-K8S-042"])
    assert [(f.resource, f.location.start_line) for f in report.findings] == [
        ("k8s:apps/Deployment/default/setup", 10)]


def test_a_workload_whose_container_has_no_image_is_refused_with_a_warning(tmp_path):
    """The API server requires every container's image: such an object is a stub merged into one of the cluster.

    Found held out (argo-cd's application controller StatefulSet, scaled to 0 and without an image, built
    into an overlay that runs the controller as a Deployment instead): two findings on pods that never run.
    """
    (tmp_path / "stub.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: controller}\nspec:\n  replicas: 0\n"
        "  template:\n    spec:\n      containers:\n        - name: controller\n          args: [run]\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: controller}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - {name: controller, image: 'quay.io/org/controller:v1'}\n")
    (tmp_path / "z-full.yaml").write_text(   # the whole object, later: the refused stub does not hide it
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: controller}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - {name: controller, image: 'quay.io/org/controller:v1'}\n")
    out = parse_tree(tmp_path)
    assert [(r.address, r.location.path) for r in out.resources] == [
        ("k8s:apps/Deployment/default/controller", "stub.yaml"),
        ("k8s:apps/StatefulSet/default/controller", "z-full.yaml")]
    assert [(d.code, d.path, d.line, d.level) for d in out.diagnostics] == [
        ("k8s-incomplete", "stub.yaml", 1, "warning")]


def test_a_knative_example_block_is_no_configuration(tmp_path):
    """`_example` holds a commented copy of the settings that no controller reads (Knative, Tekton).

    Found held out (tekton's config-tracing: `credentialsSecret: "jaeger-creds"` inside `_example`, reported
    by RG-SEC-004 as a literal credential). The other keys are still judged.
    """
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-tracing, namespace: tekton}\ndata:\n"
        "  _example: |\n    # credentialsSecret: \"jaeger-creds\"\n    credentialsSecret: \"jaeger-creds\"\n"
        "  DB_PASSWORD: Orders-2024-prod\n")
    [cm] = parse_tree(tmp_path).resources
    assert [(e["key"], cm.line_of(f"$entries.{i}.value")) for i, e in enumerate(cm.attributes["$entries"])] == [
        ("DB_PASSWORD", 8)]


def test_a_template_held_as_text_in_rendered_yaml_is_a_value(tmp_path):
    """Istio's rendered install.yaml keeps the sidecar injector's Go template in a ConfigMap's block
    scalar (`{{- define "resources"`): the file is read, not skipped as an unrendered chart; an action
    in the structure still marks one."""
    (tmp_path / "install.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: injector, namespace: istio-system}\ndata:\n"
        "  config: |-\n    {{- define \"resources\" }}\n      limits: {{ .Values.cpu }}\n    {{- end }}\n"
        "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: cni, namespace: kube-system}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: install\n          image: cni:1.0\n")
    (tmp_path / "template.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  note: |\n    text\n"
        "  image: {{ .Values.image }}\n")
    found = discover([str(tmp_path)], base=str(tmp_path))
    parsed_ = parse_all(found.files, ParseOptions())
    assert sorted(r.address for r in parsed_.resources) == [
        "k8s:apps/DaemonSet/kube-system/cni", "k8s:core/ConfigMap/istio-system/injector"]
    assert [(d.code, d.path, d.line) for d in parsed_.diagnostics] == [("helm-template", "template.yaml", 7)]
