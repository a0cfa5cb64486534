"""The accuracy harness's scoring (tests/realworld/run.py): labels join findings by file, policy, resource and line."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "realworld"))

from run import in_sample, layer_of, match  # noqa: E402

REPO = "owner/name"


def _finding(path, line, policy="RG-AWS-001", resource="aws_db_instance.a", severity="high"):
    return {"policy_id": policy, "resource": resource, "severity": severity,
            "location": {"path": path, "start_line": line}, "message": ""}


def _label(path, line, verdict, policy="RG-AWS-001", resource="aws_db_instance.a"):
    return {"repo": REPO, "file": path, "line": line, "policy": policy, "resource": resource,
            "verdict": verdict}


def test_exact_match_and_labels_that_disappeared():
    findings = [_finding("main.tf", 3), _finding("main.tf", 9, resource="aws_db_instance.b")]
    labels = [_label("main.tf", 3, "true"), _label("other.tf", 1, "true"), _label("main.tf", 3, "false", policy="RG-X")]
    found, gone = match(REPO, findings, labels)
    assert {i: lab["verdict"] for i, lab in found.items()} == {0: "true"}
    assert sorted((g["file"], g["policy"]) for g in gone) == [("main.tf", "RG-X"), ("other.tf", "RG-AWS-001")]


def test_a_moved_line_matches_only_when_the_rest_is_unique():
    moved = match(REPO, [_finding("main.tf", 5)], [_label("main.tf", 3, "false")])[0]
    assert {i: lab["line"] for i, lab in moved.items()} == {0: 3}
    twins = [_finding("main.tf", 5), _finding("main.tf", 6)]          # two findings, one label: ambiguous
    assert match(REPO, twins, [_label("main.tf", 3, "false")])[0] == {}
    other_repo = [{**_label("main.tf", 5, "true"), "repo": "x/y"}]
    assert match(REPO, [_finding("main.tf", 5)], other_repo) == ({}, [])


def test_review_set_and_layers():
    assert in_sample(REPO, _finding("a.tf", 1, severity="critical"))
    medium = [_finding(f"f{i}.tf", 1, severity="medium") for i in range(400)]
    picked = [f["location"]["path"] for f in medium if in_sample(REPO, f)]
    assert 20 < len(picked) < 60                                 # ~10 %
    # seeded: the same findings every run and on every machine (the review labels rely on it)
    assert picked[:10] == ["f0.tf", "f7.tf", "f33.tf", "f35.tf", "f36.tf", "f48.tf", "f63.tf",
                           "f67.tf", "f71.tf", "f72.tf"]
    assert not in_sample(REPO, medium[1]) and not in_sample(REPO, _finding("f7.tf", 1, "RG-AWS-002",
                                                                           severity="medium"))
    assert [layer_of({"resource": r}) for r in ("k8s:apps/Deployment/a/b", "arch:component/x",
                                                "examples/a:module.m.aws_s3_bucket.b")] == \
        ["kubernetes", "architecture", "terraform"]


def test_copies_of_one_line_in_several_units_share_its_label():
    base = "k8s:apps/Deployment/default/app"
    findings = [_finding("base/app.yaml", 7, "RG-K8S-002", base + "@overlays/dev"),
                _finding("base/app.yaml", 7, "RG-K8S-002", "k8s:apps/Deployment/prod/app@overlays/prod"),
                _finding("base/app.yaml", 7, "RG-K8S-002", "k8s:apps/Deployment/prod/other@overlays/prod")]
    found, gone = match(REPO, findings, [_label("base/app.yaml", 7, "true", "RG-K8S-002", base)])
    assert sorted(found) == [0, 1] and gone == []


def test_a_label_naming_a_unit_speaks_for_that_unit_only():
    label = _label("base/app.yaml", 7, "false", "RG-K8S-041", "k8s:apps/Deployment/default/app@overlays/a")
    findings = [_finding("base/app.yaml", 7, "RG-K8S-041", "k8s:apps/Deployment/default/app@overlays/b")]
    assert match(REPO, findings, [label])[0] == {}
