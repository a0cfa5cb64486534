"""`ScanRequest`: every option of one scan, from the library call or from configuration plus flags, in one value."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import datetime

    from .model import Policy


class RequestError(ValueError):
    """An option that cannot be honoured: a path that does not exist, an unknown policy id or framework."""


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how; `scanner.api.run` reads it, the command line builds it (`scanner/options.py`).

    ``base`` is the directory every reported path is relative to (None: the
    current directory when a file lies under it, else its scan root, as
    ``api.scan`` always did). The fields after ``module_descriptions`` are read
    by the command line only: how to report and when to fail.
    """

    paths: tuple[str, ...]
    policies: Optional[tuple["Policy", ...]] = None
    policy_dirs: tuple[str, ...] = ()
    builtin_policies: bool = True
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    base: Optional[str] = None
    frameworks: tuple[str, ...] = ()
    suppressions: bool = True
    baseline: Optional[str] = None
    with_checkov: bool = False
    checkov_path: Optional[str] = None
    today: Optional["datetime.date"] = None
    jobs: int = 1
    kubernetes_units: tuple[tuple[str, tuple[str, ...]], ...] = ()
    module_descriptions: tuple[str, ...] = ()  # directories of Terraform module descriptions (absolute)
    # reporting (the command line)
    format: str = "text"
    output: Optional[str] = None
    severity_threshold: str = "low"
    allow_incomplete: bool = False
    category: Optional[str] = None


def check_paths(paths: Sequence[str]) -> None:
    """Every scanned path must exist: a typo is a usage error, never a green scan of nothing."""
    if not paths:
        raise RequestError("no path to scan")
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise RequestError(f"path does not exist: {missing[0]!r}"
                           + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))


def check_policy_ids(wanted: Iterable[str], known: Iterable[str], option: str,
                     allow_prefix: str = "") -> None:
    """Each id in ``wanted`` must name a loaded policy (ids starting ``allow_prefix`` are someone else's)."""
    ids = sorted(set(known))
    for pid in wanted:
        if pid in ids or (allow_prefix and pid.startswith(allow_prefix)):
            continue
        raise RequestError(f"{option}: no policy {pid!r}{_did_you_mean(pid, ids)}")


def check_frameworks(wanted: Iterable[str], known: Iterable[str]) -> None:
    """Each framework (a full name or a prefix such as ``cis``) must match a framework some policy maps to."""
    names = sorted(set(known))
    for want in wanted:
        if not any(name.startswith(want) for name in names):
            raise RequestError(f"--framework: no policy maps to {want!r}{_did_you_mean(want, names)}"
                               f" (known: {', '.join(names)})")


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    same = [c for c in choices if c.lower() == word.lower()]
    close = same or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
