"""Terraform modules: nested local modules with count / for_each, outputs, downloaded registry modules, cycles."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import scan
from scanner.discover import discover
from scanner.parse import ParseOptions, parse_all

MODULES = os.path.join(FIXTURES, "cases", "terraform", "modules")


def _scan(name, policy, directory=None):
    directory = directory or os.path.join(MODULES, name)
    report = scan([directory], policies=[policy], base=directory)
    findings = sorted((f.resource, f.location.path, f.location.start_line) for f in report.findings)
    return findings, sorted((d.code, d.path, d.line) for d in report.diagnostics)


def _resources(directory):
    found = discover([directory], base=directory)
    parsed = parse_all(found.files, ParseOptions())
    return {r.address: r for r in parsed.resources}, parsed.diagnostics


def test_nested_modules_point_into_the_module_file(builtin_policies):
    findings, diagnostics = _scan("nested", builtin_policies["RG-AWS-002"])
    assert findings == [('module.app.module.db["green"].aws_db_instance.this', "modules/db/main.tf", 9)]
    assert diagnostics == []


def test_module_instances_and_outputs():
    found, _ = _resources(os.path.join(MODULES, "nested"))
    assert sorted(a for a in found if a.startswith("module.")) == [
        'module.app.module.db["blue"].aws_db_instance.this',
        'module.app.module.db["green"].aws_db_instance.this',
        "module.app.module.replica[0].aws_db_instance.this",
        "module.app.module.replica[1].aws_db_instance.this",
    ]
    assert found["module.app.module.replica[1].aws_db_instance.this"].attributes["identifier"] == "replica-1"
    # an output of a for_each module, read through a for expression in the parent's output
    assert found["aws_ssm_parameter.names"].attributes["value"] == "orders-blue,orders-green"


def test_a_module_that_includes_itself_is_reported_once_and_not_followed(builtin_policies):
    found, diagnostics = _resources(os.path.join(MODULES, "cycle"))
    assert sorted(found) == ["module.loop.aws_s3_bucket.here"]
    assert [(d.code, d.path, d.line) for d in diagnostics] == [("module-cycle", "modules/loop/main.tf", 5)]


def test_downloaded_registry_module_is_read_from_modules_json(builtin_policies):
    findings, diagnostics = _scan("installed", builtin_policies["RG-AWS-002"])
    assert findings == [("module.rds.aws_db_instance.this", ".terraform/modules/rds/main.tf", 4)]
    # vpc's manifest entry points outside the root module: not followed, so its description is used
    assert diagnostics == [("module-described", "main.tf", 7)]


def test_remote_module_without_download_is_an_info_diagnostic(tmp_path):
    (tmp_path / "main.tf").write_text('module "vpc" {\n  source = "git::https://example.com/vpc.git"\n}\n')
    found, diagnostics = _resources(str(tmp_path))
    assert found == {}
    assert [(d.code, d.level, d.line) for d in diagnostics] == [("module-not-local", "info", 1)]


def test_modules_wired_through_each_other_resolve_in_any_order(tmp_path):
    (tmp_path / "main.tf").write_text(
        'module "b" {\n  source = "./m"\n  cidr = module.a.cidr\n}\n'
        'module "a" {\n  source = "./m"\n  cidr = "0.0.0.0/0"\n}\n')
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "cidr" {}\nresource "aws_vpc" "v" {\n  cidr_block = var.cidr\n}\n'
        'output "cidr" {\n  value = aws_vpc.v.cidr_block\n}\n')
    found, diagnostics = _resources(str(tmp_path))
    assert found["module.b.aws_vpc.v"].attributes["cidr_block"] == "0.0.0.0/0"
    assert diagnostics == []


def test_references_follow_locals_module_inputs_and_outputs(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "r" {\n  name = "app"\n}\n'
        'module "fn" {\n  source = "./fn"\n  role   = aws_iam_role.r.arn\n}\n'
        'resource "aws_lambda_permission" "p" {\n  function_name = module.fn.name\n}\n')
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "main.tf").write_text(
        'variable "role" {}\nlocals {\n  role = var.role\n}\n'
        'resource "aws_lambda_function" "this" {\n  count = 1\n  role  = local.role\n}\n'
        'output "name" {\n  value = aws_lambda_function.this[0].function_name\n}\n')
    found, _ = _resources(str(tmp_path))
    assert found["module.fn.aws_lambda_function.this[0]"].references == (("role", "aws_iam_role.r"),)
    assert found["aws_lambda_permission.p"].references == (
        ("function_name", "module.fn.aws_lambda_function.this[0]"),)


def test_module_code_no_root_instantiates_is_scanned_on_its_own(tmp_path):
    (tmp_path / "wrapper").mkdir()
    (tmp_path / "wrapper" / "main.tf").write_text(
        'module "w" {\n  source   = "../mod"\n  for_each = {}\n}\n')
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    found, _ = _resources(str(tmp_path))
    assert sorted(found) == ["aws_s3_bucket.b"]
    assert found["aws_s3_bucket.b"].location.path == "mod/main.tf"


def test_roots_producing_the_same_addresses_stay_distinct(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            'resource "aws_security_group" "g" {}\n'
            'resource "aws_instance" "i" {\n  vpc_security_group_ids = [aws_security_group.g.id]\n}\n')
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "main.tf").write_text('resource "aws_s3_bucket" "only" {}\n')
    found, _ = _resources(str(tmp_path))
    assert sorted(found) == ["a:aws_instance.i", "a:aws_security_group.g", "aws_s3_bucket.only",
                             "b:aws_instance.i", "b:aws_security_group.g"]
    assert found["b:aws_instance.i"].references == (("vpc_security_group_ids.0", "b:aws_security_group.g"),)


def test_a_module_taken_whole_becomes_plain_data(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text('output "Name" {\n  value = "x"\n}\noutput "Env" {\n  value = "prod"\n}\n')
    (tmp_path / "main.tf").write_text(
        'module "labels" {\n  source = "./m"\n}\n'
        'resource "aws_s3_bucket" "b" {\n  tags = module.labels\n  list = [{ a = module.labels }]\n}\n')
    found, _ = _resources(str(tmp_path))
    assert found["aws_s3_bucket.b"].attributes == {
        "tags": {"Env": "prod", "Name": "x"}, "list": [{"a": {"Env": "prod", "Name": "x"}}]}
