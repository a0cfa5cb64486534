"""Suppressions: `riskgraph:ignore` and `checkov:skip` comments, the Kubernetes annotation, and baselines.

Comments are read here, from the source files that hold findings (only
those), so parsers stay untouched. A directive applies to a finding when it
sits inside the resource's block, on the finding's line or the line above
it, or in the comment block directly above the resource::

    # riskgraph:ignore=RG-AWS-001 bastion range is reviewed monthly
    # riskgraph:ignore=RG-AWS-001,RG-AWS-002 until=2027-01-31 migration ticket OPS-12
    # checkov:skip=CKV_AWS_24:bastion only

A reason is required (a directive without one is reported and ignored); an
expired ``until=`` date makes the finding active again, with a diagnostic.
A baseline file lists fingerprints of accepted findings; they stay in the
report, marked as suppressed.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Optional, Sequence

from .model import Diagnostic, Finding, PolicyMeta, Resource, Suppression

ANNOTATION = "riskgraph.dev/ignore"
BASELINE_VERSION = 1

_IGNORE_RE = re.compile(
    r"(?:#|//|/\*)\s*riskgraph:ignore=(?P<ids>[A-Za-z0-9_.\-]+(?:\s*,\s*[A-Za-z0-9_.\-]+)*)"
    r"(?:\s+until=(?P<until>\S+))?(?P<reason>.*)$")
_CHECKOV_RE = re.compile(r"(?:#|//|/\*)\s*checkov:skip=(?P<ids>[A-Za-z0-9_]+)(?::(?P<reason>.*))?$")
_ANNOTATION_RE = re.compile(
    r"^\s*(?P<ids>[A-Za-z0-9_.\-]+(?:\s*,\s*[A-Za-z0-9_.\-]+)*)"
    r"(?:\s+until=(?P<until>[^\s:]+))?\s*(?::\s*(?P<reason>.*))?$")
_COMMENT_LINE_RE = re.compile(r"^\s*(#|//|/\*|\*)")


@dataclass(frozen=True)
class Directive:
    """One suppression request found in a file or annotation."""

    ids: tuple[str, ...]
    reason: str
    path: str
    line: int
    until: Optional[_dt.date] = None
    checkov: bool = False      # ids are checkov ids (``checkov:skip=``)

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"


def _clean_reason(text: Optional[str]) -> str:
    return (text or "").strip().rstrip("*/").strip()


def _parse_until(raw: Optional[str], path: str, line: int,
                 diagnostics: list[Diagnostic]) -> tuple[bool, Optional[_dt.date]]:
    if raw is None:
        return True, None
    try:
        return True, _dt.date.fromisoformat(raw)
    except ValueError:
        diagnostics.append(Diagnostic(
            "suppression-bad-date", f"until={raw!r} is not a YYYY-MM-DD date; suppression ignored",
            path, line))
        return False, None


def comment_directives(path: str, text: str) -> tuple[list[Directive], list[Diagnostic]]:
    """Every ``riskgraph:ignore`` / ``checkov:skip`` comment in ``text`` (HCL or YAML)."""
    found: list[Directive] = []
    diagnostics: list[Diagnostic] = []
    if "riskgraph:ignore" not in text and "checkov:skip=" not in text:  # most files: no line loop
        return found, diagnostics
    for number, line in enumerate(text.splitlines(), start=1):
        if "riskgraph:ignore" in line:
            m = _IGNORE_RE.search(line)
            if m is None:
                diagnostics.append(Diagnostic(
                    "suppression-malformed", "riskgraph:ignore needs =ID[,ID] and a reason",
                    path, number))
                continue
            reason = _clean_reason(m.group("reason"))
            ids = tuple(i.strip() for i in m.group("ids").split(","))
            if not reason:
                diagnostics.append(Diagnostic(
                    "suppression-without-reason",
                    f"riskgraph:ignore={','.join(ids)} gives no reason; not applied", path, number))
                continue
            ok, until = _parse_until(m.group("until"), path, number, diagnostics)
            if ok:
                found.append(Directive(ids, reason, path, number, until))
        if "checkov:skip=" in line:
            m = _CHECKOV_RE.search(line)
            if m is not None:
                reason = _clean_reason(m.group("reason")) or f"checkov:skip={m.group('ids')}"
                found.append(Directive((m.group("ids"),), reason, path, number, checkov=True))
    return found, diagnostics


def annotation_directives(resource: Resource) -> tuple[list[Directive], list[Diagnostic]]:
    """Directives from the ``riskgraph.dev/ignore`` annotation of a Kubernetes object or its pod template.

    The value holds one entry per line (or separated by ``;``): ``RG-K8S-002: reason``,
    optionally ``RG-K8S-002 until=2027-01-31: reason``.
    """
    found: list[Directive] = []
    diagnostics: list[Diagnostic] = []
    attrs = resource.attributes
    candidates = [("metadata", attrs.get("metadata"))]
    template = (attrs.get("spec") or {}).get("template") if isinstance(attrs.get("spec"), dict) else None
    if isinstance(template, dict):
        candidates.append(("spec.template.metadata", template.get("metadata")))
    for prefix, metadata in candidates:
        if not isinstance(metadata, dict) or not isinstance(metadata.get("annotations"), dict):
            continue
        value = metadata["annotations"].get(ANNOTATION)
        if not isinstance(value, str):
            continue
        line = resource.line_of(f"{prefix}.annotations")
        path = resource.location.path
        for entry in re.split(r"[;\n]", value):
            if not entry.strip():
                continue
            m = _ANNOTATION_RE.match(entry)
            reason = _clean_reason(m.group("reason")) if m else ""
            if m is None or not reason:
                diagnostics.append(Diagnostic(
                    "suppression-without-reason",
                    f"{ANNOTATION} entry {entry.strip()!r} needs 'ID: reason'; not applied",
                    path, line))
                continue
            ok, until = _parse_until(m.group("until"), path, line, diagnostics)
            if ok:
                ids = tuple(i.strip() for i in m.group("ids").split(","))
                found.append(Directive(ids, reason, path, line, until))
    return found, diagnostics


def _applies_to(d: Directive, finding: Finding, resource: Optional[Resource],
                comment_lines: frozenset[int]) -> bool:
    line = finding.location.start_line
    if d.line in (line, line - 1):
        return True
    if resource is None or resource.location.path != d.path:
        return False
    start, end = resource.location.start_line, resource.location.end_line
    if start <= d.line <= max(start, end):
        return True
    # the contiguous block of comment lines directly above the resource
    above = start - 1
    while above >= 1 and above in comment_lines:
        if above == d.line:
            return True
        above -= 1
    return False


def _matches(d: Directive, finding: Finding, meta: Optional[PolicyMeta]) -> bool:
    if d.checkov:
        return d.ids[0] == finding.policy_id or bool(meta and d.ids[0] in meta.checkov_ids)
    return finding.policy_id in d.ids


def apply_inline(findings: Sequence[Finding], resources: Mapping[str, Resource],
                 sources: Mapping[str, str], policies: Iterable[PolicyMeta], *,
                 today: Optional[_dt.date] = None) -> tuple[list[Finding], list[Diagnostic]]:
    """Mark findings suppressed by comments or annotations.

    ``sources`` maps a finding's relative path to the file on disk; only files
    holding findings are read. Expired directives leave the finding active and
    add a ``suppression-expired`` diagnostic.
    """
    today = today or _dt.date.today()
    metas = {m.id: m for m in policies}
    diagnostics: list[Diagnostic] = []
    by_file: dict[str, tuple[list[Directive], frozenset[int]]] = {}
    for path in sorted({f.location.path for f in findings}):
        disk = sources.get(path)
        if disk is None:
            continue
        try:
            with open(disk, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        directives, problems = comment_directives(path, text)
        diagnostics.extend(problems)
        if directives:  # the comment lines matter only to a file's own directives
            comment_lines = frozenset(i for i, line in enumerate(text.splitlines(), start=1)
                                      if _COMMENT_LINE_RE.match(line))
            by_file[path] = (directives, comment_lines)
    annotated: dict[str, list[Directive]] = {}
    for address in sorted({f.resource for f in findings}):
        resource = resources.get(address)
        if resource is not None and resource.kind.value == "kubernetes":
            directives, problems = annotation_directives(resource)
            diagnostics.extend(problems)
            if directives:
                annotated[address] = directives
    out: list[Finding] = []
    expired_seen: set[tuple[str, int]] = set()
    for f in findings:
        if f.suppression is not None or (f.location.path not in by_file and f.resource not in annotated):
            out.append(f)
            continue
        resource = resources.get(f.resource)
        directives, comment_lines = by_file.get(f.location.path, ([], frozenset()))
        candidates = [d for d in directives if _applies_to(d, f, resource, comment_lines)]
        candidates += annotated.get(f.resource, [])
        chosen: Optional[Directive] = None
        for d in candidates:
            if not _matches(d, f, metas.get(f.policy_id)):
                continue
            if d.until is not None and d.until < today:
                if (d.path, d.line) not in expired_seen:
                    expired_seen.add((d.path, d.line))
                    diagnostics.append(Diagnostic(
                        "suppression-expired", f"suppression of {','.join(d.ids)} expired on "
                        f"{d.until.isoformat()}; the finding is active again", d.path, d.line,
                        level="warning"))
                continue
            chosen = d
            break
        if chosen is None:
            out.append(f)
        else:
            out.append(replace(f, suppression=Suppression(
                "inSource", chosen.reason, chosen.source,
                chosen.until.isoformat() if chosen.until else None)))
    return out, diagnostics


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """The baseline file's content: one entry per active finding, keyed by fingerprint."""
    entries = sorted({f.fingerprint: {"fingerprint": f.fingerprint, "policy_id": f.policy_id,
                                      "resource": f.resource, "path": f.location.path}
                      for f in findings if f.suppression is None}.values(),
                     key=lambda e: (e["path"], e["policy_id"], e["resource"], e["fingerprint"]))
    return {"version": BASELINE_VERSION, "tool": "riskgraph", "findings": entries}


class BaselineError(Exception):
    """A baseline file that cannot be read; names the file."""


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints listed in a baseline file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: baseline is not valid JSON: {exc}") from None
    if (not isinstance(data, dict) or data.get("version") != BASELINE_VERSION
            or not isinstance(data.get("findings"), list)
            or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                       for e in data["findings"])):
        raise BaselineError(f"{path}: not a riskgraph baseline (version {BASELINE_VERSION} with "
                            f"a 'findings' list of {{fingerprint: ...}})")
    return frozenset(e["fingerprint"] for e in data["findings"])


def apply_baseline(findings: Sequence[Finding], fingerprints: frozenset[str],
                   source: str) -> list[Finding]:
    """Mark findings whose fingerprint is in the baseline as suppressed (kind ``external``)."""
    return [replace(f, suppression=Suppression("external", "accepted in baseline", source))
            if f.suppression is None and f.fingerprint in fingerprints else f
            for f in findings]
