"""The Kubernetes provider's block schema read as manifest values: names, list blocks, one-item blocks, lines.

:class:`Convert` walks what the body reader made of a resource (nested
blocks as lists of objects, arguments as values) and returns the manifest
form, copying each Terraform line to its manifest path and remembering the
path map, so references can be moved too. Used by
:mod:`scanner.formats.terraform.k8s_resources`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...model import is_unknown

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
    "sources": "sources",
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


def camel(name: str) -> str:
    """``run_as_non_root`` -> ``runAsNonRoot``; ``host_pid`` -> ``hostPID``."""
    if name in CAMEL_EXCEPTIONS:
        return CAMEL_EXCEPTIONS[name]
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class Convert:
    """Maps provider block values to manifest values, copying each Terraform line to its manifest path."""

    def __init__(self, tf_lines: Mapping[str, int]) -> None:
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


def _items(value: Any) -> bool:
    """A non-empty list of objects or unknown items: a list block, possibly a `dynamic` one over an unknown collection."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) or is_unknown(v) for v in value)


def _blocks(value: Any) -> bool:
    """True for what the body reader makes of nested blocks: list-block items with at least one object among them."""
    return _items(value) and any(isinstance(v, dict) for v in value)
