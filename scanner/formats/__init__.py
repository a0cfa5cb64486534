"""The input formats riskgraph reads: one package each, and ``FORMATS``, the one registry every stage asks.

A format package's ``__init__`` is its light descriptor (imported by discovery
on every run): the names and content it claims, its type vocabulary and type
groups, and the dotted names of its parser and linker, which are imported only
when a file of the format is present. Order matters where two formats could
claim the same file: the first whose ``claims`` accepts it wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

from ..model import Layer
from ..textcodec import utf8_head


@dataclass(frozen=True)
class Format:
    """One discovery format: how a file is recognised, which parser reads it, what it adds to linking and policies."""

    name: str
    layer: Layer
    parser: str  # module exposing ``parse(files, options) -> Parsed``; shared by formats parsed together
    suffixes: tuple[str, ...] = ()  # lower-case file-name endings claimed by name alone
    names: tuple[str, ...] = ()  # exact base names claimed by name alone
    sniffs: tuple[str, ...] = ()  # lower-case name endings whose content ``sniff`` decides
    # (lower-case name, first bytes) -> claimed
    sniff: Optional[Callable[[str, bytes], bool]] = None
    kind: str = ""  # what a file it sniffs is, for messages: "a Kubernetes manifest"
    per_file: bool = False  # each file parsed on its own (a plan is a whole root module)
    # a file is part of the directory it is listed in: a link to a file of another directory is read
    # there too, as a copy of its own (Terraform reads every .tf file a module directory lists)
    per_directory: bool = False
    cost: float = 1.0  # parse time per byte relative to Terraform's (splits work between processes)
    linker: Optional[str] = None  # "module:function" run by the link stage after the cloud linkers
    type_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)  # policy `types:` names
    # modules (beyond the model, parse and yamlnodes) whose classes the parser's memoised results
    # hold: the parse cache rebuilds classes of these modules only
    memo_modules: tuple[str, ...] = ()

    def claims_name(self, name: str) -> bool:
        """Whether the file name alone makes a file of this format."""
        return os.path.basename(name) in self.names or name.lower().endswith(self.suffixes)


def _registry() -> dict[str, Format]:
    from . import architecture, kubernetes, terraform, terraform_plan
    ordered = (*terraform.FORMATS, terraform_plan.FORMAT, architecture.OTM, architecture.THREAGILE,
               kubernetes.FORMAT, architecture.FORMAT)
    return {f.name: f for f in ordered}


FORMATS: Mapping[str, Format] = _registry()

# Every name a policy's `types:` may use for a group of resource types, from every format.
TYPE_GROUPS: Mapping[str, frozenset[str]] = {
    group: types for f in FORMATS.values() for group, types in f.type_groups.items()}


def classify(name: str, head: Optional[bytes]) -> Optional[str]:
    """The format of a file from its name and first bytes, or None if it is not ours.

    ``head`` may be None when only the name is known; files whose kind is
    decided by content then stay unclassified.
    """
    for f in FORMATS.values():
        if f.claims_name(name):
            return f.name
    if head is None:
        return None
    head = utf8_head(head)  # a UTF-16 file (PowerShell's `>`) sniffed as its text
    lower = name.lower()
    for f in FORMATS.values():
        if f.sniff is not None and lower.endswith(f.sniffs) and f.sniff(lower, head):
            return f.name
    return None


def sniffed_kinds(name: str) -> list[str]:
    """What a file of this name could have been by its content, in registry order (``kind`` of each format)."""
    lower = name.lower()
    return [f.kind for f in FORMATS.values() if f.sniff is not None and lower.endswith(f.sniffs)]


def read_suffixes() -> tuple[str, ...]:
    """Every file-name ending some format may read: a file with one that is not scanned is said so."""
    return tuple(dict.fromkeys(s for f in FORMATS.values() for s in (*f.suffixes, *f.sniffs)))


def sniffed_suffixes() -> tuple[str, ...]:
    """The file-name endings whose content decides their format."""
    return tuple(dict.fromkeys(s for f in FORMATS.values() for s in f.sniffs))


def parser_modules() -> tuple[str, ...]:
    """Every parser module, once each, in registry order."""
    return tuple(dict.fromkeys(f.parser for f in FORMATS.values()))


def linkers() -> tuple[str, ...]:
    """The ``module:function`` linkers the formats add, once each, in registry order."""
    return tuple(dict.fromkeys(f.linker for f in FORMATS.values() if f.linker is not None))
