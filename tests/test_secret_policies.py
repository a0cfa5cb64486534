"""Policies marked `secret: true` never let the credential they found reach any output format."""

from __future__ import annotations

import os

import pytest

from scanner.api import load, scan
from scanner.policy.paths import resolve, split_path
from scanner.report import REPORTERS, render

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def _secret_policy_ids(policies):
    return sorted(pid for pid, p in policies.items() if p.secret)


def _found_values(report, resources):
    """The literal strings each finding's first evidence path points at."""
    values = []
    for f in report.findings:
        if not f.evidence:
            continue
        found = resolve(resources[f.resource].attributes, split_path(f.evidence[0]), "")
        values.extend(v for _, v in found if isinstance(v, str) and len(v) >= 8)
    return values


def _fixture_text(folder):
    parts = []
    for directory, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                parts.append(handle.read())
    return "\n".join(parts)


def test_there_are_secret_policies(builtin_policies):
    assert {"RG-SEC-001", "RG-SEC-004", "RG-K8S-003"} <= set(_secret_policy_ids(builtin_policies))


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_output_format_reveals_a_found_secret(fmt, builtin_policies):
    for pid in _secret_policy_ids(builtin_policies):
        folder = os.path.join(FIXTURES, pid, "fail")
        report = scan([folder], policies=[builtin_policies[pid]], base=folder)
        resources = {r.address: r for r in load([folder], base=folder).resources}
        secrets = _found_values(report, resources)
        assert secrets, f"{pid}: the fail fixture should expose at least one literal secret"
        text = _fixture_text(folder)
        for value in secrets:
            assert value in text or value.splitlines()[0] in text, f"{pid}: fixture lacks {value[:2]}..."
        out = render(report, fmt)
        leaked = [v[:2] + "..." for v in secrets if v in out or max(v.splitlines(), key=len) in out]
        assert leaked == [], f"{pid} leaks through {fmt}"
