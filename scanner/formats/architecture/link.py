"""Architecture relations: zones, stored data, flows, role access, and `implemented_by` to IaC and cluster nodes.

Besides edges, this linker derives two attributes that need the whole scan:
a component's ``$unresolved_implementations`` (selectors that matched no
scanned resource; only computed when the scan holds Terraform or Kubernetes
resources) and, on Terraform / Kubernetes resources, ``$in_architecture``
(whether the architecture mentions them, directly or as the way traffic
reaches something it mentions; only set when the scan holds an architecture)
and, on implementations, ``$holds_classifications`` (what the components they
implement store, most sensitive first).
"""

from __future__ import annotations

from typing import Any, Mapping

from ...model import INTERNET, Layer, Resource
from .parser import element_address
from ...graph import LinkContext

# Edges along which a resource leads traffic to the implementation it fronts.
FRONTING_EDGES = frozenset({"routes_to", "selects"})
FRONTING_HOPS = 3
SENSITIVITY = ("secret", "credentials", "pii", "confidential", "internal", "public")


def link(ctx: LinkContext) -> None:
    components = [c for c in ctx.of_type("component") if c.kind is Layer.ARCHITECTURE]
    zones = {z.address: z for z in ctx.of_type("zone") if z.kind is Layer.ARCHITECTURE}
    has_code = any(r.kind in (Layer.TERRAFORM, Layer.KUBERNETES) for r in ctx.resources)
    implemented: set[str] = set()
    holds: dict[str, set[str]] = {}
    for c in components:
        a = c.attributes
        zone = element_address("zone", a["zone"]) if a.get("zone") else None
        if zone:
            ctx.add_edge(c.address, zone, "in_zone", path="zone")
        for i, d in enumerate(a.get("stores") or []):
            ctx.add_edge(c.address, element_address("data", d), "stores", path=f"stores.{i}")
        on_internet = zone in zones and zones[zone].attributes.get("trust") == 0
        if a.get("exposure") == "public" or on_internet:
            ctx.add_edge(INTERNET, c.address, "exposes",
                         path="exposure" if a.get("exposure") == "public" else "zone")
        unresolved: list[str] = []
        unresolved_lines: dict[str, int] = {}
        for i, selector in enumerate(a.get("implemented_by") or []):
            targets = [t for t in _select(ctx, selector) if t != c.address]
            if not targets:
                unresolved_lines[f"$unresolved_implementations.{len(unresolved)}"] = \
                    c.line_of(f"implemented_by.{i}")
                unresolved.append(describe_selector(selector))
            for target in targets:
                implemented.add(target)
                holds.setdefault(target, set()).update(a.get("$stored_classifications") or ())
                ctx.add_edge(c.address, target, "implemented_by", path=f"implemented_by.{i}")
        if has_code:
            ctx.derive(c.address, {"$unresolved_implementations": unresolved}, unresolved_lines)
    for flow in ctx.of_type("flow"):
        if flow.kind is not Layer.ARCHITECTURE:
            continue
        f = flow.attributes
        ctx.add_edge(element_address("component", f["from"]), element_address("component", f["to"]),
                     "flows_to", flow=flow.address, protocol=f.get("protocol"), port=f.get("port"),
                     tls=f.get("tls"), authentication=f.get("authentication"),
                     data=tuple(f.get("data") or ()))
    for role in ctx.of_type("role"):
        if role.kind is not Layer.ARCHITECTURE:
            continue
        for i, access in enumerate(role.attributes.get("access") or []):
            targets = ([c.address for c in components] if access.get("component") == "*"
                       else [element_address("component", access.get("component"))])
            for t in targets:
                ctx.add_edge(role.address, t, "can_access", level=access.get("level"),
                             via=tuple(access.get("via") or ()), path=f"access.{i}")
    if components:
        _mark_mentions(ctx, implemented, holds)


def describe_selector(selector: Any) -> str:
    """A selector as text for messages: the address, or ``tags Project=x`` / ``labels app=y``."""
    if isinstance(selector, str):
        return selector
    if not isinstance(selector, Mapping):
        return str(selector)
    key = "tags" if "tags" in selector else "labels"
    pairs = ",".join(f"{k}={v}" for k, v in sorted((selector.get(key) or {}).items()))
    scope = selector.get("type") or selector.get("kind") or ""
    return f"{scope} {key} {pairs}".strip()


def _select(ctx: LinkContext, selector: Any) -> list[str]:
    """Addresses a selector names: an exact or base address, or resources by tags / labels."""
    if isinstance(selector, str):
        return [t for t in ctx.resolve(selector)
                if t in ctx.graph and ctx.nodes[t].get("resource") is not None]
    if not isinstance(selector, Mapping):
        return []
    if "tags" in selector:
        want = selector["tags"]
        return [r.address for r in ctx.resources if r.kind is Layer.TERRAFORM
                and (not selector.get("type") or r.type == selector["type"])
                and _matches(r.attributes.get("tags"), want)]
    want = selector.get("labels") or {}
    return [r.address for r in ctx.resources if r.kind is Layer.KUBERNETES
            and (not selector.get("kind") or r.type == selector["kind"])
            and (not selector.get("namespace") or _meta(r).get("namespace") == selector["namespace"])
            and _matches(_meta(r).get("labels"), want)]


def _matches(have: Any, want: Mapping[str, Any]) -> bool:
    return isinstance(have, Mapping) and all(have.get(k) == v for k, v in want.items())


def _meta(r: Resource) -> Mapping[str, Any]:
    meta = r.attributes.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _mark_mentions(ctx: LinkContext, implemented: set[str], holds: Mapping[str, set[str]]) -> None:
    """``$in_architecture`` on every Terraform / Kubernetes resource, ``$holds_classifications`` on implementations."""
    leading = _leading_to(ctx, implemented)
    for r in ctx.resources:
        if r.kind not in (Layer.TERRAFORM, Layer.KUBERNETES) or r.address not in ctx.graph:
            continue
        attrs: dict[str, Any] = {"$in_architecture": r.address in leading}
        if r.address in holds:
            attrs["$holds_classifications"] = sorted(holds[r.address], key=_sensitivity)
        ctx.derive(r.address, attrs)


def _sensitivity(classification: str) -> tuple[int, str]:
    """Most sensitive first: the order policies quote classifications in."""
    rank = SENSITIVITY.index(classification) if classification in SENSITIVITY else len(SENSITIVITY)
    return rank, classification


def _leading_to(ctx: LinkContext, implemented: set[str]) -> set[str]:
    """Nodes that are implemented, or front an implementation within ``FRONTING_HOPS`` fronting edges.

    One breadth-first search backwards from every implementation at once,
    instead of one forward search per resource.
    """
    pred = ctx.graph.pred
    frontier = [n for n in implemented if n in pred]
    found = set(frontier)
    for _ in range(FRONTING_HOPS):
        nxt = []
        for node in frontier:
            for other, keys in pred[node].items():
                if other not in found and not FRONTING_EDGES.isdisjoint(keys):
                    found.add(other)
                    nxt.append(other)
        frontier = nxt
    return found
