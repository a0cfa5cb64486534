"""Linked files: a Terraform file linked into several module directories is part of each; any other file is scanned once, and said so."""

from __future__ import annotations

import os

from scanner.api import scan
from scanner.discover import discover

SHARED_VARIABLES = '''variable "admin_cidr" {
  default = "0.0.0.0/0"
}
'''

ROOT_TF = '''resource "aws_security_group" "admin" {
  name = "admin"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }
}
'''

DEPLOYMENT = '''apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
          securityContext: {privileged: true}
'''


def _write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_variables_file_linked_into_each_root_is_part_of_each(tmp_path):
    """`envs/a/variables.tf -> ../../shared/variables.tf`: Terraform reads the variable in both roots."""
    _write(tmp_path / "shared" / "variables.tf", SHARED_VARIABLES)
    for env in ("a", "b"):
        _write(tmp_path / "envs" / env / "main.tf", ROOT_TF)
        os.symlink(os.path.join("..", "..", "shared", "variables.tf"), tmp_path / "envs" / env / "variables.tf")
    found = discover([str(tmp_path)], base=str(tmp_path))
    assert [f.relpath for f in found.files] == [
        "envs/a/main.tf", "envs/a/variables.tf", "envs/b/main.tf", "envs/b/variables.tf", "shared/variables.tf"]
    assert [d for d in found.diagnostics if d.code == "scanned-once"] == []
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-AWS-001"])
    # each root resolves var.admin_cidr from its own copy: both groups admit the internet to SSH
    assert sorted((f.resource, f.location.path, f.location.start_line) for f in report.findings) == [
        ("envs/a:aws_security_group.admin", "envs/a/main.tf", 8),
        ("envs/b:aws_security_group.admin", "envs/b/main.tf", 8)]


def test_a_linked_manifest_is_scanned_once_and_the_link_says_so(tmp_path):
    _write(tmp_path / "base" / "web.yaml", DEPLOYMENT)
    (tmp_path / "copy").mkdir()
    os.symlink(os.path.join("..", "base", "web.yaml"), tmp_path / "copy" / "web.yaml")
    found = discover([str(tmp_path)], base=str(tmp_path))
    assert [f.relpath for f in found.files] == ["base/web.yaml"]
    assert [(d.code, d.path, d.level) for d in found.diagnostics] == [("scanned-once", "copy/web.yaml", "info")]
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-K8S-002"])
    assert [(f.location.path, f.location.start_line) for f in report.findings] == [("base/web.yaml", 12)]


def test_a_directory_linked_into_each_root_is_read_once_and_each_link_says_so(tmp_path):
    """`envs/prod/modules -> ../../modules`: one note per linked directory, not one per file in it."""
    _write(tmp_path / "modules" / "network" / "main.tf", ROOT_TF)
    _write(tmp_path / "modules" / "network" / "variables.tf", SHARED_VARIABLES)
    for env in ("dev", "prod"):
        _write(tmp_path / "envs" / env / "main.tf", 'module "network" {\n  source = "./modules/network"\n}\n')
        os.symlink(os.path.join("..", "..", "modules"), tmp_path / "envs" / env / "modules")
    found = discover([str(tmp_path)], base=str(tmp_path))
    assert [f.relpath for f in found.files] == [
        "envs/dev/main.tf", "envs/dev/modules/network/main.tf", "envs/dev/modules/network/variables.tf",
        "envs/prod/main.tf"]
    assert [(d.code, d.path) for d in found.diagnostics] == [("scanned-once", "envs/prod/modules"),
                                                            ("scanned-once", "modules")]
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-AWS-001"])
    # each root calls the module through its own link: the module's group is in both
    assert sorted((f.resource, f.location.path) for f in report.findings) == [
        ("envs/dev:module.network.aws_security_group.admin", "envs/dev/modules/network/main.tf"),
        ("envs/prod:module.network.aws_security_group.admin", "envs/dev/modules/network/main.tf")]
