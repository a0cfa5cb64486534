"""Registry modules without a network: module descriptions evaluated at the call, placed at its argument lines, joined into the graph."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES
from scanner.api import load, scan
from scanner.formats.terraform.described import compile_description
from scanner.parse import ParseContext, ParseOptions
from scanner.formats.terraform.registry import BUILTIN_DIR, find, normalise
from scanner.versions import allowed, overlaps

REGISTRY = os.path.join(FIXTURES, "cases", "terraform", "registry")


def _findings(name, policy_ids, **options):
    directory = os.path.join(REGISTRY, name)
    report = scan([directory], base=directory, only=policy_ids, **options)
    return (sorted((f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings),
            report)


def _edges(name, **options):
    graph = load([os.path.join(REGISTRY, name)], base=os.path.join(REGISTRY, name), **options).graph
    return {(u, v, d.get("kind", k)) for u, v, k, d in graph.edges(keys=True, data=True)}


def test_public_rds_through_the_registry_module_is_found_at_the_argument():
    findings, report = _findings("public_rds", ["RG-AWS-002"])
    assert findings == [("RG-AWS-002", "module.db.module.db_instance.aws_db_instance.this[0]", "main.tf", 13)]
    assert [(d.code, d.path, d.line) for d in report.diagnostics if d.code.startswith("module-")] == [
        ("module-described", "main.tf", 6)]


def test_rds_through_the_module_joins_the_graph():
    edges = _edges("public_rds")
    db = "module.db.module.db_instance.aws_db_instance.this[0]"
    assert (db, "aws_security_group.db", "attached_to") in edges
    assert (db, "aws_security_group.db", "references") in edges
    # an output of the described module names the resource it is made of
    assert ("aws_ssm_parameter.db_host", db, "references") in edges
    assert ("internet", db, "exposes") in edges


def test_private_rds_through_the_same_module_stays_clean():
    findings, _ = _findings("private_rds", ["RG-AWS-002", "RG-AWS-024", "RG-AWS-026", "RG-AWS-027"])
    assert findings == []
    assert ("internet", "module.db.module.db_instance.aws_db_instance.this[0]", "exposes") not in _edges("private_rds")


def test_module_defaults_are_used_and_reported_at_the_call_line(tmp_path):
    # deletion_protection is left to the module's default (false): reported at the call's first line;
    # storage_encrypted is given: reported at its argument; the module's own default encrypts
    (tmp_path / "main.tf").write_text(
        'module "db" {\n  source = "terraform-aws-modules/rds/aws"\n  identifier = "a"\n'
        '  storage_encrypted = false\n}\n'
        'module "db2" {\n  source = "terraform-aws-modules/rds/aws"\n  deletion_protection = true\n}\n')
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-AWS-024", "RG-AWS-026"])
    assert sorted((f.policy_id, f.resource, f.location.start_line) for f in report.findings) == [
        ("RG-AWS-024", "module.db.module.db_instance.aws_db_instance.this[0]", 4),
        ("RG-AWS-026", "module.db.module.db_instance.aws_db_instance.this[0]", 1),
    ]


def test_ssh_open_security_group_rules_are_located_at_the_element():
    findings, _ = _findings("ssh_sg", ["RG-AWS-001"])
    assert findings == [
        ("RG-AWS-001", "module.bastion_sg.aws_security_group_rule.ingress_with_cidr_blocks[1]", "main.tf", 11),
        ("RG-AWS-001", "module.ssh_only.module.sg.aws_security_group_rule.ingress_rules[0]", "main.tf", 28),
    ]


def test_security_group_rules_join_their_group_and_the_instance():
    edges = _edges("ssh_sg")
    group = "module.bastion_sg.aws_security_group.this_name_prefix[0]"
    assert ("aws_instance.bastion", group, "attached_to") in edges
    for rule in ("ingress_rules[0]", "ingress_with_cidr_blocks[0]", "ingress_with_cidr_blocks[1]"):
        assert any(u == f"module.bastion_sg.aws_security_group_rule.{rule}" and v == group for u, v, _ in edges)


def test_s3_public_access_block_turned_off_is_found_at_the_argument():
    findings, _ = _findings("s3_open", ["RG-AWS-006", "RG-AWS-008"])
    # the first setting left off; the bucket with the deny-insecure-transport statement passes RG-AWS-008,
    # the bucket without a policy does not
    assert findings == [
        ("RG-AWS-006", "module.assets.aws_s3_bucket_public_access_block.this[0]", "main.tf", 8),
        ("RG-AWS-008", "module.logs.aws_s3_bucket.this[0]", "main.tf", 15),
    ]
    edges = _edges("s3_open")
    assert ("module.assets.aws_s3_bucket_public_access_block.this[0]", "module.assets.aws_s3_bucket.this[0]",
            "references") in edges


def test_downloaded_module_wins_over_the_description():
    findings, report = _findings("installed_wins", ["RG-AWS-002"])
    assert findings == [("RG-AWS-002", "module.db.aws_db_instance.downloaded", ".terraform/modules/db/main.tf", 6)]
    assert not [d for d in report.diagnostics if d.code == "module-described"]


def test_a_users_description_of_an_internal_module(tmp_path):
    descriptions = os.path.join(REGISTRY, "internal", "descriptions")
    findings, report = _findings("internal/infra", ["RG-AWS-048", "RG-AWS-049"], module_descriptions=[descriptions])
    assert {(p, r, line) for p, r, _, line in findings} <= {
        ("RG-AWS-048", "module.cache.aws_elasticache_replication_group.this", 4),
        ("RG-AWS-049", "module.cache.aws_elasticache_replication_group.this", 4)}
    assert findings
    without, report = _findings("internal/infra", ["RG-AWS-048", "RG-AWS-049"])
    assert without == []
    assert [d.code for d in report.diagnostics if d.code.startswith("module-")] == ["module-not-local"]


def test_a_broken_user_description_is_an_error_not_skipped(tmp_path):
    (tmp_path / "bad.yaml").write_text("sources: {x/y/aws: {}}\nresources:\n  not an address: {}\n")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "main.tf").write_text('module "m" {\n  source = "x/y/aws"\n}\n')
    report = scan([str(tmp_path / "code")], module_descriptions=[str(tmp_path)], only=["RG-AWS-002"])
    codes = sorted((d.code, d.level) for d in report.diagnostics)
    assert ("module-description-invalid", "error") in codes
    assert ("module-not-local", "info") in codes


@pytest.mark.parametrize("source, expected", [
    ("terraform-aws-modules/rds/aws", ("terraform-aws-modules/rds/aws", None)),
    ("registry.terraform.io/terraform-aws-modules/vpc/aws", ("terraform-aws-modules/vpc/aws", None)),
    ("git::https://github.com/terraform-aws-modules/terraform-aws-ec2-instance.git?ref=v5.6.0",
     ("terraform-aws-modules/ec2-instance/aws", "v5.6.0")),
    ("github.com/terraform-aws-modules/terraform-aws-iam//modules/iam-assumable-role?ref=v5.2.0",
     ("terraform-aws-modules/iam/aws//modules/iam-assumable-role", "v5.2.0")),
    ("git::ssh://git@git.example.com/platform/redis.git?ref=v1", ("git.example.com/platform/redis", "v1")),
])
def test_sources_normalise_to_their_registry_key(source, expected):
    assert normalise(source) == expected


@pytest.mark.parametrize("a, b, expected", [
    ("~> 6.1", ">= 4.0.0", True),
    ("~> 3.0", ">= 4.0.0", False),
    ("~> 3.18.1", ">= 3.0.0, < 4.0.0", True),
    ("4.0.0", ">= 3.0.0, < 4.0.0", False),
    (">= 2, < 5", ">= 4.0.0", True),
    ("= 5.1.2", ">= 5.1.2", True),
    ("<= 5.1", "> 5.1", False),
    ("v5.1.0", "~> 5.1", True),
])
def test_version_constraints_overlap(a, b, expected):
    assert overlaps(allowed(a), allowed(b)) is expected


@pytest.mark.parametrize("text", ["", ">= 4.0,", "main", "~> 5.x"])
def test_an_unreadable_or_empty_constraint_is_none(text):
    assert allowed(text) is None


def test_a_version_no_description_covers_is_not_described():
    problems = []
    assert find(ParseContext(ParseOptions()), "terraform-aws-modules/rds/aws", "~> 2.0", (), problems) is None
    assert find(ParseContext(ParseOptions()), "terraform-aws-modules/rds/aws", "~> 6.0", (), problems) is not None
    assert problems == []


def test_every_shipped_description_compiles():
    names = sorted(n for n in os.listdir(BUILTIN_DIR) if n.endswith(".yaml"))
    assert len(names) >= 3
    for name in names:
        with open(os.path.join(BUILTIN_DIR, name), "rb") as handle:
            desc = compile_description(name, handle.read())
        assert desc.sources and desc.module.resources, name


def test_a_description_refuses_unknown_keys():
    with pytest.raises(ValueError, match="unknown key 'resource'"):
        compile_description("x.yaml", b"sources: {a/b/aws: {}}\nresource: {}\n")


def test_map_inputs_locate_each_element_by_its_key():
    findings, _ = _findings("alb", ["RG-AWS-001", "RG-AWS-042", "RG-AWS-043"])
    assert findings == [
        ("RG-AWS-001", 'module.alb.aws_vpc_security_group_ingress_rule.this["ssh"]', "main.tf", 14),
        ("RG-AWS-042", 'module.alb.aws_lb_listener.this["http"]', "main.tf", 21),
        ("RG-AWS-043", 'module.alb.aws_lb_listener.this["https"]', "main.tf", 26),
    ]
    edges = _edges("alb")
    assert ('module.alb.aws_lb_listener.this["https"]', "module.alb.aws_lb.this[0]", "references") in edges


def test_oidc_role_trust_policies_through_the_iam_submodules():
    findings, _ = _findings("iam", ["RG-AWS-040", "RG-AWS-089"])
    assert findings == [("RG-AWS-040", "module.irsa_open.aws_iam_role_policy_attachment.custom[0]", "main.tf", 7)]
    directory = os.path.join(REGISTRY, "iam")
    roles = {r.address: r.attributes for r in load([directory], base=directory).resources if r.type == "aws_iam_role"}
    scoped = roles["module.irsa_scoped.aws_iam_role.this[0]"]["$assume_role_policy"]["Statement"][0]
    assert scoped["Condition"] == {"StringEquals": {
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": ["system:serviceaccount:kube-system:ebs-csi"]}}
    ebs = roles["module.ebs_irsa.aws_iam_role.this[0]"]["$assume_role_policy"]["Statement"][0]
    assert ebs["Principal"] == {
        "Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"}
    assert sorted(ebs["Condition"]["StringEquals"]) == [
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud", "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"]


def test_a_changed_user_description_is_noticed_by_stored_results(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "main.tf").write_text('module "db" {\n  source = "example.com/db"\n  public = true\n}\n')
    (tmp_path / "desc").mkdir()
    text = ('sources: {example.com/db: {}}\ninputs: {public: false}\n'
            'resources:\n  aws_db_instance.this:\n    arguments: {publicly_accessible: %s}\n')
    (tmp_path / "desc" / "db.yaml").write_text(text % "var.public")

    def run():
        report = scan([str(tmp_path / "code")], base=str(tmp_path / "code"), only=["RG-AWS-002"],
                      module_descriptions=[str(tmp_path / "desc")])
        return [(f.resource, f.location.start_line) for f in report.findings], report

    first, _ = run()
    assert first == [("module.db.aws_db_instance.this", 3)]
    again, report = run()
    assert again == first and "result_cache" in report.stats["seconds"]
    (tmp_path / "desc" / "db.yaml").write_text(text % "false")
    changed, report = run()
    assert changed == [] and "result_cache" not in report.stats["seconds"]


def test_the_configuration_names_description_directories(tmp_path):
    from scanner.config import ConfigError, load_config

    (tmp_path / ".riskgraph.yaml").write_text("terraform:\n  module_descriptions: [tools/modules]\n")
    assert load_config(str(tmp_path / ".riskgraph.yaml")).module_descriptions == (
        os.path.join(str(tmp_path), "tools", "modules"),)
    (tmp_path / ".riskgraph.yaml").write_text("terraform:\n  module_description: [x]\n")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path / ".riskgraph.yaml"))


def test_gke_cluster_and_node_pools_through_the_registry_modules():
    findings, _ = _findings("gke", ["RG-GCP-010", "RG-GCP-017", "RG-GCP-024", "RG-GCP-028"])
    assert findings == [
        ("RG-GCP-010", "module.public.google_container_cluster.primary", "main.tf", 15),  # no private nodes
        ("RG-GCP-017", 'module.gke.google_container_node_pool.pools["pool-b"]', "main.tf", 12),
        ("RG-GCP-024", "module.gke.google_container_cluster.primary", "main.tf", 9),      # 0.0.0.0/0 authorized
        ("RG-GCP-024", "module.public.google_container_cluster.primary", "main.tf", 15),  # none authorized
        ("RG-GCP-028", 'module.gke.google_container_node_pool.pools["pool-a"]', "main.tf", 11),
    ]


def test_aks_defaults_are_found_and_a_hardened_call_is_clean():
    findings, _ = _findings("aks", ["RG-AZ-009", "RG-AZ-010", "RG-AZ-020"])
    # RBAC off, a public API server open to all, no network policy: all module defaults, at the call
    assert findings == [
        ("RG-AZ-009", "module.aks.azurerm_kubernetes_cluster.main", "main.tf", 1),
        ("RG-AZ-010", "module.aks.azurerm_kubernetes_cluster.main", "main.tf", 1),
        ("RG-AZ-020", "module.aks.azurerm_kubernetes_cluster.main", "main.tf", 1),
    ]


def test_kms_key_rotation_turned_off_through_the_module():
    findings, _ = _findings("kms", ["RG-AWS-033"])
    assert findings == [("RG-AWS-033", "module.kms.aws_kms_key.this[0]", "main.tf", 5)]
    edges = _edges("kms")
    assert ("aws_s3_bucket_server_side_encryption_configuration.b", "module.kms.aws_kms_key.this[0]",
            "references") in edges
    assert ('module.kms.aws_kms_alias.this["app"]', "module.kms.aws_kms_key.this[0]", "references") in edges


def test_an_rds_proxy_through_the_registry_module_logs_in_with_its_secrets():
    # the module's auth blocks are a dynamic block over `secrets`: the proxy refers to both secrets,
    # so the one without rotation is a database credential that is never rotated (RG-AWS-072)
    proxy = "module.proxy.aws_db_proxy.this[0]"
    edges = _edges("rds_proxy")
    assert (proxy, "aws_secretsmanager_secret.admin", "references") in edges
    assert (proxy, "aws_secretsmanager_secret.app", "references") in edges
    findings, report = _findings("rds_proxy", ["RG-AWS-072"])
    assert findings == [("RG-AWS-072", "aws_secretsmanager_secret.admin", "main.tf", 1)]
    assert [(d.code, d.line) for d in report.diagnostics if d.code == "module-described"] == [
        ("module-described", 17)]



def test_eks_v21_and_v18_calls_are_read_with_their_own_inputs_and_defaults():
    # v21 names its inputs without the cluster_ prefix and keeps the endpoint private and secrets encrypted
    # by default; v18 opens the public endpoint to 0.0.0.0/0 and encrypts nothing unless told
    findings, report = _findings("eks", ["RG-AWS-057", "RG-AWS-058", "RG-AWS-059"])
    assert findings == [
        ("RG-AWS-057", "module.legacy.aws_eks_cluster.this[0]", "main.tf", 27),  # v18 defaults
        ("RG-AWS-057", "module.open.aws_eks_cluster.this[0]", "main.tf", 2),     # public, default CIDRs
        ("RG-AWS-058", "module.legacy.aws_eks_cluster.this[0]", "main.tf", 27),
        ("RG-AWS-058", "module.open.aws_eks_cluster.this[0]", "main.tf", 2),     # encryption_config = null
        ("RG-AWS-059", "module.open.aws_eks_cluster.this[0]", "main.tf", 10),    # enabled_log_types
    ]
    assert sorted((d.line, d.message.split("riskgraph:modules/")[1].split(" ")[0]) for d in report.diagnostics
                  if d.code == "module-described") == [
        (2, "aws-eks-21.yaml"), (16, "aws-eks-21.yaml"), (27, "aws-eks-18.yaml"), (38, "aws-eks-18.yaml")]


def test_eks_module_outputs_join_the_callers_rules_and_key():
    edges = _edges("eks")
    assert ("aws_security_group_rule.node_https", "module.private.aws_security_group.node[0]", "attached_to") in edges
    assert ("aws_security_group_rule.node_https", "module.private.aws_security_group.cluster[0]",
            "references") in edges
    assert ("module.legacy_hardened.aws_eks_cluster.this[0]", "aws_kms_key.eks", "references") in edges
    assert ("internet", "module.legacy.aws_eks_cluster.this[0]", "exposes") in edges
    assert ("internet", "module.private.aws_eks_cluster.this[0]", "exposes") not in edges
    assert ("internet", "module.legacy_hardened.aws_eks_cluster.this[0]", "exposes") not in edges


def test_eks_versions_between_descriptions_stay_not_local():
    problems = []
    context = ParseContext(ParseOptions())
    assert find(context, "terraform-aws-modules/eks/aws", "~> 17.0", (), problems) is None
    assert find(context, "terraform-aws-modules/eks/aws", "~> 22.0", (), problems) is None
    assert find(context, "terraform-aws-modules/eks/aws", "~> 21.3", (), problems).description.path.endswith(
        "aws-eks-21.yaml")
    assert problems == []


def test_google_network_firewall_rules_and_subnets_are_found_at_their_elements():
    findings, report = _findings("gcp_network", ["RG-GCP-001", "RG-GCP-014", "RG-GCP-031"])
    rules = "module.net.module.firewall_rules.google_compute_firewall.rules_ingress_egress"
    assert findings == [
        ("RG-GCP-001", f'{rules}["allow-ssh-anywhere"]', "main.tf", 35),  # the ingress_rules element
        # flow logs left to the module's default (off): at the subnet's element; the proxy-only subnet
        # cannot have them
        ("RG-GCP-014", 'module.net.module.subnets.google_compute_subnetwork.subnetwork["europe-west1/quiet"]',
         "main.tf", 15),
        ("RG-GCP-031", 'module.legacy_rules.module.firewall_rules.google_compute_firewall.rules'
         '["allow-postgres-anywhere"]', "main.tf", 64),  # the deprecated firewall_rules list
    ]
    assert [d.line for d in report.diagnostics if d.code == "module-described"] == [1, 51]
    directory = os.path.join(REGISTRY, "gcp_network")
    subnets = {r.address: r for r in load([directory], base=directory).resources
               if r.type == "google_compute_subnetwork"}
    logged = subnets['module.net.module.subnets.google_compute_subnetwork.subnetwork["europe-west1/logged"]']
    assert logged.attributes["private_ip_google_access"] is True
    assert logged.attributes["log_config"][0]["metadata"] == "INCLUDE_ALL_METADATA"  # the module's default
    assert logged.lines["log_config.0"] == 8  # the subnets element


def test_google_network_outputs_name_the_one_subnet_an_instance_uses():
    edges = _edges("gcp_network")
    subnet = 'module.net.module.subnets.google_compute_subnetwork.subnetwork["europe-west1/%s"]'
    assert ("google_compute_instance.bastion", subnet % "quiet", "references") in edges
    assert ("google_compute_instance.bastion", subnet % "logged", "references") not in edges
    # the firewall rule whose target tag the instance carries
    assert ("google_compute_instance.bastion",
            'module.net.module.firewall_rules.google_compute_firewall.rules_ingress_egress["allow-ssh-anywhere"]',
            "attached_to") in edges
    assert (subnet % "quiet", "module.net.module.vpc.google_compute_network.network", "references") in edges


def test_an_empty_dynamic_block_is_no_block(tmp_path):
    # a dynamic block over an empty collection writes no block: `log_config` is absent, as in Terraform
    (tmp_path / "main.tf").write_text(
        'variable "on" { default = false }\n'
        'resource "google_compute_subnetwork" "s" {\n  name = "a"\n  ip_cidr_range = "10.0.0.0/24"\n'
        '  network = "n"\n  dynamic "log_config" {\n    for_each = var.on ? [1] : []\n'
        '    content { metadata = "INCLUDE_ALL_METADATA" }\n  }\n}\n')
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-GCP-014"])
    assert [(f.resource, f.location.start_line) for f in report.findings] == [("google_compute_subnetwork.s", 2)]
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace("false", "true"))
    assert scan([str(tmp_path)], base=str(tmp_path), only=["RG-GCP-014"]).findings == ()


def test_iam_v6_service_account_roles_through_the_renamed_submodule():
    # v6 renamed iam-role-for-service-accounts-eks to iam-role-for-service-accounts, role_policy_arns to policies
    findings, report = _findings("iam_v6", ["RG-AWS-040"])
    assert findings == [
        ("RG-AWS-040", 'module.admin_irsa.aws_iam_role_policy_attachment.additional["admin"]', "main.tf", 12)]
    assert [d.line for d in report.diagnostics if d.code == "module-described"] == [1, 16]
    directory = os.path.join(REGISTRY, "iam_v6")
    roles = {r.address: r.attributes for r in load([directory], base=directory).resources if r.type == "aws_iam_role"}
    trust = roles["module.ebs_irsa.aws_iam_role.this[0]"]["$assume_role_policy"]["Statement"][0]
    assert trust["Condition"]["StringEquals"]["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"] == [
        "system:serviceaccount:kube-system:ebs-csi-controller-sa"]
    # the service account annotated with the module's `arn` output assumes the role
    assert ("kubernetes_service_account.ebs", "module.ebs_irsa.aws_iam_role.this[0]", "assumes") in _edges("iam_v6")
    problems = []
    assert find(ParseContext(ParseOptions()), "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts",
                "~> 7.0", (), problems) is None


def test_ec2_v6_instance_volumes_and_security_group_through_the_module():
    # v6 requires IMDSv2 by default (v5 did not); the caller turned it off at `metadata_options`
    findings, report = _findings("ec2_v6", ["RG-AWS-001", "RG-AWS-016", "RG-AWS-018", "RG-AWS-022", "RG-AWS-040"])
    assert findings == [
        ("RG-AWS-001", 'module.bastion.aws_vpc_security_group_ingress_rule.this["ssh"]', "main.tf", 31),
        # the ebs_volumes entry that leaves `encrypted` out: found at its key, not at the call
        ("RG-AWS-016", 'module.bastion.aws_ebs_volume.this["/dev/sdf"]', "main.tf", 17),
        ("RG-AWS-018", "module.bastion.aws_instance.this[0]", "main.tf", 9),
        # ignore_ami_changes: the instance is aws_instance.ignore_ami, read from the same arguments
        ("RG-AWS-018", "module.gateway.aws_instance.ignore_ami[0]", "main.tf", 69),
        ("RG-AWS-022", "module.bastion.aws_instance.this[0]", "main.tf", 8),
        ("RG-AWS-040", 'module.gateway.aws_iam_role_policy_attachment.this["AdministratorAccess"]', "main.tf", 67),
    ]
    assert [d.line for d in report.diagnostics if d.code == "module-described"] == [2, 39, 57]
    edges = _edges("ec2_v6")
    rule = "aws_vpc_security_group_ingress_rule.from_bastion"
    assert (rule, "module.worker.aws_security_group.this[0]", "attached_to") in edges
    assert (rule, "module.bastion.aws_security_group.this[0]", "references") in edges
    assert ("module.worker.aws_instance.this[0]", "module.worker.aws_security_group.this[0]", "attached_to") in edges
    problems = []
    assert find(ParseContext(ParseOptions()), "terraform-aws-modules/ec2-instance/aws", "~> 6.1", (),
                problems).description.path.endswith("aws-ec2-instance-6.yaml")


def test_s3_bucket_v3_before_3_9_leaves_the_public_access_block_off():
    # v3.0-v3.8 create the public access block with all four settings false; v3.9 and later with all true
    findings, report = _findings("s3_v3", ["RG-AWS-006", "RG-AWS-008"])
    assert findings == [("RG-AWS-006", "module.legacy.aws_s3_bucket_public_access_block.this[0]", "main.tf", 2)]
    assert sorted((d.line, d.message.split("riskgraph:modules/")[1].split(" ")[0]) for d in report.diagnostics
                  if d.code == "module-described") == [
        (2, "aws-s3-bucket-3.0.yaml"), (11, "aws-s3-bucket-3.0.yaml"), (24, "aws-s3-bucket.yaml")]
    assert ("aws_s3_bucket_notification.legacy", "module.legacy.aws_s3_bucket.this[0]", "references") in _edges("s3_v3")
    problems = []
    assert find(ParseContext(ParseOptions()), "terraform-aws-modules/s3-bucket/aws", "~> 2.0", (), problems) is None


def test_rds_proxy_v3_and_v4_log_in_with_the_secrets_of_auth():
    # v3 and later name each login in `auth` (v2 took `secrets`): the proxy refers to each secret_arn
    edges = _edges("rds_proxy_v4")
    assert ("module.proxy.aws_db_proxy.this[0]", "aws_secretsmanager_secret.admin", "references") in edges
    assert ("module.proxy_v3.aws_db_proxy.this[0]", "aws_secretsmanager_secret.app", "references") in edges
    assert ("module.proxy.aws_db_proxy.this[0]", "aws_secretsmanager_secret.app", "references") not in edges
    assert ("aws_route53_record.proxy", "module.proxy.aws_db_proxy.this[0]", "references") in edges
    findings, report = _findings("rds_proxy_v4", ["RG-AWS-072"])
    assert findings == [("RG-AWS-072", "aws_secretsmanager_secret.admin", "main.tf", 1)]
    assert sorted((d.line, d.message.split("riskgraph:modules/")[1].split(" ")[0]) for d in report.diagnostics
                  if d.code == "module-described") == [(18, "aws-rds-proxy-4.yaml"), (34, "aws-rds-proxy-3.yaml")]


def test_google_network_submodules_called_on_their_own():
    # //modules/subnets and //modules/firewall-rules put their resources directly under the call
    findings, report = _findings("gcp_network_submodules", ["RG-GCP-001", "RG-GCP-014", "RG-GCP-031"])
    assert findings == [
        ("RG-GCP-001", 'module.firewall.google_compute_firewall.rules_ingress_egress["allow-rdp"]', "main.tf", 34),
        ("RG-GCP-014", 'module.subnets.google_compute_subnetwork.subnetwork["europe-west1/batch"]', "main.tf", 19),
    ]
    assert [d.line for d in report.diagnostics if d.code == "module-described"] == [6, 27]
    edges = _edges("gcp_network_submodules")
    assert ('module.firewall.google_compute_firewall.rules_ingress_egress["allow-https"]', "google_compute_network.main",
            "references") in edges
    assert ('module.subnets.google_compute_subnetwork.subnetwork["europe-west1/app"]', "google_compute_network.main",
            "references") in edges


def test_lambda_triggers_are_granted_on_the_version_and_the_unqualified_function_each_behind_its_switch(tmp_path):
    # analytical-platform turns the current-version grants off: the module creates only the unqualified
    # one, which is where a trigger without a source reaches the function (round 15; its trigger was
    # CloudWatch Logs, which invokes only within its own account: SNS here)
    (tmp_path / "main.tf").write_text(
        'module "fn" {\n  source  = "terraform-aws-modules/lambda/aws"\n  version = "8.8.0"\n'
        '  function_name = "processor"\n'
        '  create_current_version_allowed_triggers = false\n'
        '  allowed_triggers = {\n    alerts = {\n      principal = "sns.amazonaws.com"\n    }\n  }\n}\n'
        'module "both" {\n  source  = "terraform-aws-modules/lambda/aws"\n  version = "8.8.0"\n'
        '  function_name = "other"\n'
        '  allowed_triggers = {\n    events = {\n      service    = "events"\n'
        '      source_arn = "arn:aws:events:eu-west-2:111122223333:rule/nightly"\n    }\n  }\n}\n')
    report = scan([str(tmp_path)], base=str(tmp_path))
    permissions = sorted(r.address for r in load([str(tmp_path)], base=str(tmp_path)).resources
                         if r.type == "aws_lambda_permission")
    assert permissions == ['module.both.aws_lambda_permission.current_version_triggers["events"]',
                           'module.both.aws_lambda_permission.unqualified_alias_triggers["events"]',
                           'module.fn.aws_lambda_permission.unqualified_alias_triggers["alerts"]']
    assert sorted((f.policy_id, f.resource) for f in report.findings if f.policy_id == "RG-AWS-056") == [
        ("RG-AWS-056", 'module.fn.aws_lambda_permission.unqualified_alias_triggers["alerts"]')]
