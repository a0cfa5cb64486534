"""SARIF 2.1.0 for code-scanning dashboards: rules from policy metadata, relative URIs, graph paths as codeFlows."""

from __future__ import annotations

import os
from typing import Any, Optional

from .. import __version__
from ..model import Finding, Location, PolicyMeta, Report, Severity
from ..secrets import mask_in_text
from . import pretty

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
URI_BASE = "SRCROOT"
INFO_URI = "https://github.com/riskgraph/riskgraph"

# GitHub code scanning reads ``security-severity`` as a string: critical 9.0+,
# high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. ``info`` gets none, so it shows
# as a plain note rather than a security alert.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}


def _tags(meta: PolicyMeta) -> list[str]:
    tags = ["security"]
    for framework, ids in sorted(meta.frameworks.items()):
        tags.extend(f"{framework}/{i}" for i in ids)
    tags.extend(f"external/cwe/{c.lower()}" for c in meta.cwe)
    return tags


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
    out = {"artifactLocation": {"uri": loc.path, "uriBaseId": URI_BASE}, "region": region}
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
        for step in f.path:
            edge = f"{step.edge} [{step.detail}]" if step.detail else step.edge
            loc: dict[str, Any] = {"message": {"text": step.address if not edge
                                               else f"--{edge}--> {step.address}"}}
            if step.location is not None:
                loc["physicalLocation"] = _physical(step.location)
            steps.append({"location": loc})
        result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if f.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical(loc),
             "message": {"text": _related_text(f, loc)}} for i, loc in enumerate(f.related)]
    if f.elements:  # the resource's other offending elements, after the path's locations
        start = len(f.related)
        result.setdefault("relatedLocations", []).extend(
            {"id": start + i, "physicalLocation": _physical(loc, f.block),
             "message": {"text": f"{f.resource}: also offending"}} for i, loc in enumerate(f.elements))
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
            category: str = "riskgraph/") -> dict[str, Any]:
    """The SARIF log; ``root`` is the directory finding paths are relative to (default: cwd)."""
    rules = sorted(report.policies, key=lambda m: m.id)
    index = {m.id: i for i, m in enumerate(rules)}
    baseline = bool(report.stats.get("baseline"))
    base = os.path.abspath(root or os.getcwd()).replace(os.sep, "/").rstrip("/") + "/"
    notifications = [{
        "level": "error" if d.level == "error" else "warning" if d.level == "warning" else "note",
        "message": {"text": f"{d.message} [{d.code}]"},
        "descriptor": {"id": d.code},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": d.path, "uriBaseId": URI_BASE},
            **({"region": {"startLine": d.line}} if d.line else {})}}],
    } for d in report.diagnostics]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "riskgraph", "version": __version__,
                            "semanticVersion": __version__, "informationUri": INFO_URI,
                            "rules": [_rule(m) for m in rules]}},
        "automationDetails": {"id": category},
        "originalUriBaseIds": {URI_BASE: {"uri": "file://" + ("" if base.startswith("/") else "/")
                                          + base}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": [_result(f, index[f.policy_id], baseline) for f in report.findings
                    if f.policy_id in index],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, *, root: Optional[str] = None, category: str = "riskgraph/",
           **_: Any) -> str:
    return pretty.dumps(to_dict(report, root=root, category=category)) + "\n"
