"""Graph tests: `connected` (a bounded neighbour search per resource), `reachable_from` (one search per scan), `leads_to`.

An edge's ``reach`` data says whether it carries traffic: absent or True, it
does (as :data:`TRAFFIC_EDGES` says); False, it is a fact that carries none
(a public address whose security groups admit nothing); None, nobody knows
before apply (a group whose rules come from a variable). A node reached only
through unknown edges is unknown to ``reachable_from``, never found.
``reachable_from`` leaves out attack techniques (``TECHNIQUE_EDGES``): it
answers who reaches a resource; ``leads_to`` answers what an attacker who
holds the resource can take, techniques included.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Optional

from ..graph import TECHNIQUE_EDGES, TRAFFIC_EDGES
from ..model import ANYONE, INTERNET, PathStep, Resource

if TYPE_CHECKING:
    from .compiler import Check, Outcome

DEFAULT_MAX_HOPS = 8
# Edges out of a ServiceAccount that act through the Kubernetes API: an attacker holds them only with
# the account's token (a pod that does not mount it still has the account's cloud identity).
API_EDGES = frozenset({"bound_to"} | (TECHNIQUE_EDGES - {"escapes_to"}))
SERVICE_ACCOUNT = "ServiceAccount"
_NO: "Outcome" = (False, (), ())


def connected_check(spec: dict[str, Any], target: Optional[Check]) -> Check:
    """The `connected` test: a neighbour within ``hops`` is ``node`` or satisfies ``target``."""
    kinds = frozenset([spec["edge"]] if isinstance(spec["edge"], str) else spec["edge"])
    direction = spec.get("direction", "out")
    hops = spec.get("hops", 1)
    special = spec.get("node")

    def run(ctx: Any, r: Resource, v: Any, p: str) -> Outcome:
        if kinds.isdisjoint(ctx.edge_kinds(direction).get(r.address, ())):
            return _NO  # no edge of these kinds at the resource: no neighbour to test
        graph = ctx.graph
        seen: dict[str, Optional[tuple[str, str]]] = {r.address: None}
        frontier = [r.address]
        unknown = False
        for _ in range(hops):
            nxt = []
            for node in frontier:
                for other, kind in _neighbours(graph, node, direction):
                    if kind not in kinds or other in seen:
                        continue
                    seen[other] = (node, kind)
                    nxt.append(other)
                    if special is not None:
                        if other == special:
                            return True, (), _oriented(_path_to(graph, seen, other), direction)
                        continue
                    res = _resource(graph, other)
                    if target is None:
                        return True, (), _oriented(_path_to(graph, seen, other), direction)
                    if res is None:
                        continue
                    truth = ctx.judge(target, res)
                    if truth is True:
                        return True, (), _oriented(_path_to(graph, seen, other), direction)
                    unknown = unknown or truth is None
            frontier = nxt
        return (None, (), ()) if unknown else _NO
    return run


def reachable_check(spec: dict[str, Any], through: Optional[Check], avoid: Optional[Check],
                    key: Hashable) -> Check:
    """The `reachable_from` test: one shortest-path search per scan, shared by every resource.

    ``key`` names the search: tests that compile to the same search (same
    spec and parameters) pass equal keys and share one search per scan.
    """
    source = spec["node"]
    max_hops = spec.get("max_hops", DEFAULT_MAX_HOPS)

    def run(ctx: Any, r: Resource, v: Any, p: str) -> Outcome:
        cached = ctx.reach_cache.get(key)
        if cached is None:
            cached = ctx.reach_cache[key] = (*searches(ctx, source, through, avoid, max_hops), {})
        reach, unknown, steps = cached
        found = steps.get(r.address)
        if found is None:
            path = reach.get(r.address)
            if path is None:
                return (None, (), ()) if r.address in unknown else _NO
            found = steps[r.address] = tuple(PathStep(n, _loc(ctx.graph, n), e) for n, e in _pairs(path))
        return True, (), found
    return run


def leads_to_check(spec: dict[str, Any], target: Check) -> Check:
    """The `leads_to` test: from the resource, an attack path (techniques included) to a node satisfying ``where``."""
    kinds = frozenset(spec["edges"]) if "edges" in spec else None
    max_hops = spec.get("max_hops", DEFAULT_MAX_HOPS)
    wide = bool(spec.get("cluster_wide"))

    def run(ctx: Any, r: Resource, v: Any, p: str) -> Outcome:
        uncertain: list[bool] = []
        found = _leads(ctx, r.address, target, kinds, max_hops, wide, uncertain)
        if found is None and uncertain:
            found = _leads(ctx, r.address, target, kinds, max_hops, wide, None)
            return (None, (), ()) if found is not None else _NO
        return (True, (), found) if found is not None else _NO
    return run


def _leads(ctx: Any, start: str, target: Check, kinds: Optional[frozenset[str]], max_hops: int,
           wide: bool, uncertain: Optional[list[bool]]) -> Optional[tuple[PathStep, ...]]:
    """Shortest path from ``start`` to a node ``target`` accepts, holding a token only where one is held.

    The state is (node, token): entering a ServiceAccount by ``runs_as`` holds its token only when
    the edge says the pod mounts one; entering it any other way (a stolen or minted token, a pod
    the attacker made) holds it. API_EDGES out of an account need the token. With ``wide``, the
    sink counts only when the grant that reaches it is cluster-wide (edge ``namespace`` absent or ``*``).
    """
    graph = ctx.graph
    first = (start, True)
    parents: dict[tuple[str, bool], Any] = {first: None}
    queue = deque([(first, 0)])
    # whether a node is the sink does not depend on where the search started: shared by the scan's searches
    memo: dict[str, bool] = ctx.__dict__.setdefault("leads_sinks", {}).setdefault(id(target), {})
    while queue:
        state, depth = queue.popleft()
        node, token = state
        if node != start and (not wide or parents[state][3].get("namespace", "*") == "*") \
                and _memo(memo, node, lambda n: _matches_node(ctx, target, n)):
            return _steps(graph, parents, state)
        if depth >= max_hops:
            continue
        res = _resource(graph, node)
        api = res is not None and res.type == SERVICE_ACCOUNT
        for other, kind, data in _moves(ctx, node):
            if (kinds is not None and kind not in kinds) or (api and not token and kind in API_EDGES):
                continue
            if not _passable(data.get("reach", True), uncertain):
                continue
            nstate = (other, data.get("token", True) is not False if kind == "runs_as" else True)
            if nstate in parents or other in (INTERNET, ANYONE):
                continue
            parents[nstate] = (state, kind, _detail(data), data)
            queue.append((nstate, depth + 1))
    return None


def _moves(ctx: Any, node: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every traffic edge out of ``node`` (techniques included) with its data, listed once per scan.

    A role bound by thousands of accounts has thousands of `bound_to` edges in, none of
    which an attacker walks from it: scanning them on every search would cost more than
    the searches themselves.
    """
    cache = ctx.__dict__.setdefault("leads_moves", {})
    found = cache.get(node)
    if found is None:
        graph = ctx.graph
        found = cache[node] = [
            (other, kind, data)
            for way, adjacency in (("forward", graph.succ[node]), ("backward", graph.pred[node]))
            for other, kinds in adjacency.items() for kind, data in kinds.items()
            if TRAFFIC_EDGES.get(kind) == way]
    return found


def _detail(data: dict[str, Any]) -> str:
    """What an edge stands for: its techniques, and the role that grants them."""
    technique = data.get("technique") or ""
    role = data.get("role")
    if technique and isinstance(role, str):
        return f"{technique} ({role.rsplit('/', 1)[-1].split('@', 1)[0]})"
    return technique


def _steps(graph: Any, parents: dict[Any, Any], state: Any) -> tuple[PathStep, ...]:
    out: list[PathStep] = []
    cur = state
    while cur is not None:
        link = parents[cur]
        node = cur[0]
        out.append(PathStep(node, _loc(graph, node), link[1] if link else "", link[2] if link else ""))
        cur = link[0] if link else None
    return tuple(reversed(out))


def _neighbours(graph: Any, node: str, direction: str) -> Iterable[tuple[str, str]]:
    # in the order of out_edges / in_edges (see _traffic_neighbours)
    if direction in ("out", "both"):
        for other, kinds in graph.succ[node].items():
            for kind in kinds:
                yield other, kind
    if direction in ("in", "both"):
        for other, kinds in graph.pred[node].items():
            for kind in kinds:
                yield other, kind


def _resource(graph: Any, node: str) -> Optional[Resource]:
    """The resource at ``node`` (None for the special nodes)."""
    return graph.nodes[node].get("resource")


def _loc(graph: Any, node: str) -> Any:
    res = _resource(graph, node)
    return res.location if res is not None else None


def _path_to(graph: Any, seen: dict[str, Any], node: str) -> tuple[PathStep, ...]:
    steps: list[PathStep] = []
    cur: Optional[str] = node
    while cur is not None:
        prev = seen[cur]
        steps.append(PathStep(cur, _loc(graph, cur), prev[1] if prev else ""))
        cur = prev[0] if prev else None
    return tuple(reversed(steps))


def _oriented(steps: tuple[PathStep, ...], direction: str) -> tuple[PathStep, ...]:
    """Paths found against edge direction are shown in edge direction (internet first)."""
    if direction != "in" or len(steps) < 2:
        return steps
    rev = list(reversed(steps))
    return tuple(PathStep(s.address, s.location, rev[i - 1].edge if i else "")
                 for i, s in enumerate(rev))


def _pairs(path: tuple[str, ...]) -> list[tuple[str, str]]:
    """Stored reach paths alternate node, edge, node...; pair each node with the edge into it."""
    out = [(path[0], "")]
    for i in range(1, len(path), 2):
        out.append((path[i + 1], path[i]))
    return out


def _node_truth(ctx: Any, check: Check, node: str) -> Optional[bool]:
    """True, False or None (unknown: e.g. a control a dialect cannot state); judged as `through` is (ctx.judge)."""
    res = _resource(ctx.graph, node)
    return ctx.judge(check, res) if res is not None else False


def _matches_node(ctx: Any, check: Optional[Check], node: str) -> bool:
    if check is None:
        return False
    res = _resource(ctx.graph, node)
    return res is not None and ctx.judge(check, res) is True


def searches(ctx: Any, source: str, through: Optional[Check], avoid: Optional[Check],
             max_hops: int) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Paths along edges known to carry traffic, and the nodes reached only when unknown edges are taken too."""
    uncertain: list[bool] = []
    sure = search(ctx, source, through, avoid, max_hops, uncertain)
    if not uncertain:
        return sure, frozenset()
    maybe = search(ctx, source, through, avoid, max_hops, None)
    return sure, frozenset(maybe) - frozenset(sure)


def search(ctx: Any, source: str, through: Optional[Check], avoid: Optional[Check],
           max_hops: int, uncertain: Optional[list[bool]] = None) -> dict[str, tuple[str, ...]]:
    """Shortest attack path from ``source`` to every node, along TRAFFIC_EDGES.

    With ``through``, a path counts only once it has passed a matching node;
    with ``not_through``, matching nodes are never passed (they may still be
    reached, as the end of a path), and nodes whose test is unknown are passed
    only when unknown edges are taken too. Edges whose ``reach`` is False are never
    taken; edges whose ``reach`` is unknown (None) are taken only when
    ``uncertain`` is None, else skipped and noted in ``uncertain``.
    """
    graph = ctx.graph
    if source not in graph:
        return {}
    traffic = ctx.traffic()
    start = (source, through is None)
    parents: dict[tuple[str, bool], Optional[tuple[tuple[str, bool], str]]] = {start: None}
    queue = deque([(start, 0)])
    result: dict[str, tuple[str, ...]] = {}
    avoided: dict[str, bool] = {}   # each node's through / not_through test runs once per search
    passed: dict[str, bool] = {}
    while queue:
        state, depth = queue.popleft()
        node, satisfied = state
        if satisfied and node not in result and node != source:
            result[node] = _unwind(parents, state)
        if depth >= max_hops:
            continue
        if node != source and avoid is not None:
            blocks = _memo(avoided, node, lambda n: _node_truth(ctx, avoid, n))
            if blocks is True:
                continue
            if blocks is None and uncertain is not None:    # may block: only the second search passes
                uncertain.append(True)
                continue
        for other, kind, reach in traffic.get(node, ()):
            if not _passable(reach, uncertain):
                continue
            ok = satisfied or _memo(passed, other, lambda n: _matches_node(ctx, through, n))
            nstate = (other, ok)
            if nstate in parents or other in (INTERNET, ANYONE):
                continue
            parents[nstate] = (state, kind)
            queue.append((nstate, depth + 1))
    return result


def _memo(cache: dict[str, Any], node: str, test: Callable[[str], Any]) -> Any:
    if node not in cache:
        cache[node] = test(node)
    return cache[node]


def traffic_adjacency(graph: Any) -> dict[str, tuple[tuple[str, str, Optional[bool]], ...]]:
    """Each node's neighbours along edges that carry traffic from it, as ``(other, kind, reach)``.

    Forward edges then backward ones, each in adjacency order (as out_edges / in_edges list them),
    so searches meet neighbours in the same order whichever way they read them; attack techniques
    are left out. ``reach`` is the edge's: True (absent), False or None (see :func:`_passable`).
    Built once per scan and shared by every search: the edge views cost more than the searches.
    """
    # the edge views walk networkx's own dicts; the adjacency views' Mapping protocol costs twice as much
    out: dict[str, list[tuple[str, str, Optional[bool]]]] = {}
    for source, target, kind, reach in graph.out_edges(keys=True, data="reach", default=True):
        if TRAFFIC_EDGES.get(kind) == "forward" and kind not in TECHNIQUE_EDGES:
            out.setdefault(source, []).append((target, kind, reach))
    for source, target, kind, reach in graph.in_edges(keys=True, data="reach", default=True):
        if TRAFFIC_EDGES.get(kind) == "backward" and kind not in TECHNIQUE_EDGES:
            out.setdefault(target, []).append((source, kind, reach))
    return {node: tuple(found) for node, found in out.items()}


def _passable(reach: Optional[bool], uncertain: Optional[list[bool]]) -> bool:
    """Whether a search may take an edge of this ``reach``: never when it is false; when it is unknown, only
    in the search that counts unknown edges as taken (``uncertain`` is None), the other one noting it skipped one."""
    if reach is False:
        return False
    if reach is None and uncertain is not None:
        uncertain.append(True)
        return False
    return True


def _unwind(parents: dict[Any, Any], state: Any) -> tuple[str, ...]:
    out: list[str] = []
    cur = state
    while cur is not None:
        link = parents[cur]
        out.append(cur[0])
        if link is None:
            break
        out.append(link[1])
        cur = link[0]
    return tuple(reversed(out))
