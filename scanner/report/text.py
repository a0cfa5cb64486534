"""Human-readable report, grouped by severity; colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..model import PathStep, Report, Severity

# Diagnostics of files and directories not scanned (scanner/discover.py): one summary line here.
SKIPPED = "skipped-"

_COLOURS = {"critical": "\033[1;35m", "high": "\033[1;31m", "medium": "\033[33m",
            "low": "\033[36m", "info": "\033[2m"}
_RESET = "\033[0m"


def hops(path: tuple[PathStep, ...]) -> str:
    """``internet -exposes-> a -escapes_to [CE_PRIV_MOUNT]-> b``: every hop with its edge and what it stands for."""
    out = [path[0].address]
    for step in path[1:]:
        label = f"{step.edge} [{step.detail}]" if step.detail else step.edge
        out.append(f"-{label}-> {step.address}" if label else f"-> {step.address}")
    return " ".join(out)


def render(report: Report, *, colour: bool = False, **_: Any) -> str:
    metas = {m.id: m for m in report.policies}
    out: list[str] = []
    paint = (lambda sev, s: f"{_COLOURS[sev]}{s}{_RESET}") if colour else (lambda sev, s: s)
    active = report.active_findings
    for severity in sorted(Severity, key=lambda s: -s.rank):
        group = [f for f in active if f.severity is severity]
        if not group:
            continue
        out.append(paint(severity.value, f"{severity.value.upper()} ({len(group)})"))
        for f in group:
            title = metas[f.policy_id].title if f.policy_id in metas else ""
            out.append(f"  {f.location.path}:{f.location.start_line}  {f.policy_id}  {f.resource}")
            out.append(f"      {f.message}" if f.message != title else f"      {title}")
            if f.path:
                out.append("      path: " + hops(f.path))
            if f.elements:
                out.append("      also at: " + ", ".join(
                    f"line {e.start_line}" if e.path == f.location.path else str(e) for e in f.elements))
        out.append("")
    shown = [d for d in report.diagnostics if not d.code.startswith(SKIPPED)]
    if shown:
        out.append(f"DIAGNOSTICS ({len(shown)})")
        out.extend(f"  {d}" for d in shown)
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
