"""The checkov bridge: run the ``checkov`` command over the Terraform and Kubernetes files and merge its JSON as Findings.

checkov is not a dependency of riskgraph: it pins libraries riskgraph wants
newer (networkx < 2.7), so it lives in an environment of its own (``pipx
install checkov``) and is run as a separate process, found on ``PATH`` or
given as ``--checkov-path``. It is told to stay offline (no module
download, no mapping download, no update check, and a proxy that refuses
every connection). Its failed checks become findings whose policy id is
the checkov id; checks skipped by ``checkov:skip`` comments become
suppressed findings. A checkov finding is dropped when a riskgraph policy
declaring the same checkov id already found the same resource.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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

# Keep checkov quiet and offline: added to the environment of the checkov process.
OFFLINE_ENV: Mapping[str, str] = {
    "BC_SKIP_MAPPING": "TRUE",                 # no download of guideline / severity mappings
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "CKV_GITHUB_CONFIG_FETCH_DATA": "False",
    "CKV_GITLAB_CONFIG_FETCH_DATA": "False",
    "LOG_LEVEL": "ERROR",
    # any connection it still tries fails at once instead of leaving the machine
    "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "", "no_proxy": "",
}
TIMEOUT = 900  # seconds for one checkov run

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

FRAMEWORKS = ("terraform", "kubernetes")


class CheckovMissing(Exception):
    """The checkov command cannot be found."""


@dataclass
class CheckovResult:
    """checkov's findings, the metadata of the checks that produced them, and diagnostics."""

    findings: list[Finding] = field(default_factory=list)
    policies: list[PolicyMeta] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def find_checkov(path: Optional[str] = None) -> str:
    """The checkov executable: ``path`` when given, else ``checkov`` on PATH; CheckovMissing otherwise."""
    if path:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
        raise CheckovMissing(f"--checkov-path {path!r} is not an executable file")
    found = shutil.which("checkov")
    if found is None:
        raise CheckovMissing("--with-checkov needs the checkov command on PATH, in an environment "
                             "of its own (pipx install checkov), or --checkov-path")
    return found


def available(path: Optional[str] = None) -> bool:
    """True when the checkov command can be found."""
    try:
        find_checkov(path)
    except CheckovMissing:
        return False
    return True


def run_checkov(files: Sequence[SourceFile], resources: Iterable[Resource],
                checkov_path: Optional[str] = None) -> CheckovResult:
    """Run checkov over the Terraform and Kubernetes ``files`` discovery found, in one process."""
    exe = find_checkov(checkov_path)
    by_abs = {f.path: f for f in files}
    chosen = [f for f in files if f.format in FRAMEWORKS]
    result = CheckovResult()
    if not chosen:
        return result
    frameworks = sorted({f.format for f in chosen})
    cmd = [exe, "--framework", *frameworks, "-o", "json", "--skip-download", "--compact"]
    for f in sorted(chosen, key=lambda f: f.path):
        cmd += ["-f", f.path]
    where = chosen[0].relpath
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                              env={**os.environ, **OFFLINE_ENV}, stdin=subprocess.DEVNULL)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
        reports = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, RuntimeError, ValueError) as exc:
        result.diagnostics.append(Diagnostic(
            "checkov-failed", mask_in_text(f"checkov failed: {type(exc).__name__}: {exc}", ()), where))
        return result
    index = _ResourceIndex(resources)
    metas: dict[str, PolicyMeta] = {}
    for rep in reports if isinstance(reports, list) else [reports]:
        results = rep.get("results") if isinstance(rep, dict) else None
        if not isinstance(results, dict):
            continue  # a framework with nothing to check reports only counts
        for record in results.get("failed_checks") or ():
            _add(record, None, by_abs, index, result, metas)
        for record in results.get("skipped_checks") or ():
            reason = (record.get("check_result") or {}).get("suppress_comment") or "checkov:skip"
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


def _add(record: Mapping[str, Any], skip_reason: Optional[str], by_abs: Mapping[str, SourceFile],
         index: _ResourceIndex, result: CheckovResult, metas: dict[str, PolicyMeta]) -> None:
    """One check record of checkov's JSON as a Finding (and its check's metadata, once)."""
    source = by_abs.get(os.path.realpath(str(record.get("file_abs_path") or "")))
    if source is None:
        return
    start, end = (list(record.get("file_line_range") or [0, 0]) + [0, 0])[:2]
    start = max(int(start), 1)
    address = index.address(str(record.get("resource")), source.relpath, start, int(end)) \
        or f"checkov:{record.get('resource')}"
    check_id = str(record.get("check_id"))
    severity, frameworks = KNOWN.get(check_id, (Severity.MEDIUM, {}))
    title = str(record.get("check_name") or check_id)
    if check_id not in metas:
        guideline = str(record.get("guideline") or "")
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
