"""AWS network relations: security groups, what uses them, and what the internet can reach."""

from __future__ import annotations

from typing import Any

from ...model import INTERNET
from ..cidr import is_public_cidr
from .. import LinkContext

# Attributes through which a resource is placed behind security groups.
SG_ATTRIBUTES = ("vpc_security_group_ids", "security_groups", "security_group_ids")


def link(ctx: LinkContext) -> None:
    for sg in ctx.of_type("aws_security_group"):
        for i, rule in enumerate(sg.attributes.get("ingress") or []):
            _ingress(ctx, sg.address, rule, f"ingress.{i}")
    for rule in ctx.of_type("aws_security_group_rule"):
        if rule.attributes.get("type") != "ingress":
            continue
        for path, target in rule.references:
            if path == "security_group_id":
                for sg in ctx.resolve(target):
                    ctx.add_edge(rule.address, sg, "attached_to", path=path)
                    _ingress(ctx, sg, rule.attributes, "", via=rule.address)
    for r in ctx.resources:
        for path, target in r.references:
            if path.split(".")[0] in SG_ATTRIBUTES:
                for sg in ctx.resolve(target):
                    if ctx.graph.nodes[sg]["resource"].type == "aws_security_group":
                        ctx.add_edge(r.address, sg, "attached_to", path=path)


def _ingress(ctx: LinkContext, sg: str, rule: Any, path: str, via: str = "") -> None:
    if not isinstance(rule, dict):
        return
    cidrs = [*(rule.get("cidr_blocks") or []), *(rule.get("ipv6_cidr_blocks") or [])]
    public = [c for c in cidrs if isinstance(c, str) and is_public_cidr(c)]
    if public:
        ctx.add_edge(sg, INTERNET, "allows_ingress_from", path=path, cidrs=public,
                     from_port=rule.get("from_port"), to_port=rule.get("to_port"),
                     protocol=rule.get("protocol"), via=via)
