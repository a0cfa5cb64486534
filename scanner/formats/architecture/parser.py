"""Architecture YAML: the intended system (zones, components, data, flows, roles) as resources.

A file that does not validate against ``architecture.schema.json`` is refused
whole: one diagnostic per violation, naming the path inside the file and its
line, and none of its elements enter the graph. Elements get derived ``$``
attributes (zone trust, data classifications, regions) computed from the
whole file, so policies can compare one element with the ones it names.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable, Iterator, Mapping

from ...model import Diagnostic, Layer, Location, Resource, SourceFile, Unknown
from ...schemas import SchemaError, validate
from ...parse import ParseContext, Parsed
from ...yamlnodes import YamlProblem, first_document

SECTIONS = {"zones": "zone", "components": "component", "data": "data", "flows": "flow",
            "roles": "role"}
_UNKNOWN_KEY = re.compile(r"unknown key '([^']+)'")


def element_address(section_type: str, ident: str) -> str:
    """``arch:component/db``."""
    return f"arch:{section_type}/{ident}"


def flow_id(flow: Mapping[str, Any]) -> str:
    return str(flow.get("id") or f"{flow.get('from')}->{flow.get('to')}")


def elements(model: Mapping[str, Any]) -> Iterator[tuple[str, int, str, Any]]:
    """``(section, index, id, element)`` for every element, in ``SECTIONS`` order (a flow's id may be derived)."""
    for section in SECTIONS:
        for i, element in enumerate(model.get(section) or []):
            yield section, i, flow_id(element) if section == "flows" else str(element.get("id")), element


def parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    out = Parsed()
    first: dict[str, Resource] = {}
    for f in files:
        out_f = ctx.memo_file("architecture", f.path, partial(load_file, ctx, f), f.relpath)
        out.diagnostics.extend(out_f.diagnostics)
        merge(out, out_f.resources, first)
    return out


def merge(out: Parsed, resources: list[Resource],
          first: dict[str, Resource] | None = None) -> None:
    """Add elements of one more file: a repeated address keeps the first, and differing ones are reported.

    ``first`` indexes ``out.resources`` by address: a caller merging many files
    keeps it between calls instead of rebuilding it for each file.
    """
    if first is None:
        first = {r.address: r for r in out.resources}
    for r in resources:
        seen = first.get(r.address)
        if seen is None:
            out.resources.append(r)
            first[r.address] = r
        elif dict(seen.attributes) != dict(r.attributes):
            out.diagnostics.append(Diagnostic(
                "architecture-duplicate", f"{r.address} is also defined, differently, at "
                f"{seen.location}; this definition is ignored", r.location.path,
                r.location.start_line, level="warning"))


def read_document(ctx: ParseContext, f: SourceFile, out: Parsed) -> Any:
    """The first YAML document of ``f`` (None, with a diagnostic, when unreadable)."""
    try:
        text = ctx.text(f.path)
    except (OSError, UnicodeDecodeError) as exc:
        out.diagnostics.append(Diagnostic("unreadable", f"cannot read architecture file: {exc}",
                                          f.relpath))
        return None
    doc = first_document(text)
    if doc is None:
        return None
    if isinstance(doc, YamlProblem):
        out.diagnostics.append(Diagnostic("yaml-syntax", doc.message, f.relpath, doc.line))
        return None
    return doc


def reference_check(errors: list[SchemaError], lines: Mapping[str, int]
                    ) -> Callable[[str, set[str], str, str], None]:
    """``check(value, known, what, path)``: an error at ``path`` (with its line) when ``value`` is not a known id."""
    def check(value: str, known: set[str], what: str, path: str) -> None:
        if value not in known:
            errors.append(SchemaError(path, f"{value!r} is not a declared {what} id",
                                      lines.get(path)))
    return check


def refuse(out: Parsed, relpath: str, errors: list[SchemaError],
           lines: Mapping[str, int] | None = None) -> None:
    """One diagnostic per error; an unknown key points at the key's own line."""
    for e in errors:
        key = _UNKNOWN_KEY.match(e.message)
        if key and lines:
            dotted = e.path.replace("[", ".").replace("]", "")
            line = lines.get(f"{dotted}.{key.group(1)}" if dotted else key.group(1))
            e = SchemaError(e.path, e.message, line or e.line)
        out.diagnostics.append(Diagnostic(
            "architecture-invalid", f"architecture file refused: at {e.path or '(top level)'}: "
            f"{e.message}", relpath, e.line))


def load_file(ctx: ParseContext, f: SourceFile) -> Parsed:
    """Validate one architecture file and turn its elements into resources."""
    out = Parsed()
    doc = read_document(ctx, f, out)
    if doc is None:
        return out
    errors = validate(doc.value, "architecture.schema.json", doc.lines)
    if not errors:
        errors = reference_errors(doc.value, doc.lines)
    if errors:
        refuse(out, f.relpath, errors, doc.lines)
        return out
    out.resources.extend(model_resources(doc.value, doc.lines, f.relpath, doc.start_line,
                                         "architecture"))
    return out


def model_resources(model: Mapping[str, Any], lines: Mapping[str, int], relpath: str,
                    default_line: int, source: str) -> list[Resource]:
    """One resource per element of a valid model; ``lines`` are keyed by native dotted paths."""
    derived = derive(model)
    by_element = _lines_by_element(lines)
    resources: list[Resource] = []
    for section, i, ident, element in elements(model):
        prefix = f"{section}.{i}"
        own = by_element.get(prefix, {})
        extra, extra_lines = derived.get((section, i), ({}, {}))
        own.update({k: own.get(v, lines.get(prefix, default_line))
                    for k, v in extra_lines.items()})
        start = lines.get(prefix, default_line)
        end = max([start, *(v for k, v in own.items() if not k.startswith("$"))])
        element_type = SECTIONS[section]
        resources.append(Resource(
            address=element_address(element_type, ident), kind=Layer.ARCHITECTURE,
            type=element_type, attributes={**element, **extra},
            location=Location(relpath, start, end), source=source, lines=own))
    return resources


def _lines_by_element(lines: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """``{"section.i": {rest: line}}`` from ``{"section.i.rest": line}``, in one pass."""
    groups: dict[str, dict[str, int]] = {}
    for key, line in lines.items():
        parts = key.split(".", 2)
        if len(parts) == 3:
            groups.setdefault(f"{parts[0]}.{parts[1]}", {})[parts[2]] = line
    return groups


Derived = dict[tuple[str, int], tuple[dict[str, Any], dict[str, str]]]


class _Model:
    """The model's elements by id, for deriving one element's attributes from those it names."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        self.trust = {z["id"]: z.get("trust") for z in model.get("zones") or []}
        self.data = {d["id"]: d for d in model.get("data") or []}
        self.comps = {c["id"]: c for c in model.get("components") or []}
        self.inbound: dict[str, list[Mapping[str, Any]]] = {}
        for fl in model.get("flows") or []:
            self.inbound.setdefault(fl["to"], []).append(fl)

    def classification(self, data_id: str) -> Any:
        return self.data.get(data_id, {}).get("classification")

    def classes(self, ids: list[str]) -> list[str]:
        return sorted({str(self.data[d]["classification"]) for d in ids if d in self.data})

    def zone_trust(self, component_id: str) -> Any:
        return self.trust.get(self.comps.get(component_id, {}).get("zone"))


def derive(model: Mapping[str, Any]) -> Derived:
    """``$`` attributes per element, and for each the element path whose line it takes."""
    m = _Model(model)
    out: Derived = {}
    for i, c in enumerate(model.get("components") or []):
        out[("components", i)] = _component_attrs(m, c)
    for i, fl in enumerate(model.get("flows") or []):
        out[("flows", i)] = _flow_attrs(m, fl)
    for i, d in enumerate(model.get("data") or []):
        holders = [c for c in m.comps.values() if d["id"] in (c.get("stores") or [])]
        out[("data", i)] = ({"$stored_by": [c["id"] for c in holders],
                             "$stored_in_regions": sorted({str(c["region"]) for c in holders
                                                           if c.get("region")})}, {})
    return out


def _component_attrs(m: _Model, c: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    attrs: dict[str, Any] = {}
    where: dict[str, str] = {}
    trust = m.zone_trust(c["id"])
    if trust is not None:
        attrs["$zone_trust"], where["$zone_trust"] = trust, "zone"
    stored = list(c.get("stores") or [])
    attrs["$stored_classifications"] = m.classes(stored)
    attrs["$data_classifications"] = m.classes(stored + list(c.get("processes") or []))
    for k, cls in enumerate(attrs["$stored_classifications"]):
        j = next(j for j, d in enumerate(stored) if m.classification(d) == cls)
        where[f"$stored_classifications.{k}"] = f"stores.{j}"
    into = m.inbound.get(c["id"], [])
    attrs["$inbound_tls"] = any(fl.get("tls") is True for fl in into)
    attrs["$behind_waf"] = any(_is_waf(m.comps.get(fl["from"])) for fl in into) or _waf(c)
    region = c.get("region")
    outside = [d for d in stored if region and m.data.get(d, {}).get("allowed_regions")
               and region not in m.data[d]["allowed_regions"]]
    attrs["$data_outside_region"] = outside
    for k in range(len(outside)):
        where[f"$data_outside_region.{k}"] = "region"
    return attrs, where


def _flow_attrs(m: _Model, fl: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    attrs: dict[str, Any] = {}
    where: dict[str, str] = {}
    src, dst = m.zone_trust(fl["from"]), m.zone_trust(fl["to"])
    if src is not None and dst is not None:
        attrs["$crosses_into_higher_trust"] = dst > src
        where["$crosses_into_higher_trust"] = "to"
    if m.comps.get(fl["to"], {}).get("exposure"):
        attrs["$to_exposure"], where["$to_exposure"] = m.comps[fl["to"]]["exposure"], "to"
    carried = list(fl.get("data") or [])
    attrs["$data_classifications"] = m.classes(carried)
    for k, cls in enumerate(attrs["$data_classifications"]):
        j = next(j for j, d in enumerate(carried) if m.classification(d) == cls)
        where[f"$data_classifications.{k}"] = f"data.{j}"
    return attrs, where


def _waf(component: Mapping[str, Any]) -> Any:
    """``controls.waf`` as a boolean, or the ``Unknown`` a dialect that cannot state it left."""
    waf = (component.get("controls") or {}).get("waf")
    return waf if isinstance(waf, Unknown) else bool(waf)


def _is_waf(component: Any) -> bool:
    if not isinstance(component, Mapping):
        return False
    return component.get("type") == "waf" or _waf(component) is True


def reference_errors(model: Any, lines: Mapping[str, int]) -> list[SchemaError]:
    """Ids that other elements name must exist and ids must be unique (the schema cannot say this)."""
    if not isinstance(model, dict):
        return []
    errors: list[SchemaError] = []

    def line(path: str) -> Any:
        return lines.get(path.replace("[", ".").replace("]", ""))

    ids: dict[str, set[str]] = {section: set() for section in SECTIONS}
    for section, i, ident, _ in elements(model):
        if ident in ids[section]:
            errors.append(SchemaError(f"{section}[{i}].id", f"duplicate id {ident!r}",
                                      line(f"{section}[{i}]")))
        ids[section].add(ident)

    def check(value: Any, section: str, path: str) -> None:
        if value is not None and value != "*" and str(value) not in ids[section]:
            errors.append(SchemaError(path, f"{value!r} is not a declared {SECTIONS[section]} id",
                                      line(path)))

    for i, c in enumerate(model.get("components") or []):
        check(c.get("zone"), "zones", f"components[{i}].zone")
        for key in ("stores", "processes"):
            for j, d in enumerate(c.get(key) or []):
                check(d, "data", f"components[{i}].{key}[{j}]")
    for i, fl in enumerate(model.get("flows") or []):
        check(fl.get("from"), "components", f"flows[{i}].from")
        check(fl.get("to"), "components", f"flows[{i}].to")
        for j, d in enumerate(fl.get("data") or []):
            check(d, "data", f"flows[{i}].data[{j}]")
    for i, r in enumerate(model.get("roles") or []):
        for j, a in enumerate(r.get("access") or []):
            check(a.get("component"), "components", f"roles[{i}].access[{j}].component")
    return errors
