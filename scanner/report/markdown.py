"""Markdown for pull-request comments: counts by severity and framework, a table, attack paths as Mermaid."""

from __future__ import annotations

from typing import Any

from ..model import Finding, Report, Severity
from ..secrets import mask_in_text

_ICON = {"critical": "🟣", "high": "🔴", "medium": "🟠", "low": "🔵", "info": "⚪"}
_ORDER = sorted(Severity, key=lambda s: -s.rank)


def _cell(text: str) -> str:
    """Text safe inside a table cell: masked, no pipes or newlines."""
    return mask_in_text(text, ()).replace("|", "\\|").replace("\n", " ")


def _node_id(index: int) -> str:
    return f"n{index}"


def _label(text: str) -> str:
    return mask_in_text(text, ()).replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid_path(f: Finding) -> str:
    """The finding's graph path as a Mermaid flowchart, one node per hop and the edge kind on each arrow."""
    lines = ["```mermaid", "flowchart LR"]
    for i, step in enumerate(f.path):
        shape = f'(("{_label(step.address)}"))' if i == 0 and step.location is None \
            else f'["{_label(step.address)}"]'
        lines.append(f"  {_node_id(i)}{shape}")
    for i, step in enumerate(f.path[1:], start=1):
        edge = f"{step.edge}: {step.detail}" if step.detail else step.edge
        arrow = f"-- {_label(edge)} -->" if edge else "-->"
        lines.append(f"  {_node_id(i - 1)} {arrow} {_node_id(i)}")
    lines.append(f"  style {_node_id(len(f.path) - 1)} stroke:#d00,stroke-width:2px")
    lines.append("```")
    return "\n".join(lines)


def render(report: Report, **_: Any) -> str:
    metas = {m.id: m for m in report.policies}
    active = report.active_findings
    out = ["## riskgraph", ""]
    if not active:
        out.append("No findings. ✅")
    else:
        counts = " · ".join(f"{_ICON[s.value]} **{sum(1 for f in active if f.severity is s)}** {s.value}"
                            for s in _ORDER if any(f.severity is s for f in active))
        out.append(f"**{len(active)} findings**: {counts}")
    suppressed = len(report.findings) - len(active)
    if suppressed:
        out.append(f"\n{suppressed} suppressed finding(s) not counted.")
    out.append("")
    frameworks: dict[str, dict[str, int]] = {}
    for f in active:
        meta = metas.get(f.policy_id)
        for name, ids in (meta.frameworks.items() if meta else ()):
            for ident in ids:
                frameworks.setdefault(name, {}).setdefault(ident, 0)
                frameworks[name][ident] += 1
    if frameworks:
        out += ["### By framework", "", "| framework | items (findings) |", "|---|---|"]
        for name in sorted(frameworks):
            items = ", ".join(f"{i} ({n})" for i, n in sorted(frameworks[name].items()))
            out.append(f"| {name} | {items} |")
        out.append("")
    if active:
        out += ["### Findings", "", "| severity | policy | resource | location | message |",
                "|---|---|---|---|---|"]
        for f in sorted(active, key=lambda f: (-f.severity.rank, f.location.path,
                                               f.location.start_line, f.policy_id)):
            out.append(f"| {_ICON[f.severity.value]} {f.severity.value} | {f.policy_id} | "
                       f"`{_cell(f.resource)}` | `{f.location.path}:{f.location.start_line}` | "
                       f"{_cell(f.message)} |")
        out.append("")
    paths = [f for f in active if len(f.path) > 1]
    if paths:
        out += ["### Attack paths", ""]
        for f in paths:
            meta = metas.get(f.policy_id)
            out.append(f"**{f.policy_id}** {_cell(meta.title if meta else f.message)} — "
                       f"`{f.location.path}:{f.location.start_line}`")
            out += ["", mermaid_path(f), ""]
    if active:
        fixes = sorted({f.policy_id for f in active})
        out += ["<details><summary>How to fix</summary>", ""]
        for pid in fixes:
            meta = metas.get(pid)
            if meta and meta.remediation:
                out.append(f"- **{pid}** {_cell(meta.title)}: {_cell(meta.remediation)}")
        out += ["", "</details>", ""]
    if report.diagnostics:
        out += [f"<details><summary>{len(report.diagnostics)} diagnostic(s)</summary>", ""]
        out += [f"- `{_cell(str(d))}`" for d in report.diagnostics]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
