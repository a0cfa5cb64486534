"""The pre-commit hook, run by the real `pre-commit` against a temporary repository.

The hook repository is a snapshot of this working tree (scanner, policies,
packaging, .pre-commit-hooks.yaml) committed into a temporary git repository,
so uncommitted work is what gets tested; pre-commit installs it into its own
virtualenv with pip, as users get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytest.importorskip("pre_commit")

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")

SG = '''resource "aws_security_group" "db" {
  name = "orders-db"

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
'''
DB = '''resource "aws_db_instance" "orders" {
  identifier             = "orders"
  engine                 = "postgres"
  instance_class         = "db.t3.small"
  publicly_accessible    = true
  vpc_security_group_ids = [aws_security_group.db.id]
}
'''
APP = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1.0
          securityContext:
            privileged: true
'''
ARCH = '''version: 1
name: Orders
zones:
  - {id: private, trust: 3}
components:
  - id: orders
    type: database
    zone: private
    exposure: private
    implemented_by: [aws_db_instance.orders]
'''
LEGACY = '''apiVersion: v1
kind: Pod
metadata:
  name: legacy
spec:
  containers:
    - name: old
      image: example/old:0.1
      securityContext:
        privileged: true
'''


def _git(cwd, *args: str) -> None:
    subprocess.run([GIT, "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                   check=True, capture_output=True)


def _hook_repo(path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("scanner", "policies"):
        shutil.copytree(os.path.join(ROOT, name), path / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(os.path.join(ROOT, name), path / name)
    _git(path, "init", "-q")
    _git(path, "add", ".")
    _git(path, "commit", "-q", "-m", "snapshot")


def test_hook_reports_only_staged_files_with_whole_repository_context(tmp_path):
    hook_repo, work = tmp_path / "hook", tmp_path / "work"
    hook_repo.mkdir()
    work.mkdir()
    _hook_repo(hook_repo)
    (work / "infra").mkdir()
    (work / "k8s").mkdir()
    (work / "infra" / "db.tf").write_text(DB)
    (work / "infra" / "network.tf").write_text(SG)          # context only: never staged
    (work / "k8s" / "app.yaml").write_text(APP)
    (work / "k8s" / "legacy.yaml").write_text(LEGACY)       # a finding, but not staged
    (work / "architecture.yaml").write_text(ARCH)
    (work / ".riskgraph.yaml").write_text(
        "only: [RG-AWS-001, RG-AWS-002, RG-PATH-001, RG-K8S-002]\n")
    _git(work, "init", "-q")
    _git(work, "add", "infra/db.tf", "k8s/app.yaml", "architecture.yaml", ".riskgraph.yaml")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo),
                           "riskgraph", "--color", "never"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "riskgraph" in out and "Failed" in out
    found = sorted(line.split()[:3] for line in out.splitlines()
                   if line.startswith("  ") and "  RG-" in line)
    assert found == [
        ["infra/db.tf:1", "RG-PATH-001", "aws_db_instance.orders"],   # needs network.tf to see it
        ["infra/db.tf:5", "RG-AWS-002", "aws_db_instance.orders"],
        ["k8s/app.yaml:17", "RG-K8S-002", "k8s:apps/Deployment/shop/web"],
    ]
    assert "network.tf" not in out and "legacy.yaml" not in out
