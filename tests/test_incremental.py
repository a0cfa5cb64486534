"""A re-scan after an edit takes the incremental path (scanner/incremental.py) exactly when it may, and gives the bytes of a cold scan.

Each step edits our own two-root Terraform tree (and a Kubernetes manifest
beside it), scans with the caches on, then with every cache off, and
compares the JSON and SARIF reports byte for byte. Each step also says which
path the warm scan must have taken: ``stats.seconds.incremental`` is there
only when it was the incremental one, so a shortcut that never fires, or
fires when it must not, fails here.
"""

from __future__ import annotations

import os
import random
import re

import pytest

from scanner import api
from scanner.report import render

APP = '''module "net" {
  source = "../modules/net"
  name   = "app"
}

resource "aws_db_instance" "db" {
  identifier              = "app-db"
  engine                  = "postgres"
  instance_class          = "db.t3.medium"
  allocated_storage       = 20
  deletion_protection     = true
  backup_retention_period = 14
  storage_encrypted       = true
  publicly_accessible     = false
  vpc_security_group_ids  = [module.net.sg_id]
}

resource "aws_s3_bucket" "assets" {
  bucket = "app-assets"
}
'''

OTHER = '''module "net" {
  source = "../modules/net"
  name   = "other"
}

resource "aws_db_instance" "other" {
  identifier              = "other-db"
  engine                  = "postgres"
  instance_class          = "db.t3.small"
  allocated_storage       = 50
  deletion_protection     = true
  backup_retention_period = 7
  storage_encrypted       = true
  publicly_accessible     = false
}

variable "replicas" {}

resource "aws_sqs_queue" "jobs" {
  count = var.replicas
  name  = "jobs"
}
'''

NET = '''variable "name" {}

resource "aws_security_group" "sg" {
  name = var.name
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}

output "sg_id" {
  value = aws_security_group.sg.id
}
'''

MANIFEST = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
'''


def _write(root: str) -> None:
    for rel, text in (("app/main.tf", APP), ("other/main.tf", OTHER), ("modules/net/main.tf", NET),
                      ("k8s/api.yaml", MANIFEST)):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


def _set(root: str, rel: str, key: str, value: str) -> None:
    """Give ``key`` a new value on its line, the way an editor would."""
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    changed, n = re.subn(rf"(?m)^(\s*{key}\s*=\s*).*$", lambda m: m.group(1) + value, text, count=1)
    assert n == 1, (rel, key)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(changed)


def _append(root: str, rel: str, text: str) -> None:
    with open(os.path.join(root, rel), "a", encoding="utf-8") as handle:
        handle.write(text)


def _insert_line(root: str, rel: str) -> None:
    """A blank line at the top: every line below moves."""
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n" + text)


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    root = str(tmp_path / "tree")
    _write(root)
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    return root


WHY: list[str] = []  # what the last warm scan told its progress callback


def _scan(root: str, monkeypatch, cached: bool):
    if cached:
        monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    WHY.clear()
    report = api.scan([root], base=root, progress=WHY.append)
    return report, render(report, "json"), render(report, "sarif", root=root)


def _warm_equals_cold(root: str, monkeypatch):
    warm, *warm_out = _scan(root, monkeypatch, cached=True)
    why = [m for m in WHY if m.startswith("scanning in full: ")]
    _, *cold_out = _scan(root, monkeypatch, cached=False)
    assert warm_out == cold_out
    WHY[:] = why
    return warm


def _incremental(report) -> bool:
    return "incremental" in report.stats["seconds"]


def _full_because(report, reason: str) -> bool:
    """The scan ran in full, and said this was why."""
    assert WHY == [f"scanning in full: {reason}"]
    return not _incremental(report)


def _fails(report, policy: str) -> list[tuple[str, str, int]]:
    return sorted((f.resource, f.location.path, f.location.start_line) for f in report.findings
                  if f.policy_id == policy and f.suppression is None)


def test_each_kind_of_edit_takes_the_path_it_may(tree, monkeypatch):
    first = _warm_equals_cold(tree, monkeypatch)
    assert not _incremental(first)
    # the root in other/ gives a diagnostic (its queue's count is not known): it is still parsed alone
    assert [(d.code, d.path, d.line) for d in first.diagnostics] == [("instances-unknown", "other/main.tf", 20)]
    assert _fails(first, "RG-AWS-026") == [] and _fails(first, "RG-AWS-027") == []

    # a value no linker and no policy reads: nothing linked or judged again
    _set(tree, "app/main.tf", "allocated_storage", "30")
    assert _incremental(_warm_equals_cold(tree, monkeypatch))

    # values only local policies read: those policies judge the database again, alone
    _set(tree, "app/main.tf", "deletion_protection", "false")
    report = _warm_equals_cold(tree, monkeypatch)
    assert _incremental(report)
    assert _fails(report, "RG-AWS-026") == [("app:aws_db_instance.db", "app/main.tf", 11)]
    _set(tree, "other/main.tf", "backup_retention_period", "1")
    report = _warm_equals_cold(tree, monkeypatch)
    assert _incremental(report)
    assert _fails(report, "RG-AWS-027") == [("other:aws_db_instance.other", "other/main.tf", 12)]
    assert _fails(report, "RG-AWS-026") == [("app:aws_db_instance.db", "app/main.tf", 11)]  # kept from before
    _set(tree, "app/main.tf", "deletion_protection", "true")
    report = _warm_equals_cold(tree, monkeypatch)
    assert _incremental(report) and _fails(report, "RG-AWS-026") == []

    # a comment in the module both roots call: both parsed again, nothing else changed
    _append(tree, "modules/net/main.tf", "# reviewed\n")
    assert _incremental(_warm_equals_cold(tree, monkeypatch))

    # a value linkers read (whether the database is public makes edges): linked and judged in full
    _set(tree, "app/main.tf", "publicly_accessible", "true")
    assert _full_because(_warm_equals_cold(tree, monkeypatch),
                         "app:aws_db_instance.db: linking reads publicly_accessible")
    # a value that becomes a reference: a new edge
    _set(tree, "app/main.tf", "identifier", "aws_s3_bucket.assets.id")
    assert _full_because(_warm_equals_cold(tree, monkeypatch),
                         "app:aws_db_instance.db: what it refers to changed")
    # lines move
    _insert_line(tree, "app/main.tf")
    assert _full_because(_warm_equals_cold(tree, monkeypatch), "app:aws_db_instance.db moved")
    # a root's diagnostic moves with them: its diagnostics are not the ones it gave
    _insert_line(tree, "other/main.tf")
    assert _full_because(_warm_equals_cold(tree, monkeypatch), "parsing other again changed more than values")
    # a resource added
    _append(tree, "other/main.tf", 'resource "aws_s3_bucket" "more" {\n  bucket = "more"\n}\n')
    assert _full_because(_warm_equals_cold(tree, monkeypatch),
                         "other: resources were added, removed or renamed")
    # the module's calls change which directories are roots
    _set(tree, "other/main.tf", "source", '"../app"')
    assert _full_because(_warm_equals_cold(tree, monkeypatch),
                         "parsing other again changed more than values")
    # a Kubernetes edit: its parser parses no part alone
    _append(tree, "k8s/api.yaml", "# reviewed\n")
    assert _full_because(_warm_equals_cold(tree, monkeypatch),
                         "k8s/api.yaml is read as a whole with the other files of its format")


VALUES = [  # (file, key, values it takes)
    ("app/main.tf", "allocated_storage", ["20", "40", "100", "var.size"]),
    ("app/main.tf", "deletion_protection", ["true", "false"]),
    ("app/main.tf", "backup_retention_period", ["0", "3", "14", "35"]),
    ("app/main.tf", "storage_encrypted", ["true", "false"]),
    ("app/main.tf", "publicly_accessible", ["true", "false"]),
    ("other/main.tf", "instance_class", ['"db.t3.small"', '"db.r6g.large"']),
    ("other/main.tf", "deletion_protection", ["true", "false"]),
    ("other/main.tf", "backup_retention_period", ["1", "7", "30"]),
    ("modules/net/main.tf", "from_port", ["22", "443", "5432"]),
    ("modules/net/main.tf", "cidr_blocks", ['["0.0.0.0/0"]', '["10.0.0.0/16"]']),
]


def test_random_value_edits_equal_cold_scans(tree, monkeypatch):
    rng = random.Random(7)
    _warm_equals_cold(tree, monkeypatch)
    paths = []
    for _ in range(16):
        rel, key, values = rng.choice(VALUES)
        _set(tree, rel, key, rng.choice(values))
        paths.append(_incremental(_warm_equals_cold(tree, monkeypatch)))
    assert True in paths and False in paths  # both ways were taken along the series


def test_a_file_a_root_reads_only_after_an_edit_is_checked_by_the_next_scan(tree, monkeypatch):
    """An edit that makes a root read a file it did not read before (``file()``): the state kept after the
    incremental scan holds that read, so when the file changes the next scan sees it."""
    _append(tree, "app/main.tf", 'resource "aws_instance" "web" {\n  ami       = "ami-12345678"\n'
                                 '  user_data = "#!/bin/sh"\n}\n')
    _warm_equals_cold(tree, monkeypatch)
    with open(os.path.join(tree, "app", "boot.sh"), "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\necho ready\n")
    _set(tree, "app/main.tf", "user_data", 'file("${path.module}/boot.sh")')
    report = _warm_equals_cold(tree, monkeypatch)
    assert _incremental(report) and _fails(report, "RG-SEC-007") == []
    with open(os.path.join(tree, "app", "boot.sh"), "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8x3kQ9Lm\n")
    report = _warm_equals_cold(tree, monkeypatch)
    assert _full_because(report, f"{os.path.join(tree, 'app', 'boot.sh')}, which a parser read, changed")
    assert _fails(report, "RG-SEC-007") == [("app:aws_instance.web", "app/main.tf", 23)]
