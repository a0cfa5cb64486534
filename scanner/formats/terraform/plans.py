"""Whether a plan JSON beside a root module's `.tf` files is that root's plan (then the plan parser reads the root)."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Optional

from ...textcodec import decode
from .module import ModuleSource

_INDEX = re.compile(r"\[[^\]]*\]")


def declared_names(src: ModuleSource) -> set[str]:
    """The root-module names the `.tf` files declare: ``t.n``, ``data.t.n``, ``module.m``."""
    names = {f"{b.labels[0]}.{b.labels[1]}" for b, _ in src.resources}
    names |= {f"data.{b.labels[0]}.{b.labels[1]}" for b, _ in src.data}
    names |= {f"module.{b.labels[0]}" for b, _ in src.modules}
    return names


def plan_names(doc: Any) -> tuple[Optional[set[str]], bool]:
    """The root-module names a plan declares, and whether they come from its ``configuration``.

    ``configuration.root_module`` lists every resource and data block and
    module call as written; without it, the planned values name the
    instances that exist (none for ``count = 0``), so they can only be a
    subset of the declared names. None when the document is no plan.
    """
    if not isinstance(doc, dict):
        return None, False
    config = doc.get("configuration")
    root = config.get("root_module") if isinstance(config, dict) else None
    if isinstance(root, dict):
        names = {r["address"] for r in root.get("resources") or []
                 if isinstance(r, dict) and isinstance(r.get("address"), str)}
        calls = root.get("module_calls")
        names |= {f"module.{k}" for k in (calls if isinstance(calls, dict) else ())}
        return names, True
    values = doc.get("planned_values") or doc.get("values")
    root = values.get("root_module") if isinstance(values, dict) else None
    if not isinstance(root, dict):
        return None, False
    names = {_INDEX.sub("", r["address"]) for r in root.get("resources") or []
             if isinstance(r, dict) and isinstance(r.get("address"), str)}
    for child in root.get("child_modules") or []:
        if isinstance(child, dict) and isinstance(child.get("address"), str):
            names.add(".".join(_INDEX.sub("", child["address"]).split(".")[:2]))  # module.m
    return names, False


def unwrap(text: str) -> str:
    """The plan in the output of GitHub's setup-terraform wrapper (``[command]...`` then the JSON line
    then ``::debug::`` lines), other lines blanked so line numbers stay those of the file."""
    if not text.startswith("[command]"):
        return text
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("{")), None)
    if start is None:
        return text
    return "\n" * start + lines[start] + "\n" * (len(lines) - start - 1)


def read_plan(plan_path: str, read: Callable[[str], bytes]) -> Any:
    """The JSON document of the plan file at ``plan_path`` (unwrapped), or None when it cannot be read."""
    try:
        return json.loads(unwrap(decode(read(plan_path), "replace")))
    except (OSError, ValueError, RecursionError):
        return None


def mismatch(doc: Any, src: ModuleSource) -> str:
    """Why the plan document ``doc`` was not made from the root module ``src``; "" when it was.

    With the plan's ``configuration``: it declares exactly the resources,
    data sources and module calls the `.tf` files declare, and no resource's
    planned value lacks a block they write (:func:`stale_resources`). Without
    it: every resource and module instance the plan holds is declared by the
    `.tf` files. A plan of other code, or of an older version of this code,
    is not this root's plan: both are scanned.
    """
    names, exact = plan_names(doc)
    if names is None:
        return "it is no plan"
    declared = declared_names(src)
    if not exact:
        return "" if names and names <= declared else "it declares other resources"
    if names != declared:
        return "it declares other resources"
    stale = stale_resources(doc, src)
    if stale:
        more = f" and {len(stale) - 1} more" if len(stale) > 1 else ""
        return (f"it was made from an older version of them: its {stale[0]}{more} lacks a block "
                "they write")
    return ""


# Nested blocks of a resource block that are not part of its value (meta-arguments)
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection", "dynamic"})


def stale_resources(doc: dict[str, Any], src: ModuleSource) -> list[str]:
    """Managed resources of the root module the plan was made without a nested block the `.tf` files now write.

    The plan was made from an older version of the code: it declares the same
    blocks, but its planned value of one holds none of a block the code writes
    as a plain (not `dynamic`) block, such as a `private_cluster_config` added
    since. (The plan's ``configuration`` cannot tell: it leaves out some
    blocks the code writes, such as a security group's inline rules.)
    A value the plan does not know, or leaves out, proves nothing.
    """
    written: dict[str, set[str]] = {}
    for block, _ in src.resources:
        written[f"{block.labels[0]}.{block.labels[1]}"] = {b.type for b in block.blocks} - META_BLOCKS
    values = doc.get("planned_values")
    root = values.get("root_module") if isinstance(values, dict) else None
    stale: list[str] = []
    for r in (root.get("resources") or []) if isinstance(root, dict) else []:
        if not isinstance(r, dict) or r.get("mode", "managed") != "managed" or not isinstance(r.get("address"), str):
            continue
        planned = r.get("values")
        blocks = written.get(_INDEX.sub("", r["address"]), set())
        if isinstance(planned, dict) and any(planned.get(b) == [] for b in blocks):
            stale.append(r["address"])
    return stale


def plans_in(directory: str, plans: tuple[str, ...]) -> list[str]:
    """The plan files of ``plans`` (real paths) that lie directly in ``directory`` (a real path)."""
    return [p for p in plans if os.path.dirname(p) == directory]
