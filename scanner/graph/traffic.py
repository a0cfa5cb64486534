"""Sets of admitted traffic (protocol -> port intervals) and three-valued verdicts, for network filters of every provider.

A :data:`Ports` value maps a protocol (``tcp``, ``udp``, ``icmp``, ``other``)
to sorted, disjoint, inclusive port intervals. ``None`` stands for a set known
only at apply time: operations keep it unknown unless the answer does not
depend on it (the intersection with an empty set is empty).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Optional, overload

from .cidr import covers_everything, scope

Ports = dict[str, tuple[tuple[int, int], ...]]
# one ordered filter rule: (sort key, allows?, ports or None when unknown, source ranges)
Rule = tuple[tuple[Any, ...], bool, Optional["Ports"], list[Any]]
PROTOCOLS = ("tcp", "udp", "icmp", "other")
FULL = ((0, 65535),)
# An attacker's traffic: a service listens on TCP or UDP (ICMP alone reaches no application).
ATTACK = ("tcp", "udp")
_NAMES = {"-1": None, "all": None, "*": None, "any": None, "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp",
          "icmp": "icmp", "1": "icmp", "icmpv6": "icmp", "58": "icmp"}
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def protocols(value: Any) -> Optional[tuple[str, ...]]:
    """The protocols a rule's protocol field names (case-insensitive), or None when unknown."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip().lower()
    if text in _NAMES:
        name = _NAMES[text]
        return PROTOCOLS if name is None else (name,)
    return ("other",)


def interval(low: Any, high: Any) -> Optional[tuple[int, int]]:
    """One inclusive port interval from two bounds (ints or numeric strings), or None when unknown."""
    try:
        lo, hi = int(str(low).strip()), int(str(high).strip())
    except (TypeError, ValueError):
        return None
    if isinstance(low, bool) or isinstance(high, bool):
        return None
    if lo < 0 or hi < 0:          # AWS writes -1 / 0 for "every port" with protocol -1 or icmp
        return FULL[0]
    return (min(lo, hi), max(lo, hi))


def port_spec(value: Any) -> Optional[tuple[tuple[int, int], ...]]:
    """Intervals of a port text: ``"22"``, ``"20-25"``, ``"*"``, or a list of those; None when unknown."""
    items = value if isinstance(value, list) else [value]
    out: list[tuple[int, int]] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            out.append((item, item))
            continue
        if not isinstance(item, str):
            return None
        if item.strip() in ("*", "", "any", "Any"):
            return FULL
        m = _RANGE.match(item)
        if m is None:
            return None
        out.append(interval(m.group(1), m.group(2) or m.group(1)) or FULL[0])
    return _normal(out)


def of(protos: Iterable[str], ranges: Iterable[tuple[int, int]]) -> Ports:
    """The set of ``ranges`` on each of ``protos`` (ports mean nothing for ICMP and other protocols)."""
    spans = _normal(ranges)
    return {p: (spans if p in ("tcp", "udp") else FULL) for p in protos if spans}


@overload
def union(a: Ports, b: Ports) -> Ports: ...
@overload
def union(a: Optional[Ports], b: Optional[Ports]) -> Optional[Ports]: ...
def union(a: Optional[Ports], b: Optional[Ports]) -> Optional[Ports]:
    if a is None or b is None:
        return None
    return {p: _normal([*a.get(p, ()), *b.get(p, ())]) for p in {*a, *b}}


def intersect(a: Optional[Ports], b: Optional[Ports]) -> Optional[Ports]:
    if a is not None and not a or b is not None and not b:
        return {}
    if a is None or b is None:
        return None
    out: Ports = {}
    for p in set(a) & set(b):
        spans = [(max(x[0], y[0]), min(x[1], y[1])) for x in a[p] for y in b[p] if max(x[0], y[0]) <= min(x[1], y[1])]
        if spans:
            out[p] = _normal(spans)
    return out


def subtract(a: Ports, b: Ports) -> Ports:
    """``a`` without ``b`` (both known)."""
    out: Ports = {}
    for p, spans in a.items():
        rest = list(spans)
        for lo, hi in b.get(p, ()):
            nxt = []
            for x, y in rest:
                if hi < x or lo > y:
                    nxt.append((x, y))
                    continue
                if x < lo:
                    nxt.append((x, lo - 1))
                if y > hi:
                    nxt.append((hi + 1, y))
            rest = nxt
        if rest:
            out[p] = tuple(rest)
    return out


def attackable(ports: Optional[Ports]) -> Optional[bool]:
    """True when the set admits TCP or UDP somewhere, None when unknown."""
    if ports is None:
        return None
    return any(ports.get(p) for p in ATTACK)


def describe(ports: Optional[Ports]) -> str:
    """``tcp:22,443 udp:*`` for evidence."""
    if ports is None:
        return "unknown"
    parts = []
    for p in PROTOCOLS:
        spans = ports.get(p)
        if spans:
            text = "*" if spans == FULL else ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in spans)
            parts.append(f"{p}:{text}" if p in ATTACK else p)
    return " ".join(parts) or "nothing"


def any3(values: Iterable[Optional[bool]]) -> Optional[bool]:
    """Three-valued OR: True if one is True, else None if one is unknown, else False."""
    unknown = False
    for v in values:
        if v is True:
            return True
        unknown = unknown or v is None
    return None if unknown else False


def all3(values: Iterable[Optional[bool]]) -> Optional[bool]:
    """Three-valued AND: False if one is False, else None if one is unknown, else True."""
    unknown = False
    for v in values:
        if v is False:
            return False
        unknown = unknown or v is None
    return None if unknown else True


def _normal(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def evaluate(rules: list[Rule]) -> Optional[Ports]:
    """Traffic from the internet a first-match rule list admits (None when a deciding rule is unknown).

    Rules are taken in sort-key order. A deny on every address settles the
    ports it names; a deny on part of the internet leaves other sources to
    later rules; an allow on an internet range (not one address, not a
    provider's range) admits what earlier rules have not settled. Rules on
    private ranges concern no internet source. Unmatched traffic is denied,
    as every provider's implied last rule does.
    """
    decided: Ports = {}
    allowed: Ports = {}
    sure: Optional[Ports] = None     # what was admitted before the first unknown rule
    for _, allow, ports, sources in sorted(rules, key=lambda r: r[0]):
        scopes = [scope(s) for s in sources]
        if ports is None or "unknown" in scopes:
            if sure is None and (allow or "unknown" in scopes or any(covers_everything(s) for s in sources)):
                sure = dict(allowed)
            continue
        fresh = subtract(ports, decided)
        if allow and "internet" in scopes:
            allowed = union(allowed, fresh) or {}
            decided = union(decided, fresh) or {}
        elif not allow and any(covers_everything(s) for s in sources):
            decided = union(decided, fresh) or {}
    if sure is not None and not attackable(sure):
        return None
    return allowed
