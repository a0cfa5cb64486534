"""A generator of synthetic Terraform trees for robustness and speed tests, and a timer for real ones.

``generate(root, seed, roots=...)`` writes root modules that use every
construct the parser resolves (variables, tfvars, locals, functions,
count / for_each / dynamic, nested local modules, IAM documents in every
form, `.tf.json`) plus deliberately broken files (syntax errors, a
self-including module, remote sources, binary junk). Deterministic for a seed.

``python tests/terraform_corpus.py DIR...`` prints files, resources, edges and
the seconds spent in discover + parse (with resolution) + link for each tree.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

ROOT_TF = '''variable "env" {{
  default = "{env}"
}}
variable "admin_cidrs" {{
  type    = list(string)
  default = ["10.0.0.0/8"]
}}
locals {{
  name  = "svc-${{var.env}}"
  ports = {{ for p in [22, 443, {port}] : tostring(p) => p }}
  tags  = merge({{ Env = var.env }}, {{ Owner = "team-{n}" }})
}}
resource "aws_vpc" "main" {{
  cidr_block = cidrsubnet("10.{n}.0.0/16", 4, 1)
  tags       = local.tags
}}
resource "aws_security_group" "web" {{
  for_each = local.ports
  name     = "${{local.name}}-${{each.key}}"
  vpc_id   = aws_vpc.main.id
  dynamic "ingress" {{
    for_each = concat(var.admin_cidrs, ["{cidr}"])
    content {{
      from_port   = each.value
      to_port     = each.value
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }}
  }}
}}
resource "aws_instance" "app" {{
  count                  = {count}
  ami                    = "ami-{n:08d}"
  vpc_security_group_ids = [for g in aws_security_group.web : g.id]
  iam_instance_profile   = aws_iam_instance_profile.app.name
  tags                   = merge(local.tags, {{ Name = format("%s-%02d", local.name, count.index) }})
}}
resource "aws_iam_role" "app" {{
  name               = "${{local.name}}-role"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}}
resource "aws_iam_instance_profile" "app" {{
  role = aws_iam_role.app.name
}}
data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }}
  }}
}}
resource "aws_iam_role_policy" "inline" {{
  role   = aws_iam_role.app.id
  policy = jsonencode({{ Statement = [{{ Effect = "Allow", Action = ["{action}"], Resource = aws_vpc.main.arn }}] }})
}}
module "db" {{
  source = "./modules/db"
  count  = {dbs}
  name   = "${{local.name}}-db-${{count.index}}"
  public = {public}
  sg_ids = [for g in aws_security_group.web : g.id]
}}
module "registry" {{
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}}
'''

DB_TF = '''variable "name" {}
variable "public" {
  default = false
}
variable "sg_ids" {
  default = []
}
module "params" {
  source = "../params"
  prefix = var.name
}
resource "aws_db_instance" "this" {
  identifier             = var.name
  engine                 = "postgres"
  publicly_accessible    = var.public
  vpc_security_group_ids = var.sg_ids
  parameter_group_name   = module.params.group
}
output "endpoint" {
  value = aws_db_instance.this.endpoint
}
'''

PARAMS_TF = '''variable "prefix" {}
resource "aws_db_parameter_group" "this" {
  name   = "${var.prefix}-params"
  family = "postgres15"
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}
output "group" {
  value = aws_db_parameter_group.this.name
}
'''

BROKEN = [
    ("broken.tf", 'resource "aws_s3_bucket" "ok" {}\nresource "aws_s3_bucket" "x" {\n  bucket = \n}\n'),
    ("junk.tf", "\x00\x01binary\x00"),
    ("deep.tf", "locals {\n  d = " + "[" * 300 + "]" * 300 + "\n}\n"),
    ("huge_count.tf", 'resource "aws_instance" "many" {\n  count = 100000000\n}\n'),
    ("loop.tf", 'module "self" {\n  source = "./"\n}\n'),
    ("bad.tf.json", '{"resource": {"aws_s3_bucket": {"b": {"bucket": "${unclosed"}}}, }'),
]


def generate(root: str, seed: int = 0, roots: int = 10) -> int:
    """Write ``roots`` root modules (and their child modules) under ``root``; returns files written."""
    rnd = random.Random(seed)
    written = 0
    for n in range(roots):
        base = os.path.join(root, f"stack{n:03d}")
        files = {
            "main.tf": ROOT_TF.format(
                env=rnd.choice(["dev", "prod"]), port=rnd.choice([80, 3389, 8080]), n=n,
                cidr=rnd.choice(["0.0.0.0/0", "192.168.0.0/16"]), count=rnd.randint(0, 3),
                action=rnd.choice(["*", "s3:GetObject"]), dbs=rnd.randint(1, 2),
                public=rnd.choice(["true", "false", "var.env == \"dev\""])),
            "terraform.tfvars": f'env = "{rnd.choice(["stage", "prod"])}"\n',
            "extra.tf.json": json.dumps({"resource": {"aws_s3_bucket": {"logs": {
                "bucket": "${local.name}-logs", "tags": "${local.tags}"}}}}, indent=2),
            "modules/db/main.tf": DB_TF,
            "modules/params/main.tf": PARAMS_TF,
        }
        if n % 3 == 0:
            name, text = BROKEN[(n // 3) % len(BROKEN)]
            files[name] = text
        for rel, text in files.items():
            path = os.path.join(base, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            written += 1
    return written


def measure(directory: str) -> dict[str, float]:
    """Files, resources, edges and seconds for discover + parse (resolution included) + link."""
    from scanner.discover import discover
    from scanner.graph import build_graph
    from scanner.parse import ParseOptions, parse_all

    t0 = time.perf_counter()
    found = discover([directory], base=directory)
    parsed = parse_all(found.files, ParseOptions())
    graph = build_graph(parsed.resources)
    seconds = time.perf_counter() - t0
    crashes = [d for d in parsed.diagnostics if d.code == "parser-crash"]
    return {"files": len(found.files), "resources": len(parsed.resources),
            "edges": graph.number_of_edges(), "crashes": len(crashes), "seconds": round(seconds, 3)}


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for arg in sys.argv[1:]:
        print(arg, measure(arg))
