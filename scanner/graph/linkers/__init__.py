"""The linkers, one per relation family; each adds typed edges to the graph and nothing else.

The cloud linkers here read the cloud vocabulary (the providers' resource
types, whatever format wrote them); each input format adds the linkers of its
own vocabulary (``linker`` in :data:`scanner.formats.FORMATS`); the joins
across layers come last. Order matters only where a linker reads edges
another made: references first, then cloud relations, then the formats' in
registry order (Kubernetes, then the architecture), then workload identity
and data access (which join clusters to clouds and need the accounts the
Kubernetes linker adds), and last what compares the architecture's flows
with the identity paths.
"""

from __future__ import annotations

import importlib
from typing import Callable

from .. import LinkContext
from ...formats import linkers
from . import aws, azure, data_access, data_drift, gcp, identity, node_identity, references

Linker = Callable[[LinkContext], None]


def _load(entry: str) -> Linker:
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


LINKERS: tuple[Linker, ...] = (
    references.link,
    aws.link,
    azure.link,
    gcp.link,
    *(_load(entry) for entry in linkers()),
    identity.link,
    node_identity.link,
    data_access.link,
    data_drift.link,
)
