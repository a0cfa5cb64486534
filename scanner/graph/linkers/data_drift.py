"""Data reached outside the architecture's flows: workloads whose cloud identity opens a store that no
flow of their component reaches.

For each data store that implements an architecture component, the workloads
that can act on it walk back from the store: ``accesses`` from an identity,
which a ServiceAccount ``assumes`` (a workload ``runs_as`` it) or a node group
``runs_as`` (a workload ``runs_on`` it), or which a cloud workload
(instance, function, task) ``runs_as`` directly. Edges that carry no traffic
(``reach: false``) are not walked; unknown ones are. A workload is declared
when a component it implements is the store's component or has a flow to or
from it; otherwise it is an undeclared accessor. The store gets
``$undeclared_accessors`` (addresses), each accessor
``$undeclared_data_access`` (stores): RG-DRIFT-007 reads them. Only when the
scan holds an architecture.
"""

from __future__ import annotations

from ...model import Resource
from .. import LinkContext

# edge kinds walked backwards from an identity to what acts as it
TOWARDS_WORKLOAD = frozenset({"assumes", "runs_as", "runs_on"})
MAX_HOPS = 4


def link(ctx: LinkContext) -> None:
    if not ctx.by_type.get("component"):
        return
    undeclared: dict[str, list[str]] = {}
    for store in ctx.track(_stores(ctx)):
        components = _components(ctx, store.address)
        allowed = components | {f for c in components for f in _flow_partners(ctx, c)}
        found = []
        for accessor in sorted(_accessors(ctx, store.address)):
            if not (_components(ctx, accessor) & allowed):
                found.append(accessor)
                undeclared.setdefault(accessor, []).append(store.address)
        if found:
            _derive(ctx, store.address, "$undeclared_accessors", found)
    for accessor, stores in undeclared.items():   # each came from an edge of the graph
        _derive(ctx, accessor, "$undeclared_data_access", stores)


def _stores(ctx: LinkContext) -> list[Resource]:
    """The resources some identity ``accesses`` that implement a component, in node order."""
    accessed = {target for _, target, kind in ctx.graph.edges(keys=True) if kind == "accesses"}
    out = []
    for node in list(ctx.graph.nodes):
        if node in accessed:
            r = ctx.nodes[node].get("resource")
            if r is not None and _components(ctx, node):
                out.append(r)
    return out


def _components(ctx: LinkContext, node: str) -> set[str]:
    return {src for src, _, k in ctx.graph.in_edges(node, keys=True) if k == "implemented_by"}


def _flow_partners(ctx: LinkContext, component: str) -> set[str]:
    graph = ctx.graph
    out = {t for _, t, k in graph.out_edges(component, keys=True) if k == "flows_to"}
    return out | {s for s, _, k in graph.in_edges(component, keys=True) if k == "flows_to"}


def _accessors(ctx: LinkContext, store: str) -> set[str]:
    """Workloads (Kubernetes or cloud) that reach ``store`` through an identity that ``accesses`` it."""
    graph = ctx.graph
    frontier = [s for s, _, k, d in graph.in_edges(store, keys=True, data=True)
                if k == "accesses" and d.get("reach", True) is not False]
    seen = set(frontier)
    found: set[str] = set()
    for _ in range(MAX_HOPS):
        nxt = []
        for node in frontier:
            for src, _, k, d in graph.in_edges(node, keys=True, data=True):
                if k not in TOWARDS_WORKLOAD or d.get("reach", True) is False or src in seen:
                    continue
                seen.add(src)
                nxt.append(src)
                r = ctx.nodes[src].get("resource")
                if r is not None and (isinstance(r.attributes.get("$pod"), dict) or _components(ctx, src)):
                    found.add(src)
        frontier = nxt
    return found


def _derive(ctx: LinkContext, address: str, key: str, values: list[str]) -> None:
    line = ctx.nodes[address]["resource"].location.start_line
    ctx.derive(address, {key: values}, {key: line, **{f"{key}.{i}": line for i in range(len(values))}})
