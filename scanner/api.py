"""The library entry points: `scan()` runs discover -> parse -> link -> evaluate -> suppress; `load_graph()` stops at link."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Sequence

from .discover import Discovery, discover
from .model import Diagnostic, Finding, Policy, PolicyMeta, Report, Resource

if TYPE_CHECKING:  # pragma: no cover
    import datetime

    import networkx as nx

Progress = Callable[[str], None]


@dataclass
class Loaded:
    """The files found, the resources parsed from them, the joined graph, and every diagnostic."""

    discovery: Discovery
    resources: list[Resource]
    graph: "nx.MultiDiGraph"
    diagnostics: list[Diagnostic]


def load(paths: Sequence[str], *, var_files: Sequence[str] = (),
         variables: Optional[Mapping[str, str]] = None, exclude: Iterable[str] = (),
         base: Optional[str] = None, progress: Optional[Progress] = None,
         timings: Optional[dict[str, float]] = None, jobs: int = 1,
         discovery: Optional[Discovery] = None,
         kubernetes_units: Sequence[tuple[str, Sequence[str]]] = ()) -> Loaded:
    """Discover, parse and link ``paths``; problems in files become diagnostics.

    ``jobs > 1`` lets parsing use that many forked processes on Linux
    (scanner/parallel.py); only pass it from a program that runs no threads.
    ``discovery`` is what :func:`discover` found for ``paths``, when the
    caller has already run it. ``kubernetes_units`` declares deployment
    units by hand: ``(name, directories)`` (docs/kubernetes.md).
    """
    from .cache import scan_cache
    from .graph import build_graph, prepare
    from .parse import ParseOptions, parse_all

    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    found = discovery if discovery is not None else discover(paths, base=base, exclude=exclude)
    t1 = time.perf_counter()
    say(f"parsing {len(found.files)} files")
    env = _tf_var_environment()
    with scan_cache():  # unchanged files are not parsed again: scanner/cache.py
        units = tuple((name, tuple(os.path.abspath(d) for d in dirs)) for name, dirs in kubernetes_units)
        parsed = parse_all(found.files, ParseOptions(var_files=tuple(var_files),
                                                     variables=dict(variables or {}), env=env,
                                                     kubernetes_units=units),
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
                  [*found.diagnostics, *parsed.diagnostics, *graph.graph.get("diagnostics", ())])


def load_graph(paths: Sequence[str], **options: Any) -> "nx.MultiDiGraph":
    """The joined graph of ``paths`` (same options as :func:`load`); node data ``resource`` holds each Resource."""
    return load(paths, **options).graph


def _tf_var_environment() -> dict[str, str]:
    """The ``TF_VAR_*`` variables Terraform would read from the environment."""
    return {k: v for k, v in os.environ.items() if k.startswith("TF_VAR_")}


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
         kubernetes_units: Sequence[tuple[str, Sequence[str]]] = ()) -> Report:
    """Scan ``paths`` (files or directories) and return every finding and diagnostic.

    ``policies`` replaces policy loading entirely; otherwise built-in policies
    (unless ``builtin_policies=False``) and ``policy_dirs`` are loaded, filtered
    by ``only`` / ``skip``. ``frameworks`` keeps only findings of policies
    mapped to those frameworks. Inline ``riskgraph:ignore`` comments and
    annotations apply unless ``suppressions=False``; findings whose
    fingerprint is in the ``baseline`` file are kept but marked suppressed.
    ``with_checkov`` adds checkov's own checks (needs the ``checkov`` extra).
    ``kubernetes_units`` declares Kubernetes deployment units by hand
    (``(name, directories)``; docs/kubernetes.md).
    ``jobs > 1`` parses and evaluates in that many forked processes on
    Linux (same result; the CLI's default); pass it only from a program
    that runs no threads, since a forked child inherits none of them.
    Raises :class:`scanner.policy.PolicyError` for a bad policy file and
    :class:`scanner.suppress.BaselineError` for a bad baseline; problems in
    scanned files become diagnostics.
    """
    from .cache import scan_cache
    from .policy import load_policies
    from .suppress import load_baseline

    request = _Request(only=tuple(only), skip=tuple(skip), parameters=dict(parameters or {}),
                       var_files=tuple(var_files), variables=dict(variables or {}),
                       exclude=tuple(exclude), base=base, frameworks=tuple(frameworks),
                       suppressions=suppressions, baseline=baseline, with_checkov=with_checkov,
                       today=today, jobs=jobs,
                       kubernetes_units=tuple((n, tuple(d)) for n, d in kubernetes_units))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    from_files = policies is None  # only then can a stored result be keyed by the policies' bytes
    if policies is None:
        policies = load_policies(policy_dirs, builtin=builtin_policies, only=request.only,
                                 skip=request.skip, parameters=request.parameters)
    fingerprints = load_baseline(baseline) if baseline else None
    timings["policies"] = time.perf_counter() - t0
    with scan_cache() as cache:  # the parse cache, with whole results in it (scanner/rescan.py)
        t1 = time.perf_counter()
        found = discover(paths, base=base, exclude=request.exclude)
        timings["discover"] = time.perf_counter() - t1
        key = _result_key(found, policies, request) if cache is not None and from_files else None
        if key is not None and cache is not None:
            from .rescan import lookup, stamps

            before = stamps(found)  # a file edited while the scan runs must not file its result
            stored = lookup(cache, key)
            if stored is not None:  # "result_cache" in stats["seconds"] says where it came from
                timings["result_cache"] = time.perf_counter() - t1 - timings["discover"]
                return replace(stored, stats={**stored.stats, "seconds": _rounded(timings)})
        report = _run(paths, found, policies, fingerprints, request, progress, timings)
        if key is not None and cache is not None and stamps(found) == before:
            from .rescan import store

            store(cache, key, report)
        return report


@dataclass(frozen=True)
class _Request:
    """The options of one :func:`scan` call, past policy loading."""

    only: tuple[str, ...]
    skip: tuple[str, ...]
    parameters: Mapping[str, Mapping[str, Any]]
    var_files: tuple[str, ...]
    variables: Mapping[str, str]
    exclude: tuple[str, ...]
    base: Optional[str]
    frameworks: tuple[str, ...]
    suppressions: bool
    baseline: Optional[str]
    with_checkov: bool
    today: Optional["datetime.date"]
    jobs: int
    kubernetes_units: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _result_key(found: Discovery, policies: Sequence[Policy], request: _Request) -> Optional[str]:
    """The stored-result key of this scan (scanner/rescan.py); None when it must not be stored."""
    import datetime

    from .rescan import file_digest, scan_key

    if request.with_checkov:  # checkov's own checks and version are outside what the key covers
        return None
    # every option of the request (a new one is keyed without a change here) but the process count
    options: dict[str, Any] = {f.name: getattr(request, f.name) for f in fields(request)
                               if f.name not in ("jobs", "today", "baseline")}
    options.update(
        today=(request.today or datetime.date.today()).isoformat(),  # suppressions expire
        baseline=[request.baseline, file_digest(request.baseline) if request.baseline else None],
        env=_tf_var_environment())
    return scan_key(found, policies, options)


def _run(paths: Sequence[str], found: Discovery, policies: Sequence[Policy],
         fingerprints: Optional[frozenset[str]], request: _Request, progress: Optional[Progress],
         timings: dict[str, float]) -> Report:
    """Parse, link, evaluate, then apply checkov, frameworks, suppressions and the baseline."""
    from .policy import evaluate
    from .suppress import apply_baseline, apply_inline

    loaded = load(paths, var_files=request.var_files, variables=request.variables,
                  exclude=request.exclude, base=request.base, progress=progress, timings=timings,
                  jobs=request.jobs, discovery=found, kubernetes_units=request.kubernetes_units)
    t1 = time.perf_counter()
    if progress:
        progress(f"evaluating {len(policies)} policies")
    diagnostics = list(loaded.diagnostics)
    findings, counts = evaluate(loaded.graph, policies, jobs=request.jobs, diagnostics=diagnostics)
    metas: list[PolicyMeta] = [p.meta for p in policies]
    timings["evaluate"] = time.perf_counter() - t1
    if request.with_checkov:
        findings = _with_checkov(loaded, findings, metas, diagnostics, request, progress, timings)
    by_id = {m.id: m for m in metas}
    if request.frameworks:
        findings = [f for f in findings if in_frameworks(by_id.get(f.policy_id), request.frameworks)]
    if request.suppressions:
        sources = {f.relpath: f.path for f in loaded.discovery.files}
        resources = {r.address: r for r in loaded.resources}
        findings, problems = apply_inline(findings, resources, sources, metas, today=request.today)
        diagnostics.extend(problems)
    shown_baseline = _shown_path(request.baseline, request.base) if request.baseline else ""
    if fingerprints is not None and request.baseline:
        findings = apply_baseline(findings, fingerprints, shown_baseline)
    graph = loaded.graph
    stats = {
        "files": len(loaded.discovery.files), "skipped_files": loaded.discovery.skipped,
        "resources": len(loaded.resources), "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(), "policies": len(policies), **counts,
        "seconds": _rounded(timings),
    }
    if request.baseline:
        stats["baseline"] = shown_baseline
    diagnostics.sort(key=lambda d: (d.path, d.line or 0, d.code))
    return Report(findings=tuple(sorted(findings, key=_finding_order)), diagnostics=tuple(diagnostics),
                  policies=tuple(sorted(metas, key=lambda m: m.id)), stats=stats)


def _with_checkov(loaded: Loaded, findings: list[Finding], metas: list[PolicyMeta],
                  diagnostics: list[Diagnostic], request: _Request, progress: Optional[Progress],
                  timings: dict[str, float]) -> list[Finding]:
    """checkov's own checks merged into ``findings`` (its policies and diagnostics appended in place)."""
    from .bridge.checkov import merge, run_checkov

    t0 = time.perf_counter()
    if progress:
        progress("running checkov")
    result = run_checkov(loaded.discovery.files, loaded.resources)
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
