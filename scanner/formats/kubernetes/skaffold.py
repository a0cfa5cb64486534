"""Skaffold configurations: the images skaffold builds, whose tags it writes into the manifests at deploy time.

A ``skaffold.yaml`` (``apiVersion: skaffold/...``, ``kind: Config``) lists
``build.artifacts[].image``; when skaffold deploys, it replaces every image
reference naming an artifact with the tag and digest it just built. So in the
manifests under that configuration's directory, ``image: checkoutservice``
is not a floating tag: its tag and digest are unknown until deploy.
"""

from __future__ import annotations

import posixpath
from typing import Any, Iterable

from ...model import Resource
from .pod import unknown_image


def is_config(obj: Any) -> bool:
    return isinstance(obj, dict) and str(obj.get("apiVersion", "")).startswith("skaffold/") \
        and obj.get("kind") == "Config"


def built_images(configs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, frozenset[str]]:
    """Directory (relative path, '' for the root) -> artifact image names, from (file relpath, config) pairs."""
    found: dict[str, set[str]] = {}
    for relpath, obj in configs:
        # the config's own build, and each profile's (a profile may build what the top level does not)
        profiles: list[Any] = obj["profiles"] if isinstance(obj.get("profiles"), list) else []
        builds = [obj.get("build"), *(p.get("build") for p in profiles if isinstance(p, dict))]
        artifacts = [a for build in builds if isinstance(build, dict) and isinstance(build.get("artifacts"), list)
                     for a in build["artifacts"]]
        names = {a["image"] for a in artifacts if isinstance(a, dict) and isinstance(a.get("image"), str)}
        if names:
            found.setdefault(posixpath.dirname(relpath), set()).update(names)
    return {d: frozenset(n) for d, n in found.items()}


def mark_built(resources: Iterable[Resource], built: dict[str, frozenset[str]]) -> None:
    """Give each container whose image skaffold builds (config in its file's directory or above) an unknown ``$image``."""
    if not built:
        return
    for r in resources:
        containers = r.attributes.get("$containers")
        if not isinstance(containers, list):
            continue
        names = frozenset().union(*(n for d, n in built.items() if _under(r.location.path, d)))
        for c in containers:
            if isinstance(c, dict) and c.get("image") in names:
                c["$image"] = unknown_image(f"built and tagged by skaffold at deploy time: {c['image']}")


def _under(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")
