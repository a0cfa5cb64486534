"""Which module description serves a remote module call: its source normalised, its version matched, built-in or user-named.

Descriptions are YAML files (format in docs/terraform.md): riskgraph's own
under ``scanner/modules/``, and the user's in the directories named by the
``terraform.module_descriptions`` configuration key, which win for the same
source. Every file is read through the parse context, so a stored result knows
what it depended on (scanner/rescan.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ...model import Diagnostic
from ...parse import ParseContext
from ...versions import ANY, Interval, allowed, newest, overlaps, parse_version
from .described import Description, Source, compile_description

BUILTIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "modules")

_REGISTRY_HOSTS = ("registry.terraform.io/", "registry.opentofu.org/")
# github.com/<namespace>/terraform-<provider>-<name>[.git][//sub][?ref=...]
_GITHUB = re.compile(r"^(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]([\w.-]+)/terraform-([a-z0-9]+)-"
                     r"([\w.-]+?)(?:\.git)?(//[^?]*)?(?:\?(.*))?$")


def normalise(source: str) -> tuple[str, Optional[str]]:
    """A module source as its description key, and the version a git ``ref`` pins.

    ``git::https://github.com/terraform-aws-modules/terraform-aws-rds.git?ref=v6.1.0``
    is ``("terraform-aws-modules/rds/aws", "v6.1.0")``, as the registry names it;
    a registry source keeps its form without the registry host; any other git
    or HTTP source is its host and path without scheme, ``.git`` and query
    (``git.example.com/platform/terraform-redis``).
    """
    for host in _REGISTRY_HOSTS:
        if source.startswith(host):
            source = source[len(host):]
    m = _GITHUB.match(source)
    if m is not None:
        namespace, provider, name, sub, query = m.groups()
        return f"{namespace}/{name}/{provider}{(sub or '').rstrip('/')}", _ref(query)
    rest, _, query = source.partition("?")
    rest = re.sub(r"^(git::|hg::|s3::|gcs::)", "", rest)
    rest = re.sub(r"^(https?|ssh|git)://(git@)?", "", rest)
    rest = re.sub(r"^git@([^:/]+):", r"\1/", rest)
    path, sep, sub = rest.partition("//")
    path = path[:-4] if path.endswith(".git") else path
    return f"{path}{sep}{sub}".rstrip("/"), _ref(query)


def _ref(query: Optional[str]) -> Optional[str]:
    return next((p[4:] for p in (query or "").split("&") if p.startswith("ref=")), None)


@dataclass(frozen=True)
class Match:
    """The description chosen for one module call, with the inputs its source presets."""

    description: Description
    source: Source
    note: str  # how the version was matched, for the diagnostic


def find(ctx: ParseContext, source: object, version: object, user_dirs: tuple[str, ...],
         problems: list[Diagnostic]) -> Optional[Match]:
    """The description for a module call (user directories first), or None when none serves it."""
    if not isinstance(source, str):
        return None
    key, ref = normalise(source)
    wanted: Optional[Interval] = ANY
    note = "no version given: the newest description"
    if isinstance(version, str):
        wanted, note = allowed(version), f"version {version!r}"
    elif ref is not None:
        pinned = parse_version(ref)
        wanted = allowed(ref) if pinned else None
        note = f"ref {ref!r}"
    if wanted is None:
        return None
    for directory in (*user_dirs, BUILTIN_DIR):
        best: Optional[tuple[Description, Interval]] = None
        for desc in _catalogue(ctx, directory, problems):
            if key not in desc.sources:
                continue
            span = allowed(desc.versions) or ANY
            if overlaps(span, wanted) and (best is None or newest(span, best[1])):
                best = (desc, span)
        if best is not None:
            return Match(best[0], best[0].sources[key], note)
    return None


def _catalogue(ctx: ParseContext, directory: str, problems: list[Diagnostic]) -> list[Description]:
    """Every description in ``directory`` (``*.yaml``); a broken one is an error diagnostic, never skipped silently."""
    found: list[Description] = []
    names = [n for n in ctx.listdir(directory) if n.endswith((".yaml", ".yml"))]
    for name in names:
        path = os.path.join(directory, name)
        try:
            data = ctx.read(path)
        except OSError as exc:
            problems.append(Diagnostic("module-description-invalid", f"cannot read: {exc.strerror}", path))
            continue
        shown = f"riskgraph:modules/{name}" if directory == BUILTIN_DIR else path
        desc, error = _compiled(shown, data)
        if error:
            if not any(d.code == "module-description-invalid" and d.path == path for d in problems):
                problems.append(Diagnostic("module-description-invalid", error, path))
        elif desc is not None:
            found.append(desc)
    return found


@lru_cache(maxsize=512)
def _compiled(path: str, data: bytes) -> tuple[Optional[Description], str]:
    try:
        return compile_description(path, data), ""
    except ValueError as exc:
        return None, f"module description refused: {exc}"
