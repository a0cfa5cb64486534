"""Kustomizations as build input: a kustomization's resource closure, its patches, generators and transformers applied.

A kustomization (``kustomization.yaml``, ``kustomization.yml`` or
``Kustomization`` in a directory) lists ``resources`` (files, or directories
holding another kustomization), ``bases`` and ``components``. Its closure is
every object those produce, recursively, each a private copy; then its
``patches``, ``patchesStrategicMerge`` and ``patchesJson6902`` are applied to
their targets (:mod:`scanner.formats.kubernetes.patch`), then ``images`` and
``namespace``; ``configMapGenerator`` and ``secretGenerator`` add their objects
before the patches (:mod:`scanner.formats.kubernetes.generators`). Patch files are never objects. Fields that would change what
is built but are not applied (generators, name prefixes, Helm charts, remote
resources...) are named in an info diagnostic. Nothing here executes anything.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import replace
from typing import Any, Callable, Optional

from . import KUSTOMIZATION_NAMES  # one list: discovery reads them by name
from ...model import Diagnostic
from ...parse import ParseContext
from .generators import generate, inside
from .patch import json6902, strategic_merge
from .transformers import images, namespace
from ...yamlnodes import YamlProblem, iter_documents

APPLIED = frozenset({"apiVersion", "kind", "metadata", "resources", "bases", "components", "patches",
                     "patchesStrategicMerge", "patchesJson6902", "namespace", "images",
                     "configMapGenerator", "secretGenerator"})
# Fields that change nothing our policies or joins read: kustomize applies them consistently.
HARMLESS = frozenset({"commonAnnotations", "buildMetadata", "sortOptions", "openapi", "crds",
                      "configurations", "generatorOptions"})
# Expected shapes of the applied fields: (container, entry type).
SHAPES: dict[str, tuple[type, Optional[type]]] = {
    "resources": (list, str), "bases": (list, str), "components": (list, str),
    "patchesStrategicMerge": (list, str), "patches": (list, dict), "patchesJson6902": (list, dict),
    "images": (list, dict), "configMapGenerator": (list, dict), "secretGenerator": (list, dict),
    "namespace": (str, None)}
DESCRIBED: dict[tuple[type, Optional[type]], str] = {
    (list, str): "a list of strings", (list, dict): "a list of mappings", (str, None): "a string"}
_REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=",
                        re.I)

Loader = Callable[[str], list[Any]]
Maker = Callable[[dict[str, Any], dict[str, int], str, str, int], Any]  # obj, lines, path, relpath, line


class _Kustomization:
    """One kustomization file: its value, lines and where it is."""

    def __init__(self, directory: str, path: str, relpath: str, value: dict[str, Any],
                 lines: dict[str, int]) -> None:
        self.directory, self.path, self.relpath = directory, path, relpath
        self.value, self.lines = value, lines

    def entries(self, key: str) -> list[tuple[int, Any]]:
        value = self.value.get(key)
        return list(enumerate(value)) if isinstance(value, list) else []

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)


class Kustomizer:
    """Reads kustomizations and builds their closures; records the files they claim."""

    def __init__(self, ctx: ParseContext, load: Loader, relpath: Callable[[str], str], make: Maker) -> None:
        self.ctx, self.load, self.relpath, self.make = ctx, load, relpath, make
        self.claimed: set[str] = set()        # files used as resources, patches or kustomizations
        self.diagnostics: list[Diagnostic] = []
        self._noted: set[tuple[str, str, Optional[int], str]] = set()
        self._read: dict[str, Optional[_Kustomization]] = {}
        self._alone = False  # building a Component no kustomization includes: its patches may find no target

    def find(self, directory: str) -> Optional[_Kustomization]:
        """The kustomization in ``directory``, or None."""
        if directory not in self._read:
            self._read[directory] = self._read_kustomization(directory)
        return self._read[directory]

    def _note(self, code: str, message: str, path: str, line: Optional[int], level: str = "info") -> None:
        if (code, path, line, message) not in self._noted:  # a base built into two overlays speaks once
            self._noted.add((code, path, line, message))
            self.diagnostics.append(Diagnostic(code, message, path, line, level=level))

    def _read_kustomization(self, directory: str) -> Optional[_Kustomization]:
        try:
            names = self.ctx.listdir(directory)
        except OSError:
            return None
        name = next((n for n in KUSTOMIZATION_NAMES if n in names), None)
        if name is None:
            return None
        path = os.path.join(directory, name)
        relpath = self.relpath(path)
        self.claimed.add(path)
        docs = _documents(self.ctx, path)
        if isinstance(docs, str) or not docs or not isinstance(docs[0].value, dict):
            problem = docs if isinstance(docs, str) else "not a mapping"
            self._note("kustomize-input", f"kustomization not read: {problem}", relpath, None, "warning")
            return None
        k = _Kustomization(directory, path, relpath, docs[0].value, docs[0].lines)
        for key, (kind, entries) in SHAPES.items():
            value = k.value.get(key)
            if value is not None and not _shaped(value, kind, entries):
                self._note("kustomize-input", f"{key} is not {DESCRIBED[kind, entries]}; what is not is "
                           "ignored", relpath, k.line(key), "warning")
        ignored = sorted(str(key) for key in k.value if key not in APPLIED and key not in HARMLESS)
        if ignored:
            self._note("kustomize-partial", "not applied: " + ", ".join(ignored) + "; objects they "
                       "would generate or rename are not in the scan", relpath, k.line(ignored[0]))
        return k

    def references(self, k: _Kustomization) -> list[str]:
        """Directories of the kustomizations ``k`` includes."""
        out = []
        for key in ("resources", "bases", "components"):
            for _, entry in k.entries(key):
                if isinstance(entry, str) and not _REMOTE_RE.search(entry):
                    target = os.path.normpath(os.path.join(k.directory, entry))
                    if self.ctx.kind(target) == "dir":
                        out.append(target)
        return out

    def build_root(self, directory: str) -> list[Any]:
        """The objects of a kustomization no other includes; a lone Component yields its own resources."""
        k = self.find(directory)
        self._alone = k is not None and k.value.get("kind") == "Component"
        if k is not None and self._alone:
            self._note("kustomize-component", "Component that no scanned kustomization includes: its own "
                       "resources are scanned as a unit, its patches apply only to them", k.relpath, 1)
        try:
            return self.build(directory)
        finally:
            self._alone = False

    def build(self, directory: str, stack: tuple[str, ...] = (), start: Optional[list[Any]] = None) -> list[Any]:
        """The objects the kustomization in ``directory`` produces (private copies), patched."""
        k = self.find(directory)
        objects: list[Any] = list(start or [])
        if k is None:
            return objects
        if directory in stack:
            self._note("kustomize-cycle", "kustomization includes itself; not followed", k.relpath, 1,
                       "warning")
            return objects
        for key in ("resources", "bases", "components"):
            for i, entry in k.entries(key):
                objects = self._resource(k, key, i, entry, stack + (directory,), objects)
        generate(k, objects, self.make, self.relpath, self.claimed.add,
                 lambda code, message, line: self._note(code, message, k.relpath, line, "warning"),
                 self.ctx.read)
        self._patches(k, objects)
        images(k, objects)
        namespace(k, objects)
        return objects

    def _resource(self, k: _Kustomization, key: str, i: int, entry: Any, stack: tuple[str, ...],
                  objects: list[Any]) -> list[Any]:
        line = k.lines.get(f"{key}.{i}", k.line(key))
        if not isinstance(entry, str) or not entry:
            return objects
        if _REMOTE_RE.search(entry):
            self._note("kustomize-remote", f"remote resource {entry!r} is not read (the scan never "
                       "fetches anything)", k.relpath, line)
            return objects
        target = os.path.normpath(os.path.join(k.directory, entry))
        if self.ctx.kind(target) == "dir":
            if self.find(target) is None:
                self._note("kustomize-missing", f"{entry!r} is a directory without a kustomization",
                           k.relpath, line, "warning")
                return objects
            if key == "components":
                return self.build(target, stack, objects)
            return objects + self.build(target, stack)
        if self.ctx.kind(target) != "file":
            self._note("kustomize-missing", f"resource {entry!r} not found", k.relpath, line, "warning")
            return objects
        if not inside(k.directory, target):
            self._note("kustomize-outside", f"resource {entry!r} is outside the kustomization's directory; "
                       "not read (kustomize refuses it too)", k.relpath, line, "warning")
            return objects
        self.claimed.add(target)
        return objects + [replace(raw, obj=copy.deepcopy(raw.obj), lines=dict(raw.lines))
                          for raw in self.load(target)]

    def _patches(self, k: _Kustomization, objects: list[Any]) -> None:
        for i, entry in k.entries("patchesStrategicMerge"):
            where = f"patchesStrategicMerge.{i}"
            for value, lines, file in self._patch_documents(k, where, entry):
                self._apply(k, where, value, lines, file, None, objects)
        for key in ("patches", "patchesJson6902"):
            for i, entry in k.entries(key):
                if not isinstance(entry, dict):
                    continue
                field = "path" if entry.get("path") is not None else "patch"
                target = entry.get("target") if isinstance(entry.get("target"), dict) else None
                for value, lines, file in self._patch_documents(k, f"{key}.{i}.{field}", entry.get(field)):
                    self._apply(k, f"{key}.{i}", value, lines, file, target, objects)

    def _patch_documents(self, k: _Kustomization, where: str, entry: Any) -> list[tuple[Any, dict[str, int], str]]:
        """(value, lines, file) of each document of a patch given as a path or as inline YAML."""
        if not isinstance(entry, str):
            return []
        path = os.path.normpath(os.path.join(k.directory, entry))
        line = k.lines.get(where, 1)
        if "\n" not in entry and self.ctx.kind(path) == "file" and not inside(k.directory, path):
            self._note("kustomize-outside", f"patch {entry!r} is outside the kustomization's directory; "
                       "not read (kustomize refuses it too)", k.relpath, line, "warning")
            return []
        if "\n" not in entry and self.ctx.kind(path) == "file":
            self.claimed.add(path)
            docs, file, offset = _documents(self.ctx, path), self.relpath(path), 0
        elif "\n" in entry or ":" in entry:
            docs, file, offset = _text_documents(entry), k.relpath, line  # a block scalar starts a line below
        else:
            self._note("kustomize-missing", f"patch {entry!r} not found", k.relpath, line, "warning")
            return []
        if isinstance(docs, str):
            self._note("kustomize-patch", f"patch not read: {docs}", file, line if offset else None, "warning")
            return []
        return [(d.value, {p: n + offset for p, n in d.lines.items()}, file) for d in docs
                if d.value is not None]

    def _apply(self, k: _Kustomization, key: str, patch: Any, lines: dict[str, int], file: str,
               target: Optional[dict[str, Any]], objects: list[Any]) -> None:
        line = k.lines.get(key, k.line(key.split(".")[0]))
        if isinstance(patch, list):
            if target is None:
                self._note("kustomize-patch", "JSON patch without a target; not applied", k.relpath, line,
                           "warning")
                return
            chosen = [o for o in objects if _selected(o.obj, target, o.was)]
            for o in chosen:
                for problem in json6902(o.obj, o.lines, patch, lines, file):
                    self._note("kustomize-patch", f"{problem}; not applied", file, lines.get("0"), "warning")
        elif isinstance(patch, dict):
            chosen = [o for o in objects
                      if _selected(o.obj, target, o.was) and (target or _same_object(o.obj, patch, o.was))]
            if patch.get("$patch") == "delete":     # the whole object leaves this build
                objects[:] = [o for o in objects if all(o is not c for c in chosen)]
            if isinstance(patch.get("metadata"), dict):
                # a patch's name and namespace say which objects it patches, never what they become:
                # a targeted patch's are often a placeholder (`name: all`, `ignored-by-kustomize`),
                # an untargeted one's may be the namespace a base's `namespace:` since replaced
                meta = {k: v for k, v in patch["metadata"].items() if k not in ("name", "namespace")}
                patch = {**patch, "metadata": meta}
            for o in chosen if patch.get("$patch") != "delete" else ():
                strategic_merge(o.obj, o.lines, patch, lines, file)
        else:
            return
        if not chosen and not self._alone:
            self._note("kustomize-patch", "patch matches no object of this kustomization; not applied",
                       k.relpath, line, "warning")


def _shaped(value: Any, kind: type, entries: Optional[type]) -> bool:
    """``value`` is a ``kind``; when ``entries`` is given, a list of ``entries``."""
    if not isinstance(value, kind):
        return False
    return entries is None or (isinstance(value, list) and all(isinstance(v, entries) for v in value))


def _documents(ctx: ParseContext, path: str) -> Any:
    """The YAML documents of ``path``, or the problem that stopped reading it."""
    try:
        text = ctx.text(path)
    except (OSError, UnicodeDecodeError) as exc:
        return str(exc)
    return _text_documents(text)


def _text_documents(text: str) -> Any:
    docs = []
    for doc in iter_documents(text):
        if isinstance(doc, YamlProblem):
            return f"{doc.message} (line {doc.line})"
        docs.append(doc)
    return docs


def api_group(api_version: Any) -> str:
    """The API group of an ``apiVersion`` ("" for the core group)."""
    text = str(api_version or "")
    return text.split("/")[0] if "/" in text else ""


def _same_object(obj: dict[str, Any], patch: dict[str, Any], was: tuple[str, ...] = ()) -> bool:
    """A strategic-merge patch names its target: kind, name, and namespace (now or before a
    ``namespace:`` replaced it, ``was``) and group when given."""
    meta, pmeta = obj.get("metadata") or {}, patch.get("metadata") or {}
    if not isinstance(meta, dict) or not isinstance(pmeta, dict):
        return False
    if patch.get("kind") != obj.get("kind") or pmeta.get("name") != meta.get("name"):
        return False
    if pmeta.get("namespace") and pmeta.get("namespace") not in (meta.get("namespace"), *was):
        return False
    return not patch.get("apiVersion") or api_group(patch["apiVersion"]) == api_group(obj.get("apiVersion"))


def _selected(obj: dict[str, Any], target: Optional[dict[str, Any]], was: tuple[str, ...] = ()) -> bool:
    """A ``target`` selector (group, version, kind, name and namespace as regular expressions, labelSelector);
    the namespace matches now or before a ``namespace:`` replaced it (``was``)."""
    if not target:
        return True
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    api = str(obj.get("apiVersion") or "")
    fields = {"group": (api_group(api),), "version": (api.rsplit("/", 1)[-1],), "kind": (obj.get("kind"),),
              "name": (meta.get("name"),), "namespace": (meta.get("namespace"), *was)}
    for key, values in fields.items():
        wanted = target.get(key)
        if wanted is None or wanted == "":
            continue
        if not any(v is not None and _full_match(str(wanted), str(v)) for v in values):
            return False
    for key, field in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        if isinstance(target.get(key), str) and not _labels_match(target[key], meta.get(field)):
            return False
    return True


def _full_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _labels_match(selector: str, labels: Any) -> bool:
    """An equality-based selector (``a=b,c!=d,e``)."""
    labels = labels if isinstance(labels, dict) else {}
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if str(labels.get(key)) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if key not in labels or str(labels[key]) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True
