"""A content-addressed cache of per-file parse results, so a re-scan does not parse unchanged files again.

An entry's key is the SHA-256 of the file's bytes, the parser's name, any
parser-specific detail (e.g. the path a diagnostic will name), the
riskgraph version and a digest of riskgraph's own code and schemas, so an
edited parser never reads results an older one wrote. The value is the
parser's per-file result (an ``HclFile`` AST, a list of YAML documents, an
architecture file's validated resources), pickled.

Validated policy documents (scanner/policy/cache.py) and whole-scan results
(scanner/rescan.py) are entries of the same store, under the same stamp.
Entries live in ``<cache dir>/parse.sqlite3`` (the user's cache directory:
``$RISKGRAPH_CACHE_DIR``, else
``$XDG_CACHE_HOME/riskgraph``, else ``~/.cache/riskgraph``), never inside a
scanned repository, which could otherwise plant entries. Each entry carries
a digest of its payload, and unpickling may only build riskgraph's own parse
classes, so a corrupt or forged entry is ignored and the file parsed
again: a broken cache can cost time, never a crash or a wrong result.
``RISKGRAPH_NO_CACHE=1`` (or ``--no-cache``) turns it off.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
import os
import pickle
import stat
import sys
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar

from .formats import FORMATS

T = TypeVar("T")
Observation = tuple[str, str, int]  # (what: "read" | "list" | "kind", path, byte limit for a read)
Handoff = tuple[dict[str, bytes], tuple[int, int, int], dict[Observation, str]]

FORMAT = b"RGPC1\n"
DB_NAME = "parse.sqlite3"
FLUSH_EVERY = 512
# The database stays bounded: entries are a few KB (a parse) to a few MB (a 5k-resource scan's
# stored report); the oldest written go first. A pruned entry only costs a parse or a scan.
KEEP_ENTRIES = 50_000
KEEP_RESULTS = 8
RESULT_PREFIX = "scan-result:"  # keys of stored whole-scan results (scanner/rescan.py)
# what a scan keeps for a re-scan after an edit (scanner/incremental.py): two entries per request
KEEP_STATES = 8
STATE_PREFIX = "scan-state:"
# Diagnostic codes that depend on the machine, not only the input (a parse cut by its time
# budget): a parse result or a report holding one is not stored, so the next scan tries again.
UNRECORDED_READ = "unrecorded-read"  # a parser read the disk behind its context (scanner/parse.py)
UNSTABLE = frozenset({"hcl-timeout", UNRECORDED_READ})
_DIGEST = 32
# Modules whose classes an entry may contain; anything else makes the entry unreadable.
# what every parser's results are made of, and what each format declares its memoised results hold
_ALLOWED_MODULES = frozenset({"scanner.model", "scanner.parse", "scanner.yamlnodes", "scanner.incremental"}) | frozenset(
    m for f in FORMATS.values() for m in f.memo_modules)
_ALLOWED_BUILTINS = frozenset({"set", "frozenset", "complex"})
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Libraries whose version can change what a parse or scan produces (see code_stamp).
_LIBRARIES = ("tree_sitter", "tree_sitter_hcl", "yaml", "networkx", "jsonschema")
_CODE_STAMP: Optional[bytes] = None
_ACTIVE: contextvars.ContextVar[Optional["ParseCache"]] = contextvars.ContextVar(
    "riskgraph_parse_cache", default=None)


def cache_dir() -> str:
    """``$RISKGRAPH_CACHE_DIR``, else ``$XDG_CACHE_HOME/riskgraph``, else ``~/.cache/riskgraph``."""
    explicit = os.environ.get("RISKGRAPH_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "riskgraph")


def disabled_by_environment() -> bool:
    """True when ``RISKGRAPH_NO_CACHE`` is set to anything but empty or ``0``."""
    return os.environ.get("RISKGRAPH_NO_CACHE", "").strip() not in ("", "0")


def code_stamp() -> bytes:
    """A digest of riskgraph's own code, schemas and data (every ``.py``, ``.json`` and ``.yaml`` in the package).

    Parsers call helpers all over the package (schemas, secrets, the model),
    so the whole package is the safe unit: about 3 ms per process, paid only
    when a cache is active. The Python version and the installed files of
    the libraries that shape results (tree-sitter and its HCL grammar,
    PyYAML, networkx, jsonschema) count too, so an upgrade starts afresh.
    """
    global _CODE_STAMP
    if _CODE_STAMP is None:
        from . import __version__

        h = hashlib.sha256(FORMAT + __version__.encode())
        sources: list[str] = []
        for dirpath, dirnames, filenames in os.walk(_PACKAGE_DIR):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            sources.extend(os.path.join(dirpath, n) for n in sorted(filenames)
                           if n.endswith((".py", ".json", ".yaml")))  # .yaml: policy/defaults.yaml
        for path in sources:
            h.update(os.path.relpath(path, _PACKAGE_DIR).encode() + b"\0")
            with contextlib.suppress(OSError), open(path, "rb") as handle:
                h.update(handle.read())
        h.update(sys.version.encode())
        for library in _LIBRARIES:
            h.update(_installed_stamp(library))
        _CODE_STAMP = h.digest()
    return _CODE_STAMP


def _installed_stamp(module: str) -> bytes:
    """Name, size and modification time of each file at the top of an installed package (without importing it)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return f"{module}:absent\0".encode()
    directory = os.path.dirname(spec.origin)
    parts = [module]
    with contextlib.suppress(OSError):
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            with contextlib.suppress(OSError):
                st = entry.stat()
                parts.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return ("\0".join(parts) + "\0").encode("utf-8", "surrogateescape")


class _Unpickler(pickle.Unpickler):
    """Builds only riskgraph's parse classes (never functions), so an entry cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _ALLOWED_BUILTINS:
            return super().find_class(module, name)
        if module in _ALLOWED_MODULES and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a parse cache entry")


def _header(blob: bytes) -> Optional[bytes]:
    """The payload digest an entry's bytes begin with (after the format mark); None for bytes of another format."""
    if blob[:len(FORMAT)] != FORMAT or len(blob) < len(FORMAT) + _DIGEST:
        return None
    return blob[len(FORMAT):len(FORMAT) + _DIGEST]


def unpickle(payload: bytes) -> Any:
    """What ``payload`` pickled, rebuilt only from riskgraph's own parse classes (raises on anything else)."""
    return _Unpickler(io.BytesIO(payload)).load()


class ParseCache:
    """Entries in one SQLite file, ``<directory>/parse.sqlite3``; counts hits, misses and ignored entries.

    One database rather than a file per entry: creating hundreds of small
    files cost more than the parsing they save (0.77 s for 500 entries here,
    against 0.08 s in one transaction). New entries are written together by
    :meth:`flush` (called when :func:`active` ends). Any database error
    turns the cache off for the rest of the run; it never stops a scan.
    """

    def __init__(self, directory: Optional[str] = None) -> None:
        self.path = os.path.join(directory or cache_dir(), DB_NAME)
        self.hits = self.misses = self.ignored = 0
        self._db: Any = None        # None: not opened yet; False: unusable for this run
        self._pending: dict[str, bytes] = {}  # written by flush(), already readable by get()
        self._in_child = False
        # What parsers read through read_input() / regular_files(), for checking a stored
        # whole-scan result (scanner/rescan.py): (path, byte limit) -> digest, directory -> digest.
        # what parsers saw of the disk beyond the discovered files: observation -> its digest
        self.seen: dict[Observation, str] = {}
        self.repaired: Optional[str] = None  # why the database file was moved aside and rebuilt

    def key(self, parser: str, data: bytes, detail: str = "") -> str:
        return self.key_of(parser, _digest(data), detail)

    @staticmethod
    def key_of(parser: str, digest: str, detail: str = "") -> str:
        """The key of an entry for bytes whose fingerprint (:func:`observe`'s) is ``digest``."""
        h = hashlib.sha256(code_stamp())
        h.update(parser.encode() + b"\0" + detail.encode("utf-8", "surrogatepass") + b"\0")
        h.update(digest.encode())
        return h.hexdigest()

    def payload_digest(self, key: str) -> Optional[bytes]:
        """The digest of the pickled value stored under ``key``, without reading the value (None: no entry).

        Two entries with the same payload digest hold equal values: an edit that leaves a
        file's parse the same (a comment) is known as such without rebuilding either.
        """
        blob = self._blob(key, len(FORMAT) + _DIGEST)
        return _header(blob) if blob is not None else None

    def _connect(self, create: bool) -> Any:
        if self._db is None:
            if not create and not os.path.exists(self.path):
                return None
            import sqlite3

            try:
                self._db = self._open()
            except sqlite3.DatabaseError as exc:
                self._db = self._repair(exc)
            except (OSError, sqlite3.Error):
                self._db = False
        return self._db or None

    def _open(self) -> Any:
        import sqlite3

        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        try:
            # A rollback journal, not WAL: new entries are written once instead of to the
            # log and again at its checkpoint (flushing a 5k-resource scan: 50 -> 26 ms);
            # a concurrent scan waits for the lock (the timeout) instead of reading beside it.
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        except BaseException:
            db.close()
            raise
        return db

    def _repair(self, exc: Exception) -> Any:
        """A database file that is not one (or is damaged): moved aside to ``*.corrupt`` and started anew.

        Only for damage, never for a busy or locked database (``OperationalError``):
        that one belongs to another scan. Returns the new connection, or False.
        """
        import sqlite3

        if isinstance(exc, sqlite3.OperationalError) or self._in_child:
            return False
        aside = self.path + ".corrupt"
        try:
            os.replace(self.path, aside)
            for suffix in ("-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path + suffix)
            db = self._open()
        except (OSError, sqlite3.Error):
            return False
        self.repaired = (f"the parse cache {self.path} could not be read ({exc}); it was moved to "
                         f"{aside} and rebuilt")
        return db

    def _damaged(self, db: Any, exc: Exception) -> Any:
        """A query failed: a damaged file is repaired (an empty cache), anything else turns the cache off."""
        import sqlite3

        if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.OperationalError):
            return False
        with contextlib.suppress(Exception):
            db.close()
        return self._repair(exc)

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a sound entry, ``(False, None)`` for a missing or unusable one."""
        blob = self._blob(key)
        if blob is None:
            self.misses += 1
            return False, None
        digest, payload = _header(blob), blob[len(FORMAT) + _DIGEST:]
        if digest is None or hashlib.sha256(payload).digest() != digest:
            self.ignored += 1
            return False, None
        try:
            value = unpickle(payload)
        except Exception:  # noqa: BLE001 - any failure to rebuild means: parse the file again
            self.ignored += 1
            return False, None
        self.hits += 1
        return True, value

    def _blob(self, key: str, length: int = 0) -> Optional[bytes]:
        """The stored bytes under ``key`` (only the first ``length`` when given), or None."""
        blob = self._pending.get(key)
        if blob is not None:
            return blob
        db = self._connect(create=False)
        if db is None:
            return None
        try:
            row = (db.execute("SELECT substr(value, 1, ?) FROM entries WHERE key = ?", (length, key)) if length
                   else db.execute("SELECT value FROM entries WHERE key = ?", (key,))).fetchone()
        except Exception as exc:  # noqa: BLE001 - sqlite3.Error and friends: a broken database
            self._db = self._damaged(db, exc)
            return None
        if row is None:
            return None
        return bytes(row[0]) if isinstance(row[0], (bytes, memoryview)) else b""

    def put(self, key: str, value: Any) -> None:
        """Queue ``value`` for :meth:`flush`; a value that cannot be pickled is not cached."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return
        self._pending[key] = FORMAT + hashlib.sha256(payload).digest() + payload
        if len(self._pending) >= FLUSH_EVERY and not self._in_child:
            self.flush()

    def become_child(self) -> None:
        """In a forked child (scanner/parallel.py): a connection of its own, and only its own new entries.

        SQLite connections must not cross ``fork``; the parent's is left
        untouched. The child never writes the database: :meth:`handoff`
        gives its entries and counts to the parent, the only writer.
        """
        self._db = None
        self._pending = {}
        self.hits = self.misses = self.ignored = 0
        self.seen = {}
        self._in_child = True

    def handoff(self) -> Handoff:
        """The child's new entries, its hit, miss and ignored counts and what it read, for :meth:`absorb`."""
        return self._pending, (self.hits, self.misses, self.ignored), self.seen

    def absorb(self, handoff: Handoff) -> None:
        """Take a child's entries (written with this cache's own), counts and reads."""
        entries, (hits, misses, ignored), seen = handoff
        self._pending.update(entries)
        self.hits += hits
        self.misses += misses
        self.ignored += ignored
        self.seen.update(seen)

    def flush(self) -> None:
        """Write the queued entries in one transaction; a cache that cannot be written is skipped."""
        pending, self._pending = self._pending, {}
        db = self._connect(create=True) if pending else None
        if db is None:
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)",
                               sorted(pending.items()))
                _prune(db)
        except Exception:  # noqa: BLE001 - sqlite3.Error: leave the cache as it was
            self._db = False

    def close(self) -> None:
        self.flush()
        if self._db:
            with contextlib.suppress(Exception):
                self._db.close()
        self._db = None


def _prune(db: Any) -> None:
    """Keep the newest KEEP_RESULTS stored results, KEEP_STATES state entries and KEEP_ENTRIES entries in all (newest = last written)."""
    for prefix, keep in ((RESULT_PREFIX, KEEP_RESULTS), (STATE_PREFIX, KEEP_STATES)):
        low, high = prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
        db.execute("DELETE FROM entries WHERE key >= ? AND key < ? AND rowid NOT IN "
                   "(SELECT rowid FROM entries WHERE key >= ? AND key < ? ORDER BY rowid DESC LIMIT ?)",
                   (low, high, low, high, keep))
    count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    if count > KEEP_ENTRIES:
        db.execute("DELETE FROM entries WHERE rowid IN (SELECT rowid FROM entries ORDER BY rowid LIMIT ?)",
                   (count - KEEP_ENTRIES,))


def current() -> Optional[ParseCache]:
    """The cache parsers use right now (None: no caching)."""
    return _ACTIVE.get()


def cached(parser: str, data: bytes, compute: Callable[[], T], detail: str = "",
           keep: Optional[Callable[[T], bool]] = None) -> T:
    """``compute()``, or its stored result for the same bytes, parser and detail when a cache is active.

    The value is stored before the caller sees it, so callers may mutate
    what they get back. ``keep`` can refuse to store a value that depends on
    more than the bytes (a parse cut short by its time budget).
    """
    cache = _ACTIVE.get()
    if cache is None:
        return compute()
    key = cache.key(parser, data, detail)
    found, value = cache.get(key)
    if found:
        return value
    value = compute()
    if keep is None or keep(value):
        cache.put(key, value)
    return value


def cached_file(parser: str, path: str, compute: Callable[[], T], detail: str = "") -> T:
    """Like :func:`cached`, for a parser that reads ``path`` itself.

    The result is stored only when the file still holds the same bytes after
    ``compute()``, so a file edited mid-scan cannot file a result under the
    wrong content.
    """
    before = read_file(path) if _ACTIVE.get() is not None else None
    if before is None:
        return compute()
    return cached(parser, before, compute, detail, keep=lambda _value: read_file(path) == before)


def stable(diagnostics: Iterable[Any]) -> bool:
    """False when a diagnostic depends on more than the input bytes (see UNSTABLE): such results are not stored."""
    return not any(d.code in UNSTABLE for d in diagnostics)


def read_input(path: str, limit: int = -1) -> bytes:
    """The bytes of ``path`` (at most ``limit``), noted for the active cache; raises OSError like open().

    Only the parse stage's context calls this (scanner/parse.py): every file
    a parser reads is noted, so a stored whole-scan result can be checked
    against them (scanner/rescan.py).
    """
    cache = _ACTIVE.get()
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
    except OSError:
        if cache is not None:
            cache.seen[("read", path, limit)] = ""
        raise
    if cache is not None:
        cache.seen[("read", path, limit)] = _digest(data)
    return data


def regular_files(directory: str) -> list[str]:
    """Sorted names of the regular files in ``directory`` (no links, pipes or devices), noted like read_input()."""
    names = _regular_files(directory)
    cache = _ACTIVE.get()
    if cache is not None:
        cache.seen[("list", directory, -1)] = _names_digest(names)
    return names


def path_kind(path: str) -> str:
    """``"file"``, ``"dir"`` or ``""`` (neither, or not there), noted like read_input()."""
    kind = _kind(path)
    cache = _ACTIVE.get()
    if cache is not None:
        cache.seen[("kind", path, -1)] = kind
    return kind


def noted(what: str, path: str, limit: int = -1) -> str:
    """The fingerprint of an observation in this scan: as noted when a parser made it, else made now and noted.

    A result reused because its observations are unchanged depends on them as
    if it had made them: noting them keeps a stored whole-scan result honest.
    """
    cache = _ACTIVE.get()
    if cache is not None:
        found = cache.seen.get((what, path, limit))
        if found is not None:
            return found
    now = observe(what, path, limit)
    if cache is not None:
        cache.seen[(what, path, limit)] = now
    return now


def recall(parser: str, data: bytes, detail: str = "") -> tuple[bool, Any]:
    """``(True, value)`` stored by :func:`remember` under the same name, bytes and detail; ``(False, None)`` else."""
    cache = _ACTIVE.get()
    if cache is None:
        return False, None
    return cache.get(cache.key(parser, data, detail))


def stored(parser: str, digest: str, detail: str = "") -> tuple[bool, Any]:
    """``(True, value)`` that :func:`cached` stored for bytes whose fingerprint is ``digest``; ``(False, None)`` else."""
    cache = _ACTIVE.get()
    return cache.get(cache.key_of(parser, digest, detail)) if cache is not None else (False, None)


def stored_print(parser: str, digest: str, detail: str = "") -> Optional[bytes]:
    """The payload digest of what :func:`cached` stored for bytes whose fingerprint is ``digest`` (None: nothing)."""
    cache = _ACTIVE.get()
    return cache.payload_digest(cache.key_of(parser, digest, detail)) if cache is not None else None


def remember(parser: str, data: bytes, value: Any, detail: str = "") -> None:
    """Store ``value`` for :func:`recall` (nothing without an active cache)."""
    cache = _ACTIVE.get()
    if cache is not None:
        cache.put(cache.key(parser, data, detail), value)


def observe(what: str, path: str, limit: int = -1) -> str:
    """What noting ``what`` of ``path`` gives now (the one fingerprint of a read, a listing or a kind), without noting it."""
    if what == "read":
        try:
            with open(path, "rb") as handle:
                return _digest(handle.read(limit))
        except OSError:
            return ""
    if what == "list":
        return _names_digest(_regular_files(path))
    if what == "kind":
        return _kind(path)
    raise ValueError(f"unknown observation {what!r}")


def _digest(data: bytes) -> str:
    """The fingerprint of bytes read (never empty: ``""`` in an observation means unreadable)."""
    return hashlib.sha256(data).hexdigest()


def _kind(path: str) -> str:
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return ""
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else ""


def _regular_files(directory: str) -> list[str]:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    names = []
    for entry in entries:
        try:
            if not entry.is_symlink() and entry.is_file(follow_symlinks=False):
                names.append(entry.name)
        except OSError:
            continue
    return sorted(names)


def _names_digest(names: list[str]) -> str:
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def read_file(path: str) -> Optional[bytes]:
    """The bytes of ``path``, or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


@contextlib.contextmanager
def active(cache: Optional[ParseCache]) -> Iterator[Optional[ParseCache]]:
    """Make ``cache`` the one :func:`cached` uses inside this block (None: no caching)."""
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
        if cache is not None:
            cache.close()


@contextlib.contextmanager
def scan_cache() -> Iterator[Optional[ParseCache]]:
    """The cache a scan parses under: the one already active, else the user's (unless disabled)."""
    current = _ACTIVE.get()
    if current is not None:
        yield current
        return
    with active(None if disabled_by_environment() else ParseCache()) as cache:
        yield cache
