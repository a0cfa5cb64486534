"""Compile a validated condition tree into plain closures answering True / False / None (unknown).

A compiled check is ``check(ctx, resource, scope_value, prefix) -> Outcome``
where ``Outcome = (truth, evidence_paths, graph_path)``. ``scope_value`` is
the value the paths are relative to (the resource's attributes, or one
element inside ``some`` / ``every``) and ``prefix`` its absolute path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Optional

from ..formats import TYPE_GROUPS
from ..graph.cidr import network
from ..model import UNKNOWN_BLOCKS, PathStep, Resource, Unknown, is_unknown
from .defaults import effective
from .graphsearch import connected_check, leads_to_check, reachable_check, traffic_adjacency
from .operators import CIDR_OPERATORS, OPERATORS, REGEX_OPERATORS, compile_regex
from .paths import DescendantsMemo, elements, named_finder, resolve, split_path

Tri = Optional[bool]
Outcome = tuple[Tri, tuple[str, ...], tuple[PathStep, ...]]
Check = Callable[["EvalContext", Resource, Any, str], Outcome]

_NO: Outcome = (False, (), ())


class CompileError(Exception):
    """A condition that validates but cannot be compiled; ``where`` is the path inside the policy."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


class EvalContext:
    """Per-scan state shared by every check: the graph and caches of graph searches."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        # search key -> (shortest path to each reached address, its PathSteps built on demand)
        self.reach_cache: dict[Hashable, tuple[dict[str, tuple[str, ...]],
                                               dict[str, tuple[PathStep, ...]]]] = {}
        # ``**`` expansions of the resource being evaluated, shared by its policies (see resolve)
        self.descendants: DescendantsMemo = {}
        # the paths of further offending elements (a second container, rule, statement) found by
        # the check running now, beyond its evidence; only kept when the whole check holds
        self.extra: list[str] = []
        self._effective: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._kinds: dict[str, dict[str, frozenset[str]]] = {}
        self._traffic: Optional[dict[str, tuple[tuple[str, str, Optional[bool]], ...]]] = None

    def traffic(self) -> dict[str, tuple[tuple[str, str, Optional[bool]], ...]]:
        """Each node's traffic neighbours (graphsearch.traffic_adjacency), built once per scan."""
        if self._traffic is None:
            self._traffic = traffic_adjacency(self.graph)
        return self._traffic

    def edge_kinds(self, direction: str) -> dict[str, frozenset[str]]:
        """Each node's edge kinds out of it (``out``), into it (``in``) or both; nodes without edges are absent.

        Built once per scan, so a `connected` test on a resource with no edge of its kinds costs one lookup.
        """
        found = self._kinds.get(direction)
        if found is None:
            sets: dict[str, set[str]] = {}
            for source, target, kind in self.graph.edges(keys=True):
                if direction in ("out", "both"):
                    sets.setdefault(source, set()).add(kind)
                if direction in ("in", "both"):
                    sets.setdefault(target, set()).add(kind)
            found = self._kinds[direction] = {node: frozenset(kinds) for node, kinds in sets.items()}
        return found

    def effective(self, resource: Resource) -> tuple[Any, dict[str, Any]]:
        """The resource's attributes with provider defaults filled in, and the paths filled (cached per scan)."""
        found = self._effective.get(resource.address)
        if found is None or found[0] is None:
            if found is not None:  # asked again while its own defaults are computed
                return resource.attributes, {}
            self._effective[resource.address] = (None, {})
            mark = len(self.extra)
            try:
                found = self._effective[resource.address] = effective(self, resource)
            except Exception:
                del self._effective[resource.address]  # a failure is not remembered as "nothing filled"
                raise
            finally:
                del self.extra[mark:]
        return found

    def judge(self, check: Check, resource: Resource) -> Tri:
        """``check`` on another resource (a graph neighbour), its effective attributes, no extra elements kept."""
        mark = len(self.extra)
        truth = check(self, resource, self.effective(resource)[0], "")[0]
        del self.extra[mark:]
        return truth


def static_types(node: dict[str, Any]) -> Optional[frozenset[str]]:
    """The resource types for which ``node`` can hold, as its type tests say; None when they do not limit it.

    A bare type test limits to its types; ``all`` to what every limiting member allows; ``any`` to
    what some member allows, when each member limits. Nothing else (``not``, attribute and graph
    tests) limits: their resource is the one being judged, so only the type tests of that
    resource's own condition count, not those inside a graph test's ``where``.
    """
    if "type" in node and "path" not in node:
        return expand_types(node["type"])
    if "all" in node:
        limits = [t for t in map(static_types, node["all"]) if t is not None]
        return frozenset.intersection(*limits) if limits else None
    if "any" in node:
        members = [static_types(c) for c in node["any"]]
        limits = [t for t in members if t is not None]
        if members and len(limits) == len(members):
            return frozenset().union(*limits)
    return None


def expand_types(types: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for t in types:
        out |= TYPE_GROUPS.get(t, {t})
    return frozenset(out)


def _through_maps(segments: tuple[str, ...], fn: Callable[[Any, Any], Tri], operand: Any,
                  general: Check) -> Check:
    """An attribute test on a path of names (most are), walking maps without building candidates.

    Through maps such a path reaches one value at most, for which both
    quantifiers agree; anything else (a list, an unknown) goes to ``general``.
    """
    joined = ".".join(segments)

    def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
        value = v
        for seg in segments:
            if not isinstance(value, dict):
                return general(ctx, r, v, p)
            if seg not in value:
                return _NO
            value = value[seg]
        if isinstance(value, Unknown):
            return None, (), ()
        truth = fn(value, operand)
        if truth is True:
            base = p.rstrip(".")
            return True, (f"{base}.{joined}" if base else joined,), ()
        return (None, (), ()) if truth is None else _NO
    return run


class Compiler:
    """Turns one policy's condition tree into a check, resolving parameters."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def compile(self, node: dict[str, Any], where: str = "condition") -> Check:
        if "all" in node:
            return self._all([self.compile(c, f"{where}.all[{i}]") for i, c in enumerate(node["all"])],
                             static_types(node))
        if "any" in node:
            return self._any([self.compile(c, f"{where}.any[{i}]") for i, c in enumerate(node["any"])],
                             [_searches(c) for c in node["any"]], [static_types(c) for c in node["any"]])
        if "not" in node:
            return self._not(self.compile(node["not"], f"{where}.not"))
        if "type" in node and "path" not in node:
            types = expand_types(node["type"])
            return lambda ctx, r, v, p: ((r.type in types), (), ())
        if "connected" in node:
            return self._connected(node["connected"], f"{where}.connected")
        if "reachable_from" in node:
            return self._reachable(node["reachable_from"], f"{where}.reachable_from")
        if "leads_to" in node:
            spec = node["leads_to"]
            return leads_to_check(spec, self.compile(spec["where"], f"{where}.leads_to.where"))
        return self._attribute(node, where)

    # -- boolean structure -------------------------------------------------

    @staticmethod
    def _all(checks: list[Check], types: Optional[frozenset[str]]) -> Check:
        """Every check holds; a resource outside ``types`` (the type tests among them) fails at once."""
        def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
            if types is not None and r.type not in types:
                return _NO  # a type test below is false, whatever the other checks say
            unknown = False
            evidence: list[str] = []
            gpath: tuple[PathStep, ...] = ()
            mark = len(ctx.extra)
            for check in checks:
                truth, ev, gp = check(ctx, r, v, p)
                if truth is False:
                    del ctx.extra[mark:]
                    return _NO
                if truth is None:
                    unknown = True
                evidence.extend(ev)
                gpath = _joined(gpath, gp)
            if unknown:
                del ctx.extra[mark:]
            return (None if unknown else True), tuple(evidence), gpath
        return run

    @staticmethod
    def _any(every: list[Check], every_searching: list[bool],
             types: list[Optional[frozenset[str]]]) -> Check:
        """The first true branch; when it has no graph path, a later true ``leads_to`` branch lends its path.

        Branches whose type tests exclude the resource's type are false for it: they are left out
        (the branches for each type are worked out once), which changes no outcome.
        """
        for_type: dict[str, tuple[list[Check], list[bool]]] = {}
        limited = any(t is not None for t in types)

        def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
            if limited:
                branches = for_type.get(r.type)
                if branches is None:
                    kept = [i for i, t in enumerate(types) if t is None or r.type in t]
                    branches = for_type[r.type] = ([every[i] for i in kept], [every_searching[i] for i in kept])
                checks, searching = branches
            else:
                checks, searching = every, every_searching
            unknown = False
            mark = len(ctx.extra)
            for i, check in enumerate(checks):
                out = check(ctx, r, v, p)
                if out[0] is True:
                    if not out[2]:
                        for later, graphy in zip(checks[i + 1:], searching[i + 1:]):
                            more = later(ctx, r, v, p) if graphy else None
                            if more is not None and more[0] is True and more[2]:
                                return True, out[1], more[2]
                    return out
                del ctx.extra[mark:]
                if out[0] is None:
                    unknown = True
            return (None, (), ()) if unknown else _NO
        return run

    @staticmethod
    def _not(check: Check) -> Check:
        def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
            mark = len(ctx.extra)
            truth, ev, gp = check(ctx, r, v, p)
            del ctx.extra[mark:]  # what holds under a negation is not an offending element
            return (None if truth is None else not truth), ev, ()
        return run

    # -- attribute tests ---------------------------------------------------

    def _operand(self, value: Any, where: str) -> Any:
        if isinstance(value, dict) and "param" in value:
            name = value["param"]
            if name not in self.params:
                raise CompileError(where, f"parameter {name!r} is not declared under `parameters`")
            return self.params[name]
        return value

    def _attribute(self, node: dict[str, Any], where: str) -> Check:
        ops = [k for k in node if k not in ("path", "match")]
        if len(ops) != 1:
            raise CompileError(where, f"an attribute test takes exactly one operator, got {ops or 'none'}")
        op = ops[0]
        segments = split_path(node["path"])
        quantifier_all = node.get("match", "any") == "all"
        operand = self._operand(node[op], f"{where}.{op}")
        if op == "exists":
            return self._exists(segments, bool(operand))
        if op in ("some", "every"):
            return self._scoped(segments, self.compile(operand, f"{where}.{op}"), op == "every")
        if op in REGEX_OPERATORS:
            try:
                operand = compile_regex(operand)
            except ValueError as exc:
                raise CompileError(f"{where}.{op}", str(exc)) from None
        elif op == "iam_statement":
            operand = {k: self._operand(x, f"{where}.{op}.{k}") for k, x in operand.items()}
        elif op in CIDR_OPERATORS:
            bad = [x for x in (operand if isinstance(operand, list) else [operand])
                   if not isinstance(x, str) or network(x) is None]
            if bad:
                raise CompileError(f"{where}.{op}", f"not an IP address or CIDR: {bad[0]!r}")
        fn = OPERATORS[op]
        find = named_finder(segments)

        def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
            found = resolve(v, segments, p, ctx.descendants) if find is None else find(v, p, ctx.descendants)
            if not found:
                return _NO
            hits: list[str] = []
            unknown = False
            for index, (path, value) in enumerate(found):
                truth = None if isinstance(value, Unknown) else fn(value, operand)
                if truth is True:
                    hits.append(path)
                    if not quantifier_all:
                        # the other values that offend too are further elements of this finding
                        ctx.extra.extend(q for q, x in found[index + 1:]
                                         if not isinstance(x, Unknown) and fn(x, operand) is True)
                        return True, (path,), ()
                elif truth is None:
                    unknown = True
                elif quantifier_all:
                    return _NO
            if unknown:
                return None, (), ()
            return (True, tuple(hits), ()) if hits else _NO
        if not segments or "*" in segments or "**" in segments:
            return run
        return _through_maps(segments, fn, operand, run)

    @staticmethod
    def _exists(segments: tuple[str, ...], want: bool) -> Check:
        def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
            present: list[str] = []
            unknown_parent = False
            for path, x in resolve(v, segments, p):
                if is_unknown(x) and (len(split_path(path)) < len(split_path(p)) + len(segments)
                                      or getattr(x, "reason", "") == UNKNOWN_BLOCKS):
                    unknown_parent = True  # the child (or the block itself: a dynamic one) may or may not be set
                elif isinstance(x, list) and x and all(getattr(e, "reason", "") == UNKNOWN_BLOCKS for e in x):
                    unknown_parent = True  # only dynamic blocks over collections known at apply: maybe none
                elif x is not None:
                    present.append(path)
            if present:
                return want, tuple(present[:1]), ()
            if unknown_parent:
                return None, (), ()
            return (not want), (), ()
        return run

    @staticmethod
    def _scoped(segments: tuple[str, ...], inner: Check, every: bool) -> Check:
        def run(ctx: EvalContext, r: Resource, v: Any, p: str) -> Outcome:
            found = elements(resolve(v, segments, p))
            if not found:
                return _NO
            unknown = False
            mark = len(ctx.extra)
            for index, (path, element) in enumerate(found):
                if is_unknown(element):
                    unknown = True
                    continue
                truth, ev, gp = inner(ctx, r, element, path + ".")
                if truth is True and not every:
                    _more_elements(ctx, r, inner, found[index + 1:])
                    return True, ev or (path,), gp
                if truth is False and every:
                    del ctx.extra[mark:]
                    return _NO
                if truth is None:
                    unknown = True
            del ctx.extra[mark:]
            if unknown:
                return None, (), ()
            return (True, (found[0][0],), ()) if every else _NO
        return run

    # -- graph tests (searches in graphsearch.py) ---------------------------

    def _connected(self, spec: dict[str, Any], where: str) -> Check:
        target = self.compile(spec["where"], f"{where}.where") if "where" in spec else None
        return connected_check(spec, target)

    def _reachable(self, spec: dict[str, Any], where: str) -> Check:
        through = self.compile(spec["through"], f"{where}.through") if "through" in spec else None
        avoid = self.compile(spec["not_through"], f"{where}.not_through") if "not_through" in spec else None
        # equal specs compile to the same search (given the parameters, when the spec reads any):
        # the key lets a dozen `reachable_from: {node: internet}` share one search per scan
        key = ("reachable_from", repr(spec), repr(self.params) if _reads_params(spec) else None)
        return reachable_check(spec, through, avoid, key)


Keys = Optional[frozenset[str]]  # top-level attribute keys; None: every key


@dataclass(frozen=True)
class Reads:
    """What a condition reads of the resource it judges and of others, found from its text alone.

    ``keys``: the resource's top-level attribute keys (None: every key, as a
    path starting ``*`` or ``**`` reads); ``searches``: whether it walks the
    graph (``connected``, ``reachable_from``, ``leads_to``); ``elsewhere``:
    what it reads of the resources a search reaches, as ``(types, keys)``
    pairs: those keys, on resources of those types (None: any type; a
    search's condition that tests the type can hold for no other).
    scanner/incremental.py re-runs a policy only where an edit touches these.
    """

    keys: Keys = frozenset()
    searches: bool = False
    elsewhere: tuple[tuple[Keys, Keys], ...] = ()

    def __or__(self, other: "Reads") -> "Reads":
        keys = None if self.keys is None or other.keys is None else self.keys | other.keys
        return Reads(keys, self.searches or other.searches, self.elsewhere + other.elsewhere)

    def reads_elsewhere(self, type_: str, changed: Iterable[str]) -> bool:
        """Whether a search of this condition reads one of ``changed`` on a resource of type ``type_``."""
        return any((types is None or type_ in types) and (keys is None or not keys.isdisjoint(changed))
                   for types, keys in self.elsewhere)


def condition_reads(node: Any) -> Reads:
    """:class:`Reads` of a validated condition tree, dispatched as :meth:`Compiler.compile` dispatches it."""
    if not isinstance(node, dict):
        return Reads(None, True, ((None, None),))  # not a condition this compiler knows: everything
    if "all" in node or "any" in node:
        out = Reads()
        for child in node.get("all") or node.get("any") or ():
            out = out | condition_reads(child)
        return out
    if "not" in node:
        return condition_reads(node["not"])
    if "type" in node and "path" not in node:
        return Reads()
    if "connected" in node:
        spec = node["connected"]
        return _searching(*([spec["where"]] if "where" in spec else []))
    if "reachable_from" in node:
        spec = node["reachable_from"]
        return _searching(*(spec[part] for part in ("through", "not_through") if part in spec))
    if "leads_to" in node:
        return _searching(node["leads_to"]["where"])
    segments = split_path(node.get("path", ""))
    keys = None if not segments or segments[0] in ("*", "**") else frozenset(segments[:1])
    out = Reads(keys)
    for op in ("some", "every"):
        if op in node:  # the inner condition reads inside the elements: under the same key
            inner = condition_reads(node[op])
            out = out | Reads(frozenset(), inner.searches, inner.elsewhere)
    return out


def _searching(*conditions: Any) -> Reads:
    """A graph search, and ``conditions`` tested on the resources it reaches."""
    out = Reads(frozenset(), True)
    for condition in conditions:
        inner = condition_reads(condition)
        types = static_types(condition) if isinstance(condition, dict) else None
        out = out | Reads(frozenset(), True, ((types, inner.keys), *inner.elsewhere))
    return out


def _joined(first: tuple[PathStep, ...], then: tuple[PathStep, ...]) -> tuple[PathStep, ...]:
    """The path of an ``all``: a path ending where the next begins (reachable_from, then leads_to) continues it."""
    if first and then and first[-1].address == then[0].address:
        return first + then[1:]
    return first or then


def _searches(node: Any) -> bool:
    """Whether a condition (sub)tree holds a `leads_to` (whose path an `any` may borrow)."""
    if isinstance(node, dict):
        return "leads_to" in node or any(_searches(x) for x in node.values())
    if isinstance(node, list):
        return any(_searches(x) for x in node)
    return False


def _more_elements(ctx: EvalContext, r: Resource, inner: Check, rest: list[tuple[str, Any]]) -> None:
    """After the first element that offends, note the others that do (their first evidence path)."""
    for path, element in rest:
        if is_unknown(element):
            continue
        mark = len(ctx.extra)
        truth, ev, _ = inner(ctx, r, element, path + ".")
        if truth is True:
            ctx.extra.append(ev[0] if ev else path)
        else:
            del ctx.extra[mark:]


def _reads_params(node: Any) -> bool:
    """Whether a condition (sub)tree refers to a parameter anywhere."""
    if isinstance(node, dict):
        return "param" in node or any(_reads_params(x) for x in node.values())
    if isinstance(node, list):
        return any(_reads_params(x) for x in node)
    return False
