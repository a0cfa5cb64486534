"""A JSON reader that keeps the line of every object, array and key (for `.tf.json` and plan JSON).

Python's ``json`` module forgets positions, so this is a small iterative
parser: strings are decoded by ``json.decoder.scanstring`` (C-accelerated),
numbers and literals by one regular expression, and nesting is kept on an
explicit stack, so deeply nested input cannot overflow the interpreter stack.
Lines are 1-based.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # public in CPython, absent from the stubs
# matches everywhere (possibly empty): its `.match(...)` is never None, which the ignores below tell mypy
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
MAX_DEPTH = 256  # deeper than any real configuration or plan; readers of the result recurse


class JsonError(ValueError):
    """Malformed JSON, with the line where reading stopped."""

    def __init__(self, message: str, line: int, column: int = 0) -> None:
        # a plan is often one line of megabytes: the column says where on it
        super().__init__(f"{message} (line {line}, column {column})" if column else f"{message} (line {line})")
        self.line = line
        self.column = column


@dataclass
class Positions:
    """Lines of a parsed JSON value: containers by identity, and each key of each object."""

    starts: dict[int, int] = field(default_factory=dict)
    keys: dict[int, dict[str, int]] = field(default_factory=dict)
    items: dict[int, list[int]] = field(default_factory=dict)

    def line(self, container: Any, default: int = 1) -> int:
        """The line where an object or array opens."""
        return self.starts.get(id(container), default)

    def key_line(self, obj: Any, key: str, default: int = 1) -> int:
        """The line of ``key`` in object ``obj``."""
        return self.keys.get(id(obj), {}).get(key, default)

    def item_line(self, array: Any, index: int, default: int = 1) -> int:
        """The line where element ``index`` of ``array`` starts."""
        lines = self.items.get(id(array))
        return lines[index] if lines is not None and index < len(lines) else default


def loads(text: str) -> tuple[Any, Positions]:
    """Parse ``text``; raises :class:`JsonError` naming the line of the problem."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    pos = Positions()

    def line_at(i: int) -> int:
        return bisect.bisect_right(newlines, i - 1) + 1 if newlines else 1

    def where(i: int) -> tuple[int, int]:
        """The line and column (from 1) of offset ``i``."""
        line = line_at(i)
        return line, i - (newlines[line - 2] + 1 if line > 1 else 0) + 1

    i = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if text.startswith("\ufeff", i):
        i += 1
    stack: list[tuple[Any, Any]] = []  # (container, pending key for objects)
    root: Any = None
    done = False
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= len(text):
            raise JsonError("unexpected end of JSON", *where(i))
        ch = text[i]
        start = i
        if ch == "{" or ch == "[":
            value: Any = {} if ch == "{" else []
            pos.starts[id(value)] = line_at(i)
            if ch == "{":
                pos.keys[id(value)] = {}
            else:
                pos.items[id(value)] = []
            i += 1
            if len(stack) >= MAX_DEPTH:
                raise JsonError("JSON nested too deeply", *where(i))
            nested = True
        elif ch == '"':
            try:
                value, i = _scanstring(text, i + 1, False)
            except ValueError as exc:
                raise JsonError(f"bad string: {exc.args[0].split(':')[0]}", *where(i)) from None
            nested = False
        else:
            m = _NUMBER.match(text, i)
            if m and m.end() > i:
                raw = m.group(0)
                value = float(raw) if (m.group(1) or m.group(2)) else int(raw)
                i = m.end()
            else:
                word = next((w for w in _LITERALS if text.startswith(w, i)), None)
                if word is None:
                    raise JsonError(f"unexpected character {ch!r}", *where(i))
                value = _LITERALS[word]
                i += len(word)
            nested = False
        # place the value in its parent
        if stack:
            parent, key = stack[-1]
            if isinstance(parent, dict):
                parent[key] = value
            else:
                pos.items[id(parent)].append(line_at(start))
                parent.append(value)
        else:
            root = value
        if nested:
            stack.append((value, None))
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            closer = "}" if isinstance(value, dict) else "]"
            if text.startswith(closer, i):
                i += 1
                stack.pop()
            elif isinstance(value, dict):
                i = _key(text, i, stack, pos, line_at, where)
                continue
            else:
                continue
        # after a value: ',' or a closer, possibly several
        while True:
            if not stack:
                done = True
                break
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            parent, _ = stack[-1]
            closer = "}" if isinstance(parent, dict) else "]"
            if text.startswith(",", i):
                i += 1
                if isinstance(parent, dict):
                    i = _key(text, i, stack, pos, line_at, where)
                break
            if text.startswith(closer, i):
                i += 1
                stack.pop()
                continue
            raise JsonError(f"expected ',' or {closer!r}", *where(i))
        if done:
            break
    extra = _WS.match(text, i).end()  # type: ignore[union-attr]
    if extra != len(text):
        raise JsonError("extra data after JSON value", *where(extra))
    return root, pos


def _key(text: str, i: int, stack: list[tuple[Any, Any]], pos: Positions, line_at: Any, where: Any) -> int:
    """Read ``"key":`` inside an object; record its line; return the index after the colon.

    ``line_at`` gives the key's line (the hot path); ``where`` places an error (line and column).
    """
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    if not text.startswith('"', i):
        raise JsonError("expected an object key", *where(i))
    try:
        key, i = _scanstring(text, i + 1, False)
    except ValueError:
        raise JsonError("bad object key", *where(i)) from None
    obj = stack[-1][0]
    pos.keys[id(obj)][key] = line_at(i)
    stack[-1] = (obj, key)
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    if not text.startswith(":", i):
        raise JsonError("expected ':'", *where(i))
    return i + 1
