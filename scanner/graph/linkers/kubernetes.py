"""Kubernetes relations: exposure, Service selection, service accounts, RBAC bindings, mounted secrets."""

from __future__ import annotations

from typing import Any, Optional

from ...model import INTERNET, Resource
from ...parsers.kubernetes import WORKLOAD_KINDS
from .. import LinkContext

INTERNAL_LB_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-internal",
    "networking.gke.io/load-balancer-type",
    "cloud.google.com/load-balancer-type",
    "service.beta.kubernetes.io/azure-load-balancer-internal",
)


def link(ctx: LinkContext) -> None:
    workloads = [r for r in ctx.resources if r.type in WORKLOAD_KINDS and r.source == "kubernetes"]
    accounts = {(_ns(r), _name(r)): r.address for r in ctx.of_type("ServiceAccount")}
    services = {(_ns(r), _name(r)): r.address for r in ctx.of_type("Service")}
    by_namespace: dict[str, list[Resource]] = {}  # a Service selects only in its namespace
    for w in workloads:
        by_namespace.setdefault(_ns(w), []).append(w)
    for svc in ctx.of_type("Service"):
        _service(ctx, svc, by_namespace.get(_ns(svc), []))
    for ing in ctx.of_type("Ingress"):
        ctx.add_edge(INTERNET, ing.address, "exposes", path="spec")
        for backend in _ingress_backends(ing.attributes.get("spec") or {}):
            target = services.get((_ns(ing), backend))
            if target:
                ctx.add_edge(ing.address, target, "routes_to")
    for w in workloads:
        pod = w.attributes.get("$pod") or {}
        account = pod.get("serviceAccountName") or pod.get("serviceAccount") or "default"
        target = accounts.get((_ns(w), str(account)))
        if target:
            ctx.add_edge(w.address, target, "runs_as", path="$pod.serviceAccountName")
        _mounts(ctx, w, pod)
    for binding in ctx.of_type("RoleBinding", "ClusterRoleBinding"):
        _binding(ctx, binding, accounts)


def _ns(r: Resource) -> str:
    meta = r.attributes.get("metadata") or {}
    return str(meta.get("namespace") or "default")


def _name(r: Resource) -> str:
    return str((r.attributes.get("metadata") or {}).get("name"))


def _labels(w: Resource) -> dict[str, Any]:
    if w.type == "Pod":
        return (w.attributes.get("metadata") or {}).get("labels") or {}
    spec = w.attributes.get("spec") or {}
    template = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}
    return (template.get("metadata") or {}).get("labels") or {}


def _service(ctx: LinkContext, svc: Resource, workloads: list[Resource]) -> None:
    spec = svc.attributes.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    annotations = (svc.attributes.get("metadata") or {}).get("annotations") or {}
    internal = any(str(annotations.get(a, "")).lower() in ("true", "internal", "0.0.0.0/0")
                   for a in INTERNAL_LB_ANNOTATIONS)
    if stype == "NodePort" or (stype == "LoadBalancer" and not internal):
        ctx.add_edge(INTERNET, svc.address, "exposes", path="spec.type")
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return
    for w in workloads:
        if _ns(w) != _ns(svc):
            continue
        labels = _labels(w)
        if all(labels.get(k) == v for k, v in selector.items()):
            ctx.add_edge(svc.address, w.address, "selects", path="spec.selector")


def _ingress_backends(spec: dict[str, Any]) -> list[str]:
    names: list[str] = []

    def backend(b: Any) -> None:
        if isinstance(b, dict):
            service = b.get("service")
            if isinstance(service, dict) and service.get("name"):
                names.append(str(service["name"]))
            elif b.get("serviceName"):
                names.append(str(b["serviceName"]))

    backend(spec.get("defaultBackend") or spec.get("backend"))
    for rule in spec.get("rules") or []:
        for p in ((rule or {}).get("http") or {}).get("paths") or []:
            backend((p or {}).get("backend"))
    return names


def _mounts(ctx: LinkContext, w: Resource, pod: dict[str, Any]) -> None:
    ns = _ns(w)
    names: set[tuple[str, str]] = set()
    for v in pod.get("volumes") or []:
        if isinstance(v, dict):
            if isinstance(v.get("secret"), dict) and v["secret"].get("secretName"):
                names.add(("Secret", str(v["secret"]["secretName"])))
            if isinstance(v.get("configMap"), dict) and v["configMap"].get("name"):
                names.add(("ConfigMap", str(v["configMap"]["name"])))
    for c in w.attributes.get("$containers") or []:
        for e in c.get("env") or []:
            ref = ((e or {}).get("valueFrom") or {}).get("secretKeyRef") if isinstance(e, dict) else None
            if isinstance(ref, dict) and ref.get("name"):
                names.add(("Secret", str(ref["name"])))
        for e in c.get("envFrom") or []:
            if isinstance(e, dict) and isinstance(e.get("secretRef"), dict):
                names.add(("Secret", str(e["secretRef"].get("name"))))
            if isinstance(e, dict) and isinstance(e.get("configMapRef"), dict):
                names.add(("ConfigMap", str(e["configMapRef"].get("name"))))
    for kind, name in sorted(names):
        ctx.add_edge(w.address, f"k8s:core/{kind}/{ns}/{name}", "mounts")


def _binding(ctx: LinkContext, binding: Resource, accounts: dict[tuple[str, str], str]) -> None:
    ref = binding.attributes.get("roleRef") or {}
    role: Optional[str] = None
    if ref.get("kind") == "ClusterRole":
        role = f"k8s:rbac.authorization.k8s.io/ClusterRole/{ref.get('name')}"
    elif ref.get("kind") == "Role":
        role = f"k8s:rbac.authorization.k8s.io/Role/{_ns(binding)}/{ref.get('name')}"
    if role:
        ctx.add_edge(binding.address, role, "binds", path="roleRef")
    for i, subject in enumerate(binding.attributes.get("subjects") or []):
        if not isinstance(subject, dict) or subject.get("kind") != "ServiceAccount":
            continue
        ns = str(subject.get("namespace") or _ns(binding))
        account = accounts.get((ns, str(subject.get("name"))))
        if account:
            ctx.add_edge(binding.address, account, "binds", path=f"subjects.{i}")
            if role:
                ctx.add_edge(account, role, "bound_to", via=binding.address)
