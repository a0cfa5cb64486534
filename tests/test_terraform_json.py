"""Terraform JSON: `.tf.json` syntax, the line-keeping JSON reader, and plan JSON with and without its `.tf` files."""

from __future__ import annotations

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from scanner.api import scan
from scanner.discover import discover
from scanner.model import is_unknown
from scanner.parse import ParseOptions, parse_all
from scanner.formats.terraform.jsonlines import JsonError, loads

PLAN = os.path.join(FIXTURES, "cases", "terraform", "plan")

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(_json, st.sampled_from([None, 1, 2]))
def test_json_reader_agrees_with_json_module(value, indent):
    text = json.dumps(value, indent=indent)
    assert loads(text)[0] == json.loads(text)


def test_json_reader_lines_and_errors():
    value, pos = loads('{\n  "a": [\n    1,\n    {"b": true}\n  ]\n}')
    assert (pos.key_line(value, "a"), pos.item_line(value["a"], 1), pos.line(value["a"][1])) == (2, 4, 4)
    for bad, line, column in (('{\n  "a": 1,\n}', 3, 1), ("[1, 2", 1, 6), ('{"a" 1}', 1, 6), ("[1] 2", 1, 5)):
        try:
            loads(bad)
        except JsonError as exc:
            assert (exc.line, exc.column) == (line, column), bad
            assert str(exc).endswith(f"(line {line}, column {column})")
        else:
            raise AssertionError(f"accepted {bad!r}")


def _resources(directory):
    parsed = parse_all(discover([directory], base=directory).files, ParseOptions())
    return {r.address: r for r in parsed.resources}, parsed.diagnostics


def test_tf_json_maps_onto_the_hcl_model(tmp_path):
    (tmp_path / "main.tf.json").write_text(json.dumps({
        "//": "comment",
        "locals": {"port": 22},
        "variable": {"cidr": {"default": "0.0.0.0/0", "type": "string"}},
        "resource": {"aws_security_group": {"web": {
            "for_each": "${toset([\"a\"])}",
            "tags": {"Name": "web-${each.key}"},
            "ingress": {"from_port": "${local.port}", "cidr_blocks": ["${var.cidr}"]},
            "dynamic": {"egress": {"for_each": [1, 2], "content": {"to_port": "${egress.value}"}}},
        }}},
        "module": {"child": {"source": "./child"}},
    }, indent=2))
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "main.tf.json").write_text('{"resource": [{"aws_s3_bucket": [{"b": [{"bucket": "x"}]}]}]}')
    found, diagnostics = _resources(str(tmp_path))
    assert diagnostics == []
    web = found['aws_security_group.web["a"]']
    assert web.attributes == {"tags": {"Name": "web-a"}, "ingress": [{"from_port": 22, "cidr_blocks": ["0.0.0.0/0"]}],
                              "egress": [{"to_port": 1}, {"to_port": 2}]}
    assert web.line_of("ingress.0.cidr_blocks.0") == 22 and web.location.start_line == 14
    assert found["module.child.aws_s3_bucket.b"].location.path == "child/main.tf.json"


def test_tf_json_syntax_error_is_a_diagnostic(tmp_path):
    (tmp_path / "main.tf.json").write_text('{"resource": {\n  "aws_s3_bucket": {"b": {}},\n}}')
    found, diagnostics = _resources(str(tmp_path))
    assert found == {}
    assert [(d.code, d.path, d.line) for d in diagnostics] == [("json-syntax", "main.tf.json", 3)]


def test_plan_alone_points_into_the_plan(builtin_policies):
    directory = os.path.join(PLAN, "only")
    found, diagnostics = _resources(directory)
    assert diagnostics == []
    db = found["module.db.aws_db_instance.this[0]"]
    assert is_unknown(db.attributes["vpc_security_group_ids"]) and db.attributes["publicly_accessible"] is True
    assert db.references == (("vpc_security_group_ids", "module.db.aws_security_group.extra"),)
    report = scan([directory], policies=[builtin_policies["RG-AWS-001"], builtin_policies["RG-AWS-002"]],
                  base=directory)
    assert sorted((f.resource, f.location.path, f.location.start_line) for f in report.findings) == [
        ("aws_security_group.web", "plan.json", 14),
        ("module.db.aws_db_instance.this[0]", "plan.json", 30),
    ]


def test_plan_beside_its_tf_files_takes_values_from_the_plan_and_lines_from_the_tf(builtin_policies):
    directory = os.path.join(PLAN, "with_tf")
    report = scan([directory], policies=[builtin_policies["RG-AWS-001"]], base=directory)
    # var.cidr has no value in the .tf files; the plan knows it: one finding, at the .tf line
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.findings] == [
        ("aws_security_group.web", "main.tf", 7)]
    assert report.stats["resources"] == 1  # the plan made from main.tf: its resources are read once
    found, _ = _resources(directory)
    assert list(found) == ["aws_security_group.web"]
    assert (found["aws_security_group.web"].location.path, found["aws_security_group.web"].source) == (
        "main.tf", "terraform")


def test_json_that_is_not_a_plan_is_a_diagnostic(tmp_path):
    (tmp_path / "plan.json").write_text('{"resource_changes": [], "planned_values": 3}')
    found, diagnostics = _resources(str(tmp_path))
    assert found == {} and [(d.code, d.line) for d in diagnostics] == [("plan-no-values", 1)]


def test_plan_beside_code_with_modules_reports_each_resource_once(builtin_policies):
    directory = os.path.join(PLAN, "with_modules")
    report = scan([directory], policies=[builtin_policies["RG-AWS-002"]], base=directory)
    # the module directory is not also scanned on its own: one finding, at the module's .tf line
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.findings] == [
        ("module.db.aws_db_instance.this[0]", "modules/db/main.tf", 3)]


def test_tf_json_escapes_and_directives(tmp_path):
    (tmp_path / "main.tf.json").write_text(json.dumps({"resource": {"aws_ssm_parameter": {"p": {
        "name": "$${not.interpolated} \"quoted\" back\\slash",
        "value": "%{ if true }yes%{ endif }",
        "type": "${upper(\"string\")}",
    }}}}))
    found, diagnostics = _resources(str(tmp_path))
    attrs = found["aws_ssm_parameter.p"].attributes
    assert attrs["name"] == '${not.interpolated} "quoted" back\\slash'
    assert attrs["value"] == "yes"  # template directives are evaluated as Terraform renders them
    assert attrs["type"] == "STRING" and diagnostics == []


def test_plan_values_known_unknown_sensitive_and_data_sources():
    found, diagnostics = _resources(os.path.join(PLAN, "states"))
    assert diagnostics == []
    # aws_instance.old is only in prior_state (being destroyed): not scanned
    assert sorted((a, r.source, r.location.start_line) for a, r in found.items()) == [
        ("aws_db_instance.db", "terraform", 18),
        ("aws_security_group.bare", "terraform", 7),
        ("data.aws_iam_policy_document.read", "terraform.data", 142),  # read while planning: prior_state
        ("module.net.aws_security_group.open", "terraform", 35),
        ("module.net.data.aws_vpc.later", "terraform.data", 57),       # read at apply: planned_values wins
    ]
    # a group without inline rules: Terraform marks the whole list known only after apply
    assert is_unknown(found["aws_security_group.bare"].attributes["ingress"])
    open_sg = found["module.net.aws_security_group.open"]
    assert open_sg.attributes["ingress"][0]["cidr_blocks"] == ["0.0.0.0/0"]
    assert is_unknown(open_sg.attributes["ingress"][0]["security_groups"])
    assert is_unknown(open_sg.attributes["ingress"][1]["cidr_blocks"][0])
    assert open_sg.line_of("ingress.0.cidr_blocks.0") == 43 and open_sg.line_of("ingress.1.cidr_blocks.0") == 49
    db = found["aws_db_instance.db"]
    assert db.attributes["password"] == "from-a-tfvars-file" and db.attributes["$sensitive"] == ["password"]
    assert found["module.net.data.aws_vpc.later"].attributes["tags"] == {"Name": "main"}
    # the document Terraform rendered is the one read, not re-rendered from (absent) statement blocks
    assert found["data.aws_iam_policy_document.read"].attributes["$policy"]["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]


def test_plan_inside_setup_terraform_wrapper_output(tmp_path):
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
         "values": {"bucket": "logs"}}]}}}
    (tmp_path / "plan.json").write_text(
        "[command]/tmp/x/terraform-bin show -json plan.tfplan\n" + json.dumps(plan) + "\n"
        "::debug::Terraform exited with code 0.\n::set-output name=exitcode::0\n")
    found, diagnostics = _resources(str(tmp_path))
    assert diagnostics == []
    assert found["aws_s3_bucket.b"].attributes == {"bucket": "logs"}
    assert found["aws_s3_bucket.b"].location.start_line == 2


def test_setup_terraform_wrapper_output_beside_its_tf_files_is_their_plan(tmp_path):
    directory = os.path.join(PLAN, "with_tf")
    (tmp_path / "main.tf").write_text(open(os.path.join(directory, "main.tf")).read())
    with open(os.path.join(directory, "plan.json")) as handle:
        plan = json.load(handle)
    (tmp_path / "plan.json").write_text(
        "[command]/tmp/x/terraform-bin show -json plan.tfplan\n" + json.dumps(plan) + "\n"
        "::debug::Terraform exited with code 0.\n")
    found, diagnostics = _resources(str(tmp_path))
    assert list(found) == ["aws_security_group.web"]  # read once, from the plan
    web = found["aws_security_group.web"]
    assert (web.location.path, web.location.start_line) == ("main.tf", 1)
    assert [(d.code, d.path) for d in diagnostics] == [("plan-root", "plan.json")]
    assert diagnostics[0].message.startswith("the plan of the .tf files beside it")


def test_plan_beside_its_tofu_files_takes_lines_from_them(tmp_path):
    directory = os.path.join(PLAN, "with_tf")
    (tmp_path / "main.tofu").write_text(open(os.path.join(directory, "main.tf")).read())
    (tmp_path / "plan.json").write_text(open(os.path.join(directory, "plan.json")).read())
    found, _ = _resources(str(tmp_path))
    assert list(found) == ["aws_security_group.web"]
    web = found["aws_security_group.web"]
    assert (web.location.path, web.location.start_line) == ("main.tofu", 1)
    assert web.lines["ingress.0.cidr_blocks"] == 7


def test_plans_with_the_same_addresses_stay_apart(tmp_path):
    def plan(bucket):
        return json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
             "values": {"bucket": bucket}}]}}}, indent=1)
    for name, bucket in (("dev/plan.json", "dev"), ("prod/plan.json", "prod"), ("prod/again.json", "again"),
                         ("other/plan.json", None)):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        text = plan(bucket) if bucket else plan("x").replace("aws_s3_bucket.b", "aws_s3_bucket.only")
        (tmp_path / name).write_text(text)
    found, diagnostics = _resources(str(tmp_path))
    assert diagnostics == []
    assert {a: r.attributes.get("bucket") for a, r in found.items()} == {
        "dev/plan.json:aws_s3_bucket.b": "dev",
        "prod/plan.json:aws_s3_bucket.b": "prod",
        "prod/again.json:aws_s3_bucket.b": "again",
        "aws_s3_bucket.only": "x",
    }
    assert found["prod/again.json:aws_s3_bucket.b"].location.path == "prod/again.json"
