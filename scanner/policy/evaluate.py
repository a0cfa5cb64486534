"""Evaluate compiled policies over the graph: every applicable (policy, resource) pair, once."""

from __future__ import annotations

from typing import Any, Iterable

from .. import parallel
from ..graph import resource_of
from ..model import Finding, Location, PathStep, Policy, Resource, is_unknown
from ..secrets import looks_like_secret, mask
from .compiler import EvalContext, resolve, split_path


def index_policies(policies: Iterable[Policy]) -> tuple[dict[str, list[Policy]], list[Policy]]:
    """Policies by resource type, and those that apply to every type (``resource: ["*"]``)."""
    by_type: dict[str, list[Policy]] = {}
    everywhere: list[Policy] = []
    for p in policies:
        for t in p.meta.resource_types:
            (everywhere if t == "*" else by_type.setdefault(t, [])).append(p)
    return by_type, everywhere


# Below this many resources a second process costs more than it saves (scanner/parallel.py).
PARALLEL_MIN_NODES = 1000


def evaluate(graph: Any, policies: Iterable[Policy],
             jobs: int = 1) -> tuple[list[Finding], dict[str, int]]:
    """Findings for every resource in ``graph``, plus counts (evaluations, undetermined).

    With ``jobs > 1`` and a large graph, forked processes each take every
    ``jobs``-th node (scanner/parallel.py); the findings are the same.
    """
    by_type, everywhere = index_policies(policies)
    nodes = list(graph.nodes)
    slices = jobs if jobs > 1 and len(nodes) >= PARALLEL_MIN_NODES else 1
    parts = parallel.run([lambda i=i: _evaluate_nodes(graph, nodes[i::slices], by_type, everywhere)
                          for i in range(slices)], slices)
    findings: list[Finding] = []
    stats = {"evaluations": 0, "undetermined": 0}
    for part_findings, part_stats in parts:
        findings.extend(part_findings)
        for key, count in part_stats.items():
            stats[key] += count
    findings.sort(key=lambda f: (f.location.path, f.location.start_line, f.policy_id, f.resource))
    return findings, stats


def _evaluate_nodes(graph: Any, nodes: list[Any], by_type: dict[str, list[Policy]],
                    everywhere: list[Policy]) -> tuple[list[Finding], dict[str, int]]:
    ctx = EvalContext(graph)
    findings: list[Finding] = []
    stats = {"evaluations": 0, "undetermined": 0}
    for node in nodes:
        resource = resource_of(graph, node)
        if resource is None:
            continue
        applicable = by_type.get(resource.type, ())
        for policy in (*applicable, *everywhere) if everywhere else applicable:
            if policy.layer and resource.kind.value != policy.layer:
                continue
            stats["evaluations"] += 1
            truth, evidence, gpath = policy.check(ctx, resource, resource.attributes, "")
            if truth is None:
                stats["undetermined"] += 1
                if policy.on_unknown != "fail":
                    continue
            elif not truth:
                continue
            findings.append(make_finding(policy, resource, evidence, gpath, unknown=truth is None))
    return findings, stats


def make_finding(policy: Policy, resource: Resource, evidence: tuple[str, ...],
                 gpath: tuple[PathStep, ...], *, unknown: bool = False) -> Finding:
    line = resource.line_of(evidence[0]) if evidence else resource.location.start_line
    end = line if evidence else resource.location.end_line
    location = Location(resource.location.path, line, end)
    related = tuple(s.location for s in gpath if s.location is not None
                    and s.address != resource.address)
    return Finding(
        policy_id=policy.id, severity=policy.meta.severity, resource=resource.address,
        location=location, message=render_message(policy, resource, evidence, unknown),
        evidence=evidence, path=gpath, related=related)


def render_message(policy: Policy, resource: Resource, evidence: tuple[str, ...],
                   unknown: bool) -> str:
    """The policy's message template filled in; quoted values are masked when secret."""
    value: Any = ""
    if evidence:
        found = resolve(resource.attributes, split_path(evidence[0]), "")
        if found:
            value = found[0][1]
    shown = _show(value, policy.secret)
    template = policy.message or policy.meta.title
    try:
        text = template.format(address=resource.address, value=shown,
                               path=evidence[0] if evidence else "", type=resource.type)
    except (KeyError, IndexError, ValueError):
        text = template
    if unknown:
        text += " (value not known before apply; this policy counts that as a failure)"
    return text


def _show(value: Any, secret: bool) -> str:
    if is_unknown(value):
        return "(unknown)"
    if isinstance(value, (dict, list)):
        return "(structure)"
    if secret or looks_like_secret(value):
        return mask(value)
    return str(value)
