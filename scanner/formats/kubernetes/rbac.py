"""RBAC in the graph: bindings to roles and subjects, built-in ClusterRoles, aggregation, effective `$permissions`.

This is the graph stage's enrichment step for Kubernetes: it runs at the end
of the Kubernetes linker, once every ServiceAccount node exists (declared or
implicit), and writes derived attributes that policies test like any other:

- ServiceAccount: ``$permissions`` (the union of the rules of every role bound
  to it, one entry per rule with ``namespace`` ``"*"`` for cluster-wide) and
  ``$unresolved_roles`` (bound roles whose rules are not in the scanned files);
- Role / ClusterRole: ``$rules`` (its rules, a ClusterRole's aggregated ones included);
- workload: ``$permissions`` (its account's) and
  ``$automount_service_account_token`` (pod setting, else the account's, else true).
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ...model import ANYONE, Resource
from .objects import (
    UnitContext,
    add_implicit,
    at_line,
    items,
    mapping,
    matches_selector,
    name_of,
    namespace_of,
    plain_address,
    text,
)
from .roles import BUILTIN_CLUSTER_ROLES, builtin_cluster_role

RBAC = "rbac.authorization.k8s.io"
ALL_ACCOUNTS = frozenset({"system:serviceaccounts", "system:authenticated"})
ANONYMOUS = frozenset({("Group", "system:unauthenticated"), ("User", "system:anonymous")})


class _Grant:
    __slots__ = ("account", "role", "binding", "namespace", "everyone")

    def __init__(self, account: str, role: str, binding: str, namespace: str, everyone: bool = False) -> None:
        self.account, self.role, self.binding, self.namespace = account, role, binding, namespace
        self.everyone = everyone  # granted to a group of every identity (system:authenticated), not to it


def link(ctx: UnitContext) -> None:
    grants: list[_Grant] = []
    bindings = list(ctx.of_type("RoleBinding", "ClusterRoleBinding"))
    for binding in bindings:  # every named account exists before groups are expanded
        for i, subject in enumerate(items(binding.attributes.get("subjects"))):
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount":
                _subject_accounts(ctx, binding, subject, f"subjects.{i}")
    for binding in bindings:
        _binding(ctx, binding, grants)
    rules = _RoleRules(ctx)
    by_account: dict[str, list[_Grant]] = {}
    for g in grants:
        by_account.setdefault(g.account, []).append(g)
    for account in list(ctx.of_type("ServiceAccount")):
        _permissions(ctx, account, by_account.get(account.address, []), rules)
    for role in ctx.of_type("Role", "ClusterRole"):  # what each role grants, aggregation resolved
        ctx.derive(role.address, {"$rules": rules.of(role.address) or []})
    _workloads(ctx)


def role_address(ref: Any, namespace: Optional[str]) -> Optional[str]:
    """The address a ``roleRef`` names (Role in the binding's namespace, or ClusterRole)."""
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not ref["name"]:
        return None
    if ref.get("kind") == "ClusterRole":
        return f"k8s:{RBAC}/ClusterRole/{ref['name']}"
    if ref.get("kind") == "Role" and namespace:
        return f"k8s:{RBAC}/Role/{namespace}/{ref['name']}"
    return None


def _binding(ctx: UnitContext, binding: Resource, grants: list[_Grant]) -> None:
    ns = namespace_of(binding)
    ref = mapping(binding.attributes.get("roleRef"))
    plain = role_address(ref, ns)
    if plain is None:
        return
    node = ctx.find(plain)
    if node is None and ref.get("kind") == "ClusterRole" and ref["name"] in BUILTIN_CLUSTER_ROLES:
        node = add_implicit(ctx, plain, "ClusterRole", builtin_cluster_role(ref["name"]),
                            at_line(binding, "roleRef")).address
    # a role this unit does not hold has no node here (another unit's of that name is not it):
    # no edge, and `$unresolved_roles` names it
    role = node or plain
    if node:
        ctx.add_edge(binding.address, role, "binds", path="roleRef")
    scope = ns if binding.type == "RoleBinding" and ns else "*"
    for i, subject in enumerate(items(binding.attributes.get("subjects"))):
        if not isinstance(subject, dict):
            continue
        kind, name = str(subject.get("kind")), str(subject.get("name") or "")
        if (kind, name) in ANONYMOUS:
            if node:
                ctx.add_edge(ANYONE, role, "bound_to", via=binding.address)
            continue
        for account in _subject_accounts(ctx, binding, subject, f"subjects.{i}"):
            ctx.add_edge(binding.address, account, "binds", path=f"subjects.{i}")
            if node:
                ctx.add_edge(account, role, "bound_to", via=binding.address, namespace=scope)
            grants.append(_Grant(account, role, binding.address, scope,
                                 everyone=kind == "Group" and name in ALL_ACCOUNTS))


def _subject_accounts(ctx: UnitContext, binding: Resource, subject: dict[str, Any],
                      path: str) -> Iterable[str]:
    """The ServiceAccount nodes a subject means: one account, or every account of a group."""
    kind, name = subject.get("kind"), text(subject.get("name"))
    if name is None:  # not a name (an unknown value): no account is guessed
        return []
    if kind == "ServiceAccount" and name:
        ns = text(subject.get("namespace") or namespace_of(binding) or "default")
        if ns is None:
            return []
        plain = f"k8s:core/ServiceAccount/{ns}/{name}"
        address = ctx.find(plain) or _applied_with_namespace(ctx, name) or add_implicit(
            ctx, plain, "ServiceAccount", {"apiVersion": "v1", "kind": "ServiceAccount",
                                           "metadata": {"name": name, "namespace": ns}},
            at_line(binding, path)).address
        return [address]
    if kind != "Group":
        return []
    if name in ALL_ACCOUNTS:
        return [a.address for a in ctx.of_type("ServiceAccount")]
    if name.startswith("system:serviceaccounts:"):
        ns = name.split(":", 2)[2]
        return [a.address for a in ctx.of_type("ServiceAccount") if namespace_of(a) == ns]
    return []


def _applied_with_namespace(ctx: UnitContext, name: str) -> Optional[str]:
    """A ServiceAccount declared without a namespace: the bundle is applied with ``-n``, into the subject's."""
    address = ctx.find(f"k8s:core/ServiceAccount/default/{name}")
    node = ctx.nodes.get(address) if address else None
    resource = node.get("resource") if node else None
    if resource is None or resource.source != "kubernetes":
        return None
    metadata = resource.attributes.get("metadata")
    return address if isinstance(metadata, dict) and not metadata.get("namespace") else None


class _RoleRules:
    """Each role's rules, ClusterRole aggregation resolved over declared and built-in ClusterRoles."""

    def __init__(self, ctx: UnitContext) -> None:
        self.ctx = ctx
        self.cluster_roles: dict[str, dict[str, Any]] = {
            name: builtin_cluster_role(name) for name in BUILTIN_CLUSTER_ROLES}
        for r in ctx.of_type("ClusterRole"):
            if r.source != "kubernetes.implicit":
                self.cluster_roles[name_of(r)] = dict(r.attributes)
        self.cache: dict[str, list[dict[str, Any]]] = {}

    def of(self, address: str) -> Optional[list[dict[str, Any]]]:
        """The rules of the role at ``address``; None when its rules are not in the scanned files."""
        node = self.ctx.nodes.get(address)
        resource = node.get("resource") if node else None
        if resource is not None and resource.attributes.get("$unit") != self.ctx.unit:
            resource = None  # another deployment unit's role of the same name
        if (plain_address(resource) if resource is not None else address).startswith(f"k8s:{RBAC}/ClusterRole/"):
            name = name_of(resource) if resource is not None else address.rsplit("/", 1)[-1]
            return self._cluster(name, set()) if name in self.cluster_roles else None
        return _rules(resource.attributes) if resource is not None else None

    def _cluster(self, name: str, visiting: set[str]) -> list[dict[str, Any]]:
        if name in self.cache:
            return self.cache[name]
        visiting.add(name)
        manifest = self.cluster_roles[name]
        rules = list(_rules(manifest))
        aggregation = manifest.get("aggregationRule")
        selectors = aggregation.get("clusterRoleSelectors") if isinstance(aggregation, dict) else None
        for selector in selectors if isinstance(selectors, list) else []:
            if not isinstance(selector, dict):
                continue  # an empty or malformed selector aggregates nothing
            for other, other_manifest in self.cluster_roles.items():
                if other in visiting:
                    continue
                labels = mapping(other_manifest.get("metadata")).get("labels")
                if isinstance(labels, dict) and matches_selector(selector, labels):
                    for rule in self._cluster(other, visiting):
                        if rule not in rules:
                            rules.append(rule)
        visiting.discard(name)
        self.cache[name] = rules
        return rules


def _rules(attributes: Any) -> list[dict[str, Any]]:
    rules = attributes.get("rules") if isinstance(attributes, dict) else None
    return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []


def _permissions(ctx: UnitContext, account: Resource, grants: list[_Grant], rules: _RoleRules) -> None:
    permissions: list[dict[str, Any]] = []
    seen: set[str] = set()
    unresolved: list[str] = []
    for g in grants:
        found = rules.of(g.role)
        if found is None:
            if g.role not in unresolved:
                unresolved.append(g.role)
            continue
        for rule in found:
            entry: dict[str, Any] = {
                "apiGroups": _strings(rule.get("apiGroups")), "resources": _strings(rule.get("resources")),
                "verbs": _strings(rule.get("verbs"))}
            for optional in ("resourceNames", "nonResourceURLs"):
                if rule.get(optional) is not None:
                    entry[optional] = _strings(rule[optional])
            entry.update(namespace=g.namespace, role=g.role, binding=g.binding)
            if g.everyone:
                entry["everyone"] = True
            key = repr(sorted(entry.items()))
            if key not in seen:
                seen.add(key)
                permissions.append(entry)
    ctx.derive(account.address, {"$permissions": permissions, "$unresolved_roles": unresolved})


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(x) for x in value]
    return [str(value)] if isinstance(value, str) else []


def _workloads(ctx: UnitContext) -> None:
    """Copy each workload's account permissions, and decide whether its pods get a token."""
    for account_address, workloads in _runs_as(ctx).items():
        account = ctx.nodes[account_address]["resource"]
        sa_setting = account.attributes.get("automountServiceAccountToken")
        for w in workloads:
            pod = mapping(w.attributes.get("$pod"))
            setting = pod.get("automountServiceAccountToken")
            if isinstance(setting, bool):
                value, line = setting, w.line_of("$pod.automountServiceAccountToken")
            elif isinstance(sa_setting, bool):
                value, line = sa_setting, ctx.line_of(w, "$service_account")
            else:
                value, line = True, w.line_of("$pod")
            ctx.derive(w.address, {"$permissions": ctx.fact(account_address, "$permissions", []),
                                   "$automount_service_account_token": value},
                       {"$automount_service_account_token": line})


def _runs_as(ctx: UnitContext) -> dict[str, list[Resource]]:
    """The workloads that run as each ServiceAccount (its ``runs_as`` predecessors)."""
    out: dict[str, list[Resource]] = {}
    pred = ctx.graph.pred
    for account in ctx.of_type("ServiceAccount"):
        if not plain_address(account).startswith("k8s:core/ServiceAccount/") or account.address not in pred:
            continue
        for source, kinds in pred[account.address].items():
            resource = ctx.nodes[source].get("resource") if "runs_as" in kinds else None
            if resource is not None:
                out.setdefault(account.address, []).append(resource)
    return out
