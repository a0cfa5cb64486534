"""Derived Kubernetes attributes: one pod model for every workload kind, effective container security, image parts.

Every workload gets ``$pod`` (its pod spec wherever the kind nests it) and
``$containers`` (init, regular and ephemeral containers in one list). Each
``$containers`` item is a shallow copy of the manifest's container with three
derived keys: ``$group`` (which list it came from), ``$effective`` (the
security context the kubelet applies: container fields over pod fields over
Kubernetes defaults) and ``$image`` (registry, repository, tag, digest); an
env entry naming a user or key id beside its secret key is a copy marked
``$identifier``. Every derived path has a line: the manifest line of the value it came from,
or the container's first line for a default. ConfigMaps and Secrets get ``$entries``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Optional

from ...credentials import entry_of, find, identifier_halves
from ...model import Unknown
from ...secrets import looks_like_secret
from . import POD_SPEC_PATHS, WORKLOAD_KINDS  # noqa: F401 - the vocabulary, re-read here by the pod model

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")

# Security-context fields a container inherits from the pod when it does not set them.
INHERITED = ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile", "seLinuxOptions",
             "appArmorProfile", "windowsOptions")
# Container-only fields, with the value Kubernetes uses when they are not set.
CONTAINER_DEFAULTS: dict[str, Any] = {
    "privileged": False,
    "allowPrivilegeEscalation": True,
    "readOnlyRootFilesystem": False,
    "procMount": "Default",
}
_LEGACY_SECCOMP = {"runtime/default": "RuntimeDefault", "docker/default": "RuntimeDefault",
                   "unconfined": "Unconfined"}


def pod_metadata_path(spec_path: tuple[str, ...]) -> tuple[str, ...]:
    """Where the pod's metadata (labels, annotations) lives for a pod spec path."""
    return spec_path[:-1] + ("metadata",)


def dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def normalise_pod(obj: dict[str, Any], lines: dict[str, int], spec_path: tuple[str, ...]) -> None:
    """Add ``$pod`` and ``$containers`` (with ``$group``, ``$effective``, ``$image``) to a workload."""
    spec = dig(obj, spec_path)
    if not isinstance(spec, dict):
        return
    origin = ".".join(spec_path)
    obj["$pod"] = spec
    pod_sc = spec.get("securityContext")
    pod_sc = pod_sc if isinstance(pod_sc, dict) else {}
    meta_origin = ".".join(pod_metadata_path(spec_path))
    meta = dig(obj, pod_metadata_path(spec_path))
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    annotations = annotations if isinstance(annotations, dict) else {}
    index: dict[str, str] = {}
    containers: list[dict[str, Any]] = []
    groups: list[str] = []
    for group in CONTAINER_FIELDS:
        items = spec.get(group)
        if not isinstance(items, list):
            continue
        for i, container in enumerate(items):
            if not isinstance(container, dict):
                continue
            n = len(containers)
            index[f"{group}.{i}"] = f"$containers.{n}"
            containers.append(dict(container))
            groups.append(group)
    _alias_pod_lines(lines, origin, index)
    for n, (item, group) in enumerate(zip(containers, groups)):
        base = f"$containers.{n}"
        item["$group"] = group
        lines[f"{base}.$group"] = lines.get(base, 0)
        item["$effective"] = _effective(item, pod_sc, (annotations, meta_origin), lines, base)
        _mark_identifiers(item)
        image = item.get("image")
        if isinstance(image, str):
            item["$image"] = parse_image(image)
            line = lines.get(f"{base}.image")
            if line:
                for key in ("$image", *(f"$image.{k}" for k in item["$image"])):
                    lines[f"{base}.{key}"] = line
    obj["$containers"] = containers


def _mark_identifiers(container: dict[str, Any]) -> None:
    """Copy each env entry that names a user or key id beside its secret key (``MINIO_ACCESS_KEY`` with
    ``MINIO_SECRET_KEY``) with ``$identifier: true``, so the credential policies pass it over; the
    manifest's own list is not changed (the container is a shallow copy)."""
    env = container.get("env")
    if not isinstance(env, list):
        return
    marked = identifier_halves([(e.get("name"), (entry_of(e) or (None, None))[1]) if isinstance(e, dict)
                                else (None, None) for e in env])
    if marked:
        container["env"] = [{**e, "$identifier": True} if i in marked else e for i, e in enumerate(env)]


def _alias_pod_lines(lines: dict[str, int], origin: str, index: dict[str, str]) -> None:
    """Give every path under the pod spec a ``$pod.`` twin, and every container path a ``$containers.N`` twin."""
    prefix = origin + "."
    cut = len(prefix)
    extra: dict[str, int] = {}
    if origin in lines:
        extra["$pod"] = lines[origin]
    for key, line in lines.items():
        if not key.startswith(prefix):
            continue
        rest = key[cut:]
        extra["$pod." + rest] = line
        parts = rest.split(".", 2)
        if len(parts) >= 2:
            alias = index.get(f"{parts[0]}.{parts[1]}")
            if alias is not None:
                extra[alias + ("." + parts[2] if len(parts) == 3 else "")] = line
    lines.update(extra)


def _effective(container: dict[str, Any], pod_sc: dict[str, Any],
               annotations: tuple[dict[str, Any], str], lines: dict[str, int],
               base: str) -> dict[str, Any]:
    """The security context the container runs with, each value's line aliased to where it was set."""
    own = container.get("securityContext")
    own = own if isinstance(own, dict) else {}
    out: dict[str, Any] = {}
    where = f"{base}.$effective"
    start = lines.get(base, 0)

    def take(key: str, value: Any, source: Optional[str]) -> None:
        out[key] = value
        line = lines.get(source, start) if source else start
        lines[f"{where}.{key}"] = line
        if source and isinstance(value, dict):
            for sub in value:
                lines[f"{where}.{key}.{sub}"] = lines.get(f"{source}.{sub}", line)

    for key in INHERITED:
        if own.get(key) is not None:
            take(key, own[key], f"{base}.securityContext.{key}")
        elif pod_sc.get(key) is not None:
            take(key, pod_sc[key], f"$pod.securityContext.{key}")
    if "seccompProfile" not in out:
        legacy = _legacy_seccomp(annotations[0], str(container.get("name", "")))
        if legacy is not None:
            take("seccompProfile", {"type": legacy[0]}, f"{annotations[1]}.annotations.{legacy[1]}")
    for key, default in CONTAINER_DEFAULTS.items():
        if own.get(key) is not None:
            take(key, own[key], f"{base}.securityContext.{key}")
        else:
            take(key, default, None)
    if out.get("privileged") is True:
        out["allowPrivilegeEscalation"] = True  # the API server requires it; the kernel grants it
    caps = own.get("capabilities")
    caps = caps if isinstance(caps, dict) else {}
    take("capabilities", {"add": _strings(caps.get("add")), "drop": _strings(caps.get("drop"))},
         f"{base}.securityContext.capabilities" if caps else None)
    user = out.get("runAsUser")
    non_root = (out.get("runAsNonRoot") is True and user != 0) or (
        isinstance(user, int) and not isinstance(user, bool) and user > 0)
    take("nonRoot", non_root, None)
    if user is not None:
        lines[f"{where}.nonRoot"] = lines[f"{where}.runAsUser"]
    elif out.get("runAsNonRoot") is not None:
        lines[f"{where}.nonRoot"] = lines[f"{where}.runAsNonRoot"]
    return out


def _legacy_seccomp(annotations: dict[str, Any], name: str) -> Optional[tuple[str, str]]:
    """The seccomp type a pre-1.19 annotation asks for, and the annotation's key."""
    for key in (f"container.seccomp.security.alpha.kubernetes.io/{name}",
                "seccomp.security.alpha.kubernetes.io/pod"):
        value = annotations.get(key)
        if isinstance(value, str):
            kind = "Localhost" if value.startswith("localhost/") else _LEGACY_SECCOMP.get(value)
            return (kind, key) if kind else None
    return None


def _strings(value: Any) -> list[str]:
    return [str(x) for x in value] if isinstance(value, list) else []


_REFERENCE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@+")


def unknown_image(reason: str) -> dict[str, Any]:
    """A ``$image`` whose every part is unknown, for ``reason``."""
    unknown = Unknown(reason)
    return {k: unknown for k in ("registry", "repository", "tag", "digest", "latest")}


def parse_image(image: str) -> dict[str, Any]:
    """``registry/repository:tag@digest`` split the way the container runtime reads it.

    ``registry`` is ``docker.io`` when the first part names no host;
    ``tag`` and ``digest`` are None when absent; ``latest`` is True when the
    image floats: no digest, and the tag is ``latest`` or missing. A string
    that is no image reference (``<YOUR-CONTAINER>``, ``${IMAGE}``, ``{{ .image }}``)
    is a placeholder filled in at deploy time: every part is unknown. A
    placeholder only before the last ``/`` (``gcr.io/<PROJECT>/app:latest``,
    ``$REGISTRY/app:1.0``) stands for the registry or project: the name, tag
    and digest after it are written out, so only ``registry`` and
    ``repository`` are unknown.
    """
    if not image or not set(image) <= _REFERENCE_CHARS:
        _, slash, name = image.rpartition("/")
        if not (slash and name and set(name) <= _REFERENCE_CHARS):
            return unknown_image(f"not an image reference: {image[:60]!r}")
        where = Unknown(f"a placeholder in the image's registry or path: {image[:60]!r}")
        return {**parse_image(name), "registry": where, "repository": where}
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
        if "/" not in path:
            path = "library/" + path
    tag: Optional[str] = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, _, tag = path.rpartition(":")
    return {"registry": registry, "repository": path, "tag": tag or None,
            "digest": digest or None, "latest": not digest and tag in (None, "", "latest")}


def derive_configmap(obj: dict[str, Any], lines: dict[str, int]) -> None:
    """``$entries``: each ``data`` key and value, with ``secret_like`` when the value looks like a credential."""
    data = obj.get("data")
    if not isinstance(data, dict):
        return
    entries: list[dict[str, Any]] = []
    for key, value in data.items():
        if key == "_example":  # Knative's convention: a commented copy of the settings, read by no controller
            continue
        n = len(entries)
        entries.append({"key": key, "value": value, "secret_like": looks_like_secret(value)})
        line = lines.get(f"data.{key}")
        if line:
            for sub in ("", ".key", ".value", ".secret_like"):
                lines[f"$entries.{n}{sub}"] = line
    obj["$entries"] = entries


def derive_secret(obj: dict[str, Any], lines: dict[str, int]) -> None:
    """``$entries``: each ``stringData`` / ``data`` key and value, with ``credential`` when it holds one.

    ``data`` values are decoded from base64 before they are judged. A key is a
    credential when its name holds one and its value is a literal, or when its
    value has a credential format, is high-entropy, or is a file that assigns
    one: ``username: orders`` and ``tls.crt`` are not credentials, nor is an
    access key beside the secret key of its prefix (the user it names).
    """
    items = [(field, key, value, _base64_text(value) if field == "data" else value)
             for field in ("stringData", "data") if isinstance(obj.get(field), dict)
             for key, value in obj[field].items()]
    # CONSOLE_ACCESS_KEY beside CONSOLE_SECRET_KEY: the user the secret key authenticates
    users = identifier_halves([(key, plain) for _, key, _, plain in items])
    entries: list[dict[str, Any]] = []
    for n, (field, key, value, plain) in enumerate(items):
        credential = n not in users and bool(find({"data": {key: plain}}, schema_names=frozenset({"data"})))
        entries.append({"at": f"{field}.{key}", "key": key, "value": value, "credential": credential})
        line = lines.get(f"{field}.{key}")
        if line:
            for sub in ("", ".at", ".key", ".value", ".credential"):
                lines[f"$entries.{n}{sub}"] = line
    if entries:
        obj["$entries"] = entries


def _base64_text(value: Any) -> Any:
    """A ``data`` value decoded to text, or the value itself when it is not base64 of UTF-8 text."""
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return value
