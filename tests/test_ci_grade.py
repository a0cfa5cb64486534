"""CI-grade behaviour (issue 17): each way a build went green, crashed or leaked, reproduced and now right.

Exit codes: 0 clean, 1 findings, 2 usage, 3 incomplete (wins over 1), 4 output not written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from scanner.cli import main

SHOP = os.path.join(ROOT, "fixtures", "cases", "cli", "shop")
PUBLIC_DB = 'resource "aws_db_instance" "db" {\n  publicly_accessible = true\n}\n'
TRUNCATED = 'resource "aws_db_instance" "db" {\n  publicly_accessible = true\n'


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sarif_of(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# -- green builds that scanned nothing ------------------------------------------------------

def test_a_path_that_does_not_exist_is_a_usage_error(capsys, tmp_path):
    out = tmp_path / "x.sarif"
    code, stdout, err = run(capsys, "scan", "/nonexistent/path", "-f", "sarif", "-o", str(out))
    assert code == 2
    assert err == "riskgraph: path does not exist: '/nonexistent/path'\n"
    assert not out.exists() and stdout == ""
    assert run(capsys, "baseline", "/nonexistent/path", "-o", str(out))[0] == 2
    assert run(capsys, "graph", "/nonexistent/path")[0] == 2


def test_a_truncated_file_makes_the_scan_incomplete(capsys, tmp_path):
    (tmp_path / "main.tf").write_text(TRUNCATED)
    sarif = tmp_path / "out.sarif"
    code, _, err = run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002", "-f", "sarif",
                       "-o", str(sarif))
    assert code == 3
    assert "scan incomplete: main.tf:3: error: HCL syntax error" in err and "[hcl-syntax]" in err
    invocation = sarif_of(sarif)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == ["hcl-syntax"]
    code, out, _ = run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002")
    assert code == 3 and out.startswith("SCAN INCOMPLETE: 1 file(s) or step(s) not covered")
    # teams that accept partial scans say so, on the command line or in the configuration
    assert run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002", "--allow-incomplete")[0] == 0
    (tmp_path / ".riskgraph.yaml").write_text("allow_incomplete: true\n")
    assert run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002")[0] == 0


def test_incomplete_wins_over_findings(capsys, tmp_path):
    (tmp_path / "main.tf").write_text(PUBLIC_DB)
    (tmp_path / "broken.tf").write_text(TRUNCATED)
    code, out, _ = run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002")
    assert code == 3 and "main.tf:2  RG-AWS-002  aws_db_instance.db" in out
    assert run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002", "--allow-incomplete")[0] == 1


def test_a_file_that_cannot_be_read_makes_the_scan_incomplete(capsys, tmp_path):
    (tmp_path / "main.tf").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    code, _, err = run(capsys, "scan", str(tmp_path / "main.tf"))
    assert code == 3 and "[binary-file]" in err
    if os.geteuid() != 0:  # root reads a file whatever its mode
        locked = tmp_path / "locked.tf"
        locked.write_text(PUBLIC_DB)
        locked.chmod(0)
        assert run(capsys, "scan", str(locked))[0] == 3


def test_a_clean_complete_scan_exits_0(capsys, tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_db_instance" "db" {\n  publicly_accessible = false\n}\n')
    code, out, err = run(capsys, "scan", str(tmp_path), "--only", "RG-AWS-002")
    assert (code, err) == (0, "") and out.startswith("0 findings")


# -- output paths ---------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["scan", SHOP, "--only", "RG-AWS-002", "-f", "sarif"],
                                     ["baseline", SHOP, "--only", "RG-AWS-002"],
                                     ["graph", SHOP]], ids=["scan", "baseline", "graph"])
def test_output_errors_are_one_line_and_exit_4(capsys, tmp_path, command):
    cases = {str(tmp_path / "missing-dir" / "x.sarif"): "does not exist",
             str(tmp_path): "is a directory",
             "/dev/full": "No space left on device"}
    for target, reason in cases.items():
        code, _, err = run(capsys, *command, "-o", target)
        assert code == 4, target
        assert err == f"riskgraph: {err[len('riskgraph: '):].strip()}\n" and reason in err, err


def test_dash_means_standard_output(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "scan", SHOP, "--only", "RG-AWS-002", "-f", "json", "-o", "-")
    assert code == 1 and json.loads(out)["findings"][0]["policy_id"] == "RG-AWS-002"
    assert not (tmp_path / "-").exists()
    code, out, _ = run(capsys, "baseline", SHOP, "--only", "RG-AWS-002", "-o", "-")
    assert code == 0 and json.loads(out)["findings"][0]["policy_id"] == "RG-AWS-002"
    assert not (tmp_path / "-").exists()


def test_a_symbolic_link_at_the_output_is_refused(capsys, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("precious\n")
    link = tmp_path / "riskgraph.sarif"
    link.symlink_to(elsewhere)
    code, _, err = run(capsys, "scan", SHOP, "--only", "RG-AWS-002", "-f", "sarif", "-o", str(link))
    assert code == 4 and "is a symbolic link; refusing to write through it" in err
    assert elsewhere.read_text() == "precious\n" and link.is_symlink()


def test_output_is_replaced_atomically(capsys, tmp_path):
    target = tmp_path / "report.sarif"
    target.write_text("old")
    target.chmod(0o640)
    assert run(capsys, "scan", SHOP, "--only", "RG-AWS-002", "-f", "sarif", "-o", str(target))[0] == 1
    assert sarif_of(target)["version"] == "2.1.0"
    assert oct(target.stat().st_mode & 0o777) == "0o640"          # the file's mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif"]  # no temporary left


def test_a_report_is_written_piece_by_piece_and_a_failure_mid_way_keeps_the_old_file(tmp_path):
    from scanner.output import write_output

    target = tmp_path / "report.json"
    target.write_text("old")
    written = []

    def pieces():
        for piece in ("{", '"a": 1', "}\n"):
            written.append(piece)
            yield piece
    write_output(pieces(), str(target))
    assert target.read_text() == '{"a": 1}\n' and written == ["{", '"a": 1', "}\n"]

    def failing():
        yield "{"
        raise RuntimeError("reporter bug")
    with pytest.raises(RuntimeError, match="reporter bug"):
        write_output(failing(), str(target))
    assert target.read_text() == '{"a": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left


# -- GitHub code scanning -------------------------------------------------------------------

def test_category_sets_automation_details(capsys, tmp_path):
    out = tmp_path / "a.sarif"
    run(capsys, "scan", SHOP, "--only", "RG-AWS-002", "-f", "sarif", "-o", str(out),
        "--category", "riskgraph/infra")
    assert sarif_of(out)["runs"][0]["automationDetails"] == {"id": "riskgraph/infra"}
    config = tmp_path / "rg.yaml"
    config.write_text("category: riskgraph/k8s\n")
    run(capsys, "scan", SHOP, "--only", "RG-AWS-002", "-f", "sarif", "-o", str(out), "--config", str(config))
    assert sarif_of(out)["runs"][0]["automationDetails"] == {"id": "riskgraph/k8s"}
    run(capsys, "scan", SHOP, "--only", "RG-AWS-002", "-f", "sarif", "-o", str(out))
    assert sarif_of(out)["runs"][0]["automationDetails"] == {"id": "riskgraph/"}


def _uris(doc: dict) -> list[tuple[str, str]]:
    return sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
                  for r in doc["runs"][0]["results"])


def test_two_roots_scanned_from_a_third_directory(capsys, tmp_path, monkeypatch):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "main.tf").write_text(PUBLIC_DB)
    (tmp_path / "b" / "main.tf").write_text('\n\n' + PUBLIC_DB.replace('"db"', '"other"'))
    monkeypatch.chdir(tmp_path / "c")
    out = tmp_path / "c" / "out.sarif"
    run(capsys, "scan", "../a", "../b", "--only", "RG-AWS-002", "-f", "sarif", "-o", str(out))
    doc = sarif_of(out)
    where = sorted((r["properties"]["resource"],
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    r["locations"][0]["physicalLocation"]["region"]["startLine"])
                   for r in doc["runs"][0]["results"])
    assert where == [("aws_db_instance.db", "a/main.tf", 2), ("aws_db_instance.other", "b/main.tf", 4)]
    assert doc["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == f"file://{tmp_path}/"


def test_a_subdirectory_of_a_repository_is_reported_from_its_top(capsys, tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(PUBLIC_DB)
    monkeypatch.chdir(tmp_path / "infra")
    code, out, _ = run(capsys, "scan", ".", "--only", "RG-AWS-002", "-f", "sarif")
    doc = json.loads(out)
    assert _uris(doc) == [("RG-AWS-002", "infra/main.tf")]
    assert doc["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == f"file://{tmp_path}/"
    # --root chooses another base; it must hold what is scanned
    code, out, _ = run(capsys, "scan", ".", "--only", "RG-AWS-002", "-f", "sarif", "--root", ".")
    assert _uris(json.loads(out)) == [("RG-AWS-002", "main.tf")]
    code, _, err = run(capsys, "scan", ".", "--root", str(tmp_path / "infra" / "nowhere"))
    assert code == 2 and "--root: not a directory" in err
    (tmp_path / "other").mkdir()
    code, _, err = run(capsys, "scan", ".", "--root", str(tmp_path / "other"))
    assert code == 2 and "does not contain every scanned path" in err


POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n"
       "  containers:\n    - name: c\n      image: c:1\n")


def test_uris_are_percent_encoded_and_text_escapes_control_characters(capsys, tmp_path):
    (tmp_path / "emoji 🔥 space.yaml").write_text(POD)
    (tmp_path / "evil\nRG-FAKE-1 forged.yaml").write_text(POD.replace("name: p", "name: q"))
    out = tmp_path / "out.sarif"
    run(capsys, "scan", str(tmp_path), "--only", "RG-K8S-021", "-f", "sarif", "-o", str(out))
    uris = {u for _, u in _uris(sarif_of(out))}
    assert uris == {"emoji%20%F0%9F%94%A5%20space.yaml", "evil%0ARG-FAKE-1%20forged.yaml"}
    code, text, _ = run(capsys, "scan", str(tmp_path), "--only", "RG-K8S-021")
    assert code == 1
    assert "  evil\\nRG-FAKE-1 forged.yaml:6  RG-K8S-021" in text
    assert not any(line.startswith("RG-FAKE-1") for line in text.splitlines())


def test_sarif_with_awkward_file_names_is_read_by_sarif_tools(capsys, tmp_path):
    from sarif import loader

    (tmp_path / "emoji 🔥 space.yaml").write_text(POD)
    (tmp_path / "new\nline.yaml").write_text(POD.replace("name: p", "name: q"))
    out = tmp_path / "out.sarif"
    run(capsys, "scan", str(tmp_path), "--only", "RG-K8S-021", "-f", "sarif", "-o", str(out))
    records = sorted((r["Code"], r["Location"], int(r["Line"]))
                     for r in loader.load_sarif_file(str(out)).get_records())
    assert records == [("RG-K8S-021", "emoji%20%F0%9F%94%A5%20space.yaml", 6),
                       ("RG-K8S-021", "new%0Aline.yaml", 6)]
    done = subprocess.run([sys.executable, "-m", "sarif", "summary", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "RG-K8S-021" in done.stdout


def _synthetic(n: int):
    from scanner.model import Finding, Location, PolicyMeta, Report, Severity

    order = [Severity.LOW, Severity.HIGH, Severity.INFO, Severity.CRITICAL, Severity.MEDIUM]
    metas = tuple(PolicyMeta(id=f"RG-T-{s.value}", title=f"{s.value} thing", severity=s,
                             remediation="Do the right thing.") for s in order)
    findings = tuple(Finding(policy_id=f"RG-T-{order[i % 5].value}", severity=order[i % 5],
                             resource=f"aws_s3_bucket.b{i}", location=Location(f"m{i // 100}.tf", i % 100 + 1, i % 100 + 1),
                             message=f"aws_s3_bucket.b{i} is wrong in a way that takes some words")
                     for i in range(n))
    return Report(findings=findings, diagnostics=(), policies=metas, stats={})


def test_sarif_keeps_to_the_results_limit_most_severe_first():
    from scanner.report.sarif import MAX_RESULTS, to_dict

    report = _synthetic(MAX_RESULTS + 10)
    run_ = to_dict(report, root=ROOT)["runs"][0]
    assert len(run_["results"]) == MAX_RESULTS
    kept = {r["properties"]["resource"] for r in run_["results"]}
    dropped = [f for f in report.findings if f.resource not in kept]
    # 5,002 info findings; the 10 left out are info, the rest of info is kept
    assert len(dropped) == 10 and {f.severity.value for f in dropped} == {"info"}
    note = run_["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["descriptor"] == {"id": "results-truncated"}
    assert note["message"]["text"].startswith("10 of 25010 results left out")


def test_markdown_stays_under_a_pull_request_comment():
    from scanner.report.markdown import LIMIT, render

    text = render(_synthetic(3_000))
    assert len(text) <= LIMIT
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("… and ") and "more findings" in last and "full report" in last
    shown = sum(1 for line in text.splitlines() if line.startswith("| ") and "| RG-T-" in line)
    assert shown + int(last.split()[2]) == 3_000        # every finding shown or counted
    assert "🟣 critical" in text.split("### Findings")[1].splitlines()[4]  # most severe first
    small = render(_synthetic(10))
    assert "… and" not in small


# -- silent no-ops --------------------------------------------------------------------------

def test_unknown_policy_ids_and_frameworks_are_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "scan", SHOP, "--only", "RG-NOPE-999")
    assert code == 2 and "no policy 'RG-NOPE-999'" in err
    code, _, err = run(capsys, "scan", SHOP, "--only", "rg-aws-001")
    assert code == 2 and "did you mean 'RG-AWS-001'?" in err
    code, _, err = run(capsys, "scan", SHOP, "--skip", "RG-K8S-0002")
    assert code == 2 and "--skip: no policy 'RG-K8S-0002'" in err
    code, _, err = run(capsys, "scan", SHOP, "--framework", "owasp-top10-2099")
    assert code == 2 and "no policy maps to 'owasp-top10-2099'; did you mean 'owasp-top10-20" in err
    config = tmp_path / "rg.yaml"
    config.write_text("only: [RG-NOPE-1]\n")
    code, _, err = run(capsys, "scan", SHOP, "--config", str(config))
    assert code == 2 and "no policy 'RG-NOPE-1'" in err
    code, _, err = run(capsys, "policies", "show", "rg-aws-001")
    assert code == 2 and "did you mean 'RG-AWS-001'?" in err


def test_policy_dir_ignores_the_fixtures_of_a_policies_test_layout(capsys, tmp_path):
    import shutil

    policy = os.path.join(ROOT, "policies")
    source = next(os.path.join(d, n) for d, _, names in os.walk(policy) for n in names
                  if n == "RG-AWS-002.yaml")
    text = open(source, encoding="utf-8").read().replace("RG-AWS-002", "RG-ACME-001")
    (tmp_path / "RG-ACME-001.yaml").write_text(text)
    fixtures = tmp_path / "fixtures" / "RG-ACME-001"
    (fixtures / "fail").mkdir(parents=True)
    (fixtures / "pass").mkdir()
    (fixtures / "fail" / "main.tf").write_text(PUBLIC_DB)
    (fixtures / "pass" / "main.tf").write_text(PUBLIC_DB.replace("true", "false"))
    (fixtures / "expected.yaml").write_text("fail:\n  - {resource: aws_db_instance.db, file: main.tf, line: 2}\n")
    assert run(capsys, "policies", "test", str(tmp_path))[0] == 0
    code, out, err = run(capsys, "scan", str(fixtures / "fail"), "--policy-dir", str(tmp_path),
                         "--no-builtin")
    assert (code, err) == (1, "") and "main.tf:2  RG-ACME-001  aws_db_instance.db" in out
    shutil.rmtree(tmp_path / "fixtures")


def test_bare_policies_prints_its_help(capsys):
    code, out, _ = run(capsys, "policies")
    assert code == 2 and out.startswith("usage: riskgraph policies")
    assert "{list,show,test}" in out and "policies_command" not in out


def test_a_closed_pipe_ends_quietly():
    for _ in range(5):
        done = subprocess.run(f"{sys.executable} -m scanner.cli policies list | head -1",
                              shell=True, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": ROOT})
        assert done.stdout.startswith("RG-") and done.stdout.count("\n") == 1
        assert done.stderr == ""


# -- leaks ----------------------------------------------------------------------------------

ARCH_SECRET = "Xk9mQ2vLp7wZr4Tq8"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "html", "gitlab-sast", "junit"])
def test_refused_architecture_file_does_not_quote_a_secret(capsys, tmp_path, fmt):
    (tmp_path / "arch.yaml").write_text(
        f"components:\n  - id: web\n    type: service\n    controls: \"password={ARCH_SECRET}\"\n")
    code, out, err = run(capsys, "scan", str(tmp_path), "-f", fmt, "-o", "-")
    assert code == 3
    assert "architecture-invalid" in out
    assert ARCH_SECRET not in out and ARCH_SECRET[2:] not in out
    assert ARCH_SECRET not in err and ARCH_SECRET[2:] not in err


def test_configuration_errors_are_masked(capsys, tmp_path):
    config = tmp_path / "rg.yaml"
    config.write_text(f"category: 12\nformat: \"password={ARCH_SECRET}\"\n")
    code, _, err = run(capsys, "scan", SHOP, "--config", str(config))
    assert code == 2 and "configuration error" in err and ARCH_SECRET[2:] not in err


# -- dependencies ---------------------------------------------------------------------------

def test_the_test_extra_does_not_install_checkov():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        project = tomllib.load(handle)["project"]
    extras = project["optional-dependencies"]
    assert not [r for reqs in extras.values() for r in reqs if r.lower().startswith("checkov")]
    assert not [r for r in project["dependencies"] if r.lower().startswith("checkov")]


def test_ci_runs_the_readme_test_command_and_the_lowest_networkx():
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as handle:
        script = handle.read()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    command = "pip install '.[test]' && python -m pytest"
    assert command in readme and f"\n{command}\n" in script
    assert "networkx==2.6.3" in script and "networkx>=2.6" in open(
        os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    assert "export RISKGRAPH_REQUIRE_TOOLS=1" in script


# -- the cache ------------------------------------------------------------------------------

def test_a_corrupt_cache_file_is_moved_aside_and_rebuilt(tmp_path, monkeypatch):
    from scanner import api, cache

    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    (tmp_path / "cache").mkdir()
    db = tmp_path / "cache" / cache.DB_NAME
    db.write_bytes(b"this is not a database, " * 200)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.tf").write_text(PUBLIC_DB)
    first = api.scan([str(tmp_path / "app")], only=["RG-AWS-002"])
    notes = [(d.code, d.level) for d in first.diagnostics if d.code == "cache-rebuilt"]
    assert notes == [("cache-rebuilt", "info")]
    assert (tmp_path / "cache" / (cache.DB_NAME + ".corrupt")).read_bytes().startswith(b"this is not")
    second = api.scan([str(tmp_path / "app")], only=["RG-AWS-002"])
    assert "result_cache" in second.stats["seconds"]            # the rebuilt cache works
    assert not [d for d in second.diagnostics if d.code == "cache-rebuilt"]
    assert [f.resource for f in second.findings] == [f.resource for f in first.findings] == [
        "aws_db_instance.db"]


# -- one request, one run -------------------------------------------------------------------

def test_discovery_runs_once_per_scan(monkeypatch, tmp_path):
    from scanner import api

    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    calls = []
    real = api.discover

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "discover", counting)
    api.scan([SHOP], only=["RG-AWS-002"])       # computed and stored
    api.scan([SHOP], only=["RG-AWS-002"])       # read back
    assert len(calls) == 2


def test_the_command_line_builds_one_request(tmp_path):
    from scanner.cli import build_parser
    from scanner.options import build_request

    config = tmp_path / "rg.yaml"
    config.write_text("skip: [RG-K8S-001]\nexclude: ['*.gen.tf']\nformat: markdown\n"
                      "severity_threshold: high\ncategory: c1\n")
    args = build_parser().parse_args(["scan", SHOP, "--config", str(config), "--skip", "RG-K8S-002",
                                      "--exclude", "x/*", "--var", "a=1", "--category", "c2"])
    request = build_request(args, jobs=1)
    assert (request.skip, request.exclude, request.format, request.severity_threshold,
            request.category, dict(request.variables), request.base) == (
        ("RG-K8S-001", "RG-K8S-002"), ("*.gen.tf", "x/*"), "markdown", "high", "c2", {"a": "1"}, ROOT)


@pytest.mark.parametrize("message,expected", [
    ("at controls: 'password=Xk9mQ2vLp7wZr4Tq8' is not of type 'object'",
     "at controls: 'password=Xk**********' is not of type 'object'"),
    ("db_password: hunter22 given", "db_password: hu****** given"),
    ("password: ${var.db_password} is fine", "password: ${var.db_password} is fine"),
    ("key AKIAZ7Q3W5E8R2T6Y4U1 found", "key AK********** found"),
    # a commit pinned in a module source is a version: kept; the same digits as a token are not
    ("source 'github.com/o/m//x?ref=64b19ecfc23025718cd687e24b7115777fd09666' is not local",
     "source 'github.com/o/m//x?ref=64b19ecfc23025718cd687e24b7115777fd09666' is not local"),
    ("token=64b19ecfc23025718cd687e24b7115777fd09666", "token=64**********"),
])
def test_messages_are_masked_as_findings_are(message, expected):
    from scanner.redact import mask_message

    assert mask_message(message) == expected
