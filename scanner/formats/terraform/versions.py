"""Module version constraints (`~> 5.1`, `>= 4.0, < 6`) as intervals, and whether two of them overlap."""

from __future__ import annotations

import re
from typing import Optional

Version = tuple[int, int, int]
# (low, low inclusive, high, high inclusive); None for an open end
Interval = tuple[Optional[Version], bool, Optional[Version], bool]

_PART = re.compile(r"^\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?\s*$")
ANY: Interval = (None, True, None, True)


def parse_version(text: str) -> Optional[Version]:
    """``"5.1"`` -> (5, 1, 0); ``"v5.1.2"`` too; None for anything else (a branch name, a commit)."""
    m = _PART.match(text or "")
    if m is None or m.group(1):
        return None
    return (int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0))


def parse_constraint(text: str) -> Optional[Interval]:
    """The interval a constraint allows, or None when it cannot be read.

    ``!=`` excludes one version and is ignored (the interval stays a safe
    over-approximation); ``~> 5.1`` is ``>= 5.1.0, < 6.0.0``, ``~> 5.1.2`` is
    ``>= 5.1.2, < 5.2.0``, as Terraform reads them.
    """
    low: Optional[Version] = None
    low_in, high_in = True, True
    high: Optional[Version] = None
    for part in (text or "").split(","):
        m = _PART.match(part)
        if m is None:
            return None
        op = m.group(1) or "="
        given = sum(1 for g in m.group(2, 3, 4) if g is not None)
        v = (int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0))
        bounds: list[tuple[str, Version, bool]] = []
        if op in ("=", ">=", ">", "~>"):
            bounds.append(("low", v, op != ">"))
        if op in ("=", "<=", "<"):
            bounds.append(("high", v, op != "<"))
        if op == "~>":
            top = (v[0] + 1, 0, 0) if given <= 2 else (v[0], v[1] + 1, 0)
            bounds.append(("high", top, False))
        for side, bound, inclusive in bounds:
            if side == "low" and (low is None or bound > low or (bound == low and not inclusive)):
                low, low_in = bound, inclusive
            if side == "high" and (high is None or bound < high or (bound == high and not inclusive)):
                high, high_in = bound, inclusive
    return (low, low_in, high, high_in)


def overlap(a: Interval, b: Interval) -> bool:
    """True when some version lies in both intervals."""
    lows = [(x[0], x[1]) for x in (a, b) if x[0] is not None]
    highs = [(x[2], x[3]) for x in (a, b) if x[2] is not None]
    if not lows or not highs:
        return True
    low, low_in = max(lows, key=lambda p: (p[0], not p[1]))
    high, high_in = min(highs, key=lambda p: (p[0], p[1]))
    return low < high or (low == high and low_in and high_in)


def newest(a: Interval, b: Interval) -> bool:
    """True when ``a`` reaches later versions than ``b`` (an open top is the newest)."""
    if a[2] is None or b[2] is None:
        return a[2] is None and b[2] is not None
    return a[2] > b[2]
