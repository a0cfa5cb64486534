"""Kustomize patches applied to an object: strategic merge and JSON 6902, each patched value's line in the patch file.

Strategic merge follows the Kubernetes rules our policies depend on: mappings
merge key by key, ``null`` deletes a key, lists of named items (containers,
volumes, env, ports with a ``name``...) merge item by item on ``name``, other
lists are replaced, and ``$patch: delete`` / ``$patch: replace`` are honoured (a
``$patch: delete`` at the top of a patch removes the object: kustomize.py).
Every value a patch sets gets the patch's line as a :class:`scanner.model.Line`
naming the patch file, so a finding on it points at the patch.
"""

from __future__ import annotations

from typing import Any

from ...model import Line

MERGE_KEY = "name"


def _drop(lines: dict[str, int], path: str) -> None:
    """Forget the lines of ``path`` and everything under it."""
    prefix = path + "."
    for key in [k for k in lines if k == path or k.startswith(prefix)]:
        del lines[key]


def _copy_lines(lines: dict[str, int], path: str, patch_lines: dict[str, int], patch_path: str,
                file: str) -> None:
    """Lines of ``patch_path`` and below (patch file) become the lines of ``path`` and below."""
    if patch_path in patch_lines:
        lines[path] = Line(patch_lines[patch_path], file)
    prefix = patch_path + "."
    for key, line in patch_lines.items():
        if key.startswith(prefix):
            lines[path + key[len(patch_path):]] = Line(line, file)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def strategic_merge(target: dict[str, Any], lines: dict[str, int], patch: dict[str, Any],
                    patch_lines: dict[str, int], file: str) -> None:
    """Merge ``patch`` into ``target`` in place; ``lines`` follow (patch values get the patch's lines)."""
    _merge_map(target, lines, "", patch, patch_lines, "", file)


def _merge_map(target: dict[str, Any], lines: dict[str, int], path: str, patch: dict[str, Any],
               patch_lines: dict[str, int], ppath: str, file: str) -> None:
    for key, value in patch.items():
        if key == "$patch" or str(key).startswith("$setElementOrder/") or key == "$retainKeys":
            continue
        here, there = _join(path, key), _join(ppath, key)
        if value is None:
            target.pop(key, None)
            _drop(lines, here)
            continue
        current = target.get(key)
        if isinstance(value, dict) and value.get("$patch") == "delete":
            target.pop(key, None)
            _drop(lines, here)
        elif isinstance(value, dict) and value.get("$patch") != "replace" and isinstance(current, dict):
            if here not in lines and there in patch_lines:
                lines[here] = Line(patch_lines[there], file)
            _merge_map(current, lines, here, value, patch_lines, there, file)
        elif isinstance(value, list) and isinstance(current, list) and _named(value) and _named(current):
            _merge_named(current, lines, here, value, patch_lines, there, file)
        elif value == current and not isinstance(value, (dict, list)):
            continue  # repeated as is (a merge key): the line that set it is still the target's
        else:
            target[key] = _plain(value)
            _drop(lines, here)
            _copy_lines(lines, here, patch_lines, there, file)


def _named(items: list[Any]) -> bool:
    """A list merged item by item: every entry a mapping with a ``name`` (or a ``$patch`` directive)."""
    return bool(items) and all(isinstance(i, dict) and (MERGE_KEY in i or "$patch" in i) for i in items)


def _merge_named(current: list[Any], lines: dict[str, int], path: str, patch: list[Any],
                 patch_lines: dict[str, int], ppath: str, file: str) -> None:
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        kept = [i for i in patch if not (isinstance(i, dict) and "$patch" in i and MERGE_KEY not in i)]
        current[:] = [_plain(i) for i in kept]
        _drop(lines, path)
        for n, item in enumerate(patch):
            if item in kept:
                _copy_lines(lines, f"{path}.{kept.index(item)}", patch_lines, f"{ppath}.{n}", file)
        return
    for n, item in enumerate(patch):
        name = item.get(MERGE_KEY)
        index = next((i for i, c in enumerate(current) if c.get(MERGE_KEY) == name), None)
        there = f"{ppath}.{n}"
        if item.get("$patch") == "delete":
            if index is not None:
                _remove_item(current, lines, path, index)
        elif index is None:
            current.append(_plain(item))
            _copy_lines(lines, f"{path}.{len(current) - 1}", patch_lines, there, file)
        else:
            _merge_map(current[index], lines, f"{path}.{index}", item, patch_lines, there, file)


def _remove_item(items: list[Any], lines: dict[str, int], path: str, index: int) -> None:
    """Remove ``items[index]`` and renumber the lines of the items after it."""
    del items[index]
    _drop(lines, f"{path}.{index}")
    _shift(lines, path, index + 1, -1)


def _shift(lines: dict[str, int], path: str, start: int, delta: int) -> None:
    """Renumber the lines of the items of list ``path`` from ``start`` on by ``delta``."""
    prefix = path + "."
    moved: dict[str, int] = {}
    for key in [k for k in lines if k.startswith(prefix)]:
        head, _, rest = key[len(prefix):].partition(".")
        if head.isdigit() and int(head) >= start:
            moved[f"{prefix}{int(head) + delta}{'.' + rest if rest else ''}"] = lines.pop(key)
    lines.update(moved)


def _plain(value: Any) -> Any:
    """A patch value without ``$patch`` directives (a copy, so objects sharing a patch stay apart)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "$patch"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def json6902(target: dict[str, Any], lines: dict[str, int], ops: list[Any],
             op_lines: dict[str, int], file: str) -> list[str]:
    """Apply JSON patch operations in place; returns a problem per operation not applied."""
    problems: list[str] = []
    for n, op in enumerate(ops):
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            problems.append(f"operation {n} has no path")
            continue
        kind, pointer = op.get("op"), op["path"]
        keys = [k.replace("~1", "/").replace("~0", "~") for k in pointer.split("/")[1:]]
        if kind not in ("add", "replace", "remove") or not keys:
            problems.append(f"operation {n} ({kind} {pointer}) is not applied")
            continue
        parent = target
        for key in keys[:-1]:
            step = _step(parent, key)
            if step is None and kind == "add" and isinstance(parent, dict):
                step = parent[key] = {}   # as Kustomize does (EnsurePathExistsOnAdd): missing maps are made
            parent = step
            if parent is None:
                break
        last = keys[-1]
        if not isinstance(parent, (dict, list)):
            problems.append(f"operation {n}: {pointer} is not in the object")
            continue
        path = ".".join(_index_path(target, keys))
        if not _apply(parent, last, kind, op.get("value"), lines, path):
            problems.append(f"operation {n}: {pointer} is not in the object")
            continue
        if kind != "remove":
            _copy_lines(lines, path, op_lines, f"{n}.value", file)
            lines.setdefault(path, Line(op_lines.get(f"{n}", 0), file))
    return problems


def _step(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    return None


def _index_path(target: Any, keys: list[str]) -> list[str]:
    """The dotted attribute path of a JSON pointer (``-`` becomes the index it appends at)."""
    out: list[str] = []
    value = target
    for key in keys:
        if key == "-" and isinstance(value, list):
            key = str(len(value))
        out.append(key)
        value = _step(value, key)
    return out


def _apply(parent: Any, last: str, kind: Any, value: Any, lines: dict[str, int], path: str) -> bool:
    if isinstance(parent, dict):
        if kind == "remove" and last not in parent:
            return False  # a replace of a missing key adds it, as `kustomize build` does
        _drop(lines, path)
        if kind == "remove":
            del parent[last]
        else:
            parent[last] = _plain(value)
        return True
    index = len(parent) if last == "-" else int(last) if last.isdigit() else -1
    if index < 0 or index > len(parent) or (kind != "add" and index == len(parent)):
        return False
    if kind == "replace":
        _drop(lines, path)
        parent[index] = _plain(value)
    elif kind == "remove":
        _remove_item(parent, lines, path.rsplit(".", 1)[0], index)
    else:
        _shift(lines, path.rsplit(".", 1)[0] if "." in path else "", index, 1)
        parent.insert(index, _plain(value))
    return True
