"""Every built-in policy against its own fixtures: exactly the expected resources fail, at the expected lines.

Layout: ``fixtures/<ID>/fail/…`` and ``fixtures/<ID>/pass/…`` hold inputs;
``fixtures/<ID>/expected.yaml`` lists ``fail: [{resource, file, line}]`` with
``file`` relative to the ``fail`` folder. The ``pass`` folder must yield no
finding for the policy.
"""

from __future__ import annotations

import os

import pytest
import yaml

from scanner.api import scan
from scanner.policy.docs import read_policy_data
from scanner.policy.loader import builtin_policy_dir, policy_files

# not imported from conftest: tests/bench has a conftest module of the same name
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
POLICY_IDS = sorted(os.path.splitext(os.path.basename(p))[0]
                    for p in policy_files(builtin_policy_dir()))


def _findings(policy, directory):
    report = scan([directory], policies=[policy], base=directory)
    return report, sorted((f.resource, f.location.path, f.location.start_line)
                          for f in report.findings if f.policy_id == policy.id)


def _type_only(policy):
    """A condition on the resource type alone (RG-AWS-020): no resource of that type can pass."""
    with open(policy.meta.source_path, encoding="utf-8") as handle:
        return set(yaml.safe_load(handle)["condition"]) == {"type"}


@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_fail_fixture(policy_id, builtin_policies):
    folder = os.path.join(FIXTURES, policy_id)
    with open(os.path.join(folder, "expected.yaml"), encoding="utf-8") as handle:
        expected = yaml.safe_load(handle)
    want = sorted((e["resource"], e["file"], e["line"]) for e in expected["fail"])
    assert want, f"{policy_id}: expected.yaml lists no failing resource"
    report, got = _findings(builtin_policies[policy_id], os.path.join(folder, "fail"))
    assert got == want, f"diagnostics: {[str(d) for d in report.diagnostics]}"
    assert [str(d) for d in report.diagnostics] == [], "a fixture the scanner cannot read tests nothing"


@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_pass_fixture(policy_id, builtin_policies):
    folder = os.path.join(FIXTURES, policy_id, "pass")
    policy = builtin_policies[policy_id]
    report, got = _findings(policy, folder)
    assert report.stats["resources"] > 0, "the pass fixture must contain resources"
    assert got == []
    if not _type_only(policy):
        assert report.stats["evaluations"] > 0, \
            f"the pass fixture holds no resource {policy_id} runs on ({', '.join(policy.meta.resource_types)})"
    assert [str(d) for d in report.diagnostics] == [], "a fixture the scanner cannot read tests nothing"


CLOUD_POLICIES = [d["id"] for d in read_policy_data(builtin_policy_dir())
                  if d["_path"].split("/")[-2] in ("aws", "azure", "gcp")]


@pytest.mark.parametrize("policy_id", CLOUD_POLICIES)
def test_cloud_examples_fail_and_pass_as_their_pages_say(policy_id, builtin_policies, tmp_path):
    """A cloud policy's examples are whole configurations, printed on its page as "Fails" and "Passes".

    (Kubernetes, path and secret examples may be excerpts of a manifest: only fixtures test those.)"""
    policy = builtin_policies[policy_id]
    with open(policy.meta.source_path, encoding="utf-8") as handle:
        examples = yaml.safe_load(handle)["examples"]
    for kind in ("fail", "pass"):
        folder = tmp_path / kind
        folder.mkdir()
        (folder / "main.tf").write_text(examples[kind], encoding="utf-8")
        report, got = _findings(policy, str(folder))
        assert [str(d) for d in report.diagnostics] == [], kind
        assert bool(got) is (kind == "fail"), f"examples.{kind}: {got}"
