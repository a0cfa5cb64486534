"""`riskgraph policies test DIR`: run a policy author's own policies against their own pass / fail fixtures.

Layout, as for the built-in library: policy files anywhere under ``DIR``
(except its ``fixtures/`` folder), and for each policy id
``fixtures/<ID>/fail/…``, ``fixtures/<ID>/pass/…`` and
``fixtures/<ID>/expected.yaml`` = ``fail: [{resource, file, line}]`` with
``file`` relative to ``fail/``. The scan itself is passed in (the CLI gives
:func:`scanner.api.scan`) so the policy engine does not import the pipeline
above it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Optional


from ..model import Policy
from ..yamlnodes import YamlProblem, first_document
from .loader import PolicyError, load_policy_file

Hit = tuple[str, str, int]   # (resource address, file relative to the fixture folder, line)
ScanFn = Callable[..., Any]


@dataclass(frozen=True)
class CaseResult:
    """One policy against one fixture folder (``fail`` or ``pass``)."""

    policy_id: str
    kind: str
    missing: tuple[Hit, ...] = ()      # expected to fail, did not
    unexpected: tuple[Hit, ...] = ()   # failed, not expected
    problem: str = ""                  # the case could not run (missing folder, bad expected.yaml ...)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.problem)


@dataclass(frozen=True)
class SelfTestReport:
    """Every case of every policy found under the directory."""

    results: tuple[CaseResult, ...]

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)


def find_policy_files(directory: str, fixtures: str) -> list[str]:
    """YAML files under ``directory``, the fixtures folder excluded."""
    skip = os.path.abspath(fixtures)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if os.path.abspath(os.path.join(dirpath, d)) != skip)
        found.extend(os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith((".yaml", ".yml")))
    return found


def run_policy_tests(directory: str, scan: ScanFn, fixtures: Optional[str] = None) -> SelfTestReport:
    """Load every policy under ``directory`` (a bad one raises :class:`PolicyError`) and run its fixtures."""
    fixtures = fixtures or os.path.join(directory, "fixtures")
    policies: dict[str, Policy] = {}
    for path in find_policy_files(directory, fixtures):
        policy = load_policy_file(path)
        if policy.id in policies:
            raise PolicyError(path, "id", f"duplicate policy id {policy.id!r}")
        policies[policy.id] = policy
    results: list[CaseResult] = []
    for pid, policy in sorted(policies.items()):
        folder = os.path.join(fixtures, pid)
        results.append(_run_case(policy, os.path.join(folder, "fail"), _expected(folder), scan))
        results.append(_run_case(policy, os.path.join(folder, "pass"), [], scan))
    return SelfTestReport(tuple(results))


def _expected(folder: str) -> Optional[list[Hit]] | str:
    path = os.path.join(folder, "expected.yaml")
    try:
        with open(path, encoding="utf-8") as handle:
            doc = first_document(handle.read())
    except OSError:
        return f"missing {path}"
    except UnicodeDecodeError as exc:
        return f"{path}: {exc}"
    if isinstance(doc, YamlProblem):
        return f"{path}:{doc.line}: {doc.message}"
    try:
        data: Any = doc.value if doc is not None else None  # not a mapping: the TypeError below
        hits = [(str(e["resource"]), str(e["file"]), int(e["line"])) for e in data["fail"]]
    except (KeyError, TypeError, ValueError) as exc:
        return f"{path}: expected `fail: [{{resource, file, line}}]` ({exc.__class__.__name__}: {exc})"
    return sorted(hits) if hits else f"{path} lists no failing resource"


def _run_case(policy: Policy, folder: str, expected: Optional[list[Hit]] | str, scan: ScanFn) -> CaseResult:
    kind = os.path.basename(folder)
    if isinstance(expected, str):
        return CaseResult(policy.id, kind, problem=expected)
    if not os.path.isdir(folder) or not os.listdir(folder):
        return CaseResult(policy.id, kind, problem=f"missing or empty fixture folder {folder}")
    report = scan([folder], policies=[policy], base=folder)
    got = sorted({(f.resource, f.location.path, f.location.start_line)
                  for f in report.findings if f.policy_id == policy.id})
    want = expected or []
    problem = "" if report.stats.get("resources", 1) else f"{folder} holds no resource riskgraph can read"
    errors = [str(d) for d in report.diagnostics if d.level == "error"]
    if errors:
        problem = "; ".join(errors)
    return CaseResult(policy.id, kind, missing=tuple(h for h in want if h not in got),
                      unexpected=tuple(h for h in got if h not in want), problem=problem)


def format_report(report: SelfTestReport) -> str:
    """One line per case, details under failing ones, and a summary."""
    lines = []
    for r in report.results:
        lines.append(f"{'ok  ' if r.ok else 'FAIL'} {r.policy_id} {r.kind}")
        if r.problem:
            lines.append(f"     {r.problem}")
        lines += [f"     expected to fail, did not: {a} {f}:{n}" for a, f, n in r.missing]
        lines += [f"     failed, not expected:      {a} {f}:{n}" for a, f, n in r.unexpected]
    passed = sum(r.ok for r in report.results)
    lines.append(f"{passed}/{len(report.results)} fixture cases passed" if report.results
                 else "no policies found")
    return "\n".join(lines) + "\n"
