"""Provider defaults (scanner/policy/defaults.yaml): policies test the effective value, per the provider versions a root allows."""

from __future__ import annotations

import os

import pytest

from scanner.api import scan
from scanner.model import Unknown
from scanner.policy.defaults import load_defaults, value_for
from scanner.versions import NEWEST, allowed

REDSHIFT = """
resource "aws_redshift_cluster" "w" {
  cluster_identifier = "w"
  node_type          = "ra3.xlplus"
  encrypted          = true
}
"""


def _write(root, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = os.path.join(str(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return str(root)


def _findings(root: str, policy: str) -> list[tuple[str, str, int, str]]:
    report = scan([root], only=[policy], base=root)
    return [(f.resource, f.location.path, f.location.start_line, f.message) for f in report.findings]


def _requires(version: str) -> str:
    return ('terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", '
            f'version = "{version}" }}\n  }}\n}}\n')


@pytest.mark.parametrize("constraint, interval", [
    ("~> 4.2", ((4, 2, 0), (5, 0, 0))),
    ("~> 4.2.1", ((4, 2, 1), (4, 3, 0))),
    (">= 4.0, < 6.0", ((4, 0, 0), (6, 0, 0))),
    ("> 5.1.0", ((5, 1, 1), NEWEST)),
    ("<= 5.1", ((0, 0, 0), (5, 1, 1))),
    ("= 5.31.0", ((5, 31, 0), (5, 31, 1))),
    ("5.31.0", ((5, 31, 0), (5, 31, 1))),
    (">= 3.0, != 3.5.0", ((3, 0, 0), NEWEST)),
])
def test_version_constraints(constraint, interval):
    assert allowed(constraint) == interval


def test_unreadable_constraint():
    assert allowed(">= banana") is None


def test_redshift_default_follows_the_provider_version():
    (public,) = [d for d in load_defaults()["aws_redshift_cluster"] if d.path == ("publicly_accessible",)]
    assert value_for(public, "~> 5.0") is True
    assert value_for(public, ">= 6.0") is False
    assert value_for(public, "= 4.67.0") is True
    # the range reaches both 5.x (true) and 6.x (false): unknown, never guessed
    assert isinstance(value_for(public, ">= 5.0, < 6.1"), Unknown)
    assert isinstance(value_for(public, None), Unknown)
    assert isinstance(value_for(public, ">= banana"), Unknown)
    assert isinstance(value_for(public, ">= 7.0, < 5.0"), Unknown)  # allows no version


def test_redshift_unset_is_public_under_provider_5(tmp_path):
    root = _write(tmp_path, {"main.tf": _requires("~> 5.0") + REDSHIFT})
    (finding,) = _findings(root, "RG-AWS-050")
    assert finding[:3] == ("aws_redshift_cluster.w", "main.tf", 7)
    assert finding[3].endswith("(publicly_accessible is not set: the provider's default is true)")


def test_redshift_unset_is_private_under_provider_6(tmp_path):
    root = _write(tmp_path, {"main.tf": _requires(">= 6.0") + REDSHIFT})
    assert _findings(root, "RG-AWS-050") == []


def test_redshift_unset_without_constraint_is_unknown(tmp_path):
    root = _write(tmp_path, {"main.tf": REDSHIFT})
    report = scan([root], only=["RG-AWS-050"], base=root)
    assert report.findings == ()
    assert report.stats["undetermined"] == 1


def test_lock_file_pins_the_version(tmp_path):
    lock = ('provider "registry.terraform.io/hashicorp/aws" {\n  version     = "5.31.0"\n'
            '  constraints = ">= 4.0"\n  hashes = []\n}\n')
    root = _write(tmp_path, {"main.tf": _requires(">= 4.0") + REDSHIFT, ".terraform.lock.hcl": lock})
    assert [f[:3] for f in _findings(root, "RG-AWS-050")] == [("aws_redshift_cluster.w", "main.tf", 7)]


def test_child_module_inherits_the_root_constraint(tmp_path):
    root = _write(tmp_path, {
        "main.tf": _requires("~> 5.0") + 'module "dw" {\n  source = "./dw"\n}\n',
        "dw/main.tf": REDSHIFT,
    })
    assert [f[:3] for f in _findings(root, "RG-AWS-050")] == [
        ("module.dw.aws_redshift_cluster.w", "dw/main.tf", 2)]


def test_written_value_wins_over_the_default(tmp_path):
    root = _write(tmp_path, {"main.tf": _requires("~> 5.0") + REDSHIFT.replace(
        "encrypted          = true", "encrypted = true\n  publicly_accessible = false")})
    assert _findings(root, "RG-AWS-050") == []


LISTENER = """
resource "aws_lb" "web" {
  name               = "web"
  load_balancer_type = "%s"
}
resource "aws_lb_listener" "web" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/1"
  }
}
"""


def test_alb_listener_without_protocol_serves_http(tmp_path):
    root = _write(tmp_path, {"main.tf": LISTENER % "application"})
    (finding,) = _findings(root, "RG-AWS-042")
    assert finding[:3] == ("aws_lb_listener.web", "main.tf", 6)
    assert "protocol is not set: the provider's default is HTTP" in finding[3]


def test_nlb_listener_without_protocol_has_no_http_default(tmp_path):
    root = _write(tmp_path, {"main.tf": LISTENER % "network"})
    assert _findings(root, "RG-AWS-042") == []


def test_listener_of_an_unknown_load_balancer_gets_no_default(tmp_path):
    text = (LISTENER % "application").replace("aws_lb.web.arn", "var.lb_arn") + 'variable "lb_arn" {}\n'
    root = _write(tmp_path, {"main.tf": text})
    assert _findings(root, "RG-AWS-042") == []


def test_default_evidence_keeps_the_fingerprint_of_an_absent_attribute(tmp_path):
    """RG-AWS-030 tested `not exists` before the defaults table: the finding keeps its evidence (none)."""
    root = _write(tmp_path, {"main.tf": 'resource "aws_cloudtrail" "t" {\n  name = "t"\n  s3_bucket_name = "b"\n}\n'})
    (finding,) = scan([root], only=["RG-AWS-030"], base=root).findings
    assert finding.evidence == ()
    assert (finding.location.start_line, finding.location.end_line) == (1, 4)


def test_plan_resources_get_no_defaults(tmp_path):
    """A plan's values already hold the provider's defaults: an attribute it leaves out is not filled in."""
    import json
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [{
        "address": "aws_lb_listener.web", "mode": "managed", "type": "aws_lb_listener",
        "name": "web", "values": {"port": 80, "load_balancer_arn": "arn:aws:elasticloadbalancing:x"}}, {
        "address": "aws_cloudtrail.t", "mode": "managed", "type": "aws_cloudtrail",
        "name": "t", "values": {"name": "t", "enable_log_file_validation": None}}]}}}
    root = _write(tmp_path, {"plan.json": json.dumps(plan)})
    report = scan([root], only=["RG-AWS-030"], base=root)
    (finding,) = report.findings  # the policy's own absence test, not a default
    assert finding.message == "aws_cloudtrail.t does not validate log file integrity"


def test_the_defaults_table_is_part_of_the_code_stamp(tmp_path, monkeypatch):
    """Stored results (scanner/rescan.py) must not outlive a change to defaults.yaml."""
    import shutil

    from scanner import cache
    package = tmp_path / "scanner"
    os.makedirs(package / "policy")
    shutil.copy(os.path.join(os.path.dirname(cache.__file__), "policy", "defaults.yaml"), package / "policy")
    monkeypatch.setattr(cache, "_PACKAGE_DIR", str(package))
    monkeypatch.setattr(cache, "_CODE_STAMP", None)
    before = cache.code_stamp()
    with open(package / "policy" / "defaults.yaml", "a", encoding="utf-8") as handle:
        handle.write("# changed\n")
    monkeypatch.setattr(cache, "_CODE_STAMP", None)
    assert cache.code_stamp() != before


def test_data_files_read_as_written_and_a_broken_one_names_its_line(tmp_path):
    """defaults.yaml and coverage.yaml go through yamlnodes.load_file: the values yaml itself reads,
    None for an empty file, and a document that cannot be read names its file and line."""
    import re

    import yaml

    from scanner.policy.coverage import REASONS_FILE
    from scanner.policy.defaults import DEFAULTS_FILE
    from scanner.yamlnodes import load_file
    for path in (DEFAULTS_FILE, REASONS_FILE):
        with open(path, encoding="utf-8") as handle:
            assert load_file(path) == yaml.safe_load(handle)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_file(str(empty)) is None
    broken = tmp_path / "defaults.yaml"
    broken.write_text("- type: aws_s3_bucket\n  values: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match="^" + re.escape(f"{broken}:3: YAML syntax error")):
        load_file(str(broken))
