"""Kubernetes manifests: multi-document YAML, `kind: List`, Helm and Kustomize output, one pod model for every workload.

Every object with ``apiVersion``, ``kind`` and ``metadata.name`` becomes a
resource at ``k8s:<group>/<Kind>/<namespace>/<name>`` (cluster-scoped kinds
omit the namespace; namespaced objects without one get ``default``, as the
API server does). Unknown kinds and custom resources are kept; a
CustomResourceDefinition in the scanned files decides its kind's scope.
Workloads get the derived attributes of :mod:`scanner.formats.kubernetes.pod`;
objects rendered by ``helm template`` carry ``$helm_source`` (the chart
template named by the ``# Source:`` comment). Unrendered Helm templates are
skipped with an info diagnostic. See docs/kubernetes.md.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, replace
from typing import Any, Optional

from ...linear import Pattern
from ...model import Diagnostic, Layer, Location, Resource, SourceFile
from ...parse import ParseContext, Parsed
from ...textcodec import decode, encoding, error_line
from .units import plan, scan_root
from .kustomize import api_group
from .skaffold import built_images, is_config, mark_built
from . import KNATIVE_TYPES, POD_SPEC_PATHS, WORKLOAD_KINDS
from .pod import derive_configmap, derive_secret, normalise_pod
from ...yamlnodes import Document, YamlProblem, iter_documents

__all__ = ["CLUSTER_SCOPED", "POD_SPEC_PATHS", "WORKLOAD_KINDS", "address", "parse"]

CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "IngressClass", "CSIDriver", "RuntimeClass",
    "PodSecurityPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "GatewayClass", "ClusterIssuer",
    "VolumeAttachment", "CSINode", "CertificateSigningRequest", "FlowSchema",
    "PriorityLevelConfiguration", "ClusterTrustBundle", "ComponentStatus", "VolumeSnapshotClass",
    "VolumeSnapshotContent", "IPAddress", "ServiceCIDR", "DeviceClass", "ResourceSlice",
})
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"
# Built-in kinds and the built-in API groups that serve them ("" is the core group). An object
# naming a built-in group that does not serve its kind (`apiVersion: v1, kind: Deployment`) is
# refused by the API server: it is never a cluster object. Other groups (CRDs: Knative's
# `serving.knative.dev/v1 Service`) are not judged here.
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "extensions"})
SERVED_BY: dict[str, frozenset[str]] = {
    "Deployment": frozenset({"apps", "extensions"}), "DaemonSet": frozenset({"apps", "extensions"}),
    "ReplicaSet": frozenset({"apps", "extensions"}), "StatefulSet": frozenset({"apps"}),
    "Job": frozenset({"batch"}), "CronJob": frozenset({"batch"}),
    **{k: frozenset({""}) for k in ("Pod", "ReplicationController", "Service", "Secret", "ConfigMap",
                                     "ServiceAccount", "Namespace", "PersistentVolumeClaim")},
}
_SOURCE_RE = re.compile(r"^# Source: (.+?)\s*$", re.M)
# Helm template actions rendered output never contains: `.Values`, `.Release`... or an include.
# RE2: with `re`, a line of 80 KB of `{{ x` took 153 s (every `{{` rescans the line).
_HELM_RE = Pattern(r"\{\{-?\s*[^}\n]*(?:\.(?:Values|Release|Chart|Capabilities|Files|Template)\b"
                   r"|\binclude\s+\"|\btemplate\s+\"|\bdefine\s+\")")


@dataclass
class _Raw:
    """One object read from a file, before it is addressed."""

    obj: dict[str, Any]
    lines: dict[str, int]
    file: SourceFile
    start: int
    end: int
    helm: Optional[tuple[str, int]]
    # the namespaces a kustomization's ``namespace:`` replaced, earliest first: kustomize matches a
    # patch against an object's earlier ids too (an overlay's patch names the base's namespace)
    was: tuple[str, ...] = ()


def address(api_version: str, kind: str, namespace: Optional[str], name: str) -> str:
    """``k8s:<group>/<Kind>/<namespace>/<name>``; cluster-scoped kinds omit the namespace."""
    group = api_version.split("/")[0] if "/" in api_version else "core"
    if namespace is None:
        return f"k8s:{group}/{kind}/{name}"
    return f"k8s:{group}/{kind}/{namespace}/{name}"


PARSE_MEMO = "k8s-parse"


def parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    """Every object of every deployment unit (:mod:`scanner.formats.kubernetes.units`), addressed.

    Reused whole when nothing it read changed: the result is stored (in the
    parse cache) with the fingerprints of every read, listing and kind it made
    through the context (the manifests, what kustomizations list and generate
    from, skaffold and chart files), under a key of the files discovery gave it
    and the configured units. Units depend on each other (a CRD's scope, units
    that share an address), so one changed file parses them all again.
    """
    key = repr(([(f.path, f.relpath, f.root) for f in files],
                ctx.options.kubernetes_units)).encode("utf-8", "surrogateescape")
    found, entry = ctx.recall(PARSE_MEMO, key)
    if found and isinstance(entry, tuple) and len(entry) == 3 and ctx.unchanged(entry[0]):
        return Parsed(list(entry[1]), list(entry[2]))
    with ctx.traced() as reads:
        out = _parse(files, ctx)
    if ctx.remembers and ctx.stable(out.diagnostics):
        ctx.remember(PARSE_MEMO, key, (ctx.fingerprints(reads), out.resources, out.diagnostics))
    return out


def _parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    out = Parsed()
    by_file: dict[str, list[_Raw]] = {}
    for f in files:
        by_file[f.path] = []
        _read_file(ctx, f, out, by_file[f.path])

    def load(path: str) -> list[_Raw]:
        """A file a kustomization lists, read once (discovery may not have chosen it)."""
        if path not in by_file:
            by_file[path] = []
            relpath = _relative(path, files)
            _read_file(ctx, SourceFile(path, relpath, "kubernetes"), out, by_file[path])
        return by_file[path]

    def make(obj: dict[str, Any], lines: dict[str, int], path: str, relpath: str, line: int) -> _Raw:
        """An object a kustomization generates, located at its generator entry."""
        return _Raw(obj, lines, SourceFile(path, relpath, "kubernetes"), line, line, None)

    units = plan(ctx, files, by_file, load, make, out.diagnostics)
    cluster_kinds = CLUSTER_SCOPED | _crd_cluster_kinds([r for _, group in units for r in group])
    made: list[tuple[str, list[Resource]]] = []
    for label, group in units:
        seen: dict[str, str] = {}
        duplicates: dict[str, list[tuple[int, str, str]]] = {}
        resources: list[Resource] = []
        for raw in group:
            _object(raw, cluster_kinds, out, seen, duplicates, resources, label)
        for path, copies in duplicates.items():
            out.diagnostics.append(_duplicates(path, copies))
        made.append((label, resources))
    out.resources.extend(_distinct(made))
    mark_built(out.resources, built_images((raw.file.relpath, raw.obj) for raws in by_file.values()
                                           for raw in raws if is_config(raw.obj)))
    return out


def _relative(path: str, files: list[SourceFile]) -> str:
    """``path`` relative to the scan root of the discovered files."""
    root = next(filter(None, map(scan_root, files)), None)
    return os.path.relpath(path, root).replace(os.sep, "/")


def _distinct(made: list[tuple[str, list[Resource]]]) -> list[Resource]:
    """Every unit's objects; units that share an address get ``@<unit>`` after each of their addresses."""
    owners: dict[str, int] = {}
    for i, (_, resources) in enumerate(made):
        for r in resources:
            owners.setdefault(r.address, i)
    clashing = {i for i, (_, resources) in enumerate(made) for r in resources if owners[r.address] != i}
    clashing |= {owners[r.address] for i in clashing for r in made[i][1]}
    out: list[Resource] = []
    for i, (label, resources) in enumerate(made):
        out.extend(replace(r, address=f"{r.address}@{label}") if i in clashing else r for r in resources)
    return out


def _duplicates(path: str, copies: list[tuple[int, str, str]]) -> Diagnostic:
    """One warning per file: overlays and full installs repeat hundreds of objects."""
    line, addr, first = copies[0]
    if len(copies) == 1:
        message = f"{addr} is also defined at {first}; this copy is ignored"
    else:
        message = (f"{len(copies)} objects here are defined earlier in other files (first: {addr} "
                   f"at line {line}, also at {first}); these copies are ignored")
    return Diagnostic("duplicate-object", message, path, line, level="warning")


def _read_file(ctx: ParseContext, f: SourceFile, out: Parsed, raws: list[_Raw]) -> None:
    try:
        data = ctx.read(f.path)
    except OSError as exc:
        out.diagnostics.append(Diagnostic("unreadable", f"cannot read file: {exc.strerror}", f.relpath))
        return
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        out.diagnostics.append(Diagnostic("invalid-utf8", f"file is not valid {encoding(data).upper()}; skipped",
                                          f.relpath, error_line(data, exc)))
        return
    template_line = _helm_template_line(ctx, f, text)
    if template_line:
        out.diagnostics.append(_skipped_template(f, template_line))
        return
    sources = _helm_sources(text)
    previous = 0
    for doc in ctx.memo("yaml-documents", data, lambda: list(iter_documents(text))):
        if isinstance(doc, YamlProblem):
            if "{{" in text:
                out.diagnostics.append(_skipped_template(f, text[:text.index("{{")].count("\n") + 1))
            else:
                out.diagnostics.append(Diagnostic("yaml-syntax", doc.message, f.relpath, doc.line))
            return
        helm = _source_for(sources, previous, doc.start_line)
        previous = doc.start_line
        _objects(doc, f, helm, raws)


def _skipped_template(f: SourceFile, line: int) -> Diagnostic:
    return Diagnostic("helm-template", "unrendered Helm template ({{ }}); skipped — scan "
                      "`helm template` output instead", f.relpath, line, level="info")


def _helm_template_line(ctx: ParseContext, f: SourceFile, text: str) -> int:
    """The line of the first Helm action, if the file is an unrendered chart template, else 0."""
    if "{{" not in text:
        return 0
    blocks = _block_scalars(text)
    starts = [a for a, _ in blocks]

    def in_block(offset: int) -> bool:  # blocks are in order and disjoint
        i = bisect.bisect_right(starts, offset) - 1
        return i >= 0 and offset < blocks[i][1]

    start = next((s for s, _ in _HELM_RE.spans(text) if not in_block(s)), -1)
    if start < 0 and _in_chart_templates(ctx, f):
        start = text.find("{{")
    return text.count("\n", 0, start) + 1 if start >= 0 else 0


_BLOCK_HEADERS = frozenset({"|", "|-", "|+", ">", ">-", ">+"})


def _block_scalars(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the block scalars' contents (``data: |`` and the lines indented under it).

    Rendered YAML carries templates as text there (Istio's sidecar injector ConfigMap holds
    ``{{- define "resources"``): an action inside is a value, not a sign the file is unrendered.
    """
    out: list[tuple[int, int]] = []
    offset = 0
    header_indent = -1
    start = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip()
        indent = len(line) - len(line.lstrip(" "))
        if header_indent >= 0:
            if not body.strip() or indent > header_indent:
                offset += len(line)
                continue
            out.append((start, offset))
            header_indent = -1
        tail = body.rsplit(" ", 1)[-1] if " " in body else ""
        if tail in _BLOCK_HEADERS and body[:-len(tail)].rstrip().endswith((":", "-")):
            header_indent = indent
            start = offset + len(line)
        offset += len(line)
    if header_indent >= 0:
        out.append((start, offset))
    return out


def _in_chart_templates(ctx: ParseContext, f: SourceFile) -> bool:
    """True when the file lies under a ``templates/`` folder whose parent holds a Chart.yaml."""
    folder = os.path.dirname(f.path)
    while os.path.basename(folder) and os.path.basename(folder) != "templates":
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
    return bool(os.path.basename(folder)) and ctx.kind(
        os.path.join(os.path.dirname(folder), "Chart.yaml")) == "file"


def _helm_sources(text: str) -> list[tuple[int, str]]:
    if "# Source: " not in text:
        return []
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _SOURCE_RE.finditer(text)]


def _source_for(sources: list[tuple[int, str]], after: int, before: int) -> Optional[tuple[str, int]]:
    """The last ``# Source:`` comment between the previous document's start and this one's."""
    found: Optional[tuple[str, int]] = None
    for line, path in sources:
        if line >= before:
            break
        if line > after:
            found = (path, line)
    return found


def _objects(doc: Document, f: SourceFile, helm: Optional[tuple[str, int]], raws: list[_Raw]) -> None:
    obj = doc.value
    if not isinstance(obj, dict):
        return
    kind = obj.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list):
        by_item = _lines_by_item(doc.lines)
        for i, item in enumerate(obj["items"]):
            if not isinstance(item, dict):
                continue
            lines = by_item.get(str(i), {})
            start = doc.lines.get(f"items.{i}", doc.start_line)
            end = doc.lines.get(f"items.{i + 1}", doc.end_line + 1) - 1
            raws.append(_Raw(item, lines, f, start, max(start, end), helm))
        return
    raws.append(_Raw(obj, doc.lines, f, doc.start_line, doc.end_line, helm))


def _lines_by_item(lines: dict[str, int]) -> dict[str, dict[str, int]]:
    """``{"i": {rest: line}}`` from ``{"items.i.rest": line}``, in one pass over the lines."""
    groups: dict[str, dict[str, int]] = {}
    for key, line in lines.items():
        if key.startswith("items."):
            parts = key.split(".", 2)
            if len(parts) == 3:
                groups.setdefault(parts[1], {})[parts[2]] = line
    return groups


def _crd_cluster_kinds(raws: list[_Raw]) -> frozenset[str]:
    """Kinds that a scanned CustomResourceDefinition declares cluster-scoped."""
    kinds: set[str] = set()
    for raw in raws:
        if raw.obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = raw.obj.get("spec")
        if isinstance(spec, dict) and spec.get("scope") == "Cluster":
            names = spec.get("names")
            if isinstance(names, dict) and isinstance(names.get("kind"), str):
                kinds.add(names["kind"])
    return frozenset(kinds)


RBAC_GROUP = "rbac.authorization.k8s.io"


def _unplaced_account(obj: dict[str, Any]) -> Optional[tuple[int, str]]:
    """(index, name) of a ServiceAccount subject written without a namespace, or None.

    The API server validates a ClusterRoleBinding's ServiceAccount subjects to have one (a
    RoleBinding's default to its own), and refuses the object otherwise (rook's sqlitevfs example).
    """
    subjects = obj.get("subjects")
    for i, subject in enumerate(subjects if isinstance(subjects, list) else []):
        if (isinstance(subject, dict) and subject.get("kind") == "ServiceAccount"
                and isinstance(subject.get("name"), str) and subject.get("namespace") in (None, "")):
            return i, subject["name"]
    return None


def _object(raw: _Raw, cluster_kinds: frozenset[str], out: Parsed, seen: dict[str, str],
            duplicates: dict[str, list[tuple[int, str, str]]], resources: list[Resource],
            unit: str) -> None:
    obj, f = raw.obj, raw.file
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        return
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name = metadata.get("name") or metadata.get("generateName")
    if api_version.startswith(KUSTOMIZE_GROUP + "/"):
        out.diagnostics.append(Diagnostic(
            "kustomize-input", f"Kustomize {kind} is build input, not a cluster object; only a "
            "kustomization file (kustomization.yaml) is built", f.relpath, raw.start, level="info"))
        return
    if is_config(obj):
        out.diagnostics.append(Diagnostic(
            "skaffold-config", "skaffold configuration, not a cluster object: the images it builds are "
            "tagged at deploy time (scanner/formats/kubernetes/skaffold.py)", f.relpath, raw.start, level="info"))
        return
    group = api_group(api_version)
    if group in BUILTIN_GROUPS and kind in SERVED_BY and group not in SERVED_BY[kind]:
        out.diagnostics.append(Diagnostic(
            "k8s-unserved", f"apiVersion {api_version} does not serve {kind}: the API server refuses "
            "this object; not scanned", f.relpath, raw.start, level="warning"))
        return
    if not name or isinstance(name, (dict, list)):
        out.diagnostics.append(Diagnostic(
            "k8s-unnamed", f"{kind} without metadata.name; skipped", f.relpath, raw.start,
            level="warning"))
        return
    unplaced = _unplaced_account(obj) if kind == "ClusterRoleBinding" and group == RBAC_GROUP else None
    if unplaced is not None:
        out.diagnostics.append(Diagnostic(
            "k8s-invalid", f"ClusterRoleBinding {name}: subject {unplaced[0]} (ServiceAccount {unplaced[1]}) "
            "has no namespace, which the API server requires of a ClusterRoleBinding's account: it refuses "
            "the binding, which grants nothing; not scanned", f.relpath, raw.start, level="warning"))
        return
    namespace = None if kind in cluster_kinds else str(metadata.get("namespace") or "default")
    addr = address(api_version, kind, namespace, str(name))
    if addr in seen:
        duplicates.setdefault(f.relpath, []).append((raw.start, addr, seen[addr]))
        return
    lines = raw.lines
    rtype = KNATIVE_TYPES.get((group, kind), kind)
    if rtype in WORKLOAD_KINDS:
        normalise_pod(obj, lines, POD_SPEC_PATHS[rtype])
        imageless = [c.get("name") for c in obj.get("$containers") or () if "image" not in c]
        if imageless:  # a stub meant to be merged into an object of the cluster (kubectl apply)
            out.diagnostics.append(Diagnostic(
                "k8s-incomplete", f"{kind} {name}: container {imageless[0]!r} has no image, which the API "
                "server requires; not scanned", f.relpath, raw.start, level="warning"))
            return
    elif kind == "ConfigMap":
        derive_configmap(obj, lines)
    elif kind == "Secret":
        derive_secret(obj, lines)
    if raw.helm is not None:
        obj["$helm_source"] = raw.helm[0]
        lines["$helm_source"] = raw.helm[1]
    seen[addr] = f"{f.relpath}:{raw.start}"   # a refused object does not hide a later copy
    obj["$unit"] = unit
    lines["$unit"] = raw.start
    if namespace is None:  # the API server ignores a cluster-scoped object's metadata.namespace
        obj["$cluster_scoped"] = True
        lines["$cluster_scoped"] = raw.start
    if kind == "Namespace" and name == "kube-system":  # the cluster's own: its node agents run there
        obj["$system_namespace"] = True
        lines["$system_namespace"] = raw.start
    resources.append(Resource(
        address=addr, kind=Layer.KUBERNETES, type=rtype, attributes=obj,
        location=Location(f.relpath, raw.start, raw.end), source="kubernetes", lines=lines))
