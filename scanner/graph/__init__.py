"""Link stage: resources of every layer joined into one `networkx.MultiDiGraph`.

Node key is the resource address; node data ``resource`` holds the
:class:`~scanner.model.Resource`. Two special nodes stand for the outside
world: ``internet`` and ``anyone``. Edges carry ``kind`` (one of
:data:`scanner.model.EDGE_KINDS`) and optional detail (``path`` of the
attribute that made it, ``ports``...). Linkers, one per relation family,
are listed in :data:`scanner.graph.linkers.LINKERS`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from ..model import ANYONE, EDGE_KINDS, INTERNET, Resource

if TYPE_CHECKING:  # networkx is imported by build_graph: importing it costs ~70 ms of CPU
    import networkx as nx

# How an attacker moves along each edge kind: "forward" follows the edge,
# "backward" walks it against its direction. Kinds absent here carry no
# traffic or privilege (e.g. ``references``, ``in_zone``).
TRAFFIC_EDGES: dict[str, str] = {
    "exposes": "forward",              # internet -> public resource
    "allows_ingress_from": "backward",  # group -> internet: internet reaches the group
    "attached_to": "backward",          # instance -> group: the group's traffic reaches the instance
    "routes_to": "forward",             # LB -> target group -> target, Ingress -> Service
    "selects": "forward",               # Service -> workload
    "runs_as": "forward",               # workload -> service account / instance -> role
    "bound_to": "forward",              # principal -> role it holds
    "mounts": "forward",                # workload -> secret
    "flows_to": "forward",              # architecture flow
    # `implemented_by` is deliberately absent: the architecture's intent ("web is
    # public") is not a network path; drift policies compare intent and reality.
}

_INDEX_RE = re.compile(r"\[[^\]]*\]")


def base_address(address: str) -> str:
    """``module.a[0].aws_x.y["k"]`` -> ``module.a.aws_x.y``: the address without instance keys.

    A Kubernetes address loses its deployment unit (``k8s:core/Service/ns/web@examples/shop``
    -> ``k8s:core/Service/ns/web``), so a plain address names the object in every unit.
    """
    if address.startswith("k8s:") and "@" in address:
        return address.split("@", 1)[0]
    return _INDEX_RE.sub("", address) if "[" in address else address


class LinkContext:
    """What a linker needs: the graph, resources by type, address lookup, and edge creation."""

    def __init__(self, graph: nx.MultiDiGraph, resources: list[Resource]) -> None:
        self.graph = graph
        # networkx builds a new view on every `graph.nodes`; linkers look nodes up thousands of times
        self.nodes = graph.nodes
        self.resources = resources
        self.by_type: dict[str, list[Resource]] = {}
        self.by_base: dict[str, list[str]] = {}
        for r in resources:
            self.by_type.setdefault(r.type, []).append(r)
            self.by_base.setdefault(base_address(r.address), []).append(r.address)

    def of_type(self, *types: str) -> Iterator[Resource]:
        for t in types:
            yield from self.by_type.get(t, ())

    def resolve(self, address: str) -> list[str]:
        """Node addresses an expression's reference means (every instance of a counted resource)."""
        if address in self.graph and address not in self.by_base:
            return [address]
        return self.by_base.get(base_address(address), [])

    def add_edge(self, source: str, target: str, kind: str, **data: Any) -> None:
        if kind not in EDGE_KINDS:
            raise ValueError(f"unknown edge kind {kind!r}")
        if source == target or source not in self.graph or target not in self.graph:
            return
        self.graph.add_edge(source, target, key=kind, kind=kind, **data)


def prepare() -> None:
    """Import what :func:`build_graph` needs (networkx, ~70 ms), so a caller can do it while it waits anyway."""
    import networkx  # noqa: F401


def build_graph(resources: Iterable[Resource], linkers: Optional[Iterable[Any]] = None) -> nx.MultiDiGraph:
    """One graph of every resource, linked by every linker (default: all of ``LINKERS``)."""
    import networkx as nx

    from .linkers import LINKERS

    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    graph.add_node(INTERNET, resource=None, special=True)
    graph.add_node(ANYONE, resource=None, special=True)
    items = list(resources)
    for r in items:
        graph.add_node(r.address, resource=r)
    ctx = LinkContext(graph, items)
    for link in (linkers if linkers is not None else LINKERS):
        link(ctx)
    return graph


def resource_of(graph: nx.MultiDiGraph, node: str) -> Optional[Resource]:
    """The resource at ``node``, or None for special nodes."""
    return graph.nodes[node].get("resource")

