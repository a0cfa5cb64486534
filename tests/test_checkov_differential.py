"""Checkov-format policies give the same pass / fail / unknown per resource in checkov itself and in riskgraph.

checkov (the ``checkov`` command on PATH, installed in an environment of its
own) runs once per session as a subprocess over ``fixtures/cases/checkov``,
offline: ``--skip-download``, no id mapping, no update check, and a dead
proxy so that any network attempt fails at once instead of hanging.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import need_tool
from scanner.api import load_graph
from scanner.bridge.checkov import available, find_checkov
from scanner.graph import resource_of
from scanner.policy import load_policies
from scanner.policy.compiler import EvalContext

# not imported from conftest: tests/bench has a conftest module of the same name
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

pytestmark = pytest.mark.checkov

CASES = os.path.join(FIXTURES, "cases", "checkov")
TERRAFORM = os.path.join(CASES, "terraform")
POLICY_DIR = os.path.join(CASES, "policies")
POLICY_IDS = sorted(os.path.splitext(n)[0] for n in os.listdir(POLICY_DIR) if n.endswith(".yaml"))
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "", "no_proxy": "",
    "LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="session")
def checkov_results() -> dict[str, dict[str, str]]:
    """checkov's verdict per policy id and resource address: 'pass' or 'fail' (unknowns are not reported)."""
    need_tool(available(), "the checkov command")  # in its own environment: .ci/run makes one
    cmd = [find_checkov(), "-d", TERRAFORM, "--external-checks-dir", POLICY_DIR,
           "--framework", "terraform", "-o", "json", "--skip-download", "--check", ",".join(POLICY_IDS)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **OFFLINE_ENV}, cwd=CASES)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    results = json.loads(done.stdout)["results"]
    assert not results.get("parsing_errors"), results["parsing_errors"]
    verdicts: dict[str, dict[str, str]] = {}
    for key, verdict in (("passed_checks", "pass"), ("failed_checks", "fail")):
        for check in results[key]:
            verdicts.setdefault(check["check_id"], {})[check["resource"]] = verdict
    return verdicts


@pytest.fixture(scope="session")
def riskgraph_results() -> dict[str, dict[str, str]]:
    """riskgraph's verdict per policy id and resource: 'pass', 'fail' or 'unknown'."""
    policies = load_policies([POLICY_DIR], builtin=False)
    graph = load_graph([TERRAFORM])
    ctx = EvalContext(graph)
    verdicts: dict[str, dict[str, str]] = {}
    for policy in policies:
        out = verdicts.setdefault(policy.id, {})
        for node in graph.nodes:
            res = resource_of(graph, node)
            if res is None or res.type not in policy.meta.resource_types:
                continue
            truth = policy.check(ctx, res, res.attributes, "")[0]
            out[res.address] = {True: "fail", False: "pass", None: "unknown"}[truth]
    return verdicts


# Where riskgraph knowingly differs from checkov, and why. Each must still occur (so the list stays true).
KNOWN_DIVERGENCES = {
    # checkov compares values that are not both numbers as strings ("5.7.44" >= "10" holds);
    # riskgraph never orders non-numbers, so the comparison does not hold and the resource fails.
    ("CKV2_RGT_33", "aws_db_instance.legacy"): ("fail", "pass"),
}


def test_enough_policies_are_compared():
    assert len(POLICY_IDS) >= 20


def test_checkov_ran_every_policy(checkov_results):
    assert sorted(checkov_results) == POLICY_IDS, "checkov skipped a policy silently"


@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_same_verdicts_as_checkov(policy_id, checkov_results, riskgraph_results):
    ours = riskgraph_results[policy_id]
    theirs = checkov_results[policy_id]
    # checkov leaves out what it cannot decide; riskgraph must call exactly those unknown
    expected = {address: theirs.get(address, "unknown") for address in ours}
    assert set(theirs) <= set(ours), f"checkov judged resources riskgraph did not: {set(theirs) - set(ours)}"
    for (pid, address), (rg, ck) in KNOWN_DIVERGENCES.items():
        if pid == policy_id:
            assert (ours[address], expected[address]) == (rg, ck), "a known divergence no longer occurs"
            expected[address] = rg
    assert ours == expected


def test_most_policies_agree_exactly():
    diverging = {pid for pid, _ in KNOWN_DIVERGENCES}
    assert len(set(POLICY_IDS) - diverging) >= 20


def test_fixture_exercises_every_verdict(checkov_results, riskgraph_results):
    """The fixtures are only a fair comparison if both outcomes (and an unknown) occur."""
    ours = [v for per in riskgraph_results.values() for v in per.values()]
    assert {"pass", "fail", "unknown"} <= set(ours)
    assert riskgraph_results["CKV2_RGT_05"]["aws_ebs_volume.dynamic"] == "unknown"
    assert riskgraph_results["CKV2_RGT_18"]["aws_kms_key.from_variable"] == "pass"
    assert riskgraph_results["CKV2_RGT_24"] == {"aws_s3_bucket.logs": "pass", "aws_s3_bucket.public": "fail",
                                                 "aws_s3_bucket.bare": "fail"}
