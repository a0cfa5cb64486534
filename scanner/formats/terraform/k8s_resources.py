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

from ...crash import crash_diagnostic
from ...model import Diagnostic, Layer, Line, Resource
from .k8s_blocks import LIST_BLOCKS, Convert, camel
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
TOP_LEVEL: dict[str, dict[str, tuple[str, bool]]] = {   # (name, whether the API holds a list)
    "Secret": {"data": ("stringData", False), "binary_data": ("data", False)},  # the provider encodes `data`
    "ServiceAccount": {"secret": ("secrets", True), "image_pull_secret": ("imagePullSecrets", True)},
}
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


def as_kubernetes(resource: Resource, block: Optional[Block], diagnostics: list[Diagnostic]) -> Resource:
    """The Kubernetes object a managed Terraform resource declares, or the resource unchanged.

    A ``kubernetes_manifest`` whose ``manifest`` is not known as an object
    (``yamldecode(file(...))``) stays a Terraform resource:
    :func:`assign_units` names it in an info diagnostic. A conversion that
    raises leaves the resource as it is, with an error diagnostic naming it.
    """
    if resource.source != "terraform" or not resource.type.startswith("kubernetes_"):
        return resource
    try:
        return _convert(resource, block)
    except Exception as exc:  # noqa: BLE001 - one odd resource must not cost the module's others
        diagnostics.append(crash_diagnostic(
            "kubernetes-conversion-crash", "reading it as a Kubernetes object", exc, resource,
            consequence="it is scanned as a Terraform resource, without the Kubernetes policies"))
        return resource


def _convert(resource: Resource, block: Optional[Block]) -> Resource:
    if resource.type == KUBERNETES_MANIFEST:
        return _manifest(resource, block)
    found = kind_of(resource.type)
    if found is None:
        return resource
    api_version, kind = found
    convert = Convert(resource.lines)
    start = resource.location.start_line
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    convert.lines.update({"apiVersion": start, "kind": start})
    names = TOP_LEVEL.get(kind, {})
    for key, value in resource.attributes.items():
        if key not in OBJECT_ARGUMENTS:
            continue
        name, listed = names.get(key) or (LIST_BLOCKS.get(key) or camel(key), key in LIST_BLOCKS)
        if key == "spec" and kind == "DaemonSet":
            convert.renames = {"strategy": "updateStrategy"}
        obj[name] = convert.value(value, key, name, name, listed)
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
    convert = Convert(resource.lines)
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


def _finish(resource: Resource, obj: dict[str, Any], convert: Convert) -> Resource:
    """The object as a Kubernetes resource: identity, namespace default, derived attributes, references at manifest paths."""
    from ..kubernetes.pod import POD_SPEC_PATHS, derive_configmap, derive_secret, normalise_pod
    from ..kubernetes.parser import CLUSTER_SCOPED, address

    kind, start, lines = obj["kind"], resource.location.start_line, convert.lines
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = obj["metadata"] = {}
        lines["metadata"] = start
    namespace: Optional[str] = None
    if kind not in CLUSTER_SCOPED:
        # the typed resources' schema defaults `namespace` to "default"; a kubernetes_manifest is
        # sent as written, like a manifest, and only its address assumes "default"
        if metadata.get("namespace") in (None, "") and resource.type != KUBERNETES_MANIFEST:
            metadata["namespace"] = "default"
            lines["metadata.namespace"] = lines.get("metadata", start)
        namespace = _name(metadata.get("namespace") or "default", resource.address)
    name = _name(metadata.get("name") or metadata.get("generateName"), resource.address)
    obj["$kubernetes_address"] = address(str(obj["apiVersion"]), kind, namespace, name)
    lines["$kubernetes_address"] = start
    if kind in POD_SPEC_PATHS:
        if resource.type != KUBERNETES_MANIFEST:
            _provider_pod_defaults(obj, lines, POD_SPEC_PATHS[kind], start)
        normalise_pod(obj, lines, POD_SPEC_PATHS[kind])
    elif kind == "ConfigMap":
        derive_configmap(obj, lines)
    elif kind == "Secret":
        derive_secret(obj, lines)
    return Resource(address=resource.address, kind=Layer.KUBERNETES, type=kind, attributes=obj,
                    location=resource.location, source="terraform.kubernetes", lines=lines,
                    references=tuple((convert.path(p), a) for p, a in resource.references))


def _provider_pod_defaults(obj: dict[str, Any], lines: dict[str, int], spec_path: tuple[str, ...],
                           start: int) -> None:
    """What the provider sends for a pod spec argument left out, where that differs from leaving it out of a manifest.

    ``automount_service_account_token`` defaults to true in the provider's
    schema, so the pod always says whether the token is mounted, and a
    ServiceAccount's ``automount_service_account_token = false`` never
    decides for it.
    """
    from ..kubernetes.pod import dig

    spec = dig(obj, spec_path)
    if isinstance(spec, dict) and spec.get("automountServiceAccountToken") is None:
        spec["automountServiceAccountToken"] = True
        where = ".".join(spec_path)
        lines[f"{where}.automountServiceAccountToken"] = lines.get(where, start)  # the pod spec block


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
            r.attributes["$unit"] = unit  # type: ignore[index]
            r.lines["$unit"] = r.location.start_line  # type: ignore[index]
            objects.setdefault(str(r.attributes.get("$kubernetes_address")), r)
    for r in resources:
        if r.source == "terraform" and r.type in METADATA_PATCHES:
            try:
                _merge_metadata(r, objects)
            except Exception as exc:  # noqa: BLE001 - the other objects of the root stay read
                diagnostics.append(crash_diagnostic(
                    "kubernetes-conversion-crash", f"merging {r.type}", exc, r,
                    consequence="its labels or annotations are not on the object it names"))
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
    from ..kubernetes.parser import CLUSTER_SCOPED, address

    attrs = patch.attributes
    meta = attrs.get("metadata")
    meta = meta[0] if isinstance(meta, list) and meta and isinstance(meta[0], dict) else {}
    kind, api_version, name = attrs.get("kind"), attrs.get("api_version"), meta.get("name")
    if not (isinstance(kind, str) and isinstance(api_version, str) and isinstance(name, str)):
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
            target.lines[f"{where}.{key}"] = line  # type: ignore[index]  # a dict: set by the parsers
