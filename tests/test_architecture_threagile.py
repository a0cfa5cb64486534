"""Threagile models: mapped onto zones, components, data and flows with Threagile's own lines; bad models refused."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import scan
from scanner.discover import discover
from scanner.model import Unknown
from scanner.parse import ParseOptions, parse_all

CASES = os.path.join(FIXTURES, "cases", "architecture", "threagile")
MODEL = "threat-model.yaml"


def _elements():
    folder = os.path.join(CASES, "valid")
    found = discover([os.path.join(folder, MODEL)], base=folder)
    assert [f.format for f in found.files] == ["threagile"]
    parsed = parse_all(found.files, ParseOptions())
    # the model writes the older `enduser-identity-propagation`: read, with an info diagnostic
    assert [(d.code, d.path, d.line, d.level) for d in parsed.diagnostics] == [
        ("threagile-legacy-spelling", MODEL, 43, "info")]
    return {r.address: r for r in parsed.resources}


def test_assets_map_to_elements_at_their_lines():
    got = {a: (r.type, r.location.start_line, r.source) for a, r in _elements().items()}
    assert got == {
        "arch:zone/internet": ("zone", 1, "threagile"),
        "arch:zone/clinic-cloud": ("zone", 81, "threagile"),
        "arch:zone/data-subnet": ("zone", 87, "threagile"),
        "arch:component/patient-browser": ("component", 29, "threagile"),
        "arch:component/booking-app": ("component", 50, "threagile"),
        "arch:component/records-db": ("component", 70, "threagile"),
        "arch:data/patient-records": ("data", 10, "threagile"),
        "arch:data/opening-hours": ("data", 19, "threagile"),
        "arch:flow/patient-browser.booking-traffic": ("flow", 38, "threagile"),
        "arch:flow/booking-app.records-access": ("flow", 59, "threagile"),
    }


def test_mapping_of_values():
    e = _elements()
    assert e["arch:zone/clinic-cloud"].attributes["trust"] == 1
    assert e["arch:zone/data-subnet"].attributes["trust"] == 1       # nested, but Threagile has no trust order
    browser = e["arch:component/patient-browser"].attributes
    assert (browser["type"], browser["zone"]) == ("client", "internet")
    app = e["arch:component/booking-app"].attributes
    assert (app["type"], app["zone"], app["exposure"]) == ("web_frontend", "clinic-cloud", "public")
    assert app["controls"] == {"authentication": "session", "tls": True,      # logging, backups: not
                               "logging": Unknown(), "backups": Unknown()}   # expressible in Threagile
    db = e["arch:component/records-db"]
    assert (db.attributes["type"], db.attributes["zone"], db.attributes["exposure"]) == \
        ("database", "data-subnet", "private")
    assert db.attributes["stores"] == ["patient-records"]
    assert db.attributes["implemented_by"] == ["aws_db_instance.patients"]
    assert db.attributes["controls"]["encryption_at_rest"] is False
    assert (db.line_of("controls.encryption_at_rest"), db.line_of("implemented_by.0")) == (76, 77)
    assert db.line_of("zone") == 91            # the boundary's `technical_assets_inside` entry
    assert e["arch:component/patient-browser"].line_of("zone") == 34      # `internet: true`
    records = e["arch:data/patient-records"].attributes
    assert (records["classification"], records["regulations"]) == ("pii", ["gdpr"])
    assert e["arch:data/opening-hours"].attributes["classification"] == "public"
    link = e["arch:flow/booking-app.records-access"]
    assert {k: link.attributes[k] for k in ("from", "to", "protocol", "tls", "authentication",
                                            "data")} == {
        "from": "booking-app", "to": "records-db", "protocol": "jdbc", "tls": False,
        "authentication": "password", "data": ["patient-records"]}
    assert (link.line_of("tls"), link.line_of("authentication")) == (62, 63)
    assert e["arch:flow/patient-browser.booking-traffic"].attributes["direction"] == "two_way"


def test_policies_apply_to_threagile_models():
    folder = os.path.join(CASES, "valid")
    report = scan([folder], base=folder, only=["RG-ARCH-003", "RG-ARCH-007", "RG-DRIFT-001",
                                               "RG-DRIFT-003"])
    got = sorted((f.policy_id, f.resource, f.location.path, f.location.start_line)
                 for f in report.findings)
    assert got == [
        ("RG-ARCH-003", "arch:flow/booking-app.records-access", MODEL, 62),
        ("RG-ARCH-007", "arch:component/records-db", MODEL, 76),
        ("RG-DRIFT-001", "aws_db_instance.patients", "main.tf", 4),
    ]                   # RG-DRIFT-003 stays silent: the model itself says `encryption: none`
    drift = next(f for f in report.findings if f.policy_id == "RG-DRIFT-001")
    assert [(r.path, r.start_line) for r in drift.related] == [(MODEL, 70)]


def test_controls_threagile_cannot_express_are_unknown_not_missing():
    """Threagile has no field for logging or backups: RG-ARCH-008/009 stay silent on its models."""
    folder = os.path.join(CASES, "valid")
    report = scan([folder], base=folder, only=["RG-ARCH-008", "RG-ARCH-009"])
    assert report.findings == ()
    native = os.path.join(FIXTURES, "RG-ARCH-009", "fail")    # the native format says it: found
    assert sorted((f.resource, f.location.start_line)
                  for f in scan([native], base=native, only=["RG-ARCH-009"]).findings) == [
        ("arch:component/api", 7), ("arch:component/worker", 9)]


def test_invalid_models_are_refused_with_path_and_line():
    folder = os.path.join(CASES, "invalid")
    report = scan([folder], base=folder)
    got = [(d.path, d.line, d.message.split(": ", 1)[1]) for d in report.diagnostics]
    assert got == [
        ("dangling.yaml", 11, "at technical_assets.Web.data_assets_stored.1: "
                              "'tokens' is not a declared data asset id"),
        ("dangling.yaml", 14, "at technical_assets.Web.communication_links.To Nowhere.target: "
                              "'ghost' is not a declared technical asset id"),
        ("dangling.yaml", 20, "at trust_boundaries.Cloud.trust_boundaries_nested.0: "
                              "'moon' is not a declared trust boundary id"),
        ("listed.yaml", 4, "at data_assets: a list of 2 items is not of type 'object', 'null'"),
        ("threat-model.yaml", 6, "at data_assets.Secrets.confidentiality: 'top-secret' is not one "
                                 "of 'public', 'internal', 'restricted', 'confidential', "
                                 "'strictly-confidential'"),
    ]
    assert report.stats["resources"] == 0


def _parse(folder):
    found = discover([folder], base=folder)
    return found, parse_all(found.files, ParseOptions())


def test_current_spellings_in_any_case_are_accepted():
    """`end-user-*` (current) and `enduser-*` (older) spellings; `Process`, `Credentials`, `HTTPS`."""
    _, parsed = _parse(os.path.join(CASES, "current"))
    assert [(d.code, d.path, d.line, d.level) for d in parsed.diagnostics] == [
        ("threagile-legacy-spelling", MODEL, 41, "info")]         # `data-with-enduser-...`
    e = {r.address: r.attributes for r in parsed.resources}
    assert e["arch:component/shop-browser"]["type"] == "client"              # technology: Browser
    assert (e["arch:component/shop-app"]["type"], e["arch:component/shop-app"]["zone"]) == \
        ("web_frontend", "shop-network")          # listed as `Shop-App` in technical_assets_inside
    db = e["arch:component/accounts-db"]
    assert (db["type"], db["zone"], db["controls"]["encryption_at_rest"]) == \
        ("database", "shop-network", True)        # Data-With-End-User-Individual-Key
    assert e["arch:component/legacy-archive"]["controls"]["encryption_at_rest"] is True  # enduser-
    shop = e["arch:flow/shop-browser.shop-traffic"]
    assert (shop["tls"], shop["authentication"]) == (True, "session")         # HTTPS, Session-ID
    store = e["arch:flow/shop-app.account-store"]
    assert (store["tls"], store["authentication"]) == (False, "password")     # JDBC, Credentials
    assert e["arch:data/customer-accounts"]["classification"] == "confidential"


def test_includes_are_merged_and_each_element_keeps_its_own_file_and_lines():
    folder = os.path.join(CASES, "includes")
    found, parsed = _parse(folder)
    assert sorted(f.relpath for f in found.files) == [
        "boundaries.yaml", "data.yaml", "main.yaml", "parts/assets.yaml", "parts/store.yaml"]
    assert parsed.diagnostics == []         # fragments are read as parts of main.yaml, not alone
    got = {r.address: (r.location.path, r.location.start_line) for r in parsed.resources}
    assert got == {
        "arch:zone/internet": ("main.yaml", 1),
        "arch:zone/order-cloud": ("boundaries.yaml", 4),
        "arch:component/buyer-browser": ("parts/assets.yaml", 4),
        "arch:component/order-api": ("parts/assets.yaml", 15),
        "arch:component/order-db": ("parts/store.yaml", 2),      # included twice, merged once
        "arch:data/orders": ("data.yaml", 2),
        "arch:flow/buyer-browser.order-traffic": ("parts/assets.yaml", 10),
        "arch:flow/order-api.order-writes": ("parts/assets.yaml", 20),
    }
    db = next(r for r in parsed.resources if r.address == "arch:component/order-db")
    assert db.attributes["zone"] == "order-cloud"
    assert db.line_of("zone") == 2      # said in boundaries.yaml: the element's own line instead
    assert db.line_of("controls.encryption_at_rest") == 6
    report = scan([folder], base=folder, only=["RG-ARCH-003", "RG-ARCH-005", "RG-ARCH-007"])
    assert sorted((f.policy_id, f.resource, f.location.path, f.location.start_line)
                  for f in report.findings) == [
        ("RG-ARCH-003", "arch:flow/order-api.order-writes", "parts/assets.yaml", 22),
        ("RG-ARCH-005", "arch:component/order-api", "parts/assets.yaml", 15),
        ("RG-ARCH-007", "arch:component/order-db", "parts/store.yaml", 6),
    ]


def test_broken_includes_are_diagnostics_at_the_include_line():
    folder = os.path.join(CASES, "broken-includes")
    report = scan([folder], base=folder)
    got = [(d.code, d.path, d.line, d.message.split(": ", 1)[1]) for d in report.diagnostics
           if d.level != "info"]         # info: discovery's note on fragments it did not recognise alone
    part = " (part of the model in main.yaml)"
    assert got == [
        ("architecture-invalid", "assets.yaml", 3,
         "at technical_assets.Web.id: 'website' conflicts with 'web' in main.yaml line 11" + part),
        ("architecture-invalid", "broken.yaml", 3,
         "at (top level): YAML syntax error: did not find expected ',' or ']'" + part),
        ("architecture-invalid", "loop.yaml", 2,
         "at includes.0: 'main.yaml' closes a cycle of includes "
         "(main.yaml -> loop.yaml -> main.yaml)" + part),
        ("architecture-invalid", "main.yaml", 4,
         "at includes.0: 'missing.yaml' cannot be read: No such file or directory"),
        ("architecture-invalid", "main.yaml", 6,
         "at includes.2: '../current/threat-model.yaml' is outside the scanned folder; not read "
         "(scan a folder that holds the whole model)"),
    ]
    assert report.stats["resources"] == 0


def test_a_model_threagile_wrote_is_named_not_refused():
    folder = os.path.join(CASES, "output")
    report = scan([folder], base=folder)
    assert [(d.code, d.level, d.path, d.line) for d in report.diagnostics] == [
        ("threagile-output", "warning", "parsed-model.yaml", 1)]
    assert report.stats["resources"] == 0


STORE = ("technical_assets:\n  Store:\n    id: store\n    type: datastore\n    technology: database\n"
         "    encryption: {}\n    data_assets_stored: [orders]\n")


def test_a_rescan_notices_a_change_in_a_file_only_an_include_names(tmp_path, monkeypatch):
    """`store.model` is not discovered (no YAML suffix); the stored whole-scan result must still see it."""
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    model = tmp_path / "model"
    model.mkdir()
    (model / "main.yaml").write_text(
        "threagile_version: 1.0.0\nincludes: [store.model]\n"
        "data_assets:\n  Orders:\n    id: orders\n    confidentiality: confidential\n")
    (model / "store.model").write_text(STORE.format("none"))

    def failing():
        report = scan([str(model)], base=str(model), only=["RG-ARCH-007"])
        return [(f.resource, f.location.path, f.location.start_line) for f in report.findings]

    assert failing() == [("arch:component/store", "store.model", 6)]
    (model / "store.model").write_text(STORE.format("Transparent"))
    assert failing() == []


def test_includes_nested_too_deep_or_naming_a_folder_are_diagnostics(tmp_path):
    (tmp_path / "main.yaml").write_text("threagile_version: 1.0.0\nincludes:\n  - parts\n  - f1.yaml\n")
    (tmp_path / "parts").mkdir()
    for i in range(1, 40):
        (tmp_path / f"f{i}.yaml").write_text(f"includes: [f{i + 1}.yaml]\n")
    report = scan([str(tmp_path)], base=str(tmp_path))
    assert [(d.path, d.line, d.message.split(": ", 1)[1]) for d in report.diagnostics
            if d.level != "info"] == [
        ("f32.yaml", 1, "at includes.0: 'f33.yaml' not read: includes nest deeper than 32 files "
                        "(part of the model in main.yaml)"),
        ("main.yaml", 3, "at includes.0: 'parts' is not a regular file; not read"),
    ]


_PIPELINE = """threagile_version: 1.0.0
title: Build
data_assets:
  Push Token:
    id: push-token
    usage: devops
    quantity: few
    confidentiality: strictly-confidential
    integrity: critical
    availability: operational
technical_assets:
  Pipeline:
    id: pipeline
    type: process
    technology: build-pipeline
    internet: true
    encryption: none
    data_assets_stored: [push-token]
{inbound}"""
_CALLER = """  Webhook Sender:
    id: sender
    type: external-entity
    technology: browser
    internet: true
    encryption: none
    communication_links:
      Trigger:
        target: pipeline
        protocol: https
        authentication: none
        authorization: none
        vpn: false
        ip_filtered: false
        readonly: false
        usage: devops
"""


def test_a_public_asset_no_link_comes_into_has_unknown_authentication(tmp_path):
    """Threagile states authentication on links: a public asset no link reaches is not "unauthenticated".

    Found on a public model (argo-cd's build pipeline, `internet: true`, only outgoing links): RG-ARCH-002
    called its tokens reachable without authentication. A link in without authentication still is.
    """
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "model.yaml").write_text(_PIPELINE.format(inbound=""))
    (tmp_path / "called").mkdir()
    (tmp_path / "called" / "model.yaml").write_text(_PIPELINE.format(inbound=_CALLER))
    alone = scan([str(tmp_path / "alone")], base=str(tmp_path / "alone"), only=["RG-ARCH-002"])
    assert alone.findings == () and alone.stats["undetermined"] == 1
    called = scan([str(tmp_path / "called")], base=str(tmp_path / "called"), only=["RG-ARCH-002"])
    assert [(f.resource, f.location.path, f.location.start_line) for f in called.findings] == [
        ("arch:component/pipeline", "model.yaml", 18)]   # where it stores the token
