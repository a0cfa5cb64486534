"""A re-scan after an edit: the roots the edit touched parsed again, linking and evaluation kept where the edit cannot reach them.

The stored report (scanner/rescan.py) serves a scan whose inputs are all
unchanged. Beside it, a full scan keeps a :class:`State` of the same
request under a key without the files' bytes: what each stage gave (the
parsed resources and the parts a format can parse again, the derived facts
and which attribute keys linkers read per resource type, the findings
before suppression, every diagnostic). The next scan of that request with
edited files tries :func:`delta` first:

1. every edited file belongs to format parts (Terraform roots) that can be
   parsed again alone, and everything else the parsers read is unchanged
   (:func:`scanner.parse.reparse` says when a part cannot stand alone);
2. the parts' resources are the same resources at the same lines, with the
   same references, only attribute values differ (keys and which of them
   hold blocks unchanged);
3. no linker read a changed key of that type in the full scan
   (:class:`scanner.graph.Reading`), so linking would run as it ran: every
   edge, derived fact and link diagnostic stands;
4. no graph search of any policy reads a changed key, and the policies that
   read one on the edited resource read nothing but that resource
   (:class:`scanner.policy.compiler.Reads`): they are run again on it alone,
   on its old values too, and those must give the findings stored (a check
   that the shortcut sees what the full scan saw).

Anything else says why (to the scan's progress callback), and the scan runs in full. The result is the
full scan's, byte for byte (tests/test_warm_equals_cold.py edits values at
random and compares; tests/realworld/warm_check.py on real repositories).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Union

from .cache import Observation, current, observe
from .graph import ALL_KEYS, with_facts
from .model import Diagnostic, Finding, Policy, Resource
from .parse import Group, ParseOptions, reparse

if TYPE_CHECKING:  # pragma: no cover
    from .discover import Discovery
    from .policy.compiler import Reads


@dataclass(frozen=True)
class Body:
    """What a full scan gave, kept once: a re-scan after an edit keeps its changes beside it (:class:`State`)."""

    stamp: str                            # ties the body to the states written beside it
    groups: tuple[Group, ...]             # the parse's groups, with their parts
    resources: tuple[Resource, ...]       # the parse's, in order
    facts: Mapping[str, tuple[dict[str, Any], dict[str, int]]]  # derived by linking, per address
    reads: Mapping[str, frozenset[str]]   # attribute keys linkers read, per resource type
    findings: tuple[Finding, ...]         # evaluation's, before checkov, frameworks and suppressions
    diagnostics: tuple[Diagnostic, ...]   # parse, link and evaluation's (discovery's are each scan's own)
    nodes: int
    edges: int


@dataclass(frozen=True)
class State:
    """What a scan keeps for the next scan of the same request: the full scan's :class:`Body`, and what edits changed since.

    Stored in two entries (scanner/rescan.py): the body when a full scan
    wrote it, the rest (small) after every scan.
    """

    body: Body
    digests: Mapping[str, str]            # discovered file -> fingerprint of its bytes
    seen: Mapping[Observation, str]       # everything the parsers read -> its fingerprint
    counts: Mapping[str, int]             # evaluations, undetermined
    edited: Mapping[str, Resource] = field(default_factory=dict)  # address -> the resource now, where edited
    judged: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)  # address -> its findings now

    def resources(self) -> list[Resource]:
        edited = self.edited
        return [edited.get(r.address, r) for r in self.body.resources] if edited else list(self.body.resources)

    def findings_of(self, addresses: set[str]) -> dict[str, list[Finding]]:
        """The findings now of each of ``addresses`` (without putting every finding in order)."""
        out = {a: list(self.judged[a]) for a in addresses if a in self.judged}
        rest = addresses - out.keys()
        for a in rest:
            out[a] = []
        if rest:
            for f in self.body.findings:
                if f.resource in rest:
                    out[f.resource].append(f)
        return out

    def findings(self) -> list[Finding]:
        judged = self.judged
        if not judged:
            return list(self.body.findings)
        kept = [f for f in self.body.findings if f.resource not in judged]
        kept.extend(f for found in judged.values() for f in found)
        kept.sort(key=finding_order)
        return kept


def finding_order(f: Finding) -> tuple[Any, ...]:
    """The order :func:`scanner.policy.evaluate` gives findings in."""
    return (f.location.path, f.location.start_line, f.policy_id, f.resource)


@dataclass(frozen=True)
class Evaluated:
    """What parse, link and evaluate gave a scan, whichever way it was found."""

    resources: Sequence[Resource]
    findings: list[Finding]
    counts: dict[str, int]
    diagnostics: list[Diagnostic]  # after discovery's
    nodes: int
    edges: int


Why = str  # why a scan cannot take the shortcut: a sentence a user can read


def delta(state: State, found: "Discovery", digests: Mapping[str, Optional[str]],
          options: ParseOptions, policies: Sequence[Policy]) -> Union[tuple[Evaluated, State], Why]:
    """This scan's result from ``state`` and the parts the edit touched, and the state to keep; or why it scans in full."""
    now = {path: digest for path, digest in digests.items() if digest is not None}
    if now.keys() != state.digests.keys():
        return "a file could not be read"
    changed = frozenset(path for path, digest in now.items() if digest != state.digests[path])
    for (what, path, limit), was in state.seen.items():
        if path in changed:
            continue
        if (now[path] if what == "read" and limit == -1 and path in now else observe(what, path, limit)) != was:
            return f"{path}, which a parser read, changed"
    body = state.body
    edits = _edits(state, found, changed, now, options)
    if isinstance(edits, str):
        return edits
    edited = dict(state.edited)
    for old, new, keys in edits:
        read = body.reads.get(old.type, frozenset())
        if ALL_KEYS in read or not read.isdisjoint(keys):  # its edges or facts may differ
            return f"{new.address}: linking reads {', '.join(sorted(keys & read) or keys)}"
        edited[new.address] = new
    outcome = _judged(state, edits, policies)
    if isinstance(outcome, str):
        return outcome
    judged, undetermined = outcome
    counts = dict(state.counts)
    counts["undetermined"] = counts.get("undetermined", 0) + undetermined
    # what the full scan's parsers read, as it reads now, and what parsing the parts again read (a
    # root may read a file it did not before): the next scan checks all of it
    seen = {o: observe(*o) if o[1] in changed else was for o, was in state.seen.items()}
    active = current()
    if active is not None:
        seen.update(active.seen)
    after = State(body, now, seen, counts, edited, {**state.judged, **judged})
    return Evaluated(after.resources(), after.findings(), counts, list(body.diagnostics), body.nodes,
                     body.edges), after


def full_state(digests: Mapping[str, Optional[str]], seen: Mapping[Observation, str], groups: Sequence[Group],
               resources: Sequence[Resource], graph: Any, findings: Sequence[Finding], counts: Mapping[str, int],
               diagnostics: Sequence[Diagnostic]) -> State:
    """The state a full scan keeps (``graph``: the linked graph, with its facts and reads)."""
    body = Body(uuid.uuid4().hex, tuple(groups), tuple(resources), graph.graph.get("facts", {}),
                graph.graph.get("reads", {}), tuple(findings), tuple(diagnostics),
                graph.number_of_nodes(), graph.number_of_edges())
    return State(body, {path: digest for path, digest in digests.items() if digest is not None}, dict(seen),
                 dict(counts))


Edit = tuple[Resource, Resource, frozenset[str]]  # (as before, as now, the top-level keys whose values changed)


def _edits(state: State, found: "Discovery", changed: frozenset[str], digests: Mapping[str, str],
           options: ParseOptions) -> Union[list[Edit], Why]:
    """The resources whose values the edit changed, from the parts that read the edited files parsed again."""
    if not changed:
        return []
    by_address = {r.address: r for r in state.resources()}
    relpaths = {f.path: f.relpath for f in found.files}

    def shown(path: str) -> str:
        return relpaths.get(path, path)

    edits: list[Edit] = []
    covered: set[str] = set()
    for group in state.body.groups:
        mine = changed.intersection(group.paths)
        touched = [p for p in group.parts or () if not p.reads.isdisjoint(changed)]
        if not mine and not touched:
            continue
        if group.parts is None:
            return f"{shown(min(mine))} is read as a whole with the other files of its format"
        lonely = [p.name or p.key for p in touched if not p.alone]
        if lonely:
            return f"{lonely[0]} gave a diagnostic or shares its reads: it is parsed with the rest"
        covered |= {path for p in touched for path in p.reads}
        again = reparse(group, found.files, options, {path: (state.digests[path], digests[path]) for path in mine},
                        touched)
        if again is None:
            return f"parsing {', '.join(p.name or p.key for p in touched)} again changed more than values"
        for part, resources in zip(touched, again):
            if resources is None:  # it read no file whose parse changed
                continue
            if tuple(r.address for r in resources) != part.addresses:
                return f"{part.name or part.key}: resources were added, removed or renamed"
            for new in resources:
                keys = _changed_keys(by_address[new.address], new)
                if isinstance(keys, str):
                    return keys
                if keys:
                    edits.append((by_address[new.address], new, keys))
    if not changed <= covered:  # its format parses it some other way
        return f"{shown(min(changed - covered))} is read by no part that can be parsed alone"
    return edits


def _changed_keys(old: Resource, new: Resource) -> Union[frozenset[str], Why]:
    """The top-level attribute keys whose values differ; or what more than values changed."""
    if (old.address, old.kind, old.type, old.location, old.source, old.planned) != (
            new.address, new.kind, new.type, new.location, new.source, new.planned):
        return f"{new.address} moved"
    if old.lines != new.lines:
        return f"{new.address}: lines moved"
    if old.references != new.references:
        return f"{new.address}: what it refers to changed"
    if old.providers != new.providers:
        return f"{new.address}: the provider versions it is read with changed"
    a, b = old.attributes, new.attributes
    if a.keys() != b.keys():
        return f"{new.address}: attributes were added or removed"
    keys = []
    for key, value in a.items():
        other = b[key]
        if value is other or value == other:
            continue
        if isinstance(value, (dict, list)) != isinstance(other, (dict, list)):
            # which keys hold blocks or lists is read without being noted (aws_network.walk)
            return f"{new.address}: {key} became a block or list, or stopped being one"
        keys.append(key)
    return frozenset(keys)


def _judged(state: State, edits: list[Edit], policies: Sequence[Policy]) -> Union[tuple[dict[str, tuple[Finding, ...]], int], Why]:
    """The findings of the edited resources judged again (address -> all its findings), and the change in
    undetermined pairs; or why evaluation runs in full."""
    if not edits:
        return {}, 0
    from .policy.defaults import load_defaults
    from .policy.evaluate import applicable, evaluate_alone, index_policies

    reads = {p.id: policy_reads(p) for p in policies}
    for _, new, changed in edits:
        for p in policies:
            if reads[p.id].reads_elsewhere(new.type, changed):
                return (f"{p.id} reads {', '.join(sorted(changed))} of the {new.type} its graph search "
                        f"reaches")
    by_type, everywhere = index_policies(policies)
    judged: dict[str, tuple[Finding, ...]] = {}
    undetermined = 0
    mine = state.findings_of({new.address for _, new, _ in edits})
    for old, new, changed in edits:
        defaults = load_defaults().get(new.type, ())
        touches_defaults = any(_touches(d.reads.keys, changed) for d in defaults)
        affected = [p for p in applicable(new, by_type, everywhere)
                    if touches_defaults or _touches(reads[p.id].keys, changed)]
        if not affected:
            continue
        searching = [p.id for p in affected if reads[p.id].searches or p.meta.category == "drift"]
        if searching:
            return f"{searching[0]} reads {', '.join(sorted(changed))} of {new.address} and searches the graph"
        if any(d.reads.searches for d in defaults):
            return f"a provider default of {new.type} searches the graph"
        facts = state.body.facts.get(new.address)
        before = with_facts(old, facts) if facts else old
        after = with_facts(new, facts) if facts else new
        was, was_counts, was_crashes = evaluate_alone([before], affected)
        now, now_counts, now_crashes = evaluate_alone([after], affected)
        ids = {p.id for p in affected}
        stored = [f for f in mine[new.address] if f.policy_id in ids]
        if was_crashes or now_crashes:
            return f"a policy crashed on {new.address}"
        if _order(stored) != _order(was):
            return f"{new.address} judged alone is not what the whole graph made of it"
        judged[new.address] = tuple(sorted([*(f for f in mine[new.address] if f.policy_id not in ids), *now],
                                           key=finding_order))
        undetermined += now_counts["undetermined"] - was_counts["undetermined"]
    return judged, undetermined


def _touches(keys: Optional[frozenset[str]], changed: Iterable[str]) -> bool:
    """Whether reading ``keys`` (None: every key) reads one of ``changed``."""
    return keys is None or not keys.isdisjoint(changed)


def _order(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.policy_id, f.location.path, f.location.start_line, f.message))


def policy_reads(policy: Policy) -> "Reads":
    """What ``policy``'s condition reads (scanner.policy.compiler.condition_reads); everything when it has none."""
    from .policy.compiler import Reads, condition_reads

    return condition_reads(policy.condition) if policy.condition is not None else Reads(None, True, ((None, None),))
