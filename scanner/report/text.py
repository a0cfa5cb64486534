"""Human-readable report, grouped by severity; colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

from collections import Counter
from typing import Any, Optional

from ..completeness import gaps
from ..model import PathStep, PolicyMeta, Report, Severity
from . import edge_label

# Diagnostics of files and directories not scanned (scanner/discover.py): one summary line here.
SKIPPED = "skipped-"
FIX_WIDTH = 100  # a remediation longer than this is cut, and `policies show` says the rest

_COLOURS = {"critical": "\033[1;35m", "high": "\033[1;31m", "medium": "\033[33m",
            "low": "\033[36m", "info": "\033[2m"}
_RESET = "\033[0m"
# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators: a file
# name or message holding one must not move the cursor, colour the terminal or forge a line
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROL.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def safe(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``)."""
    return text.translate(_CONTROL)


def fix_line(meta: Optional[PolicyMeta], policy_id: str) -> str:
    """One line on how to fix a policy's findings, and where to read more."""
    more = f"riskgraph policies show {policy_id}"
    text = " ".join((meta.remediation if meta else "").split())
    if not text:
        return f"more: {more}"
    if len(text) > FIX_WIDTH:
        text = text[:FIX_WIDTH - 1].rstrip() + "…"
    return f"fix: {text} ({more})"


def hops(path: tuple[PathStep, ...]) -> str:
    """``internet -exposes-> a -escapes_to [CE_PRIV_MOUNT]-> b``: every hop with its edge and what it stands for."""
    out = [path[0].address]
    for step in path[1:]:
        label = edge_label(step)
        out.append(f"-{label}-> {step.address}" if label else f"-> {step.address}")
    return " ".join(out)


def render(report: Report, *, colour: bool = False, **_: Any) -> str:
    metas = {m.id: m for m in report.policies}
    out: list[str] = []
    paint = (lambda sev, s: f"{_COLOURS[sev]}{s}{_RESET}") if colour else (lambda sev, s: s)
    missing = gaps(report.diagnostics)
    if missing:
        out.append(paint("high", f"SCAN INCOMPLETE: {len(missing)} file(s) or step(s) not covered; "
                                  "see DIAGNOSTICS below"))
        out.append("")
    active = report.active_findings
    for severity in sorted(Severity, key=lambda s: -s.rank):
        group = [f for f in active if f.severity is severity]
        if not group:
            continue
        out.append(paint(severity.value, f"{severity.value.upper()} ({len(group)})"))
        for f in group:
            meta = metas.get(f.policy_id)
            title = meta.title if meta else ""
            out.append(safe(f"  {f.location.path}:{f.location.start_line}  {f.policy_id}  {f.resource}"))
            out.append(safe(f"      {f.message}" if f.message != title else f"      {title}"))
            if f.path:
                out.append(safe("      path: " + hops(f.path)))
            if f.elements:
                out.append(safe("      also at: " + ", ".join(
                    f"line {e.start_line}" if e.path == f.location.path else str(e) for e in f.elements)))
            out.append(safe(f"      {fix_line(meta, f.policy_id)}"))
        out.append("")
    shown = [d for d in report.diagnostics if not d.code.startswith(SKIPPED)]
    if shown:
        out.append(f"DIAGNOSTICS ({len(shown)})")
        out.extend(safe(f"  {d}") for d in shown)
        out.append("")
    skipped = Counter(d.code for d in report.diagnostics if d.code.startswith(SKIPPED))
    if skipped:
        out.append(f"SKIPPED ({sum(skipped.values())}, each listed in --format json or sarif): "
                   + ", ".join(f"{n} {code[len(SKIPPED):]}" for code, n in sorted(skipped.items())))
        out.append("")
    suppressed = len(report.findings) - len(active)
    counts = ", ".join(f"{sum(1 for f in active if f.severity is s)} {s.value}"
                       for s in sorted(Severity, key=lambda s: -s.rank))
    stats = report.stats
    out.append(f"{len(active)} findings ({counts}); {suppressed} suppressed; "
               f"{stats.get('resources', 0)} resources in {stats.get('files', 0)} files; "
               f"{stats.get('policies', 0)} policies")
    return "\n".join(out) + "\n"
