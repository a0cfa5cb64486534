"""Architecture models: riskgraph's own YAML (zones, components, data, flows) and its dialects (Threagile).

Every dialect becomes the same architecture elements (types ``zone``,
``component``, ``data``, ``flow``, ``role``), joined to the other layers by
:mod:`.link`. Parsers: :mod:`.parser` (native), :mod:`.threagile`.
"""

from __future__ import annotations

import re

from .. import Format
from ...model import Layer

YAML_SUFFIXES = (".yaml", ".yml")
_ARCH_RE = re.compile(rb"^(components|zones|flows)\s*:", re.M)
_THREAGILE_RE = re.compile(rb"^(technical_assets|data_assets|trust_boundaries|threagile_version)\s*:", re.M)


def sniff_native(lower: str, head: bytes) -> bool:
    """A YAML file with a top-level ``components``, ``zones`` or ``flows`` key."""
    return _ARCH_RE.search(head) is not None


def sniff_threagile(lower: str, head: bytes) -> bool:
    """A YAML file with one of Threagile's top-level keys."""
    return _THREAGILE_RE.search(head) is not None


FORMAT = Format("architecture", Layer.ARCHITECTURE, "scanner.formats.architecture.parser",
                sniffs=YAML_SUFFIXES, sniff=sniff_native, cost=0.5, linker="scanner.formats.architecture.link:link")
THREAGILE = Format("threagile", Layer.ARCHITECTURE, "scanner.formats.architecture.threagile",
                   sniffs=YAML_SUFFIXES, sniff=sniff_threagile, cost=0.5)
