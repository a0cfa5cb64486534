"""Kubernetes relations: exposure, Services, Ingress and Gateway routes, NetworkPolicies, service accounts, mounts, RBAC.

Edges made here (see docs/kubernetes.md for the full table):
``internet -exposes->`` LoadBalancer / NodePort Services, Ingresses, Gateways;
``Service -selects->`` and ``NetworkPolicy -selects->`` workloads;
``Ingress / Gateway / *Route -routes_to->`` routes and Services;
``workload -runs_as->`` ServiceAccount (an implicit one when none is declared);
``workload -mounts->`` Secrets and ConfigMaps; then :func:`scanner.formats.kubernetes.rbac.link`
adds bindings and the derived ``$permissions``, and :func:`scanner.formats.kubernetes.attacks.link` the
attack techniques (escapes to the node, RBAC abuse).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ...model import INTERNET, UNKNOWN, Resource, is_unknown
from .parser import WORKLOAD_KINDS
from .kustomize import api_group
from ...graph import LinkContext
from . import attacks, rbac
from ...graph.cidr import admits_internet, is_public_cidr
from .objects import (
    PodIndex,
    UnitContext,
    add_implicit,
    at_line,
    items,
    mapping,
    name_of,
    namespace_of,
    text,
)

# Manifests, and `kubernetes_*` resources of Terraform (scanner/formats/terraform/k8s_resources.py).
KUBERNETES_SOURCES = frozenset({"kubernetes", "terraform.kubernetes"})
INTERNAL_LB_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-internal",
    "service.beta.kubernetes.io/aws-load-balancer-scheme",
    "networking.gke.io/load-balancer-type",
    "cloud.google.com/load-balancer-type",
    "service.beta.kubernetes.io/azure-load-balancer-internal",
    "service.beta.kubernetes.io/oci-load-balancer-internal",
)
INTERNAL_VALUES = frozenset({"true", "internal", "0.0.0.0/0"})
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
GATEWAY_API = "gateway.networking.k8s.io"
# Gateway classes whose gateways are not internet-facing: GKE's regional internal and cross-regional
# internal load balancers, and Istio's ambient waypoints (in-mesh proxies).
INTERNAL_GATEWAY_CLASS = re.compile(r"^(gke-l7-rilb|gke-l7-cross-regional-internal-managed)(-mc)?$|^istio-waypoint$")
INTERNAL_INGRESS_CLASSES = frozenset({"gce-internal"})
INTERNAL_INGRESS_ANNOTATIONS = {"alb.ingress.kubernetes.io/scheme": "internal",
                                "appgw.ingress.kubernetes.io/use-private-ip": "true"}


def link(ctx: LinkContext) -> None:
    """Join the objects of each deployment unit (``$unit``, scanner/formats/kubernetes/units.py), never across
    units; only what another unit's NetworkPolicy may isolate becomes unknown (``_isolation_elsewhere``)."""
    units: dict[str, list[Resource]] = {}
    for r in ctx.resources:
        if r.source in KUBERNETES_SOURCES:
            units.setdefault(str(r.attributes.get("$unit", "")), []).append(r)
    for unit, group in sorted(units.items()):
        _link_unit(UnitContext(ctx, group, unit))
    _isolation_elsewhere(ctx, units)


def _link_unit(ctx: UnitContext) -> None:
    workloads: dict[str, list[Resource]] = {}
    for r in ctx.resources:
        if r.type in WORKLOAD_KINDS:
            workloads.setdefault(namespace_of(r) or "", []).append(r)
    selecting: dict[str, list[dict[str, Any]]] = {}  # workload -> the NetworkPolicies that select it
    index = {ns: PodIndex(group) for ns, group in workloads.items()}
    empty = PodIndex([])
    for svc in list(ctx.of_type("Service")):
        _service(ctx, svc, index.get(namespace_of(svc) or "", empty))
    services = {(namespace_of(r), name_of(r)): r.address for r in ctx.of_type("Service")}
    for ing in list(ctx.of_type("Ingress")):
        if not _internal_ingress(ing):
            ctx.add_edge(INTERNET, ing.address, "exposes", path="spec")
        for backend, path in _ingress_backends(ing.attributes.get("spec")):
            target = services.get((namespace_of(ing), backend))
            if target:
                ctx.add_edge(ing.address, target, "routes_to", path=path)
    _gateways(ctx, services)
    for policy in list(ctx.of_type("NetworkPolicy")):
        _network_policy(ctx, policy, index.get(namespace_of(policy) or "", empty), selecting)
    for group in workloads.values():
        for w in group:
            _network_isolation(ctx, w, selecting.get(w.address, []))
            _service_account(ctx, w)
            _mounts(ctx, w)
    rbac.link(ctx)
    attacks.link(ctx)


def _service(ctx: LinkContext, svc: Resource, pods: PodIndex) -> None:
    spec = mapping(svc.attributes.get("spec"))
    stype = spec.get("type", "ClusterIP")
    annotations = mapping(mapping(svc.attributes.get("metadata")).get("annotations"))
    internal = any(str(annotations.get(a, "")).lower() in INTERNAL_VALUES for a in INTERNAL_LB_ANNOTATIONS)
    ranges = [str(r) for r in items(spec.get("loadBalancerSourceRanges"))]
    public = not ranges or any(admits_internet(r) for r in ranges)
    external = [str(ip) for ip in items(spec.get("externalIPs")) if is_public_cidr(str(ip))]
    if stype == "NodePort" or (stype == "LoadBalancer" and not internal and public):
        ctx.add_edge(INTERNET, svc.address, "exposes", path="spec.type",
                     cidrs=[r for r in ranges if admits_internet(r)] or ["0.0.0.0/0"])
    elif external:
        ctx.add_edge(INTERNET, svc.address, "exposes", path="spec.externalIPs", addresses=external)
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return
    for w in pods.matching_map(selector):
        ctx.add_edge(svc.address, w.address, "selects", path="spec.selector")


def _ingress_backends(spec: Any) -> Iterator[tuple[str, str]]:
    """(service name, attribute path) of every backend of an Ingress (networking/v1 and v1beta1)."""
    if not isinstance(spec, dict):
        return

    def backend(b: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(b, dict):
            service = b.get("service")
            if isinstance(service, dict) and service.get("name"):
                yield str(service["name"]), path
            elif b.get("serviceName"):
                yield str(b["serviceName"]), path

    for key in ("defaultBackend", "backend"):
        yield from backend(spec.get(key), f"spec.{key}")
    for i, rule in enumerate(items(spec.get("rules"))):
        for j, p in enumerate(items(mapping(mapping(rule).get("http")).get("paths"))):
            if isinstance(p, dict):
                yield from backend(p.get("backend"), f"spec.rules.{i}.http.paths.{j}.backend")


def _internal_ingress(ing: Resource) -> bool:
    """An Ingress served by an internal load balancer (by its class or its controller's annotation)."""
    annotations = mapping(mapping(ing.attributes.get("metadata")).get("annotations"))
    spec = mapping(ing.attributes.get("spec"))
    classes = {str(spec.get("ingressClassName")), str(annotations.get("kubernetes.io/ingress.class"))}
    return bool(classes & INTERNAL_INGRESS_CLASSES) or any(
        str(annotations.get(key, "")).lower() == value for key, value in INTERNAL_INGRESS_ANNOTATIONS.items())


def _gateways(ctx: LinkContext, services: dict[tuple[Any, str], str]) -> None:
    """Gateway API: internet -> Gateway -> its routes -> their backend Services.

    Istio's own ``networking.istio.io`` Gateway is exposed too, but routes name
    only Gateway API gateways (``parentRefs`` group defaults to it).
    """
    gateways: dict[tuple[str, Any, str], str] = {}
    for g in ctx.of_type("Gateway"):
        gateways[(api_group(g.attributes.get("apiVersion")), namespace_of(g), name_of(g))] = g.address
        cls = mapping(g.attributes.get("spec")).get("gatewayClassName")
        if not (isinstance(cls, str) and INTERNAL_GATEWAY_CLASS.match(cls)):
            ctx.add_edge(INTERNET, g.address, "exposes", path="spec.listeners")
    grants = _reference_grants(ctx)
    for route in list(ctx.of_type(*ROUTE_KINDS)):
        spec = route.attributes.get("spec")
        if not isinstance(spec, dict):
            continue
        ns = namespace_of(route)
        for i, parent in enumerate(items(spec.get("parentRefs"))):
            if isinstance(parent, dict) and parent.get("kind", "Gateway") == "Gateway":
                gw = gateways.get((str(parent.get("group") or GATEWAY_API),
                                   str(parent.get("namespace") or ns), str(parent.get("name"))))
                if gw:
                    ctx.add_edge(gw, route.address, "routes_to", path=f"spec.parentRefs.{i}")
        for i, rule in enumerate(items(spec.get("rules"))):
            for j, ref in enumerate(items(mapping(rule).get("backendRefs"))):
                if not isinstance(ref, dict) or ref.get("kind", "Service") != "Service" \
                        or ref.get("group", "") not in ("", "core"):
                    continue
                weight = ref.get("weight")
                if isinstance(weight, int) and not isinstance(weight, bool) and weight == 0:
                    continue  # weight 0: the backend gets none of the route's traffic
                there = ref.get("namespace") or ns
                target = services.get((str(there), str(ref.get("name"))))
                if target and (there == ns or ns is None or _granted(grants, route, ns, str(there),
                                                                       str(ref.get("name")))):
                    ctx.add_edge(route.address, target, "routes_to",
                                 path=f"spec.rules.{i}.backendRefs.{j}")


def _reference_grants(ctx: LinkContext) -> dict[str, list[Any]]:
    """Each namespace's ReferenceGrants' ``spec`` (a route may name a Service of another namespace only
    when a grant in the Service's namespace allows it)."""
    grants: dict[str, list[Any]] = {}
    for grant in ctx.of_type("ReferenceGrant"):
        ns = namespace_of(grant)
        if ns is not None:
            grants.setdefault(ns, []).append(grant.attributes.get("spec"))
    return grants


def _granted(grants: dict[str, list[Any]], route: Resource, ns: str, there: str, service: str) -> bool:
    """Whether a ReferenceGrant in namespace ``there`` lets ``route`` (in ``ns``) name Service ``service``.

    Gateway API implementations refuse such a backend otherwise (the route's ResolvedRefs condition is
    false and no traffic goes there). A grant whose entries are not known before apply may allow it.
    """
    group, kind = api_group(route.attributes.get("apiVersion")), route.type
    for spec in grants.get(there, ()):
        if not isinstance(spec, dict):
            return True  # not known: it may allow
        froms, tos = spec.get("from"), spec.get("to")
        if not isinstance(froms, list) or not isinstance(tos, list):
            return True
        allowed_from = any(not isinstance(f, dict) or is_unknown(f.get("namespace")) or (
            f.get("group") == group and f.get("kind") == kind and f.get("namespace") == ns) for f in froms)
        allowed_to = any(not isinstance(t, dict) or is_unknown(t.get("name")) or (
            t.get("group", "") in ("", "core") and t.get("kind") == "Service"
            and t.get("name") in (None, service)) for t in tos)
        if allowed_from and allowed_to:
            return True
    return False


def _network_policy(ctx: LinkContext, policy: Resource, pods: PodIndex,
                    selecting: dict[str, list[dict[str, Any]]]) -> None:
    spec = policy.attributes.get("spec")
    if not isinstance(spec, dict):
        return
    selector = spec.get("podSelector", {})
    types = _policy_types(spec)
    for w in pods.matching_selector(selector):
        ctx.add_edge(policy.address, w.address, "selects", path="spec.podSelector")
        entry = {"address": policy.address, "policyTypes": list(types)}
        selecting.setdefault(w.address, []).append(entry)


def _policy_types(spec: dict[str, Any]) -> list[str]:
    """The directions a NetworkPolicy restricts: ``policyTypes``, else ``Ingress`` (and ``Egress`` with ``egress``)."""
    types = spec.get("policyTypes")
    if not isinstance(types, list):
        types = ["Ingress"] + (["Egress"] if "egress" in spec else [])
    return [str(t) for t in types]


def _network_isolation(ctx: LinkContext, w: Resource, policies: list[dict[str, Any]]) -> None:
    """``$network_policies`` (selecting policies) and ``$network_isolation`` on every workload."""
    kinds = {t for p in policies for t in p["policyTypes"]}
    ctx.derive(w.address, {"$network_policies": policies,
                           "$network_isolation": {"ingress": "Ingress" in kinds, "egress": "Egress" in kinds}})


def _isolation_elsewhere(ctx: LinkContext, units: dict[str, list[Resource]]) -> None:
    """A workload no policy of its unit isolates, in a namespace its unit does not create, where the
    unit that creates the namespace has a NetworkPolicy that would (Kubeflow's namespace unit, applied
    before every app's unit): isolated if both go to one cluster, which the files do not say, so that
    direction of ``$network_isolation`` is unknown. Policies of a unit that does not create the
    namespace (the sock shop's optional policy add-on) are an add-on, not the namespace's own."""
    creates: dict[str, set[str]] = {}                       # namespace -> units declaring the Namespace
    policies: dict[str, list[tuple[str, Resource]]] = {}   # namespace -> (unit, policy)
    for unit, group in units.items():
        for r in group:
            if r.type == "Namespace":
                creates.setdefault(str(name_of(r)), set()).add(unit)
            elif r.type == "NetworkPolicy" and namespace_of(r):
                policies.setdefault(str(namespace_of(r)), []).append((unit, r))
    if not policies:
        return
    for unit, group in units.items():
        for w in group:
            ns = namespace_of(w)
            isolation = ctx.fact(w.address, "$network_isolation")
            if w.type not in WORKLOAD_KINDS or not ns or not isinstance(isolation, dict):
                continue
            owners = creates.get(str(ns), set())
            if unit in owners:
                continue
            others = [p for u, p in policies.get(str(ns), []) if u != unit and u in owners]
            if not others or all(isolation.values()):
                continue
            found = dict(isolation)
            index = PodIndex([w])
            for policy in others:
                spec = mapping(policy.attributes.get("spec"))
                if index.matching_selector(spec.get("podSelector", {})):
                    for kind in _policy_types(spec):
                        direction = {"Ingress": "ingress", "Egress": "egress"}.get(kind)
                        if direction and found.get(direction) is False:
                            found[direction] = UNKNOWN
            if found != isolation:
                ctx.derive(w.address, {"$network_isolation": found})


def _service_account(ctx: UnitContext, w: Resource) -> None:
    """``runs_as`` to the pod's ServiceAccount; an implicit node when the files do not declare it."""
    pod = w.attributes.get("$pod")
    if not isinstance(pod, dict):
        return
    name = text(pod.get("serviceAccountName") or pod.get("serviceAccount") or "default")
    if name is None:  # not a name (an unknown value): no account is guessed
        return
    field = "$pod.serviceAccountName" if pod.get("serviceAccountName") else (
        "$pod.serviceAccount" if pod.get("serviceAccount") else "$pod")
    ns = namespace_of(w) or "default"
    plain = f"k8s:core/ServiceAccount/{ns}/{name}"
    address = ctx.find(plain) or add_implicit(ctx, plain, "ServiceAccount", {
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": str(name), "namespace": ns}}, at_line(w, field)).address
    ctx.add_edge(w.address, address, "runs_as", path=field)
    ctx.derive(w.address, {"$service_account": address}, {"$service_account": w.line_of(field)})


def _mounts(ctx: UnitContext, w: Resource) -> None:
    ns = namespace_of(w)
    pod = mapping(w.attributes.get("$pod"))
    found: dict[tuple[str, str], str] = {}

    def add(kind: str, name: Any, path: str) -> None:
        if isinstance(name, str) and name:
            found.setdefault((kind, name), path)

    for i, v in enumerate(items(pod.get("volumes"))):
        if not isinstance(v, dict):
            continue
        if isinstance(v.get("secret"), dict):
            add("Secret", v["secret"].get("secretName"), f"$pod.volumes.{i}.secret")
        if isinstance(v.get("configMap"), dict):
            add("ConfigMap", v["configMap"].get("name"), f"$pod.volumes.{i}.configMap")
        projected = mapping(v.get("projected"))
        for j, src in enumerate(items(projected.get("sources"))):
            if isinstance(src, dict):
                for key, kind in (("secret", "Secret"), ("configMap", "ConfigMap")):
                    if isinstance(src.get(key), dict):
                        add(kind, src[key].get("name"), f"$pod.volumes.{i}.projected.sources.{j}")
    for i, ref in enumerate(items(pod.get("imagePullSecrets"))):
        if isinstance(ref, dict):
            add("Secret", ref.get("name"), f"$pod.imagePullSecrets.{i}")
    for n, c in enumerate(items(w.attributes.get("$containers"))):
        for i, e in enumerate(items(c.get("env"))):
            source = e.get("valueFrom") if isinstance(e, dict) else None
            if isinstance(source, dict):
                for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    if isinstance(source.get(key), dict):
                        add(kind, source[key].get("name"), f"$containers.{n}.env.{i}")
        for i, e in enumerate(items(c.get("envFrom"))):
            if isinstance(e, dict):
                for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                    if isinstance(e.get(key), dict):
                        add(kind, e[key].get("name"), f"$containers.{n}.envFrom.{i}")
    for (kind, name), path in sorted(found.items()):
        target = ctx.find(f"k8s:core/{kind}/{ns}/{name}")
        if target:
            ctx.add_edge(w.address, target, "mounts", path=path)
