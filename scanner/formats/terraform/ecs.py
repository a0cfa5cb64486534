"""ECS task definitions as pods: `container_definitions` and the task's settings in the `$pod` / `$containers` model of Kubernetes workloads.

``aws_ecs_task_definition.container_definitions`` is a JSON string (a
literal, a heredoc, ``jsonencode()``, ``file()``); each container becomes a
``$containers`` item shaped like a Kubernetes container, so the container
policies that hold for ECS apply unchanged:

- ``securityContext.privileged`` and ``$effective.privileged`` from ``privileged``;
- ``$effective.readOnlyRootFilesystem`` from ``readonlyRootFilesystem`` (default false);
- ``$effective.capabilities.add`` / ``drop`` from ``linuxParameters.capabilities``;
- ``$effective.nonRoot`` from ``user``: true for a user other than root / 0,
  false for root or no user (the image's own user, root unless it says otherwise);
- ``env`` from ``environment`` (``name`` / ``value``), ``command`` from
  ``entryPoint`` and ``args`` from ``command``, as Docker maps them;
- ``$image`` as for a Kubernetes image.

``aws_batch_job_definition.container_properties`` (one container, in the
same JSON shape) becomes a one-item ``$containers`` the same way. Keys are
read regardless of case, as the provider decodes them.

``$pod`` holds ``hostPID`` (``pid_mode = "host"``), ``hostNetwork``
(``network_mode = "host"``) and ``volumes`` with ``hostPath.path`` from
``volume { host_path }``. A value not known before apply stays unknown. Every
path has the line of the argument it came from.
"""

from __future__ import annotations

import json
from typing import Any

from ...model import Unknown, is_unknown
from ..kubernetes.pod import parse_image
from .expressions import PartialTemplate
from .functions import EncodedUnknown
from .iam import decode_json

TASK_TYPES = frozenset({"aws_ecs_task_definition"})
# the attribute whose JSON holds the containers: a task's list of them, a Batch job's one container
CONTAINER_ATTRIBUTES = {"aws_ecs_task_definition": "container_definitions",
                        "aws_batch_job_definition": "container_properties"}


def add_containers(type_: str, attrs: dict[str, Any], lines: dict[str, int]) -> None:
    """Set ``$containers`` and ``$pod`` on an ECS task definition (``$containers`` on a Batch job definition)."""
    name = CONTAINER_ATTRIBUTES.get(type_)
    if name is None:
        return
    definitions = _decoded(attrs.get(name))
    line = lines.get(name, 0)
    if type_ not in TASK_TYPES:  # a Batch job's one container, never a list of them
        definitions = [definitions] if isinstance(definitions, dict) else None if isinstance(definitions, list) else definitions
    if isinstance(definitions, list):
        containers: list[dict[str, Any]] = []
        for item in definitions:
            if isinstance(item, dict):
                containers.append(_container(item, f"$containers.{len(containers)}", lines, line))
        attrs["$containers"] = containers
        lines["$containers"] = line
    elif is_unknown(definitions):
        attrs["$containers"] = Unknown(f"{name.replace('_', ' ')} not known before apply")
        lines["$containers"] = line
    if type_ in TASK_TYPES:
        attrs["$pod"] = _pod(attrs, lines)


def _decoded(value: Any) -> Any:
    """The JSON value (a container list, or one container) a string encodes (Unknown when it cannot be known)."""
    if isinstance(value, EncodedUnknown):
        return value.decoded
    if isinstance(value, PartialTemplate):
        # JSON whose strings interpolate apply-time values (a secret's ARN): the rest is known, and
        # those strings stay unknown; an interpolation outside a string leaves it no JSON to read
        decoded = decode_json(value)
        return decoded if isinstance(decoded, (list, dict)) else Unknown(
            "container definitions not known before apply")
    if is_unknown(value):
        return Unknown("container definitions not known before apply")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return Unknown("container definitions are not JSON")
    return value if isinstance(value, (list, dict)) else None


# The keys read here; the provider decodes the JSON with Go's encoding/json, which matches keys
# regardless of case ("ReadonlyRootFilesystem" sets readonlyRootFilesystem), so they are read so too.
_KEYS = {k.lower(): k for k in ("name", "image", "environment", "value", "entryPoint", "command", "privileged",
                                "readonlyRootFilesystem", "linuxParameters", "capabilities", "add", "drop", "user")}


def _folded(value: Any) -> Any:
    """``value`` with every key this module reads spelled as the API spells it, at any depth."""
    if isinstance(value, dict):
        return {(_KEYS.get(k.lower(), k) if isinstance(k, str) else k): _folded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_folded(v) for v in value]
    return value


def _container(item: dict[str, Any], base: str, lines: dict[str, int], line: int) -> dict[str, Any]:
    """One container definition as a Kubernetes-shaped container; every path at ``line``."""
    item = _folded(item)
    out: dict[str, Any] = {"name": item.get("name"), "$group": "containers"}
    if "image" in item:
        out["image"] = item["image"]
        if isinstance(item["image"], str):
            out["$image"] = parse_image(item["image"])
    env = item.get("environment")
    if isinstance(env, list):
        out["env"] = [{"name": e.get("name"), "value": e.get("value")} for e in env if isinstance(e, dict)]
    for ours, theirs in (("command", "entryPoint"), ("args", "command")):
        if theirs in item:
            out[ours] = item[theirs]
    if item.get("privileged") is not None:
        out["securityContext"] = {"privileged": item["privileged"]}
    out["$effective"] = _effective(item)
    lines[base] = line
    for key in _flatten(out):
        lines[f"{base}.{key}"] = line
    return out


def _effective(item: dict[str, Any]) -> dict[str, Any]:
    params = item.get("linuxParameters")
    caps = params.get("capabilities") if isinstance(params, dict) else None
    caps = caps if isinstance(caps, dict) else {}
    return {
        "privileged": item.get("privileged", False) if item.get("privileged") is not None else False,
        "readOnlyRootFilesystem": (item.get("readonlyRootFilesystem")
                                   if item.get("readonlyRootFilesystem") is not None else False),
        "capabilities": {"add": _strings(caps.get("add")), "drop": _strings(caps.get("drop"))},
        "nonRoot": _non_root(item.get("user")),
    }


def _non_root(user: Any) -> Any:
    """False for root (``root``, ``0``, ``0:0``) or no user; true for another user; unknown when unknown."""
    if user is None:
        return False
    if is_unknown(user):
        return user
    name = str(user).split(":", 1)[0].strip()
    return name not in ("", "root", "0")


def _strings(value: Any) -> Any:
    if is_unknown(value):
        return value
    return [str(x) for x in value] if isinstance(value, list) else []


def _pod(attrs: dict[str, Any], lines: dict[str, int]) -> dict[str, Any]:
    pod: dict[str, Any] = {}
    for ours, theirs in (("hostPID", "pid_mode"), ("hostNetwork", "network_mode")):
        mode = attrs.get(theirs)
        if mode is None:
            continue
        pod[ours] = mode if is_unknown(mode) else mode == "host"
        lines[f"$pod.{ours}"] = lines.get(theirs, 0)
    volumes: list[dict[str, Any]] = []
    for i, block in enumerate(attrs.get("volume") or []):
        if not isinstance(block, dict) or block.get("host_path") is None:
            continue
        n = len(volumes)
        volumes.append({"name": block.get("name"), "hostPath": {"path": block["host_path"]}})
        line = lines.get(f"volume.{i}.host_path", lines.get(f"volume.{i}", 0))
        for key in ("", ".name", ".hostPath", ".hostPath.path"):
            lines[f"$pod.volumes.{n}{key}"] = line
    if volumes:
        pod["volumes"] = volumes
    return pod


def _flatten(value: dict[str, Any], prefix: str = "") -> list[str]:
    """Every dotted path in ``value`` (dict keys and list indexes)."""
    out: list[str] = []
    for key, sub in value.items():
        path = f"{prefix}{key}"
        out.append(path)
        if isinstance(sub, dict):
            out.extend(_flatten(sub, path + "."))
        elif isinstance(sub, list):
            for i, x in enumerate(sub):
                out.append(f"{path}.{i}")
                if isinstance(x, dict):
                    out.extend(_flatten(x, f"{path}.{i}."))
    return out

