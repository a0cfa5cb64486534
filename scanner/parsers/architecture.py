"""Architecture YAML: the intended system (zones, components, data, flows, roles) as resources.

A file that does not validate against ``architecture.schema.json`` is refused
whole: one diagnostic per violation, naming the path inside the file and its
line, and none of its elements enter the graph.
"""

from __future__ import annotations

from typing import Any

from ..model import Diagnostic, Layer, Location, Resource, SourceFile
from ..schemas import validate
from . import ParseOptions, Parsed
from .yamlnodes import YamlProblem, iter_documents

SECTIONS = {"zones": "zone", "components": "component", "data": "data", "flows": "flow",
            "roles": "role"}


def element_address(section_type: str, ident: str) -> str:
    """``arch:component/db``."""
    return f"arch:{section_type}/{ident}"


def flow_id(flow: dict[str, Any]) -> str:
    return str(flow.get("id") or f"{flow.get('from')}->{flow.get('to')}")


def parse(files: list[SourceFile], options: ParseOptions) -> Parsed:
    out = Parsed()
    for f in files:
        out_f = load_file(f)
        out.resources.extend(out_f.resources)
        out.diagnostics.extend(out_f.diagnostics)
    return out


def load_file(f: SourceFile) -> Parsed:
    """Validate one architecture file and turn its elements into resources."""
    out = Parsed()
    try:
        with open(f.path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        out.diagnostics.append(Diagnostic("unreadable", f"cannot read architecture file: {exc}",
                                          f.relpath))
        return out
    docs = list(iter_documents(text))
    if not docs:
        return out
    doc = docs[0]
    if isinstance(doc, YamlProblem):
        out.diagnostics.append(Diagnostic("yaml-syntax", doc.message, f.relpath, doc.line))
        return out
    errors = validate(doc.value, "architecture.schema.json", doc.lines)
    if not errors:
        errors = _reference_errors(doc.value, doc.lines)
    if errors:
        for e in errors:
            out.diagnostics.append(Diagnostic(
                "architecture-invalid", f"architecture file refused: at {e.path or '(top level)'}: "
                f"{e.message}", f.relpath, e.line))
        return out
    model = doc.value
    for section, element_type in SECTIONS.items():
        for i, element in enumerate(model.get(section) or []):
            ident = flow_id(element) if section == "flows" else str(element["id"])
            prefix = f"{section}.{i}"
            lines = {k[len(prefix) + 1:]: v for k, v in doc.lines.items()
                     if k.startswith(prefix + ".")}
            start = doc.lines.get(prefix, doc.start_line)
            end = max([start, *lines.values()])
            out.resources.append(Resource(
                address=element_address(element_type, ident), kind=Layer.ARCHITECTURE,
                type=element_type, attributes=element, location=Location(f.relpath, start, end),
                source="architecture", lines=lines))
    return out


def _reference_errors(model: Any, lines: dict[str, int]) -> list[Any]:
    """Ids that other elements name must exist (the schema cannot say this)."""
    from ..schemas import SchemaError

    if not isinstance(model, dict):
        return []
    ids = {s: {str(e.get("id")) for e in model.get(s) or [] if isinstance(e, dict)}
           for s in SECTIONS}
    errors: list[SchemaError] = []

    def check(value: Any, section: str, path: str) -> None:
        if value is not None and value != "*" and str(value) not in ids[section]:
            errors.append(SchemaError(path, f"{value!r} is not a declared {SECTIONS[section]} id",
                                      lines.get(path.replace("[", ".").replace("]", ""))))

    for i, c in enumerate(model.get("components") or []):
        check(c.get("zone"), "zones", f"components[{i}].zone")
        for j, d in enumerate(c.get("stores") or []):
            check(d, "data", f"components[{i}].stores[{j}]")
        for j, d in enumerate(c.get("processes") or []):
            check(d, "data", f"components[{i}].processes[{j}]")
    for i, fl in enumerate(model.get("flows") or []):
        check(fl.get("from"), "components", f"flows[{i}].from")
        check(fl.get("to"), "components", f"flows[{i}].to")
        for j, d in enumerate(fl.get("data") or []):
            check(d, "data", f"flows[{i}].data[{j}]")
    for i, r in enumerate(model.get("roles") or []):
        for j, a in enumerate(r.get("access") or []):
            check(a.get("component"), "components", f"roles[{i}].access[{j}].component")
    return errors
