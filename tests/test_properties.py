"""Property tests: arbitrary and mutated inputs to every parser and to the policy engine never raise, and reports are deterministic.

Each example is a real scan of a temporary directory through ``scan()``.
Properties: no exception escapes; no parser crashes (``parser-crash`` is
the last line of defence, and reaching it is a bug); every diagnostic names
a file that was scanned; the same input scanned twice renders to
byte-identical JSON and SARIF.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, SYSTEMS
from scanner.api import scan
from scanner.graph import build_graph
from scanner.model import Layer, Location, Resource, Unknown
from scanner.policy import evaluate
from scanner.report import render

BUDGET = settings(max_examples=60, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _read(*parts: str) -> str:
    with open(os.path.join(*parts), encoding="utf-8") as handle:
        return handle.read()


SEEDS = {
    "main.tf": _read(SYSTEMS, "solar-booking", "terraform", "main.tf"),
    "k8s.yaml": _read(SYSTEMS, "solar-booking", "kubernetes", "api.yaml"),
    "architecture.yaml": _read(SYSTEMS, "solar-booking", "architecture.yaml"),
    "plan.json": _read(FIXTURES, "cases", "terraform", "plan", "only", "plan.json"),
}
# Characters that matter to some grammar: quoting, nesting, anchors, interpolation, NUL, bad UTF-8.
SPECIAL = ["{", "}", "[", "]", '"', "'", "${", "%{", "<<EOT\n", ":", "- ", "\n", "\t", "&a", "*a",
           "!!python/object:os.system", "<<: *a", "---\n", "#", "\\", "\0", "\udcff", "\u202e", ",", "="]


@st.composite
def mutated(draw, seed: str) -> str:
    """``seed`` after a few deletions, insertions, duplications and truncations."""
    text = seed
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 80)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "special"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.text(max_size=20)) + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "truncate":
            text = text[:i]
        else:
            text = text[:i] + draw(st.sampled_from(SPECIAL)) + text[j:]
    return text


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # lone surrogates become invalid UTF-8 bytes


def _scan_twice(files: dict[str, str], policies) -> None:
    with tempfile.TemporaryDirectory() as root:
        for name, text in files.items():
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(_encode(text))
        first = scan([root], policies=policies, base=root)
        second = scan([root], policies=policies, base=root)
    crashes = [str(d) for d in first.diagnostics if d.code == "parser-crash"]
    assert crashes == []
    assert {d.path for d in first.diagnostics} <= set(files) | {os.path.dirname(n) for n in files}
    for fmt in ("json", "sarif"):
        assert render(first, fmt) == render(second, fmt)


@pytest.fixture(scope="module")
def policies(builtin_policies):
    return list(builtin_policies.values())


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_is_scanned_cleanly(name, policies):
    """The unmutated seeds parse without diagnostics, so mutations start from valid input."""
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, name), "w", encoding="utf-8") as handle:
            handle.write(SEEDS[name])
        report = scan([root], policies=policies, base=root)
    assert report.stats["resources"] > 0
    assert [d for d in report.diagnostics if d.level == "error"] == []


@BUDGET
@given(st.data())
def test_mutated_terraform(policies, data):
    _scan_twice({"main.tf": data.draw(mutated(SEEDS["main.tf"]))}, policies)


@BUDGET
@given(st.data())
def test_mutated_kubernetes(policies, data):
    _scan_twice({"k8s.yaml": data.draw(mutated(SEEDS["k8s.yaml"]))}, policies)


@BUDGET
@given(st.data())
def test_mutated_architecture(policies, data):
    _scan_twice({"architecture.yaml": data.draw(mutated(SEEDS["architecture.yaml"]))}, policies)


@BUDGET
@given(st.data())
def test_mutated_plan_json(policies, data):
    _scan_twice({"plan.json": data.draw(mutated(SEEDS["plan.json"]))}, policies)


@settings(BUDGET, max_examples=40)
@given(st.text(max_size=300), st.text(max_size=300))
def test_arbitrary_text_in_every_format(policies, tf, yml):
    _scan_twice({"a/main.tf": tf, "a/vars.tfvars": tf[::-1], "k8s.yaml": "apiVersion: v1\n" + yml,
                 "architecture.yaml": "components:\n" + yml,
                 "plan.json": '{"planned_values": ' + tf}, policies)


# -- the policy engine over arbitrary attribute trees -----------------------

KEYS = st.sampled_from([
    "ingress", "egress", "cidr_blocks", "from_port", "to_port", "protocol", "password", "tags",
    "publicly_accessible", "policy", "Statement", "Action", "Resource", "Effect", "Principal",
    "spec", "template", "containers", "securityContext", "privileged", "env", "value", "name",
    "metadata", "namespace", "labels", "selector", "type", "rules", "verbs", "resources",
    "$pod", "$containers", "$policy", "0", "*", "**", "a.b", "", "ports", "port", "hostNetwork",
])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000), st.floats(allow_nan=True),
                    st.sampled_from(["0.0.0.0/0", "::/0", "10.0.0.0/8", "*", "s3:*", "22", "-1",
                                     "Allow", "true", "AKIAZ7Q3W5E8R2T6Y4U1", "x" * 5000, ""]),
                    st.text(max_size=12), st.builds(Unknown, st.text(max_size=5)))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)


@pytest.fixture(scope="module")
def resource_types(policies):
    return sorted({t for p in policies for t in p.meta.resource_types if t != "*"})


@settings(BUDGET, max_examples=80)
@given(st.data())
def test_policy_engine_on_arbitrary_attributes(policies, resource_types, data):
    resources = []
    for i in range(data.draw(st.integers(1, 3))):
        rtype = data.draw(st.sampled_from(resource_types))
        layer = data.draw(st.sampled_from([Layer.TERRAFORM, Layer.KUBERNETES, Layer.ARCHITECTURE, Layer.SPECIAL]))
        attributes = data.draw(st.dictionaries(KEYS, VALUES, max_size=6))
        resources.append(Resource(address=f"{rtype}.r{i}", kind=layer, type=rtype,
                                  attributes=attributes, location=Location("f.tf", 1, 9),
                                  source=layer.value, lines={"spec": 2, "ingress.0": 3}))
    graph = build_graph(resources)
    findings, _ = evaluate(graph, policies)
    again, _ = evaluate(build_graph(resources), policies)
    assert findings == again
    for f in findings:
        assert f.location.path == "f.tf" and f.location.start_line >= 1
