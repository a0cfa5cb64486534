"""Evaluate compiled policies over the graph: every applicable (policy, resource) pair, once."""

from __future__ import annotations

from dataclasses import fields, replace
from functools import partial
from typing import Any, Iterable, Optional

from .. import parallel
from ..crash import crash_diagnostic
from ..model import Diagnostic, Finding, Location, PathStep, Policy, Resource, is_unknown
from ..secrets import mask, maskable
from .compiler import EvalContext
from .drift import with_intent
from .paths import resolve, split_path


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

# Resources that are read, not managed (Terraform `data` blocks, plan `mode: data`), and the
# provider blocks and locals that hold a credential (`terraform.config`): they feed references and
# edges, but the configuration does not create them, so only the credential policies
# (``secret: true``) judge them: a literal credential in a data block is in the repository all
# the same.
NOT_MANAGED = frozenset({"terraform.data", "terraform.config"})

# What fills provider defaults in before a resource's policies run, as crashes name it.
DEFAULTS_STEP = "provider defaults"

# A policy that raises on many resources: this many get a diagnostic each, the rest one summary.
CRASHES_SHOWN = 3

Crash = tuple[str, str, Diagnostic]  # (policy id, resource address, diagnostic)


def evaluate(graph: Any, policies: Iterable[Policy], jobs: int = 1,
             diagnostics: Optional[list[Diagnostic]] = None) -> tuple[list[Finding], dict[str, int]]:
    """Findings for every resource in ``graph``, plus counts (evaluations, undetermined).

    Data sources are judged by credential policies only (``NOT_MANAGED``).

    A policy that raises on a resource becomes an ``error`` diagnostic
    (policy, resource, file, line, exception) appended to ``diagnostics``
    (default: ``graph.graph["diagnostics"]``, where linking put its own);
    every other pair is still evaluated. With ``jobs > 1`` and a large
    graph, forked processes each take every ``jobs``-th node
    (scanner/parallel.py); findings and diagnostics are the same.
    """
    by_type, everywhere = index_policies(policies)
    nodes = list(graph.nodes)
    slices = jobs if jobs > 1 and len(nodes) >= PARALLEL_MIN_NODES else 1
    parts = parallel.run([partial(_evaluate_slice, graph, nodes[i::slices], by_type, everywhere)
                          for i in range(slices)], slices)
    findings: list[Finding] = []
    crashes: list[Crash] = []
    stats = {"evaluations": 0, "undetermined": 0}
    for part_findings, part_stats, part_crashes in parts:
        findings.extend(part_findings if not part_findings or isinstance(part_findings[0], Finding)
                        else (Finding(*packed) for packed in part_findings))
        crashes.extend(part_crashes)
        for key, count in part_stats.items():
            stats[key] += count
    findings = once_per_path(findings)
    findings.sort(key=lambda f: (f.location.path, f.location.start_line, f.policy_id, f.resource))
    if crashes:
        out = diagnostics if diagnostics is not None else graph.graph.setdefault("diagnostics", [])
        out.extend(crash_report(crashes))
    return findings, stats


# Finding's fields in constructor order: a forked child sends its findings back as plain tuples of them
_FIELDS = tuple(f.name for f in fields(Finding))


def _evaluate_slice(graph: Any, nodes: list[Any], by_type: dict[str, list[Policy]],
                    everywhere: list[Policy]) -> tuple[list[Any], dict[str, int], list[Crash]]:
    """:func:`_evaluate_nodes`; in a forked child, each finding as a tuple of its fields.

    The child's result is pickled to the parent: tuples pickle in C, frozen slotted dataclasses one
    state dict each (180,000 findings: 0.73 s to dump and 0.66 s to load as objects, 0.43 s and
    0.37 s as tuples, rebuilt with ``Finding(*fields)``).
    """
    found, stats, crashes = _evaluate_nodes(graph, nodes, by_type, everywhere)
    if parallel.in_child():
        return [tuple(getattr(f, name) for name in _FIELDS) for f in found], stats, crashes
    return found, stats, crashes


def _evaluate_nodes(graph: Any, nodes: list[Any], by_type: dict[str, list[Policy]],
                    everywhere: list[Policy]) -> tuple[list[Finding], dict[str, int], list[Crash]]:
    node_data = graph.nodes  # one view for every lookup (``resource_of`` builds one per call)
    resources = (node_data[node].get("resource") for node in nodes)
    return _judge(EvalContext(graph), [r for r in resources if r is not None], by_type, everywhere)


def evaluate_alone(resources: Iterable[Resource],
                   policies: Iterable[Policy]) -> tuple[list[Finding], dict[str, int], list[Crash]]:
    """``policies`` on ``resources`` without a graph: for policies that read nothing but the resource they judge.

    Such a policy (no ``connected``, ``reachable_from`` or ``leads_to``, not
    a drift policy, on a type whose provider defaults search nothing) judges
    a resource as :func:`evaluate` does in the whole graph; any graph access
    raises, and the crash it becomes tells the caller it was not such a policy.
    Findings, counts and crashes as :func:`_evaluate_nodes` gives them.
    """
    by_type, everywhere = index_policies(policies)
    return _judge(EvalContext(None), list(resources), by_type, everywhere)


def _judge(ctx: EvalContext, resources: list[Resource], by_type: dict[str, list[Policy]],
           everywhere: list[Policy]) -> tuple[list[Finding], dict[str, int], list[Crash]]:
    """Every applicable policy on each of ``resources``, in ``ctx``."""
    graph = ctx.graph
    findings: list[Finding] = []
    crashes: list[Crash] = []
    evaluations = undetermined = 0
    runs: dict[tuple[str, Any, bool], list[Policy]] = {}  # the policies for each (type, layer, data?)
    for resource in resources:
        run = (resource.type, resource.kind, resource.source in NOT_MANAGED)
        todo = runs.get(run)
        if todo is None:
            todo = runs[run] = applicable(resource, by_type, everywhere)
        if not todo:
            continue
        try:  # provider defaults filled once per resource, for all of its policies
            attributes, filled = ctx.effective(resource)
        except Exception as exc:  # noqa: BLE001 - the policies still run, on what is written
            attributes, filled = resource.attributes, {}
            crashes.append((DEFAULTS_STEP, resource.address, crash_diagnostic(
                "policy-crash", DEFAULTS_STEP, exc, resource, secret=True,
                consequence="its policies saw only the attributes written, no provider default")))
        for policy in todo:
            evaluations += 1
            try:
                ctx.extra.clear()
                truth, evidence, gpath = policy.check(ctx, resource, attributes, "")
                if truth is None:
                    undetermined += 1
                    if policy.on_unknown != "fail":
                        continue
                elif not truth:
                    continue
                finding = make_finding(policy, resource, evidence, gpath, unknown=truth is None,
                                       filled=filled, extra=tuple(ctx.extra) if truth else ())
                if policy.meta.category == "drift":
                    finding = with_intent(graph, finding)
                findings.append(finding)
            except Exception as exc:  # noqa: BLE001 - one broken pair must not cost the others
                crashes.append((policy.id, resource.address, crash_diagnostic(
                    "policy-crash", f"policy {policy.id}", exc, resource, secret=policy.secret,
                    consequence="this policy was not evaluated on this resource")))
    return findings, {"evaluations": evaluations, "undetermined": undetermined}, crashes


def once_per_path(findings: list[Finding]) -> list[Finding]:
    """An attack path that goes on past its resource is one story: told once, by the most severe policy.

    Policies that reach the same sink along the same hops from the same entry point
    (administrator permissions and Secret access through ``cluster-admin``) give one
    finding, whose message names the others; findings whose path ends at their resource
    (what that resource is) all stay.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[Finding]] = {}
    for f in findings:
        if len(f.path) > 1 and f.path[-1].address != f.resource:
            groups.setdefault((f.resource, tuple(s.address for s in f.path)), []).append(f)
    if not any(len(g) > 1 for g in groups.values()):
        return findings
    keep: dict[int, Finding] = {}
    for group in groups.values():
        group.sort(key=lambda f: (-f.severity.rank, f.policy_id))
        others = sorted({f.policy_id for f in group[1:]} - {group[0].policy_id})
        first = group[0]
        keep[id(first)] = replace(first, message=f"{first.message} (also {', '.join(others)})") if others else first
    return [keep.get(id(f), f) for f in findings
            if id(f) in keep or len(f.path) <= 1 or f.path[-1].address == f.resource]


def crash_report(crashes: list[Crash]) -> list[Diagnostic]:
    """One diagnostic per crash, but for a policy that crashed on many resources the first few and a count."""
    by_policy: dict[str, list[Crash]] = {}
    for crash in sorted(crashes, key=lambda c: (c[0], c[2].path, c[2].line or 0, c[1])):
        by_policy.setdefault(crash[0], []).append(crash)
    out: list[Diagnostic] = []
    for policy_id, group in by_policy.items():
        out.extend(d for _, _, d in group[:CRASHES_SHOWN])
        rest = group[CRASHES_SHOWN:]
        if rest:
            first = rest[0][2]
            more = f"{len(rest)} more resource" + ("s" if len(rest) > 1 else "")
            step = policy_id if policy_id == DEFAULTS_STEP else f"policy {policy_id}"
            out.append(Diagnostic("policy-crash", f"{step} also failed on {more} (the first "
                                  f"here: {rest[0][1]}); it was not evaluated on them", first.path, first.line))
    return out


def applicable(resource: Resource, by_type: dict[str, list[Policy]],
                everywhere: list[Policy]) -> list[Policy]:
    """The policies to run on resources of ``resource``'s type, layer and mode (managed or data source)."""
    data = resource.source in NOT_MANAGED
    return [policy for policy in (*by_type.get(resource.type, ()), *everywhere)
            if (not policy.layer or resource.kind.value == policy.layer) and (policy.secret or not data)]


def make_finding(policy: Policy, resource: Resource, evidence: tuple[str, ...],
                 gpath: tuple[PathStep, ...], *, unknown: bool = False,
                 filled: Optional[dict[str, Any]] = None, extra: tuple[str, ...] = ()) -> Finding:
    """The finding for ``resource``: located at its first evidence path, the block as context, and
    every further offending element (``extra``) located too.

    Evidence that is a provider default (``filled``: path -> value) is written nowhere: the message
    says so, and it is left out of the evidence, so the finding's fingerprint is the one it had when
    the policy tested the attribute's absence.
    """
    filled = filled or {}
    sink = gpath[-1].address if gpath and gpath[-1].address != resource.address else ""
    message = render_message(policy, resource, evidence, unknown, filled, sink)
    block = resource.location
    if not evidence and "$self" not in resource.lines:
        # the whole block, as most findings of an absent attribute: its Location shared
        return Finding(policy_id=policy.id, severity=policy.meta.severity, resource=resource.address,
                       location=block, message=message, evidence=(), path=gpath,
                       related=_related(resource, gpath), block=block,
                       elements=_elements(resource, extra, block, filled) if extra else ())
    # a default is located at the block that lacks it (the resource itself for a top-level attribute)
    line = resource.line_of(evidence[0]) if evidence else resource.own_line
    if filled:
        evidence = tuple(e for e in evidence if e not in filled)
    whole = not evidence and line == block.start_line
    end = block.end_line if whole else line
    location = Location(resource.path_of(line), int(line), int(end))
    # a derived item that says where it sits is evidence of that place: baselines and
    # fingerprints name the argument (`password`), not the item's index in a derived list
    evidence = tuple(dict.fromkeys(_shown_path(resource, e) for e in evidence))
    return Finding(
        policy_id=policy.id, severity=policy.meta.severity, resource=resource.address,
        location=location, message=message, evidence=evidence, path=gpath,
        related=_related(resource, gpath), block=block,
        elements=_elements(resource, extra, location, filled) if extra else ())


def _related(resource: Resource, gpath: tuple[PathStep, ...]) -> tuple[Location, ...]:
    """The locations of an attack path's other resources."""
    if not gpath:
        return ()
    return tuple(s.location for s in gpath if s.location is not None and s.address != resource.address)


def _elements(resource: Resource, extra: tuple[str, ...], primary: Location,
              filled: dict[str, Any]) -> tuple[Location, ...]:
    """The lines of the further offending elements, each once, in file order, without the primary line."""
    seen = {(primary.path, primary.start_line)}
    out: list[Location] = []
    for path in extra:
        if path in filled:
            continue
        line = resource.line_of(path)
        where = (resource.path_of(line), int(line))
        if where not in seen:
            seen.add(where)
            out.append(Location(where[0], where[1], where[1]))
    return tuple(sorted(out))


def render_message(policy: Policy, resource: Resource, evidence: tuple[str, ...],
                   unknown: bool, filled: Optional[dict[str, Any]] = None, sink: str = "") -> str:
    """The policy's message template filled in (``{sink}``: where the attack path ends); quoted values are masked when secret.

    When the first evidence is a provider default (``filled``), the message says it is not set.
    """
    template = policy.message or policy.meta.title
    filled = filled or {}
    default = evidence[0] in filled if evidence else False
    # most templates never quote the value: skip looking it up and testing it for secrets
    shown = ("" if "value" not in template else
             _show(filled[evidence[0]], policy.secret) if default else
             _show(_evidence_value(resource, evidence), policy.secret))
    try:
        text = template.format(address=resource.address, value=shown,
                               path=_shown_path(resource, evidence[0]) if evidence else "",
                               type=resource.type, sink=sink)
    except (KeyError, IndexError, ValueError):
        text = template
    if default:
        # a default is riskgraph's own value (defaults.yaml), never what a user wrote: shown as it is
        # (ELBSecurityPolicy-2016-08 looks generated enough to be masked otherwise)
        value = filled[evidence[0]]
        if isinstance(value, bool):
            spelt = str(value).lower()
        elif isinstance(value, str) and not policy.secret:
            spelt = value
        else:
            spelt = _show(value, policy.secret)
        text += f" ({evidence[0]} is not set: the provider's default is {spelt})"
    if unknown:
        text += " (value not known before apply; this policy counts that as a failure)"
    return text


def _shown_path(resource: Resource, path: str) -> str:
    """``path``, or for an item of a derived list that says where it sits (``at``), that place."""
    if not path.startswith("$"):
        return path
    segments = split_path(path)
    if len(segments) > 1 and segments[0].startswith("$") and segments[1].isdigit():
        found = resolve(resource.attributes, segments[:2], "")
        item = found[0][1] if found else None
        if isinstance(item, dict) and isinstance(item.get("at"), str):
            return item["at"]
    return path


def _evidence_value(resource: Resource, evidence: tuple[str, ...]) -> Any:
    """The value at the first evidence path, or "" when there is none."""
    if evidence:
        found = resolve(resource.attributes, split_path(evidence[0]), "")
        if found:
            return found[0][1]
    return ""


def _show(value: Any, secret: bool) -> str:
    if is_unknown(value):
        return "(unknown)"
    if isinstance(value, (dict, list)):
        return "(structure)"
    if secret or maskable(value):
        return mask(value)
    return str(value)
