"""Kubernetes deployment units: which objects are deployed together, so only they are joined in the graph.

A unit is, in this order of precedence:

1. a root kustomization (one no other kustomization includes): its resource
   closure with patches applied (:mod:`scanner.formats.kubernetes.kustomize`); a
   Component no kustomization includes is a unit of its own resources;
2. a Helm chart: the files under a directory holding ``Chart.yaml`` (with
   its subcharts under ``charts/``);
3. otherwise a directory of manifests with its subdirectories: a directory
   whose parent holds manifests too belongs to the parent's unit, so
   ``app/`` and ``app/extras/`` are one unit while ``examples/a/`` and
   ``examples/b/`` under a manifest-free ``examples/`` are two; but a
   subdirectory that declares an object the parent's unit already declares
   is an alternative to it (``app/all-in-one/``) and a unit of its own, as
   is a file that only re-declares objects of earlier files of its
   directory, some differently (``pod.yaml`` and ``pod_priv.yaml``).

A configured unit (``kubernetes.units`` in the configuration) merges every
unit whose directory lies under one of its paths. Each unit's label is its
directory relative to the scan root (``.`` for the root), or the configured
name. See docs/kubernetes.md, "Deployment units".
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence

from ...discover import is_within
from ...model import Diagnostic, SourceFile
from ...parse import ParseContext
from .kustomize import Kustomizer, Maker, api_group

Units = list[tuple[str, list[Any]]]


def scan_root(f: SourceFile) -> Optional[str]:
    """The scan root a discovered file was found under (None when its relpath is not below one)."""
    rel = f.relpath.replace("/", os.sep)
    if f.path.endswith(os.sep + rel):
        return f.path[: len(f.path) - len(rel) - 1] or os.sep
    return None


def _ancestors(directory: str, base: str) -> list[str]:
    """``directory`` and its parents up to ``base`` (only ``directory`` when it is not under ``base``)."""
    out = [directory]
    while directory != base and is_within(directory, base):
        directory = os.path.dirname(directory)
        out.append(directory)
    return out


class _Names:
    """Regular file names per directory, read once."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.known: dict[str, list[str]] = {}

    def has(self, directory: str, name: str) -> bool:
        if directory not in self.known:
            self.known[directory] = self.ctx.listdir(directory)
        return name in self.known[directory]


def plan(ctx: ParseContext, files: Sequence[SourceFile], raws: dict[str, list[Any]],
         load: Callable[[str], list[Any]], make: Maker, diagnostics: list[Diagnostic]) -> Units:
    """The units of the scan, each a label and its objects (raw objects, patched copies for kustomizations)."""
    bases = {f.path: scan_root(f) or os.path.dirname(f.path) for f in files}
    longest_first = sorted(set(bases.values()), key=len, reverse=True)

    def relpath(path: str) -> str:
        base = next((b for b in longest_first if is_within(path, b)), None)
        base = base or (next(iter(bases.values())) if bases else os.getcwd())
        return os.path.relpath(path, base).replace(os.sep, "/")

    kustomizer = Kustomizer(ctx, load, relpath, make)
    candidates: dict[str, None] = {}
    for f in files:
        for directory in _ancestors(os.path.dirname(f.path), bases[f.path]):
            if kustomizer.find(directory) is not None:
                candidates[directory] = None
    units: list[tuple[str, str, list[Any]]] = []  # (directory, label, objects)
    for directory in _roots(kustomizer, list(candidates)):
        try:
            objects = kustomizer.build_root(directory)
        except Exception as exc:  # noqa: BLE001 - one broken kustomization never stops the scan
            diagnostics.append(Diagnostic("kustomize-crash", f"kustomization not built: {exc!r}",
                                          relpath(directory), None))
            objects = []
        units.append((directory, relpath(directory), objects))
    diagnostics.extend(kustomizer.diagnostics)
    names = _Names(ctx)
    where: dict[str, str] = {}  # unclaimed file -> its chart directory, or its own directory
    excluded: set[str] = set()
    commented: dict[str, frozenset[str]] = {}   # kustomization path -> the file names it comments out
    for f in files:
        if f.path not in kustomizer.claimed:
            directory = os.path.dirname(f.path)
            kustomization = kustomizer.find(directory)
            if kustomization is not None and kustomization.path not in commented:
                commented[kustomization.path] = _commented_out(ctx, kustomization.path)
            if kustomization is not None and os.path.basename(f.path) in commented[kustomization.path]:
                excluded.add(f.path)
                diagnostics.append(Diagnostic(
                    "kustomize-unlisted", "commented out of the kustomization in its directory "
                    f"({kustomization.relpath}): not deployed, not scanned", relpath(f.path), None, level="info"))
                continue
            chart = next((d for d in _ancestors(directory, bases[f.path]) if names.has(d, "Chart.yaml")), None)
            where[f.path] = _parent_chart(chart, names) if chart else directory
    alternatives = _alternative_files(where, raws)
    declared: dict[str, set[tuple[str, ...]]] = {}
    for path, directory in where.items():
        if path not in alternatives:
            declared.setdefault(directory, set()).update(_identity(raw.obj) for raw in raws.get(path, []))
    top = _tops(declared, set(bases.values()))
    plain: dict[str, list[Any]] = {}
    for f in files:
        if f.path in excluded:
            continue
        if f.path in alternatives:
            plain.setdefault(f.path, []).extend(raws.get(f.path, []))
        elif f.path in where:
            plain.setdefault(top[where[f.path]], []).extend(raws.get(f.path, []))
    for directory, objects in sorted(plain.items()):
        units.append((directory, relpath(directory), objects))
    return _merge(units, ctx.options.kubernetes_units, relpath)


def _commented_out(ctx: ParseContext, kustomization: str) -> frozenset[str]:
    """The file names the kustomization lists in a comment (``# - role.yaml``, ``#- ./patch.yaml``,
    ``#- path: patch.yaml``): taken out on purpose, where a file it never mentions may be applied by hand."""
    try:
        text = ctx.text(kustomization, 1 << 20)
    except (OSError, UnicodeDecodeError):
        return frozenset()
    names: set[str] = set()
    for line in text.splitlines():
        entry = line.strip()
        if not entry.startswith("#"):
            continue
        entry = entry.lstrip("#").strip()
        if entry.startswith("-"):
            entry = entry[1:].strip()
            if entry.startswith("path:"):  # a patches entry: `- path: manager_image_patch.yaml`
                entry = entry[len("path:"):].strip()
            entry = entry.strip("\"'")
            names.add(entry[2:] if entry.startswith("./") else entry)
    return frozenset(names)


def _alternative_files(where: dict[str, str], raws: dict[str, list[Any]]) -> set[str]:
    """Files of a manifest directory that only declare objects earlier files (in path order) of that
    directory declare, some of them otherwise (``pod.yaml`` and ``pod_priv.yaml``, ``bookinfo.yaml``
    and ``bookinfo-psa.yaml``): an alternative to them, a unit of its own. A file that only repeats
    objects unchanged (the parts of an install file), or that also declares new ones (so is joined
    with its directory), is no alternative; its copies are ignored as duplicates."""
    kept: dict[str, dict[tuple[str, ...], Any]] = {}
    out: set[str] = set()
    for path in sorted(where):
        directory = where[path]
        if directory != os.path.dirname(path):  # a chart's file: the chart is the unit
            continue
        seen = kept.setdefault(directory, {})
        objects = [(_identity(raw.obj), raw.obj) for raw in raws.get(path, [])]
        if objects and all(key in seen for key, _ in objects) and any(seen[key] != obj for key, obj in objects):
            out.add(path)
            continue
        for key, obj in objects:
            seen.setdefault(key, obj)
    return out


def _parent_chart(chart: str, names: "_Names") -> str:
    """The chart that deploys ``chart``: a subchart under ``<parent>/charts/`` is deployed with its parent."""
    while os.path.basename(os.path.dirname(chart)) == "charts" and names.has(
            os.path.dirname(os.path.dirname(chart)), "Chart.yaml"):
        chart = os.path.dirname(os.path.dirname(chart))
    return chart


def _identity(obj: dict[str, Any]) -> tuple[str, ...]:
    """What makes two manifests the same object: group, kind, namespace and name."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (api_group(obj.get("apiVersion")), str(obj.get("kind")), str(meta.get("namespace") or ""),
            str(meta.get("name") or meta.get("generateName") or ""))


def _tops(declared: dict[str, set[tuple[str, ...]]], roots: set[str]) -> dict[str, str]:
    """Each manifest directory's unit directory: its parent's unit when the parent holds manifests and
    the directory re-declares none of that unit's objects (a re-declaring one is an alternative, not a part)."""
    unit_of: dict[str, str] = {}
    objects: dict[str, set[tuple[str, ...]]] = {}
    for directory in sorted(declared, key=lambda d: (d.count(os.sep), d)):
        parent = unit_of.get(os.path.dirname(directory)) if directory not in roots else None
        unit = parent if parent is not None and not declared[directory] & objects[parent] else directory
        unit_of[directory] = unit
        objects.setdefault(unit, set()).update(declared[directory])
    return unit_of


def _roots(kustomizer: Kustomizer, candidates: list[str]) -> list[str]:
    """Kustomizations no other includes; in a cycle of inclusions with no such root, the first of the cycle."""
    included = {t for d in candidates for t in _reach(kustomizer, d) if t != d}
    roots = sorted(d for d in candidates if d not in included)
    covered = {t for r in roots for t in _reach(kustomizer, r)}
    for d in sorted(candidates):
        if d not in covered:  # only reachable from itself: a cycle
            roots.append(d)
            covered |= _reach(kustomizer, d)
    return roots


def _reach(kustomizer: Kustomizer, directory: str) -> set[str]:
    """``directory`` and every kustomization directory it includes, transitively."""
    seen: set[str] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        k = kustomizer.find(current)
        pending.extend(kustomizer.references(k) if k is not None else [])
    return seen


def _merge(units: list[tuple[str, str, list[Any]]], configured: Sequence[tuple[str, Sequence[str]]],
           relpath: Callable[[str], str]) -> Units:
    """Units whose directory lies under a configured unit's path become that unit."""
    merged: dict[str, list[Any]] = {}
    for directory, label, objects in units:
        for name, paths in configured:
            if any(is_within(directory, p) for p in paths):
                label = name or relpath(paths[0])
                break
        merged.setdefault(label, []).extend(objects)
    return list(merged.items())
