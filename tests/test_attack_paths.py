"""Kubernetes attack techniques as edges (scanner/formats/kubernetes/attacks.py, escapes.py) and paths that reach the sink."""

from __future__ import annotations

import os

import pytest

from scanner.api import load_graph, scan
from scanner.model import Finding, Location, PathStep, Severity
from scanner.policy.evaluate import once_per_path
from scanner.report import markdown, sarif, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
RBAC = "k8s:rbac.authorization.k8s.io"
NODE = "k8s:core/Node/*"
TECHNIQUES = ("escapes_to", "steals_token", "reads_secrets", "execs_into", "patches", "creates_pods",
              "binds_role", "impersonates")


def _graph(tmp_path, manifest: str):
    (tmp_path / "app.yaml").write_text(manifest)
    graph = load_graph([str(tmp_path)])
    return graph[0] if isinstance(graph, tuple) else graph


def _techniques(graph) -> set[tuple[str, str, str, str]]:
    return {(u, v, k, d.get("technique", "")) for u, v, k, d in graph.edges(keys=True, data=True)
            if k in TECHNIQUES}


def _pod(spec: str, container: str = "", kind: str = "Deployment") -> str:
    """A workload ``w`` in namespace ``a``: ``spec`` lines go in its pod spec, ``container`` lines in its container."""
    lines = ["apiVersion: apps/v1", f"kind: {kind}", "metadata: {name: w, namespace: a}", "spec:",
             "  template:", "    metadata: {labels: {app: w}}", "    spec:"]
    lines += ["      " + x for x in spec.strip().splitlines()]
    lines += ["      containers:", "        - name: w", "          image: example/w:1.0"]
    lines += ["          " + x for x in container.strip().splitlines()]
    return "\n".join(lines) + "\n"


W = "k8s:apps/Deployment/a/w"


@pytest.mark.parametrize("spec,container,techniques", [
    ("", "securityContext: {privileged: true}", "CE_MODULE_LOAD, CE_PRIV_MOUNT"),
    ("hostPID: true", "securityContext: {privileged: true}", "CE_MODULE_LOAD, CE_NSENTER, CE_PRIV_MOUNT, CE_SYS_PTRACE"),
    ("hostPID: true", "securityContext: {capabilities: {add: [SYS_PTRACE, SYS_ADMIN]}}", "CE_SYS_PTRACE"),
    ("", "securityContext: {capabilities: {add: [CAP_SYS_MODULE]}}", "CE_MODULE_LOAD"),
    ("volumes: [{name: h, hostPath: {path: /proc}}]", "volumeMounts: [{name: h, mountPath: /h}]",
     "CE_UMH_CORE_PATTERN"),
    ("volumes: [{name: h, hostPath: {path: /var/log/}}]", "volumeMounts: [{name: h, mountPath: /h}]",
     "CE_VAR_LOG_SYMLINK"),
    ("volumes: [{name: h, hostPath: {path: /var/lib/kubelet/pods}}]",
     "volumeMounts: [{name: h, mountPath: /h, readOnly: true}]", "EXPLOIT_HOST_TRAVERSE"),
    ("volumes: [{name: h, hostPath: {path: /etc/kubernetes/pki}}]",
     "volumeMounts: [{name: h, mountPath: /h, readOnly: true}]", "EXPLOIT_HOST_READ"),
    ("volumes: [{name: h, hostPath: {path: /etc}}]", "volumeMounts: [{name: h, mountPath: /h}]",
     "EXPLOIT_HOST_READ, EXPLOIT_HOST_WRITE"),
    ("volumes: [{name: h, hostPath: {path: /var/run/docker.sock}}]", "volumeMounts: [{name: h, mountPath: /s}]",
     "EXPLOIT_CONTAINERD_SOCK"),
    ("volumes: [{name: h, hostPath: {path: /}}]", "volumeMounts: [{name: h, mountPath: /host, readOnly: true}]",
     "EXPLOIT_CONTAINERD_SOCK, EXPLOIT_HOST_READ, EXPLOIT_HOST_TRAVERSE"),
])
def test_container_escapes_are_edges_to_the_node(tmp_path, spec, container, techniques):
    graph = _graph(tmp_path, _pod(spec, container))
    assert (W, NODE, "escapes_to", techniques) in _techniques(graph)


@pytest.mark.parametrize("spec,container", [
    ("hostPID: true", ""),                                                    # host PID alone: nothing to enter with
    ("hostPID: true", "securityContext: {capabilities: {add: [SYS_PTRACE]}}"),  # ptrace without SYS_ADMIN
    ("volumes: [{name: h, hostPath: {path: /var/log}}]",                      # read-only: no symlink planted
     "volumeMounts: [{name: h, mountPath: /h, readOnly: true}]"),
    ("volumes: [{name: h, hostPath: {path: /}}]",                              # not root: the files are root's
     "volumeMounts: [{name: h, mountPath: /h}]\nsecurityContext: {runAsNonRoot: true, runAsUser: 1000}"),
    ("volumes: [{name: h, hostPath: {path: /var/lib/app}}]", "volumeMounts: [{name: h, mountPath: /h}]"),
    ("volumes: [{name: h, hostPath: {path: /etc}}]", ""),                    # declared, never mounted
    ("", "securityContext: {privileged: ${PRIV}}"),                          # not a boolean: not guessed
])
def test_no_escape_edge(tmp_path, spec, container):
    graph = _graph(tmp_path, _pod(spec, container))
    assert {e for e in _techniques(graph) if e[2] == "escapes_to"} == set()


def test_a_privileged_init_container_is_no_escape(tmp_path):
    manifest = _pod("initContainers: [{name: i, image: example/i:1.0, securityContext: {privileged: true}}]")
    assert _techniques(_graph(tmp_path, manifest)) == set()


RBAC_BASE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: example/web:1.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: op, namespace: a}
spec:
  template:
    metadata: {labels: {app: op}}
    spec:
      serviceAccountName: op
      containers: [{name: op, image: example/op:1.0}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: op}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: op, namespace: a}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: KIND
metadata: {name: rNS}
rules: RULES
---
apiVersion: rbac.authorization.k8s.io/v1
kind: BINDING
metadata: {name: rNS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: KIND, name: r}
subjects: [{kind: ServiceAccount, name: web, namespace: a}]
"""
WEB, OP = "k8s:core/ServiceAccount/a/web", "k8s:core/ServiceAccount/a/op"
ADMIN = f"{RBAC}/ClusterRole/cluster-admin"
SECRETS = "k8s:core/Secret/kube-system/*"


def _rbac(tmp_path, rules: str, kind: str = "ClusterRole", binding: str = "ClusterRoleBinding",
          ns: str = "", extra: str = ""):
    text_ = RBAC_BASE.replace("KIND", kind).replace("BINDING", binding).replace("RULES", rules) \
        .replace("rNS", f"r, namespace: {ns}" if ns else "r")
    return {e for e in _techniques(_graph(tmp_path, text_ + extra)) if e[0] == WEB}


@pytest.mark.parametrize("rules,expected", [
    ('[{apiGroups: [""], resources: [pods/exec], verbs: [create]}]',
     {(WEB, "k8s:apps/Deployment/a/op", "execs_into", "POD_EXEC, POD_ATTACH")}),
    ('[{apiGroups: [apps], resources: [deployments], verbs: [patch], resourceNames: [op]}]',
     {(WEB, "k8s:apps/Deployment/a/op", "patches", "POD_PATCH")}),
    ('[{apiGroups: [""], resources: [pods], verbs: [create]}]',
     {(WEB, NODE, "creates_pods", "POD_CREATE"), (WEB, OP, "creates_pods", "POD_CREATE")}),
    ('[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]},'
     ' {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]',
     {(WEB, ADMIN, "binds_role", "ROLE_BIND")}),
    ('[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update]}]',
     {(WEB, ADMIN, "binds_role", "ROLE_BIND")}),
    ('[{apiGroups: [""], resources: [groups], verbs: [impersonate]}]',
     {(WEB, ADMIN, "impersonates", "IDENTITY_IMPERSONATE")}),
    ('[{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}]',
     {(WEB, OP, "impersonates", "IDENTITY_IMPERSONATE")}),
    ('[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]',
     {(WEB, OP, "steals_token", "TOKEN_REQUEST")}),
    ('[{apiGroups: [""], resources: [secrets], verbs: [list]}]',
     {(WEB, SECRETS, "reads_secrets", "TOKEN_LIST")}),
    # no technique: bind without creating bindings, exec in another namespace's grant, named secrets only
    ('[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]', set()),
    ('[{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [tls]}]', set()),
    ('[{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]', set()),
])
def test_rbac_techniques_are_edges(tmp_path, rules, expected):
    assert _rbac(tmp_path, rules) == expected


def test_a_namespaced_grant_reaches_only_its_namespace(tmp_path):
    rules = '[{apiGroups: [""], resources: [pods/exec, secrets], verbs: [create, list]}]'
    assert _rbac(tmp_path, rules, "Role", "RoleBinding", ns="b") == set()


def test_pod_security_admission_stops_privileged_pods_but_not_accounts(tmp_path):
    namespace = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n"
    rules = '[{apiGroups: [batch], resources: [jobs], verbs: [create]}]'
    assert _rbac(tmp_path, rules, "Role", "RoleBinding", ns="a", extra=namespace) == {
        (WEB, OP, "creates_pods", "POD_CREATE")}


def test_legacy_token_secrets_are_listed_or_guessed(tmp_path):
    secret = ("---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\n"
              "metadata:\n  name: op-token\n  namespace: a\n  annotations: {kubernetes.io/service-account.name: op}\n")
    got = _rbac(tmp_path, '[{apiGroups: [""], resources: [secrets], verbs: [get]}]', "Role", "RoleBinding",
                ns="a", extra=secret)
    assert got == {(WEB, OP, "steals_token", "TOKEN_BRUTEFORCE")}


@pytest.mark.parametrize("pod,stolen", [
    ("", True),
    ("nodeSelector: {pool: system}", False),           # not on every node
    ("automountServiceAccountToken: false", False),    # no token on the node to steal
])
def test_a_node_holds_the_tokens_of_daemonsets(tmp_path, pod, stolen):
    escape = _pod("", "securityContext: {privileged: true}")
    agent = _pod(f"serviceAccountName: agent\n{pod}", kind="DaemonSet").replace("name: w,", "name: agent,")
    graph = _graph(tmp_path, escape + "---\n" + agent)
    edge = (NODE, "k8s:core/ServiceAccount/a/agent", "steals_token", "VOLUME_ACCESS, TOKEN_STEAL")
    assert (edge in _techniques(graph)) is stolen


def test_runs_as_says_whether_the_pod_holds_a_token(tmp_path):
    manifest = _pod("automountServiceAccountToken: false") + "---\n" + _pod(
        "automountServiceAccountToken: false\nvolumes: [{name: t, projected: {sources: [{serviceAccountToken: "
        "{path: token}}]}}]").replace("name: w,", "name: v,")
    graph = _graph(tmp_path, manifest)
    account = "k8s:core/ServiceAccount/a/default"
    assert graph.edges[W, account, "runs_as"]["token"] is False
    assert graph.edges["k8s:apps/Deployment/a/v", account, "runs_as"]["token"] is True


# -- the policies' paths: every hop to the sink ------------------------------------------------------

def _paths(policy_id: str, builtin_policies) -> dict[str, list[tuple[str, str, str]]]:
    folder = os.path.join(FIXTURES, policy_id, "fail")
    report = scan([folder], policies=[builtin_policies[policy_id]], base=folder)
    return {f.resource: [(s.edge, s.detail, s.address) for s in f.path] for f in report.findings}


def test_cluster_admin_paths(builtin_policies):
    paths = _paths("RG-PATH-018", builtin_policies)
    assert paths["k8s:apps/Deployment/shop/web"][2:] == [
        ("selects", "", "k8s:apps/Deployment/shop/web"),
        ("escapes_to", "CE_MODULE_LOAD, CE_PRIV_MOUNT", NODE),
        ("steals_token", "VOLUME_ACCESS, TOKEN_STEAL", "k8s:core/ServiceAccount/kube-system/agent"),
        ("bound_to", "", f"{ADMIN}@escape")]
    # each unit's pseudo-nodes: the first unit (by name) has the plain address, the others @<unit>
    assert paths["k8s:apps/Deployment/ci/ci"][3:] == [
        ("runs_as", "", "k8s:core/ServiceAccount/ci/ci"),
        ("binds_role", "ROLE_BIND (binder)", ADMIN)]
    assert paths["k8s:apps/Deployment/ops/console"][3:] == [
        ("runs_as", "", "k8s:core/ServiceAccount/ops/console"),
        ("execs_into", "POD_EXEC, POD_ATTACH (debug)", "k8s:apps/Deployment/ops/operator"),
        ("runs_as", "", "k8s:core/ServiceAccount/ops/operator"),
        ("bound_to", "", f"{ADMIN}@exec")]
    assert paths["k8s:apps/Deployment/edge/proxy"][3:] == [
        ("runs_as", "", "k8s:core/ServiceAccount/edge/proxy"),
        ("impersonates", "IDENTITY_IMPERSONATE (impersonator)", f"{ADMIN}@impersonate")]
    assert all(p[0] == ("", "", "internet") and p[1][0] == "exposes" for p in paths.values())


def test_node_and_kube_system_paths(builtin_policies):
    node = _paths("RG-PATH-016", builtin_policies)
    assert node["k8s:apps/Deployment/obs/logs"][-1] == ("escapes_to", "CE_VAR_LOG_SYMLINK", f"{NODE}@varlog")
    assert node["k8s:apps/Deployment/build/builder"][-1][:2] == ("escapes_to", "EXPLOIT_CONTAINERD_SOCK")
    assert node["k8s:apps/Deployment/jobs/runner"][-2:] == [
        ("runs_as", "", "k8s:core/ServiceAccount/jobs/runner"),
        ("creates_pods", "POD_CREATE (runner)", NODE)]
    secrets = _paths("RG-PATH-017", builtin_policies)
    assert secrets["k8s:apps/Deployment/shop/web@kubesystem"][-1] == (
        "reads_secrets", "TOKEN_LIST (secret-reader)", f"{SECRETS}@kubesystem")


def test_administrator_path_goes_on_to_the_role(builtin_policies):
    paths = _paths("RG-PATH-004", builtin_policies)
    assert paths["k8s:apps/Deployment/ops/dashboard"][-2:] == [
        ("runs_as", "", "k8s:core/ServiceAccount/ops/dashboard"), ("bound_to", "", ADMIN)]


# -- one story once, and how a hop is printed ------------------------------------------------------

def _finding(policy: str, severity: Severity, hops: tuple[str, ...]) -> Finding:
    steps = tuple(PathStep(a, None, "e" if i else "") for i, a in enumerate(hops))
    return Finding(policy, severity, "w", Location("a.yaml", 1, 1), "m", path=steps)


def test_identical_paths_past_the_resource_are_reported_once():
    admin = _finding("RG-PATH-004", Severity.CRITICAL, ("internet", "w", "sa", "admin"))
    secrets = _finding("RG-PATH-003", Severity.HIGH, ("internet", "w", "sa", "admin"))
    node = _finding("RG-PATH-016", Severity.CRITICAL, ("internet", "w", "node"))
    root = _finding("RG-PATH-007", Severity.HIGH, ("internet", "w"))
    egress = _finding("RG-PATH-013", Severity.MEDIUM, ("internet", "w"))   # ends at the resource: kept
    kept = once_per_path([secrets, admin, node, root, egress])
    assert [(f.policy_id, f.message) for f in kept] == [
        ("RG-PATH-004", "m (also RG-PATH-003)"), ("RG-PATH-016", "m"), ("RG-PATH-007", "m"), ("RG-PATH-013", "m")]


def test_a_hop_is_printed_with_its_technique():
    steps = (PathStep("internet", None), PathStep("w", Location("a.yaml", 3, 3), "selects"),
             PathStep("k8s:core/Node/*", Location("a.yaml", 9, 9), "escapes_to", "CE_PRIV_MOUNT"))
    assert text.hops(steps) == "internet -selects-> w -escapes_to [CE_PRIV_MOUNT]-> k8s:core/Node/*"
    finding = Finding("RG-PATH-016", Severity.CRITICAL, "w", Location("a.yaml", 3, 3), "m", path=steps)
    assert "  n1 -- escapes_to: CE_PRIV_MOUNT --> n2" in markdown.mermaid_path(finding)
    flow = sarif._result(finding, 0, False)["codeFlows"][0]["threadFlows"][0]["locations"]
    assert flow[2]["location"]["message"]["text"] == "--escapes_to [CE_PRIV_MOUNT]--> k8s:core/Node/*"


def test_node_takeover_keeps_its_evidence_line_and_goes_on_to_the_node(builtin_policies):
    folder = os.path.join(FIXTURES, "RG-PATH-018", "fail", "escape")
    report = scan([folder], policies=[builtin_policies["RG-PATH-006"]], base=folder)
    (finding,) = report.findings
    assert (finding.resource, finding.location.start_line) == ("k8s:apps/Deployment/shop/web", 20)  # privileged
    assert [(s.edge, s.address) for s in finding.path[-2:]] == [
        ("selects", "k8s:apps/Deployment/shop/web"), ("escapes_to", NODE)]


def test_a_connected_test_after_reachable_from_continues_the_path(builtin_policies):
    folder = os.path.join(FIXTURES, "RG-PATH-008", "fail")
    report = scan([folder], policies=[builtin_policies["RG-PATH-008"]], base=folder)
    paths = {f.resource: [(s.edge, s.address) for s in f.path][-2:] for f in report.findings}
    assert paths["k8s:apps/Deployment/shop/web"] == [
        ("selects", "k8s:apps/Deployment/shop/web"), ("mounts", "k8s:core/Secret/shop/aws-keys")]


def test_binding_admin_in_kube_system_reads_its_secrets(tmp_path):
    rules = ('[{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]},'
             ' {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [admin]}]')
    assert _rbac(tmp_path, rules, "Role", "RoleBinding", ns="kube-system") == {
        (WEB, SECRETS, "binds_role", "ROLE_BIND")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _rbac(elsewhere, rules, "Role", "RoleBinding", ns="team") == set()


def test_a_mounted_legacy_token_is_its_account(tmp_path):
    secret = ("---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\n"
              "metadata:\n  name: op-token\n  namespace: a\n  annotations: {kubernetes.io/service-account.name: op}\n"
              "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: op, namespace: a}\n")
    pod = _pod("volumes: [{name: t, secret: {secretName: op-token}}]", "volumeMounts: [{name: t, mountPath: /t}]")
    graph = _graph(tmp_path, pod + secret)
    edges = {(u, v, k) for u, v, k in graph.edges(keys=True)}
    assert {(W, "k8s:core/Secret/a/op-token", "mounts"),
            ("k8s:core/Secret/a/op-token", "k8s:core/ServiceAccount/a/op", "steals_token")} <= edges
