"""Refuse policy regular expressions shaped for catastrophic backtracking, before they ever run.

Python's ``re`` has no time limit, so a pattern such as ``(a+)+$`` or
``(a|ab)*c`` can take exponential time on a short hostile value. Two shapes
cause nearly all such blow-ups, and both are refused:

- a repeated group whose body repeats without bound: ``(a+)+``, ``((ab)*c)*``;
- a repeated group whose alternatives can start the same way (or be empty):
  ``(a|ab)*``, ``(x|)+``.
"""

from __future__ import annotations

import re
from typing import Optional

_REPEAT_AFTER = re.compile(r"[*+]|\{\d*,\d*\}|\{\d+\}")
_GROUP_PREFIX = re.compile(r"\?(?:P<\w+>|P=\w+\)|[:=!]|<[=!]|[aiLmsux-]+[:)])")


class _Group:
    __slots__ = ("unbounded", "branches", "current")

    def __init__(self) -> None:
        self.unbounded = False       # the body contains * + or {n,} (directly or in a subgroup)
        self.branches: list[str] = []
        self.current = ""            # first token of the branch being read ('' = empty so far)


def _token_at(pattern: str, i: int) -> tuple[str, int]:
    """The atom starting at ``i`` and the index after it."""
    if pattern[i] == "\\" and i + 1 < len(pattern):
        return pattern[i:i + 2], i + 2
    if pattern[i] == "[":
        j = i + 1
        if j < len(pattern) and pattern[j] == "^":
            j += 1
        if j < len(pattern) and pattern[j] == "]":
            j += 1
        while j < len(pattern) and pattern[j] != "]":
            j += 2 if pattern[j] == "\\" else 1
        return pattern[i:j + 1], j + 1
    return pattern[i], i + 1


def _repeats(pattern: str, i: int) -> tuple[bool, bool]:
    """For a quantifier at ``i``: (may it repeat more than once, is it unbounded)."""
    m = _REPEAT_AFTER.match(pattern, i)
    if not m:
        return False, False
    text = m.group()
    if text in ("*", "+") or text.endswith(",}"):
        return True, True
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    return bool(numbers) and max(numbers) > 1, False


def danger(pattern: str) -> Optional[str]:
    """Why ``pattern`` risks catastrophic backtracking, or None."""
    if "(" not in pattern:  # both shapes need a group
        return None
    stack: list[_Group] = [_Group()]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "(":
            stack.append(_Group())
            i += 1
            if pattern.startswith("?", i):  # (?: (?P<name> (?= ... : skip the group's prefix
                m = _GROUP_PREFIX.match(pattern, i)
                i = m.end() if m else i + 1
                if m and m.group().endswith(")"):  # (?i) or (?P=name): a whole group, no body
                    stack.pop()
            continue
        if ch == "|":
            stack[-1].branches.append(stack[-1].current)
            stack[-1].current = ""
            i += 1
            continue
        if ch == ")" and len(stack) > 1:
            group = stack.pop()
            group.branches.append(group.current)
            i += 1
            many, unbounded = _repeats(pattern, i)
            if many:
                if group.unbounded:
                    return "a repeated group repeats inside itself, e.g. (a+)+"
                if len(group.branches) > 1 and ("" in group.branches
                                                or len(set(group.branches)) < len(group.branches)):
                    return "a repeated group has alternatives that start alike or are empty, e.g. (a|ab)*"
            parent = stack[-1]
            parent.unbounded = parent.unbounded or group.unbounded or unbounded
            parent.current = parent.current or "(group)"
            continue
        token, i = _token_at(pattern, i)
        if token in ("^", "$"):
            continue
        if _repeats(pattern, i)[1]:
            stack[-1].unbounded = True
        stack[-1].current = stack[-1].current or token
    return None
