"""Terraform plan JSON (`terraform show -json plan.out`): planned values as resources, configuration references as edges.

- Values come from ``planned_values`` (the root module and every
  ``child_modules`` entry); attributes that ``resource_changes[].change.after_unknown``
  marks as known only after apply become :class:`Unknown`. Data sources
  Terraform read while planning are only in ``prior_state``: they are taken
  from there (``data.type.name``, ``terraform.data``, as in `.tf` code).
  Managed resources only in ``prior_state`` are being destroyed: not scanned.
- Attributes ``after_sensitive`` (or ``sensitive_values``) marks keep their
  value; their dotted paths are listed in the derived ``$sensitive``.
- References come from ``configuration`` (``expressions.*.references``), per
  module call, and apply to every instance of the configured resource.
- Locations: when the plan's directory also holds the `.tf` files, a resource
  points at its `.tf` block and attribute lines (the plan wins for values, the
  `.tf` files for lines; the Terraform parser then leaves that root module to
  this parser, so nothing is reported twice). Otherwise it points at the line
  of its object in the plan file. An attribute known only after apply that the
  `.tf` block does not set is left unset, as a scan of the `.tf` files sees it.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, Optional

from ...model import Diagnostic, Layer, Line, Location, Resource, SourceFile, Unknown
from ...parse import ParseContext, Parsed
from ...textcodec import decode as decode_text
from ..terraform.decoders import decode
from ..terraform.parser import TF_SUFFIXES, evaluate_root, load_files, read_source
from ..terraform.jsonlines import JsonError, Positions, loads
from ..terraform.k8s_resources import as_kubernetes, assign_units
from ..terraform.plans import mismatch, unwrap

_INDEX = re.compile(r"\[[^\]]*\]")
_SKIP_ROOTS = frozenset({"var", "local", "each", "count", "path", "terraform", "self"})


def parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    """Parse every plan file; a malformed one becomes a diagnostic naming its line.

    Each plan is a root module of its own: the parse stage hands plans over
    one file at a time and prefixes a plan's addresses with its path when
    another file holds the same address, so no resource replaces another.
    """
    out = Parsed()
    for f in files:
        data, problem = read_source(ctx, f.path, f.relpath, marked=True)
        if problem is not None:
            out.diagnostics.append(problem)
            continue
        try:
            doc, pos = loads(unwrap(decode_text(data or b"", "replace")))
        except JsonError as exc:
            out.diagnostics.append(Diagnostic("json-syntax", f"plan JSON: {exc}", f.relpath, exc.line))
            continue
        planned = doc.get("planned_values") or doc.get("values") if isinstance(doc, dict) else None
        if not isinstance(planned, dict) or not isinstance(planned.get("root_module"), dict):
            out.diagnostics.append(Diagnostic(
                "plan-no-values", "JSON has no planned_values.root_module; not a Terraform plan",
                f.relpath, 1, level="warning"))
            continue
        try:
            first = len(out.resources)
            reader = _PlanReader(f, doc, pos, _tf_resources(ctx, f, doc), out)
            reader.module(planned["root_module"])
            reader.module(_prior_root(doc), data_only=True)
            assign_units(out.resources[first:], f.relpath, out.diagnostics)
        except RecursionError:
            out.diagnostics.append(Diagnostic(
                "json-too-deep", "plan JSON nested too deeply to read; skipped", f.relpath, 1))
    return out


def _tf_resources(ctx: ParseContext, plan: SourceFile, doc: dict[str, Any]) -> dict[str, Resource]:
    """The `.tf` resources of the plan's directory, by address (for their lines), when ``doc`` is their plan."""
    directory = os.path.dirname(plan.path)
    rel_dir = os.path.dirname(plan.relpath)
    names = ctx.listdir(directory)
    files = [SourceFile(os.path.join(directory, n), f"{rel_dir}/{n}" if rel_dir else n,
                        "tfvars" if ".tfvars" in n else "terraform", plan.root)
             for n in names if n.endswith(TF_SUFFIXES + (".tfvars", ".tfvars.json"))]
    if not any(f.format == "terraform" for f in files):
        return {}
    scratch = Parsed()
    loader, _, tfvars = load_files(ctx, files, scratch)
    src = loader.module(directory)
    if src is None or mismatch(doc, src):  # a plan of other code: its lines are its own
        return {}
    evaluate_root(directory, loader, tfvars.get(directory, []), scratch)
    found: dict[str, Resource] = {}
    for r in scratch.resources:
        found.setdefault(r.address, r)
        found.setdefault(_INDEX.sub("", r.address), r)
    return found


class _PlanReader:
    """Turns one plan document into resources."""

    def __init__(self, f: SourceFile, doc: dict[str, Any], pos: Positions,
                 tf: dict[str, Resource], out: Parsed) -> None:
        self.f, self.pos, self.tf, self.out = f, pos, tf, out
        self.unknown: dict[str, Any] = {}
        self.sensitive: dict[str, Any] = {}
        self.seen: set[str] = set()
        for change in doc.get("resource_changes") or []:
            if isinstance(change, dict) and isinstance(change.get("change"), dict):
                self.unknown[str(change.get("address"))] = change["change"].get("after_unknown")
                self.sensitive[str(change.get("address"))] = change["change"].get("after_sensitive")
        self.refs: dict[str, list[tuple[str, str]]] = {}
        config = doc.get("configuration")
        if isinstance(config, dict) and isinstance(config.get("root_module"), dict):
            self._config(config["root_module"], "")

    def module(self, mod: dict[str, Any], data_only: bool = False) -> None:
        """Every resource of ``mod`` and its child modules (only data sources, and once, for ``data_only``)."""
        for item in mod.get("resources") or []:
            if not isinstance(item, dict) or not isinstance(item.get("address"), str):
                continue
            if data_only and (item.get("mode") != "data" or item["address"] in self.seen):
                continue
            self.resource(item)
        for child in mod.get("child_modules") or []:
            if isinstance(child, dict):
                self.module(child, data_only)

    def resource(self, item: dict[str, Any]) -> None:
        address, rtype = item["address"], str(item.get("type", ""))
        self.seen.add(address)
        values = item.get("values")
        attrs: dict[str, Any] = _copy(values) if isinstance(values, dict) else {}
        _mark_unknown(attrs, self.unknown.get(address))
        sensitive = sorted(set(_flagged(self.sensitive.get(address), "")) |
                           set(_flagged(item.get("sensitive_values"), "")))
        if sensitive:
            attrs["$sensitive"] = sensitive
        tf = self.tf.get(address) or self.tf.get(_INDEX.sub("", address))
        if tf is not None:
            _unset_computed(attrs, tf.attributes)
            location, lines = tf.location, dict(tf.lines)
            if sensitive and isinstance(values, dict):
                self._plan_held(values, sensitive, lines)
        else:
            line = self.pos.line(item)
            location = Location(self.f.relpath, line, line)
            lines = {}
            if isinstance(values, dict):
                _value_lines(values, "", self.pos, lines)
        decode(rtype, attrs, lines)
        self.out.resources.append(_kubernetes(Resource(
            address=address, kind=Layer.TERRAFORM, type=rtype, attributes=attrs, location=location,
            source="terraform.data" if item.get("mode") == "data" else "terraform",
            lines=lines, references=tuple(self.refs.get(_INDEX.sub("", address), ())), planned=True), tf,
            self.out.diagnostics))

    def _plan_held(self, values: dict[str, Any], sensitive: list[str], lines: dict[str, int]) -> None:
        """Lines in the plan file for sensitive values the `.tf` block does not write (``lines``: its own).

        A provider computes them (an AKS cluster's ``kube_config`` holds a client key and a password),
        and the plan JSON holds them in clear text: a finding on one points at the plan, which holds
        the credential, not at the block, which does not.
        """
        held = {path.split(".", 1)[0] for path in sensitive} - {path.split(".", 1)[0] for path in lines}
        if not held:
            return
        found: dict[str, int] = {}
        for key in sorted(held & set(values)):
            found[key] = self.pos.key_line(values, key)
            _value_lines(values[key], key, self.pos, found)
        lines.update((path, Line(line, self.f.relpath)) for path, line in found.items() if line)

    def _config(self, mod: dict[str, Any], prefix: str) -> None:
        for res in mod.get("resources") or []:
            if not isinstance(res, dict) or not isinstance(res.get("address"), str):
                continue
            refs: list[tuple[str, str]] = []
            _expression_refs(res.get("expressions"), "", prefix, refs)
            self.refs[prefix + res["address"]] = list(dict.fromkeys(refs))
        for name, call in (mod.get("module_calls") or {}).items():
            if isinstance(call, dict) and isinstance(call.get("module"), dict):
                self._config(call["module"], f"{prefix}module.{name}.")


def _prior_root(doc: dict[str, Any]) -> dict[str, Any]:
    """``prior_state.values.root_module``, or an empty module."""
    prior = doc.get("prior_state")
    values = prior.get("values") if isinstance(prior, dict) else None
    root = values.get("root_module") if isinstance(values, dict) else None
    return root if isinstance(root, dict) else {}


def _copy(value: Any) -> Any:
    """A copy of the containers of a JSON value, so marking it never changes the parsed document."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _flagged(marks: Any, path: str) -> list[str]:
    """The dotted paths a plan's ``after_sensitive`` / ``after_unknown`` tree marks ``true``."""
    if marks is True:
        return [path] if path else []
    if isinstance(marks, dict):
        return [p for k, v in marks.items() for p in _flagged(v, f"{path}.{k}" if path else str(k))]
    if isinstance(marks, list):
        return [p for i, v in enumerate(marks) for p in _flagged(v, f"{path}.{i}" if path else str(i))]
    return []


def _mark_unknown(attrs: Any, unknown: Any) -> None:
    """Set every attribute ``after_unknown`` marks true to :class:`Unknown` (in place)."""
    if isinstance(unknown, dict) and isinstance(attrs, dict):
        for key, flag in unknown.items():
            if flag is True:
                attrs[key] = Unknown(f"{key} is known after apply")
            elif key in attrs:
                _mark_unknown(attrs[key], flag)
    elif isinstance(unknown, list) and isinstance(attrs, list):
        for i, flag in enumerate(unknown[:len(attrs)]):
            if flag is True:
                attrs[i] = Unknown("known after apply")
            else:
                _mark_unknown(attrs[i], flag)


def _kubernetes(resource: Resource, tf: Optional[Resource], diagnostics: list[Diagnostic]) -> Resource:
    """A ``kubernetes_*`` resource as its Kubernetes object (terraform/k8s_resources.py).

    When the `.tf` block is known it was converted too, with the same
    manifest paths: its lines are the object's lines.
    """
    converted = as_kubernetes(resource, None, diagnostics)
    if converted is not resource and tf is not None and tf.source == converted.source:
        converted.lines.update(tf.lines)  # type: ignore[attr-defined]  # a dict: set by the parsers
    return converted


def _unset_computed(attrs: dict[str, Any], written: Mapping[str, Any]) -> None:
    """Drop what the resource's `.tf` block does not set and the plan holds as unknown or empty (in place).

    A provider marks an attribute it fills in itself (``aws_s3_bucket.versioning``
    in provider v3, ``aws_instance.metadata_options``) known after apply even
    when the configuration leaves it out; and the plan writes a block the
    configuration leaves out as ``[]``, a string it leaves out as ``""`` (an AKS
    cluster's ``network_profile.network_policy``). Each is the same unset
    attribute a scan of the `.tf` files alone sees, whose default each policy
    states, not a value the configuration chose. Inside a block the `.tf` block
    writes once, the same holds for the arguments it does not write; blocks
    written more than once are left as they are (a provider may keep them as a
    set, in another order than the code's: which is which is not known).
    """
    for key in list(attrs):
        value = attrs[key]
        if key not in written:
            if isinstance(value, Unknown) or value == [] or value == "":
                del attrs[key]
            continue
        mine = written[key]
        if isinstance(value, list) and isinstance(mine, list):
            if len(value) == len(mine) == 1 and isinstance(value[0], dict) and isinstance(mine[0], dict):
                _unset_computed(value[0], mine[0])
        elif isinstance(value, dict) and isinstance(mine, dict):
            _unset_computed(value, mine)


def _value_lines(value: Any, path: str, pos: Positions, lines: dict[str, int]) -> None:
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, base = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                sub = f"{base}.{key}" if base else key
                lines[sub] = pos.key_line(node, key)
                stack.append((child, sub))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                sub = f"{base}.{i}"
                lines[sub] = pos.item_line(node, i)
                stack.append((child, sub))


def _expression_refs(expr: Any, path: str, prefix: str, refs: list[tuple[str, str]]) -> None:
    """(attribute path, address) for each resource, data source or module a configuration expression names."""
    stack: list[tuple[Any, str]] = [(expr, path)]
    while stack:
        node, base = stack.pop()
        if isinstance(node, list):
            stack.extend((child, f"{base}.{i}") for i, child in enumerate(node))
        elif isinstance(node, dict):
            if isinstance(node.get("references"), list):
                for ref in node["references"]:
                    address = _address(ref, prefix)
                    if address:
                        refs.append((base, address))
                continue
            for key, child in node.items():
                stack.append((child, f"{base}.{key}" if base else key))


def _address(ref: Any, prefix: str) -> Optional[str]:
    if not isinstance(ref, str):
        return None
    parts = ref.split(".")
    if parts[0] in _SKIP_ROOTS or len(parts) < 2:
        return None
    if parts[0] == "module":
        return prefix + _INDEX.sub("", f"module.{parts[1]}")
    if parts[0] == "data":
        return prefix + ".".join(parts[:3]) if len(parts) >= 3 else None
    return prefix + ".".join(parts[:2])
