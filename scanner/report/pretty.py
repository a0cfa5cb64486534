"""Indented JSON text, byte for byte what ``json.dumps(value, indent=2, ensure_ascii=False)`` writes, faster.

The standard library's C encoder only runs without ``indent``; with it,
``json`` falls back to a generator-based pure-Python encoder. Reports of
thousands of findings spent a tenth of the whole scan there (0.23 s of a
5k-resource scan). This writer appends scalars encoded by the C string
escaper (``encode_basestring``) straight into one list and is 2-3x faster;
tests/test_report_pretty.py checks it against ``json.dumps`` on arbitrary
values.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _string  # the C escaper where available
from typing import Any, Callable, Optional

_CONSTANTS = {None: "null", True: "true", False: "false"}


def dumps(value: Any, indent: int = 2) -> str:
    """``value`` as JSON text; raises TypeError for what ``json.dumps`` cannot encode either."""
    out: list[str] = []
    _emit(value, "", " " * indent, out.append)
    return "".join(out)


string = _string  # one str as JSON text


def dumps_at(value: Any, pad: str, indent: int = 2) -> str:
    """``value`` as it is written nested at indentation ``pad`` (its first line not indented)."""
    out: list[str] = []
    _emit(value, pad, " " * indent, out.append)
    return "".join(out)


def _scalar(value: Any) -> Optional[str]:
    """The text of a scalar of the exact JSON types, or None (containers, subclasses)."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None or kind is bool:
        return _CONSTANTS[value]
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return json.dumps(value)  # repr, or NaN / Infinity exactly as json writes them
    return None


def _emit(value: Any, pad: str, step: str, append: Callable[[str], Any]) -> None:
    text = _scalar(value)
    if text is not None:
        append(text)
    elif isinstance(value, dict):
        if not value:
            append("{}")
            return
        inner = pad + step
        sep, between = "{\n" + inner, ",\n" + inner
        for key, item in value.items():
            head = f"{sep}{_string(key) if type(key) is str else _key(key)}: "
            kind = type(item)  # the common scalars inline: no call per value
            if kind is str:
                append(head + _string(item))
            elif kind is int:
                append(head + int.__repr__(item))
            elif item is None or kind is bool:
                append(head + _CONSTANTS[item])
            else:
                append(head)
                _emit(item, inner, step, append)
            sep = between
        append("\n" + pad + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            append("[]")
            return
        inner = pad + step
        sep, between = "[\n" + inner, ",\n" + inner
        for item in value:
            kind = type(item)
            if kind is str:
                append(sep + _string(item))
            elif kind is int:
                append(sep + int.__repr__(item))
            else:
                append(sep)
                _emit(item, inner, step, append)
            sep = between
        append("\n" + pad + "]")
    else:  # str / int / float subclasses, or something json refuses with the same TypeError
        append(json.dumps(value, ensure_ascii=False))


def _key(key: Any) -> str:
    if type(key) is str:
        return _string(key)
    return json.dumps({key: 0}, ensure_ascii=False)[1:-4]  # json's own rules for non-string keys
