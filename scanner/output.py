"""Writing a report where the user asked: standard output (``-`` or nothing), else atomically into a file."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from typing import BinaryIO, Iterable, Optional, Union


class OutputError(Exception):
    """An output that cannot be written; the message names the path and why."""


def write_output(text: Union[str, Iterable[str]], target: Optional[str]) -> None:
    """Write ``text`` (a string, or its pieces as a reporter's ``chunks`` yields them) to ``target``:
    standard output for None or ``-``.

    Pieces are written as they come, so a report of hundreds of thousands of
    findings is never one string (or its encoded copy) in memory.

    A file is written to a temporary file in its directory and renamed into
    place, so a reader never sees half a report and a failed write leaves
    the old file. A symbolic link at ``target`` is refused (a committed
    ``riskgraph.sarif -> elsewhere`` must not redirect the write); an existing
    device or pipe (``/dev/stdout``) is written directly.
    """
    pieces = (text,) if isinstance(text, str) else text
    if target is None or target == "-":
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    if os.path.islink(target):
        raise OutputError(f"{target}: is a symbolic link; refusing to write through it "
                          "(remove it or choose another output path)")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{target}: is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        _write_direct(target, pieces)
        return
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise OutputError(f"{target}: directory {directory} does not exist")
    _write_atomic(target, directory, pieces, mode)


def _write_all(handle: BinaryIO, pieces: Iterable[str]) -> None:
    for piece in pieces:
        handle.write(piece.encode("utf-8"))


def _write_direct(target: str, pieces: Iterable[str]) -> None:
    try:
        with open(target, "wb") as handle:
            _write_all(handle, pieces)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None


def _write_atomic(target: str, directory: str, pieces: Iterable[str], mode: Optional[int]) -> None:
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.",
                                    suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {directory}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, pieces)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException as exc:  # a reporter that fails mid-way leaves the old file too
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
        raise
