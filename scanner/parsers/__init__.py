"""Parsers: one module per input format, each turning `SourceFile`s into `Resource`s and `Diagnostic`s.

A parser module exposes ``parse(files, options) -> Parsed``. The registry maps
a discovery format to the module that parses it; modules are imported only
when a file of their format is present, which keeps start-up small.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..model import Diagnostic, Resource, SourceFile

# format -> (parser module, the parser's name). Formats that share a parser
# (Terraform sources and their tfvars) are handed to it together.
PARSERS: Mapping[str, str] = {
    "terraform": "scanner.parsers.terraform",
    "tfvars": "scanner.parsers.terraform",
    "terraform_plan": "scanner.parsers.terraform_plan",
    "kubernetes": "scanner.parsers.kubernetes",
    "architecture": "scanner.parsers.architecture",
    "threagile": "scanner.parsers.threagile",
}


@dataclass(frozen=True)
class ParseOptions:
    """User options that change what parsers resolve (variables for Terraform)."""

    var_files: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Parsed:
    """What a parser returns."""

    resources: list[Resource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_all(files: Sequence[SourceFile], options: ParseOptions) -> Parsed:
    """Run every parser over the files of its formats; a crashing parser becomes a diagnostic."""
    by_module: dict[str, list[SourceFile]] = {}
    for f in files:
        module = PARSERS.get(f.format)
        if module is not None:
            by_module.setdefault(module, []).append(f)
    out = Parsed()
    for module_name, group in by_module.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            out.diagnostics.append(Diagnostic(
                "parser-unavailable", f"no parser for these files: {exc}", group[0].relpath))
            continue
        try:
            result: Parsed = module.parse(group, options)
        except Exception as exc:  # last line of defence: the scan goes on without this format
            out.diagnostics.append(Diagnostic(
                "parser-crash", f"{module_name} failed: {type(exc).__name__}: {exc}",
                group[0].relpath))
            continue
        out.resources.extend(result.resources)
        out.diagnostics.extend(result.diagnostics)
    return out
