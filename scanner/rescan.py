"""Whole-scan results for inputs seen before: a re-scan with nothing changed reads its report back.

The parse cache (scanner/cache.py) saves parsing unchanged files, but a graph
scan's findings depend on every file at once, so linking and evaluation
would still run. This stores the finished :class:`Report` under a key of
everything that decides it:

- riskgraph's own code (the parse cache's code stamp);
- every policy file's bytes, the parameters, ``only`` / ``skip``;
- every discovered file's path, format and bytes, and discovery's own
  diagnostics;
- the options (variables, var files, ``TF_VAR_*`` and ``TF_WORKSPACE``, excludes, frameworks,
  suppressions, the baseline's bytes), the working directory and today's
  date (suppressions expire);

and beside the report, a digest of each file and directory listing the
parsers read beyond the discovered files (a module called from outside the
scanned root, var files, ``modules.json``; see ``cache.read_input``). A
stored report is used only when all of those still read the same. Anything
not covered (policies passed in as objects, ``--with-checkov``) is never
stored. Entries live in the parse cache's database, with its integrity
checks and its switch (``--no-cache`` / ``RISKGRAPH_NO_CACHE=1``).

Beside the report goes the scan's :class:`~scanner.incremental.State`, under
the same key without the files' bytes: a later scan of the same request
whose files changed starts from it (scanner/incremental.py). Its body (the
parse groups' resources, facts, reads) is one entry, written by full scans
only; its findings are read back from the full scan's report when no
framework filter or baseline changed them; the rest, small, is written after
every scan.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pickle
import time
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

from .api import terraform_environment
from .cache import RESULT_PREFIX, STATE_PREFIX, ParseCache, code_stamp, observe, stable, unpickle
from .discover import Discovery
from .model import Policy, Report, Resource

BODY = "/body"  # the key of a state's body: its own key and this

if TYPE_CHECKING:  # pragma: no cover
    from .incremental import State
    from .request import ScanRequest


def remembered(cache: Optional[ParseCache], found: Discovery, policies: Sequence[Policy],
               request: "ScanRequest", timings: dict[str, float],
               compute: Callable[[Optional[Mapping[str, Optional[str]]], Optional["State"]],
                                 tuple[Report, Optional["State"]]]) -> Report:
    """The stored report of this scan when its inputs are unchanged, else ``compute(digests, state)`` (stored for next time).

    ``digests`` are the discovered files' fingerprints; ``state`` what the
    last full scan of this request with other file contents kept
    (scanner/incremental.py), or None. ``timings`` gains ``result_cache``
    when the report was read back, so a report says where it came from
    (``stats["seconds"]``).
    """
    if cache is None:
        return compute(None, None)[0]
    digests = {f.path: file_digest(f.path) for f in found.files}
    keys = request_keys(found, policies, request, digests)
    if keys is None:
        return compute(None, None)[0]
    key, state_key = keys
    t0 = time.perf_counter()
    before = stamps(found)  # a file edited while the scan runs must not file its result
    stored = lookup(cache, key)
    if stored is not None:
        timings["result_cache"] = time.perf_counter() - t0
        return replace(stored, stats={**stored.stats,
                                      "seconds": {k: round(v, 4) for k, v in timings.items()}})
    previous = recall_state(cache, state_key)
    report, state = compute(digests, previous)
    if stamps(found) == before and stable(report.diagnostics):
        full = state is None or previous is None or state.body.stamp != previous.body.stamp
        if full:
            # a full scan: its report too (after an edit, the next scan with nothing changed
            # finds the state, which costs it less than storing the report costs this one)
            cache.put(key, (dict(cache.seen), report))
        if state is not None:
            keep_state(cache, state_key, state, key if full and _invertible(request) else None,
                       write_body=full)
    return report


def _invertible(request: "ScanRequest") -> bool:
    """Whether this request's report holds every finding evaluation gave, only marked when suppressed.

    Then a state's body need not keep the findings a second time: they are
    read back from the report (no framework filter, no baseline).
    """
    return not request.frameworks and not request.baseline


def recall_state(cache: ParseCache, key: str) -> Optional["State"]:
    """The state kept under ``key`` (its body is a second entry, written by the full scan), or None.

    A body whose findings are those of the full scan's report reads them
    from it, without their suppressions; when that report is gone, so is the state.
    """
    from .incremental import Body, State  # not on a re-scan served by its stored report: ~16 ms of imports

    found, head = cache.get(key)
    if not found or not isinstance(head, tuple) or len(head) != 6:
        return None
    found, entry = cache.get(key + BODY)
    if not found or not isinstance(entry, tuple) or len(entry) != 3 or not isinstance(entry[0], Body):
        return None
    body, report_key, packs = entry
    if body.stamp != head[0]:
        return None
    resources: list[Resource] = []
    try:
        for pack in packs:
            resources.extend(unpickle(pack))
    except Exception:  # noqa: BLE001 - a damaged entry: scan in full
        return None
    body = replace(body, resources=tuple(resources))
    if report_key is not None:  # the findings are the report's, without their suppressions
        stored = _stored_report(cache, report_key)
        if stored is None:
            return None
        body = replace(body, findings=tuple(replace(f, suppression=None) if f.suppression is not None else f
                                            for f in stored[1].findings))
    return State(body, *head[1:])


def keep_state(cache: ParseCache, key: str, state: "State", report_key: Optional[str], write_body: bool) -> None:
    """Store ``state``: the small part always, the body only when it is new (its findings as the
    key of the report that holds them, when there is one)."""
    if write_body:
        body = state.body
        # the resources as each parse group's pickle, made where the group was parsed (scanner/parse.py)
        packs, start = [], 0
        for group in body.groups:
            mine = body.resources[start:start + group.count]
            packs.append(group.packed if group.packed is not None else
                         pickle.dumps(list(mine), protocol=pickle.HIGHEST_PROTOCOL))
            start += group.count
        if start != len(body.resources):
            packs = [pickle.dumps(list(body.resources), protocol=pickle.HIGHEST_PROTOCOL)]
        stored = replace(body, groups=tuple(replace(g, packed=None) for g in body.groups), resources=(),
                         findings=() if report_key else body.findings)
        cache.put(key + BODY, (stored, report_key, tuple(packs)))
    cache.put(key, (state.body.stamp, state.digests, state.seen, state.counts, state.edited, state.judged))


def request_keys(found: Discovery, policies: Sequence[Policy], request: "ScanRequest",
                 digests: Mapping[str, Optional[str]]) -> Optional[tuple[str, str]]:
    """The stored-result key of this request and the key of its state; None when it must not be stored."""
    if request.policies is not None or request.with_checkov:
        return None  # policies passed as objects, checkov's own checks: outside what the key covers
    # every scan option of the request (a new one is keyed without a change here) but the
    # process count and what only the command line reads
    skip = {"jobs", "today", "baseline", "policies", "format", "output", "severity_threshold",
            "allow_incomplete", "category", "checkov_path"}
    options: dict[str, Any] = {f.name: getattr(request, f.name) for f in fields(request)
                               if f.name not in skip}
    options.update(
        today=(request.today or datetime.date.today()).isoformat(),  # suppressions expire
        baseline=[request.baseline, file_digest(request.baseline) if request.baseline else None],
        env=terraform_environment())
    return scan_keys(found, policies, options, digests)


def scan_keys(discovery: Discovery, policies: Sequence[Policy], options: Mapping[str, Any],
              digests: Mapping[str, Optional[str]]) -> Optional[tuple[str, str]]:
    """The key of a scan's result and the key of its :class:`~scanner.incremental.State` (the same
    request, whatever the files hold); None when some input cannot be pinned down (then nothing is stored)."""
    h = hashlib.sha256(code_stamp())
    h.update(json.dumps(options, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    h.update(os.getcwd().encode("utf-8", "surrogateescape"))
    for policy in policies:
        digest = file_digest(policy.meta.source_path) if policy.meta.source_path else None
        if digest is None:
            return None
        h.update(f"\0policy\0{policy.id}\0{policy.meta.source_path}\0{digest}".encode("utf-8", "surrogatepass"))
    state = h.copy()
    for f in discovery.files:
        digest = digests.get(f.path)
        if digest is None:  # unreadable now: the parsers' diagnostic must come from a real scan
            return None
        where = f"\0file\0{f.path}\0{f.relpath}\0{f.format}\0{f.root}\0"
        h.update(f"{where}{digest}".encode("utf-8", "surrogatepass"))
        state.update(where.encode("utf-8", "surrogatepass"))
    # how many files were not scanned is the report's alone (its stats): a state holds for any number
    found = repr([(d.code, d.path, d.line, d.message) for d in discovery.diagnostics]).encode("utf-8", "surrogatepass")
    h.update(repr(discovery.skipped).encode() + found)
    state.update(found)
    return RESULT_PREFIX + h.hexdigest(), STATE_PREFIX + state.hexdigest()


def stamps(discovery: Discovery) -> list[tuple[int, int]]:
    """Size and modification time of every discovered file: unchanged across a scan, or its result is not stored."""
    out = []
    for f in discovery.files:
        try:
            st = os.stat(f.path)
        except OSError:
            out.append((-1, -1))
            continue
        out.append((st.st_size, st.st_mtime_ns))
    return out


def lookup(cache: ParseCache, key: str) -> Optional[Report]:
    """The stored report for ``key`` when everything the parsers read still reads the same."""
    entry = _stored_report(cache, key)
    return entry[1] if entry is not None and _unchanged(entry[0]) else None


def _stored_report(cache: ParseCache, key: str) -> Optional[tuple[Any, Report]]:
    """The entry :func:`remembered` stores under ``key``: what the parsers read, and the report."""
    found, value = cache.get(key)
    if not found or not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[1], Report):
        return None
    return value[0], value[1]


def _unchanged(seen: Any) -> bool:
    """True when every file, listing and path kind the parsers saw gives the digest it gave when the report was made."""
    if not isinstance(seen, dict):
        return False
    return all(isinstance(k, tuple) and len(k) == 3 and observe(*k) == digest for k, digest in seen.items())


def file_digest(path: str) -> Optional[str]:
    """The fingerprint of a file's bytes (None when it cannot be read): :func:`scanner.cache.observe`'s."""
    return observe("read", path) or None
