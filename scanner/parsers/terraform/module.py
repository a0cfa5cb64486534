"""Terraform modules: variables, locals, count/for_each and local child modules evaluated into `Resource`s."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ...model import Diagnostic, Layer, Location, Resource, Unknown, is_unknown
from .expressions import NON_RESOURCE_ROOTS, LazyMapping, Scope, apply_steps, evaluate
from .functions import tostr
from .iam import add_policy_documents
from .syntax import Block, Expr, HclFile, ObjectE, Traversal, TupleE

META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner"})


@dataclass
class ModuleSource:
    """The blocks of one module directory, grouped by kind."""

    directory: str
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Expr, str]] = field(default_factory=dict)
    resources: list[tuple[Block, str]] = field(default_factory=list)
    data: list[tuple[Block, str]] = field(default_factory=list)
    modules: list[tuple[Block, str]] = field(default_factory=list)
    outputs: dict[str, tuple[Expr, str]] = field(default_factory=dict)


def group_blocks(directory: str, files: list[HclFile]) -> ModuleSource:
    """Sort a directory's top-level blocks into variables, locals, resources, data, modules, outputs."""
    src = ModuleSource(directory)
    for f in files:
        for b in f.blocks:
            if b.type == "variable" and b.labels:
                src.variables[b.labels[0]] = b
            elif b.type == "locals":
                for name, attr in b.attributes.items():
                    src.locals[name] = (attr.expr, f.path)
            elif b.type == "resource" and len(b.labels) >= 2:
                src.resources.append((b, f.path))
            elif b.type == "data" and len(b.labels) >= 2:
                src.data.append((b, f.path))
            elif b.type == "module" and b.labels:
                src.modules.append((b, f.path))
            elif b.type == "output" and b.labels and "value" in b.attributes:
                src.outputs[b.labels[0]] = (b.attributes["value"].expr, f.path)
    return src


LoadModule = Callable[[str], Optional[ModuleSource]]


class ModuleEvaluator:
    """Evaluates one instance of a module (root or child) into resources."""

    def __init__(self, src: ModuleSource, *, prefix: str, inputs: dict[str, Any],
                 load: LoadModule, stack: tuple[str, ...], out: list[Resource],
                 diagnostics: list[Diagnostic], root_dir: str) -> None:
        self.src = src
        self.prefix = prefix
        self.load = load
        self.stack = stack
        self.out = out
        self.diagnostics = diagnostics
        variables = {}
        for name, block in src.variables.items():
            if name in inputs:
                variables[name] = inputs[name]
            elif "default" in block.attributes:
                variables[name] = evaluate(block.attributes["default"].expr, Scope({}))
            else:
                variables[name] = Unknown(f"var.{name} has no value")
        self.locals = LazyMapping(self._local, set(src.locals))
        self.module_outputs: dict[str, Any] = {}
        self.scope = Scope({
            "var": variables,
            "local": self.locals,
            "path": {"module": src.directory, "root": root_dir, "cwd": root_dir},
            "terraform": {"workspace": "default"},
        }, resolve=self._resolve)

    def _local(self, name: str) -> Any:
        return evaluate(self.src.locals[name][0], self.scope)

    def _resolve(self, root: str, steps: tuple, scope: Scope) -> Any:
        if root == "module" and steps and steps[0][0] == "attr":
            outputs = self.module_outputs.get(steps[0][1])
            if outputs is not None and len(steps) > 1 and steps[1][0] == "attr":
                return apply_steps(outputs.get(steps[1][1]), steps[2:], scope)
        return Unknown(f"{root} is not known before apply")

    def run(self) -> None:
        """Evaluate child modules first (their outputs feed expressions), then resources."""
        for block, path in self.src.modules:
            self._module(block, path)
        for block, path in self.src.resources:
            self._resource(block, path, mode="resource")
        for block, path in self.src.data:
            self._resource(block, path, mode="data")

    # -- resources ---------------------------------------------------------

    def _instances(self, block: Block, path: str) -> list[tuple[str, Scope]]:
        """(address suffix, scope) per instance after count / for_each; [] when count is 0."""
        if "count" in block.attributes:
            count = evaluate(block.attributes["count"].expr, self.scope)
            if is_unknown(count) or not isinstance(count, (int, float)) or isinstance(count, bool):
                return [("", self.scope.child(count={"index": Unknown("count.index")}))]
            return [(f"[{i}]", self.scope.child(count={"index": i})) for i in range(int(count))]
        if "for_each" in block.attributes:
            coll = evaluate(block.attributes["for_each"].expr, self.scope)
            if isinstance(coll, dict):
                items = list(coll.items())
            elif isinstance(coll, list) and not any(is_unknown(x) for x in coll):
                items = [(tostr(x), x) for x in coll]
            else:
                unknown = Unknown("each not known")
                return [("", self.scope.child(each={"key": unknown, "value": unknown}))]
            return [(f'["{k}"]', self.scope.child(each={"key": k, "value": v})) for k, v in items]
        return [("", self.scope)]

    def _resource(self, block: Block, path: str, *, mode: str) -> None:
        rtype, name = block.labels[0], block.labels[1]
        base = f"{self.prefix}{'data.' if mode == 'data' else ''}{rtype}.{name}"
        for suffix, scope in self._instances(block, path):
            lines: dict[str, int] = {}
            refs: list[tuple[str, str]] = []
            attrs = self._body(block, scope, "", lines, refs)
            add_policy_documents(attrs, lines)
            self.out.append(Resource(
                address=base + suffix, kind=Layer.TERRAFORM, type=rtype, attributes=attrs,
                location=Location(path, block.start_line, block.end_line),
                source="terraform" if mode == "resource" else "terraform.data",
                lines=lines, references=tuple(refs)))

    def _body(self, block: Block, scope: Scope, prefix: str, lines: dict[str, int],
              refs: list[tuple[str, str]]) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for name, attr in block.attributes.items():
            if not prefix and name in META_ARGUMENTS:
                continue
            key = prefix + name
            lines[key] = attr.line
            attrs[name] = self._value(attr.expr, scope, key, lines, refs)
        for child in block.blocks:
            if not prefix and child.type in META_ARGUMENTS:
                continue
            if child.type == "dynamic" and child.labels:
                self._dynamic(child, scope, prefix, attrs, lines, refs)
                continue
            items = attrs.setdefault(child.type, [])
            if not isinstance(items, list):
                continue
            key = f"{prefix}{child.type}.{len(items)}"
            lines[key] = child.start_line
            items.append(self._body(child, scope, key + ".", lines, refs))
        return attrs

    def _dynamic(self, block: Block, scope: Scope, prefix: str, attrs: dict[str, Any],
                 lines: dict[str, int], refs: list[tuple[str, str]]) -> None:
        label = block.labels[0]
        content = next((b for b in block.blocks if b.type == "content"), None)
        items = attrs.setdefault(label, [])
        if content is None or not isinstance(items, list) or "for_each" not in block.attributes:
            return
        iterator = label
        if "iterator" in block.attributes:
            it = block.attributes["iterator"].expr
            if isinstance(it, Traversal):
                iterator = it.root
        coll = evaluate(block.attributes["for_each"].expr, scope)
        if is_unknown(coll) or not isinstance(coll, (list, dict)):
            key = f"{prefix}{label}.{len(items)}"
            lines[key] = block.start_line
            items.append(Unknown("dynamic block over unknown collection"))
            return
        pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
        for k, v in pairs:
            key = f"{prefix}{label}.{len(items)}"
            lines[key] = content.start_line
            inner = scope.child(**{iterator: {"key": k, "value": v}})
            items.append(self._body(content, inner, key + ".", lines, refs))

    def _value(self, expr: Expr, scope: Scope, path: str, lines: dict[str, int],
               refs: list[tuple[str, str]]) -> Any:
        """Evaluate, recording each literal element's line and each resource reference's path."""
        if isinstance(expr, TupleE):
            out = []
            for i, item in enumerate(expr.items):
                lines[f"{path}.{i}"] = item.line
                out.append(self._value(item, scope, f"{path}.{i}", lines, refs))
            return out
        if isinstance(expr, ObjectE):
            value = evaluate(expr, scope)
            if isinstance(value, dict):
                for (k, v), key in zip(expr.items, value):
                    lines[f"{path}.{key}"] = v.line
                    _collect_refs(v, f"{path}.{key}", self.prefix, refs)
            return value
        _collect_refs(expr, path, self.prefix, refs)
        return evaluate(expr, scope)

    # -- child modules -----------------------------------------------------

    def _module(self, block: Block, path: str) -> None:
        name = block.labels[0]
        source_attr = block.attributes.get("source")
        source = evaluate(source_attr.expr, self.scope) if source_attr else None
        line = block.start_line
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            self.diagnostics.append(Diagnostic(
                "module-not-local", f"module {name!r} source {source!r} is not a local path; "
                "its resources are not scanned", path, line, level="info"))
            return
        directory = os.path.normpath(os.path.join(self.src.directory, source))
        real = os.path.realpath(directory)
        if real in self.stack:
            self.diagnostics.append(Diagnostic(
                "module-cycle", f"module {name!r} includes itself (via {source}); not expanded",
                path, line))
            return
        child = self.load(directory)
        if child is None:
            self.diagnostics.append(Diagnostic(
                "module-missing", f"module {name!r} source {source} has no .tf files", path, line))
            return
        for suffix, scope in self._instances(block, path):
            inputs = {k: evaluate(a.expr, scope) for k, a in block.attributes.items()
                      if k not in META_ARGUMENTS and k not in ("source", "version")}
            sub = ModuleEvaluator(child, prefix=f"{self.prefix}module.{name}{suffix}.",
                                  inputs=inputs, load=self.load, stack=self.stack + (real,),
                                  out=self.out, diagnostics=self.diagnostics,
                                  root_dir=self.scope.names["path"]["root"])
            sub.run()
            if not suffix:
                self.module_outputs[name] = LazyMapping(
                    lambda key, s=sub: evaluate(s.src.outputs[key][0], s.scope), set(child.outputs))


def _collect_refs(expr: Expr, path: str, prefix: str, refs: list[tuple[str, str]]) -> None:
    """Record every resource, data source or module an expression names."""
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Traversal):
            address = _address(node, prefix)
            if address:
                refs.append((path, address))
            for kind, arg in node.steps:
                if kind == "index":
                    stack.append(arg)
            continue
        if isinstance(node, Expr):
            for slot in _slots(node):
                stack.append(getattr(node, slot))
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def _slots(node: Expr) -> tuple[str, ...]:
    return tuple(s for c in type(node).__mro__ for s in getattr(c, "__slots__", ()) if s != "line")


def _address(node: Traversal, prefix: str) -> Optional[str]:
    names = [arg for kind, arg in node.steps if kind == "attr"]
    if node.root == "data" and len(names) >= 2:
        return f"{prefix}data.{names[0]}.{names[1]}"
    if node.root == "module" and names:
        return f"{prefix}module.{names[0]}"
    if node.root in NON_RESOURCE_ROOTS or "_" not in node.root or not node.steps:
        return None
    first = node.steps[0]
    if first[0] != "attr":
        return None
    return f"{prefix}{node.root}.{first[1]}"
