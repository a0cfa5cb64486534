"""No secret from a scanned file appears in any output: every registered reporter and every graph export format."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from scanner.api import scan
from scanner.report import REPORTERS, render

SECRETS_DIR = os.path.join(FIXTURES, "cases", "hostile", "secrets")

# Every credential written in the fixture, and the part of each that masking removes.
SECRETS = (
    "AKIAZ7Q3W5E8R2T6Y4U1",
    "wJalrXUtnFEMIzK7MDENGzbPxRfiCYzQ8kd93Lmx",
    "Hunter2-Correct-Horse-Battery-9",
    "Zq8mK2vL9pW4xR7tN1bY",
    "Tfvars-Secret-Value-77-Qx",
    "MIIEowIBAAKCAQEAq7BFUpkGp3+LQmlQoN9x2KbQpZ4yVw8xT0k1mNq",
    "Pg-Conn-Str1ng-Secret",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc0000",
    "ghp_R2d2C3poBb8Yoda4LukeHanLeia0Chewie12",
    "Kx9vT3pQ7wL2-k8s-env-pw",
    "xoxb-123456789012-abcdefghijKLMNOP",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbjEyMyJ9.c2lnbmF0dXJlLXNlY3JldC14eXo",
    "Secret-StringData-Pw-31x",
    "VG9rZW4tQmFzZTY0LVNlY3JldC05OTk=",
)

# Findings whose evidence is a secret: the reporters had every chance to print it.
SECRET_FINDINGS = {
    ("RG-AWS-004", "aws_db_instance.literal", "infra/main.tf", 16),
    ("RG-AWS-004", "aws_db_instance.from_variable", "infra/main.tf", 24),
    ("RG-AWS-004", "aws_rds_cluster.tfvars", "infra/main.tf", 30),
    ("RG-SEC-002", "tls_private_key.pem", "infra/main.tf", 39),   # private_key_pem: a credential name
    ("RG-SEC-001", "aws_ssm_parameter.dsn", "infra/main.tf", 49),
    ("RG-SEC-001", "aws_lambda_function.api", "infra/main.tf", 57),
    ("RG-K8S-003", "k8s:apps/Deployment/shop/api", "k8s/app.yaml", 18),
}


def _fragments(secret: str) -> list[str]:
    """The secret and its tail (a mask keeps at most the first two characters)."""
    return [secret, secret[2:]]


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if any(frag in text for frag in _fragments(s))]


@pytest.fixture(scope="module")
def report():
    return scan([SECRETS_DIR], base=SECRETS_DIR)


def test_fixture_really_holds_the_secrets():
    on_disk = ""
    for dirpath, _, names in os.walk(SECRETS_DIR):
        for name in names:
            with open(os.path.join(dirpath, name), encoding="utf-8") as handle:
                on_disk += handle.read()
    assert _leaks(on_disk) == list(SECRETS)


def test_secret_findings_are_reported(report):
    got = {(f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings}
    assert SECRET_FINDINGS <= got, sorted(SECRET_FINDINGS - got)


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_secret_in_reporter_output(report, fmt):
    text = render(report, fmt)
    assert text.strip()
    assert _leaks(text) == []


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_secret_in_cli_output(fmt, cache_dir):
    env = dict(os.environ, PYTHONPATH=ROOT, RISKGRAPH_CACHE_DIR=cache_dir)
    proc = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", SECRETS_DIR, "--format", fmt,
                           "-o", "-"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert _leaks(proc.stdout + proc.stderr) == []


def test_no_secret_in_diagnostics(tmp_path):
    """Messages built from what users wrote (schema errors quote the offending value) are masked too."""
    (tmp_path / "architecture.yaml").write_text(
        "components:\n  - id: web\n    type: service\n"
        f"    controls: \"password={SECRETS[2]}\"\n    owner: {{token: {SECRETS[3]}}}\n")
    (tmp_path / "main.tf").write_text(f'resource "aws_db_instance" "x" {{\n  password = "{SECRETS[4]}"\n')
    report = scan([str(tmp_path)], base=str(tmp_path))
    codes = sorted({d.code for d in report.diagnostics})
    assert "architecture-invalid" in codes and "hcl-syntax" in codes
    assert _leaks(" ".join(d.message for d in report.diagnostics)) == []
    for fmt in sorted(REPORTERS):
        assert _leaks(render(report, fmt)) == [], fmt


def test_no_secret_in_graph_exports(report):
    from scanner.graph import build_graph
    from scanner.parse import ParseOptions, parse_all
    from scanner.discover import discover
    from scanner.report.graph_export import FORMATS, export

    found = discover([SECRETS_DIR], base=SECRETS_DIR)
    graph = build_graph(parse_all(found.files, ParseOptions()).resources)
    for fmt in FORMATS:
        text = export(graph, fmt)
        assert "aws_db_instance.literal" in text
        assert _leaks(text) == [], fmt
