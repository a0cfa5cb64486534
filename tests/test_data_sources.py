"""Data sources feed references and edges, but only credential policies judge them: the configuration does not manage them."""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, ROOT
from scanner.api import load, scan

CASE = os.path.join(FIXTURES, "cases", "data-sources")


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _found(report):
    return [(f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings]


def test_policies_judge_managed_resources_and_credentials_in_data_blocks():
    main = "fixtures/cases/data-sources/hcl/main.tf"
    report = scan([os.path.join(CASE, "hcl")], only=["RG-AWS-057", "RG-SEC-001"])
    assert _found(report) == [
        ("RG-AWS-057", "aws_eks_cluster.new", main, 7),
        ("RG-SEC-001", "data.http.release", main, 24),
    ]


def test_data_sources_stay_in_the_graph_and_are_referenced():
    graph = load([os.path.join(CASE, "hcl")]).graph
    assert graph.nodes["data.aws_eks_cluster.existing"]["resource"].source == "terraform.data"
    assert graph.has_edge("aws_eks_node_group.workers", "data.aws_eks_cluster.existing", "references")


def test_plan_data_resources_are_not_judged():
    report = scan([os.path.join(CASE, "plan")], only=["RG-AWS-057"])
    assert _found(report) == [
        ("RG-AWS-057", "aws_eks_cluster.new", "fixtures/cases/data-sources/plan/plan.json", 14)]
    assert "data.aws_eks_cluster.existing" in load([os.path.join(CASE, "plan")]).graph
