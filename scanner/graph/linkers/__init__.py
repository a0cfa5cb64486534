"""The linkers, one per relation family; each adds typed edges to the graph and nothing else.

Order matters only where a linker reads edges another made: references first,
then cloud and cluster relations, then the architecture (which joins to them).
"""

from __future__ import annotations

from typing import Callable

from .. import LinkContext
from . import architecture, aws, azure, gcp, kubernetes, references

Linker = Callable[[LinkContext], None]

LINKERS: tuple[Linker, ...] = (
    references.link,
    aws.link,
    azure.link,
    gcp.link,
    kubernetes.link,
    architecture.link,
)
