"""Terraform values: the same open SSH rule written ten ways fails at the same kind of place; written safely, passes.

Each folder under ``fixtures/cases/terraform/values/<variant>/`` holds a
``fail`` and a ``pass`` tree that differ only in the CIDR (0.0.0.0/0 vs
10.0.0.0/8); ``expected.yaml`` lists the exact failing addresses and lines.
"""

from __future__ import annotations

import os

import pytest
import yaml

from conftest import FIXTURES
from scanner.api import scan, terraform_environment
from scanner.model import is_unknown
from scanner.parse import ParseOptions, parse_all
from scanner.discover import discover

VALUES = os.path.join(FIXTURES, "cases", "terraform", "values")
VARIANTS = sorted(os.listdir(VALUES))


def _failures(policy, directory, **kwargs):
    report = scan([directory], policies=[policy], base=directory, **kwargs)
    assert not [d for d in report.diagnostics if d.level == "error"], report.diagnostics
    return sorted((f.resource, f.location.path, f.location.start_line) for f in report.findings)


def _resources(directory, **options):
    found = discover([directory], base=directory)
    return {r.address: r for r in parse_all(found.files, ParseOptions(**options)).resources}


@pytest.mark.parametrize("variant", VARIANTS)
def test_written_any_way_the_open_rule_fails(variant, builtin_policies):
    with open(os.path.join(VALUES, variant, "expected.yaml"), encoding="utf-8") as handle:
        want = sorted((e["resource"], e["file"], e["line"]) for e in yaml.safe_load(handle)["fail"])
    got = _failures(builtin_policies["RG-AWS-001"], os.path.join(VALUES, variant, "fail"))
    assert got == want


@pytest.mark.parametrize("variant", VARIANTS)
def test_written_any_way_the_private_rule_passes(variant, builtin_policies):
    directory = os.path.join(VALUES, variant, "pass")
    assert _resources(directory), "the pass tree must hold resources"
    assert _failures(builtin_policies["RG-AWS-001"], directory) == []


def test_cli_var_beats_tfvars_and_env(builtin_policies):
    directory = os.path.join(VALUES, "tfvars", "pass")  # terraform.tfvars says 10.0.0.0/8
    opened = _resources(directory, variables={"cidr": "0.0.0.0/0"},
                        env={"TF_VAR_cidr": "10.2.0.0/16"})
    assert opened["aws_security_group.ssh"].attributes["ingress"][0]["cidr_blocks"] == ["0.0.0.0/0"]
    via_env = _resources(os.path.join(VALUES, "variable_default", "pass"),
                         env={"TF_VAR_cidr": "0.0.0.0/0"})
    assert via_env["aws_security_group.ssh"].attributes["ingress"][0]["cidr_blocks"] == ["0.0.0.0/0"]


def test_var_file_option(tmp_path):
    extra = tmp_path / "prod.tfvars"
    extra.write_text('cidr = "0.0.0.0/0"\n')
    found = _resources(os.path.join(VALUES, "tfvars", "pass"), var_files=(str(extra),))
    assert found["aws_security_group.ssh"].attributes["ingress"][0]["cidr_blocks"] == ["0.0.0.0/0"]


def test_typed_cli_values_are_read_as_hcl(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "ports" {\n  type = list(number)\n}\nvariable "name" {\n  type = string\n}\n'
        'resource "aws_security_group" "s" {\n  name = var.name\n  ingress {\n'
        '    from_port = var.ports[1]\n  }\n}\n')
    found = _resources(str(tmp_path), variables={"name": "[1]"}, env={"TF_VAR_ports": "[22, 3389]"})
    attrs = found["aws_security_group.s"].attributes
    assert attrs["name"] == "[1]" and attrs["ingress"][0]["from_port"] == 3389


def test_unknown_stays_unknown(tmp_path, builtin_policies):
    (tmp_path / "main.tf").write_text(
        'variable "cidr" {}\n'
        'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n'
        'resource "aws_security_group" "ssh" {\n  vpc_id = aws_vpc.main.id\n  ingress {\n'
        '    from_port   = 22\n    to_port     = 22\n    cidr_blocks = [var.cidr, data.x.y.cidr]\n'
        '    description = "${aws_vpc.main.arn} and ${aws_vpc.main.cidr_block}"\n  }\n}\n')
    attrs = _resources(str(tmp_path))["aws_security_group.ssh"].attributes
    assert is_unknown(attrs["vpc_id"])  # computed attribute
    assert all(is_unknown(c) for c in attrs["ingress"][0]["cidr_blocks"])
    assert is_unknown(attrs["ingress"][0]["description"])
    assert _failures(builtin_policies["RG-AWS-001"], str(tmp_path)) == []


def test_count_zero_removes_the_resource_and_references_see_literals(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "enabled" {\n  default = false\n}\n'
        'resource "aws_instance" "web" {\n  count = var.enabled ? 1 : 0\n}\n'
        'resource "aws_s3_bucket" "b" {\n  for_each = toset(["logs", "data"])\n  bucket = "co-${each.key}"\n}\n'
        'resource "aws_s3_bucket_policy" "p" {\n  bucket = aws_s3_bucket.b["logs"].bucket\n'
        '  count  = length(aws_instance.web)\n}\n'
        'resource "aws_s3_bucket_acl" "a" {\n  bucket = aws_s3_bucket.b["data"].bucket\n'
        '  acl    = length(aws_instance.web) == 0 ? "private" : "public-read"\n}\n')
    found = _resources(str(tmp_path))
    assert sorted(found) == ['aws_s3_bucket.b["data"]', 'aws_s3_bucket.b["logs"]', "aws_s3_bucket_acl.a"]
    acl = found["aws_s3_bucket_acl.a"]
    assert acl.attributes == {"bucket": "co-data", "acl": "private"}
    assert acl.references == (("bucket", 'aws_s3_bucket.b["data"]'), ("acl", "aws_instance.web"))
    assert acl.line_of("acl") == 17


_BY_WORKSPACE = (
    'locals {\n  is_production = terraform.workspace == "app-production"\n}\n'
    'resource "aws_cloudwatch_log_group" "app" {\n  count             = local.is_production ? 1 : 0\n'
    '  retention_in_days = 400\n}\n'
    'resource "aws_cloudwatch_log_group" "dev" {\n  count             = local.is_production ? 0 : 1\n'
    '  retention_in_days = 7\n}\n'
    'resource "aws_s3_bucket" "b" {\n  bucket = "logs-${terraform.workspace}"\n}\n')


def test_the_workspace_is_chosen_at_deploy_time_unless_selected(tmp_path, monkeypatch):
    """terraform.workspace: TF_WORKSPACE, else .terraform/environment, else unknown (not Terraform's
    fallback "default": code that reads it is deployed in the workspaces it names)."""
    (tmp_path / "main.tf").write_text(_BY_WORKSPACE)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    unknown = _resources(str(tmp_path))
    assert sorted(unknown) == ["aws_cloudwatch_log_group.app", "aws_cloudwatch_log_group.dev", "aws_s3_bucket.b"]
    assert is_unknown(unknown["aws_s3_bucket.b"].attributes["bucket"])
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("app-production")
    selected = _resources(str(tmp_path))
    assert sorted(selected) == ["aws_cloudwatch_log_group.app[0]", "aws_s3_bucket.b"]
    assert selected["aws_s3_bucket.b"].attributes["bucket"] == "logs-app-production"
    monkeypatch.setenv("TF_WORKSPACE", "app-development")  # Terraform's own override of the selection
    assert terraform_environment()["TF_WORKSPACE"] == "app-development"   # what a scan passes on
    given = _resources(str(tmp_path), env=terraform_environment())
    assert sorted(given) == ["aws_cloudwatch_log_group.dev[0]", "aws_s3_bucket.b"]
    assert given["aws_s3_bucket.b"].attributes["bucket"] == "logs-app-development"


def test_an_index_not_known_into_values_all_the_same_gives_that_value(tmp_path, monkeypatch):
    """DWP's `local.deploy_ithc_infra[local.environment] ? 1 : 0` over a map false for every environment:
    whichever workspace is deployed, nothing is created. A map that differs stays unknown."""
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    (tmp_path / "main.tf").write_text(
        'locals {\n  environment = terraform.workspace\n'
        '  deploy_kali  = { development = false, qa = false, production = false }\n'
        '  deploy_proxy = { development = true, qa = false, production = false }\n'
        '  sizes        = ["t3.small", "t3.small"]\n}\n'
        'resource "aws_instance" "kali" {\n  count = local.deploy_kali[local.environment] ? 1 : 0\n}\n'
        'resource "aws_instance" "proxy" {\n  count = local.deploy_proxy[local.environment] ? 1 : 0\n}\n'
        'resource "aws_instance" "web" {\n  instance_type = local.sizes[var.which]\n}\n'
        'variable "which" {}\n')
    resources = _resources(str(tmp_path))
    assert sorted(resources) == ["aws_instance.proxy", "aws_instance.web"]  # proxy: one instance, count unknown
    assert resources["aws_instance.web"].attributes["instance_type"] == "t3.small"


def test_a_count_given_as_a_string_is_converted_as_terraform_does(tmp_path):
    """govuk-aws' modules default count variables to "0" and "1" (untyped): Terraform converts them."""
    (tmp_path / "main.tf").write_text(
        'variable "create_replica" {\n  default = "0"\n}\n'
        'variable "create_primary" {\n  default = "1"\n}\n'
        'resource "aws_db_instance" "replica" {\n  count = var.create_replica\n}\n'
        'resource "aws_db_instance" "primary" {\n  count = var.create_primary\n}\n'
        'resource "aws_db_instance" "odd" {\n  count = "two"\n}\n')
    found = discover([str(tmp_path)], base=str(tmp_path))
    parsed = parse_all(found.files, ParseOptions())
    assert sorted(r.address for r in parsed.resources) == ["aws_db_instance.odd", "aws_db_instance.primary[0]"]
    assert [(d.code, d.line) for d in parsed.diagnostics] == [("instances-unknown", 14)]   # "two": no number


def test_blanks_at_either_end_of_a_string_are_kept(tmp_path):
    """analytical-platform's `lower(replace(var.name, " ", "-"))`: the " " read as "" put a "-" between
    every character, and made a PagerDuty address look like a credential (round 15)."""
    (tmp_path / "main.tf").write_text(
        'variable "name" {\n  default = "Analytical Platform"\n}\n'
        'resource "aws_ssm_parameter" "p" {\n'
        '  name        = lower(replace(var.name, " ", "-"))\n'
        '  value       = join(" ", ["a", "b"])\n'
        '  description = "  padded \\"quoted\\" "\n'
        '  type        = " "\n'
        '  key_id      = "caf\u00e9 "\n'
        '}\n', encoding="utf-8")
    found = discover([str(tmp_path)], base=str(tmp_path))
    attributes = parse_all(found.files, ParseOptions()).resources[0].attributes
    assert attributes == {"name": "analytical-platform", "value": "a b", "description": '  padded "quoted" ',
                          "type": " ", "key_id": "caf\u00e9 "}


def test_unknown_count_keeps_one_instance_and_says_so(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "create" {}\n'
        'module "m" {\n  source = "./m"\n}\n'
        'resource "aws_s3_bucket" "b" {\n  count  = var.create ? 1 : 0\n  bucket = "b-${count.index}"\n}\n'
        'resource "aws_s3_bucket" "c" {\n  count  = var.create ? 2 : 0\n}\n')
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "names" {\n  type = list(string)\n}\n'
        'resource "aws_s3_bucket" "each" {\n  for_each = toset(var.names)\n  bucket = each.key\n}\n')
    found = discover([str(tmp_path)], base=str(tmp_path))
    parsed = parse_all(found.files, ParseOptions())
    resources = {r.address: r for r in parsed.resources}
    assert sorted(resources) == ["aws_s3_bucket.b", "aws_s3_bucket.c", "module.m.aws_s3_bucket.each"]
    assert is_unknown(resources["aws_s3_bucket.b"].attributes["bucket"])
    assert is_unknown(resources["module.m.aws_s3_bucket.each"].attributes["bucket"])
    notes = sorted((d.code, d.path, d.line, d.level) for d in parsed.diagnostics)
    assert notes == [("instances-unknown", "m/main.tf", 5, "info"),
                     ("instances-unknown", "main.tf", 6, "info")]
    (root,) = [d for d in parsed.diagnostics if d.path == "main.tf"]
    assert "aws_s3_bucket.b (line 6)" in root.message and "aws_s3_bucket.c (line 10)" in root.message


@pytest.mark.parametrize("declared, given, want", [
    ("object({ a = optional(list(object({ b = optional(bool, true) })), [{}]) })", {}, {"a": [{"b": True}]}),
    ("object({ a = optional(string), b = optional(number, 1) })", {"b": None, "x": 1}, {"a": None, "b": 1}),
    ("map(object({ port = number }))", {"k": {"port": "443"}}, {"k": {"port": 443}}),
    ("tuple([string, bool])", [None, "false"], [None, False]),
    ("list(map(string))", [{"from_port": 22, "tls": True}], [{"from_port": 22, "tls": True}]),
    ("any", {"x": "1"}, {"x": "1"}),
])
def test_values_take_their_declared_type(declared, given, want):
    from scanner.formats.terraform.syntax import parse_hcl
    from scanner.formats.terraform.types import convert, parse_type

    t = parse_type(parse_hcl(f"t = {declared}\n".encode(), "t.tf").attributes["t"].expr)
    assert convert(given, t) == want


def test_a_value_of_the_wrong_type_is_an_error_not_a_guess():
    from scanner.formats.terraform.values import Invalid
    from scanner.formats.terraform.syntax import parse_hcl
    from scanner.formats.terraform.types import convert, parse_type

    t = parse_type(parse_hcl(b"t = object({ port = number, on = bool })\n", "t.tf").attributes["t"].expr)
    got = convert({"port": "ssh", "on": "yes"}, t)
    assert isinstance(got["port"], Invalid) and isinstance(got["on"], Invalid)
    assert isinstance(convert({}, t)["port"], Invalid)  # a required attribute left out


UNKNOWN = object()  # marks an expected unknown result


@pytest.mark.parametrize("expression, want", [
    ('try(var.obj.missing, "x")', "x"),
    ('try(var.apply_time, "x")', UNKNOWN),
    ('try(var.apply_time.field, "x")', UNKNOWN),
    ('try(var.obj.a, var.apply_time)', 1),
    ('try(title(lower(var.obj.missing)), null)', None),
    ('try(regex("a(b)", "zzz"), "none")', "none"),
    ('try(var.null.field, 5)', 5),
    ("can(var.obj.missing)", False),
    ("can(var.apply_time)", UNKNOWN),
    ("var.apply_time && false", False),
    ("var.apply_time || true", True),
    ("var.apply_time && true", UNKNOWN),
    ("!var.apply_time", UNKNOWN),
    ('var.off_string || var.apply_time', UNKNOWN),
    ('!var.off_string', True),
    ("var.apply_time ? 2 : 2", 2),
    ("var.apply_time ? 1 : 2", UNKNOWN),
    ('coalescelist([], ["a"])', ["a"]),
    ('coalescelist(var.apply_time, ["a"])', UNKNOWN),
    ("alltrue([var.apply_time, false])", False),
    ("anytrue([var.apply_time, false])", UNKNOWN),
    ('anytrue([var.apply_time, "true"])', True),
    ('replace("a-b-c", "/-([a-z])/", "_$1")', "a_b_c"),
    ('replace("a/b", "/", "-")', "a-b"),
    ('regexall("[0-9]+", "a1b22")', ["1", "22"]),
    ('try(one([1, 2]), "many")', "many"),
    ("tostring(null)", None),
    ('[for k, v in toset(["x", "y"]) : k]', ["x", "y"]),
    ('var.obj.a == "1"', True),
    ("var.obj.a == true", False),
    ('true == "true"', True),
    ("title(lower(true))", "True"),
    ('"1e3" + 1', 1001.0),  # arithmetic converts a string as tonumber() does
])
def test_expression_values(expression, want):
    from scanner.model import Unknown
    from scanner.formats.terraform.expressions import Scope, evaluate
    from scanner.formats.terraform.syntax import parse_hcl

    expr = parse_hcl(f"v = {expression}\n".encode(), "v.tf").attributes["v"].expr
    got = evaluate(expr, Scope({"var": {"apply_time": Unknown("no value"), "obj": {"a": 1},
                                        "null": None, "off_string": "false"}}))
    if want is UNKNOWN:
        assert is_unknown(got)
    else:
        assert not is_unknown(got) and got == want and type(got) is type(want)


def test_a_resource_passed_whole_to_a_module_keeps_its_computed_attributes_unknown(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n  tags = { a = "b" }\n}\n'
        'module "m" {\n  source = "./m"\n  vpc    = aws_vpc.main\n}\n')
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "vpc" {\n  type = object({ id = string, cidr_block = string })\n}\n'
        'resource "aws_subnet" "s" {\n  vpc_id     = try(var.vpc.id, "fallback")\n'
        '  cidr_block = var.vpc.cidr_block\n}\n')
    attrs = _resources(str(tmp_path))["module.m.aws_subnet.s"].attributes
    assert is_unknown(attrs["vpc_id"]) and attrs["cidr_block"] == "10.0.0.0/16"
