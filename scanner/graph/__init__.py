"""Link stage: resources of every layer joined into one `networkx.MultiDiGraph`.

Node key is the resource address; node data ``resource`` holds the
:class:`~scanner.model.Resource`. Two special nodes stand for the outside
world: ``internet`` and ``anyone``. Edges carry ``kind`` (one of
:data:`scanner.model.EDGE_KINDS`) and optional detail (``path`` of the
attribute that made it, ``ports``...). Linkers, one per relation family,
are listed in :data:`scanner.graph.linkers.LINKERS`.

A linker that raises does not stop the scan: its edges of that pass are
removed, it runs again without the resource it was on, and an ``error``
diagnostic in ``graph.graph["diagnostics"]`` names the linker, the resource
and the exception (:func:`build_graph`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional

from ..crash import crash_diagnostic
from ..model import ANYONE, EDGE_KINDS, INTERNET, Diagnostic, Resource, line_at

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
    "assumes": "forward",               # ServiceAccount -> cloud role / service account / managed identity
    "runs_on": "forward",               # workload -> node group, when the pod can read its instance metadata
    "accesses": "forward",              # cloud identity -> data store it can read or change
    # attack techniques (scanner/formats/kubernetes/attacks.py): moves an attacker makes with a foothold's
    # privileges; `reachable_from` leaves them out unless asked (TECHNIQUE_EDGES), `leads_to` takes them
    "escapes_to": "forward",
    "steals_token": "forward",
    "reads_secrets": "forward",
    "execs_into": "forward",
    "patches": "forward",
    "creates_pods": "forward",
    "binds_role": "forward",
    "impersonates": "forward",
    # `implemented_by` is deliberately absent: the architecture's intent ("web is
    # public") is not a network path; drift policies compare intent and reality.
}

# The kinds above that are attack techniques rather than traffic or identity: "reachable from the
# internet" stays a statement about exposure, and a policy follows techniques with `leads_to`.
TECHNIQUE_EDGES: frozenset[str] = frozenset({
    "escapes_to", "steals_token", "reads_secrets", "execs_into", "patches", "creates_pods",
    "binds_role", "impersonates"})

_NO_LINES: Mapping[str, int] = MappingProxyType({})
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
    """What a linker needs: the graph, resources by type, address lookup, and edge creation.

    Iterating ``resources`` or ``of_type`` records the resource a linker is
    on (``current``), so a crash can name it, and leaves out the resources
    in ``skipping`` (those an earlier pass of the same linker crashed on).
    """

    def __init__(self, graph: nx.MultiDiGraph, resources: list[Resource]) -> None:
        self.graph = graph
        # networkx builds a new view on every `graph.nodes`; linkers look nodes up thousands of times
        self.nodes = graph.nodes
        self.resources: list[Resource] = _Resources(self, resources)
        self.by_type: dict[str, list[Resource]] = {}
        self.by_base: dict[str, list[str]] = {}
        self.current: Optional[Resource] = None
        self.skipping: set[str] = set()
        self.added: Optional[list[tuple[str, str, str]]] = None  # edges new in this pass, when recorded
        self.root: LinkContext = self  # the context of the whole graph (a unit's view has its parent's)
        # address -> (derived attributes, their lines): recorded by `derive`, given to the nodes by `settle`
        self.facts: dict[str, tuple[dict[str, Any], dict[str, int]]] = {}
        # (address, facts before) for each derive of this pass, when recorded: a crashed pass is undone
        self.derived: Optional[list[tuple[str, Optional[tuple[dict[str, Any], dict[str, int]]]]]] = None
        for r in resources:
            self.by_type.setdefault(r.type, []).append(r)
            self.by_base.setdefault(base_address(r.address), []).append(r.address)

    def of_type(self, *types: str) -> Iterator[Resource]:
        for t in types:
            yield from self.track(self.by_type.get(t, ()))

    def track(self, items: Iterable[Resource]) -> Iterator[Resource]:
        """``items`` without those in ``skipping``, noting each as ``current`` while the caller holds it.

        ``current`` goes back to the enclosing loop's resource when ``items``
        run out, but not when the loop is left early: an exception closes
        the iteration before the linker's caller sees it, and must find the
        resource it was raised on.
        """
        outer = self.current
        for r in items:
            if self.skipping and r.address in self.skipping:
                continue
            self.current = r
            yield r
        self.current = outer

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
        if self.added is not None and not self.graph.has_edge(source, target, kind):
            self.added.append((source, target, kind))
        self.graph.add_edge(source, target, key=kind, kind=kind, **data)

    def derive(self, address: str, attributes: Mapping[str, Any], lines: Mapping[str, int] = _NO_LINES) -> None:
        """Record derived attributes (names start with ``$``) of the resource at ``address``, and their lines.

        The one way a linker adds to a resource: parsed resources are never
        changed. Linkers read what was derived with :meth:`fact` and
        :meth:`line_of`; when linking ends, :meth:`settle` gives every node a
        resource carrying its facts, so the graph is the only place they live.
        """
        root = self.root
        if any(not key.startswith("$") for key in attributes):
            raise ValueError(f"derived attributes start with '$': {sorted(attributes)}")
        before = root.facts.get(address)
        if root.derived is not None:
            root.derived.append((address, (dict(before[0]), dict(before[1])) if before else None))
        attrs, at = before if before is not None else root.facts.setdefault(address, ({}, {}))
        attrs.update(attributes)
        at.update(lines)

    def fact(self, address: str, key: str, default: Any = None) -> Any:
        """A resource's attribute ``key`` as linking has it so far: derived if derived, else parsed."""
        facts = self.root.facts.get(address)
        if facts is not None and key in facts[0]:
            return facts[0][key]
        r = self.nodes[address].get("resource") if address in self.graph else None
        return r.attributes.get(key, default) if r is not None else default

    def line_of(self, r: Resource, path: str) -> int:
        """:meth:`Resource.line_of` counting the lines of what was derived so far."""
        facts = self.root.facts.get(r.address)
        line = line_at(facts[1], path) if facts is not None else None
        return line if line is not None else r.line_of(path)

    def settle(self, parsed: Mapping[str, Resource]) -> None:
        """Give each node its parsed resource (``parsed``, by address), carrying its derived facts (after every linker has run)."""
        for address, r in parsed.items():
            if address not in self.facts:
                self.nodes[address]["resource"] = r
        for address, facts in self.facts.items():
            node = self.nodes[address]
            node["resource"] = with_facts(parsed.get(address) or node["resource"], facts)
        self.facts = {}

    def undo_derived(self) -> None:
        """Forget what this pass derived (its linker crashed)."""
        for address, before in reversed(self.derived or []):
            if before is None:
                self.facts.pop(address, None)
            else:
                self.facts[address] = before

    def add_resource(self, r: Resource) -> None:
        """Add a resource linking found (an object the cluster has without a manifest): a node, in every lookup of this context."""
        self.graph.add_node(r.address, resource=r)
        self.index(r, base_address(r.address))

    def index(self, r: Resource, base: str) -> None:
        """Put ``r`` in this context's lookups (``base`` is its address without instance keys or unit)."""
        self.resources.append(r)
        self.by_type.setdefault(r.type, []).append(r)
        self.by_base.setdefault(base, []).append(r.address)

    def set_reach(self, source: str, target: str, kind: str, reach: Optional[bool]) -> None:
        """Set an existing edge's ``reach`` (True, False, or None when unknown; see graphsearch); no edge, nothing."""
        if self.graph.has_edge(source, target, kind):
            self.graph.edges[source, target, kind]["reach"] = reach


ALL_KEYS = "*"  # in a record of reads: every key of the type (its keys were iterated or counted)


class Reading(dict):
    """A resource's attributes while linking: the same dict, noting which top-level keys linkers read.

    ``get``, ``[]`` and ``in`` note their key; iterating, counting or
    comparing the whole notes :data:`ALL_KEYS`. :func:`build_graph` keeps
    the record per resource type (``graph.graph["reads"]``): linking is a
    function of what it read, so an edit of a key no linker read leaves
    every edge and derived fact as it was (scanner/incremental.py). The parsed
    resource holds its Reading only while linking (build_graph lends it and
    gives the dict back, even when linking raises). One read
    is not noted: which keys hold a block or list (``aws_network.walk``
    descends into those); an edit that changes that is never taken as a
    value edit.
    """

    __slots__ = ("_seen",)

    def __init__(self, data: Mapping[str, Any], seen: set[str]) -> None:
        dict.__init__(self, data)
        self._seen = seen

    def note(self, key: str) -> None:
        self._seen.add(key)

    def __getitem__(self, key: str) -> Any:
        self._seen.add(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._seen.add(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._seen.add(key)  # type: ignore[arg-type]
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[str]:
        self._seen.add(ALL_KEYS)
        return dict.__iter__(self)

    def keys(self) -> Any:
        self._seen.add(ALL_KEYS)
        return dict.keys(self)

    def items(self) -> Any:
        self._seen.add(ALL_KEYS)
        return dict.items(self)

    def values(self) -> Any:
        self._seen.add(ALL_KEYS)
        return dict.values(self)

    def __len__(self) -> int:
        self._seen.add(ALL_KEYS)
        return dict.__len__(self)

    def __eq__(self, other: object) -> bool:
        self._seen.add(ALL_KEYS)
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._seen.add(ALL_KEYS)
        return dict.__ne__(self, other)

    def __repr__(self) -> str:
        self._seen.add(ALL_KEYS)
        return dict.__repr__(self)

    def copy(self) -> dict[str, Any]:
        self._seen.add(ALL_KEYS)
        return dict(dict.items(self))

    __hash__ = None


def with_facts(r: Resource, facts: tuple[Mapping[str, Any], Mapping[str, int]]) -> Resource:
    """``r`` carrying derived facts (attributes, their lines), as the graph's node holds it after linking."""
    attrs, at = facts
    # without new lines the mapping is shared rather than copied: nothing changes lines after linking
    return replace(r, attributes={**r.attributes, **attrs}, lines={**r.lines, **at} if at else r.lines)


class _Resources(list):
    """``LinkContext.resources``: a list whose iteration goes through :meth:`LinkContext.track`."""

    def __init__(self, ctx: LinkContext, items: Iterable[Resource]) -> None:
        super().__init__(items)
        self._ctx = ctx

    def __iter__(self) -> Iterator[Resource]:
        return self._ctx.track(list.__iter__(self))


# A linker that keeps crashing on one resource after another is given up after this many.
MAX_LINK_CRASHES = 20


def prepare() -> None:
    """Import what :func:`build_graph` needs (networkx, ~70 ms), so a caller can do it while it waits anyway."""
    import networkx  # noqa: F401


def build_graph(resources: Iterable[Resource], linkers: Optional[Iterable[Any]] = None) -> nx.MultiDiGraph:
    """One graph of every resource, linked by every linker (default: all of ``LINKERS``).

    ``graph.graph["diagnostics"]`` lists the linkers that raised (see :func:`run_linker`);
    ``graph.graph["reads"]`` which attribute keys linkers read, per resource type (:class:`Reading`);
    ``graph.graph["facts"]`` what they derived, per address (attributes and lines, see :meth:`LinkContext.derive`).
    """
    import networkx as nx

    from .linkers import LINKERS

    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    graph.add_node(INTERNET, resource=None, special=True)
    graph.add_node(ANYONE, resource=None, special=True)
    diagnostics: list[Diagnostic] = graph.graph.setdefault("diagnostics", [])
    items: list[Resource] = []
    parsed: dict[str, Resource] = {}
    reads: dict[str, set[str]] = {}
    lent: list[tuple[Resource, Mapping[str, Any]]] = []
    try:
        for r in resources:
            if r.address in graph:
                diagnostics.append(_taken(r, parsed.get(r.address)))
                continue
            graph.add_node(r.address, resource=r)
            items.append(r)
            parsed[r.address] = r
            # while linking, the resource's attributes are a Reading of them: the same values, what
            # linkers read noted per type; given back below (no copy of every resource is made)
            lent.append((r, r.attributes))
            object.__setattr__(r, "attributes", Reading(r.attributes, reads.setdefault(r.type, set())))
        ctx = LinkContext(graph, items)
        for link in (linkers if linkers is not None else LINKERS):
            run_linker(link, ctx, diagnostics)
    finally:
        for r, attributes in lent:
            object.__setattr__(r, "attributes", attributes)
    graph.graph["facts"] = ctx.facts  # settle starts a new record: these dicts are not changed again
    ctx.settle(parsed)
    graph.graph["reads"] = {t: frozenset(keys) for t, keys in reads.items()}
    return graph


def _taken(r: Resource, first: Optional[Resource]) -> Diagnostic:
    """An error: ``r``'s address is already a node (parsers make addresses distinct; this is the last guard)."""
    where = f"{first.location.path}:{first.location.start_line}" if first is not None else "a special node"
    return Diagnostic("duplicate-address", f"{r.address} is also defined at {where}; only that one is "
                      "in the graph, this one is not scanned", r.location.path, r.location.start_line)


def run_linker(link: Any, ctx: LinkContext, diagnostics: list[Diagnostic]) -> None:
    """Run ``link``; when it raises, undo that pass's new edges and run it again without the resource it was on.

    Each crash becomes an ``error`` diagnostic naming the linker, the
    resource (address, file, line) and the exception. A crash on no
    particular resource, or more than MAX_LINK_CRASHES of them, ends the
    linker: the relations it did not make are missing, and the diagnostic says so.
    """
    name = linker_name(link)
    ctx.skipping = set()
    for attempt in range(MAX_LINK_CRASHES + 1):
        ctx.added, ctx.derived, ctx.current = [], [], None
        try:
            link(ctx)
            break
        except Exception as exc:  # noqa: BLE001 - the scan goes on without what this pass made
            on = ctx.current
            for source, target, kind in ctx.added:
                ctx.graph.remove_edge(source, target, key=kind)
            ctx.undo_derived()
            retry = on is not None and attempt < MAX_LINK_CRASHES   # `track` never makes a skipped one current
            consequence = ("the rest was linked again without it: edges this linker would have "
                           "given it are missing" if retry else "this linker's edges are missing "
                           "from the whole graph")
            diagnostics.append(crash_diagnostic("linker-crash", f"linker {name!r}", exc, on,
                                                consequence=consequence))
            if on is None or not retry:
                break
            ctx.skipping.add(on.address)
    ctx.added, ctx.derived, ctx.current, ctx.skipping = None, None, None, set()


def linker_name(link: Any) -> str:
    """``aws`` for ``scanner.graph.linkers.aws.link``; else the function's module and name."""
    module = getattr(link, "__module__", "") or ""
    qualname = getattr(link, "__qualname__", "") or repr(link)
    if module.startswith("scanner.graph.linkers.") and qualname == "link":
        return module.rsplit(".", 1)[1]
    return f"{module}.{qualname}" if module else qualname


def resource_of(graph: nx.MultiDiGraph, node: str) -> Optional[Resource]:
    """The resource at ``node``, or None for special nodes."""
    return graph.nodes[node].get("resource")

