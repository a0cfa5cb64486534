"""Validated policy documents kept as entries of the parse cache, so start-up skips YAML parsing and schema validation.

One store, one stamp: an entry lives in the parse cache's database
(scanner/cache.py) under its key of the policy file's bytes, the parser name
``policy`` and riskgraph's code stamp (code, schemas, key libraries, Python).
It therefore has the parse cache's integrity digest, its restricted
unpickler, its size bound and its switch (``--no-cache`` /
``RISKGRAPH_NO_CACHE=1``, ``RISKGRAPH_CACHE_DIR``). The value is plain data
only: the parsed document and its line map, stored only for files that
validated and compiled. A changed file has another key, and a broken,
missing or unreadable entry is ignored: either way the file is read and
validated again, so a broken file is always refused.
"""

from __future__ import annotations

from typing import Any, Optional

from ..cache import ParseCache

PARSER = "policy"
Entry = tuple[Any, dict[str, int]]
_SCALARS = (str, int, float, bool, type(None))


def lookup(cache: ParseCache, data: bytes) -> tuple[str, Optional[Entry]]:
    """The entry's key for a policy file's bytes, and its stored (document, lines) when sound."""
    key = cache.key(PARSER, data)
    found, value = cache.get(key)
    if found and _is_entry(value):
        return key, value
    return key, None


def store(cache: ParseCache, key: str, document: Any, lines: dict[str, int]) -> None:
    """Keep a document that validated and compiled (written when the cache flushes); anything not plain data is left out."""
    entry = (document, dict(lines))
    if _plain(entry):  # e.g. a YAML timestamp: its class could not be read back, so not stored
        cache.put(key, entry)


def _is_entry(value: Any) -> bool:
    """The shape :func:`store` writes (the integrity digest already vouches for the bytes)."""
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dict)
            and isinstance(value[1], dict))


def _plain(value: Any) -> bool:
    """True when ``value`` is built only of dicts, lists, tuples and JSON scalars."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif not isinstance(v, _SCALARS):
            return False
    return True
