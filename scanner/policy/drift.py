"""Drift findings name both sides: the code's line, and the architecture line of every component the resource implements."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..model import Finding

IMPLEMENTED_BY = "implemented_by"


def with_intent(graph: Any, finding: Finding) -> Finding:
    """``finding`` with the components that ``implemented_by`` its resource added to ``related``.

    A finding on an architecture element (an implementation that names
    nothing) already sits in the architecture file; a resource no component
    implements has no intent to name.
    """
    if finding.resource.startswith("arch:") or finding.resource not in graph:
        return finding
    components = sorted(other for other, kinds in graph._pred[finding.resource].items()
                        if IMPLEMENTED_BY in kinds)
    have = set(finding.related)
    extra = []
    for address in components:
        resource = graph.nodes[address].get("resource")
        if resource is not None and resource.location not in have:
            have.add(resource.location)
            extra.append(resource.location)
    return replace(finding, related=finding.related + tuple(extra)) if extra else finding
