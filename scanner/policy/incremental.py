"""Findings kept between scans per resource: a resource evaluated as before gets its graph-free findings back.

A check that never read the graph (``EvalContext.touched`` stayed False)
answered from the resource alone, so its outcome is a function of the
resource as it stands after linking and of the policy. The evaluator
records, per resource, a digest of the whole pickled ``Resource`` (address,
type, attributes, lines, location, references, everything a check or a
finding can read), the findings and counts of those checks, and which
policies did read the graph. The next scan under the same code and the same
policy files and parameters (:func:`namespace`) reuses that record for a
resource whose digest is unchanged, and evaluates only the graph-reading
policies on it again. A resource whose evaluation raised is not recorded.
The records of a scan replace the previous ones, one entry in the parse
cache's database (scanner/cache.py).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from typing import Any, Mapping, Optional, Sequence

from ..model import Finding, Policy, Resource

MEMO_PREFIX = "findings:"

# per resource digest: (graph-free findings, their evaluations, undetermined, graph-reading policy ids)
Entry = tuple[tuple[Finding, ...], int, int, tuple[str, ...]]


class Memo:
    """The records of the previous scan (``previous``) and those this scan makes (``made``)."""

    def __init__(self, previous: Optional[Mapping[bytes, Entry]] = None) -> None:
        self.previous: Mapping[bytes, Entry] = previous or {}
        self.made: dict[bytes, Entry] = {}
        self.reused = 0


def digest(resource: Resource) -> Optional[bytes]:
    """A digest of everything in ``resource``; None when it cannot be pickled (then it is not recorded)."""
    try:
        data = pickle.dumps(resource, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable value: evaluate it every time
        return None
    return hashlib.blake2b(data, digest_size=20).digest()


def namespace(policies: Sequence[Policy], parameters: Mapping[str, Any]) -> Optional[str]:
    """The key the records live under: the code, every policy file's bytes, the parameters; None if not pinned."""
    from ..cache import code_stamp, read_file

    h = hashlib.sha256(code_stamp())
    h.update(json.dumps(parameters, sort_keys=True, default=repr).encode("utf-8", "surrogatepass"))
    for policy in policies:
        data = read_file(policy.meta.source_path) if policy.meta.source_path else None
        if data is None:
            return None
        h.update(f"\0{policy.id}\0{policy.meta.source_path}\0".encode("utf-8", "surrogatepass"))
        h.update(hashlib.sha256(data).digest())
    return MEMO_PREFIX + h.hexdigest()


def load(cache: Any, key: Optional[str]) -> Optional[Memo]:
    """The records stored under ``key`` (an empty memo when there are none); None without a cache or key."""
    if cache is None or key is None:
        return None
    found, value = cache.get(key)
    return Memo(value if found and isinstance(value, dict) else None)


def save(cache: Any, key: Optional[str], memo: Optional[Memo]) -> None:
    """Keep this scan's records for the next one (written when the cache flushes)."""
    if cache is not None and key is not None and memo is not None:
        cache.put(key, memo.made)
