"""The example systems: each headline finding at its exact file and line, paths hop by hop, drift with its architecture line."""

from __future__ import annotations

import os

import pytest

from conftest import SYSTEMS
from scanner.api import scan


@pytest.fixture(scope="module")
def reports():
    return {name: scan([os.path.join(SYSTEMS, name)], base=os.path.join(SYSTEMS, name))
            for name in ("solar-booking", "media-stories", "log-ingestion")}


def _one(report, policy_id, resource):
    found = [f for f in report.findings if f.policy_id == policy_id and f.resource == resource]
    assert len(found) == 1, [(f.policy_id, f.resource) for f in report.findings]
    return found[0]


def _at(finding):
    return finding.location.path, finding.location.start_line


def _hops(finding):
    return [(s.address, s.edge) for s in finding.path]


@pytest.mark.parametrize("name", ["solar-booking", "media-stories", "log-ingestion"])
def test_system_parses_cleanly(reports, name):
    assert [str(d) for d in reports[name].diagnostics] == []


def test_solar_booking_engineering_role_is_over_broad(reports):
    f = _one(reports["solar-booking"], "RG-ARCH-001", "arch:role/engineers")
    assert _at(f) == ("architecture.yaml", 61)                 # `members: 12`
    mfa = _one(reports["solar-booking"], "RG-ARCH-006", "arch:role/engineers")
    assert _at(mfa) == ("architecture.yaml", 62)               # `mfa: false`


def test_solar_booking_pii_database_reachable_from_internet(reports):
    f = _one(reports["solar-booking"], "RG-DRIFT-006", "aws_db_instance.customers")
    assert _at(f) == ("terraform/main.tf", 39)
    # publicly accessible, and its group admits var.office_cidr, whose default is 0.0.0.0/0
    assert _hops(f) == [("internet", ""), ("aws_security_group.db", "allows_ingress_from"),
                        ("aws_db_instance.customers", "attached_to")]
    assert f.message == "aws_db_instance.customers holds pii data (per the architecture) and is " \
        "reachable from the internet"


def test_solar_booking_private_database_drifted_public(reports):
    f = _one(reports["solar-booking"], "RG-DRIFT-001", "aws_db_instance.customers")
    assert _at(f) == ("terraform/main.tf", 47)                 # `publicly_accessible = true`
    assert [(r.path, r.start_line) for r in f.related] == [("architecture.yaml", 34)]
    assert _hops(f) == [("arch:component/db", ""), ("aws_db_instance.customers", "implemented_by")]


def test_solar_booking_keeps_its_other_deliberate_mistakes(reports):
    report = reports["solar-booking"]
    assert _at(_one(report, "RG-AWS-004", "aws_db_instance.customers")) == ("terraform/main.tf", 46)
    assert _at(_one(report, "RG-ARCH-003", "arch:flow/api->db")) == ("architecture.yaml", 57)
    arch = sorted((f.policy_id, f.resource) for f in report.findings
                  if f.policy_id.startswith(("RG-ARCH", "RG-DRIFT")))
    assert arch == [
        ("RG-ARCH-001", "arch:role/engineers"),
        ("RG-ARCH-003", "arch:flow/api->db"),
        ("RG-ARCH-005", "arch:component/api"),
        ("RG-ARCH-005", "arch:component/web"),
        ("RG-ARCH-006", "arch:role/engineers"),
        ("RG-DRIFT-001", "aws_db_instance.customers"),
        ("RG-DRIFT-006", "aws_db_instance.customers"),
    ]


def test_media_stories_raw_uploads_reachable_through_the_cdn(reports):
    f = _one(reports["media-stories"], "RG-ARCH-002", "arch:component/media_bucket")
    assert _at(f) == ("architecture.yaml", 36)                 # `stores: [raw_media, renditions]`
    assert _hops(f) == [("internet", ""), ("arch:component/cdn", "exposes"),
                        ("arch:component/media_bucket", "flows_to")]


def test_media_stories_headlines(reports):
    report = reports["media-stories"]
    assert _at(_one(report, "RG-ARCH-011", "arch:component/upload_api")) == \
        ("architecture.yaml", 28)                               # `fetches_user_urls: true`
    ssrf_reach = _one(report, "RG-ARCH-012", "arch:component/upload_api")
    assert _hops(ssrf_reach) == [("arch:component/upload_api", ""),
                                 ("arch:component/media_bucket", "flows_to")]
    debug = _one(report, "RG-DRIFT-001", "k8s:apps/Deployment/stories/transcoder")
    assert _at(debug) == ("kubernetes/apps.yaml", 47)
    assert [(r.path, r.start_line) for r in debug.related] == [("architecture.yaml", 45)]
    cache = _one(report, "RG-DRIFT-003", "aws_elasticache_replication_group.feed")
    assert _at(cache) == ("terraform/main.tf", 73)             # `at_rest_encryption_enabled = false`
    assert [(r.path, r.start_line) for r in cache.related] == [("architecture.yaml", 62)]
    arch = sorted((f.policy_id, f.resource) for f in report.findings
                  if f.policy_id.startswith(("RG-ARCH", "RG-DRIFT")))
    assert arch == [
        ("RG-ARCH-002", "arch:component/media_bucket"),
        ("RG-ARCH-011", "arch:component/upload_api"),
        ("RG-ARCH-012", "arch:component/upload_api"),
        ("RG-DRIFT-001", "k8s:apps/Deployment/stories/transcoder"),
        ("RG-DRIFT-003", "aws_elasticache_replication_group.feed"),
    ]


def test_log_ingestion_headlines(reports):
    report = reports["log-ingestion"]
    residency = _one(report, "RG-ARCH-010", "arch:component/archive")
    assert _at(residency) == ("architecture.yaml", 65)         # `region: us-east-1`
    assert "'device_logs'" in residency.message
    http = _one(report, "RG-DRIFT-002", "aws_lb_listener.http")
    assert _at(http) == ("terraform/ingest.tf", 25)            # `protocol = "HTTP"`
    assert _hops(http) == [("aws_lb_listener.http", ""), ("aws_lb.ingest", "references"),
                           ("arch:component/ingest_alb", "implemented_by")]
    assert [(r.path, r.start_line) for r in http.related] == [
        ("terraform/ingest.tf", 1), ("architecture.yaml", 23)]
    dangling = _one(report, "RG-DRIFT-004", "arch:component/stream")
    assert _at(dangling) == ("architecture.yaml", 43)          # the `implemented_by` entry
    assert "aws_kinesis_stream.device_logs" in dangling.message
    arch = sorted((f.policy_id, f.resource) for f in report.findings
                  if f.policy_id.startswith(("RG-ARCH", "RG-DRIFT")))
    assert arch == [
        ("RG-ARCH-010", "arch:component/archive"),
        ("RG-DRIFT-002", "aws_lb_listener.http"),
        ("RG-DRIFT-004", "arch:component/stream"),
    ]


def test_drift_finding_in_sarif_names_the_architecture_line(reports):
    import json

    from scanner.report import render

    root = os.path.join(SYSTEMS, "solar-booking")
    sarif = json.loads(render(reports["solar-booking"], "sarif", root=root))
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "RG-DRIFT-001"]
    assert len(results) == 1
    where = results[0]["locations"][0]["physicalLocation"]
    assert (where["artifactLocation"]["uri"], where["region"]["startLine"]) == ("terraform/main.tf", 47)
    related = [(r["physicalLocation"]["artifactLocation"]["uri"],
                r["physicalLocation"]["region"]["startLine"], r["message"]["text"])
               for r in results[0]["relatedLocations"]]
    assert related == [("architecture.yaml", 34, "arch:component/db")]


@pytest.mark.parametrize("name", ["solar-booking", "media-stories", "log-ingestion"])
def test_network_paths_never_run_through_the_architecture(reports, name):
    """Intent is not reachability: only architecture and drift findings may show arch: hops."""
    leaked = [(f.policy_id, f.resource, [s.address for s in f.path])
              for f in reports[name].findings
              if not f.policy_id.startswith(("RG-ARCH", "RG-DRIFT"))
              and any(s.address.startswith("arch:") for s in f.path)]
    assert leaked == []
