"""Kubernetes manifests (YAML and JSON, Kustomize builds, Helm output): objects in the Kubernetes vocabulary.

A resource's type is its ``kind`` and its attributes are the object as the
API server would store it (camelCase keys, ``metadata``/``spec``); every
workload kind gets one pod model (``$pod``, ``$containers``: :mod:`.pod`).
Kubernetes objects written in another format normalise into this vocabulary.
The parser is :mod:`.parser`; :mod:`.link` joins objects within their
deployment unit and computes RBAC.
"""

from __future__ import annotations

import re

from .. import Format
from ...model import Layer

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
    "Rollout": ("spec", "template", "spec"),            # Argo Rollouts (without workloadRef)
    "DeploymentConfig": ("spec", "template", "spec"),   # OpenShift
    # Knative Serving: the kind is Service / Configuration, the resource type says Knative so
    # a core Service is never taken for a workload (KNATIVE_TYPES)
    "KnativeService": ("spec", "template", "spec"),
    "KnativeConfiguration": ("spec", "template", "spec"),
}
# (API group, kind) -> resource type, for kinds whose name a core kind also uses
KNATIVE_TYPES = {("serving.knative.dev", "Service"): "KnativeService",
                 ("serving.knative.dev", "Configuration"): "KnativeConfiguration"}
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_K8S_RE = re.compile(rb"^(apiVersion|kind)\s*:", re.M)
# a JSON manifest: an object with string apiVersion and kind (`kind: List` included)
_K8S_JSON_RE = (re.compile(rb'"apiVersion"\s*:\s*"[^"]+"'), re.compile(rb'"kind"\s*:\s*"[A-Z]\w*"'))


def sniff(lower: str, head: bytes) -> bool:
    """A YAML file with a top-level ``apiVersion``/``kind``, or a JSON object with string ``apiVersion`` and ``kind``."""
    if lower.endswith(".json"):
        return head.lstrip()[:1] == b"{" and all(r.search(head) for r in _K8S_JSON_RE)
    return _K8S_RE.search(head) is not None


# kustomize reads kustomization files by name, with or without apiVersion/kind (.kustomize builds them)
FORMAT = Format("kubernetes", Layer.KUBERNETES, "scanner.formats.kubernetes.parser",
                names=KUSTOMIZATION_NAMES, sniffs=(".yaml", ".yml", ".json"), sniff=sniff, kind="a Kubernetes manifest",
                cost=0.3,
                linker="scanner.formats.kubernetes.link:link",
                type_groups={"k8s_workload": WORKLOAD_KINDS})
