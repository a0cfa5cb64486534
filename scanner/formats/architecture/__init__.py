"""Architecture models: riskgraph's own YAML (zones, components, data, flows) and its dialects (Threagile, Open Threat Model).

Every dialect becomes the same architecture elements (types ``zone``,
``component``, ``data``, ``flow``, ``role``), joined to the other layers by
:mod:`.link`. Parsers: :mod:`.parser` (native), :mod:`.threagile`, :mod:`.otm`.
"""

from __future__ import annotations

import re

from .. import Format
from ...model import Layer

YAML_SUFFIXES = (".yaml", ".yml")
_ARCH_KEY_RE = re.compile(rb"^(components|zones|flows)\s*:", re.M)
# ... holding a list, as the schema has them: OpenAPI's `components:` and other tools' files with such a key
# hold a mapping. Each repeated part ends at a newline: no backtracking blow-up.
_ARCH_RE = re.compile(rb"^(?:components|zones|flows)[ \t]*:(?:[ \t]*\[|[ \t\r]*(?:#[^\n]*)?\n"
                      rb"(?:[ \t\r]*(?:#[^\n]*)?\n)*[ \t]*-(?:[ \t\r]|$))", re.M)
_THREAGILE_RE = re.compile(rb"^(technical_assets|data_assets|trust_boundaries|threagile_version)\s*:", re.M)
# a Threagile main file may hold nothing but its includes (YAML files), with no threagile_version
_THREAGILE_INCLUDES_RE = re.compile(     # each repeated part ends at a newline: no backtracking blow-up
    rb"^includes[ \t]*:(?:[ \t]*\[[ \t]*['\"]?[^\s'\",\]]+\.ya?ml\b|[ \t]*(?:#[^\n]*)?\n"
    rb"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*-[ \t]+['\"]?[^\s'\"]+\.ya?ml['\"]?[ \t]*(?:#[^\n]*)?$)", re.M)
# Open Threat Model: a top-level otmVersion (YAML) or "otmVersion" (a JSON object)
_OTM_RE = re.compile(rb"^otmVersion\s*:", re.M)
_OTM_JSON_RE = re.compile(rb'"otmVersion"\s*:')
_K8S_RE = re.compile(rb"^(apiVersion|kind)\s*:", re.M)


def sniff_native(lower: str, head: bytes) -> bool:
    """A YAML file with a top-level ``components``, ``zones`` or ``flows`` list."""
    return _ARCH_RE.search(head) is not None


def sniff_threagile(lower: str, head: bytes) -> bool:
    """A YAML file with one of Threagile's top-level keys, or a main file of nothing but ``includes:`` of YAML files."""
    if _THREAGILE_RE.search(head) is not None:
        return True
    return (_THREAGILE_INCLUDES_RE.search(head) is not None
            and _K8S_RE.search(head) is None and _ARCH_KEY_RE.search(head) is None)


def sniff_otm(lower: str, head: bytes) -> bool:
    """An Open Threat Model: a top-level ``otmVersion`` (YAML), or a JSON object with ``"otmVersion"``."""
    if lower.endswith(".json"):
        return head.lstrip()[:1] == b"{" and _OTM_JSON_RE.search(head) is not None
    return _OTM_RE.search(head) is not None


FORMAT = Format("architecture", Layer.ARCHITECTURE, "scanner.formats.architecture.parser",
                sniffs=YAML_SUFFIXES, sniff=sniff_native, kind="an architecture file", cost=0.5,
                linker="scanner.formats.architecture.link:link")
OTM = Format("otm", Layer.ARCHITECTURE, "scanner.formats.architecture.otm",
             sniffs=(*YAML_SUFFIXES, ".json"), sniff=sniff_otm, kind="an Open Threat Model",
             cost=0.5)
THREAGILE = Format("threagile", Layer.ARCHITECTURE, "scanner.formats.architecture.threagile",
                   sniffs=YAML_SUFFIXES, sniff=sniff_threagile,
                   kind="a Threagile model", cost=0.5)
