"""Benchmark corpora: N generated services, each with Terraform (root + shared modules), Kubernetes and architecture YAML."""

from __future__ import annotations

import os
from typing import Callable

_NETWORK_MODULE = {
    "variables.tf": '''variable "name" {
  type = string
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}

variable "subnet_count" {
  type    = number
  default = 2
}

variable "admin_cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8"]
}

variable "tags" {
  type    = map(string)
  default = {}
}
''',
    "main.tf": '''locals {
  common_tags = merge(var.tags, { Module = "network", Name = var.name })
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  tags                 = local.common_tags
}

resource "aws_subnet" "private" {
  count      = var.subnet_count
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index)
  tags       = merge(local.common_tags, { Tier = "private-${count.index}" })
}

resource "aws_security_group" "admin" {
  name   = "${var.name}-admin"
  vpc_id = aws_vpc.this.id

  ingress {
    description = "SSH from admin networks"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.admin_cidrs
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_flow_log" "this" {
  vpc_id       = aws_vpc.this.id
  traffic_type = "ALL"
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_ids" {
  value = aws_subnet.private[*].id
}

output "admin_sg_id" {
  value = aws_security_group.admin.id
}
''',
}


def _service_tf(i: int) -> dict[str, str]:
    public = i % 3 == 0
    name = f"svc{i:05d}"
    admin = '["0.0.0.0/0"]' if i % 4 == 0 else '["10.20.0.0/16"]'
    bucket_arn = '"${aws_s3_bucket.assets_%s.arn}/*"' % name
    main = f'''locals {{
  name = "{name}"
  tags = {{
    Service = local.name
    Owner   = "team-{i % 17}"
  }}
}}

module "net_{name}" {{
  source       = "../../modules/network"
  name         = local.name
  cidr         = var.cidr
  subnet_count = 2
  admin_cidrs  = var.admin_cidrs
  tags         = local.tags
}}

resource "aws_security_group" "web_{name}" {{
  name   = "${{local.name}}-web"
  vpc_id = module.net_{name}.vpc_id

  ingress {{
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}

  ingress {{
    description = "database"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [{'"0.0.0.0/0"' if public else '"10.1.0.0/16"'}]
  }}
}}

resource "aws_db_instance" "main_{name}" {{
  identifier             = "${{local.name}}-db"
  engine                 = "postgres"
  instance_class         = "db.t3.medium"
  allocated_storage      = 20
  username               = "app"
  password               = var.db_password
  publicly_accessible    = {str(public).lower()}
  storage_encrypted      = {str(not public).lower()}
  vpc_security_group_ids = [aws_security_group.web_{name}.id, module.net_{name}.admin_sg_id]
  tags                   = local.tags
}}

resource "aws_s3_bucket" "assets_{name}" {{
  bucket = "${{local.name}}-assets"
  tags   = local.tags
}}

resource "aws_s3_bucket_public_access_block" "assets_{name}" {{
  bucket                  = aws_s3_bucket.assets_{name}.id
  block_public_acls       = {str(not public).lower()}
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_iam_role" "app_{name}" {{
  name = "${{local.name}}-app"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "ec2.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_iam_policy" "app_{name}" {{
  name = "${{local.name}}-app"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = {'"*"' if i % 5 == 0 else '["s3:GetObject", "s3:PutObject"]'}
      Resource = {'"*"' if i % 5 == 0 else bucket_arn}
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "app_{name}" {{
  role       = aws_iam_role.app_{name}.name
  policy_arn = aws_iam_policy.app_{name}.arn
}}

resource "aws_instance" "bastion_{name}" {{
  ami                    = "ami-0abcdef1234567890"
  instance_type          = var.instance_type
  subnet_id              = module.net_{name}.subnet_ids[0]
  vpc_security_group_ids = [module.net_{name}.admin_sg_id]
  iam_instance_profile   = aws_iam_role.app_{name}.name
  tags                   = merge(local.tags, {{ Role = "bastion" }})
}}
'''
    variables = f'''variable "cidr" {{
  type    = string
  default = "10.{i % 250}.0.0/16"
}}

variable "admin_cidrs" {{
  type    = list(string)
  default = {admin}
}}

variable "db_password" {{
  type      = string
  sensitive = true
}}

variable "instance_type" {{
  type    = string
  default = "t3.micro"
}}
'''
    tfvars = f'instance_type = "t3.small"\ndb_password   = "Bench-{i:05d}-pw"\n'
    return {"main.tf": main, "variables.tf": variables, "terraform.tfvars": tfvars}


def _service_k8s(i: int) -> str:
    ns = f"svc{i:05d}"
    root = i % 2 == 0
    docs = [f'''apiVersion: v1
kind: Namespace
metadata:
  name: {ns}''', f'''apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: {ns}''', f'''apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
  namespace: {ns}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"''']
    for app in ("api", "worker"):
        docs.append(f'''apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
  labels: {{app: {app}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}}}
    spec:
      serviceAccountName: api
      containers:
        - name: {app}
          image: registry.example.com/{ns}/{app}:1.{i % 9}.0
          ports:
            - containerPort: 8080
          envFrom:
            - configMapRef: {{name: api-config}}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
          securityContext:
            runAsNonRoot: {str(not root).lower()}
            allowPrivilegeEscalation: {str(root).lower()}
            readOnlyRootFilesystem: true''')
        docs.append(f'''apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
spec:
  type: {"LoadBalancer" if app == "api" and root else "ClusterIP"}
  selector: {{app: {app}}}
  ports:
    - port: 80
      targetPort: 8080''')
    docs.append(f'''apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
  namespace: {ns}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: registry.example.com/{ns}/cleanup:1.0.0
              securityContext:
                privileged: {str(i % 7 == 0).lower()}''')
    docs.append(f'''apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: {ns}
rules:
  - apiGroups: [""]
    resources: ["configmaps", "pods"]
    verbs: ["get", "list"]''')
    docs.append(f'''apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: api-reader
  namespace: {ns}
subjects:
  - kind: ServiceAccount
    name: api
    namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader''')
    docs.append(f'''apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {ns}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]''')
    return "\n---\n".join(docs) + "\n"


def _service_arch(i: int) -> str:
    ns = f"svc{i:05d}"
    return f'''version: 1
name: Service {ns}
zones:
  - {{id: dmz_{ns}, trust: 1}}
  - {{id: private_{ns}, trust: 3}}
components:
  - id: api_{ns}
    type: api
    zone: dmz_{ns}
    exposure: public
    processes: [pii_{ns}]
    controls: {{tls: true, waf: {str(i % 2 == 1).lower()}, logging: true}}
    implemented_by:
      - k8s:apps/Deployment/{ns}/api
  - id: db_{ns}
    type: database
    zone: private_{ns}
    exposure: private
    stores: [pii_{ns}]
    controls: {{encryption_at_rest: true, backups: true}}
    implemented_by:
      - aws_db_instance.main_{ns}
data:
  - id: pii_{ns}
    classification: pii
    regulations: [gdpr]
flows:
  - {{from: api_{ns}, to: db_{ns}, protocol: postgres, port: 5432, data: [pii_{ns}], tls: {str(i % 3 != 0).lower()}, authentication: password}}
'''


def write_corpus(root: str, services: int) -> str:
    """Write ``services`` services under ``root`` and return it."""
    _write_files(os.path.join(root, "modules", "network"), _NETWORK_MODULE)
    for i in range(services):
        name = f"svc{i:05d}"
        _write_files(os.path.join(root, "terraform", name), _service_tf(i))
        _write_files(os.path.join(root, "kubernetes"), {f"{name}.yaml": _service_k8s(i)})
        _write_files(os.path.join(root, "architecture"), {f"{name}.yaml": _service_arch(i)})
    return root


def write_small(root: str) -> str:
    """One small Terraform file: the cold-start case."""
    _write_files(root, {"main.tf": '''resource "aws_security_group" "ssh" {
  name = "ssh"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
'''})
    return root


def _write_files(directory: str, files: dict[str, str]) -> None:
    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
            handle.write(text)


GENERATORS: dict[str, Callable[[str, int], str]] = {"services": write_corpus}
