"""Kubernetes manifests: multi-document YAML and `kind: List`, every workload normalised to one pod model.

Workloads get two derived attributes so one policy covers every shape:
``$pod`` (the pod spec, wherever the kind nests it) and ``$containers``
(containers, init containers and ephemeral containers together). Their lines
map back to the original manifest lines.
"""

from __future__ import annotations

from typing import Any, Optional

from ..model import Diagnostic, Layer, Location, Resource, SourceFile
from . import ParseOptions, Parsed
from .yamlnodes import Document, YamlProblem, iter_documents

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
}
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")

CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "IngressClass", "CSIDriver", "RuntimeClass",
    "PodSecurityPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "GatewayClass", "ClusterIssuer", "VolumeAttachment", "CSINode",
})


def address(api_version: str, kind: str, namespace: Optional[str], name: str) -> str:
    """``k8s:<group>/<Kind>/<namespace>/<name>``; cluster-scoped kinds omit the namespace."""
    group = api_version.split("/")[0] if "/" in api_version else "core"
    if namespace is None:
        return f"k8s:{group}/{kind}/{name}"
    return f"k8s:{group}/{kind}/{namespace}/{name}"


def parse(files: list[SourceFile], options: ParseOptions) -> Parsed:
    out = Parsed()
    seen: dict[str, str] = {}
    for f in files:
        _parse_file(f, out, seen)
    return out


def _parse_file(f: SourceFile, out: Parsed, seen: dict[str, str]) -> None:
    try:
        with open(f.path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        out.diagnostics.append(Diagnostic("unreadable", f"cannot read file: {exc.strerror}", f.relpath))
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        out.diagnostics.append(Diagnostic("invalid-utf8", "file is not valid UTF-8; skipped",
                                          f.relpath, line))
        return
    for doc in iter_documents(text):
        if isinstance(doc, YamlProblem):
            if "{{" in text:
                out.diagnostics.append(Diagnostic(
                    "helm-template", "unrendered Helm template ({{ }}); skipped — scan "
                    "`helm template` output instead", f.relpath, level="info"))
            else:
                out.diagnostics.append(Diagnostic("yaml-syntax", doc.message, f.relpath, doc.line))
            return
        _objects(doc, f, out, seen)


def _objects(doc: Document, f: SourceFile, out: Parsed, seen: dict[str, str]) -> None:
    obj = doc.value
    if not isinstance(obj, dict):
        return
    if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        for i, item in enumerate(obj["items"]):
            prefix = f"items.{i}."
            lines = {k[len(prefix):]: v for k, v in doc.lines.items() if k.startswith(prefix)}
            start = doc.lines.get(f"items.{i}", doc.start_line)
            end = doc.lines.get(f"items.{i + 1}", doc.end_line)
            _object(item, lines, f, start, max(start, end - 1), out, seen)
        return
    _object(obj, doc.lines, f, doc.start_line, doc.end_line, out, seen)


def _object(obj: Any, lines: dict[str, int], f: SourceFile, start: int, end: int,
            out: Parsed, seen: dict[str, str]) -> None:
    if not isinstance(obj, dict):
        return
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = metadata.get("name") or metadata.get("generateName")
    if not isinstance(kind, str) or not isinstance(api_version, str) or not name:
        return
    namespace = None if kind in CLUSTER_SCOPED else str(metadata.get("namespace") or "default")
    addr = address(api_version, kind, namespace, str(name))
    where = f"{f.relpath}:{start}"
    if addr in seen:
        out.diagnostics.append(Diagnostic(
            "duplicate-object", f"{addr} is also defined at {seen[addr]}; this copy is ignored",
            f.relpath, start, level="warning"))
        return
    seen[addr] = where
    if kind in WORKLOAD_KINDS:
        _normalise_pod(obj, lines, POD_SPEC_PATHS[kind])
    out.resources.append(Resource(
        address=addr, kind=Layer.KUBERNETES, type=kind, attributes=obj,
        location=Location(f.relpath, start, end), source="kubernetes", lines=lines))


def _normalise_pod(obj: dict[str, Any], lines: dict[str, int], spec_path: tuple[str, ...]) -> None:
    spec: Any = obj
    for key in spec_path:
        spec = spec.get(key) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return
    origin = ".".join(spec_path)
    obj["$pod"] = spec
    _alias_lines(lines, origin, "$pod")
    containers: list[Any] = []
    for field_name in CONTAINER_FIELDS:
        group = spec.get(field_name)
        if not isinstance(group, list):
            continue
        for i, container in enumerate(group):
            if isinstance(container, dict):
                _alias_lines(lines, f"{origin}.{field_name}.{i}", f"$containers.{len(containers)}")
                containers.append(container)
    obj["$containers"] = containers


def _alias_lines(lines: dict[str, int], origin: str, alias: str) -> None:
    prefix = origin + "."
    cut = len(origin)
    extra = {alias + k[cut:]: v for k, v in lines.items() if k == origin or k.startswith(prefix)}
    lines.update(extra)
