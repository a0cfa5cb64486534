"""Parsers: one module per input format, each turning `SourceFile`s into `Resource`s and `Diagnostic`s.

A parser module exposes ``parse(files, options) -> Parsed``. The registry maps
a discovery format to the module that parses it; modules are imported only
when a file of their format is present, which keeps start-up small.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Optional, Sequence

from .. import cache, parallel
from ..crash import exception_text
from ..model import Diagnostic, Resource, SourceFile

# format -> (parser module, the parser's name). Formats that share a parser
# (Terraform sources and their tfvars) are handed to it together.
PARSERS: Mapping[str, str] = {
    "terraform": "scanner.parsers.terraform",
    "tfvars": "scanner.parsers.terraform",
    "terraform_plan": "scanner.parsers.terraform_plan",
    "kubernetes": "scanner.parsers.kubernetes",
    "architecture": "scanner.parsers.architecture",
    "threagile": "scanner.parsers.threagile",
}


# Parsers whose files are independent documents (a plan is a whole root module): each file is
# parsed on its own, so that resources of two files with the same address can be told apart.
PER_FILE: frozenset[str] = frozenset({"scanner.parsers.terraform_plan"})
_KEY_SEP = "\0"  # a group key is the parser module, or the module and the one file's relpath

# Parse time per byte relative to Terraform's, measured on the benchmark corpus (tests/bench/):
# only used to split the formats evenly between processes.
RELATIVE_COST: Mapping[str, float] = {
    "scanner.parsers.kubernetes": 0.3,
    "scanner.parsers.architecture": 0.5,
}
# Below this much estimated work (in Terraform bytes) a second process costs more than it saves.
PARALLEL_MIN_COST = 200_000


@dataclass(frozen=True)
class ParseOptions:
    """User options that change what parsers resolve (variables for Terraform, deployment units for Kubernetes), and the plans found beside them."""

    var_files: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    plans: tuple[str, ...] = ()  # the plan JSON files of the scan (real paths): set by parse_all
    # configured Kubernetes units: (name, absolute directories); see scanner/parsers/k8s_units.py
    kubernetes_units: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the user's Terraform module description directories (absolute); see parsers/terraform/registry.py
    module_descriptions: tuple[str, ...] = ()


@dataclass
class Parsed:
    """What a parser returns."""

    resources: list[Resource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_all(files: Sequence[SourceFile], options: ParseOptions, jobs: int = 1,
              meanwhile: Optional[Callable[[], object]] = None) -> Parsed:
    """Run every parser over the files of its formats; a crashing parser becomes a diagnostic.

    With ``jobs > 1`` the formats are shared out between forked processes
    (scanner/parallel.py) when there is enough to parse; the result is the
    same either way, in the same order. This process takes the lightest
    share, then runs ``meanwhile`` (preparation for the next stage) while
    the others finish.
    """
    options = replace(options, plans=tuple(f.path for f in files if f.format == "terraform_plan"))
    by_module: dict[str, list[SourceFile]] = {}
    for f in files:
        module = PARSERS.get(f.format)
        if module is not None:
            key = f"{module}{_KEY_SEP}{f.relpath}" if module in PER_FILE else module
            by_module.setdefault(key, []).append(f)
    groups = list(by_module.items())
    shares = _shares(groups, jobs) if jobs > 1 and len(groups) > 1 else [groups]
    results = parallel.run([lambda share=share: _parse_share(share, options) for share in shares],
                           len(shares), meanwhile)
    parsed_by_module: dict[str, Parsed] = {}
    active = cache.current()
    for share_results, handoff in results:
        parsed_by_module.update(share_results)
        if handoff is not None and active is not None:
            active.absorb(handoff)
    out = Parsed()
    taken: dict[str, int] = {}
    for key, _ in groups:
        for r in parsed_by_module[key].resources:
            taken[r.address] = taken.get(r.address, 0) + 1
    for key, _ in groups:  # the order of a serial run, whoever parsed what
        parsed = parsed_by_module[key]
        out.resources.extend(_distinct(key, parsed.resources, taken))
        out.diagnostics.extend(parsed.diagnostics)
    return out


def _distinct(key: str, resources: list[Resource], taken: dict[str, int]) -> list[Resource]:
    """The resources of a per-file group, every address prefixed with the file (``dir/plan.json:aws_x.y``) when one is taken twice.

    Two plans of different roots (or a plan and `.tf` code that is not its
    root) hold the same addresses; prefixing a whole file keeps its
    references pointing inside it, and every resource a node of its own.
    """
    if _KEY_SEP not in key or not any(taken[r.address] > 1 for r in resources):
        return resources
    label = key.split(_KEY_SEP, 1)[1]
    return [replace(r, address=f"{label}:{r.address}",
                                references=tuple((p, f"{label}:{t}") for p, t in r.references))
            for r in resources]


def _shares(groups: list[tuple[str, list[SourceFile]]],
            jobs: int) -> list[list[tuple[str, list[SourceFile]]]]:
    """The groups dealt to at most ``jobs`` processes (largest estimated cost first to the lightest), lightest share first."""
    costs = {name: RELATIVE_COST.get(_module(name), 1.0) * sum(_size(f) for f in group)
             for name, group in groups}
    if sum(costs.values()) < PARALLEL_MIN_COST:
        return [groups]
    shares: list[list[tuple[str, list[SourceFile]]]] = [[] for _ in range(min(jobs, len(groups)))]
    loads = [0.0] * len(shares)
    for name, group in sorted(groups, key=lambda g: -costs[g[0]]):
        lightest = loads.index(min(loads))
        shares[lightest].append((name, group))
        loads[lightest] += costs[name]
    return [share for _, share in sorted(zip(loads, shares), key=lambda pair: pair[0]) if share]


def _size(f: SourceFile) -> int:
    try:
        return os.path.getsize(f.path)
    except OSError:
        return 0


def _parse_share(share: list[tuple[str, list[SourceFile]]],
                 options: ParseOptions) -> tuple[dict[str, Parsed], Any]:
    """Each group of ``share`` parsed; in a child, also the parse-cache entries it made."""
    active = cache.current() if parallel.in_child() else None
    if active is not None:
        active.become_child()
    parsed = {name: _parse_group(name, group, options) for name, group in share}
    return parsed, active.handoff() if active is not None else None


def _module(key: str) -> str:
    """The parser module of a group key."""
    return key.split(_KEY_SEP, 1)[0]


def _parse_group(key: str, group: list[SourceFile], options: ParseOptions) -> Parsed:
    module_name = _module(key)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return Parsed(diagnostics=[Diagnostic(
            "parser-unavailable", f"no parser for these files: {exc}", group[0].relpath)])
    try:
        result: Parsed = module.parse(group, options)
    except Exception as exc:  # last line of defence: the scan goes on without these files
        files = group[0].relpath if len(group) == 1 else f"{len(group)} files (the first here)"
        return Parsed(diagnostics=[Diagnostic(
            "parser-crash", f"{module_name} failed: {exception_text(exc)}; {files} not scanned",
            group[0].relpath)])
    return result
