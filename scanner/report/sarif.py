"""SARIF 2.1.0 for code-scanning dashboards: rules from policy metadata, relative URIs, graph paths as codeFlows.

Kept within GitHub code scanning's documented limits (per run: 25,000
results; per result: 1,000 locations and 10,000 thread-flow locations;
per rule: 20 tags): beyond them the most severe results are kept and a
``toolExecutionNotifications`` entry says how many were left out.
"""

from __future__ import annotations

import os
from typing import Any, Optional
from urllib.parse import quote

from .. import __version__
from ..completeness import gaps
from ..model import Finding, Location, PolicyMeta, Report, Severity
from ..secrets import mask_in_text
from . import edge_label, pretty

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
URI_BASE = "SRCROOT"
INFO_URI = "https://github.com/riskgraph/riskgraph"
DEFAULT_CATEGORY = "riskgraph/"
MAX_RESULTS = 25_000
MAX_RELATED = 1_000
MAX_FLOW_STEPS = 10_000
MAX_TAGS = 20

# GitHub code scanning reads ``security-severity`` as a string: critical 9.0+,
# high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. ``info`` gets none, so it shows
# as a plain note rather than a security alert.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}


def _tags(meta: PolicyMeta) -> list[str]:
    tags = ["security"]
    tags.extend(f"external/cwe/{c.lower()}" for c in meta.cwe)
    for framework, ids in sorted(meta.frameworks.items()):
        tags.extend(f"{framework}/{i}" for i in ids)
    return tags[:MAX_TAGS]


def uri(path: str) -> str:
    """A report path as an RFC 3986 relative reference: each byte outside the unreserved set percent-encoded, '/' kept."""
    return quote(path.replace(os.sep, "/"), safe="/")


def _rule(meta: PolicyMeta) -> dict[str, Any]:
    help_md = f"**{meta.title}**\n\n{meta.description}\n\n**Remediation**\n\n{meta.remediation}"
    if meta.references:
        help_md += "\n\n**References**\n\n" + "\n".join(f"- {r}" for r in meta.references)
    rule: dict[str, Any] = {
        "id": meta.id,
        "name": meta.id.replace("-", ""),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.description},
        "help": {"text": f"{meta.description}\n\nRemediation: {meta.remediation}",
                 "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {"tags": _tags(meta), "precision": "high",
                       "problem.severity": LEVEL[meta.severity]},
    }
    if meta.severity in SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[meta.severity]
    if meta.references:
        rule["helpUri"] = meta.references[0]
    return rule


def _physical(loc: Location, context: Optional[Location] = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": loc.start_line}
    if loc.end_line and loc.end_line >= loc.start_line:
        region["endLine"] = loc.end_line
    out = {"artifactLocation": {"uri": uri(loc.path), "uriBaseId": URI_BASE}, "region": region}
    if context is not None and context.path == loc.path and context != loc:
        # the whole resource block around the offending line
        out["contextRegion"] = {"startLine": context.start_line, "endLine": context.end_line}
    return out


def _result(f: Finding, rule_index: int, baseline: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.policy_id,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": mask_in_text(f.message, ())},
        "locations": [{"physicalLocation": _physical(f.location, f.block),
                       "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]}],
        "partialFingerprints": {"riskgraph/v1": f.fingerprint},
        "properties": {"resource": f.resource, "evidence": list(f.evidence)},
    }
    if f.path:
        steps = []
        for step in f.path[:MAX_FLOW_STEPS]:
            edge = edge_label(step)
            loc: dict[str, Any] = {"message": {"text": step.address if not edge
                                               else f"--{edge}--> {step.address}"}}
            if step.location is not None:
                loc["physicalLocation"] = _physical(step.location)
            steps.append({"location": loc})
        result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if f.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical(loc),
             "message": {"text": _related_text(f, loc)}} for i, loc in enumerate(f.related[:MAX_RELATED])]
    if f.elements:  # the resource's other offending elements, after the path's locations
        start = len(result.get("relatedLocations", []))
        room = max(0, MAX_RELATED - start)
        result.setdefault("relatedLocations", []).extend(
            {"id": start + i, "physicalLocation": _physical(loc, f.block),
             "message": {"text": f"{f.resource}: also offending"}} for i, loc in enumerate(f.elements[:room]))
    if f.suppression is not None:
        result["suppressions"] = [{"kind": f.suppression.kind,
                                   "justification": mask_in_text(f.suppression.reason, ()),
                                   "status": "accepted"}]
    if baseline:
        external = f.suppression is not None and f.suppression.kind == "external"
        result["baselineState"] = "unchanged" if external else "new"
    return result


def _related_text(f: Finding, loc: Location) -> str:
    for step in f.path:
        if step.location == loc:
            return step.address
    return str(loc)


def to_dict(report: Report, *, root: Optional[str] = None,
            category: str = DEFAULT_CATEGORY) -> dict[str, Any]:
    """The SARIF log; ``root`` is the directory finding paths are relative to (default: cwd).

    ``category`` is ``automationDetails.id``: GitHub replaces the alerts of
    an upload with the same category, so two jobs need two categories.
    """
    rules = sorted(report.policies, key=lambda m: m.id)
    index = {m.id: i for i, m in enumerate(rules)}
    baseline = bool(report.stats.get("baseline"))
    base = os.path.abspath(root or os.getcwd()).replace(os.sep, "/").rstrip("/") + "/"
    notifications = [{
        "level": "error" if d.level == "error" else "warning" if d.level == "warning" else "note",
        "message": {"text": f"{d.message} [{d.code}]"},
        "descriptor": {"id": d.code},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri(d.path), "uriBaseId": URI_BASE},
            **({"region": {"startLine": d.line}} if d.line else {})}}],
    } for d in report.diagnostics]
    findings = [f for f in report.findings if f.policy_id in index]
    if len(findings) > MAX_RESULTS:
        # the most severe first, active before suppressed; the order within is the report's
        ranked = sorted(range(len(findings)), key=lambda i: (findings[i].suppression is not None,
                                                             -findings[i].severity.rank, i))
        kept = sorted(ranked[:MAX_RESULTS])
        left = len(findings) - MAX_RESULTS
        lowest = findings[ranked[MAX_RESULTS - 1]].severity.value
        notifications.append({
            "level": "warning", "descriptor": {"id": "results-truncated"},
            "message": {"text": f"{left} of {len(findings)} results left out: GitHub code scanning "
                                f"accepts at most {MAX_RESULTS} results per run, so the most severe "
                                f"were kept (down to {lowest}); the JSON or HTML report lists all"}})
        findings = [findings[i] for i in kept]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "riskgraph", "version": __version__,
                            "semanticVersion": __version__, "informationUri": INFO_URI,
                            "rules": [_rule(m) for m in rules]}},
        "automationDetails": {"id": category},
        "originalUriBaseIds": {URI_BASE: {"uri": "file://" + ("" if base.startswith("/") else "/")
                                          + quote(base, safe="/:")}},
        "invocations": [{"executionSuccessful": not gaps(report.diagnostics),
                         "toolExecutionNotifications": notifications}],
        "results": [_result(f, index[f.policy_id], baseline) for f in findings],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, *, root: Optional[str] = None, category: str = DEFAULT_CATEGORY,
           **_: Any) -> str:
    return pretty.dumps(to_dict(report, root=root, category=category)) + "\n"
