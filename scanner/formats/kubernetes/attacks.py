"""Kubernetes attack techniques as edges: escapes to the node, stolen tokens, and what an account's RBAC lets it take.

Runs at the end of each deployment unit's linking, after RBAC
(:func:`scanner.formats.kubernetes.rbac.link`), and adds the edges of
``TECHNIQUE_EDGES`` (docs/attack-paths.md maps them to KubeHound's attack
types). Each edge carries ``technique`` (the KubeHound names, comma
separated) and, for RBAC techniques, the ``role`` and ``binding`` that grant
them. Two pseudo-nodes stand for what manifests do not declare: the unit's
nodes (``k8s:core/Node/*``, any node its pods run on) and the Secrets of
``kube-system`` (``k8s:core/Secret/kube-system/*``). ``runs_as`` edges get
``token``: whether the pod holds a token the API server accepts.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from . import WORKLOAD_KINDS
from ...model import Location, Resource
from .escapes import escapes
from .objects import UnitContext, add_implicit, at_line, items, mapping, name_of, namespace_of
from .roles import builtin_cluster_role

RBAC = "rbac.authorization.k8s.io"
NODE = "k8s:core/Node/*"
KUBE_SYSTEM_SECRETS = "k8s:core/Secret/kube-system/*"
CLUSTER_ADMIN = f"k8s:{RBAC}/ClusterRole/cluster-admin"
# Where a pod spec is written: the kinds whose create / patch gives a pod of one's choosing.
CONTROLLERS = (("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "daemonsets"),
               ("apps", "statefulsets"), ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"))
WRITE = ("create", "update", "patch")
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
# Resources a technique acts on: a grant on none of them (`view`, a ConfigMap writer) gives no technique.
TECHNIQUE_RESOURCES = frozenset({r for _, r in CONTROLLERS} | {
    "pods/exec", "pods/attach", "secrets", "serviceaccounts", "serviceaccounts/token", "clusterrolebindings",
    "rolebindings", "clusterroles", "groups"})
# Annotations that give an account an identity outside the cluster (workload identity): worth stealing.
IDENTITY_ANNOTATIONS = ("eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account",
                        "azure.workload.identity/client-id")


def link(ctx: UnitContext) -> None:
    """Add the technique edges of one deployment unit (see the module docstring)."""
    workloads = list(ctx.of_type(*sorted(WORKLOAD_KINDS)))
    tokens = {w.address: _token(ctx, w) for w in workloads}
    for w in workloads:
        found = escapes(w)
        if found:
            node = _pseudo(ctx, NODE, "Node", w, found[0][1])
            ctx.add_edge(w.address, node, "escapes_to", path=found[0][1],
                         technique=", ".join(t for t, _ in found))
    accounts = list(ctx.of_type("ServiceAccount"))
    _token_secrets(ctx)
    _Rbac(ctx, workloads, tokens, accounts).link()
    found_node = ctx.find(NODE)
    if found_node is None:
        return
    for w in workloads:
        account = ctx.fact(w.address, "$service_account")
        if w.type == "DaemonSet" and tokens.get(w.address) and isinstance(account, str) and _every_node(w):
            ctx.add_edge(found_node, account, "steals_token", technique="VOLUME_ACCESS, TOKEN_STEAL", via=w.address)


def _token_secrets(ctx: UnitContext) -> None:
    """TOKEN_STEAL: a legacy token Secret holds its account's token, so whoever mounts or reads it holds the account."""
    for secret in ctx.of_type("Secret"):
        if secret.attributes.get("type") != "kubernetes.io/service-account-token":
            continue
        annotations = mapping(mapping(secret.attributes.get("metadata")).get("annotations"))
        name = annotations.get("kubernetes.io/service-account.name")
        account = ctx.find(f"k8s:core/ServiceAccount/{namespace_of(secret)}/{name}") if isinstance(name, str) else None
        if account:
            ctx.add_edge(secret.address, account, "steals_token", technique="TOKEN_STEAL",
                         path="metadata.annotations")


def _token(ctx: UnitContext, w: Resource) -> bool:
    """Whether ``w``'s pods hold an API token (automounted, or a projected one for the API server); set on ``runs_as``."""
    pod = mapping(w.attributes.get("$pod"))
    token = ctx.fact(w.address, "$automount_service_account_token") is True or any(
        isinstance(src, dict) and isinstance(src.get("serviceAccountToken"), dict)
        and not src["serviceAccountToken"].get("audience")
        for v in items(pod.get("volumes")) for src in items(mapping(mapping(v).get("projected")).get("sources")))
    account = ctx.fact(w.address, "$service_account")
    if isinstance(account, str) and ctx.graph.has_edge(w.address, account, "runs_as"):
        ctx.graph.edges[w.address, account, "runs_as"]["token"] = token
    return token


def _every_node(w: Resource) -> bool:
    """A DaemonSet with no node selector or required node affinity: it has a pod on every node."""
    pod = mapping(w.attributes.get("$pod"))
    affinity = mapping(mapping(pod.get("affinity")).get("nodeAffinity"))
    return not pod.get("nodeSelector") and not affinity.get("requiredDuringSchedulingIgnoredDuringExecution")


def _pseudo(ctx: UnitContext, plain: str, kind: str, near: Resource, path: str) -> str:
    """The unit's pseudo-node at ``plain`` (made on first use, located where ``near`` first needs it)."""
    found = ctx.find(plain)
    if found:
        return found
    if kind == "ClusterRole":
        manifest = builtin_cluster_role("cluster-admin")
        manifest["$rules"] = manifest["rules"]
    else:
        name = plain.rsplit("/", 1)[-1]
        metadata: dict[str, Any] = {"name": name}
        if kind == "Secret":
            metadata["namespace"] = "kube-system"
        manifest = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    location: Location = at_line(near, path)
    return add_implicit(ctx, plain, kind, manifest, location).address


class _Rbac:
    """The RBAC techniques of every ServiceAccount of a unit, from its resolved ``$permissions``."""

    def __init__(self, ctx: UnitContext, workloads: list[Resource], tokens: dict[str, bool],
                 accounts: list[Resource]) -> None:
        self.ctx, self.workloads, self.tokens, self.accounts = ctx, workloads, tokens, accounts
        self.enforced = {name_of(n): str(mapping(mapping(n.attributes.get("metadata")).get("labels"))
                                          .get(PSA_ENFORCE, "privileged")).lower()
                         for n in ctx.of_type("Namespace")}
        self.token_secrets = [s for s in ctx.of_type("Secret")
                              if s.attributes.get("type") == "kubernetes.io/service-account-token"]
        # decided before any technique edge exists, so the order accounts are visited in does not matter
        succ = ctx.graph.succ
        self.permissions = {a.address: [p for p in items(ctx.fact(a.address, "$permissions"))
                                        if isinstance(p, dict) and _relevant(p)] for a in accounts}
        self.worth_accounts = {a.address for a in accounts if self.permissions[a.address] or _identity(a)
                               or any("bound_to" not in k for k in succ[a.address].values())}
        self.worth = {w.address for w in workloads if any("escapes_to" in k for k in succ[w.address].values())
                      or (tokens.get(w.address) and ctx.fact(w.address, "$service_account") in self.worth_accounts)}
        self.worth_by_namespace: dict[Optional[str], list[Resource]] = {}
        for w in workloads:
            if w.address in self.worth:
                self.worth_by_namespace.setdefault(namespace_of(w), []).append(w)

    def link(self) -> None:
        for account in self.accounts:
            if self.permissions[account.address]:
                self._account(account, self.permissions[account.address])

    def _account(self, sa: Resource, perms: list[dict[str, Any]]) -> None:
        for ns, targets in self.worth_by_namespace.items():   # a grant is decided once per namespace
            execs = _grants(perms, "", "pods/exec", ("create", "get"), ns) or \
                _grants(perms, "", "pods/attach", ("create", "get"), ns)
            pods = _grants(perms, "", "pods", ("patch", "update"), ns)
            for w in targets:
                if self.ctx.fact(w.address, "$service_account") == sa.address:
                    continue
                if execs:
                    self.ctx.add_edge(sa.address, w.address, "execs_into", **_data("POD_EXEC, POD_ATTACH", execs))
                hit = pods or self._controller(perms, w, ("patch", "update"))
                if hit:
                    self.ctx.add_edge(sa.address, w.address, "patches", **_data("POD_PATCH", hit))
        for namespace, hit in self._pod_creation(perms):
            node = _pseudo(self.ctx, NODE, "Node", sa, "$permissions")
            self.ctx.add_edge(sa.address, node, "creates_pods", **_data("POD_CREATE", hit, namespace))
            break
        for other in self.accounts:
            if other.address == sa.address or other.address not in self.worth_accounts:
                continue
            ns = namespace_of(other)
            hit = next((h for _, h in self._pod_creation(perms, ns, privileged=False)), None)
            if hit:
                self.ctx.add_edge(sa.address, other.address, "creates_pods", **_data("POD_CREATE", hit))
            elif hit := _grants(perms, "", "serviceaccounts", ("impersonate",), ns, name_of(other)):
                self.ctx.add_edge(sa.address, other.address, "impersonates", **_data("IDENTITY_IMPERSONATE", hit))
            elif hit := _grants(perms, "", "serviceaccounts/token", ("create",), ns, name_of(other)):
                self.ctx.add_edge(sa.address, other.address, "steals_token", **_data("TOKEN_REQUEST", hit))
            else:
                self._token_secret(sa, other, perms)
        self._cluster(sa, perms)

    def _cluster(self, sa: Resource, perms: list[dict[str, Any]]) -> None:
        """Techniques whose target is a sink: cluster-admin by binding or impersonation, kube-system's Secrets."""
        bind = _grants(perms, RBAC, "clusterrolebindings", WRITE, None) and (
            _grants(perms, RBAC, "clusterroles", ("bind",), None, "cluster-admin"))
        escalate = _grants(perms, RBAC, "clusterroles", ("escalate",), None) and \
            _grants(perms, RBAC, "clusterroles", ("update", "patch"), None)
        admin_already = self.ctx.find(CLUSTER_ADMIN)
        if admin_already and self.ctx.graph.has_edge(sa.address, admin_already, "bound_to") and \
                self.ctx.graph.edges[sa.address, admin_already, "bound_to"].get("namespace") == "*":
            bind = escalate = groups = None  # already cluster-admin: nothing to escalate to
        else:
            groups = _grants(perms, "", "groups", ("impersonate",), None, "system:masters")
        grant = bind or escalate
        if grant:
            admin = _pseudo(self.ctx, CLUSTER_ADMIN, "ClusterRole", sa, "$permissions")
            self.ctx.add_edge(sa.address, admin, "binds_role", **_data("ROLE_BIND", grant))
        if groups:
            admin = _pseudo(self.ctx, CLUSTER_ADMIN, "ClusterRole", sa, "$permissions")
            self.ctx.add_edge(sa.address, admin, "impersonates", **_data("IDENTITY_IMPERSONATE", groups))
        read = _grants(perms, "", "secrets", ("list", "watch"), "kube-system")
        # a RoleBinding's roleRef is authorised in the binding's namespace: `bind` there (or cluster-wide)
        local_bind = _grants(perms, RBAC, "rolebindings", WRITE, "kube-system") and \
            _grants(perms, RBAC, "clusterroles", ("bind",), "kube-system", "admin")
        if read or local_bind:
            secrets = _pseudo(self.ctx, KUBE_SYSTEM_SECRETS, "Secret", sa, "$permissions")
            if read:
                self.ctx.add_edge(sa.address, secrets, "reads_secrets", **_data("TOKEN_LIST", read, "kube-system"))
            elif local_bind:
                self.ctx.add_edge(sa.address, secrets, "binds_role", **_data("ROLE_BIND", local_bind, "kube-system"))

    def _token_secret(self, sa: Resource, other: Resource, perms: list[dict[str, Any]]) -> None:
        """TOKEN_LIST / TOKEN_BRUTEFORCE: a declared legacy token Secret of ``other`` that ``sa`` may read."""
        for secret in self.token_secrets:
            annotations = mapping(mapping(secret.attributes.get("metadata")).get("annotations"))
            if namespace_of(secret) != namespace_of(other) or \
                    annotations.get("kubernetes.io/service-account.name") != name_of(other):
                continue
            listed = _grants(perms, "", "secrets", ("list", "watch"), namespace_of(secret))
            hit = listed or _grants(perms, "", "secrets", ("get",), namespace_of(secret), name_of(secret))
            if hit:
                technique = "TOKEN_LIST" if listed else "TOKEN_BRUTEFORCE"
                self.ctx.add_edge(sa.address, other.address, "steals_token", **_data(technique, hit),
                                  secret=secret.address)
                return

    def _pod_creation(self, perms: list[dict[str, Any]], namespace: Optional[str] = None,
                      privileged: bool = True) -> Iterable[tuple[str, dict[str, Any]]]:
        """(namespace, grant) where ``perms`` may create a pod (directly or through a controller).

        With ``privileged``, only namespaces whose Pod Security admission lets a privileged pod in
        (a declared Namespace enforcing ``baseline`` or ``restricted`` does not; an undeclared one
        has the Kubernetes default, ``privileged``).
        """
        names = [namespace] if namespace else sorted({str(p.get("namespace")) for p in perms})
        for ns in names:
            if privileged and ns != "*" and self.enforced.get(ns, "privileged") != "privileged":
                continue
            for group, resource in CONTROLLERS:
                hit = _grants(perms, group, resource, ("create",), None if ns == "*" else ns)
                if hit:
                    yield ns, hit
                    break

    def _controller(self, perms: list[dict[str, Any]], w: Resource, verbs: tuple[str, ...]) -> Optional[dict[str, Any]]:
        group = {"Deployment": "apps", "DaemonSet": "apps", "StatefulSet": "apps", "ReplicaSet": "apps",
                 "Job": "batch", "CronJob": "batch", "ReplicationController": ""}.get(w.type)
        if group is None:
            return None
        resource = w.type.lower() + "s"
        return _grants(perms, group, resource, verbs, namespace_of(w), name_of(w))


def _grants(perms: list[dict[str, Any]], group: str, resource: str, verbs: Iterable[str],
            namespace: Optional[str], name: Optional[str] = None) -> Optional[dict[str, Any]]:
    """The first permission entry allowing one of ``verbs`` on ``resource`` in ``namespace`` (None: cluster-wide).

    Matching follows the API server: ``*`` matches any group, resource or verb, and ``*/sub``
    any resource's subresource; an entry with ``resourceNames`` allows only those names.
    """
    sub = resource.split("/", 1)[1] if "/" in resource else None
    for p in perms:
        scope = p.get("namespace")
        if scope != "*" and (namespace is None or scope != namespace):
            continue
        groups, resources, allowed = p.get("apiGroups") or [], p.get("resources") or [], p.get("verbs") or []
        if not ("*" in groups or group in groups):
            continue
        if not ("*" in resources or resource in resources or (sub and f"*/{sub}" in resources)):
            continue
        if not ("*" in allowed or any(v in allowed for v in verbs)):
            continue
        names = p.get("resourceNames")
        if names and (name is None or name not in names):
            continue
        return p
    return None


def _relevant(p: dict[str, Any]) -> bool:
    """Whether a permission entry can take part in a technique (most grants, such as `view`'s, cannot)."""
    resources = set(p.get("resources") or [])
    verbs = set(p.get("verbs") or [])
    if "*" in resources or any(r.startswith("*/") for r in resources):
        return True
    if resources & {"secrets", "pods/exec", "pods/attach"}:
        return True
    return bool(resources & TECHNIQUE_RESOURCES) and not verbs <= {"get", "list", "watch"}


def _identity(account: Resource) -> bool:
    annotations = mapping(mapping(account.attributes.get("metadata")).get("annotations"))
    return any(annotations.get(a) for a in IDENTITY_ANNOTATIONS)


def _data(technique: str, grant: dict[str, Any], namespace: Optional[str] = None) -> dict[str, Any]:
    data = {"technique": technique, "role": grant.get("role"), "via": grant.get("binding"),
            "path": "$permissions"}
    if namespace:
        data["namespace"] = namespace
    return data
