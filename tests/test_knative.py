"""Knative Serving Services and Configurations are workloads: their pod template gets the container policies."""

from __future__ import annotations

import os

from scanner.api import scan

KSVC = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
  namespace: apps
spec:
  template:
    spec:
      containers:
        - image: ghcr.io/acme/hello@sha256:0000000000000000000000000000000000000000000000000000000000000000
          securityContext:
            privileged: true
---
apiVersion: serving.knative.dev/v1
kind: Configuration
metadata:
  name: worker
  namespace: apps
spec:
  template:
    spec:
      containers:
        - image: ghcr.io/acme/worker@sha256:0000000000000000000000000000000000000000000000000000000000000000
          securityContext:
            privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: hello-core
  namespace: apps
spec:
  selector: {app: hello}
  ports: [{port: 80}]
"""


def test_knative_pod_templates_are_judged(tmp_path):
    with open(os.path.join(str(tmp_path), "ksvc.yaml"), "w", encoding="utf-8") as handle:
        handle.write(KSVC)
    report = scan([str(tmp_path)], only=["RG-K8S-002"], base=str(tmp_path))
    assert sorted((f.resource, f.location.start_line) for f in report.findings) == [
        ("k8s:serving.knative.dev/Configuration/apps/worker", 25),
        ("k8s:serving.knative.dev/Service/apps/hello", 12),
    ]


def test_a_core_service_is_not_a_workload(tmp_path):
    with open(os.path.join(str(tmp_path), "ksvc.yaml"), "w", encoding="utf-8") as handle:
        handle.write(KSVC)
    report = scan([str(tmp_path)], only=["RG-K8S-039", "RG-K8S-034"], base=str(tmp_path))
    assert not any(f.resource.endswith("/hello-core") for f in report.findings)
    assert {f.resource for f in report.findings if f.policy_id == "RG-K8S-034"} == {
        "k8s:serving.knative.dev/Service/apps/hello", "k8s:serving.knative.dev/Configuration/apps/worker"}
