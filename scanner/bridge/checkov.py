"""The checkov bridge: run checkov's own Terraform and Kubernetes checks in-process and merge them as Findings.

checkov is optional (``pip install 'riskgraph[checkov]'``). It is run with
its runners directly (no platform integration, no module download, no
parallel workers) and with environment switches that keep it off the
network. Its failed checks become findings whose policy id is the checkov
id; checks skipped by ``checkov:skip`` comments become suppressed findings.
A checkov finding is dropped when a riskgraph policy declaring the same
checkov id already found the same resource.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..model import (
    Diagnostic,
    Finding,
    Location,
    PolicyMeta,
    Resource,
    Severity,
    SourceFile,
    Suppression,
)
from ..secrets import mask_in_text

# Keep checkov quiet and offline; set only when the user has not chosen otherwise.
OFFLINE_ENV: Mapping[str, str] = {
    "BC_SKIP_MAPPING": "TRUE",                 # no download of guideline / severity mappings
    "CKV_GITHUB_CONFIG_FETCH_DATA": "False",
    "CKV_GITLAB_CONFIG_FETCH_DATA": "False",
    "CHECKOV_PARALLELIZATION_TYPE": "none",   # in-process, no forked workers
    "LOG_LEVEL": "ERROR",
}

# What we know about some checkov checks: severity and framework ids. Others
# default to medium with no framework mapping.
KNOWN: Mapping[str, tuple[Severity, Mapping[str, tuple[str, ...]]]] = {
    "CKV_AWS_24": (Severity.HIGH, {"owasp-top10-2021": ("A05",), "cis-aws-foundations": ("5.2",)}),
    "CKV_AWS_25": (Severity.HIGH, {"owasp-top10-2021": ("A05",), "cis-aws-foundations": ("5.2",)}),
    "CKV_AWS_17": (Severity.HIGH, {"owasp-top10-2021": ("A05",), "cis-aws-foundations": ("2.3.3",)}),
    "CKV_AWS_16": (Severity.MEDIUM, {"owasp-top10-2021": ("A02",), "cis-aws-foundations": ("2.3.1",)}),
    "CKV_AWS_20": (Severity.HIGH, {"owasp-top10-2021": ("A01",)}),
    "CKV_AWS_62": (Severity.HIGH, {"owasp-top10-2021": ("A01",), "cis-aws-foundations": ("1.16",)}),
    "CKV_AWS_63": (Severity.HIGH, {"owasp-top10-2021": ("A01",)}),
    "CKV_AWS_41": (Severity.HIGH, {"owasp-top10-2021": ("A07",)}),
    "CKV_K8S_16": (Severity.HIGH, {"owasp-top10-2021": ("A05",), "cis-kubernetes": ("5.2.2",)}),
    "CKV_K8S_20": (Severity.MEDIUM, {"owasp-top10-2021": ("A05",), "cis-kubernetes": ("5.2.6",)}),
    "CKV_K8S_35": (Severity.MEDIUM, {"owasp-top10-2021": ("A07",), "cis-kubernetes": ("5.4.1",)}),
    "CKV_K8S_21": (Severity.LOW, {"cis-kubernetes": ("5.7.4",)}),
}

_RUNNERS = {"terraform": "checkov.terraform.runner", "kubernetes": "checkov.kubernetes.runner"}


class CheckovMissing(Exception):
    """checkov is not installed."""


@dataclass
class CheckovResult:
    """checkov's findings, the metadata of the checks that produced them, and diagnostics."""

    findings: list[Finding] = field(default_factory=list)
    policies: list[PolicyMeta] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def available() -> bool:
    """True when checkov can be imported."""
    import importlib.util

    return importlib.util.find_spec("checkov") is not None


def run_checkov(files: Sequence[SourceFile], resources: Iterable[Resource]) -> CheckovResult:
    """Run checkov over the Terraform and Kubernetes ``files`` discovery found."""
    if not available():
        raise CheckovMissing("--with-checkov needs checkov: pip install 'riskgraph[checkov]'")
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import importlib

    by_abs = {f.path: f for f in files}
    index = _ResourceIndex(resources)
    result = CheckovResult()
    metas: dict[str, PolicyMeta] = {}
    for fmt, module_name in _RUNNERS.items():
        group = sorted(f.path for f in files if f.format == fmt)
        if not group:
            continue
        try:
            runner_module = importlib.import_module(module_name)
            from checkov.runner_filter import RunnerFilter

            report = runner_module.Runner().run(
                root_folder=None, files=group,
                runner_filter=RunnerFilter(framework=[fmt], download_external_modules=False,
                                           show_progress_bar=False))
        except Exception as exc:  # checkov's failure must not end our scan
            result.diagnostics.append(Diagnostic(
                "checkov-failed", f"checkov {fmt} runner failed: {type(exc).__name__}: {exc}",
                next(f.relpath for f in files if f.format == fmt)))
            continue
        reports = report if isinstance(report, list) else [report]
        for rep in reports:
            for record in rep.failed_checks:
                _add(record, None, by_abs, index, result, metas)
            for record in rep.skipped_checks:
                reason = (record.check_result or {}).get("suppress_comment") or "checkov:skip"
                _add(record, reason, by_abs, index, result, metas)
    result.policies = sorted(metas.values(), key=lambda m: m.id)
    return result


class _ResourceIndex:
    """Finds the riskgraph address of a checkov record: by address, else by file and line."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.addresses = set()
        self.by_path: dict[str, list[Resource]] = {}
        for r in resources:
            self.addresses.add(r.address)
            self.by_path.setdefault(r.location.path, []).append(r)

    def address(self, checkov_resource: str, relpath: str, start: int, end: int) -> Optional[str]:
        if checkov_resource in self.addresses:
            return checkov_resource
        for r in self.by_path.get(relpath, ()):
            if r.location.start_line <= start <= max(r.location.end_line, r.location.start_line) \
                    or start <= r.location.start_line <= end:
                return r.address
        return None


def _add(record: Any, skip_reason: Optional[str], by_abs: Mapping[str, SourceFile],
         index: _ResourceIndex, result: CheckovResult, metas: dict[str, PolicyMeta]) -> None:
    source = by_abs.get(os.path.realpath(record.file_abs_path or ""))
    if source is None:
        return
    start, end = (list(record.file_line_range or [0, 0]) + [0, 0])[:2]
    start = max(int(start), 1)
    address = index.address(str(record.resource), source.relpath, start, int(end)) \
        or f"checkov:{record.resource}"
    check_id = str(record.check_id)
    severity, frameworks = KNOWN.get(check_id, (Severity.MEDIUM, {}))
    title = str(record.check_name or check_id)
    if check_id not in metas:
        guideline = str(record.guideline) if getattr(record, "guideline", None) else ""
        metas[check_id] = PolicyMeta(
            id=check_id, title=title, severity=severity,
            description=f"checkov check {check_id}: {title}",
            remediation=f"See the checkov documentation for {check_id}.",
            references=(guideline,) if guideline else (), frameworks=dict(frameworks),
            checkov_ids=(check_id,), category="checkov")
    suppression = Suppression("inSource", mask_in_text(skip_reason, ()),
                              f"{source.relpath}:{start}") if skip_reason else None
    result.findings.append(Finding(
        policy_id=check_id, severity=severity, resource=address,
        location=Location(source.relpath, start, max(int(end), start)),
        message=f"{address}: {title}", evidence=(f"checkov:{check_id}",),
        suppression=suppression))


def merge(ours: Sequence[Finding], theirs: Sequence[Finding],
          metas: Iterable[PolicyMeta]) -> list[Finding]:
    """Our findings plus checkov's, minus checkov findings a riskgraph policy already reports."""
    declared = {m.id: set(m.checkov_ids) for m in metas}
    covered = {(ckv, f.resource) for f in ours for ckv in declared.get(f.policy_id, ())}
    return [*ours, *(f for f in theirs if (f.policy_id, f.resource) not in covered)]
