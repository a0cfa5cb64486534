"""Provider version constraints: a module's `required_providers` and provider `version`, a root's `.terraform.lock.hcl`."""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from ...model import UNKNOWN
from .expressions import Scope, evaluate, plain
from .syntax import Block

LOCK_FILE = ".terraform.lock.hcl"


def declared(terraform_blocks: list[Block], providers: list[tuple[Block, str]]) -> dict[str, str]:
    """Provider name -> the constraints one module writes (``aws = { source = "hashicorp/aws", version = "~> 5.0" }``).

    The name is the provider type of ``source`` when given (its last part),
    else the local name, so it matches a resource type's prefix.
    """
    found: dict[str, list[str]] = {}
    for block in terraform_blocks:
        for req in block.blocks:
            if req.type != "required_providers":
                continue
            for local, attr in req.attributes.items():
                value: Any = plain(evaluate(attr.expr, Scope({})))
                if isinstance(value, str):  # legacy `aws = "~> 2.0"`
                    found.setdefault(local, []).append(value)
                elif isinstance(value, dict):
                    source = value.get("source")
                    name = source.rsplit("/", 1)[-1] if isinstance(source, str) and source else local
                    if isinstance(value.get("version"), str):
                        found.setdefault(name, []).append(value["version"])
    for block, _ in providers:
        legacy = block.attributes.get("version")  # legacy provider-block constraint
        if legacy is not None and block.labels:
            value = plain(evaluate(legacy.expr, Scope({})))
            if isinstance(value, str):
                found.setdefault(block.labels[0], []).append(value)
    return {name: ", ".join(parts) for name, parts in found.items()}


def workspace(read: Callable[[str, int], bytes], directory: str, env: Mapping[str, str]) -> Any:
    """``terraform.workspace`` as Terraform chooses it for a root: ``TF_WORKSPACE``, else what
    ``terraform workspace select`` wrote in ``.terraform/environment``; else unknown.

    Terraform falls back to ``default``, but code that reads the workspace is deployed in the ones
    it names (an estate keyed by ``development``, ``production``): with none selected where it is
    scanned, which one is chosen at deploy time, and a guess would drop every resource it gates.
    """
    if env.get("TF_WORKSPACE"):
        return env["TF_WORKSPACE"]
    try:
        name = read(os.path.join(directory, ".terraform", "environment"), 1024).decode("utf-8", "replace").strip()
    except OSError:
        return UNKNOWN
    return name or UNKNOWN


def locked(read: Callable[[str, int], bytes], directory: str) -> dict[str, str]:
    """Provider name -> ``= version`` from the directory's dependency lock file ({} when there is none)."""
    try:
        text = read(os.path.join(directory, LOCK_FILE), 1 << 20).decode("utf-8", "replace")
    except OSError:
        return {}
    out: dict[str, str] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("provider ") and '"' in line:
            current = line.split('"')[1].rsplit("/", 1)[-1]
        elif current and line.startswith("version") and '"' in line:
            out[current] = "= " + line.split('"')[1]
            current = ""
    return out


def merge(*layers: dict[str, str]) -> dict[str, str]:
    """Constraints of several modules on the way to a resource: every one must hold."""
    out: dict[str, str] = {}
    for layer in layers:
        for name, constraint in layer.items():
            out[name] = f"{out[name]}, {constraint}" if name in out else constraint
    return out
