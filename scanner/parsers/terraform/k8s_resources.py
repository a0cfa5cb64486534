"""Terraform-managed Kubernetes: `kubernetes_*` resources and `kubernetes_manifest` as the normalised objects YAML manifests give.

A ``kubernetes_deployment`` (and every other supported type below, with its
``_v1`` twin) becomes a Kubernetes-layer resource of type ``Deployment`` at
its Terraform address, with attributes in manifest shape: the provider's
snake_case block schema mapped the way the provider expands it
(``container`` -> ``containers``, ``security_context.run_as_non_root`` ->
``securityContext.runAsNonRoot``, ``host_pid`` -> ``hostPID``, a block of
at most one item -> an object). Every value keeps the line Terraform gave
it, so a finding points at the Terraform line. ``$kubernetes_address`` holds the
object's Kubernetes identity (``k8s:apps/Deployment/ns/web``), which the
Kubernetes linker joins on; ``$unit`` (the Terraform root module) is set by
:func:`assign_units`. Data sources are never converted. See
docs/kubernetes.md, "Terraform-managed objects".
"""

from __future__ import annotations

from typing import Any, Optional

from ...model import Diagnostic, Layer, Line, Resource, is_unknown
from .syntax import Block, Lit, ObjectE, TupleE

# Terraform type (without its `_v1` / `_v2` suffix) -> (apiVersion, kind)
KINDS: dict[str, tuple[str, str]] = {
    "kubernetes_deployment": ("apps/v1", "Deployment"),
    "kubernetes_daemonset": ("apps/v1", "DaemonSet"),
    "kubernetes_daemon_set": ("apps/v1", "DaemonSet"),
    "kubernetes_stateful_set": ("apps/v1", "StatefulSet"),
    "kubernetes_replication_controller": ("v1", "ReplicationController"),
    "kubernetes_pod": ("v1", "Pod"),
    "kubernetes_job": ("batch/v1", "Job"),
    "kubernetes_cron_job": ("batch/v1", "CronJob"),
    "kubernetes_service": ("v1", "Service"),
    "kubernetes_ingress": ("networking.k8s.io/v1", "Ingress"),
    "kubernetes_network_policy": ("networking.k8s.io/v1", "NetworkPolicy"),
    "kubernetes_role": ("rbac.authorization.k8s.io/v1", "Role"),
    "kubernetes_cluster_role": ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    "kubernetes_role_binding": ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    "kubernetes_cluster_role_binding": ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    "kubernetes_service_account": ("v1", "ServiceAccount"),
    "kubernetes_default_service_account": ("v1", "ServiceAccount"),
    "kubernetes_secret": ("v1", "Secret"),
    "kubernetes_config_map": ("v1", "ConfigMap"),
    "kubernetes_namespace": ("v1", "Namespace"),
    "kubernetes_pod_security_policy": ("policy/v1beta1", "PodSecurityPolicy"),
}
# Top-level arguments that are part of the object; the rest (`wait_for_rollout`, `timeouts`...) steer the provider.
OBJECT_ARGUMENTS = frozenset({"metadata", "spec", "data", "binary_data", "type", "immutable", "rule",
                              "aggregation_rule", "role_ref", "subject", "secret", "image_pull_secret",
                              "automount_service_account_token"})
# Per kind, top-level arguments whose manifest name is not their camelCase.
TOP_LEVEL: dict[str, dict[str, str]] = {
    "Secret": {"data": "stringData", "binary_data": "data"},      # the provider encodes `data` itself
    "ServiceAccount": {"secret": "secrets", "image_pull_secret": "imagePullSecrets"},
}
# Blocks that the API holds as lists (under this name), whatever their count.
LIST_BLOCKS: dict[str, str] = {
    "container": "containers", "init_container": "initContainers", "volume": "volumes",
    "volume_mount": "volumeMounts", "volume_device": "volumeDevices", "env": "env", "env_from": "envFrom",
    "port": "ports", "ports": "ports", "toleration": "tolerations", "readiness_gate": "readinessGates",
    "topology_spread_constraint": "topologySpreadConstraints", "sysctl": "sysctls",
    "host_aliases": "hostAliases", "image_pull_secrets": "imagePullSecrets", "rule": "rules",
    "subject": "subjects", "match_expressions": "matchExpressions", "http_header": "httpHeaders",
    "volume_claim_template": "volumeClaimTemplates", "option": "options", "items": "items",
    "ingress": "ingress", "egress": "egress", "from": "from", "to": "to", "tls": "tls",
    "cluster_role_selectors": "clusterRoleSelectors", "resize_policy": "resizePolicy",
    "sources": "sources", "imagePullSecrets": "imagePullSecrets", "secrets": "secrets",
}
# (parent's manifest key, block) whose manifest form differs from LIST_BLOCKS.
IN_CONTEXT: dict[tuple[str, str], tuple[str, bool]] = {
    ("service", "port"): ("port", False),      # an Ingress backend's service port: one object
    ("http", "path"): ("paths", True),         # an Ingress rule's paths
}
CAMEL_EXCEPTIONS = {"host_pid": "hostPID", "host_ipc": "hostIPC", "external_ips": "externalIPs",
                    "cluster_ip": "clusterIP", "cluster_ips": "clusterIPs", "host_ip": "hostIP",
                    "load_balancer_ip": "loadBalancerIP", "non_resource_urls": "nonResourceURLs",
                    "run_as_username": "runAsUserName", "pod_cidr": "podCIDR"}
# Numbers the provider's schema takes as strings and converts (`run_as_user = "1000"`).
NUMERIC = frozenset({"runAsUser", "runAsGroup", "fsGroup", "replicas"})
PROJECTED = {"secret": "secret", "config_map": "configMap", "downward_api": "downwardAPI",
             "service_account_token": "serviceAccountToken"}
HELM_RELEASE = "helm_release"
# Resources that add labels or annotations to an object: argument -> where in the object they go
METADATA_PATCHES: dict[str, dict[str, str]] = {
    "kubernetes_labels": {"labels": "metadata.labels"},
    "kubernetes_annotations": {"annotations": "metadata.annotations"},
}
KUBERNETES_MANIFEST = "kubernetes_manifest"


def kind_of(tf_type: str) -> Optional[tuple[str, str]]:
    """(apiVersion, kind) of a supported Terraform type (``kubernetes_deployment_v1`` too), else None."""
    for suffix in ("_v1", "_v2"):
        if tf_type.endswith(suffix):
            tf_type = tf_type[: -len(suffix)]
            break
    return KINDS.get(tf_type)


def camel(name: str) -> str:
    """``run_as_non_root`` -> ``runAsNonRoot``; ``host_pid`` -> ``hostPID``."""
    if name in CAMEL_EXCEPTIONS:
        return CAMEL_EXCEPTIONS[name]
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def as_kubernetes(resource: Resource, block: Optional[Block]) -> Resource:
    """The Kubernetes object a managed Terraform resource declares, or the resource unchanged.

    A ``kubernetes_manifest`` whose ``manifest`` is not known as an object
    (``yamldecode(file(...))``) stays a Terraform resource:
    :func:`assign_units` names it in an info diagnostic.
    """
    if resource.source != "terraform" or not resource.type.startswith("kubernetes_"):
        return resource
    if resource.type == KUBERNETES_MANIFEST:
        return _manifest(resource, block)
    found = kind_of(resource.type)
    if found is None:
        return resource
    api_version, kind = found
    convert = _Convert(resource.lines)
    start = resource.location.start_line
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    convert.lines.update({"apiVersion": start, "kind": start})
    names = TOP_LEVEL.get(kind, {})
    for key, value in resource.attributes.items():
        if key not in OBJECT_ARGUMENTS:
            continue
        name = names.get(key) or LIST_BLOCKS.get(key) or camel(key)
        if key == "spec" and kind == "DaemonSet":
            convert.renames = {"strategy": "updateStrategy"}
        obj[name] = convert.value(value, key, name, name, key in LIST_BLOCKS or name in LIST_BLOCKS.values())
        convert.renames = {}
    if kind == "ServiceAccount" and resource.type.startswith("kubernetes_default_service_account"):
        meta = obj.setdefault("metadata", {})
        if isinstance(meta, dict):
            meta.setdefault("name", "default")
    return _finish(resource, obj, convert)


def _manifest(resource: Resource, block: Optional[Block]) -> Resource:
    manifest = resource.attributes.get("manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("kind"), str) \
            or not isinstance(manifest.get("apiVersion"), str):
        return resource
    convert = _Convert(resource.lines)
    attr = block.attributes.get("manifest") if block is not None else None  # None: from a plan
    if attr is not None:
        _expression_lines(attr.expr, "manifest", convert.tf)
    obj = convert.verbatim(manifest, "manifest", "")
    return _finish(resource, obj, convert)


def _expression_lines(expr: Any, path: str, lines: dict[str, int]) -> None:
    """The line of every literal key and item of an object written inline (``manifest = { spec = {...} }``)."""
    if isinstance(expr, ObjectE):
        for k, v in expr.items:
            if isinstance(k, Lit):
                lines.setdefault(f"{path}.{k.value}", v.line)
                _expression_lines(v, f"{path}.{k.value}", lines)
    elif isinstance(expr, TupleE):
        for i, item in enumerate(expr.items):
            lines.setdefault(f"{path}.{i}", item.line)
            _expression_lines(item, f"{path}.{i}", lines)


def _finish(resource: Resource, obj: dict[str, Any], convert: "_Convert") -> Resource:
    """The object as a Kubernetes resource: identity, namespace default, derived attributes, references at manifest paths."""
    from ..k8s_pod import POD_SPEC_PATHS, derive_configmap, derive_secret, normalise_pod
    from ..kubernetes import CLUSTER_SCOPED, address

    kind, start, lines = obj["kind"], resource.location.start_line, convert.lines
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = obj["metadata"] = {}
        lines["metadata"] = start
    namespace: Optional[str] = None
    if kind not in CLUSTER_SCOPED:
        if metadata.get("namespace") in (None, ""):
            metadata["namespace"] = "default"   # the provider's default, unlike `kubectl apply`'s -n
            lines["metadata.namespace"] = lines.get("metadata", start)
        namespace = _name(metadata["namespace"], resource.address)
    name = _name(metadata.get("name") or metadata.get("generateName"), resource.address)
    obj["$kubernetes_address"] = address(str(obj["apiVersion"]), kind, namespace, name)
    lines["$kubernetes_address"] = start
    if kind in POD_SPEC_PATHS:
        normalise_pod(obj, lines, POD_SPEC_PATHS[kind])
    elif kind == "ConfigMap":
        derive_configmap(obj, lines)
    elif kind == "Secret":
        derive_secret(obj, lines)
    return Resource(address=resource.address, kind=Layer.KUBERNETES, type=kind, attributes=obj,
                    location=resource.location, source="terraform.kubernetes", lines=lines,
                    references=tuple((convert.path(p), a) for p, a in resource.references))


def _name(value: Any, tf_address: str) -> str:
    """A name or namespace as written; when known only at apply, the Terraform address, which no Kubernetes name can equal."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"({tf_address})"


def assign_units(resources: list[Resource], label: str, diagnostics: list[Diagnostic]) -> None:
    """Put the Kubernetes objects of one Terraform root in one deployment unit; say what is not read.

    ``kubernetes_labels`` / ``kubernetes_annotations`` of an object the root
    manages are merged into it. Every ``helm_release`` gets an info
    diagnostic (charts are not rendered), and so does a
    ``kubernetes_manifest`` whose object is not known.
    """
    seen: set[tuple[str, int]] = set()
    unit = f"terraform:{label}"
    objects: dict[str, Resource] = {}
    for r in resources:
        if r.source == "terraform.kubernetes":
            r.attributes["$unit"] = unit
            r.lines["$unit"] = r.location.start_line  # type: ignore[index]
            objects.setdefault(str(r.attributes.get("$kubernetes_address")), r)
    for r in resources:
        if r.source == "terraform" and r.type in METADATA_PATCHES:
            _merge_metadata(r, objects)
        if r.source != "terraform" or r.type not in (HELM_RELEASE, KUBERNETES_MANIFEST):
            continue
        if r.source != "terraform" or r.type not in (HELM_RELEASE, KUBERNETES_MANIFEST):
            continue
        where = (r.location.path, r.location.start_line)
        if where in seen:
            continue
        seen.add(where)
        if r.type == HELM_RELEASE:
            message = ("helm_release is not rendered: riskgraph does not run Helm or evaluate its Go "
                       "templates; scan the chart's `helm template` output to check its objects")
        else:
            message = ("kubernetes_manifest whose manifest is not known before apply (a file(), "
                       "templatefile() or unknown value); its object is not scanned")
        diagnostics.append(Diagnostic("kubernetes-not-rendered", message, where[0], where[1], level="info"))


def _merge_metadata(patch: Resource, objects: dict[str, Resource]) -> None:
    """Labels or annotations a ``kubernetes_labels`` / ``kubernetes_annotations`` sets on an object of the same root."""
    from ..kubernetes import CLUSTER_SCOPED, address

    attrs = patch.attributes
    meta = attrs.get("metadata")
    meta = meta[0] if isinstance(meta, list) and meta and isinstance(meta[0], dict) else {}
    kind, api_version, name = attrs.get("kind"), attrs.get("api_version"), meta.get("name")
    if not all(isinstance(v, str) for v in (kind, api_version, name)):
        return
    namespace = None if kind in CLUSTER_SCOPED else str(meta.get("namespace") or "default")
    target = objects.get(address(api_version, kind, namespace, name))
    if target is None:
        return
    for argument, where in METADATA_PATCHES[patch.type].items():
        values = attrs.get(argument)
        if not isinstance(values, dict):
            continue
        node: Any = target.attributes
        for key in where.split("."):
            node = node.setdefault(key, {}) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        for key, value in values.items():
            node[key] = value
            line = patch.lines.get(f"{argument}.{key}", patch.location.start_line)
            if patch.location.path != target.location.path:
                line = Line(line, patch.location.path)
            target.lines[f"{where}.{key}"] = line  # type: ignore[index]


class _Convert:
    """Maps provider block values to manifest values, copying each Terraform line to its manifest path."""

    def __init__(self, tf_lines: dict[str, int]) -> None:
        self.tf = dict(tf_lines)
        self.lines: dict[str, int] = {}
        self.paths: dict[str, str] = {}   # Terraform path -> manifest path
        self.renames: dict[str, str] = {}

    def mark(self, k8s: str, tf: str) -> None:
        self.paths[tf] = k8s
        line = self.tf.get(tf)
        if line is not None:
            self.lines[k8s] = line

    def path(self, tf: str) -> str:
        """The manifest path of a Terraform attribute path (its nearest converted ancestor's, and the rest)."""
        rest = ""
        while tf:
            found = self.paths.get(tf)
            if found is not None:
                return found + rest
            cut = tf.rfind(".")
            if cut < 0:
                break
            rest, tf = tf[cut:] + rest, tf[:cut]
        return tf + rest

    def block(self, attrs: dict[str, Any], tf: str, k8s: str, parent: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in attrs.items():
            if key.startswith("$"):
                continue
            name, listed = IN_CONTEXT.get((parent, key), (None, False))
            if name is None:
                name = self.renames.get(key) if parent == "spec" and k8s == "spec" else None
                listed = key in LIST_BLOCKS and _items(value)  # `port = 80` inside a port block is no list
                name = name or (LIST_BLOCKS[key] if listed else camel(key))
            out[name] = self.value(value, f"{tf}.{key}", f"{k8s}.{name}", name, listed)
        return out

    def value(self, value: Any, tf: str, k8s: str, name: str, listed: bool) -> Any:
        """One argument: blocks (lists of objects) converted, anything else copied as written."""
        if not (_blocks(value) or listed and _items(value)):
            self.mark(k8s, tf)
            return self.verbatim(value, tf, k8s)
        if name == "sources" and k8s.endswith(".projected.sources"):
            return self._projected(value, tf, k8s)
        self.mark(k8s, f"{tf}.0")
        if not listed and len(value) == 1:
            item = value[0]
            return self.block(item, f"{tf}.0", k8s, name) if isinstance(item, dict) else item
        items = []
        for i, item in enumerate(value):
            self.mark(f"{k8s}.{i}", f"{tf}.{i}")
            items.append(self.block(item, f"{tf}.{i}", f"{k8s}.{i}", name) if isinstance(item, dict) else item)
        return items

    def _projected(self, value: list[Any], tf: str, k8s: str) -> list[Any]:
        """A projected volume's ``sources`` blocks: each secret / config map / token they hold is one source."""
        out: list[Any] = []
        self.mark(k8s, f"{tf}.0")
        for i, source in enumerate(value):
            if not isinstance(source, dict):
                out.append(source)
                continue
            for key, name in PROJECTED.items():
                entries = source.get(key)
                for j, entry in enumerate(entries if isinstance(entries, list) else []):
                    at, n = f"{tf}.{i}.{key}.{j}", len(out)
                    self.mark(f"{k8s}.{n}", at)
                    self.mark(f"{k8s}.{n}.{name}", at)
                    out.append({name: self.block(entry, at, f"{k8s}.{n}.{name}", name)
                                if isinstance(entry, dict) else entry})
        return out

    def verbatim(self, value: Any, tf: str, k8s: str) -> Any:
        """A map, list or scalar as written (map keys are data: labels, annotations, limits)."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                at, to = f"{tf}.{key}", f"{k8s}.{key}" if k8s else str(key)
                self.mark(to, at)
                out[key] = self.verbatim(item, at, to)
            return out
        if isinstance(value, list):
            for i in range(len(value)):
                self.mark(f"{k8s}.{i}", f"{tf}.{i}")
            return [self.verbatim(item, f"{tf}.{i}", f"{k8s}.{i}") for i, item in enumerate(value)]
        name = k8s.rsplit(".", 1)[-1]
        if name in NUMERIC and isinstance(value, str) and value.strip().isdigit():
            return int(value)
        return value


def _blocks(value: Any) -> bool:
    """True for what the body reader makes of nested blocks: a non-empty list of objects (or unknown items among them)."""
    return (isinstance(value, list) and bool(value) and any(isinstance(v, dict) for v in value)
            and all(isinstance(v, dict) or is_unknown(v) for v in value))


def _items(value: Any) -> bool:
    """A non-empty list of objects or unknown items: a list block, possibly a `dynamic` one over an unknown collection."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) or is_unknown(v) for v in value)
