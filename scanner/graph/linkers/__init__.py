"""The linkers, one per relation family; each adds typed edges to the graph and nothing else.

Order matters only where a linker reads edges another made: references first,
then cloud and cluster relations, then workload identity (which joins clusters to clouds and needs the
accounts the Kubernetes linker adds) and data access, then the architecture (which joins to them), and
last what compares the architecture with the identity paths.
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
    identity.link,
    node_identity.link,
    data_access.link,
    architecture.link,
    data_drift.link,
)
