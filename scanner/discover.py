"""Discovery: turn the paths a user names into the `SourceFile`s each parser will read."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .formats import FORMATS, classify, read_suffixes, sniffed_kinds, sniffed_suffixes
from .model import Diagnostic, SourceFile

# Directories never walked: version control and tool caches (nothing of the user's), and
# dependencies installed or vendored from elsewhere (each of these gets an info diagnostic).
# `.terraform` holds downloaded modules, which module calls read where they are called.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".terraform", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache",
    ".riskgraph-cache",
})
DEPENDENCY_DIRS = frozenset({"node_modules", "vendor", ".venv", "venv"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
SNIFF_BYTES = 64 * 1024

# Files whose names say riskgraph might read them: one skipped gets an info diagnostic saying why.
READ_SUFFIXES = read_suffixes()
SNIFFED_SUFFIXES = sniffed_suffixes()


@dataclass
class Discovery:
    """The files found, and what was skipped and why.

    ``skipped`` counts every file not scanned; those riskgraph might have
    read (``READ_SUFFIXES``, or named on the command line), excluded paths
    and dependency directories each have an info diagnostic whose code
    starts with ``skipped-``.
    """

    files: list[SourceFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: int = 0

    def skip(self, rel: str, code: Optional[str] = None, message: str = "") -> None:
        """Count a file not scanned; with ``code``, say why in an info diagnostic."""
        self.skipped += 1
        if code:
            self.diagnostics.append(Diagnostic(code, message, rel, level="info"))


def discover(paths: Iterable[str], *, base: Optional[str] = None,
             exclude: Iterable[str] = (), max_bytes: int = DEFAULT_MAX_BYTES) -> Discovery:
    """Walk ``paths`` and classify every file; never follows a link out of its root.

    Relative paths in the result are relative to ``base`` (default: the
    current directory) when the file lies under it, else to the scan root.
    """
    result = Discovery()
    base_real = os.path.realpath(base or os.getcwd())
    excludes = tuple(exclude)
    seen: set[str] = set()  # real paths of the files taken, and of the directories walked (ending in a separator)
    for given in paths:
        root = os.path.realpath(given)
        if not os.path.exists(root):
            result.diagnostics.append(Diagnostic("path-not-found", "path does not exist", given))
            continue
        anchor = base_real if is_within(root, base_real) else (
            root if os.path.isdir(root) else os.path.dirname(root))
        if os.path.isfile(root):
            _consider(root, anchor, root, result, excludes, max_bytes, seen, explicit=True)
            continue
        if root + os.sep in seen:  # a path given twice, or inside another given path
            continue
        seen.add(root + os.sep)
        _walk(root, root, anchor, result, excludes, max_bytes, seen, {root}, root)
    result.files.sort(key=lambda f: f.relpath)
    return result


def _walk(directory: str, root: str, anchor: str, result: Discovery, excludes: tuple[str, ...],
          max_bytes: int, seen: set[str], visiting: set[str], real_dir: str) -> None:
    """Classify the files below ``directory`` (whose real path is ``real_dir``)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        result.diagnostics.append(Diagnostic(
            "unreadable", f"cannot list directory: {exc.strerror}", _rel(directory, anchor)))
        return
    for entry in entries:
        full = entry.path
        rel = _rel(full, anchor)
        if excludes and _excluded(rel, excludes):
            readable = entry.name.lower().endswith(READ_SUFFIXES) or _is_dir(entry)
            result.skip(rel, "skipped-excluded" if readable else None,
                        "excluded by an --exclude or configuration pattern")
            continue
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()
        except OSError as exc:  # e.g. a link to itself
            code = "link-loop" if exc.errno == errno.ELOOP else "unreadable"
            result.diagnostics.append(Diagnostic(code, f"cannot follow: {exc.strerror}", rel,
                                                 level="warning"))
            continue
        if is_link:
            target = os.path.realpath(full)
            if not is_within(target, root):
                result.diagnostics.append(Diagnostic(
                    "link-outside-root", "symbolic link points outside the scanned root; not followed",
                    rel, level="warning"))
                continue
            if not os.path.exists(target):
                result.diagnostics.append(Diagnostic(
                    "broken-link", "symbolic link target does not exist", rel, level="warning"))
                continue
        # An entry that is not a link is its directory's real path plus its name: no realpath()
        # (an lstat per path component) for the usual tree without links. A linked file of a format
        # whose files belong to their directory (a shared variables.tf linked into each root) is
        # that directory's own copy: its path is the link's, read through it.
        own_copy = is_link and not is_dir and _per_directory(entry.name)
        real = target if is_link and not own_copy else os.path.join(real_dir, entry.name)
        if is_dir:
            if entry.name in SKIP_DIRS:
                continue
            if entry.name in DEPENDENCY_DIRS:
                result.diagnostics.append(Diagnostic(
                    "skipped-dependencies", "directory of installed or vendored dependencies; "
                    "not scanned (name its path to scan it)", rel, level="info"))
                continue
            if real in visiting:
                result.diagnostics.append(Diagnostic(
                    "link-loop", "symbolic link loop; not followed", rel, level="warning"))
                continue
            if real + os.sep in seen:  # a directory reached twice (a link to it): read once
                result.diagnostics.append(Diagnostic(
                    "scanned-once", "the same directory as one found before (a link to it, or "
                    "the link it is reached through); its files are scanned once, there", rel, level="info"))
                continue
            seen.add(real + os.sep)
            _walk(full, root, anchor, result, excludes, max_bytes, seen, visiting | {real}, real)
        else:
            _consider(full, anchor, root, result, excludes, max_bytes, seen, explicit=False, real=real)


def _consider(full: str, anchor: str, root: str, result: Discovery, excludes: tuple[str, ...],
              max_bytes: int, seen: set[str], *, explicit: bool, real: Optional[str] = None) -> None:
    real = real or os.path.realpath(full)
    if real in seen:
        if not explicit:  # a link to a file found before: its content is scanned once, there
            result.diagnostics.append(Diagnostic(
                "scanned-once", "the same file as one found before (a link to it, or the link it "
                "is reached through); its content is scanned once, there", _rel(full, anchor), level="info"))
        return
    rel = _rel(full, anchor)
    name = os.path.basename(full)
    fmt = classify(name, None)
    needs_content = fmt is None and name.lower().endswith(SNIFFED_SUFFIXES)
    if fmt is None and not needs_content:
        result.skip(rel, "skipped-unrecognised" if explicit else None,
                    f"riskgraph reads {', '.join(READ_SUFFIXES)} files; not scanned")
        return
    try:
        st = os.stat(real)
    except OSError as exc:
        result.diagnostics.append(Diagnostic("unreadable", f"cannot read file: {exc.strerror}", rel))
        return
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        result.diagnostics.append(Diagnostic(
            "not-a-file", "not a regular file (pipe, socket or device); skipped", rel, level="warning"))
        return
    size = st.st_size
    if size > max_bytes:
        result.diagnostics.append(Diagnostic(
            "file-too-large", f"file is {size} bytes, over the {max_bytes}-byte limit; skipped",
            rel, level="warning"))
        return
    if fmt is None:  # a sniffed ending (anything else returned above): the content decides
        try:
            with open(real, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError as exc:
            result.diagnostics.append(Diagnostic("unreadable", f"cannot read file: {exc.strerror}", rel))
            return
        fmt = classify(name, head)
        if fmt is None:
            result.skip(rel, "skipped-unrecognised", _unrecognised(name, head))
            return
    seen.add(real)
    result.files.append(SourceFile(path=real, relpath=rel, format=fmt, root=root))


def _per_directory(name: str) -> bool:
    """Whether a file of this name belongs to the directory it is listed in (``Format.per_directory``)."""
    fmt = FORMATS.get(classify(name, None) or "")
    return fmt is not None and fmt.per_directory


def _unrecognised(name: str, head: bytes) -> str:
    """Why a file whose content decides its format was not scanned: every format that could have claimed it."""
    if not head.strip():
        return "empty file; not scanned"
    kinds = sniffed_kinds(name)
    listed = ", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0]
    return f"not {listed} (by its first {SNIFF_BYTES // 1024} KiB); not scanned"


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        if fnmatch.fnmatch(rel, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts):
            return True
    return False


def is_within(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or lies below it (both already normalised)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _rel(path: str, anchor: str) -> str:
    prefix = anchor.rstrip(os.sep) + os.sep
    if path.startswith(prefix) and os.sep + ".." + os.sep not in path:  # the usual case, without relpath()
        return path[len(prefix):].replace(os.sep, "/")
    rel = os.path.relpath(path, anchor)
    return rel.replace(os.sep, "/")
