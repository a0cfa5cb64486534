"""count and for_each: the instances of a resource, data source or module block, bounded against hostile input."""

from __future__ import annotations

from typing import Any, Optional

from ...model import Diagnostic, Unknown, is_unknown
from .expressions import Scope, evaluate
from .functions import tostr
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
        _note(diagnostics, Diagnostic(
            "instances-unknown", f"{meta} of {'.'.join(block.labels)} is not known before apply; "
            f"evaluated as one instance at the bare address, with {'count.index' if meta == 'count' else 'each.key and each.value'} "
            "unknown (what it finds holds for every instance, if any is created)",
            path, block.attributes[meta].line, level="info"))
    if items is None:
        unknown = Unknown(f"{meta} not known")
        extra = {"count": {"index": unknown}} if meta == "count" else {"each": {"key": unknown, "value": unknown}}
        return [("", None, scope.child(**extra))]
    if meta == "count":
        return [(f"[{i}]", i, scope.child(count={"index": i})) for i, _ in items]
    return [(f'["{k}"]', k, scope.child(each={"key": k, "value": v})) for k, v in items]


def _note(diagnostics: list[Diagnostic], diagnostic: Diagnostic) -> None:
    """Add ``diagnostic`` once (a module instantiated many times evaluates its blocks many times)."""
    if diagnostic not in diagnostics:
        diagnostics.append(diagnostic)
