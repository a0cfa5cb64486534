"""count and for_each: the instances of a resource, data source or module block, bounded against hostile input."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from ...model import Diagnostic, Unknown, is_unknown
from .expressions import Scope, evaluate
from .values import to_number, tostr
from .syntax import Block

MAX_INSTANCES = 10_000     # per count / for_each
MAX_RESOURCES = 200_000    # per root module, all instances of everything


def expand(block: Block, scope: Scope, path: str, diagnostics: list[Diagnostic],
           produced: int) -> list[tuple[str, Any, Scope]]:
    """(address suffix, key, scope) per instance after count / for_each; [] when count is 0.

    Expansion is bounded: a block asking for more than ``MAX_INSTANCES``
    instances, or any expansion once the root has produced ``MAX_RESOURCES``
    resources (``produced``), is reported and evaluated as one instance with
    an unknown index (hostile input cannot make the scan explode).
    """
    if "count" not in block.attributes and "for_each" not in block.attributes:
        return [("", None, scope)]
    items: Optional[list[tuple[Any, Any]]] = None
    meta = "count" if "count" in block.attributes else "for_each"
    value = evaluate(block.attributes[meta].expr, scope)
    if meta == "count" and isinstance(value, str):
        try:  # count = var.create with a default of "0": Terraform converts the string to a number
            value = to_number(value.strip())
        except (TypeError, ValueError):
            pass
    if meta == "count" and isinstance(value, (int, float)) and not isinstance(value, bool):
        items = [(i, i) for i in range(max(0, int(value)))] if value <= MAX_INSTANCES else None
    elif meta == "for_each" and isinstance(value, dict):
        items = list(value.items())
    elif meta == "for_each" and isinstance(value, list) and not any(is_unknown(x) for x in value):
        items = [(tostr(x), x) for x in value]
    too_many = (items is None and isinstance(value, (int, float)) and not is_unknown(value)) or (
        items is not None and (len(items) > MAX_INSTANCES or (items and produced > MAX_RESOURCES)))
    if too_many:
        diagnostics.append(Diagnostic(
            "expansion-limit", f"{meta} of {'.'.join(block.labels)} expands past the scan's limit "
            f"({MAX_INSTANCES} instances, {MAX_RESOURCES} resources); evaluated as one unknown instance",
            path, block.attributes[meta].line, level="warning"))
        items = None
    if items is None and not too_many:
        _note_unknown(diagnostics, path, f"{'.'.join(block.labels)} (line {block.attributes[meta].line})",
                      block.attributes[meta].line)
    if items is None:
        unknown = Unknown(f"{meta} not known")
        extra = {"count": {"index": unknown}} if meta == "count" else {"each": {"key": unknown, "value": unknown}}
        return [("", None, scope.child(**extra))]
    if meta == "count":
        return [(f"[{i}]", i, scope.child(count={"index": i})) for i, _ in items]
    return [(f'["{k}"]', k, scope.child(each={"key": k, "value": v})) for k, v in items]


_UNKNOWN_HEAD = "count / for_each not known before apply: "
_UNKNOWN_TAIL = ("; each is evaluated as one instance at its bare address, with count.index / each.* "
                 "unknown (what it finds holds for every instance, if any is created)")


def _note_unknown(diagnostics: list[Diagnostic], path: str, name: str, line: int) -> None:
    """One ``instances-unknown`` diagnostic per file, naming each block (once, however many module instances)."""
    for i in range(len(diagnostics) - 1, -1, -1):
        d = diagnostics[i]
        if d.code == "instances-unknown" and d.path == path:
            names = d.message[len(_UNKNOWN_HEAD):-len(_UNKNOWN_TAIL)].split(", ")
            if name not in names:
                diagnostics[i] = replace(d, message=_UNKNOWN_HEAD + ", ".join([*names, name]) + _UNKNOWN_TAIL,
                                         line=min(d.line or line, line))
            return
    diagnostics.append(Diagnostic("instances-unknown", _UNKNOWN_HEAD + name + _UNKNOWN_TAIL, path, line,
                                  level="info"))
