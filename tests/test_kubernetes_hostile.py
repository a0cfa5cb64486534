"""Malformed Kubernetes manifests never crash parsing or linking: any value in any field is tolerated."""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.graph import build_graph
from scanner.model import SourceFile
from scanner.parse import ParseContext, ParseOptions
from scanner.formats.kubernetes.parser import parse

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000), st.text(max_size=8),
                    st.sampled_from(["", "default", "*", "cluster-admin", "ServiceAccount", "In"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=8)

BASE = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
     "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {
         "serviceAccountName": "web", "securityContext": {"runAsUser": 0},
         "volumes": [{"name": "s", "secret": {"secretName": "s"}}],
         "containers": [{"name": "c", "image": "nginx", "env": [{"name": "A", "value": "b"}],
                         "securityContext": {"capabilities": {"add": ["ALL"]}}}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"type": "LoadBalancer", "selector": {"app": "web"}}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
     "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "b"},
     "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "default"}],
     "roleRef": {"kind": "ClusterRole", "name": "agg"}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"},
     "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}, "rules": []},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
     "spec": {"rules": [{"http": {"paths": [{"backend": {"service": {"name": "web"}}}]}}]}},
    {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
     "spec": {"parentRefs": [{"name": "g"}], "rules": [{"backendRefs": [{"name": "web"}]}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}},
]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


PATHS = [(d, p) for d, doc in enumerate(BASE) for p in _paths(doc) if p and p[0] not in ("apiVersion", "kind")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=4))
def test_any_value_anywhere_is_tolerated(tmp_path, replacements):
    docs = copy.deepcopy(BASE)
    for (d, path), value in replacements:
        target = docs[d]
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed the parent
    file = tmp_path / "hostile.yaml"
    file.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    parsed = parse([SourceFile(str(file), "hostile.yaml", "kubernetes")], ParseContext(ParseOptions()))
    graph = build_graph(parsed.resources)
    assert graph.number_of_nodes() >= 2
