"""JSON report: a stable, documented shape (docs/output.md); identical input gives identical bytes."""

from __future__ import annotations

from typing import Any, Optional

from .. import __version__
from ..completeness import gaps
from ..model import Diagnostic, Finding, PolicyMeta, Report
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


def render(report: Report, **_: Any) -> str:
    return pretty.dumps(to_dict(report)) + "\n"
