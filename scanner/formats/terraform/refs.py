"""Which resources an expression depends on, followed through locals, module inputs and module outputs.

``security_group_id = local.sg_id`` with ``sg_id = aws_security_group.this[0].id``
names ``aws_security_group.this[0]``; inside a module, ``var.role_arn`` names
whatever the caller passed in; ``module.iam.role_arn`` names what that output
is made of. So reference edges survive the indirections real modules use.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from .expressions import NON_RESOURCE_ROOTS, evaluate
from .syntax import Expr, ForE, Lit, Opaque, Traversal

# (module name, output, the literal key the output is indexed by or None) -> addresses, None if unknown
OutputRefs = Callable[[str, str, Any], Optional[list[str]]]


class RefTracer:
    """Collects the addresses an expression depends on, for one module instance."""

    def __init__(self, prefix: str, locals_: dict[str, tuple[Expr, str]],
                 input_refs: dict[str, list[str]], output_refs: OutputRefs,
                 rename: Optional[Callable[[str, str], str]] = None) -> None:
        self.prefix = prefix
        self.rename = rename  # a described module's addresses with their submodule path (described.py)
        self.locals = locals_
        self.input_refs = input_refs
        self.output_refs = output_refs
        self._local_cache: dict[str, list[str]] = {}
        self._active: set[str] = set()

    def addresses(self, expr: Any, scope: Any = None) -> list[str]:
        """Every resource, data source or module address ``expr`` depends on, in order, deduplicated.

        With the ``scope`` of the instance being evaluated, an index known there names one instance
        (``aws_x.y[each.key]`` in the ``"a"`` instance is ``aws_x.y["a"]``), as Terraform has it.
        """
        if type(expr) in _LEAVES:  # most attributes are literals: nothing to walk
            return []
        found: list[str] = []
        stack: list[tuple[Any, Any]] = [(expr, scope)]
        while stack:
            node, where = stack.pop()
            t = type(node)
            if t is Traversal:
                found.extend(self._traversal(node, where))
                stack.extend((arg, where) for kind, arg in node.steps if kind == "index")
            elif t in _LEAVES:
                continue
            elif isinstance(node, Expr):
                # inside a `for` expression an index may name its own variables, which the instance's
                # scope does not hold (or holds under the same name): every instance, as without a scope
                inner = None if t is ForE else where
                stack.extend((getattr(node, slot), inner) for slot in _slots(t))
            elif t is list or t is tuple:
                stack.extend((item, where) for item in node)
        return list(dict.fromkeys(found))

    def _traversal(self, node: Traversal, scope: Any = None) -> list[str]:
        names = [arg for kind, arg in node.steps[:2] if kind == "attr"]
        if node.root == "local" and names:
            return self._local(names[0])
        if node.root == "var" and names:
            return self.input_refs.get(names[0], [])
        if node.root == "module" and names:
            output = next((arg for kind, arg in node.steps[1:] if kind == "attr"), None)
            step = node.steps[2:3]
            key = step[0][1].value if step and step[0][0] == "index" and isinstance(step[0][1], Lit) else None
            found = self.output_refs(names[0], output, key) if output else None
            return found if found else [f"{self.prefix}module.{names[0]}"]
        address = direct_address(node, self.prefix, scope)
        if address and self.rename is not None:
            address = self.rename(address, self.prefix)
        return [address] if address else []

    def _local(self, name: str) -> list[str]:
        if name in self._local_cache:
            return self._local_cache[name]
        if name not in self.locals or name in self._active:
            return []
        self._active.add(name)
        try:
            found = self.addresses(self.locals[name][0])
        finally:
            self._active.discard(name)
        self._local_cache[name] = found
        return found


_SLOTS: dict[type, tuple[str, ...]] = {}
# Nodes that never hold a reference: literals, opaque syntax, and the text parts of templates.
_LEAVES = frozenset({Lit, Opaque, str})


def _slots(cls: type) -> tuple[str, ...]:
    slots = _SLOTS.get(cls)
    if slots is None:
        slots = tuple(s for c in cls.__mro__ for s in getattr(c, "__slots__", ()) if s != "line")
        _SLOTS[cls] = slots
    return slots


def direct_address(node: Traversal, prefix: str, scope: Any = None) -> Optional[str]:
    """The address a traversal names directly (``aws_x.y``, ``data.t.n``), or None; its instance when the
    index is a literal, or known in ``scope``."""
    names = [arg for kind, arg in node.steps if kind == "attr"]
    if node.root == "data" and len(names) >= 2:
        return f"{prefix}data.{names[0]}.{names[1]}{_literal_index(node.steps[2:3], scope)}"
    if node.root in NON_RESOURCE_ROOTS or "_" not in node.root or not node.steps:
        return None
    first = node.steps[0]
    if first[0] != "attr":
        return None
    return f"{prefix}{node.root}.{first[1]}{_literal_index(node.steps[1:2], scope)}"


def _literal_index(steps: tuple, scope: Any = None) -> str:
    """``[0]`` / ``["k"]`` when a reference names one instance by a literal key, or by a key known in
    ``scope`` (``each.key``, ``count.index``); else '' (every instance)."""
    if not steps or steps[0][0] != "index":
        return ""
    arg = steps[0][1]
    if isinstance(arg, Lit):
        key = arg.value
    elif scope is not None:  # the same index the value's own evaluation works out (body.py)
        key = evaluate(arg, scope)
    else:
        return ""
    if isinstance(key, bool) or key is None or not isinstance(key, (int, str)):
        return ""  # unknown, or not a key: every instance
    return f"[{key}]" if isinstance(key, int) else f'["{key}"]'

