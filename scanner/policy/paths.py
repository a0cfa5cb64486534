"""Attribute paths in policies: ``a.*."x.y".b``, ``**.name``; splitting them and resolving them in a value tree.

The hottest code of a scan (every policy test resolves a path): plain names
through maps take a fast path; ``**`` expansions are memoised per value
(:class:`Expansion`) so the policies of one resource share them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Optional

from ..model import Unknown

# (id of a value, its path) -> that value's ``**`` expansion
DescendantsMemo = dict[tuple[int, str], "Expansion"]


@lru_cache(maxsize=8192)
def split_path(path: str) -> tuple[str, ...]:
    """``a.*."x.y".b`` -> ``('a', '*', 'x.y', 'b')`` (memoised: evidence paths repeat across resources)."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in path:
        if ch == '"':
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return tuple(p for p in parts if p != "")


def resolve(value: Any, segments: tuple[str, ...], prefix: str,
            memo: Optional[DescendantsMemo] = None) -> list[tuple[str, Any]]:
    """Every (absolute path, value) the segments reach; an unknown stops the walk and is returned.

    A name segment applied to a list applies to each element, so Terraform
    blocks (always lists) read naturally: ``versioning.enabled``. ``memo``
    keeps ``**`` expansions for reuse by the next policy on the same value.
    """
    path = prefix.rstrip(".")
    # the hottest function of a scan: most paths are names through maps, which reach one value
    # at most, so walk those without building candidate lists
    for i, seg in enumerate(segments):
        if seg == "*" or seg == "**" or not isinstance(value, dict):
            return _resolve_all([(path, value)], segments[i:], memo)
        if seg not in value:
            return []
        value = value[seg]
        path = f"{path}.{seg}" if path else seg
    return [(path, value)]


def _resolve_all(current: list[tuple[str, Any]], segments: tuple[str, ...],
                 memo: Optional[DescendantsMemo]) -> list[tuple[str, Any]]:
    """``resolve`` from several candidates at once, one segment after another."""
    i = 0
    while i < len(segments) and current:
        seg = segments[i]
        after = segments[i + 1] if i + 1 < len(segments) else "*"
        if seg == "**" and memo is not None and after not in ("*", "**") and not after.isdigit():
            current = _descendants_named(current, after, memo)  # ``**.name`` in one step
            i += 2
            continue
        if seg == "**":
            current = _step_descendants(current, memo)
        elif seg == "*":
            current = _step_all(current)
        else:
            current = _step_name(current, seg)
        i += 1
    return current


def _step_descendants(current: list[tuple[str, Any]],
                      memo: Optional[DescendantsMemo]) -> list[tuple[str, Any]]:
    """The ``**`` segment: every value at or below each candidate."""
    nxt: list[tuple[str, Any]] = []
    for path, v in current:
        if isinstance(v, Unknown):
            nxt.append((path, v))
        elif memo is None:
            nxt.extend(_descendants(path, v))
        else:
            nxt.extend(_expansion(path, v, memo).items)
    return nxt


def _descendants_named(current: list[tuple[str, Any]], name: str,
                       memo: DescendantsMemo) -> list[tuple[str, Any]]:
    """``**`` then the (non-index) name segment ``name``."""
    nxt: list[tuple[str, Any]] = []
    for path, v in current:
        if isinstance(v, Unknown):
            nxt.append((path, v))  # an unknown stops the walk: both segments keep it
        else:
            nxt.extend(_expansion(path, v, memo).named(name))
    return nxt


def _step_all(current: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The ``*`` segment: every entry of a map, every element of a list."""
    nxt: list[tuple[str, Any]] = []
    for path, v in current:
        base = path + "." if path else ""
        if isinstance(v, dict):
            nxt.extend((f"{base}{k}", x) for k, x in v.items())
        elif isinstance(v, list):
            nxt.extend((f"{base}{i}", x) for i, x in enumerate(v))
        elif isinstance(v, Unknown):
            nxt.append((path, v))
    return nxt


def _step_name(current: list[tuple[str, Any]], seg: str) -> list[tuple[str, Any]]:
    """A name (or index) segment: a map's key, a list's element, or the key in each element."""
    index = int(seg) if seg.isdigit() else -1
    nxt: list[tuple[str, Any]] = []
    for path, v in current:
        if isinstance(v, dict):
            if seg in v:
                nxt.append((f"{path}.{seg}" if path else seg, v[seg]))
        elif isinstance(v, list):
            base = path + "." if path else ""
            if index >= 0:
                if index < len(v):
                    nxt.append((f"{base}{seg}", v[index]))
                continue
            for i, x in enumerate(v):
                if isinstance(x, dict):
                    if seg in x:
                        nxt.append((f"{base}{i}.{seg}", x[seg]))
                elif isinstance(x, Unknown):
                    nxt.append((f"{base}{i}", x))
        elif isinstance(v, Unknown):
            nxt.append((path, v))
    return nxt


Finder = Callable[[Any, str, DescendantsMemo], list[tuple[str, Any]]]


def named_finder(segments: tuple[str, ...]) -> Optional[Finder]:
    """For a ``**.name`` path (RG-SEC-002 has 14), ``resolve`` going straight to its one step."""
    if len(segments) != 2 or segments[0] != "**" or segments[1] in ("*", "**") or segments[1].isdigit():
        return None
    name = segments[1]
    return lambda v, p, memo: _descendants_named([(p.rstrip("."), v)], name, memo)


def elements(found: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The elements ``some`` / ``every`` range over: a list's items, or the value itself."""
    out: list[tuple[str, Any]] = []
    for path, value in found:
        if isinstance(value, list):
            out.extend((f"{path}.{i}" if path else str(i), x) for i, x in enumerate(value))
        else:
            out.append((path, value))
    return out


class Expansion:
    """A value's ``**`` expansion, built on first use, and what lets ``**.name`` skip most of it."""

    __slots__ = ("path", "value", "_items", "_keys", "_unknowns")

    def __init__(self, path: str, value: Any) -> None:
        self.path = path
        self.value = value  # held so that its id is not reused while the memo keeps the entry
        self._items: Optional[list[tuple[str, Any]]] = None
        self._keys: set[Any] = set()
        self._unknowns: Optional[list[tuple[str, Any]]] = None

    @property
    def items(self) -> list[tuple[str, Any]]:
        """Every (path, value) at or below the value."""
        if self._items is None:
            self._items = _descendants(self.path, self.value)
        return self._items

    def named(self, name: str) -> list[tuple[str, Any]]:
        """``_step_name(self.items, name)`` for a name that is not an index."""
        if self._unknowns is None:
            if self._items is None:
                self._keys, unknown = _keys_below(self.value)
                if not unknown:  # no unknown to report: paths are needed only when the key is there
                    self._unknowns = []
            if self._unknowns is None:
                self._index()
        if name in self._keys:
            return _step_name(self.items, name)
        # no map here has the key: the step finds only the unknowns (most names, most resources)
        return self._unknowns  # type: ignore[return-value]

    def _index(self) -> None:
        """Every key of every map the name step looks into, and what it finds when none matches."""
        keys: set[Any] = set()
        unknowns: list[tuple[str, Any]] = []
        for path, v in self.items:
            if isinstance(v, dict):
                keys.update(v)
            elif isinstance(v, list):
                base = path + "." if path else ""
                for i, x in enumerate(v):
                    if isinstance(x, dict):
                        keys.update(x)
                    elif isinstance(x, Unknown):
                        unknowns.append((f"{base}{i}", x))
            elif isinstance(v, Unknown):
                unknowns.append((path, v))
        self._keys, self._unknowns = keys, unknowns


def _keys_below(value: Any) -> tuple[set[Any], bool]:
    """The keys of every map ``**`` reaches from ``value``, and whether it reaches an unknown."""
    keys: set[Any] = set()
    unknown = False
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            keys.update(v)
            stack.extend([x for k, x in v.items() if not str(k).startswith("$")])
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, Unknown):
            unknown = True
    return keys, unknown


def _expansion(path: str, value: Any, memo: DescendantsMemo) -> Expansion:
    hit = memo.get((id(value), path))
    if hit is None or hit.value is not value:  # the entry holds ``value``, so its id is not reused
        if len(memo) >= 64:  # resources are evaluated one after another: keep only recent ones
            memo.clear()
        hit = memo[(id(value), path)] = Expansion(path, value)
    return hit


def _descendants(path: str, value: Any) -> list[tuple[str, Any]]:
    """Every value at or below ``value`` (the ``**`` segment), derived ``$`` keys excluded."""
    out: list[tuple[str, Any]] = []
    stack = [(path, value)]
    while stack:
        p, v = stack.pop()
        out.append((p, v))
        if isinstance(v, dict):
            base = p + "." if p else ""
            children = [(f"{base}{k}", x) for k, x in v.items() if not str(k).startswith("$")]
        elif isinstance(v, list):
            base = p + "." if p else ""
            children = [(f"{base}{i}", x) for i, x in enumerate(v)]
        else:
            continue
        children.reverse()  # popped in document order
        stack.extend(children)
    return out
