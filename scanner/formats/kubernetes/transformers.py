"""Kustomize ``images`` and ``namespace`` applied to a kustomization's objects, each value at its line."""

from __future__ import annotations

from typing import Any, Optional

from ...model import Line
from .pod import CONTAINER_FIELDS, POD_SPEC_PATHS, dig


def namespace(k: Any, objects: list[Any]) -> None:
    """``namespace:`` sets every object's namespace, and that of ServiceAccount subjects it deploys; a
    Namespace object it deploys takes its name."""
    ns = k.value.get("namespace")
    if not isinstance(ns, str) or not ns:
        return
    line = Line(k.line("namespace"), k.relpath)
    accounts = {str((o.obj.get("metadata") or {}).get("name")) for o in objects
                if o.obj.get("kind") == "ServiceAccount" and isinstance(o.obj.get("metadata"), dict)}
    for o in objects:
        meta = o.obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            continue
        if o.obj.get("kind") == "Namespace" and o.obj.get("apiVersion") == "v1":
            # kustomize names the kustomization's own Namespace object after it (kubebuilder's `system`)
            meta["name"] = ns
            o.lines["metadata.name"] = line
            continue
        before = meta.get("namespace")
        if isinstance(before, str) and before and before != ns:
            o.was = (*o.was, before)
        meta["namespace"] = ns
        o.lines["metadata.namespace"] = line
        subjects = o.obj.get("subjects")
        for i, s in enumerate(subjects if isinstance(subjects, list) else []):
            if isinstance(s, dict) and s.get("kind") == "ServiceAccount" and str(s.get("name")) in accounts:
                s["namespace"] = ns
                o.lines[f"subjects.{i}.namespace"] = line


def images(k: Any, objects: list[Any]) -> None:
    """``images:`` overrides (newName, newTag, digest) on every container whose image has that name."""
    for i, rule in k.entries("images"):
        if not isinstance(rule, dict) or not isinstance(rule.get("name"), str):
            continue
        line = Line(k.lines.get(f"images.{i}", k.line("images")), k.relpath)
        for o in objects:
            spec_path = POD_SPEC_PATHS.get(str(o.obj.get("kind")))
            if not spec_path:
                continue
            spec = dig(o.obj, spec_path)
            if not isinstance(spec, dict):
                continue
            for group in CONTAINER_FIELDS:
                containers = spec.get(group)
                for n, c in enumerate(containers if isinstance(containers, list) else []):
                    if isinstance(c, dict) and isinstance(c.get("image"), str):
                        new = _new_image(c["image"], rule)
                        if new is not None:
                            c["image"] = new
                            o.lines[".".join(spec_path) + f".{group}.{n}.image"] = line


def _new_image(image: str, rule: dict[str, Any]) -> Optional[str]:
    """The image after one ``images`` rule, or None when the rule names another image."""
    rest, _, digest = image.partition("@")
    name, tag = rest, ""
    if ":" in rest.rsplit("/", 1)[-1]:
        name, _, tag = rest.rpartition(":")
    if name != rule["name"]:
        return None
    name = str(rule.get("newName") or name)
    if rule.get("digest"):
        return f"{name}@{rule['digest']}"
    if rule.get("newTag") is not None:
        return f"{name}:{rule['newTag']}"
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
