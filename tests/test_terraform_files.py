"""Which Terraform files make a module: duplicate declarations, override files, OpenTofu's `.tofu`, and a plan beside `.tf` code."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import FIXTURES, ROOT
from scanner.api import load, scan
from scanner.graph import build_graph
from scanner.model import Layer, Location, Resource, Unknown

CASES = os.path.join(FIXTURES, "cases", "terraform")
PLAN = os.path.join(CASES, "plan")


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _found(report):
    return [(f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings]


def _diagnostics(report):
    return [(d.code, d.level, d.path, d.line, d.message) for d in report.diagnostics]


def test_a_name_declared_twice_keeps_the_first_and_names_both_places():
    here = "fixtures/cases/terraform/duplicates"
    report = scan([os.path.join(CASES, "duplicates")], only=["RG-AWS-001"])
    assert _found(report) == []  # a.tf's group (port 443) is the one scanned; b.tf's (22) is refused
    assert _diagnostics(report) == [
        ("duplicate-declaration", "error", f"{here}/b.tf", 2,
         f"aws_security_group.web is declared twice in this module (first at {here}/a.tf:1); "
         "Terraform refuses this; this declaration is ignored"),
        ("duplicate-declaration", "error", f"{here}/b.tf", 12,
         f"local.port is declared twice in this module (first at {here}/a.tf:11); "
         "Terraform refuses this; this declaration is ignored"),
        ("override-file", "warning", f"{here}/web_override.tf", 1,
         "Terraform override file: merging overrides is not supported, so its blocks are ignored "
         "and the blocks they override are scanned as written"),
    ]
    assert load([os.path.join(CASES, "duplicates")]).graph.nodes["aws_security_group.web"][
        "resource"].location == Location(f"{here}/a.tf", 1, 8)


def test_tofu_files_are_terraform_and_replace_the_tf_file_of_the_same_name():
    here = "fixtures/cases/terraform/tofu"
    report = scan([os.path.join(CASES, "tofu")], only=["RG-AWS-001", "RG-AWS-002"])
    assert _found(report) == [("RG-AWS-002", "aws_db_instance.db", f"{here}/db.tofu.json", 5)]
    assert _diagnostics(report) == [
        ("tofu-shadowed", "info", f"{here}/main.tf", None,
         "not read: main.tofu beside it replaces it (OpenTofu)")]
    web = load([os.path.join(CASES, "tofu")]).graph.nodes["aws_security_group.web"]["resource"]
    assert web.location == Location(f"{here}/main.tofu", 1, 8)


def test_a_plan_of_other_code_does_not_hide_the_tf_files_beside_it():
    here = "fixtures/cases/terraform/plan/other_code"
    report = scan([os.path.join(PLAN, "other_code")], only=["RG-AWS-001"])
    assert _found(report) == [
        ("RG-AWS-001", "aws_security_group.web", f"{here}/main.tf", 7),
        ("RG-AWS-001", f"{here}/plan.json:aws_security_group.web", f"{here}/plan.json", 14),
        ("RG-AWS-001", f"{here}/plan.json:aws_security_group.admin", f"{here}/plan.json", 25),
    ]
    assert [(d.code, d.path) for d in report.diagnostics] == [("plan-root", f"{here}/plan.json")]
    assert report.diagnostics[0].message.startswith("not the plan of the .tf files beside it")


def test_a_plan_of_an_older_version_of_the_tf_files_does_not_give_them_its_values():
    # the plan declares the same cluster, but was made before main.tf gave it private nodes: the
    # code's cluster is judged as written, and the plan's own (public nodes) in the plan
    here = "fixtures/cases/terraform/plan/stale"
    report = scan([os.path.join(PLAN, "stale")], only=["RG-GCP-010"])
    assert _found(report) == [
        ("RG-GCP-010", f"{here}/plan.json:google_container_cluster.primary", f"{here}/plan.json", 7)]
    assert [(d.code, d.path, d.message) for d in report.diagnostics] == [
        ("plan-root", f"{here}/plan.json", "not the plan of the .tf files beside it (it was made from an "
         "older version of them: its google_container_cluster.primary lacks a block they write): both "
         "are scanned")]


def test_a_credential_the_provider_computes_is_found_where_the_plan_holds_it():
    # kube_config is computed by the provider, marked sensitive, and written in clear text into the
    # plan JSON: the finding points at the plan's line, since main.tf holds no credential
    here = "fixtures/cases/terraform/plan/held_secret"
    report = scan([os.path.join(PLAN, "held_secret")], only=["RG-SEC-002"])
    assert _found(report) == [("RG-SEC-002", "azurerm_kubernetes_cluster.aks", f"{here}/plan.json", 22)]
    assert report.findings[0].block.path == f"{here}/main.tf"   # the resource is still the .tf block
    assert "LS0tLS1" not in report.findings[0].message


def test_what_the_plan_holds_empty_and_the_tf_block_leaves_out_is_unset():
    # the plan writes an unset network_policy as "" (and an absent block as []): the .tf block, which
    # does not write it, has no policy, as a scan of main.tf alone says (achainarong/azure_terraform)
    here = "fixtures/cases/terraform/plan/empty_values"
    report = scan([os.path.join(PLAN, "empty_values")], only=["RG-AZ-020"])
    assert _found(report) == [("RG-AZ-020", "azurerm_kubernetes_cluster.aks", f"{here}/main.tf", 1)]
    aks = load([os.path.join(PLAN, "empty_values")]).graph.nodes["azurerm_kubernetes_cluster.aks"]["resource"]
    assert aks.attributes["network_profile"] == [{"network_plugin": "kubenet"}]
    assert "api_server_access_profile" not in aks.attributes


def test_blocks_written_more_than_once_keep_what_the_plan_holds():
    # a provider keeps ingress rules as a set, in its own order: the plan's first rule is the code's
    # second, so no argument of either is unset by pairing them; the SSH rule's cidr stays unknown
    graph = load([os.path.join(PLAN, "set_blocks")]).graph
    ingress = graph.nodes["aws_security_group.web"]["resource"].attributes["ingress"]
    assert [rule["from_port"] for rule in ingress] == [443, 22]
    assert isinstance(ingress[1]["cidr_blocks"], Unknown)
    assert ingress[0]["cidr_blocks"] == []


def test_the_plan_of_the_tf_files_beside_it_reads_them():
    here = "fixtures/cases/terraform/plan/with_tf"
    report = scan([os.path.join(PLAN, "with_tf")], only=["RG-AWS-001"])
    assert _found(report) == [("RG-AWS-001", "aws_security_group.web", f"{here}/main.tf", 7)]
    assert [(d.code, d.path) for d in report.diagnostics] == [("plan-root", f"{here}/plan.json")]
    assert report.diagnostics[0].message.startswith("the plan of the .tf files beside it")


def test_an_attribute_the_plan_computes_and_the_tf_block_leaves_out_is_unset():
    # provider v3 marks aws_s3_bucket.versioning known after apply on every new bucket: where the
    # .tf block writes no versioning it is the unversioned default (as a scan of main.tf alone
    # says); where it writes one from a value the plan does not know, it stays unknown
    here = "fixtures/cases/terraform/plan/computed_default"
    report = scan([os.path.join(PLAN, "computed_default")], only=["RG-AWS-009"])
    assert _found(report) == [("RG-AWS-009", "aws_s3_bucket.logs", f"{here}/main.tf", 1)]
    graph = load([os.path.join(PLAN, "computed_default")]).graph
    assert "versioning" not in graph.nodes["aws_s3_bucket.logs"]["resource"].attributes
    assert isinstance(graph.nodes["aws_s3_bucket.data"]["resource"].attributes["versioning"], Unknown)


def test_plans_of_different_roots_with_the_same_addresses_stay_distinct(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(os.path.join(PLAN, "only", "plan.json"), tmp_path / name / "plan.json")
    report = scan([str(tmp_path)], only=["RG-AWS-001"], base=str(tmp_path))
    assert _found(report) == [
        ("RG-AWS-001", "a/plan.json:aws_security_group.web", "a/plan.json", 14),
        ("RG-AWS-001", "b/plan.json:aws_security_group.web", "b/plan.json", 14),
    ]
    graph = load([str(tmp_path)], base=str(tmp_path)).graph
    db = graph.nodes["b/plan.json:module.db.aws_db_instance.this[0]"]["resource"]
    assert db.references == (("vpc_security_group_ids", "b/plan.json:module.db.aws_security_group.extra"),)


def test_the_graph_never_replaces_a_resource_silently():
    def res(path, line):
        return Resource("aws_s3_bucket.b", Layer.TERRAFORM, "aws_s3_bucket", {}, Location(path, line, line))

    graph = build_graph([res("a.tf", 1), res("b.tf", 7)], linkers=[])
    assert graph.nodes["aws_s3_bucket.b"]["resource"].location.path == "a.tf"
    assert [(d.code, d.level, d.path, d.line, d.message) for d in graph.graph["diagnostics"]] == [
        ("duplicate-address", "error", "b.tf", 7,
         "aws_s3_bucket.b is also defined at a.tf:1; only that one is in the graph, this one is not scanned")]
