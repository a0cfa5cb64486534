"""Kustomize `configMapGenerator` and `secretGenerator`: the objects they generate, each value at its line.

Each entry becomes an object named as written (Kustomize's hash suffix is
rewritten into every reference alike, so the plain name joins the same
workloads). ``literals`` (``key=value``), ``files`` (``[key=]path``: the whole
file under its name) and ``envs`` / ``env`` (``key=value`` lines) fill
``data`` for a ConfigMap and ``stringData`` for a Secret (the values are
written in clear in the repository, as ``stringData`` would be). Each value's
line is where it is written: the literal in the kustomization, the line in an
env file, the first line of a whole file. ``behavior: merge`` / ``replace``
changes an object of the same name the kustomization already holds.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from ...discover import is_within
from ...model import Line

GENERATORS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}


def generate(k: Any, objects: list[Any], make: Callable[..., Any], relpath: Callable[[str], str],
             claim: Callable[[str], None], note: Callable[[str, str, Optional[int]], None],
             read: Callable[[str], bytes]) -> None:
    """Add (or merge) the objects of ``k``'s generators to ``objects``."""
    for key, kind in GENERATORS.items():
        for i, entry in k.entries(key):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            where = f"{key}.{i}"
            values: dict[str, Any] = {}
            lines: dict[str, int] = {}
            _literals(k, entry, where, values, lines, note)
            _files(k, entry, where, values, lines, relpath, claim, note, read)
            field = "stringData" if kind == "Secret" else "data"
            line = k.lines.get(where, 1)
            existing = _find(objects, kind, entry["name"], entry.get("namespace"))
            behavior = entry.get("behavior", "create")
            if existing is not None and behavior in ("merge", "replace"):
                target = existing.obj.setdefault(field, {}) if behavior == "merge" else {}
                if behavior == "replace":
                    existing.obj[field] = target
                target.update(values)
                existing.lines.update({f"{field}.{name}": n for name, n in lines.items()})
                continue
            obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": entry["name"]},
                                   field: values}
            if isinstance(entry.get("namespace"), str):
                obj["metadata"]["namespace"] = entry["namespace"]
            if kind == "Secret":
                obj["type"] = str(entry.get("type") or "Opaque")
            object_lines: dict[str, int] = {"kind": line, "metadata": line, "metadata.name": line, field: line}
            object_lines.update({f"{field}.{name}": n for name, n in lines.items()})
            objects.append(make(obj, object_lines, k.path, k.relpath, line))


def inside(directory: str, path: str) -> bool:
    """True when ``path`` (links resolved) lies in or below ``directory``: Kustomize's default load restriction."""
    root, real = os.path.realpath(directory), os.path.realpath(path)
    return real != root and is_within(real, root)


def _find(objects: list[Any], kind: str, name: str, namespace: Any) -> Optional[Any]:
    for o in objects:
        meta = o.obj.get("metadata") if isinstance(o.obj.get("metadata"), dict) else {}
        if o.obj.get("kind") == kind and meta.get("name") == name and (
                not namespace or meta.get("namespace") == namespace):
            return o
    return None


def _literals(k: Any, entry: dict[str, Any], where: str, values: dict[str, Any],
              lines: dict[str, int], note: Callable[[str, str, Optional[int]], None]) -> None:
    literals = entry.get("literals")
    for j, literal in enumerate(literals if isinstance(literals, list) else []):
        if not isinstance(literal, str) or "=" not in literal:
            note("kustomize-input", f"literal {literal!r} is not key=value; ignored",
                 k.lines.get(f"{where}.literals.{j}", k.lines.get(where)))
        else:
            name, _, value = literal.partition("=")
            values[name.strip()] = _unquote(value)
            lines[name.strip()] = Line(k.lines.get(f"{where}.literals.{j}", k.lines.get(where, 1)), k.relpath)


def _files(k: Any, entry: dict[str, Any], where: str, values: dict[str, Any], lines: dict[str, int],
           relpath: Callable[[str], str], claim: Callable[[str], None],
           note: Callable[[str, str, Optional[int]], None], read: Callable[[str], bytes]) -> None:
    sources: list[tuple[str, Any, bool]] = []
    for field, env in (("files", False), ("envs", True)):
        listed = entry.get(field)
        sources += [(f"{where}.{field}.{j}", item, env)
                    for j, item in enumerate(listed if isinstance(listed, list) else [])]
    if isinstance(entry.get("env"), str):
        sources.append((f"{where}.env", entry["env"], True))
    for path_key, item, env in sources:
        if not isinstance(item, str):
            note("kustomize-input", f"generator file {item!r} is not a path; ignored", k.lines.get(path_key))
            continue
        name, _, path = item.rpartition("=") if "=" in item else ("", "", item)
        full = os.path.normpath(os.path.join(k.directory, path))
        if not inside(k.directory, full):
            note("kustomize-outside", f"generator file {path!r} is outside the kustomization's directory; "
                 "not read (kustomize refuses it too)", k.lines.get(path_key))
            continue
        try:
            text = read(full).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            note("kustomize-missing", f"generator file {path!r} not read: {exc}", k.lines.get(path_key))
            continue
        claim(full)
        file = relpath(full)
        if not env:
            key = name or os.path.basename(path)
            values[key] = text
            lines[key] = Line(1, file)
            continue
        for n, raw in enumerate(text.splitlines(), 1):
            stripped = raw.strip()
            if stripped and not stripped.startswith("#") and "=" in stripped:
                key, _, value = stripped.partition("=")
                values[key.strip()] = _unquote(value)
                lines[key.strip()] = Line(n, file)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
