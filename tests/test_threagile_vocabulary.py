"""Threagile's vocabulary read as Threagile means it: technologies and aliases, internet, restricted, VPN, boundaries, shared runtimes, includes-only main files."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.api import scan
from scanner.discover import classify, discover
from scanner.parse import ParseOptions, parse_all
from scanner.formats.architecture.threagile_types import (
    ALIASES,
    TECHNOLOGY_TYPES,
    component_type,
    technologies,
)

CASES = os.path.join(FIXTURES, "cases", "architecture", "threagile")
MODEL = "threat-model.yaml"


def _parse(folder):
    found = discover([folder], base=folder)
    parsed = parse_all(found.files, ParseOptions())
    return found, parsed, {r.address: r for r in parsed.resources}


def test_every_threagile_technology_and_alias_has_a_component_type():
    assert len(TECHNOLOGY_TYPES) == 57                      # Threagile's built-in list
    assert set(ALIASES.values()) <= set(TECHNOLOGY_TYPES)
    assert not set(ALIASES) & set(TECHNOLOGY_TYPES)
    assert {TECHNOLOGY_TYPES[ALIASES[a]] for a in ("web-application-firewall", "db", "mq", "lb",
                                                   "web-browser", "app-server")} == \
        {"waf", "database", "queue", "load_balancer", "client", "web_frontend"}


@pytest.mark.parametrize("asset, expected", [
    ({"technology": "WAF"}, "waf"),
    ({"technologies": ["lb", "web-application-firewall"]}, "waf"),     # a WAF among several
    ({"technology": "ai", "technologies": ["db"]}, "database"),          # first specific type
    ({"technology": "ci"}, "service"),
    ({"technology": "ci", "type": "datastore"}, "database"),
    ({"technology": "unknown", "type": "external-entity"}, "external_service"),
    ({"technology": "hashicorp-vault", "type": "datastore"}, "secret_store"),
])
def test_component_type_from_technologies(asset, expected):
    assert component_type(technologies(asset), asset.get("type")) == expected


def test_vocabulary_model_maps_as_threagile_means_it():
    found, parsed, e = _parse(os.path.join(CASES, "vocabulary"))
    assert [f.format for f in found.files] == ["threagile"]
    # an unknown technology is read as a service, with a warning at its line; nothing is refused
    assert [(d.code, d.path, d.line, d.level) for d in parsed.diagnostics] == [
        ("threagile-technology", MODEL, 74, "warning")]
    edge = e["arch:component/edge-firewall"]
    # `internet: true` on a process: public where it runs (boundary `cloud`), not on the internet
    assert (edge.attributes["type"], edge.attributes["zone"], edge.attributes["exposure"]) == \
        ("waf", "cloud", "public")
    assert edge.attributes["controls"]["waf"] is True
    assert (edge.line_of("type"), edge.line_of("exposure")) == (34, 36)
    assert edge.attributes["implemented_by"] == ["aws_lb.edge"]         # `RiskGraph:` tag
    # a mobile app with `internet: true` is on the attacker's side
    assert e["arch:component/courier-app"].attributes["zone"] == "internet"
    tracker = e["arch:component/tracker"].attributes
    assert (tracker["type"], tracker["zone"], tracker["exposure"]) == \
        ("web_frontend", "app-runtime", "private")                      # App-Server, lower-cased id
    assert tracker["implemented_by"] == ["aws_instance.tracker"]
    assert e["arch:component/key-store"].attributes["type"] == "secret_store"
    assert e["arch:component/build-server"].attributes["type"] == "service"
    # restricted is below confidential in Threagile: internal here
    assert e["arch:data/shipment-status"].attributes["classification"] == "internal"
    assert e["arch:data/courier-keys"].attributes["classification"] == "secret"
    forward = e["arch:flow/edge-firewall.forward"]
    assert (forward.attributes["protocol"], forward.attributes["tls"], forward.line_of("tls")) == \
        ("http", True, 41)                                               # inside a VPN
    assert "arch:zone/cloud" in e and "arch:zone/app-runtime" in e


def test_vocabulary_model_findings():
    folder = os.path.join(CASES, "vocabulary")
    report = scan([folder], base=folder, only=["RG-ARCH-002", "RG-ARCH-003", "RG-ARCH-005",
                                               "RG-ARCH-007", "RG-ARCH-008", "RG-ARCH-009"])
    # the WAF is not "public and not behind a WAF"; the VPN link is encrypted; restricted data
    # is not confidential; logging and backups are unknown in Threagile
    assert [(f.policy_id, f.resource) for f in report.findings] == []


@pytest.mark.parametrize("field, value, message", [
    ("type", "network-wherever", "'network-wherever' is not one of"),
    ("integrity", "vital", "'vital' is not one of"),
])
def test_boundary_types_and_cia_ratings_are_validated(tmp_path, field, value, message):
    text = open(os.path.join(CASES, "vocabulary", MODEL), encoding="utf-8").read()
    old = {"type": "type: Network-Cloud-Provider", "integrity": "integrity: Important"}[field]
    (tmp_path / MODEL).write_text(text.replace(old, old.split(":")[0] + ": " + value))
    _, parsed, resources = _parse(str(tmp_path))
    assert resources == {}
    line = {"type": 79, "integrity": 10}[field]
    assert [(d.code, d.line) for d in parsed.diagnostics
            if d.code == "architecture-invalid"] == [("architecture-invalid", line)]
    assert message in parsed.diagnostics[-1].message


def test_shared_runtime_naming_an_undeclared_asset_is_refused(tmp_path):
    text = open(os.path.join(CASES, "vocabulary", MODEL), encoding="utf-8").read()
    (tmp_path / MODEL).write_text(text.replace("[tracker, key-store]", "[tracker, ghost]"))
    _, parsed, resources = _parse(str(tmp_path))
    assert resources == {}
    bad = [d for d in parsed.diagnostics if d.code == "architecture-invalid"]
    assert [(d.line, "'ghost' is not a declared technical asset id" in d.message) for d in bad] == \
        [(90, True)]


def test_a_main_file_with_only_includes_is_read_with_its_parts():
    folder = os.path.join(CASES, "includes-only")
    found, parsed, e = _parse(folder)
    assert sorted((f.relpath, f.format) for f in found.files) == [
        ("model/main.yaml", "threagile"), ("model/parts.yaml", "threagile")]
    assert parsed.diagnostics == []
    shop = e["arch:component/shop"]
    assert (shop.location.path, shop.location.start_line, shop.attributes["exposure"]) == \
        ("model/parts.yaml", 6, "public")
    assert e["arch:component/orders-db"].attributes["type"] == "database"     # `db` alias


@pytest.mark.parametrize("head, expected", [
    (b"includes:\n  - a.yaml\n  - b.yaml\n", "threagile"),
    (b"# x\nincludes: # parts\n\n  - 'parts/a.yml' # y\n", "threagile"),
    (b"includes: [a.yaml, b.yaml]\n", "threagile"),
    (b"includes:\n  - foo\n", None),                # not YAML files: not a Threagile model
    (b"includes: bar.yaml\n", None),
    (b"x:\n  includes:\n    - a.yaml\n", None),     # not at the top level
])
def test_includes_only_sniffing(head, expected):
    assert classify("main.yaml", head) == expected


def test_boundary_members_match_declared_ids_in_any_case(tmp_path):
    """Threagile lower-cases `technical_assets_inside`; models written for older Threagile declare `Web-App`."""
    (tmp_path / MODEL).write_text(
        "threagile_version: 1.0.0\n"
        "technical_assets:\n"
        "  Web App:\n"
        "    id: Web-App\n"
        "    type: process\n"
        "    technology: web-server\n"
        "trust_boundaries:\n"
        "  DMZ:\n"
        "    id: dmz\n"
        "    type: network-cloud-security-group\n"
        "    technical_assets_inside: [Web-App]\n")
    _, parsed, e = _parse(str(tmp_path))
    assert parsed.diagnostics == []
    web = e["arch:component/Web-App"]
    assert (web.attributes["zone"], web.line_of("zone")) == ("dmz", 11)


def test_a_model_in_threagile_parsed_form_is_named_not_refused(tmp_path):
    (tmp_path / MODEL).write_text(
        "threagile_version: 1.0.0\n"
        "technical_assets:\n"
        "  web:\n"
        "    id: web\n"
        "    technologies:\n"
        "      - {name: web-server, attributes: {web-server: true}}\n"
        "    communication_links:\n"
        "      - {id: web>db, source_id: web, target_id: db}\n")
    _, parsed, e = _parse(str(tmp_path))
    assert e == {}
    assert [(d.code, d.line, d.level) for d in parsed.diagnostics] == [("threagile-output", 1, "warning")]
    assert "communication_links as a list" in parsed.diagnostics[0].message


def test_two_threagile_models_sharing_an_id_stay_two_systems(tmp_path):
    """Each Threagile model is a whole system: a second model's `api` is not the first one's."""
    first = ("threagile_version: 1.0.0\n"
             "technical_assets:\n"
             "  Client:\n"
             "    id: client\n"
             "    type: external-entity\n"
             "    technology: browser\n"
             "    internet: true\n"
             "    communication_links:\n"
             "      Call:\n"
             "        target: api\n"
             "        protocol: https\n"
             "  API:\n"
             "    id: api\n"
             "    type: process\n"
             "    technology: web-service-rest\n")
    second = ("threagile_version: 1.0.0\n"
              "data_assets:\n"
              "  Keys:\n"
              "    id: keys\n"
              "    confidentiality: strictly-confidential\n"
              "technical_assets:\n"
              "  API:\n"
              "    id: api\n"
              "    type: process\n"
              "    technology: web-service-rest\n"
              "    communication_links:\n"
              "      Store:\n"
              "        target: vault\n"
              "        protocol: https\n"
              "  Vault:\n"
              "    id: vault\n"
              "    type: datastore\n"
              "    technology: vault\n"
              "    encryption: transparent\n"
              "    data_assets_stored: [keys]\n")
    (tmp_path / "a.yaml").write_text(first)
    (tmp_path / "b.yaml").write_text(second)
    _, parsed, e = _parse(str(tmp_path))
    assert [(d.code, d.path, d.line) for d in parsed.diagnostics] == [
        ("threagile-separate-model", "b.yaml", 1)]
    assert {"arch:component/api", "arch:component/api@b.yaml", "arch:component/vault@b.yaml",
            "arch:data/keys@b.yaml", "arch:flow/api.store@b.yaml"} <= set(e)
    store = e["arch:flow/api.store@b.yaml"].attributes
    assert (store["from"], store["to"], store["data"] if "data" in store else None) == \
        ("api@b.yaml", "vault@b.yaml", None)
    # the internet client of a.yaml reaches a.yaml's api, not b.yaml's vault
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-ARCH-002"])
    assert report.findings == ()


def test_external_and_out_of_scope_stores_are_not_judged(tmp_path):
    """Threagile raises no risk on them: a user's USB stick or a partner's file server is not the team's to encrypt."""
    def store(name, extra):
        return (f"  {name}:\n    id: {name.lower()}\n    technology: file-server\n"
                f"    encryption: none\n    data_assets_stored: [files]\n{extra}")
    (tmp_path / MODEL).write_text(
        "threagile_version: 1.0.0\n"
        "data_assets:\n  Files:\n    id: files\n    confidentiality: confidential\n"
        "technical_assets:\n"
        + store("USB", "    type: external-entity\n")
        + store("Legacy", "    type: datastore\n    out_of_scope: true\n")
        + store("Share", "    type: datastore\n"))
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-ARCH-007"])
    assert [(f.resource, f.location.start_line) for f in report.findings] == \
        [("arch:component/share", 23)]          # its `encryption: none`
