"""The library entry points: `run(ScanRequest)` chains discover -> parse -> link -> evaluate -> suppress; `scan()` builds the request; `load_graph()` stops at link."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Sequence

from .discover import Discovery, discover
from .model import Diagnostic, Finding, Policy, PolicyMeta, Report, Resource
from .request import ScanRequest, check_frameworks, check_paths, check_policy_ids

if TYPE_CHECKING:  # pragma: no cover
    import datetime

    import networkx as nx

    from .incremental import Evaluated, State
    from .parse import ParseOptions

Progress = Callable[[str], None]


@dataclass
class Loaded:
    """The files found, the resources parsed from them, the joined graph, and every diagnostic."""

    discovery: Discovery
    resources: list[Resource]
    graph: "nx.MultiDiGraph"
    diagnostics: list[Diagnostic]
    groups: tuple[Any, ...] = ()  # the parse's groups (scanner.parse.Group): what a re-scan parses again


def load(paths: Sequence[str], *, var_files: Sequence[str] = (),
         variables: Optional[Mapping[str, str]] = None, exclude: Iterable[str] = (),
         base: Optional[str] = None, progress: Optional[Progress] = None,
         timings: Optional[dict[str, float]] = None, jobs: int = 1,
         discovery: Optional[Discovery] = None,
         kubernetes_units: Sequence[tuple[str, Sequence[str]]] = (),
         module_descriptions: Sequence[str] = ()) -> Loaded:
    """Discover, parse and link ``paths``; problems in files become diagnostics.

    ``jobs > 1`` lets parsing use that many forked processes on Linux
    (scanner/parallel.py); only pass it from a program that runs no threads.
    ``discovery`` is what :func:`discover` found for ``paths``, when the
    caller has already run it. ``kubernetes_units`` declares deployment
    units by hand: ``(name, directories)`` (docs/kubernetes.md).
    ``module_descriptions`` names directories of Terraform module
    descriptions (docs/terraform.md), read before riskgraph's own.
    """
    from .cache import scan_cache
    from .graph import build_graph, prepare
    from .parse import parse_all

    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    found = discovery if discovery is not None else discover(paths, base=base, exclude=exclude)
    t1 = time.perf_counter()
    say(f"parsing {len(found.files)} files")
    env = terraform_environment()
    with scan_cache():  # unchanged files are not parsed again: scanner/cache.py
        parsed = parse_all(found.files, parse_options(var_files, variables, env, kubernetes_units,
                                                      module_descriptions),
                           jobs=jobs, meanwhile=prepare)
    t2 = time.perf_counter()
    say(f"linking {len(parsed.resources)} resources")
    graph = build_graph(parsed.resources)
    t3 = time.perf_counter()
    if timings is not None:
        timings.update(parse=t2 - t1, link=t3 - t2)
        if discovery is None:
            timings["discover"] = t1 - t0
    return Loaded(found, parsed.resources, graph,
                  [*found.diagnostics, *parsed.diagnostics, *graph.graph.get("diagnostics", ())],
                  parsed.groups)


def parse_options(var_files: Sequence[str], variables: Optional[Mapping[str, str]], env: Mapping[str, str],
                  kubernetes_units: Sequence[tuple[str, Sequence[str]]],
                  module_descriptions: Sequence[str]) -> "ParseOptions":
    """What the parsers are told: the scan's variables, environment, Kubernetes units and module descriptions."""
    from .parse import ParseOptions

    units = tuple((name, tuple(os.path.abspath(d) for d in dirs)) for name, dirs in kubernetes_units)
    return ParseOptions(var_files=tuple(var_files), variables=dict(variables or {}), env=dict(env),
                        kubernetes_units=units,
                        module_descriptions=tuple(os.path.abspath(d) for d in module_descriptions))


def load_graph(paths: Sequence[str], **options: Any) -> "nx.MultiDiGraph":
    """The joined graph of ``paths`` (same options as :func:`load`); node data ``resource`` holds each Resource."""
    return load(paths, **options).graph


def terraform_environment() -> dict[str, str]:
    """What Terraform would read from the environment: the ``TF_VAR_*`` variables and ``TF_WORKSPACE``."""
    return {k: v for k, v in os.environ.items() if k.startswith("TF_VAR_") or k == "TF_WORKSPACE"}


def in_frameworks(meta: Optional[PolicyMeta], frameworks: Sequence[str]) -> bool:
    """True when the policy maps to one of ``frameworks`` (a full name or a prefix such as ``cis``)."""
    if meta is None:
        return False
    return any(name.startswith(want) for name in meta.frameworks for want in frameworks)


def scan(paths: Sequence[str], *, policies: Optional[Sequence[Policy]] = None,
         policy_dirs: Iterable[str] = (), builtin_policies: bool = True,
         only: Iterable[str] = (), skip: Iterable[str] = (),
         parameters: Optional[Mapping[str, Mapping[str, Any]]] = None,
         var_files: Sequence[str] = (), variables: Optional[Mapping[str, str]] = None,
         exclude: Iterable[str] = (), base: Optional[str] = None,
         frameworks: Sequence[str] = (), suppressions: bool = True,
         baseline: Optional[str] = None, with_checkov: bool = False,
         progress: Optional[Progress] = None,
         today: Optional["datetime.date"] = None, jobs: int = 1,
         kubernetes_units: Sequence[tuple[str, Sequence[str]]] = (),
         module_descriptions: Sequence[str] = (),
         checkov_path: Optional[str] = None) -> Report:
    """Scan ``paths`` (files or directories) and return every finding and diagnostic.

    ``policies`` replaces policy loading entirely; otherwise built-in policies
    (unless ``builtin_policies=False``) and ``policy_dirs`` are loaded, filtered
    by ``only`` / ``skip``. ``frameworks`` keeps only findings of policies
    mapped to those frameworks. Inline ``riskgraph:ignore`` comments and
    annotations apply unless ``suppressions=False``; findings whose
    fingerprint is in the ``baseline`` file are kept but marked suppressed.
    ``with_checkov`` adds checkov's own checks (runs the ``checkov`` command,
    or ``checkov_path``). ``kubernetes_units`` declares Kubernetes deployment
    units by hand (``(name, directories)``; docs/kubernetes.md).
    ``module_descriptions`` names directories of Terraform module
    descriptions (docs/terraform.md).
    ``jobs > 1`` parses and evaluates in that many forked processes on
    Linux (same result; the CLI's default); pass it only from a program
    that runs no threads, since a forked child inherits none of them.
    Raises :class:`scanner.policy.PolicyError` for a bad policy file,
    :class:`scanner.suppress.BaselineError` for a bad baseline and
    :class:`scanner.request.RequestError` for a path that does not exist or
    an unknown policy id or framework; problems in scanned files become
    diagnostics.
    """
    return run(ScanRequest(
        paths=tuple(paths), policies=tuple(policies) if policies is not None else None,
        policy_dirs=tuple(policy_dirs), builtin_policies=builtin_policies, only=tuple(only),
        skip=tuple(skip), parameters=dict(parameters or {}), var_files=tuple(var_files),
        variables=dict(variables or {}), exclude=tuple(exclude), base=base,
        frameworks=tuple(frameworks), suppressions=suppressions, baseline=baseline,
        with_checkov=with_checkov, checkov_path=checkov_path, today=today, jobs=jobs,
        kubernetes_units=tuple((n, tuple(d)) for n, d in kubernetes_units),
        module_descriptions=tuple(os.path.abspath(d) for d in module_descriptions)), progress)


def run(request: ScanRequest, progress: Optional[Progress] = None) -> Report:
    """Run one scan: policies, discovery (once), then a stored result or parse, link, evaluate, suppress.

    Raises as :func:`scan` does. A parse cache that had to be rebuilt adds
    an info diagnostic ``cache-rebuilt``.
    """
    from .cache import scan_cache
    from .rescan import remembered
    from .suppress import load_baseline

    check_paths(request.paths)
    timings: dict[str, float] = {}
    # the one cache (scanner/cache.py): validated policies, parse results and whole results
    with scan_cache() as cache:
        t0 = time.perf_counter()
        policies = _policies(request)
        fingerprints = load_baseline(request.baseline) if request.baseline else None
        timings["policies"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        found = discover(request.paths, base=request.base, exclude=request.exclude)
        timings["discover"] = time.perf_counter() - t1
        report = remembered(cache, found, policies, request, timings,
                            lambda digests, state: _run(found, policies, fingerprints, request, progress,
                                                        timings, digests, state))
        note = cache.repaired if cache is not None else None
    if note:
        report = replace(report, diagnostics=(*report.diagnostics, Diagnostic(
            "cache-rebuilt", note, ".", level="info")))
    return report


def _policies(request: ScanRequest) -> list[Policy]:
    """The request's policies: given, or loaded and filtered; an unknown id or framework raises."""
    from .policy import load_policies

    if request.policies is not None:
        every = list(request.policies)
        chosen = every
    else:
        every = load_policies(request.policy_dirs, builtin=request.builtin_policies,
                              parameters=request.parameters)
        ckv = "CKV" if request.with_checkov else ""  # checkov's own ids (scanner/bridge/checkov.py)
        check_policy_ids(request.only, [p.id for p in every], "--only", ckv)
        check_policy_ids(request.skip, [p.id for p in every], "--skip", ckv)
        chosen = [p for p in every if (not request.only or p.id in request.only)
                  and p.id not in request.skip]
    if request.frameworks:
        check_frameworks(request.frameworks, {name for p in every for name in p.meta.frameworks})
    return chosen


def _run(found: Discovery, policies: Sequence[Policy], fingerprints: Optional[frozenset[str]],
         request: ScanRequest, progress: Optional[Progress], timings: dict[str, float],
         digests: Optional[Mapping[str, Optional[str]]] = None,
         previous: Optional["State"] = None) -> tuple[Report, Optional["State"]]:
    """Parse, link, evaluate (or, after an edit, only what it touched: scanner/incremental.py), then apply
    checkov, frameworks, suppressions and the baseline; the report, and the state a next scan may start from."""
    from .incremental import Evaluated, delta, full_state
    from .policy import evaluate

    t0 = time.perf_counter()
    if previous is not None and digests is not None:
        done = delta(previous, found, digests, parse_options(
            request.var_files, request.variables, terraform_environment(), request.kubernetes_units,
            request.module_descriptions), policies)
        if not isinstance(done, str):
            timings["incremental"] = time.perf_counter() - t0
            metas: list[PolicyMeta] = [p.meta for p in policies]
            return _report(found, done[0], metas, fingerprints, request, timings, len(policies)), done[1]
        if progress:
            progress(f"scanning in full: {done}")
    loaded = load(request.paths, var_files=request.var_files, variables=request.variables,
                  exclude=request.exclude, base=request.base, progress=progress, timings=timings,
                  jobs=request.jobs, discovery=found, kubernetes_units=request.kubernetes_units,
                  module_descriptions=request.module_descriptions)
    t1 = time.perf_counter()
    if progress:
        progress(f"evaluating {len(policies)} policies")
    diagnostics = list(loaded.diagnostics)
    findings, counts = evaluate(loaded.graph, policies, jobs=request.jobs, diagnostics=diagnostics)
    metas = [p.meta for p in policies]
    timings["evaluate"] = time.perf_counter() - t1
    graph = loaded.graph
    evaluated = Evaluated(loaded.resources, findings, counts, diagnostics[len(found.diagnostics):],
                          graph.number_of_nodes(), graph.number_of_edges())
    state: Optional["State"] = None
    if digests is not None and not request.with_checkov:
        from .cache import current
        cache = current()
        state = full_state(digests, cache.seen if cache is not None else {}, loaded.groups, loaded.resources,
                           graph, findings, counts, evaluated.diagnostics)
    if request.with_checkov:
        findings = _with_checkov(loaded, findings, metas, diagnostics, request, progress, timings)
        evaluated = replace(evaluated, findings=findings, diagnostics=diagnostics[len(found.diagnostics):])
    return _report(found, evaluated, metas, fingerprints, request, timings, len(policies)), state


def _report(found: Discovery, evaluated: "Evaluated", metas: list[PolicyMeta],
            fingerprints: Optional[frozenset[str]], request: ScanRequest, timings: dict[str, float],
            policy_count: int) -> Report:
    """The report of a scan: frameworks, inline suppressions and the baseline applied to what was evaluated."""
    from .redact import mask_diagnostic
    from .suppress import apply_baseline, apply_inline

    findings = list(evaluated.findings)
    diagnostics = [*found.diagnostics, *evaluated.diagnostics]
    by_id = {m.id: m for m in metas}
    if request.frameworks:
        findings = [f for f in findings if in_frameworks(by_id.get(f.policy_id), request.frameworks)]
    if request.suppressions:
        sources = {f.relpath: f.path for f in found.files}
        resources = {r.address: r for r in evaluated.resources}
        findings, problems = apply_inline(findings, resources, sources, metas, today=request.today)
        diagnostics.extend(problems)
    shown_baseline = _shown_path(request.baseline, request.base) if request.baseline else ""
    if fingerprints is not None and request.baseline:
        findings = apply_baseline(findings, fingerprints, shown_baseline)
    stats = {
        "files": len(found.files), "skipped_files": found.skipped,
        "resources": len(evaluated.resources), "nodes": evaluated.nodes,
        "edges": evaluated.edges, "policies": policy_count, **evaluated.counts,
        "seconds": _rounded(timings),
    }
    if request.baseline:
        stats["baseline"] = shown_baseline
    diagnostics = [mask_diagnostic(d) for d in diagnostics]  # messages quote what users wrote
    diagnostics.sort(key=lambda d: (d.path, d.line or 0, d.code))
    return Report(findings=tuple(sorted(findings, key=_finding_order)), diagnostics=tuple(diagnostics),
                  policies=tuple(sorted(metas, key=lambda m: m.id)), stats=stats)


def _with_checkov(loaded: Loaded, findings: list[Finding], metas: list[PolicyMeta],
                  diagnostics: list[Diagnostic], request: ScanRequest, progress: Optional[Progress],
                  timings: dict[str, float]) -> list[Finding]:
    """checkov's own checks merged into ``findings`` (its policies and diagnostics appended in place)."""
    from .bridge.checkov import merge, run_checkov

    t0 = time.perf_counter()
    if progress:
        progress("running checkov")
    result = run_checkov(loaded.discovery.files, loaded.resources, request.checkov_path)
    wanted = [i for i in request.only if i.startswith("CKV")]
    theirs = [f for f in result.findings if f.policy_id not in set(request.skip)
              and (not wanted or f.policy_id in wanted)]
    merged = merge(findings, theirs, metas)
    metas.extend(result.policies)
    diagnostics.extend(result.diagnostics)
    timings["checkov"] = time.perf_counter() - t0
    return merged


def _rounded(timings: Mapping[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in timings.items()}


def _shown_path(path: str, base: Optional[str]) -> str:
    """``path`` relative to the scan base when it lies under it (reports hold no absolute paths)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base or os.getcwd()))
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _finding_order(f: Finding) -> tuple[Any, ...]:
    return (f.location.path, f.location.start_line, f.policy_id, f.resource)


def only_paths(report: Report, paths: Iterable[str]) -> Report:
    """The report restricted to findings and diagnostics located in ``paths`` (relative, '/'-separated)."""
    wanted = {os.path.normpath(p).replace(os.sep, "/") for p in paths}
    return Report(findings=tuple(f for f in report.findings if f.location.path in wanted),
                  diagnostics=tuple(d for d in report.diagnostics if d.path in wanted),
                  policies=report.policies, stats=report.stats)
