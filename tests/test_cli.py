"""The command line: exit codes, formats, filters, graph export, baselines, help and colour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from scanner.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOP = "fixtures/cases/cli/shop"
ONLY = "RG-AWS-001,RG-AWS-002,RG-AWS-004,RG-PATH-001,RG-K8S-001,RG-K8S-002"
TF = f"{SHOP}/infra/main.tf"
K8S = f"{SHOP}/k8s/app.yaml"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def findings(out: str) -> list[tuple[str, str, int]]:
    return [(f["policy_id"], f["location"]["path"], f["location"]["start_line"])
            for f in json.loads(out)["findings"] if f["suppression"] is None]


def test_exit_1_with_findings_and_0_without(capsys):
    code, out, _ = run(capsys, "scan", SHOP, "--only", "RG-AWS-002")
    assert code == 1 and f"{TF}:29  RG-AWS-002  aws_db_instance.orders" in out
    code, out, _ = run(capsys, "scan", f"{SHOP}/k8s", "--only", "RG-AWS-002")
    assert code == 0 and out.startswith("0 findings")


def test_exit_2_for_usage_errors(capsys):
    assert run(capsys)[0] == 2                                      # no command: help
    assert run(capsys, "scan", SHOP, "--var", "novalue")[0] == 2
    code, _, err = run(capsys, "scan", SHOP, "--policy-dir", "no/such/dir")
    assert code == 2 and "policy directory does not exist" in err
    code, _, err = run(capsys, "scan", SHOP, "--baseline", "no/such/baseline.json")
    assert code == 2 and "cannot read baseline" in err
    with pytest.raises(SystemExit) as info:
        main(["scan", SHOP, "--format", "pdf"])
    assert info.value.code == 2


def test_severity_threshold(capsys):
    assert run(capsys, "scan", SHOP, "--only", "RG-K8S-001", "--severity-threshold", "high")[0] == 0
    assert run(capsys, "scan", SHOP, "--only", "RG-K8S-001", "--severity-threshold", "medium")[0] == 1


def test_only_skip_and_framework_filters(capsys):
    _, out, _ = run(capsys, "scan", SHOP, "--only", ONLY, "--skip", "RG-AWS-001", "-f", "json")
    # aws_db_instance.reports (line 33) sits behind the same open group but has no public address
    assert findings(out) == [("RG-PATH-001", TF, 23), ("RG-AWS-004", TF, 28),
                             ("RG-AWS-002", TF, 29),
                             ("RG-K8S-002", K8S, 17), ("RG-K8S-001", K8S, 25)]
    _, out, _ = run(capsys, "scan", SHOP, "--only", ONLY, "--framework", "cis-kubernetes", "-f", "json")
    assert findings(out) == [("RG-K8S-002", K8S, 17)]
    _, out, _ = run(capsys, "scan", SHOP, "--only", ONLY, "--framework", "cis", "-f", "json")
    assert findings(out) == [("RG-AWS-001", TF, 8), ("RG-AWS-001", TF, 19),
                             ("RG-AWS-002", TF, 29), ("RG-K8S-002", K8S, 17)]


def test_output_file_and_every_format(capsys, tmp_path):
    for fmt in ("text", "json", "sarif", "junit", "markdown"):
        target = tmp_path / f"out.{fmt}"
        code, out, _ = run(capsys, "scan", SHOP, "--only", ONLY, "-f", fmt, "-o", str(target))
        assert code == 1 and out == ""
        text = target.read_text()
        assert "Xk9#mQ2v!Lp7@wZr4Tq8" not in text, fmt       # the literal password never leaks
    junit = ET.parse(tmp_path / "out.junit")
    failures = sorted((c.get("classname"), c.get("file"), int(c.get("line")))
                      for c in junit.iter("testcase") if c.find("failure") is not None)
    assert failures == sorted([("RG-AWS-001", TF, 8), ("RG-AWS-001", TF, 19),
                               ("RG-PATH-001", TF, 23), ("RG-AWS-004", TF, 28),
                               ("RG-AWS-002", TF, 29),
                               ("RG-K8S-002", K8S, 17), ("RG-K8S-001", K8S, 25)])
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    assert "```mermaid" in (tmp_path / "out.markdown").read_text()


def test_junit_suppressed_and_clean_policies(capsys):
    _, out, _ = run(capsys, "scan", "fixtures/cases/suppress", "--only", "RG-AWS-001,RG-K8S-001",
                    "-f", "junit")
    root = ET.fromstring(out)
    cases = {c.get("name"): [child.tag for child in c] for c in root.iter("testcase")}
    assert cases["aws_security_group.above (fixtures/cases/suppress/main.tf:7)"] == ["skipped"]
    assert cases["aws_security_group.active (fixtures/cases/suppress/main.tf:71)"] == ["failure"]
    assert cases["no violations"] == []       # RG-K8S-001 ran and found nothing
    assert cases["suppression-without-reason (fixtures/cases/suppress/main.tf:20)"] == ["error"]


def test_baseline_command_then_scan(capsys, tmp_path):
    baseline = tmp_path / "baseline.json"
    code, _, err = run(capsys, "baseline", SHOP, "--only", "RG-AWS-001", "-o", str(baseline))
    assert code == 0 and "wrote 2 findings" in err
    doc = json.loads(baseline.read_text())
    assert [(e["policy_id"], e["resource"]) for e in doc["findings"]] == [
        ("RG-AWS-001", "aws_security_group.bastion"), ("RG-AWS-001", "aws_security_group.db")]
    code, out, _ = run(capsys, "scan", SHOP, "--only", "RG-AWS-001", "--baseline", str(baseline),
                       "-f", "json")
    assert code == 0 and findings(out) == []
    kinds = [f["suppression"]["kind"] for f in json.loads(out)["findings"]]
    assert kinds == ["external", "external"]


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "graphml", "json"])
def test_graph_export(capsys, fmt):
    code, out, _ = run(capsys, "graph", SHOP, "--format", fmt)
    assert code == 0
    if fmt == "json":
        doc = json.loads(out)
        edges = {(e["source"], e["target"], e["kind"]) for e in doc["edges"]}
        assert ("aws_security_group.db", "internet", "allows_ingress_from") in edges
        assert ("arch:component/orders", "aws_db_instance.orders", "implemented_by") in edges
        node = next(n for n in doc["nodes"] if n["id"] == "aws_db_instance.orders")
        assert node == {"id": "aws_db_instance.orders", "type": "aws_db_instance",
                        "layer": "terraform", "location": f"{TF}:23"}
    elif fmt == "graphml":
        root = ET.fromstring(out)
        ns = "{http://graphml.graphdrawing.org/xmlns}"
        ids = {n.get("id") for n in root.iter(f"{ns}node")}
        assert {"aws_db_instance.orders", "k8s:apps/Deployment/shop/storefront", "internet"} <= ids
    elif fmt == "dot":
        assert '"aws_security_group.db" -> "internet" [label="allows_ingress_from"];' in out
    else:
        assert out.startswith("flowchart LR\n") and "-- implemented_by -->" in out
    assert "Xk9#mQ2v" not in out


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    out = capsys.readouterr().out
    for text in ("--format {text,json,sarif,junit,markdown,html,gitlab-sast}", "--baseline",
                 "--framework", "--with-checkov", "--allow-incomplete", "--category", "--root",
                 "riskgraph scan . --format sarif -o riskgraph.sarif",
                 "riskgraph:ignore=RG-AWS-001", "  3  scan incomplete", "  4  the report could not"):
        assert text in out


def _tty_run(env: dict) -> str:
    """Run the CLI on a pseudo-terminal and return what it printed."""
    import pty

    code = ("import sys; sys.argv=['riskgraph','scan','fixtures/cases/cli/shop','--only','RG-AWS-002'];"
            "from scanner.cli import main; sys.exit(main())")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=slave, stderr=slave, cwd=ROOT,
                            env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(master)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\033[1;31mHIGH (1)" in _tty_run(env)
    out = _tty_run({**env, "NO_COLOR": "1"})
    assert "HIGH (1)" in out and "\033[" not in out


def test_progress_only_on_a_terminal_and_only_for_long_scans(capsys, monkeypatch):
    import scanner.cli as cli

    class Tty:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, s: str) -> None:
            self.text += s

        def flush(self) -> None:
            pass

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.0)       # every scan counts as long
    main(["scan", SHOP, "--only", "RG-AWS-002", "--no-cache"])  # a stored result parses nothing
    assert "riskgraph: parsing 3 files..." in fake.text
    assert "riskgraph: evaluating 1 policies..." in fake.text
    fake.text = ""
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 60.0)      # a quick scan prints nothing
    main(["scan", SHOP, "--only", "RG-AWS-002"])
    assert "parsing" not in fake.text
    monkeypatch.setattr(Tty, "isatty", lambda self: False)
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.0)       # not a terminal: nothing
    main(["scan", SHOP, "--only", "RG-AWS-002"])
    assert "parsing" not in fake.text
    capsys.readouterr()


def test_hook_reports_only_the_named_files(capsys, tmp_path, monkeypatch):
    import shutil

    shutil.copytree(os.path.join(ROOT, SHOP), tmp_path / "shop")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "shop")          # the hook finds the git root itself
    code, out, _ = run(capsys, "hook", "--only", ONLY, "-f", "json", "k8s/app.yaml")
    assert code == 1
    # reported paths are relative to the repository root
    assert findings(out) == [("RG-K8S-002", "shop/k8s/app.yaml", 17),
                             ("RG-K8S-001", "shop/k8s/app.yaml", 25)]


def test_sarif_uri_base_is_where_paths_are_relative_to(capsys, tmp_path, monkeypatch):
    import shutil

    shutil.copytree(os.path.join(ROOT, SHOP), tmp_path / "shop")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)                 # the scanned tree is not under the cwd
    _, out, _ = run(capsys, "scan", str(tmp_path / "shop"), "--only", "RG-AWS-002", "-f", "sarif")
    run_ = json.loads(out)["runs"][0]
    uri = run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "infra/main.tf"
    assert run_["originalUriBaseIds"]["SRCROOT"]["uri"] == f"file://{tmp_path}/shop/"


@pytest.mark.parametrize("target", ["-", "report.json"])
def test_the_console_command_leaves_its_report_whole_and_its_exit_code(capsys, tmp_path, target):
    """The console command leaves with os._exit once the report is written: nothing of it may be lost."""
    code, expected, _ = run(capsys, "scan", SHOP, "--format", "json", "--no-cache")
    assert code == 1
    out = target if target == "-" else str(tmp_path / target)
    proc = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", SHOP, "--format", "json", "--no-cache",
                           "-o", out], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert proc.returncode == 1, proc.stderr
    written = proc.stdout if target == "-" else (tmp_path / target).read_text(encoding="utf-8")
    assert written == expected
    # the whole report, down to its last findings and the closing brace
    assert ("RG-AWS-002", "aws_db_instance.orders", f"{TF}:29") in {
        (f["policy_id"], f["resource"], f"{f['location']['path']}:{f['location']['start_line']}")
        for f in json.loads(written)["findings"]}
