"""Architecture relations: zones, stored data, flows, role access, and `implemented_by` to IaC and cluster nodes."""

from __future__ import annotations

from typing import Any

from ...model import INTERNET, Layer, Resource
from ...parsers.architecture import element_address
from .. import LinkContext


def link(ctx: LinkContext) -> None:
    components = list(ctx.of_type("component"))
    for c in components:
        if c.kind is not Layer.ARCHITECTURE:
            continue
        a = c.attributes
        if a.get("zone"):
            ctx.add_edge(c.address, element_address("zone", a["zone"]), "in_zone", path="zone")
        for i, d in enumerate(a.get("stores") or []):
            ctx.add_edge(c.address, element_address("data", d), "stores", path=f"stores.{i}")
        if a.get("exposure") == "public":
            ctx.add_edge(INTERNET, c.address, "exposes", path="exposure")
        for i, selector in enumerate(a.get("implemented_by") or []):
            for target in _select(ctx, selector):
                ctx.add_edge(c.address, target, "implemented_by", path=f"implemented_by.{i}")
    for flow in ctx.of_type("flow"):
        f = flow.attributes
        ctx.add_edge(element_address("component", f["from"]), element_address("component", f["to"]),
                     "flows_to", flow=flow.address, tls=f.get("tls"),
                     authentication=f.get("authentication"), data=tuple(f.get("data") or ()))
    for role in ctx.of_type("role"):
        for i, access in enumerate(role.attributes.get("access") or []):
            targets = ([c.address for c in components] if access.get("component") == "*"
                       else [element_address("component", access.get("component"))])
            for t in targets:
                ctx.add_edge(role.address, t, "can_access", level=access.get("level"),
                             path=f"access.{i}")


def _select(ctx: LinkContext, selector: Any) -> list[str]:
    """Addresses a selector names: an exact or base address, or resources by tags / labels."""
    if isinstance(selector, str):
        return ctx.resolve(selector)
    if not isinstance(selector, dict):
        return []
    if "tags" in selector:
        want = selector["tags"]
        return [r.address for r in ctx.resources if r.kind is Layer.TERRAFORM
                and (not selector.get("type") or r.type == selector["type"])
                and _matches(r.attributes.get("tags"), want)]
    want = selector.get("labels") or {}
    return [r.address for r in ctx.resources if r.kind is Layer.KUBERNETES
            and (not selector.get("kind") or r.type == selector["kind"])
            and _matches(_k8s_labels(r), want)]


def _matches(have: Any, want: dict[str, Any]) -> bool:
    return isinstance(have, dict) and all(have.get(k) == v for k, v in want.items())


def _k8s_labels(r: Resource) -> Any:
    return (r.attributes.get("metadata") or {}).get("labels")
