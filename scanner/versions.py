"""Terraform version constraints (`>= 4.0, ~> 4.2`) as half-open intervals: which provider versions a root
allows (policy defaults), which module versions a call asks for (registry module descriptions)."""

from __future__ import annotations

from typing import Optional

Version = tuple[int, int, int]
Interval = tuple[Version, Version]  # [low, high): high is exclusive
NEWEST: Version = (1 << 30, 0, 0)
ANY: Interval = ((0, 0, 0), NEWEST)


def parse_version(text: str) -> Optional[tuple[Version, int]]:
    """``"5.31"`` -> ((5, 31, 0), 2): the version and how many parts were written; None when not a version."""
    core = text.strip().lstrip("v").split("-", 1)[0].split("+", 1)[0]
    parts = core.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return (numbers[0], numbers[1], numbers[2]), len(parts)


def _next_patch(v: Version) -> Version:
    return (v[0], v[1], v[2] + 1)


def _one(term: str) -> Optional[Interval]:
    """The versions one term allows; None for a term we cannot read. ``!=`` is read as allowing
    everything: it only removes single versions, so ignoring it can widen a set, never narrow it."""
    term = term.strip()
    for op in ("~>", ">=", "<=", "!=", ">", "<", "="):
        if term.startswith(op):
            rest = term[len(op):]
            break
    else:
        op, rest = "=", term
    parsed = parse_version(rest)
    if parsed is None:
        return None
    v, written = parsed
    if op == "=":
        return v, _next_patch(v)
    if op == "!=":
        return ANY
    if op == ">=":
        return v, NEWEST
    if op == ">":
        return _next_patch(v), NEWEST
    if op == "<":
        return (0, 0, 0), v
    if op == "<=":
        return (0, 0, 0), _next_patch(v)
    # ~> : the rightmost written part may grow ("~> 4.2" is >= 4.2, < 5.0; "~> 4.2.1" is < 4.3.0)
    if written <= 2:
        return v, (v[0] + 1, 0, 0)
    return v, (v[0], v[1] + 1, 0)


def allowed(constraint: str) -> Optional[Interval]:
    """The interval a comma-separated constraint allows (every term must hold); None when a term is
    unreadable or empty (``""``, ``">= 4.0,"``: Terraform rejects those too)."""
    low, high = ANY
    for term in constraint.split(","):
        one = _one(term)
        if one is None:
            return None
        low, high = max(low, one[0]), min(high, one[1])
    return low, high


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two intervals share a version."""
    return max(a[0], b[0]) < min(a[1], b[1])



def newest(a: Interval, b: Interval) -> bool:
    """Whether ``a`` reaches later versions than ``b`` (an open top is the newest)."""
    return a[1] > b[1]
