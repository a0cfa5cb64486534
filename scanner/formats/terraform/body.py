"""A block body evaluated into attributes, with the line of every attribute and the references it makes."""

from __future__ import annotations

from typing import Any

from ...model import UNKNOWN_BLOCKS, Unknown, is_unknown
from .expressions import Configured, Scope, evaluate, plain
from .refs import RefTracer
from .values import pairs_of, tostr
from .syntax import Block, Expr, Lit, ObjectE, Traversal, TupleE

META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner"})


class BodyReader:
    """Evaluates one resource instance's body; ``lines`` and ``references`` fill as it reads."""

    def __init__(self, tracer: RefTracer) -> None:
        self.tracer = tracer
        self.lines: dict[str, int] = {}
        self.references: list[tuple[str, str]] = []

    def body(self, block: Block, scope: Scope, prefix: str) -> dict[str, Any]:
        """The attributes of ``block`` (nested blocks as lists of dicts) in ``scope``."""
        attrs: dict[str, Any] = Configured()
        for name, attr in block.attributes.items():
            if not prefix and name in META_ARGUMENTS:
                continue
            key = prefix + name
            self.lines[key] = attr.line
            attrs[name] = self._value(attr.expr, scope, key)
        for child in block.blocks:
            if not prefix and child.type in META_ARGUMENTS:
                continue
            if child.type == "dynamic" and child.labels:
                self._dynamic(child, scope, prefix, attrs)
                continue
            items = attrs.setdefault(child.type, [])
            if not isinstance(items, list):
                continue
            key = f"{prefix}{child.type}.{len(items)}"
            self.lines[key] = child.start_line
            items.append(self.body(child, scope, key + "."))
        return attrs

    def _dynamic(self, block: Block, scope: Scope, prefix: str, attrs: dict[str, Any]) -> None:
        label = block.labels[0]
        content = next((b for b in block.blocks if b.type == "content"), None)
        items = attrs.setdefault(label, [])
        if content is None or not isinstance(items, list) or "for_each" not in block.attributes:
            return
        self._dynamic_items(block, content, label, items, scope, prefix)
        if not items:  # over an empty collection: no block at all, as Terraform has it
            del attrs[label]

    def _dynamic_items(self, block: Block, content: Block, label: str, items: list[Any], scope: Scope,
                       prefix: str) -> None:
        iterator = label
        if "iterator" in block.attributes:
            it = block.attributes["iterator"].expr
            if isinstance(it, Traversal):
                iterator = it.root
        for_each = block.attributes["for_each"].expr
        # what the collection is made of is what the content refers to through the iterator
        # (``secret_arn = auth.value.arn`` over ``for_each = var.secrets``), as in Terraform's graph
        self.references.extend((f"{prefix}{label}", a) for a in self.tracer.addresses(for_each))
        coll = evaluate(for_each, scope)
        if is_unknown(coll) or not isinstance(coll, (list, dict)):
            key = f"{prefix}{label}.{len(items)}"
            self.lines[key] = block.start_line
            items.append(Unknown(UNKNOWN_BLOCKS))
            return
        pairs = pairs_of(coll)
        for k, v in pairs:
            key = f"{prefix}{label}.{len(items)}"
            self.lines[key] = content.start_line
            inner = scope.child(**{iterator: {"key": k, "value": v}})
            items.append(self.body(content, inner, key + "."))

    def _value(self, expr: Expr, scope: Scope, path: str) -> Any:
        """Evaluate, recording each literal element's line and each resource reference's path."""
        if type(expr) is Lit:  # most values: no reference to record, nothing to evaluate
            return expr.value
        if isinstance(expr, TupleE):
            out = []
            for i, item in enumerate(expr.items):
                self.lines[f"{path}.{i}"] = item.line
                out.append(self._value(item, scope, f"{path}.{i}"))
            return out
        if isinstance(expr, ObjectE):
            value = plain(evaluate(expr, scope))
            if isinstance(value, dict):
                for k, v in expr.items:
                    key = k.value if isinstance(k, Lit) else tostr(evaluate(k, scope))
                    self.lines[f"{path}.{key}"] = v.line
                    self.references.extend((f"{path}.{key}", a) for a in self.tracer.addresses(v, scope))
            return value
        self.references.extend((path, a) for a in self.tracer.addresses(expr, scope))
        return plain(evaluate(expr, scope))
