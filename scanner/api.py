"""The library entry point: `scan()` runs discover -> parse -> link -> evaluate and returns a `Report`."""

from __future__ import annotations

import os
import time
from typing import Any, Iterable, Mapping, Optional, Sequence

from .discover import discover
from .model import Policy, Report


def scan(paths: Sequence[str], *, policies: Optional[Sequence[Policy]] = None,
         policy_dirs: Iterable[str] = (), builtin_policies: bool = True,
         only: Iterable[str] = (), skip: Iterable[str] = (),
         parameters: Optional[Mapping[str, Mapping[str, Any]]] = None,
         var_files: Sequence[str] = (), variables: Optional[Mapping[str, str]] = None,
         exclude: Iterable[str] = (), base: Optional[str] = None) -> Report:
    """Scan ``paths`` (files or directories) and return every finding and diagnostic.

    ``policies`` replaces policy loading entirely; otherwise built-in policies
    (unless ``builtin_policies=False``) and ``policy_dirs`` are loaded, filtered
    by ``only`` / ``skip``. Raises :class:`scanner.policy.PolicyError` for a
    bad policy file; problems in scanned files become diagnostics.
    """
    from .graph import build_graph
    from .parsers import ParseOptions, parse_all
    from .policy import evaluate, load_policies

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if policies is None:
        policies = load_policies(policy_dirs, builtin=builtin_policies, only=only, skip=skip,
                                 parameters=parameters)
    t1 = time.perf_counter()
    found = discover(paths, base=base, exclude=exclude)
    t2 = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k.startswith("TF_VAR_")}
    parsed = parse_all(found.files, ParseOptions(var_files=tuple(var_files),
                                                 variables=dict(variables or {}), env=env))
    t3 = time.perf_counter()
    graph = build_graph(parsed.resources)
    t4 = time.perf_counter()
    findings, counts = evaluate(graph, policies)
    t5 = time.perf_counter()
    timings.update(policies=t1 - t0, discover=t2 - t1, parse=t3 - t2, link=t4 - t3, evaluate=t5 - t4)
    stats = {
        "files": len(found.files), "skipped_files": found.skipped,
        "resources": len(parsed.resources), "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(), "policies": len(policies), **counts,
        "seconds": {k: round(v, 4) for k, v in timings.items()},
    }
    diagnostics = sorted([*found.diagnostics, *parsed.diagnostics],
                         key=lambda d: (d.path, d.line or 0, d.code))
    return Report(findings=tuple(findings), diagnostics=tuple(diagnostics),
                  policies=tuple(p.meta for p in policies), stats=stats)
