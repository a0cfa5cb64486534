"""Markdown for pull-request comments: counts by severity and framework, a table, attack paths as Mermaid."""

from __future__ import annotations

from typing import Any

from ..completeness import gaps
from ..model import Finding, Report, Severity
from ..secrets import mask_in_text

LIMIT = 65_536  # characters a GitHub pull-request comment holds
RESERVE = 1_000  # kept for the closing "… and N more" line

_ICON = {"critical": "🟣", "high": "🔴", "medium": "🟠", "low": "🔵", "info": "⚪"}
_ORDER = sorted(Severity, key=lambda s: -s.rank)


def _cell(text: str) -> str:
    """Text safe inside a table cell: masked, no pipes, newlines or other control characters."""
    return "".join(" " if ch < " " or ch == "\x7f" else ch
                   for ch in mask_in_text(text, ())).replace("|", "\\|")


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


class _Budget:
    """Lines added while they fit in LIMIT characters (with room kept for the closing lines)."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.limit = limit
        self.cap = limit  # a section may stop earlier, leaving room for the sections after it
        self.left_out = 0

    def add(self, *lines: str) -> bool:
        cost = sum(len(line) + 1 for line in lines)
        if self.left_out or self.size + cost > min(self.cap, self.limit):
            self.left_out += 1
            return False
        self.lines.extend(lines)
        self.size += cost
        return True


def render(report: Report, *, limit: int = LIMIT, **_: Any) -> str:
    """The comment, at most ``limit`` characters: what does not fit is counted in a closing "… and N more"."""
    metas = {m.id: m for m in report.policies}
    active = report.active_findings
    out = _Budget(limit - RESERVE)
    out.add("## riskgraph", "")
    missing = gaps(report.diagnostics)
    if missing:
        out.add(f"> **Scan incomplete**: {len(missing)} file(s) or step(s) not covered "
                "(see the diagnostics below).", "")
    if not active:
        out.add("No findings. ✅")
    else:
        counts = " · ".join(f"{_ICON[s.value]} **{sum(1 for f in active if f.severity is s)}** {s.value}"
                            for s in _ORDER if any(f.severity is s for f in active))
        out.add(f"**{len(active)} findings**: {counts}")
    suppressed = len(report.findings) - len(active)
    if suppressed:
        out.add(f"\n{suppressed} suppressed finding(s) not counted.")
    out.add("")
    frameworks: dict[str, dict[str, int]] = {}
    for f in active:
        meta = metas.get(f.policy_id)
        for name, ids in (meta.frameworks.items() if meta else ()):
            for ident in ids:
                frameworks.setdefault(name, {}).setdefault(ident, 0)
                frameworks[name][ident] += 1
    if frameworks:
        out.add("### By framework", "", "| framework | items (findings) |", "|---|---|")
        for name in sorted(frameworks):
            items = ", ".join(f"{i} ({n})" for i, n in sorted(frameworks[name].items()))
            out.add(f"| {_cell(name)} | {_cell(items)} |")
        out.add("")
    omitted: dict[str, int] = {}
    ordered = sorted(active, key=lambda f: (-f.severity.rank, f.location.path,
                                            f.location.start_line, f.policy_id))
    if active:
        out.cap = int(out.limit * 0.75)  # the rest is for attack paths and how to fix them
        out.add("### Findings", "", "| severity | policy | resource | location | message |",
                "|---|---|---|---|---|")
        shown = 0
        for f in ordered:
            if not out.add(f"| {_ICON[f.severity.value]} {f.severity.value} | {f.policy_id} | "
                           f"`{_cell(f.resource)}` | `{_cell(f.location.path)}:{f.location.start_line}` | "
                           f"{_cell(f.message)} |"):
                break
            shown += 1
        omitted["findings"] = len(ordered) - shown
        out.left_out = 0
        out.add("")
    paths = [f for f in ordered if len(f.path) > 1]
    if paths:
        out.cap = int(out.limit * 0.85)
        shown = 0
        for f in paths:
            meta = metas.get(f.policy_id)
            if not out.add(*(["### Attack paths", ""] if not shown else []),
                           f"**{f.policy_id}** {_cell(meta.title if meta else f.message)} — "
                           f"`{_cell(f.location.path)}:{f.location.start_line}`", "",
                           mermaid_path(f), ""):
                break
            shown += 1
        omitted["attack paths"] = len(paths) - shown
        out.left_out = 0
    out.cap = out.limit
    if active:
        fixes = sorted({f.policy_id for f in active})
        out.add("<details><summary>How to fix</summary>", "")
        for pid in fixes:
            meta = metas.get(pid)
            if meta and meta.remediation and not out.add(
                    f"- **{pid}** {_cell(meta.title)}: {_cell(meta.remediation)}"):
                omitted["fixes"] = omitted.get("fixes", 0) + 1
        out.left_out = 0
        out.add("", "</details>", "")
    if report.diagnostics:
        out.add(f"<details><summary>{len(report.diagnostics)} diagnostic(s)</summary>", "")
        shown = 0
        for d in report.diagnostics:
            if not out.add(f"- `{_cell(str(d)).replace('`', chr(39))}`"):
                break
            shown += 1
        omitted["diagnostics"] = len(report.diagnostics) - shown
        out.left_out = 0
        out.add("", "</details>", "")
    text = "\n".join(out.lines).rstrip() + "\n"
    more = {k: n for k, n in omitted.items() if n}
    if more:
        text += ("\n… and " + ", ".join(f"{n} more {k}" for k, n in more.items())
                 + f" (a pull-request comment holds {LIMIT:,} characters). The full report: "
                 "the JSON, SARIF or HTML report of this job "
                 "(`riskgraph scan . --format html -o riskgraph.html`).\n")
    return text
