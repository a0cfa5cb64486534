"""JUnit XML for CI test tabs: one suite per policy, one failing test case per finding.

A policy without findings gets one passing case, so the tab shows what was
checked; suppressed findings are ``<skipped>`` with their reason; scan
diagnostics form a last suite, errors as ``<error>``.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..model import Report
from ..secrets import mask_in_text


def render(report: Report, **_: Any) -> str:
    metas = {m.id: m for m in report.policies}
    by_policy: dict[str, list[Any]] = {pid: [] for pid in metas}
    for f in report.findings:
        by_policy.setdefault(f.policy_id, []).append(f)
    root = ET.Element("testsuites", name="riskgraph")
    total = failures = skipped = 0
    for pid in sorted(by_policy):
        meta = metas.get(pid)
        title = meta.title if meta else pid
        findings = by_policy[pid]
        suite = ET.SubElement(root, "testsuite", name=f"{pid} {title}")
        s_fail = s_skip = 0
        if not findings:
            ET.SubElement(suite, "testcase", classname=pid, name="no violations")
        for f in findings:
            case = ET.SubElement(suite, "testcase", classname=pid,
                                 name=f"{f.resource} ({f.location.path}:{f.location.start_line})",
                                 file=f.location.path, line=str(f.location.start_line))
            message = mask_in_text(f.message, ())
            if f.suppression is not None:
                ET.SubElement(case, "skipped", message=f"suppressed: {f.suppression.reason}")
                s_skip += 1
                continue
            failure = ET.SubElement(case, "failure", message=message, type=f.severity.value)
            lines = [f"{f.severity.value.upper()} {pid}: {title}", f"at {f.location}", message]
            if f.path:
                lines.append("path: " + " -> ".join(s.address for s in f.path))
            if meta and meta.remediation:
                lines.append(f"fix: {meta.remediation}")
            failure.text = "\n".join(lines)
            s_fail += 1
        cases = max(len(findings), 1)
        suite.set("tests", str(cases))
        suite.set("failures", str(s_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(s_skip))
        total, failures, skipped = total + cases, failures + s_fail, skipped + s_skip
    errors = 0
    if report.diagnostics:
        suite = ET.SubElement(root, "testsuite", name="riskgraph diagnostics")
        for d in report.diagnostics:
            case = ET.SubElement(suite, "testcase", classname="diagnostics",
                                 name=f"{d.code} ({d.path}{':' + str(d.line) if d.line else ''})",
                                 file=d.path)
            if d.level == "error":
                ET.SubElement(case, "error", message=d.message, type=d.code)
                errors += 1
            else:
                ET.SubElement(case, "system-out").text = str(d)
        suite.set("tests", str(len(report.diagnostics)))
        suite.set("failures", "0")
        suite.set("errors", str(errors))
        suite.set("skipped", "0")
        total += len(report.diagnostics)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
