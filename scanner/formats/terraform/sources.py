"""Where a module call's code lives: a local path, or a remote module already downloaded by `terraform init`.

Terraform records downloaded modules in ``.terraform/modules/modules.json``
(``{"Modules": [{"Key": "vpc.subnets", "Source": ..., "Dir": ...}]}``, ``Dir``
relative to the root module). A remote module listed there is read from its
``Dir``; one that is not becomes an info diagnostic. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Callable, Optional


LOCAL_PREFIXES = ("./", "../", ".\\", "..\\")


def is_local(source: object) -> bool:
    """True for a ``source`` that is a path on disk relative to the calling module."""
    return isinstance(source, str) and (source.startswith(LOCAL_PREFIXES) or source in (".", ".."))


def installed_modules(root_dir: str, read: Callable[[str], bytes]) -> dict[str, str]:
    """Module key -> absolute directory, from a root module's ``.terraform/modules/modules.json``.

    Read on every call (noted for stored results, so an edited manifest is
    seen), parsed once per content.
    """
    manifest = os.path.join(root_dir, ".terraform", "modules", "modules.json")
    try:
        data = read(manifest)
    except OSError:
        return {}
    return dict(_manifest_modules(root_dir, data))


@lru_cache(maxsize=256)
def _manifest_modules(root_dir: str, manifest: bytes) -> tuple[tuple[str, str], ...]:
    try:
        data = json.loads(manifest.decode("utf-8", "replace"))
    except ValueError:
        return ()
    found: dict[str, str] = {}
    entries = data.get("Modules") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        key, directory = entry.get("Key"), entry.get("Dir")
        if isinstance(key, str) and key and isinstance(directory, str):
            path = os.path.normpath(os.path.join(root_dir, directory))
            if os.path.realpath(path).startswith(os.path.realpath(root_dir) + os.sep):
                found[key] = path
    return tuple(found.items())


def module_directory(source: object, caller_dir: str, root_dir: str, key: str,
                     read: Callable[[str], bytes]) -> Optional[str]:
    """The directory holding a module call's code, or None when it is not on disk.

    ``key`` is the dotted module key Terraform uses (``vpc``, ``eks.node_group``).
    A downloaded module is only used when it lies inside the root module's
    ``.terraform`` directory, so a manifest cannot point the scan elsewhere.
    """
    if is_local(source):
        return os.path.normpath(os.path.join(caller_dir, str(source)))
    return installed_modules(root_dir, read).get(key)
