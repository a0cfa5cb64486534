"""The linkers, one per relation family; each adds typed edges to the graph and nothing else.

Order matters only where a linker reads edges another made: references first,
then cloud and cluster relations, then the architecture (which joins to them), then workload identity
and data access (which join clusters to clouds and need the accounts the Kubernetes linker adds), and
last what compares the architecture's flows with the identity paths.
"""

from __future__ import annotations

from typing import Callable

from .. import LinkContext
from . import (architecture, aws, azure, data_access, data_drift, gcp, identity, kubernetes, node_identity,
               references)

Linker = Callable[[LinkContext], None]

LINKERS: tuple[Linker, ...] = (
    references.link,
    aws.link,
    azure.link,
    gcp.link,
    kubernetes.link,
    architecture.link,
    identity.link,
    node_identity.link,
    data_access.link,
    data_drift.link,
)
