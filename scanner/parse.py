"""Parse stage: every format's parser over the files discovery gave it, each turning `SourceFile`s into `Resource`s and `Diagnostic`s.

A parser module (named by its format in :data:`scanner.formats.FORMATS`)
exposes ``parse(files, options) -> Parsed``; it is imported only when a file
of its format is present, which keeps start-up small.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import sys
import sysconfig
from functools import partial
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, TypeVar

from . import cache, parallel
from .crash import exception_text
from .formats import FORMATS
from .model import Diagnostic, Resource, SourceFile
from .textcodec import decode

T = TypeVar("T")
_KEY_SEP = "\0"  # a group key is the parser module, or the module and the one file's relpath

# Below this much estimated work (in Terraform bytes) a second process costs more than it saves.
PARALLEL_MIN_COST = 200_000
_COST = {f.parser: f.cost for f in FORMATS.values()}


@dataclass(frozen=True)
class ParseOptions:
    """User options that change what parsers resolve (variables for Terraform, deployment units for Kubernetes), and the plans found beside them."""

    var_files: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    plans: tuple[str, ...] = ()  # the plan JSON files of the scan (real paths): set by parse_all
    # configured Kubernetes units: (name, absolute directories); see scanner/formats/kubernetes/units.py
    kubernetes_units: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the user's Terraform module description directories (absolute); see formats/terraform/registry.py
    module_descriptions: tuple[str, ...] = ()


class ParseContext:
    """A parser's one way to the disk, to memoisation and to more processes.

    The disk: ``read``, ``text``, ``listdir``, ``kind``. Memoisation by bytes:
    ``memo``, ``memo_file``; of a result that depends on what it read:
    ``traced``, ``fingerprints``, ``recall`` / ``remember``, ``unchanged``;
    of a value stored before: ``memo_was``, ``memo_print``.
    More processes: ``at_once``. Behind it sit the parse cache (results of
    unchanged files come back without parsing), the process split, and the
    record of everything a parser saw of the disk,
    which a stored whole-scan result is checked against (scanner/rescan.py).
    Parsers never reach either directly, and never open, list or stat a path
    themselves: while the parse stage runs, an audit hook notes any file a
    parser opens or directory it lists behind the context's back, and the
    scan then says so and is not stored (:func:`guarded`).
    """

    def __init__(self, options: "ParseOptions", processes: int = 1) -> None:
        self.options = options
        self.processes = processes  # how many processes this parser may keep busy (scanner/parallel.py)
        self._trace: Optional[list[cache.Observation]] = None

    @contextlib.contextmanager
    def traced(self) -> Iterator[list[cache.Observation]]:
        """The block's reads, listings and kinds through this context, in order (for :meth:`unchanged`)."""
        outer, self._trace = self._trace, []
        try:
            yield self._trace
        finally:
            inner, self._trace = self._trace, outer
            if outer is not None:
                outer.extend(inner)

    def fingerprints(self, observations: Iterable[cache.Observation]) -> list[tuple[cache.Observation, str]]:
        """Each observation with what it gives in this scan (as a parser saw it, else now)."""
        with _GUARD.allowed():
            return [(o, cache.noted(*o)) for o in dict.fromkeys(observations)]

    def unchanged(self, fingerprints: Iterable[tuple[cache.Observation, str]]) -> bool:
        """True when every observation still gives its fingerprint; each counts as made by this scan."""
        with _GUARD.allowed():
            return all(cache.noted(*o) == was for o, was in fingerprints)

    def recall(self, name: str, data: bytes) -> tuple[bool, Any]:
        """``(True, value)`` stored by :meth:`remember` under this name and bytes, else ``(False, None)``.

        For results that depend on more than bytes: the caller stores the
        fingerprints of what it read beside the value and checks them with
        :meth:`unchanged` before using it.
        """
        with _GUARD.allowed():
            return cache.recall(name, data)

    @property
    def remembers(self) -> bool:
        """True when :meth:`remember` stores (a cache is active): work done only to store can be skipped otherwise."""
        return cache.current() is not None

    def remember(self, name: str, data: bytes, value: Any) -> None:
        """Store ``value`` for :meth:`recall` (when a cache is active)."""
        with _GUARD.allowed():
            cache.remember(name, data, value)

    def at_once(self, tasks: Sequence[Callable[[], T]]) -> Optional[list[T]]:
        """Every task's result, worked out in parallel processes (each result must pickle); None
        when this parse has no second process to give (the caller then works the usual way)."""
        if self.processes < 2 or len(tasks) < 2 or parallel.in_child() or not parallel.available():
            return None
        return parallel.run(tasks, min(self.processes, len(tasks)))

    def read(self, path: str, limit: int = -1) -> bytes:
        """The bytes of ``path`` (at most ``limit``); raises OSError like open()."""
        if self._trace is not None:
            self._trace.append(("read", path, limit))
        with _GUARD.allowed():
            return cache.read_input(path, limit)

    def text(self, path: str, limit: int = -1) -> str:
        """``read`` decoded as UTF-8, or as the UTF-16 or UTF-32 its byte-order mark names (raises UnicodeDecodeError like bytes.decode)."""
        return decode(self.read(path, limit))

    def listdir(self, directory: str) -> list[str]:
        """Sorted names of the regular files in ``directory`` (no links, pipes or devices; [] when unreadable)."""
        if self._trace is not None:
            self._trace.append(("list", directory, -1))
        with _GUARD.allowed():
            return cache.regular_files(directory)

    def kind(self, path: str) -> str:
        """``"file"``, ``"dir"`` or ``""`` (neither, or not there), following links."""
        if self._trace is not None:
            self._trace.append(("kind", path, -1))
        with _GUARD.allowed():
            return cache.path_kind(path)

    def memo(self, name: str, data: bytes, compute: Callable[[], T], detail: str = "",
             keep: Optional[Callable[[T], bool]] = None) -> T:
        """``compute()``, or its stored result for the same bytes, name and detail.

        ``keep`` can refuse to store a value that depends on more than the
        bytes; results holding a diagnostic that depends on the machine (a
        parse cut by its time budget) are never stored.
        """
        with _GUARD.allowed():
            return cache.cached(name, data, compute, detail, keep)

    def memo_was(self, name: str, digest: str, detail: str = "") -> tuple[bool, Any]:
        """``(True, value)`` that :meth:`memo` stored under this name and detail for bytes whose fingerprint
        is ``digest`` (the bytes a file had before an edit); ``(False, None)`` when nothing is stored."""
        with _GUARD.allowed():
            return cache.stored(name, digest, detail)

    def memo_print(self, name: str, digest: str, detail: str = "") -> Optional[bytes]:
        """A fingerprint of what :meth:`memo` stored under this name and detail for bytes whose fingerprint
        is ``digest`` (None: nothing stored): equal fingerprints, equal values."""
        with _GUARD.allowed():
            return cache.stored_print(name, digest, detail)

    def memo_file(self, name: str, path: str, compute: Callable[[], T], detail: str = "") -> T:
        """Like :meth:`memo` for a discovered file ``compute`` reads itself (through this context); stored only if the file did not change meanwhile."""
        with _GUARD.allowed():
            return cache.cached_file(name, path, compute, detail)

    @staticmethod
    def stable(diagnostics: Iterable[Diagnostic]) -> bool:
        """False when a diagnostic depends on more than the input bytes: such a result is not memoised."""
        return cache.stable(diagnostics)


class _Guard:
    """Notes files opened and directories listed during the parse stage other than through a ParseContext."""

    def __init__(self) -> None:
        self.active = False
        self.inside = 0
        self.stray: list[str] = []
        self.installed = False

    @contextlib.contextmanager
    def allowed(self) -> Iterator[None]:
        self.inside += 1
        try:
            yield
        finally:
            self.inside -= 1

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active or self.inside or event not in _WATCHED:
            return
        path = args[0] if args else None
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str) or path.endswith(_CODE_SUFFIXES) or path.startswith(_OWN_FILES):
            return  # imports, tracebacks and our own schemas: part of the code, which every stored key holds
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller in _IMPORT_MACHINERY:
            return  # the import system lists package directories
        self.stray.append(path)


_WATCHED = frozenset({"open", "os.listdir", "os.scandir"})
_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth")
# our own files and the installed libraries' (a library loading its data, such as jsonschema's
# metaschemas): both are code, which every stored key holds (cache.code_stamp)
_OWN_FILES = tuple(sorted({os.path.join(os.path.realpath(p), "") for p in (
    os.path.dirname(os.path.abspath(__file__)), sys.prefix, sys.base_prefix,
    *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")))}))
_IMPORT_MACHINERY = frozenset({"importlib._bootstrap_external", "importlib._bootstrap", "zipimport",
                               "importlib.metadata", "linecache"})
UNRECORDED_READ = cache.UNRECORDED_READ
_GUARD = _Guard()


@contextlib.contextmanager
def guarded() -> Iterator[list[str]]:
    """Watch this block (the parse stage): the list it gives fills with paths read behind a ParseContext's back."""
    if not _GUARD.installed:
        sys.addaudithook(_GUARD.hook)
        _GUARD.installed = True
    outer = (_GUARD.active, _GUARD.stray)
    _GUARD.active, _GUARD.stray = True, []
    try:
        yield _GUARD.stray
    finally:
        _GUARD.active, _GUARD.stray = outer


@dataclass(frozen=True)
class Part:
    """A piece of a parser's result that its format's ``reparse`` can parse again alone (a Terraform root).

    ``addresses`` are its resources' in the order the parse gave them;
    ``reads`` every file whose bytes it depended on; ``alone`` is False when
    its parse changed a diagnostic an earlier part gave (then it is never
    parsed alone). ``detail`` is the format's own (a Terraform root: the
    directories it instantiated, its address prefix, the diagnostics it gave).
    """

    key: str
    addresses: tuple[str, ...]
    reads: frozenset[str]
    alone: bool
    detail: Any = None
    name: str = ""  # how messages name it (a root's directory as reports show it)


@dataclass(frozen=True)
class Group:
    """One parser's share of a whole parse (see :func:`parse_all`): its files' paths, and its parts and state."""

    key: str
    paths: tuple[str, ...]
    parts: Optional[tuple[Part, ...]]
    state: Any
    count: int = 0                  # its resources in the whole parse's list (they come one group after another)
    packed: Optional[bytes] = None  # those resources pickled (where a cache is on), for a scan's state


@dataclass
class Parsed:
    """What a parser returns; ``parts`` and ``state`` when its format can parse one part again (``reparse``)."""

    resources: list[Resource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parts: Optional[list[Part]] = None
    state: Any = None
    packed: Optional[bytes] = None  # set by parse_all: ``resources`` pickled
    groups: tuple[Group, ...] = ()  # parse_all's: each parser's share, for a re-scan to parse again


def parse_all(files: Sequence[SourceFile], options: ParseOptions, jobs: int = 1,
              meanwhile: Optional[Callable[[], object]] = None) -> Parsed:
    """Run every parser over the files of its formats; a crashing parser becomes a diagnostic.

    With ``jobs > 1`` the formats are shared out between forked processes
    (scanner/parallel.py) when there is enough to parse; the result is the
    same either way, in the same order. This process takes the lightest
    share, then runs ``meanwhile`` (preparation for the next stage) while
    the others finish.
    """
    options = replace(options, plans=tuple(f.path for f in files if f.format == "terraform_plan"))
    by_module: dict[str, list[SourceFile]] = {}
    for f in files:
        fmt = FORMATS.get(f.format)
        if fmt is not None:
            module = fmt.parser
            key = f"{module}{_KEY_SEP}{f.relpath}" if fmt.per_file else module
            by_module.setdefault(key, []).append(f)
    groups = list(by_module.items())
    shares = _shares(groups, jobs) if jobs > 1 and len(groups) > 1 else [groups]

    def unwatched() -> object:  # the next stage's preparation reads its own files (policies)
        with _GUARD.allowed():
            return meanwhile() if meanwhile is not None else None

    with guarded() as stray:
        # a parser alone in this scan may split its own work between the processes (ParseContext.at_once)
        alone = jobs if len(shares) == 1 else 1
        results = parallel.run([partial(_parse_share, share, options, alone) for share in shares],
                               len(shares), unwatched if meanwhile is not None else None)
        parsed_by_module: dict[str, Parsed] = {}
        active = cache.current()
        for share_results, handoff, child_stray in results:
            for parsed in share_results.values():
                if parsed.packed is not None and not parsed.resources:
                    parsed.resources = pickle.loads(parsed.packed)  # as parallel.run reads what a child sends
            parsed_by_module.update(share_results)
            stray.extend(child_stray)
            if handoff is not None and active is not None:
                active.absorb(handoff)
    out = Parsed()
    taken: dict[str, int] = {}
    for key, _ in groups:
        for r in parsed_by_module[key].resources:
            taken[r.address] = taken.get(r.address, 0) + 1
    records: list[Group] = []
    for key, group in groups:  # the order of a serial run, whoever parsed what
        parsed = parsed_by_module[key]
        mine = _distinct(key, parsed.resources, taken)
        out.resources.extend(mine)
        out.diagnostics.extend(parsed.diagnostics)
        kept = mine is parsed.resources  # not renamed by _distinct
        records.append(Group(key, tuple(f.path for f in group),
                             tuple(parsed.parts) if parsed.parts is not None and kept else None, parsed.state,
                             len(mine), parsed.packed if kept else None))
    out.groups = tuple(records)
    if stray:
        paths = sorted(set(stray))
        out.diagnostics.append(Diagnostic(
            UNRECORDED_READ, f"a parser read {len(paths)} path(s) other than through its context "
            f"({', '.join(paths[:3])}); this scan's result is not stored for re-use (a riskgraph bug: "
            "please report it)", paths[0], level="info"))
    return out


def reparse(group: Group, files: Sequence[SourceFile], options: ParseOptions,
            changed: Mapping[str, tuple[str, str]], parts: Sequence[Part]) -> Optional[list[Optional[list[Resource]]]]:
    """``parts`` of ``group`` parsed again after the files ``changed`` (path -> fingerprints of its bytes
    before and now) were edited: each part's resources, None for a part that parses as it did; or None.

    None when the format cannot vouch that the rest of its result stands
    (its ``reparse`` says so), or anything goes wrong: the caller then
    parses everything, and a crash becomes the diagnostic it always was.
    """
    options = replace(options, plans=tuple(f.path for f in files if f.format == "terraform_plan"))
    paths = set(group.paths)
    mine = [f for f in files if f.path in paths]
    try:
        module = importlib.import_module(_module(group.key))
        again = getattr(module, "reparse", None)
        if again is None:
            return None
        with guarded() as stray:
            found: Optional[list[Optional[list[Resource]]]] = again(
                mine, ParseContext(options), changed, list(parts), group.state)
    except Exception:  # noqa: BLE001 - the full parse that follows says what went wrong
        return None
    return None if stray else found


def _distinct(key: str, resources: list[Resource], taken: dict[str, int]) -> list[Resource]:
    """The resources of a per-file group, every address prefixed with the file (``dir/plan.json:aws_x.y``) when one is taken twice.

    Two plans of different roots (or a plan and `.tf` code that is not its
    root) hold the same addresses; prefixing a whole file keeps its
    references pointing inside it, and every resource a node of its own.
    """
    if _KEY_SEP not in key or not any(taken[r.address] > 1 for r in resources):
        return resources
    label = key.split(_KEY_SEP, 1)[1]
    return [replace(r, address=f"{label}:{r.address}",
                                references=tuple((p, f"{label}:{t}") for p, t in r.references))
            for r in resources]


def _shares(groups: list[tuple[str, list[SourceFile]]],
            jobs: int) -> list[list[tuple[str, list[SourceFile]]]]:
    """The groups dealt to at most ``jobs`` processes (largest estimated cost first to the lightest), lightest share first."""
    costs = {name: _COST.get(_module(name), 1.0) * sum(_size(f) for f in group)
             for name, group in groups}
    if sum(costs.values()) < PARALLEL_MIN_COST:
        return [groups]
    shares: list[list[tuple[str, list[SourceFile]]]] = [[] for _ in range(min(jobs, len(groups)))]
    loads = [0.0] * len(shares)
    for name, group in sorted(groups, key=lambda g: -costs[g[0]]):
        lightest = loads.index(min(loads))
        shares[lightest].append((name, group))
        loads[lightest] += costs[name]
    return [share for _, share in sorted(zip(loads, shares), key=lambda pair: pair[0]) if share]


def _size(f: SourceFile) -> int:
    try:
        return os.path.getsize(f.path)
    except OSError:
        return 0


def _parse_share(share: list[tuple[str, list[SourceFile]]], options: ParseOptions,
                 processes: int = 1) -> tuple[dict[str, Parsed], Any, list[str]]:
    """Each group of ``share`` parsed; in a child, also the parse-cache entries it made and what it read unrecorded."""
    child = parallel.in_child()
    active = cache.current() if child else None
    if active is not None:
        active.become_child()
    if child:
        _GUARD.stray = []
    ctx = ParseContext(options, processes)
    parsed = {name: _parse_group(name, group, ctx) for name, group in share}
    if cache.current() is not None:
        # what a scan's state keeps of each group (scanner/incremental.py), pickled where it was parsed:
        # a child sends it this way only, so the pickling that carries it to the parent is that one too
        for result in parsed.values():
            result.packed = pickle.dumps(result.resources, protocol=pickle.HIGHEST_PROTOCOL)
            if child:
                result.resources = []
    return parsed, active.handoff() if active is not None else None, list(_GUARD.stray) if child else []


def _module(key: str) -> str:
    """The parser module of a group key."""
    return key.split(_KEY_SEP, 1)[0]


def _parse_group(key: str, group: list[SourceFile], ctx: ParseContext) -> Parsed:
    module_name = _module(key)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return Parsed(diagnostics=[Diagnostic(
            "parser-unavailable", f"no parser for these files: {exc}", group[0].relpath)])
    try:
        result: Parsed = module.parse(group, ctx)
    except Exception as exc:  # last line of defence: the scan goes on without these files
        files = group[0].relpath if len(group) == 1 else f"{len(group)} files (the first here)"
        return Parsed(diagnostics=[Diagnostic(
            "parser-crash", f"{module_name} failed: {exception_text(exc)}; {files} not scanned",
            group[0].relpath)])
    return result
