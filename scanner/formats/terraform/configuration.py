"""Provider blocks and locals scanned for literal credentials, surfaced as `provider` / `local` resources only when they hold one.

They are configuration, not infrastructure: no linker or other policy has a
use for them, so a node is added only to carry a credential to RG-SEC-001 /
RG-SEC-002 (``provider "aws" { secret_key = "..." }``, ``locals { token =
"ghp_..." }``), with the line it is written on.
"""

from __future__ import annotations

from typing import Any

from ...model import Layer, Location, Resource
from .body import BodyReader
from .credentials import add_credentials
from .expressions import Scope, evaluate, plain
from .refs import RefTracer
from .syntax import Block, Expr, Lit


def configuration_resources(providers: list[tuple[Block, str]], locals_: dict[str, tuple[Expr, str]],
                            scope: Scope, prefix: str, tracer: RefTracer) -> list[Resource]:
    """A resource per provider block and per local value that holds a literal credential."""
    out: list[Resource] = []
    for block, path in providers:
        reader = BodyReader(tracer)
        attrs = reader.body(block, scope, "")
        alias = block.attributes.get("alias")
        name = block.labels[0] + (f".{alias.expr.value}" if alias and isinstance(alias.expr, Lit) else "")
        _emit(out, f"{prefix}provider.{name}", "provider", attrs, reader.lines,
              Location(path, block.start_line, block.end_line))
    for name, (expr, path) in locals_.items():
        # only what is written in the local itself: a literal reaching it from a caller's input is
        # reported where that input is used, and where it is written
        value = plain(evaluate(expr, Scope({})))
        lines = {name: expr.line}
        _emit(out, f"{prefix}local.{name}", "local", {name: value}, lines,
              Location(path, expr.line, expr.line))
    return out


def _emit(out: list[Resource], address: str, type_: str, attrs: dict[str, Any],
          lines: dict[str, int], location: Location) -> None:
    add_credentials(type_, attrs, lines)
    if "$credentials" in attrs or "$tokens" in attrs:
        out.append(Resource(address=address, kind=Layer.TERRAFORM, type=type_, attributes=attrs,
                            location=location, source="terraform.config", lines=lines))
