"""JSON report: a stable, documented shape (docs/output.md); identical input gives identical bytes."""

from __future__ import annotations

import codecs
import tempfile
from collections import Counter
from functools import partial
from typing import Any, Iterator, Optional

from .. import __version__, parallel
from ..completeness import gaps
from ..model import Diagnostic, Finding, Location, PolicyMeta, Report, Severity
from . import pretty

SCHEMA_VERSION = 1


def finding_dict(f: Finding, meta: PolicyMeta | None,
                 shared: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """One finding; ``shared`` holds its policy's part (:func:`policy_part`), made once per policy."""
    part = shared if shared is not None else policy_part(meta)
    return {
        "policy_id": f.policy_id,
        "title": part["title"],
        "severity": f.severity.value,
        "resource": f.resource,
        "location": {"path": f.location.path, "start_line": f.location.start_line,
                     "end_line": f.location.end_line},
        "block": ({"path": f.block.path, "start_line": f.block.start_line, "end_line": f.block.end_line}
                  if f.block else None),
        "elements": [{"path": e.path, "start_line": e.start_line} for e in f.elements],
        "message": f.message,
        "evidence": list(f.evidence),
        "path": [{"address": s.address, "edge": s.edge, **({"detail": s.detail} if s.detail else {}),
                  "location": ({"path": s.location.path, "start_line": s.location.start_line}
                               if s.location else None)} for s in f.path],
        "frameworks": part["frameworks"],
        "cwe": part["cwe"],
        "fingerprint": f.fingerprint,
        "suppression": ({"kind": f.suppression.kind, "reason": f.suppression.reason,
                         "source": f.suppression.source, "expires": f.suppression.expires}
                        if f.suppression else None),
    }


def policy_part(meta: PolicyMeta | None) -> dict[str, Any]:
    """What every finding of one policy repeats: title, frameworks, CWE."""
    return {"title": meta.title if meta else "",
            "frameworks": {k: list(v) for k, v in sorted((meta.frameworks if meta else {}).items())},
            "cwe": list(meta.cwe) if meta else []}


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "level": d.level, "path": d.path, "line": d.line, "message": d.message}


def to_dict(report: Report) -> dict[str, Any]:
    metas = {m.id: m for m in report.policies}
    parts = {pid: policy_part(metas.get(pid)) for pid in {f.policy_id for f in report.findings}}
    active = report.active_findings
    by_severity: dict[str, int] = {}
    for f in active:
        by_severity[f.severity.value] = by_severity.get(f.severity.value, 0) + 1
    stats = {k: v for k, v in report.stats.items() if k != "seconds"}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "riskgraph", "version": __version__},
        "summary": {"findings": len(active), "suppressed": len(report.findings) - len(active),
                    "by_severity": dict(sorted(by_severity.items())),
                    "diagnostics": len(report.diagnostics),
                    "complete": not gaps(report.diagnostics)},
        "findings": [finding_dict(f, None, parts[f.policy_id]) for f in report.findings],
        "diagnostics": [diagnostic_dict(d) for d in report.diagnostics],
        "stats": stats,
    }


def render(report: Report, **options: Any) -> str:
    """The report as indented JSON: the bytes of ``pretty.dumps(to_dict(report))``."""
    return "".join(chunks(report, **options))


def chunks(report: Report, jobs: int = 1, **_: Any) -> Iterator[str]:
    """The text of :func:`render` in pieces of at most ``_BATCH`` findings each.

    Each finding is one f-string with its policy's part (title, frameworks,
    CWE) written once per policy: 360,000 findings took 11 s and 1.1 GB
    through the dict tree and the generic writer, 1.3 s now
    (tests/test_report_pretty.py checks the bytes against ``to_dict``).
    With ``jobs > 1`` and at least :data:`PARALLEL_FINDINGS` findings, a
    forked child writes the second half's text to a temporary file while
    this process writes the first half; the same bytes either way.
    """
    doc = to_dict(Report(findings=(), diagnostics=report.diagnostics, policies=report.policies,
                         stats=report.stats))
    active = report.active_findings
    by_severity: dict[str, int] = {}
    for severity, count in Counter(f.severity for f in active).items():
        by_severity[severity.value] = count
    doc["summary"].update(findings=len(active), suppressed=len(report.findings) - len(active),
                          by_severity=dict(sorted(by_severity.items())))
    marker = "\x00findings\x00"
    doc["findings"] = marker if report.findings else []
    head, _sep, tail = pretty.dumps(doc).partition(pretty.dumps(marker))
    if not report.findings:
        yield head + "\n"
        return
    findings = report.findings
    metas = {m.id: m for m in report.policies}
    half = len(findings) // 2 if jobs > 1 and len(findings) >= PARALLEL_FINDINGS else len(findings)
    second = None
    if half < len(findings):
        spool = tempfile.TemporaryFile()  # inherited by the child, read here once it is done
        second = parallel.later(partial(_spooled, findings, half, metas, spool.fileno()), jobs)
    yield head + "[\n" + _PAD
    yield from _findings_text(findings, 0, half, metas)
    if second is not None:
        if second():
            spool.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            for block in iter(partial(spool.read, 1 << 20), b""):
                yield decoder.decode(block)
        else:  # the child failed: the second half is written here
            yield from _findings_text(findings, half, len(findings), metas)
        spool.close()
    yield "".join(("\n  ]", tail, "\n"))


# From this many findings up, with a second process, two processes write the JSON text.
PARALLEL_FINDINGS = 50_000


def _spooled(findings: tuple[Finding, ...], start: int, metas: dict[str, PolicyMeta], fd: int) -> bool:
    """The text of ``findings[start:]`` written to the open file ``fd`` (in a forked child)."""
    with open(fd, "w", encoding="utf-8", closefd=False) as out:
        for piece in _findings_text(findings, start, len(findings), metas):
            out.write(piece)
    return True


def _findings_text(findings: tuple[Finding, ...], start: int, stop: int,
                   metas: dict[str, PolicyMeta]) -> Iterator[str]:
    """The text of ``findings[start:stop]`` in the document, each after a separator but the very first."""
    parts: dict[str, tuple[str, str, str, str]] = {}
    # the one-f-string writer while finding_dict has the keys it was written for, else key by key
    write = _finding_text if _keys() == _TEMPLATE_KEYS else _finding_text_by_key
    seen: dict[int, tuple[Any, str]] = {}  # Location id -> (it, its text): held, so ids stay unique
    batch: list[str] = []
    for n in range(start, stop):
        f = findings[n]
        shared = parts.get(f.policy_id)
        if shared is None:
            part = policy_part(metas.get(f.policy_id))
            frameworks, cwe = pretty.dumps_at(part["frameworks"], _IN), pretty.dumps_at(part["cwe"], _IN)
            shared = parts[f.policy_id] = (
                pretty.dumps_at(part["title"], _IN),
                f'{_IN}"frameworks": {frameworks},\n{_IN}"cwe": {cwe},\n', frameworks, cwe)
        if n:
            batch.append(_BETWEEN)
        batch.append(write(f, shared, seen))
        if (n - start + 1) % _BATCH == 0:
            yield "".join(batch)
            batch = []
            # findings come sorted by place, so a resource's Locations recur within a batch: a
            # cache of every Location seen (720,000 for 360,000 findings) cost more than it saved
            seen.clear()
    if batch:
        yield "".join(batch)


_PAD, _IN = "    ", "      "  # a finding's braces, and its keys, in the document
_BETWEEN = ",\n" + _PAD
_BATCH = 2000
_SEVERITY_TEXT = {s: pretty.string(s.value) for s in Severity}


def _location(loc: Any, seen: dict[int, tuple[Any, str]]) -> str:
    """``loc`` as written in a finding; findings of one resource share its Location, and its text."""
    known = seen.get(id(loc))
    if known is not None and known[0] is loc:
        return known[1]
    text = _location_text(loc)
    seen[id(loc)] = (loc, text)
    return text


def _location_text(loc: Any) -> str:
    if type(loc.path) is str and type(loc.start_line) is int and type(loc.end_line) is int:
        return (f'{{\n{_IN}  "path": {pretty.string(loc.path)},\n{_IN}  "start_line": {int.__repr__(loc.start_line)},'
                f'\n{_IN}  "end_line": {int.__repr__(loc.end_line)}\n{_IN}}}')
    return pretty.dumps_at({"path": loc.path, "start_line": loc.start_line, "end_line": loc.end_line}, _IN)


_TEMPLATE_KEYS = ("policy_id", "title", "severity", "resource", "location", "block", "elements", "message",
                  "evidence", "path", "frameworks", "cwe", "fingerprint", "suppression")
_NO_PART: dict[str, Any] = {"title": "", "frameworks": {}, "cwe": []}


def _keys() -> tuple[str, ...]:
    """The keys :func:`finding_dict` writes, in order."""
    return tuple(finding_dict(Finding("P", Severity.LOW, "r", Location("p", 1, 1), "m"), None, _NO_PART))


def _finding_text_by_key(f: Finding, shared: tuple[str, str, str, str],
                         seen: dict[int, tuple[Any, str]]) -> str:
    """One finding from :func:`finding_dict` key by key, the policy's part written once (any keys)."""
    texts = []
    for key, value in finding_dict(f, None, _NO_PART).items():
        text = (shared[0] if key == "title" else shared[2] if key == "frameworks"
                else shared[3] if key == "cwe" else pretty.dumps_at(value, _IN))
        texts.append(f"{_IN}{pretty.string(key)}: {text}")
    return "{\n" + ",\n".join(texts) + "\n" + _PAD + "}"


def _finding_text(f: Finding, shared: tuple[str, str, str, str], seen: dict[int, tuple[Any, str]]) -> str:
    """One finding as ``pretty`` writes :func:`finding_dict` at the findings' depth."""
    s, at = pretty.string, pretty.dumps_at
    loc = f.location
    evidence = ("[]" if not f.evidence
                else "[\n" + _IN + "  " + (",\n" + _IN + "  ").join(s(e) for e in f.evidence) + "\n" + _IN + "]"
                if all(type(e) is str for e in f.evidence) else at(list(f.evidence), _IN))
    rest = finding_dict(f, None, _NO_PART) if (
        f.path or f.suppression or f.elements) else None
    return (f'{{\n{_IN}"policy_id": {s(f.policy_id)},\n{_IN}"title": {shared[0]},\n'
            f'{_IN}"severity": {_SEVERITY_TEXT[f.severity]},\n{_IN}"resource": {s(f.resource)},\n'
            f'{_IN}"location": {_location(loc, seen)},\n'
            f'{_IN}"block": {_location(f.block, seen) if f.block else "null"},\n'
            f'{_IN}"elements": {at(rest["elements"], _IN) if rest else "[]"},\n'
            f'{_IN}"message": {s(f.message)},\n{_IN}"evidence": {evidence},\n'
            f'{_IN}"path": {at(rest["path"], _IN) if rest else "[]"},\n{shared[1]}'
            f'{_IN}"fingerprint": {s(f.fingerprint)},\n'
            f'{_IN}"suppression": {at(rest["suppression"], _IN) if rest else "null"}\n{_PAD}}}')
