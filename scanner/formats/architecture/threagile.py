"""Threagile threat models read as architecture: assets, data, trust boundaries and links become the same elements.

The model is merged with its includes and checked against a permissive
subset of Threagile's schema (``threagile_model.py``), its cross references
are checked, and it is then translated into a native architecture model
whose every path keeps the file and line of the Threagile key it came from. From there it is the same
code path as ``architecture.py``: same addresses, same derived attributes.

Mapping: ``trust_boundaries`` -> zones (all trust 1, no order; clients with
``internet: true`` sit in a zone ``internet`` of trust 0, other assets with it
are public where they run), ``technical_assets`` -> components (type from
``technology`` / ``technologies``, ``threagile_types.py``), ``data_assets`` ->
data (classification from ``confidentiality`` and tags),
``communication_links`` -> flows (TLS from the protocol or a VPN,
authentication mapped). A tag ``riskgraph:<address>`` on an asset names its
implementation.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping

from ...model import Diagnostic, Resource, SourceFile
from ...schemas import SchemaError, validate
from ...parse import ParseContext, Parsed
from .parser import (
    SECTIONS,
    element_address,
    elements,
    merge,
    model_resources,
    read_document,
    reference_check,
    reference_errors,
    refuse,
)
from .threagile_model import Model, Origin, Problem, load_model, roots, written_by_threagile
from .threagile_systems import mark_unknowns, match_inside_ids, separate
from .threagile_types import (
    CONFIDENTIALITY,
    STORE_TYPES,
    component_type,
    technologies,
    unknown_technologies,
)

ENCRYPTED_PROTOCOLS = {
    "https", "wss", "reverse-proxy-web-protocol-encrypted", "jdbc-encrypted", "odbc-encrypted",
    "sql-access-protocol-encrypted", "nosql-access-protocol-encrypted", "binary-encrypted",
    "text-encrypted", "ssh", "ssh-tunnel", "smtp-encrypted", "pop3-encrypted", "imap-encrypted",
    "ftps", "sftp", "scp", "ldaps", "smb-encrypted", "iiop-encrypted", "jrmp-encrypted",
}
LOCAL_PROTOCOLS = {"in-process-library-call", "local-file-access", "container-spawning"}
AUTHENTICATION = {"none": "none", "credentials": "password", "session-id": "session",
                  "token": "token", "client-certificate": "certificate",
                  "two-factor": "two_factor", "externalized": "external"}
TAG_CLASSES = {"pii": "pii", "personal-data": "pii", "credentials": "credentials",
               "secret": "secret", "secrets": "secret"}
REGULATIONS = {"gdpr", "hipaa", "pci-dss", "ccpa", "sox", "glba"}
IMPLEMENTATION_TAG = "riskgraph:"
INTERNET_ZONE = "internet"
CLIENT_TYPES = ("client", "mobile_app")
# Threagile boundaries carry no trust order (a nested boundary is not "more trusted" than its
# parent: a DMZ is often nested in the network around it), so every boundary gets the same trust
# and only flows from the internet zone (trust 0) enter a more trusted zone.
BOUNDARY_TRUST = 1


def parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    out = Parsed()
    loaded: list[tuple[SourceFile, int, Model]] = []
    for f in files:
        doc = read_document(ctx, f, out)
        if doc is None:
            continue
        written = written_by_threagile(doc.value)
        if written:
            out.diagnostics.append(Diagnostic(
                "threagile-output", f"not read: a model Threagile wrote (it has {written!r}), not "
                "one written for it; scan the model it was made from", f.relpath, 1, "warning"))
            continue
        loaded.append((f, doc.start_line, load_model(ctx, f, doc)))
    taken: dict[str, Mapping[str, Any]] = {}
    for _f, start_line, model in roots(loaded):
        resources = _resources(model, start_line, out, taken)
        if resources is not None:
            merge(out, resources)
            taken.update((r.address, r.attributes) for r in resources)
    return out


def _resources(model: Model, start_line: int, out: Parsed,
               taken: Mapping[str, Mapping[str, Any]]) -> list[Resource] | None:
    """The elements of a merged model, each located in the file that declares it (None: refused).

    Each Threagile model is a whole system: when one declares an id that an
    earlier model in the scan declared differently, its ids get
    ``@<its file>`` so that the two systems are not joined through it.
    """
    origins = {p: line for p, (_, line) in model.origins.items()}
    match_inside_ids(model.value)
    problems = list(model.problems) or [
        Problem(model.origins.get(e.path, (model.relpath,))[0], e)
        for e in threagile_reference_errors(model.value, origins)]
    if not problems:
        native, located = translate(model.value, model.origins)
        lines, files = _own_file_lines(located, model.relpath)
        problems = [Problem(model.relpath, e) for e in
                    validate(native, "architecture.schema.json", lines) or
                    reference_errors(native, lines)]
    if problems:
        for p in problems:
            e = p.error
            if p.relpath != model.relpath:
                e = SchemaError(e.path, f"{e.message} (part of the model in {model.relpath})", e.line)
            refuse(out, p.relpath, [e], None)
        return None
    _notes(model, out)
    mark_unknowns(native, model.value)
    resources = model_resources(native, lines, model.relpath, start_line, "threagile")
    clash = next((r.address for r in resources
                  if r.address in taken and dict(taken[r.address]) != dict(r.attributes)), None)
    if clash:
        separate(native, f"@{model.relpath}")
        resources = model_resources(native, lines, model.relpath, start_line, "threagile")
        out.diagnostics.append(Diagnostic(
            "threagile-separate-model", f"{clash} is also declared, differently, by another "
            f"Threagile model in the scan; this model's addresses end in '@{model.relpath}' so "
            "the two systems stay apart", model.relpath, start_line, "info"))
    where = _element_paths(native)
    return [replace(r, location=replace(r.location, path=files.get(where[r.address], model.relpath)))
            for r in resources]


def _notes(model: Model, out: Parsed) -> None:
    """Info diagnostics for older spellings, warnings for technologies Threagile does not ship."""
    for p in model.notes:
        out.diagnostics.append(Diagnostic("threagile-legacy-spelling", f"at {p.error.path}: "
                                          f"{p.error.message}", p.relpath, p.error.line, "info"))
    for name, a in _section(model.value, "technical_assets"):
        for t in unknown_technologies(technologies(a)):
            base = f"technical_assets.{name}"
            key = next((k for k in (f"{base}.technology", f"{base}.technologies", base)
                        if k in model.origins), base)
            rel, line = model.origins.get(key, (model.relpath, None))
            out.diagnostics.append(Diagnostic(
                "threagile-technology", f"at {base}: technology {t!r} is not one Threagile ships "
                "(nor an alias of one); read as a generic service", rel, line, "warning"))


def _own_file_lines(located: Mapping[str, Origin], root: str) -> tuple[dict[str, int], dict[str, str]]:
    """Native path -> line, keeping only lines in the file of the element they belong to.

    An element is in the file that declares it; a line from another file (a
    trust boundary listing the asset, a field merged from a second file) is
    dropped, and the finding falls back to the element's own line.
    """
    files = {k: rel for k, (rel, _) in located.items() if k.count(".") == 1}
    lines = {}
    for key, (rel, line) in located.items():
        parts = key.split(".", 2)
        if files.get(".".join(parts[:2]), root) == rel:
            lines[key] = line
    return lines, files


def _element_paths(model: Mapping[str, Any]) -> dict[str, str]:
    """Element address -> ``section.index`` in the native model."""
    return {element_address(SECTIONS[section], ident): f"{section}.{i}"
            for section, i, ident, _ in elements(model)}


def _section(doc: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    return list((doc.get(key) or {}).items())


def threagile_reference_errors(doc: Any, lines: Mapping[str, int]) -> list[SchemaError]:
    """Links, stored data and boundary members must name declared ids."""
    if not isinstance(doc, Mapping):
        return [SchemaError("", "a Threagile model must be a mapping", None)]
    assets = {a["id"] for _, a in _section(doc, "technical_assets")}
    data = {d["id"] for _, d in _section(doc, "data_assets")}
    bounds = {b["id"] for _, b in _section(doc, "trust_boundaries")}
    errors: list[SchemaError] = []
    check = reference_check(errors, lines)

    for name, a in _section(doc, "technical_assets"):
        base = f"technical_assets.{name}"
        for key in ("data_assets_stored", "data_assets_processed"):
            for j, d in enumerate(a.get(key) or []):
                check(d, data, "data asset", f"{base}.{key}.{j}")
        for link_name, link in (a.get("communication_links") or {}).items():
            lbase = f"{base}.communication_links.{link_name}"
            check(link["target"], assets, "technical asset", f"{lbase}.target")
            for key in ("data_assets_sent", "data_assets_received"):
                for j, d in enumerate(link.get(key) or []):
                    check(d, data, "data asset", f"{lbase}.{key}.{j}")
    for name, b in _section(doc, "trust_boundaries"):
        base = f"trust_boundaries.{name}"
        for j, a in enumerate(b.get("technical_assets_inside") or []):
            check(a, assets, "technical asset", f"{base}.technical_assets_inside.{j}")
        for j, n in enumerate(b.get("trust_boundaries_nested") or []):
            check(n, bounds, "trust boundary", f"{base}.trust_boundaries_nested.{j}")
    for name, r in _section(doc, "shared_runtimes"):
        for j, a in enumerate(r.get("technical_assets_running") or []):
            check(a, assets, "technical asset",
                  f"shared_runtimes.{name}.technical_assets_running.{j}")
    return errors


def translate(doc: Mapping[str, Any], tlines: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The native model, and native dotted path -> where (line, or file and line) the Threagile key it came from is."""
    lines: dict[str, Any] = {}

    def at(native: str, source: str) -> None:
        line = tlines.get(source)
        if line is not None:
            lines[native] = line

    assets = _section(doc, "technical_assets")
    on_internet = {a["id"] for _, a in assets if _on_internet(a)}
    zones, zone_of, zone_src = _zones(doc, assets, on_internet, at)
    flows = _flows(assets, at)
    inbound: dict[str, list[dict[str, Any]]] = {}
    for fl in flows:
        inbound.setdefault(fl["to"], []).append(fl)
    components = [_component(i, name, a, zone_of.get(a["id"]), inbound.get(a["id"], []),
                             on_internet, at)
                  for i, (name, a) in enumerate(assets)]
    for i, (name, a) in enumerate(assets):
        at(f"components.{i}.zone", zone_src.get(a["id"], f"technical_assets.{name}"))
    data = [_data(i, name, d, at) for i, (name, d) in enumerate(_section(doc, "data_assets"))]
    model: dict[str, Any] = {"version": 1, "zones": zones, "components": components,
                             "data": data, "flows": flows}
    if isinstance(doc.get("title"), str):
        model["name"] = doc["title"]
    return model, lines


def _on_internet(a: Mapping[str, Any]) -> bool:
    """An asset on the attacker's side: ``internet: true`` on an external entity or a client.

    On a process or data store, ``internet: true`` means Threagile's "reachable
    from the internet": the asset is public where it runs, not on the internet.
    """
    if a.get("internet") is not True:
        return False
    return a.get("type") == "external-entity" or component_type(
        technologies(a), a.get("type")) in CLIENT_TYPES


def _zones(doc: Mapping[str, Any], assets: list[tuple[str, Mapping[str, Any]]],
           on_internet: set[str], at: Any) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """Zones from boundaries (all of one trust), each asset's innermost zone, and where that is said."""
    bounds = _section(doc, "trust_boundaries")
    parent: dict[str, str] = {}
    for _, b in bounds:
        for n in b.get("trust_boundaries_nested") or []:
            parent.setdefault(n, b["id"])

    def depth(ident: str) -> int:
        seen, d = {ident}, 0
        while ident in parent and parent[ident] not in seen:
            ident = parent[ident]
            seen.add(ident)
            d += 1
        return d

    zones: list[dict[str, Any]] = []
    zone_of: dict[str, str] = {}
    zone_src: dict[str, str] = {}
    ids = {b["id"] for _, b in bounds}
    internet = INTERNET_ZONE if INTERNET_ZONE not in ids else "threagile-internet"
    if on_internet:
        zones.append({"id": internet, "name": "Internet", "trust": 0})
        for name, a in assets:
            if a["id"] in on_internet:
                zone_of[a["id"]], zone_src[a["id"]] = internet, f"technical_assets.{name}.internet"
    for name, b in bounds:
        i = len(zones)
        zone: dict[str, Any] = {"id": b["id"], "name": name, "trust": BOUNDARY_TRUST}
        if b.get("description"):
            zone["description"] = str(b["description"])
        zones.append(zone)
        at(f"zones.{i}", f"trust_boundaries.{name}")
        at(f"zones.{i}.id", f"trust_boundaries.{name}.id")
        for j, a in enumerate(b.get("technical_assets_inside") or []):
            current = zone_of.get(a)
            if current is None or current == internet or depth(b["id"]) > depth(current):
                zone_of[a] = b["id"]
                zone_src[a] = f"trust_boundaries.{name}.technical_assets_inside.{j}"
    return zones, zone_of, zone_src


def _component(i: int, name: str, a: Mapping[str, Any], zone: Any, inbound: list[dict[str, Any]],
               on_internet: set[str], at: Any) -> dict[str, Any]:
    base, native = f"technical_assets.{name}", f"components.{i}"
    names = technologies(a)
    ctype = component_type(names, a.get("type"))
    c: dict[str, Any] = {"id": a["id"], "name": name, "type": ctype}
    if zone:
        c["zone"] = zone
    client = a["id"] in on_internet
    if a.get("internet") is True and not client:
        c["exposure"] = "public"                          # Threagile: reachable from the internet
    elif any(fl["from"] in on_internet for fl in inbound) and not client:
        c["exposure"] = "public"
    elif zone and not client:
        c["exposure"] = "private"
    for key, native_key in (("data_assets_stored", "stores"), ("data_assets_processed", "processes")):
        if a.get(key):
            c[native_key] = list(a[key])
            for j in range(len(a[key])):
                at(f"{native}.{native_key}.{j}", f"{base}.{key}.{j}")
    controls: dict[str, Any] = {}
    if "encryption" in a and ctype in STORE_TYPES:
        controls["encryption_at_rest"] = a["encryption"] != "none"
        at(f"{native}.controls.encryption_at_rest", f"{base}.encryption")
    if inbound:
        auths = [fl.get("authentication", "none") for fl in inbound]
        controls["authentication"] = "none" if "none" in auths else auths[0]
        controls["tls"] = all(fl.get("tls") is True for fl in inbound)
    if "waf" in names:
        controls["waf"] = True
    if controls:
        c["controls"] = controls
    impl = [(k, t[len(IMPLEMENTATION_TAG):]) for k, t in enumerate(a.get("tags") or [])
            if isinstance(t, str) and t[:len(IMPLEMENTATION_TAG)].lower() == IMPLEMENTATION_TAG
            and len(t.strip()) > len(IMPLEMENTATION_TAG)]
    if impl:
        c["implemented_by"] = [t for _, t in impl]
        for j, (k, _) in enumerate(impl):
            at(f"{native}.implemented_by.{j}", f"{base}.tags.{k}")
    for key, source in (("", ""), (".id", ".id"), (".type", ".technology"), (".exposure", "")):
        at(f"{native}{key}", f"{base}{source}")
    if "technology" not in a:
        at(f"{native}.type", f"{base}.technologies.0")
    if a.get("internet") is True and not client:
        at(f"{native}.exposure", f"{base}.internet")
    return c


def _flows(assets: list[tuple[str, Mapping[str, Any]]], at: Any) -> list[dict[str, Any]]:
    flows: list[dict[str, Any]] = []
    for name, a in assets:
        for link_name, link in (a.get("communication_links") or {}).items():
            i, base = len(flows), f"technical_assets.{name}.communication_links.{link_name}"
            protocol = str(link.get("protocol") or "unknown-protocol")
            fl: dict[str, Any] = {"id": f"{a['id']}.{_slug(link_name)}", "from": a["id"],
                                  "to": link["target"], "protocol": protocol}
            if protocol not in LOCAL_PROTOCOLS:
                # a VPN encrypts the connection whatever the protocol inside it
                fl["tls"] = protocol in ENCRYPTED_PROTOCOLS or link.get("vpn") is True
            if "authentication" in link:
                fl["authentication"] = AUTHENTICATION[link["authentication"]]
            sent, received = list(link.get("data_assets_sent") or []), \
                list(link.get("data_assets_received") or [])
            carried = list(dict.fromkeys(sent + received))
            if carried:
                fl["data"] = carried
                for j, d in enumerate(carried):
                    src = (f"{base}.data_assets_sent.{sent.index(d)}" if d in sent
                           else f"{base}.data_assets_received.{received.index(d)}")
                    at(f"flows.{i}.data.{j}", src)
            fl["direction"] = "two_way" if received else "one_way"
            flows.append(fl)
            for key, source in (("", ""), (".from", ""), (".to", ".target"),
                                (".protocol", ".protocol"),
                                (".tls", ".vpn" if link.get("vpn") is True else ".protocol"),
                                (".authentication", ".authentication")):
                at(f"flows.{i}{key}", f"{base}{source}")
    return flows


def _data(i: int, name: str, d: Mapping[str, Any], at: Any) -> dict[str, Any]:
    base, native = f"data_assets.{name}", f"data.{i}"
    tags = [str(t).lower() for t in d.get("tags") or []]
    tagged = [TAG_CLASSES[t] for t in tags if t in TAG_CLASSES]
    classification = tagged[0] if tagged else CONFIDENTIALITY.get(
        str(d.get("confidentiality")), "internal")
    out: dict[str, Any] = {"id": d["id"], "name": name, "classification": classification}
    regulations = [t for t in tags if t in REGULATIONS]
    if regulations:
        out["regulations"] = regulations
    at(native, base)
    at(f"{native}.id", f"{base}.id")
    at(f"{native}.classification", f"{base}.tags" if tagged else f"{base}.confidentiality")
    return out


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name.strip()).strip("-.").lower()
    return slug or "link"
