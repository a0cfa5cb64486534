"""The built-in user-facing ClusterRoles (cluster-admin, admin, edit, view) as the API server bootstraps them.

Rules transcribed from Kubernetes' bootstrap policy (the ``system:aggregate-to-*``
roles that the aggregated ``admin``, ``edit`` and ``view`` roles collect).
Each built-in keeps its ``aggregationRule`` and labels, so aggregation in
:mod:`scanner.formats.kubernetes.rbac` gives ``edit`` the rules of ``view`` and ``admin``
those of ``edit``, exactly as the cluster's aggregation controller does.
"""

from __future__ import annotations

from typing import Any

_RW = ("create", "delete", "deletecollection", "patch", "update")
_RO = ("get", "list", "watch")

# name -> (rules as (apiGroups, resources, verbs), labels, aggregate-from label or "")
_BUILTIN: dict[str, tuple[tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...],
                          dict[str, str], str]] = {
    "cluster-admin": (((("*",), ("*",), ("*",)),), {}, ""),
    "admin": ((
        (("authorization.k8s.io",), ("localsubjectaccessreviews",), ("create",)),
        (("rbac.authorization.k8s.io",), ("rolebindings", "roles"), _RW + _RO),
    ), {}, "admin"),
    "edit": ((
        (("",), ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                 "services/proxy"), _RO),
        (("",), ("serviceaccounts",), ("impersonate",)),
        (("",), ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"), _RW),
        (("",), ("pods/eviction",), ("create",)),
        (("",), ("configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                 "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                 "services/proxy"), _RW),
        (("",), ("serviceaccounts/token",), ("create",)),
        (("apps",), ("daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                     "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"), _RW),
        (("autoscaling",), ("horizontalpodautoscalers",), _RW),
        (("batch",), ("cronjobs", "jobs"), _RW),
        (("extensions",), ("daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                           "ingresses", "networkpolicies", "replicasets", "replicasets/scale",
                           "replicationcontrollers/scale"), _RW),
        (("policy",), ("poddisruptionbudgets",), _RW),
        (("networking.k8s.io",), ("ingresses", "networkpolicies"), _RW),
        (("coordination.k8s.io",), ("leases",), _RW + _RO),
    ), {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}, "edit"),
    "view": ((
        (("",), ("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                 "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
                 "services", "services/status"), _RO),
        (("",), ("bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                 "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"), _RO),
        (("",), ("namespaces",), _RO),
        (("discovery.k8s.io",), ("endpointslices",), _RO),
        (("apps",), ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                     "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                     "replicasets/status", "statefulsets", "statefulsets/scale",
                     "statefulsets/status"), _RO),
        (("autoscaling",), ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), _RO),
        (("batch",), ("cronjobs", "cronjobs/status", "jobs", "jobs/status"), _RO),
        (("extensions",), ("daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                           "deployments/status", "ingresses", "ingresses/status", "networkpolicies",
                           "replicasets", "replicasets/scale", "replicasets/status",
                           "replicationcontrollers/scale"), _RO),
        (("policy",), ("poddisruptionbudgets", "poddisruptionbudgets/status"), _RO),
        (("networking.k8s.io",), ("ingresses", "ingresses/status", "networkpolicies"), _RO),
    ), {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}, "view"),
}
BUILTIN_CLUSTER_ROLES = frozenset(_BUILTIN)


def builtin_cluster_role(name: str) -> dict[str, Any]:
    """The manifest of a built-in ClusterRole, as ``kubectl get clusterrole <name> -o yaml`` shows it."""
    rules, labels, aggregate = _BUILTIN[name]
    out: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", **labels}},
        "rules": [{"apiGroups": list(g), "resources": list(r), "verbs": list(v)} for g, r, v in rules],
    }
    if name == "cluster-admin":
        out["rules"].append({"nonResourceURLs": ["*"], "verbs": ["*"]})
    if aggregate:
        label = f"rbac.authorization.k8s.io/aggregate-to-{aggregate}"
        out["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {label: "true"}}]}
    return out
