"""Open Threat Model (OTM) files read as architecture: trust zones, components, dataflows and assets become the same elements.

A file is checked against ``otm.schema.json`` (written from the published OTM
specification), its references are checked, and it is translated into a
native architecture model whose every path keeps the line of the OTM key it
came from; from there it is the code path of ``architecture.py``.

Mapping: trust zones -> zones (trust = ``trustRating`` / 10; a zone of type
``internet`` or rating 0 is the internet, trust 0); components -> components
(type from a table, zone from the parent chain, ``assets`` -> stores /
processes); dataflows -> flows; assets -> data (classification from
``risk.confidentiality``). What OTM has no field for (exposure, controls,
regions, implementations, protocols, roles) may be written under an
element's ``attributes.riskgraph``; left out, a control is unknown, never
absent, and exposure is derived as for Threagile models.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ...model import Diagnostic, SourceFile, Unknown
from ...schemas import SchemaError, validate
from ...parse import ParseContext, Parsed
from .parser import merge, model_resources, read_document, reference_check, reference_errors, refuse

SCHEMA = "otm.schema.json"
NATIVE_TYPES = ("client", "mobile_app", "web_frontend", "api", "service", "worker", "database",
                "object_storage", "cache", "queue", "cdn", "load_balancer", "waf",
                "identity_provider", "function", "log_store", "search_index", "gateway", "bastion",
                "external_service", "secret_store")
# Component types that OTM producers write (IriusRisk, StartLeft, Threat Dragon) -> ours.
COMPONENT_TYPES = {
    "web-client": "client", "browser": "client", "generic-client": "client",
    "mobile-client": "mobile_app", "android-device-client": "mobile_app",
    "ios-device-client": "mobile_app", "web-application": "web_frontend",
    "web-application-server-side": "web_frontend", "web-service": "api", "rest-full-web-service": "api",
    "api-gateway": "gateway", "rds": "database", "dynamodb": "database", "sql-database": "database",
    "postgresql": "database", "mysql": "database", "mongodb": "database", "nosql-database": "database",
    "s3": "object_storage", "azure-blob-storage": "object_storage", "elasticache": "cache",
    "redis": "cache", "sqs": "queue", "kafka": "queue", "message-broker": "queue",
    "cloudfront": "cdn", "elastic-load-balancing": "load_balancer", "load-balancer": "load_balancer",
    "aws-waf": "waf", "cognito": "identity_provider", "aws-lambda-function": "function",
    "kms": "secret_store", "secrets-manager": "secret_store", "cloudwatch": "log_store",
    "elasticsearch": "search_index", "bastion-host": "bastion", "empty-component": "service",
    "process": "service", "store": "database", "actor": "external_service",
}
RISKGRAPH_KEYS = {"components": ("exposure", "controls", "region", "fetches_user_urls",
                                 "implemented_by"),
                  "flows": ("protocol", "port", "tls", "authentication"),
                  "data": ("classification", "regulations", "allowed_regions")}
# What OTM cannot state: unknown unless attributes.riskgraph states it.
UNEXPRESSED_CONTROLS = ("tls", "authentication", "waf", "encryption_at_rest", "logging",
                        "backups", "egress_control", "input_validation")
UNEXPRESSED_FLOW = ("tls", "authentication")


def parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    out = Parsed()
    for f in files:
        doc = read_document(ctx, f, out)
        if doc is None:
            continue
        errors = validate(doc.value, SCHEMA, doc.lines) or otm_reference_errors(doc.value, doc.lines)
        if errors:
            refuse(out, f.relpath, errors, doc.lines)
            continue
        native, lines, stated = translate(doc.value, doc.lines)
        errors = validate(native, "architecture.schema.json", lines) or reference_errors(native, lines)
        if errors:          # in the terms of the architecture format: riskgraph's own attributes
            refuse(out, f.relpath, errors, lines)
            continue
        _unknowns(native, stated)
        for i, c in enumerate(doc.value.get("components") or []):
            if component_type(c["type"], None) is None:
                out.diagnostics.append(Diagnostic(
                    "otm-component-type", f"at components[{i}].type: {c['type']!r} is not a "
                    "component type riskgraph knows; read as a generic service", f.relpath,
                    doc.lines.get(f"components.{i}.type"), "info"))
        merge(out, model_resources(native, lines, f.relpath, doc.start_line, "otm"))
    return out


def otm_reference_errors(doc: Mapping[str, Any], lines: Mapping[str, int]) -> list[SchemaError]:
    """Parents, dataflow ends and asset references must name declared ids."""
    zones = {z["id"] for z in doc.get("trustZones") or []}
    comps = {c["id"] for c in doc.get("components") or []}
    assets = {a["id"] for a in doc.get("assets") or []}
    errors: list[SchemaError] = []
    check = reference_check(errors, lines)

    for i, z in enumerate(doc.get("trustZones") or []):
        if "trustZone" in (z.get("parent") or {}):
            check(z["parent"]["trustZone"], zones, "trust zone", f"trustZones.{i}.parent.trustZone")
    for i, c in enumerate(doc.get("components") or []):
        parent = c["parent"]
        if "trustZone" in parent:
            check(parent["trustZone"], zones, "trust zone", f"components.{i}.parent.trustZone")
        else:
            check(parent["component"], comps, "component", f"components.{i}.parent.component")
        for key in ("processed", "stored"):
            for j, a in enumerate((c.get("assets") or {}).get(key) or []):
                check(a, assets, "asset", f"components.{i}.assets.{key}.{j}")
    for i, fl in enumerate(doc.get("dataflows") or []):
        check(fl["source"], comps, "component", f"dataflows.{i}.source")
        check(fl["destination"], comps, "component", f"dataflows.{i}.destination")
        for j, a in enumerate(fl.get("assets") or []):
            check(a, assets, "asset", f"dataflows.{i}.assets.{j}")
    return errors


def translate(doc: Mapping[str, Any], olines: Mapping[str, int]
              ) -> tuple[dict[str, Any], dict[str, int], dict[str, set[str]]]:
    """The native model, native path -> line, and which keys each element's attributes stated."""
    lines: dict[str, int] = {}
    stated: dict[str, set[str]] = {}

    def at(native: str, source: str, below: bool = False) -> None:
        if source in olines:
            lines[native] = olines[source]
        if below:
            _lines_below(lines, olines, native, source)

    zones = [_zone(i, z, at) for i, z in enumerate(doc.get("trustZones") or [])]
    trust = {z["id"]: z["trust"] for z in zones}
    comps_in = list(doc.get("components") or [])
    zone_of = _zones_of(comps_in)
    on_internet = {c["id"] for c in comps_in if trust.get(zone_of.get(c["id"], "")) == 0}
    inbound: dict[str, list[str]] = {}
    for fl in doc.get("dataflows") or []:
        inbound.setdefault(fl["destination"], []).append(fl["source"])
    components = []
    for i, c in enumerate(comps_in):
        comp: dict[str, Any] = {"id": c["id"], "type": component_type(c["type"])}
        _name(comp, c)
        _text(comp, c, f"components.{i}", at)
        if zone_of.get(c["id"]):
            comp["zone"] = zone_of[c["id"]]
            at(f"components.{i}.zone", f"components.{i}.parent")
        if c["id"] not in on_internet:
            if any(src in on_internet for src in inbound.get(c["id"], [])):
                comp["exposure"] = "public"
            elif comp.get("zone"):
                comp["exposure"] = "private"
        for key, native_key in (("stored", "stores"), ("processed", "processes")):
            ids = (c.get("assets") or {}).get(key)
            if ids:
                comp[native_key] = list(ids)
                for j in range(len(ids)):
                    at(f"components.{i}.{native_key}.{j}", f"components.{i}.assets.{key}.{j}")
        stated[f"components.{i}"] = _riskgraph(comp, c, f"components.{i}", "components", at)
        at(f"components.{i}.type", f"components.{i}.type")
        components.append(comp)
    flows = [_flow(i, fl, at, stated) for i, fl in enumerate(doc.get("dataflows") or [])]
    data = [_data(i, a, at) for i, a in enumerate(doc.get("assets") or [])]
    model: dict[str, Any] = {"version": 1, "name": doc["project"]["name"], "zones": zones,
                             "components": components, "data": data, "flows": flows}
    roles = ((doc["project"].get("attributes") or {}).get("riskgraph") or {}).get("roles")
    if roles is not None:
        model["roles"] = roles
        at("roles", "project.attributes.riskgraph.roles", True)
    return model, lines, stated


def component_type(otm_type: str, default: Any = "service") -> Any:
    """Ours for an OTM component type: our own names (``web-frontend`` or ``web_frontend``), then the table."""
    key = otm_type.strip().lower().replace(" ", "-").replace("_", "-")
    if key.replace("-", "_") in NATIVE_TYPES:
        return key.replace("-", "_")
    return COMPONENT_TYPES.get(key, default)


def zone_trust(z: Mapping[str, Any]) -> int:
    """0 for the internet (type ``internet`` or rating 0), else ``trustRating`` / 10, at least 1."""
    rating = z["risk"]["trustRating"]
    if str(z.get("type") or "").lower() == "internet" or rating == 0:
        return 0
    return max(1, min(10, round(rating / 10)))


def _zone(i: int, z: Mapping[str, Any], at: Callable[..., None]) -> dict[str, Any]:
    zone = {"id": z["id"], "trust": zone_trust(z)}
    _name(zone, z)
    _text(zone, z, f"trustZones.{i}", at, f"zones.{i}")
    at(f"zones.{i}.trust", f"trustZones.{i}.risk.trustRating")
    return zone


def _zones_of(comps: list[Mapping[str, Any]]) -> dict[str, str]:
    """Component id -> trust zone id, following parent components (a cycle gives no zone)."""
    parent = {c["id"]: c["parent"] for c in comps}
    out = {}
    for ident in parent:
        seen, p = {ident}, parent[ident]
        while "component" in p and p["component"] in parent and p["component"] not in seen:
            seen.add(p["component"])
            p = parent[p["component"]]
        if "trustZone" in p:
            out[ident] = p["trustZone"]
    return out


def _flow(i: int, fl: Mapping[str, Any], at: Callable[..., None],
          stated: dict[str, set[str]]) -> dict[str, Any]:
    base = f"dataflows.{i}"
    out: dict[str, Any] = {"from": fl["source"], "to": fl["destination"]}
    if fl["id"] != f"{fl['source']}->{fl['destination']}":     # the address a native flow gets
        out["id"] = fl["id"]
    if fl.get("description"):
        out["description"] = fl["description"]
    if fl.get("assets"):
        out["data"] = list(fl["assets"])
        for j in range(len(fl["assets"])):
            at(f"flows.{i}.data.{j}", f"{base}.assets.{j}")
    if isinstance(fl.get("bidirectional"), bool):
        out["direction"] = "two_way" if fl["bidirectional"] else "one_way"
        at(f"flows.{i}.direction", f"{base}.bidirectional")
    stated[f"flows.{i}"] = _riskgraph(out, fl, base, "flows", at)
    for key, source in (("", ""), (".from", ".source"), (".to", ".destination"), (".id", ".id")):
        at(f"flows.{i}{key}", f"{base}{source}")
    return out


def _data(i: int, a: Mapping[str, Any], at: Callable[..., None]) -> dict[str, Any]:
    base = f"assets.{i}"
    out: dict[str, Any] = {"id": a["id"]}
    _name(out, a)
    out["classification"] = classification(a["risk"]["confidentiality"])
    _text(out, a, base, at, f"data.{i}")
    at(f"data.{i}.classification", f"{base}.risk.confidentiality")
    _riskgraph(out, a, base, "data", at, f"data.{i}")
    return out


def classification(confidentiality: float) -> str:
    """0 public, below 50 internal, below 90 confidential, else secret (OTM rates 0-100)."""
    if confidentiality <= 0:
        return "public"
    return "internal" if confidentiality < 50 else "confidential" if confidentiality < 90 else "secret"


def _name(out: dict[str, Any], element: Mapping[str, Any]) -> None:
    """OTM requires a name; one that only repeats the id says nothing and is not kept."""
    if element["name"] != element["id"]:
        out["name"] = element["name"]


def _text(out: dict[str, Any], element: Mapping[str, Any], base: str,
          at: Callable[..., None], native: str | None = None) -> None:
    native = native or base
    if element.get("description"):
        out["description"] = element["description"]
    at(native, base)
    at(f"{native}.id", f"{base}.id")


def _riskgraph(out: dict[str, Any], element: Mapping[str, Any], base: str, section: str,
               at: Callable[..., None], native: str | None = None) -> set[str]:
    """Copy ``attributes.riskgraph`` into the native element; the keys it stated."""
    native = native or base.replace("dataflows", "flows")
    source = f"{base}.attributes.riskgraph"
    extra = (element.get("attributes") or {}).get("riskgraph")
    if not isinstance(extra, Mapping):
        return set()
    for key in RISKGRAPH_KEYS[section]:
        if key in extra:
            out[key] = extra[key]
            at(f"{native}.{key}", f"{source}.{key}", True)
    return {"riskgraph"}


def _lines_below(lines: dict[str, int], olines: Mapping[str, int], native: str, source: str) -> None:
    for key, line in olines.items():
        if key == source or key.startswith(source + "."):
            lines[native + key[len(source):]] = line


def _unknowns(native: dict[str, Any], stated: Mapping[str, set[str]]) -> None:
    """What OTM cannot state, on an element whose ``attributes.riskgraph`` does not state it either: unknown.

    An element with ``attributes.riskgraph`` is read as the architecture format
    reads its elements (a control left out there is not in place). Called
    after validation: an ``Unknown`` is no YAML value.
    """
    trust = {z["id"]: z["trust"] for z in native.get("zones") or []}
    for i, comp in enumerate(native.get("components") or []):
        attacker_side = trust.get(comp.get("zone")) == 0     # a client's controls defend nothing
        if not stated.get(f"components.{i}") and not attacker_side:
            controls = comp.setdefault("controls", {})
            for key in UNEXPRESSED_CONTROLS:
                controls.setdefault(key, Unknown(f"OTM has no field for {key}"))
    for i, fl in enumerate(native.get("flows") or []):
        if not stated.get(f"flows.{i}"):
            for key in UNEXPRESSED_FLOW:
                fl.setdefault(key, Unknown(f"OTM has no field for a dataflow's {key}"))

