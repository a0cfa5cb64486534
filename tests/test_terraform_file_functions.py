"""file(), fileexists(), templatefile() inside the scanned root; template text, directives and strip markers as Terraform renders them."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.api import load, scan
from scanner.model import is_unknown
from scanner.formats.terraform.expressions import PartialTemplate, Scope, evaluate
from scanner.formats.terraform.files import FileAccess
from scanner.formats.terraform.syntax import parse_hcl
from scanner.parse import ParseContext, ParseOptions

ROOT = os.path.join(FIXTURES, "cases", "terraform", "files", "root")


def _resources():
    loaded = load([ROOT], base=ROOT)
    return {r.address: r for r in loaded.resources}, loaded.diagnostics


def test_an_iam_policy_read_with_file_is_checked():
    report = scan([ROOT], base=ROOT, only=["RG-AWS-003"])
    assert sorted((f.resource, f.location.path, f.location.start_line) for f in report.findings) == [
        ("aws_iam_policy.admin", "main.tf", 3)]


def test_a_file_outside_the_scanned_root_is_not_read_and_says_so():
    found, diagnostics = _resources()
    assert is_unknown(found["aws_iam_policy.outside"].attributes["policy"])
    assert [(d.code, d.level) for d in diagnostics if d.code == "file-not-read"] == [("file-not-read", "info")]
    assert "../outside.json" in next(d.message for d in diagnostics if d.code == "file-not-read")


def test_fileexists_inside_the_root():
    found, _ = _resources()
    assert found["aws_ssm_parameter.flag"].attributes["value"] == "yes"


def test_templatefile_keeps_known_text_beside_an_unknown_value():
    found, _ = _resources()
    user_data = found["aws_instance.web"].attributes["user_data"]
    assert isinstance(user_data, PartialTemplate)  # the DB address is known only at apply
    text = "".join(p if isinstance(p, str) else "<?>" for p in user_data.parts)
    assert text == ("#!/bin/bash\nexport DB_HOST=<?>\n"
                    "export AWS_SECRET_ACCESS_KEY=Tq9vXz3LmN8pR2sW5yB7cD4fG6hJ1kA0eU3iO5rX\n"
                    "open-port 80\nopen-port 443\nset +x\n")


def test_a_secret_in_a_template_file_is_found_at_the_templatefile_call():
    report = scan([ROOT], base=ROOT, only=["RG-SEC-007"])
    assert [(f.resource, f.location.start_line) for f in report.findings] == [("aws_instance.web", 19)]


def _render(source, **names):
    parsed = parse_hcl(source.encode(), "t.tf")
    assert parsed.diagnostics == []
    return evaluate(parsed.attributes["v"].expr, Scope({}, extra=names))


@pytest.mark.parametrize("source, names, expected", [
    ('v = "a ${x} b"\n', {"x": 1}, "a 1 b"),
    ('v = "  ${x}  "\n', {"x": "q"}, "  q  "),
    ('v = "%{if c}yes%{else}no%{endif}"\n', {"c": False}, "no"),
    ('v = "%{ for i in l }[${i}]%{ endfor }"\n', {"l": [1, 2]}, "[1][2]"),
    ('v = "%{ for k, v in m }${k}=${v};%{ endfor }"\n', {"m": {"a": 1, "b": 2}}, "a=1;b=2;"),
    ('v = "x ${~ y ~} z"\n', {"y": "Y"}, "xYz"),
    ('v = <<EOT\na ${x}\nb\nEOT\n', {"x": 1}, "a 1\nb\n"),
    ('v = <<-EOT\n    {\n      "a": ${x}\n    }\n    EOT\n', {"x": 1}, '{\n  "a": 1\n}\n'),
    ('v = <<EOT\n%{ for i in l ~}\n${i}\n%{ endfor ~}\nEOT\n', {"l": [1, 2]}, "1\n2\n"),
    ('v = "$${literal} %%{literal}"\n', {}, "${literal} %{literal}"),
])
def test_templates_render_as_terraform_renders_them(source, names, expected):
    assert _render(source, **names) == expected


def test_a_directive_over_an_unknown_value_is_unknown_but_keeps_the_text_around_it():
    value = _render('v = "head %{ if c }a%{ endif } tail"\n')
    assert isinstance(value, PartialTemplate)
    assert value.parts[0] == "head " and value.parts[-1] == " tail"


def test_a_root_at_the_filesystem_root_still_contains_its_files(tmp_path):
    """The scanned root '/' holds every file: a prefix test with root + os.sep ('//') refused them all."""
    (tmp_path / "policy.json").write_text('{"a": 1}')
    problems: list = []
    access = FileAccess(ParseContext(ParseOptions()), os.sep, str(tmp_path), problems, ".")
    assert access.read("policy.json") == '{"a": 1}' and problems == []
    assert access.exists("policy.json") is True
