"""A cache of validated policy documents, so start-up skips YAML parsing and schema validation of unchanged files.

Only plain data is stored (the parsed document and its line map, pickled
and read back by an unpickler that refuses every class, so the file cannot
carry code to run), never compiled closures, and only for files that
validated and compiled. An entry is used
when the file's path, size, mtime and content digest, the riskgraph version,
the Python version and the shipped schemas are all unchanged; anything else
re-reads and re-validates the file, so a broken file is always refused.
``RISKGRAPH_NO_CACHE=1`` turns the cache off; ``RISKGRAPH_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import tempfile
from typing import Any, Optional

from ..cache import cache_dir, disabled_by_environment
from ..schemas import SCHEMA_DIR, policy_layers

FORMAT = 1
FILE_NAME = "policies.pickle"
Entry = tuple[Any, dict[str, int]]


def _environment_stamp() -> tuple[Any, ...]:
    from .. import __version__

    schemas = []
    for name in sorted(os.listdir(SCHEMA_DIR)):
        if name.endswith(".json"):
            st = os.stat(os.path.join(SCHEMA_DIR, name))
            schemas.append((name, st.st_size, st.st_mtime_ns))
    # the layers come from the formats registry, not the schema file (scanner/schemas load_schema)
    return (FORMAT, __version__, sys.version_info[:2], tuple(schemas), tuple(policy_layers()))


def file_stamp(path: str) -> Optional[tuple[int, int, bytes]]:
    """Size, mtime and a digest of the content: a rewrite within one mtime tick still counts as a change."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            digest = hashlib.blake2b(handle.read(), digest_size=16).digest()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, digest)


class PolicyCache:
    """Validated documents by absolute path; load once, :meth:`save` once after a load."""

    def __init__(self, directory: Optional[str] = None) -> None:
        self.path = os.path.join(directory or cache_dir(), FILE_NAME)
        self.stamp = _environment_stamp()
        self.entries: dict[str, tuple[Any, Any, dict[str, int]]] = {}
        self.dirty = False
        self._read()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                stamp, entries = _PlainUnpickler(io.BytesIO(handle.read())).load()
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            return
        if stamp == self.stamp and isinstance(entries, dict):
            self.entries = entries

    def get(self, path: str) -> Optional[Entry]:
        """The cached (document, lines) of ``path`` if the file is unchanged."""
        entry = self.entries.get(os.path.abspath(path))
        if entry is None or entry[0] != file_stamp(path):
            return None
        return entry[1], entry[2]

    def put(self, path: str, stamp: Any, data: Any, lines: dict[str, int]) -> None:
        """Remember a document that validated and compiled; ``stamp`` is the file's stamp read before parsing."""
        if stamp is None:
            return
        entry = (stamp, data, dict(lines))
        if not _plain(entry):  # e.g. a YAML timestamp: leave this file uncached
            return
        self.entries[os.path.abspath(path)] = entry
        self.dirty = True

    def save(self) -> None:
        """Write the cache atomically; a cache that cannot be written is silently skipped."""
        if not self.dirty:
            return
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".policies-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((self.stamp, self.entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self.dirty = False
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.remove(tmp)


class _PlainUnpickler(pickle.Unpickler):
    """Reads back only builtin containers and scalars: any class reference is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the policy cache holds only plain data, not {module}.{name}")


_SCALARS = (str, int, float, bool, bytes, type(None))


def _plain(value: Any) -> bool:
    """True when ``value`` is built only of dicts, lists, tuples and scalars."""
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


def default_cache() -> Optional[PolicyCache]:
    """The user's cache, or None when ``RISKGRAPH_NO_CACHE`` is set."""
    if disabled_by_environment():
        return None
    return PolicyCache()
