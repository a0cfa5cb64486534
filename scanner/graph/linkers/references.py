"""`references` edges: an expression in one Terraform resource names another."""

from __future__ import annotations

from .. import LinkContext


def link(ctx: LinkContext) -> None:
    for r in ctx.resources:
        for path, target in r.references:
            for node in ctx.resolve(target):
                ctx.add_edge(r.address, node, "references", path=path)
