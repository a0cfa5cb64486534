"""GitLab's SAST security report (schema 15.x, ``gl-sast-report.json``), read by merge requests and the vulnerability report.

Active findings only (GitLab has no notion of an accepted finding in a
report). Each carries its policy id as an identifier, its CWE ids as
``cwe`` identifiers, and a stable id derived from its fingerprint and place.
Diagnostics become ``scan.messages``; an incomplete scan says so there.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Optional

from .. import __version__
from ..completeness import gaps, summary
from ..model import Finding, PolicyMeta, Report, Severity
from ..secrets import mask_in_text
from . import pretty

SCHEMA_VERSION = "15.0.6"
SCHEMA_URL = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
              f"v{SCHEMA_VERSION}/dist/sast-report-format.json")
TOOL = {"id": "riskgraph", "name": "riskgraph", "version": __version__,
        "url": "https://github.com/riskgraph/riskgraph", "vendor": {"name": "riskgraph"}}
SEVERITY = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MEDIUM: "Medium",
            Severity.LOW: "Low", Severity.INFO: "Info"}
MAX_NAME = 255
MAX_MESSAGES = 100
_ID_SPACE = uuid.UUID("6f1c5a52-9d0e-4b7a-8f3e-2a1d4c6b8e90")
_LEVEL = {"error": "warn", "warning": "warn", "info": "info"}


def _time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _vulnerability(f: Finding, meta: Optional[PolicyMeta]) -> dict[str, Any]:
    title = meta.title if meta else f.policy_id
    identifiers: list[dict[str, Any]] = [{"type": "riskgraph_policy", "name": f.policy_id,
                                          "value": f.policy_id}]
    if meta and meta.references:
        identifiers[0]["url"] = meta.references[0]
    for cwe in meta.cwe if meta else ():
        number = cwe.upper().removeprefix("CWE-")
        identifiers.append({"type": "cwe", "name": f"CWE-{number}", "value": number,
                            "url": f"https://cwe.mitre.org/data/definitions/{number}.html"})
    description = mask_in_text(f.message, ())
    if meta and meta.description:
        description += "\n\n" + meta.description
    vuln: dict[str, Any] = {
        "id": str(uuid.uuid5(_ID_SPACE, f"{f.fingerprint}\0{f.location.path}\0{f.location.start_line}")),
        "name": title[:MAX_NAME],
        "description": description,
        "severity": SEVERITY[f.severity],
        "identifiers": identifiers,
        "location": {"file": f.location.path, "start_line": f.location.start_line,
                     "end_line": max(f.location.end_line, f.location.start_line)},
    }
    if meta and meta.remediation:
        vuln["solution"] = meta.remediation
    if meta and meta.references:
        vuln["links"] = [{"url": r} for r in meta.references]
    return vuln


def to_dict(report: Report, *, now: Optional[datetime.datetime] = None) -> dict[str, Any]:
    """The report document; ``now`` is the scan's end (default: the current time)."""
    end = now or datetime.datetime.now(datetime.timezone.utc)
    took = sum(v for v in (report.stats.get("seconds") or {}).values() if isinstance(v, (int, float)))
    start = end - datetime.timedelta(seconds=took)
    metas = {m.id: m for m in report.policies}
    messages = [{"level": _LEVEL.get(d.level, "info"),
                 "value": mask_in_text(f"{d} ", ()).strip()} for d in report.diagnostics
                if d.level != "info"][:MAX_MESSAGES]
    missing = gaps(report.diagnostics)
    if missing:
        messages.insert(0, {"level": "warn", "value": summary(missing)})
    return {
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URL,
        "scan": {"analyzer": TOOL, "scanner": TOOL, "type": "sast", "status": "success",
                 "start_time": _time(start), "end_time": _time(end), "messages": messages},
        "vulnerabilities": [_vulnerability(f, metas.get(f.policy_id)) for f in report.active_findings],
    }


def render(report: Report, **_: Any) -> str:
    return pretty.dumps(to_dict(report)) + "\n"
