"""A module description (YAML: inputs, resources, outputs) compiled into a module the evaluator runs, and its results placed at the call.

A description says how a registry module's inputs become resources and
attributes, in Terraform expressions; it is turned into HCL text, parsed by
the same parser and evaluated by the same module evaluator as real code. Its
resources are then placed at the module call: each attribute at the line of
the caller's argument it was computed from (the call's first line when only
defaults made it), so a finding points at the argument to change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from ...model import Diagnostic, Location, Resource
from ...yamlnodes import YamlProblem, first_document
from .module import ModuleSource, group_blocks
from .syntax import Block, Call, Cond, Expr, ForE, Lit, ObjectE, Traversal, TupleE, parse_hcl

_KEYS = {"sources", "versions", "about", "inputs", "required", "types", "locals", "resources", "outputs"}
_RESOURCE_KEYS = {"count", "for_each", "arguments", "blocks"}
_BLOCK_KEYS = {"for_each", "iterator", "arguments", "blocks"}
_ADDRESS = re.compile(r"^((?:module\.[a-z0-9_-]+\.)*)([a-z][a-z0-9_]*)\.([a-z0-9_-]+)$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Source:
    """What one source of a description presets: the module path its resources sit under, and input defaults."""

    within: str              # "" or "module.sg." (a named submodule that calls the module as module.sg)
    inputs: dict[str, Any]   # defaults the caller may override


@dataclass
class Description:
    """One compiled description: the module it evaluates as, and how its lines map to the caller's arguments."""

    path: str
    sources: dict[str, Source]   # registry source -> what it presets
    versions: str
    module: ModuleSource
    reads: dict[int, tuple[str, ...]] = field(default_factory=dict)  # generated line -> variables, in order
    # generated resource line -> the inputs whose elements its count or for_each makes
    # (``count = length(var.rules)``; ``merge({for r in var.ingress : ...}, {for r in var.egress : ...})``)
    elements: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # generated lines whose value reads the instance's own element (``each.value``, ``count.index``)
    per_element: frozenset[int] = frozenset()
    renames: dict[str, str] = field(default_factory=dict)  # "type.name" -> "module.sub.type.name"

    def rename(self, address: str, prefix: str) -> str:
        """``prefix`` + a generated address as the real module addresses it (its submodule path put back)."""
        rest = address[len(prefix):] if address.startswith(prefix) else None
        if rest is None:
            return address
        head = rest.split("[", 1)[0]
        parts = head.split(".")
        base = ".".join(parts[:2])
        if base in self.renames and len(parts) == 2:
            return prefix + self.renames[base] + rest[len(base):]
        return address


def compile_description(path: str, data: bytes) -> Description:
    """Parse and check a description; raises ValueError naming what is wrong."""
    try:
        loaded = first_document(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if isinstance(loaded, YamlProblem):
        raise ValueError(f"not YAML (line {loaded.line}): {loaded.message}")
    doc = loaded.value if loaded is not None else None
    if not isinstance(doc, dict):
        raise ValueError("a description is a mapping")
    _only(doc, _KEYS, "top level")
    sources = doc.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise ValueError("'sources' maps each registry source to {} or {within, inputs}")
    presets: dict[str, Source] = {}
    for key, spec in sources.items():
        spec = spec or {}
        if not isinstance(spec, dict) or not isinstance(spec.get("inputs") or {}, dict):
            raise ValueError(f"source {key!r}: a mapping with optional 'within' and 'inputs'")
        _only(spec, {"within", "inputs"}, f"source {key}")
        within = str(spec.get("within") or "")
        if within and not re.match(r"^(module\.[a-z0-9_-]+\.?)+$", within, re.IGNORECASE):
            raise ValueError(f"source {key!r}: 'within' is a module path such as module.sg")
        presets[str(key)] = Source(within.rstrip(".") + "." if within else "", dict(spec.get("inputs") or {}))
    lines: list[str] = []
    renames: dict[str, str] = {}
    inputs = doc.get("inputs") or {}
    required = list(doc.get("required") or [])
    types = doc.get("types") or {}
    for name in [*inputs, *required]:
        _check_name(name, "input")
        kind = types.get(name)
        lines.append(f'variable "{name}" {{' + (f" type = {kind} }}" if kind else " }"))
    for name, expr in (doc.get("locals") or {}).items():
        _check_name(name, "local")
        lines.append(f"locals {{ {name} = {_expr(expr)} }}")
    for address, spec in (doc.get("resources") or {}).items():
        m = _ADDRESS.match(str(address))
        if m is None or not isinstance(spec, dict):
            raise ValueError(f"resource {address!r}: an address such as module.db_instance.aws_db_instance.this "
                             "mapping to count / for_each / arguments / blocks")
        _only(spec, _RESOURCE_KEYS, f"resource {address}")
        base = f"{m.group(2)}.{m.group(3)}"
        if base in renames:
            raise ValueError(f"resource {address!r}: {base} is described twice")
        renames[base] = address
        lines.append(f'resource "{m.group(2)}" "{m.group(3)}" {{')
        for meta in ("count", "for_each"):
            if meta in spec:
                lines.append(f"  {meta} = {_expr(spec[meta])}")
        _body(spec, lines, "  ", f"resource {address}")
        lines.append("}")
    for name, expr in (doc.get("outputs") or {}).items():
        _check_name(name, "output")
        lines.append(f'output "{name}" {{ value = {_expr(expr)} }}')
    text = "\n".join(lines) + "\n"
    relpath = f"<module description {path}>"
    parsed = parse_hcl(text.encode("utf-8"), relpath)
    if parsed.diagnostics:
        bad = parsed.diagnostics[0]
        shown = text.splitlines()[(bad.line or 1) - 1] if bad.line else ""
        raise ValueError(f"{bad.message}: {shown.strip()}")
    problems: list[Diagnostic] = []
    module = group_blocks(relpath, relpath, [parsed], problems)
    if problems:
        raise ValueError(problems[0].message)
    for name, value in inputs.items():
        module.defaults[name] = value
    versions = str(doc.get("versions") or "")
    desc = Description(path, presets, versions, module, reads=_reads(parsed.blocks, module),
                       elements=_elements(parsed.blocks), per_element=_per_element(parsed.blocks),
                       renames={k: v for k, v in renames.items() if k != v})
    module.rename = desc.rename
    return desc


def _only(doc: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(map(str, doc)) - allowed)
    if extra:
        raise ValueError(f"{where}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what} name {name!r} is not a Terraform identifier")


def _body(spec: dict[str, Any], lines: list[str], indent: str, where: str) -> None:
    for name, expr in (spec.get("arguments") or {}).items():
        _check_name(name, f"{where}: argument")
        lines.append(f"{indent}{name} = {_expr(expr)}")
    for name, blocks in (spec.get("blocks") or {}).items():
        _check_name(name, f"{where}: block")
        for block in blocks if isinstance(blocks, list) else [blocks]:
            if not isinstance(block, dict):
                raise ValueError(f"{where}: block {name!r} is a mapping (or a list of them)")
            _only(block, _BLOCK_KEYS, f"{where}: block {name}")
            if "for_each" in block:
                lines.append(f'{indent}dynamic "{name}" {{')
                lines.append(f"{indent}  for_each = {_expr(block['for_each'])}")
                if "iterator" in block:
                    _check_name(block["iterator"], f"{where}: iterator")
                    lines.append(f"{indent}  iterator = {block['iterator']}")
                lines.append(f"{indent}  content {{")
                _body(block, lines, indent + "    ", where)
                lines.append(f"{indent}  }}")
            else:
                lines.append(f"{indent}{name} {{")
                _body(block, lines, indent + "  ", where)
            lines.append(f"{indent}}}")


def _expr(value: Any) -> str:
    """A description value as HCL: strings are expressions, other scalars literals, lists and maps constructors."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return "[" + ", ".join(_expr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_expr(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _reads(blocks: list[Block], module: ModuleSource) -> dict[int, tuple[str, ...]]:
    """Generated line -> the variables its value is computed from (directly, through locals, or the loop it is in)."""
    local_vars: dict[str, tuple[str, ...]] = {}

    def of_local(name: str, seen: frozenset[str]) -> tuple[str, ...]:
        if name not in local_vars:
            expr = module.locals.get(name)
            local_vars[name] = _variables(expr[0], of_local, seen | {name}) if expr and name not in seen else ()
        return local_vars[name]

    table: dict[int, tuple[str, ...]] = {}

    def walk(block: Block, outer: tuple[str, ...]) -> None:
        loop = tuple(v for meta in ("count", "for_each") if meta in block.attributes
                     for v in _variables(block.attributes[meta].expr, of_local, frozenset()))
        around = _merge(loop, outer)
        table[block.start_line] = around
        for attr in block.attributes.values():
            table[attr.line] = _merge(_variables(attr.expr, of_local, frozenset()), around)
        for child in block.blocks:
            walk(child, around)

    for block in blocks:
        walk(block, ())
    return table


def _elements(blocks: list[Block]) -> dict[int, tuple[str, ...]]:
    """Resource line -> the inputs ``X`` whose elements make its instances.

    ``count = length(var.X)`` (instance i is element i of X) or a ``for_each``
    over ``var.X`` or a ``for`` expression over it (instance "k" is key k); a
    ``for_each`` merging several such maps names each of their inputs.
    """
    found: dict[int, tuple[str, ...]] = {}
    for block in blocks:
        for meta in ("count", "for_each"):
            attr = block.attributes.get(meta)
            names = _element_inputs(attr.expr, meta) if attr is not None else ()
            if names:
                found[block.start_line] = names
    return found


def _element_inputs(expr: Any, meta: str) -> tuple[str, ...]:
    names: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop(0)
        if meta == "count" and isinstance(node, Call) and node.name == "length" and len(node.args) == 1:
            node = node.args[0]
        elif meta == "for_each" and isinstance(node, Call) and node.name in ("merge", "concat"):
            stack.extend(node.args)
            continue
        elif meta == "for_each" and isinstance(node, ForE):
            node = node.collection
        elif isinstance(node, Cond):
            stack.extend((node.then, node.other))
            continue
        elif meta == "count" or not isinstance(node, Traversal):
            continue
        if isinstance(node, Cond):
            stack.extend((node.then, node.other))
        elif isinstance(node, Traversal) and node.root == "var" and len(node.steps) == 1:
            names.append(str(node.steps[0][1]))
    return tuple(dict.fromkeys(names))


def _per_element(blocks: list[Block]) -> frozenset[int]:
    """Lines of resource arguments whose expression reads ``each`` or ``count`` (the instance's element)."""
    found: set[int] = set()

    def walk(block: Block) -> None:
        for attr in block.attributes.values():
            if attr.name not in ("count", "for_each") and _reads_instance(attr.expr):
                found.add(attr.line)
        for child in block.blocks:
            walk(child)

    for block in blocks:
        walk(block)
    return frozenset(found)


def _reads_instance(expr: Any) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Traversal):
            if node.root in ("each", "count"):
                return True
            stack.extend(a for k, a in node.steps if k == "index")
        elif isinstance(node, Expr):
            stack.extend(getattr(node, slot) for c in type(node).__mro__ for slot in getattr(c, "__slots__", ())
                         if slot != "line")
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def _merge(first: tuple[str, ...], then: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *then)))


def _variables(expr: Any, of_local: Any, seen: frozenset[str]) -> tuple[str, ...]:
    found: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop(0)
        if isinstance(node, Traversal):
            names = [a for k, a in node.steps[:1] if k == "attr"]
            if node.root == "var" and names:
                found.append(names[0])
            elif node.root == "local" and names:
                found.extend(of_local(names[0], seen))
            stack.extend(a for k, a in node.steps if k == "index")
        elif isinstance(node, Expr):
            stack.extend(getattr(node, s) for c in type(node).__mro__ for s in getattr(c, "__slots__", ())
                         if s != "line")
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return tuple(dict.fromkeys(found))


def place_at_call(description: Description, call: Block, path: str, resources: list[Resource],
                  diagnostics: list[Diagnostic], first_diagnostic: int) -> list[Resource]:
    """The described module's resources and diagnostics moved to the call: file, block and argument lines.

    An attribute goes to the line of the first caller argument its value is
    computed from; when that argument is the list whose elements the
    resource's ``count`` makes, to the line of the element itself.
    """
    given = call.attributes
    own = description.module.directory
    where = Location(path, call.start_line, call.end_line)
    placed: list[Resource] = []
    for r in resources:
        if r.location.path != own:
            placed.append(r)
            continue
        key = _instance_key(r.address)
        # the caller's element this instance was made of, and the input it is an element of
        element, at = None, None
        for name in description.elements.get(r.location.start_line, ()):
            found = _element_line(given[name].expr, key) if name in given and key is not None else None
            if found:
                element, at = name, found
                break

        def line(generated: int, element: Any = element, at: Any = at) -> int:
            if at is not None and generated in description.per_element:
                return int(at)
            for name in description.reads.get(generated, ()):
                if name not in given:
                    continue
                if name == element and at is not None:
                    return int(at)
                return given[name].line
            return call.start_line

        lines = {k: line(v) for k, v in r.lines.items()}
        if at is not None:  # what the resource lacks is missing from the element that made it
            lines["$self"] = int(at)
        placed.append(replace(r, location=where, lines=lines))
    for i in range(first_diagnostic, len(diagnostics)):
        if diagnostics[i].path == own:
            diagnostics[i] = replace(diagnostics[i], path=path, line=call.start_line)
    return placed


def _instance_key(address: str) -> Any:
    """N for an address ending in ``[N]``, "k" for one ending in ``["k"]``, else None."""
    m = re.search(r'\[(\d+|"[^"]*")\]$', address)
    if m is None:
        return None
    raw = m.group(1)
    return raw[1:-1] if raw.startswith('"') else int(raw)


def _element_line(expr: Any, key: Any) -> Optional[int]:
    """The line of element ``key`` of a list or map argument written as a constructor."""
    if isinstance(expr, TupleE) and isinstance(key, int) and key < len(expr.items):
        return expr.items[key].line
    if isinstance(expr, TupleE) and isinstance(key, str):  # a list of objects keyed by their name
        for item in expr.items:
            if isinstance(item, ObjectE) and any(_key_name(k) == "name" and isinstance(v, Lit) and v.value == key
                                                 for k, v in item.items):
                return item.line
        return _composite_key_line(expr, key)
    if isinstance(expr, ObjectE) and isinstance(key, str):
        for k, _v in expr.items:
            if _key_name(k) == key:
                return k.line
    return None


def _composite_key_line(expr: TupleE, key: str) -> Optional[int]:
    """The element of a list of objects keyed by written values joined with "/" (``"us-west1/subnet-01"``).

    The key's last part is the element's ``*_name`` value; when several
    elements carry that name, the one holding every other part of the key too.
    """
    *others, last = key.split("/")
    named = []
    for item in expr.items:
        if not isinstance(item, ObjectE):
            continue
        values = {str(v.value) for _k, v in item.items if isinstance(v, Lit)}
        if any(isinstance(v, Lit) and str(v.value) == last and (_key_name(k) or "").endswith("name")
               for k, v in item.items):
            named.append((all(part in values for part in others), item.line))
    complete = [line for full, line in named if full]
    if len(complete) == 1:
        return complete[0]
    return named[0][1] if len(named) == 1 else None


def _key_name(k: Any) -> Optional[str]:
    """An object constructor key written as a literal or a bare name."""
    if isinstance(k, Lit):
        return str(k.value)
    return k.root if isinstance(k, Traversal) and not k.steps else None
