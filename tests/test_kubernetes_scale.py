"""Large generated manifest bundles: linked correctly, in time that grows linearly, memory that stays flat per document.

Run as a script to print timings for bigger bundles:
``python tests/test_kubernetes_scale.py 1000 5000 10000``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc

DOCS_PER_APP = 9
NAMESPACES = 8


def app_documents(i: int) -> str:
    """Nine documents of one application: the shapes real bundles repeat."""
    ns = f"team-{i % NAMESPACES}"
    exposure = "LoadBalancer" if i % 10 == 0 else "ClusterIP"
    admin = "cluster-admin" if i % 50 == 0 else "view"
    return f"""---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: app-{i}, namespace: {ns}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: app-{i}-db, namespace: {ns}}}
stringData: {{password: not-a-real-one}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: app-{i}-config, namespace: {ns}}}
data: {{LOG_LEVEL: info, FEATURE_{i}: "on"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{i}, namespace: {ns}, labels: {{app: app-{i}}}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app-{i}}}}}
  template:
    metadata: {{labels: {{app: app-{i}, tier: web}}}}
    spec:
      serviceAccountName: app-{i}
      securityContext: {{runAsNonRoot: true, runAsUser: 10001}}
      initContainers:
        - {{name: migrate, image: "registry.example.com/app-{i}:1.{i}"}}
      containers:
        - name: app
          image: registry.example.com/app-{i}:1.{i}
          ports: [{{containerPort: 8080}}]
          envFrom: [{{configMapRef: {{name: app-{i}-config}}}}]
          env:
            - name: DB_PASSWORD
              valueFrom: {{secretKeyRef: {{name: app-{i}-db, key: password}}}}
          resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}
          securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}}
---
apiVersion: v1
kind: Service
metadata: {{name: app-{i}, namespace: {ns}}}
spec:
  type: {exposure}
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: app-{i}, namespace: {ns}}}
spec:
  rules:
    - host: app-{i}.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: app-{i}, port: {{number: 80}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: app-{i}, namespace: {ns}}}
spec:
  podSelector: {{matchLabels: {{app: app-{i}}}}}
  ingress: [{{from: [{{podSelector: {{matchLabels: {{tier: web}}}}}}]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: app-{i}, namespace: {ns}}}
subjects: [{{kind: ServiceAccount, name: app-{i}}}]
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {admin}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: app-{i}-report, namespace: {ns}}}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{{name: report, image: "report:latest"}}]
"""


def write_bundle(folder: str, apps: int, files: int = 4) -> str:
    """``apps`` applications (nine documents each) spread over ``files`` files; returns the folder."""
    per_file = max(1, apps // files)
    for f in range(files):
        start, stop = f * per_file, (apps if f == files - 1 else (f + 1) * per_file)
        with open(os.path.join(folder, f"bundle-{f}.yaml"), "w", encoding="utf-8") as handle:
            handle.writelines(app_documents(i) for i in range(start, stop))
    return folder


def build(folder: str):
    from scanner.discover import discover
    from scanner.graph import build_graph
    from scanner.parse import ParseOptions, parse_all

    found = discover([folder], base=folder)
    parsed = parse_all(found.files, ParseOptions())
    return parsed, build_graph(parsed.resources)


def test_generated_bundle_is_linked_app_by_app(tmp_path):
    parsed, graph = build(write_bundle(str(tmp_path), 120))
    assert parsed.diagnostics == []
    assert len(parsed.resources) == 120 * DOCS_PER_APP
    for i in (0, 1, 50, 119):
        ns = f"team-{i % NAMESPACES}"
        deploy, svc = f"k8s:apps/Deployment/{ns}/app-{i}", f"k8s:core/Service/{ns}/app-{i}"
        sa = f"k8s:core/ServiceAccount/{ns}/app-{i}"
        assert {t for _, t, k in graph.out_edges(svc, keys=True) if k == "selects"} == {deploy}
        assert {(t, k) for _, t, k in graph.out_edges(deploy, keys=True)} == {
            (sa, "runs_as"), (f"k8s:core/Secret/{ns}/app-{i}-db", "mounts"),
            (f"k8s:core/ConfigMap/{ns}/app-{i}-config", "mounts")}
        role = "cluster-admin" if i % 50 == 0 else "view"
        assert [t for _, t, k in graph.out_edges(sa, keys=True) if k == "bound_to"] == [
            f"k8s:rbac.authorization.k8s.io/ClusterRole/{role}"]
    assert ("internet", "k8s:core/Service/team-2/app-10", "exposes") in graph.edges(keys=True)
    assert ("internet", "k8s:core/Service/team-1/app-1", "exposes") not in graph.edges(keys=True)


def _measure(apps: int) -> tuple[float, int, int]:
    """(seconds to parse and link, peak traced bytes, documents) for a bundle of ``apps`` applications."""
    with tempfile.TemporaryDirectory() as folder:
        write_bundle(folder, apps)
        tracemalloc.start()
        t0 = time.perf_counter()
        parsed, graph = build(folder)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert graph.number_of_nodes() >= apps * DOCS_PER_APP
        return seconds, peak, len(parsed.resources)


def test_time_and_memory_grow_linearly_with_the_bundle():
    small_s, small_peak, small_docs = _measure(40)
    large_s, large_peak, large_docs = _measure(160)
    assert large_docs == 4 * small_docs
    # four times the documents: about four times the memory and time, never quadratic (16x)
    assert large_peak / large_docs < 1.6 * small_peak / small_docs
    assert large_s < 10 * small_s + 1.0  # quadratic would be 16x; the slack absorbs a busy machine


if __name__ == "__main__":  # timing report: python tests/test_kubernetes_scale.py 1000 5000
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from scanner.api import scan

    for docs in [int(a) for a in sys.argv[1:]] or [1000, 5000]:
        with tempfile.TemporaryDirectory() as folder:
            write_bundle(folder, max(1, docs // DOCS_PER_APP), files=max(1, docs // 500))
            t0 = time.perf_counter()
            report = scan([folder], base=folder)
            total = time.perf_counter() - t0
            print(f"{report.stats['resources']} documents: {total:.2f} s total "
                  f"({report.stats['seconds']}), {report.stats['nodes']} nodes, "
                  f"{report.stats['edges']} edges, {len(report.findings)} findings")
