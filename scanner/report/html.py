"""A self-contained offline HTML report: summary, a filterable findings table, attack paths drawn as SVG, remediation.

One file with its CSS, script and data inside; a Content-Security-Policy
forbids every network request. The findings travel once, as JSON (each
distinct attack path and each policy once), and the script builds the
table and draws the path diagrams on load, so 10,000 findings stay a few
MB. Every text from the scanned files is masked as in the other reports and
only ever inserted with ``textContent``.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from typing import Any

from .. import __version__
from ..completeness import gaps
from ..model import Report, Severity
from ..secrets import mask_in_text
from . import edge_label, html_assets

_ORDER = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]


def _m(text: str) -> str:
    return mask_in_text(text, ())


def data(report: Report) -> dict[str, Any]:
    """The report as the page's script reads it: policies once, paths once, one short row per finding."""
    metas = {m.id: m for m in report.policies}
    paths: dict[tuple[Any, ...], int] = {}
    rows = []
    for f in sorted(report.findings, key=lambda f: (f.suppression is not None, -f.severity.rank,
                                                   f.location.path, f.location.start_line)):
        path_id = -1
        if len(f.path) > 1:
            key = tuple((s.address, edge_label(s), str(s.location) if s.location else "") for s in f.path)
            path_id = paths.setdefault(key, len(paths))
        rows.append([f.severity.value, f.policy_id, _m(f.resource), f.location.path,
                     f.location.start_line, _m(f.message), path_id,
                     _m(f.suppression.reason) if f.suppression else None])
    used = sorted({f.policy_id for f in report.findings})
    policies = {pid: {"title": _m(metas[pid].title), "remediation": _m(metas[pid].remediation),
                      "frameworks": {k: list(v) for k, v in sorted(metas[pid].frameworks.items())},
                      "more": f"riskgraph policies show {pid}"}
                for pid in used if pid in metas}
    return {
        "findings": rows, "policies": policies,
        "paths": [[[_m(a), e, loc] for a, e, loc in key] for key in paths],
        "diagnostics": [[d.level, d.code, d.path, d.line, _m(d.message)] for d in report.diagnostics],
    }


def _summary(report: Report) -> str:
    active = report.active_findings
    counts = Counter(f.severity.value for f in active)
    cells = "".join(f'<div class="card sev-{s}"><b>{counts.get(s, 0)}</b><span>{s}</span></div>'
                    for s in _ORDER)
    metas = {m.id: m for m in report.policies}
    frameworks: Counter[str] = Counter()
    for f in active:
        meta = metas.get(f.policy_id)
        for name in (meta.frameworks if meta else {}):
            frameworks[name] += 1
    fw = "".join(f"<tr><td>{html.escape(name)}</td><td>{n}</td></tr>"
                 for name, n in sorted(frameworks.items()))
    missing = gaps(report.diagnostics)
    banner = (f'<p class="incomplete" id="incomplete">Scan incomplete: {len(missing)} file(s) or '
              f'step(s) not covered; see the diagnostics below.</p>' if missing else "")
    stats = report.stats
    return (f'{banner}<section id="summary"><h2>Summary</h2><div class="cards">{cells}</div>'
            f'<p>{len(active)} findings, {len(report.findings) - len(active)} suppressed; '
            f'{stats.get("resources", 0)} resources in {stats.get("files", 0)} files; '
            f'{stats.get("policies", 0)} policies.</p>'
            + (f'<table class="frameworks"><thead><tr><th>framework</th><th>findings</th></tr>'
               f'</thead><tbody>{fw}</tbody></table>' if fw else "")
            + "</section>")


def _json_for_script(value: Any) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' can end the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render(report: Report, **_: Any) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{html_assets.CSP}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>riskgraph report</title><style>{html_assets.CSS}</style></head><body>"
        f"<header><h1>riskgraph</h1><span>version {html.escape(__version__)}</span></header>"
        f"<main>{_summary(report)}{html_assets.BODY}</main>"
        f"<script type=\"application/json\" id=\"data\">{_json_for_script(data(report))}</script>"
        f"<script>{html_assets.SCRIPT}</script></body></html>\n")
