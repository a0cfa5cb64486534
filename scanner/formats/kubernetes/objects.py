"""Kubernetes object helpers for the linkers: names and namespaces, pod labels, label selectors, implicit objects."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ...model import Layer, Location, Resource
from .pod import POD_SPEC_PATHS, dig, pod_metadata_path
from ...graph import LinkContext

IMPLICIT_SOURCE = "kubernetes.implicit"


def items(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty list: malformed manifests never stop a linker."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def plain_address(r: Resource) -> str:
    """The address without its ``@<unit>`` qualifier (added when two deployment units declare the same object).

    An object Terraform manages has its Terraform address; its Kubernetes one is ``$kubernetes_address``.
    """
    managed = r.attributes.get("$kubernetes_address")
    if isinstance(managed, str):
        return managed
    unit = r.attributes.get("$unit")
    suffix = f"@{unit}" if isinstance(unit, str) else ""
    return r.address[: -len(suffix)] if suffix and r.address.endswith(suffix) else r.address


def text(value: Any) -> Optional[str]:
    """A name as YAML may write it (``name: 123`` is a name too); None for anything else, such as an unknown value."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def namespace_of(r: Resource) -> Optional[str]:
    """The namespace in the address (None for cluster-scoped objects)."""
    parts = plain_address(r)[4:].split("/")
    return parts[2] if len(parts) == 4 else None


def name_of(r: Resource) -> str:
    return plain_address(r).rsplit("/", 1)[-1]


class UnitContext(LinkContext):
    """One deployment unit's view of the graph: ``of_type`` and ``find`` see only the unit's objects.

    Objects are looked up by their plain address (``k8s:apps/Deployment/ns/web``);
    ``find`` answers with the node of this unit, which carries ``@<unit>``
    when another unit declares the same object.
    """

    def __init__(self, parent: LinkContext, resources: list[Resource], unit: str) -> None:
        super().__init__(parent.graph, resources)
        self.parent, self.unit, self.root = parent, unit, parent.root
        self.local = {plain_address(r): r.address for r in resources}
        self.qualified = any(address == f"{plain}@{unit}" for plain, address in self.local.items())

    def find(self, address: str) -> Optional[str]:
        """The node of this unit at plain ``address``, or None."""
        return self.local.get(address)

    def place(self, address: str) -> str:
        """The node address for an implicit object of this unit: qualified when the plain one is taken."""
        return f"{address}@{self.unit}" if self.qualified or address in self.graph else address


def pod_labels(r: Resource) -> dict[str, Any]:
    """The labels the workload's pods carry (the pod template's, or the Pod's own)."""
    path = POD_SPEC_PATHS.get(r.type)
    if path is None:
        return {}
    labels = dig(r.attributes, pod_metadata_path(path) + ("labels",))
    return labels if isinstance(labels, dict) else {}


def matches_map(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A Service-style selector: every key equals (compared as strings)."""
    return all(k in labels and str(labels[k]) == str(v) for k, v in selector.items())


def matches_selector(selector: Any, labels: dict[str, Any]) -> bool:
    """A LabelSelector (``matchLabels`` + ``matchExpressions``); an empty selector matches everything.

    A malformed selector matches nothing, as the API server would refuse it.
    """
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict) or not matches_map(match_labels, labels):
        return False
    for expr in items(selector.get("matchExpressions")):
        if not isinstance(expr, dict) or not _expression(expr, labels):
            return False
    return True


def _expression(expr: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, op = expr.get("key"), expr.get("operator")
    if not isinstance(key, str):
        return False
    values = [str(v) for v in items(expr.get("values"))]
    present = key in labels
    if op == "In":
        return present and str(labels[key]) in values
    if op == "NotIn":
        return not present or str(labels[key]) not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    return False


class PodIndex:
    """The workloads of one namespace indexed by pod label, so a selector visits only candidates."""

    def __init__(self, workloads: list[Resource]) -> None:
        self.workloads = workloads
        self.labels = [pod_labels(w) for w in workloads]
        self.by_label: dict[tuple[str, str], list[int]] = {}
        for i, labels in enumerate(self.labels):
            for k, v in labels.items():
                self.by_label.setdefault((str(k), str(v)), []).append(i)

    def _candidates(self, required: dict[str, Any]) -> Iterable[int]:
        if not required:
            return range(len(self.workloads))
        lists = [self.by_label.get((str(k), str(v)), []) for k, v in required.items()]
        return min(lists, key=len)

    def matching_map(self, selector: dict[str, Any]) -> list[Resource]:
        """Workloads whose pod labels hold every pair of a Service-style selector."""
        return [self.workloads[i] for i in self._candidates(selector)
                if matches_map(selector, self.labels[i])]

    def matching_selector(self, selector: Any) -> list[Resource]:
        """Workloads a LabelSelector (``matchLabels`` + ``matchExpressions``) matches."""
        required = selector.get("matchLabels") if isinstance(selector, dict) else None
        required = required if isinstance(required, dict) else {}
        return [self.workloads[i] for i in self._candidates(required)
                if matches_selector(selector, self.labels[i])]


def add_implicit(ctx: LinkContext, address: str, kind: str, manifest: dict[str, Any],
                 location: Location) -> Resource:
    """Add an object the cluster has without a manifest (a namespace's ``default`` ServiceAccount, a built-in role).

    It is a real node whose ``source`` is ``kubernetes.implicit`` and whose
    attributes carry ``$implicit: true``; its location is where it is first
    referenced, so findings on it point at the manifest that relies on it.
    """
    attributes = dict(manifest, **{"$implicit": True})
    if not isinstance(ctx, UnitContext):
        resource = _implicit(address, kind, attributes, location)
        ctx.add_resource(resource)
        return resource
    plain, address = address, ctx.place(address)
    attributes["$unit"] = ctx.unit
    ctx.local[plain] = address
    resource = _implicit(address, kind, attributes, location)
    ctx.graph.add_node(address, resource=resource)
    ctx.parent.index(resource, plain)
    ctx.index(resource, address)
    return resource


def _implicit(address: str, kind: str, attributes: dict[str, Any], location: Location) -> Resource:
    return Resource(address=address, kind=Layer.KUBERNETES, type=kind, attributes=attributes,
                    location=location, source=IMPLICIT_SOURCE, lines={"$implicit": location.start_line})


def at_line(r: Resource, path: str) -> Location:
    """A one-line location inside ``r`` at the line of ``path``."""
    line = r.line_of(path)
    return Location(r.location.path, line, line)
