"""Provider defaults as data (defaults.yaml): a resource's effective attributes, with the default of each unset attribute filled in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Optional

from ..model import Layer, Resource, Unknown
from ..yamlnodes import load_file
from .paths import split_path
from ..versions import ANY, Interval, allowed, overlaps

DEFAULTS_FILE = os.path.join(os.path.dirname(__file__), "defaults.yaml")


@dataclass(frozen=True)
class Default:
    """One attribute's default for some resource types, per provider version range."""

    types: tuple[str, ...]
    path: tuple[str, ...]
    values: tuple[tuple[Interval, Any], ...]
    source: str
    when: Optional[Callable[..., Any]] = None  # compiled condition, or None: always
    reads: Any = None  # what deciding it reads (compiler.Reads): its path's key and its condition's


@lru_cache(maxsize=1)
def load_defaults() -> dict[str, tuple[Default, ...]]:
    """Defaults by resource type, from defaults.yaml (read and compiled once); a broken entry raises."""
    from .compiler import Compiler, Reads, condition_reads  # the compiler imports nothing of this module
    entries = load_file(DEFAULTS_FILE) or []
    by_type: dict[str, list[Default]] = {}
    for number, entry in enumerate(entries):
        values = []
        for item in entry["values"]:
            interval = allowed(item["versions"]) if item["versions"] else ANY
            if interval is None:
                raise ValueError(f"{DEFAULTS_FILE}: entry {number}: unreadable versions {item['versions']!r}")
            values.append((interval, item["value"]))
        types = entry["type"] if isinstance(entry["type"], list) else [entry["type"]]
        when = Compiler({}).compile(entry["when"], f"defaults[{number}].when") if "when" in entry else None
        path = split_path(entry["path"])
        reads = Reads(frozenset(path[:1])) | (condition_reads(entry["when"]) if "when" in entry else Reads())
        default = Default(tuple(types), path, tuple(values), entry["source"], when, reads)
        for t in types:
            by_type.setdefault(t, []).append(default)
    return {t: tuple(d) for t, d in by_type.items()}


def provider_of(type_: str) -> str:
    """The provider a Terraform resource type belongs to: its prefix (``aws_s3_bucket`` -> ``aws``)."""
    return type_.split("_", 1)[0]


def value_for(default: Default, constraint: Optional[str]) -> Any:
    """The default for the versions ``constraint`` allows, or Unknown when they reach ranges that differ."""
    versions = allowed(constraint) if constraint else ANY
    if versions is None:
        return Unknown(f"the provider version constraint {constraint!r} is not readable")
    reached = [(interval, value) for interval, value in default.values if overlaps(interval, versions)]
    distinct = {repr(value) for _, value in reached}
    if len(distinct) == 1 and _covered(versions, [interval for interval, _ in reached]):
        return reached[0][1]
    where = f"provider versions {constraint!r}" if constraint else "any provider version"
    return Unknown(f"the default of {'.'.join(default.path)} differs across {where}")


def _covered(versions: Interval, intervals: list[Interval]) -> bool:
    """Whether ``intervals`` together cover every version of ``versions``."""
    low = versions[0]
    for start, end in sorted(intervals):
        if start > low:
            return False
        low = max(low, end)
        if low >= versions[1]:
            return True
    return low >= versions[1]


def effective(ctx: Any, resource: Resource) -> tuple[Any, dict[str, Any]]:
    """The attributes with every applicable default filled in, and the concrete paths filled (path -> value).

    Only Terraform configuration resources get defaults: a plan already holds the
    provider's values. A block that is not written is never invented.
    """
    if resource.kind is not Layer.TERRAFORM or resource.source != "terraform" or resource.planned:
        return resource.attributes, {}
    defaults = load_defaults().get(resource.type)
    if not defaults:
        return resource.attributes, {}
    attributes: Any = resource.attributes
    filled: dict[str, Any] = {}
    constraint = (getattr(resource, "providers", None) or {}).get(provider_of(resource.type))
    for default in defaults:
        if not _absent_somewhere(attributes, default.path):
            continue
        if default.when is not None:
            truth = default.when(ctx, resource, resource.attributes, "")[0]
            if truth is False:
                continue
            value = value_for(default, constraint) if truth else Unknown(
                f"whether the default of {'.'.join(default.path)} applies is not known")
        else:
            value = value_for(default, constraint)
        attributes = _fill(attributes, default.path, value, "", filled)
    return attributes, filled


def _absent_somewhere(value: Any, path: tuple[str, ...]) -> bool:
    """Whether some written block on the way lacks the attribute (or sets it to null)."""
    if isinstance(value, list):
        return any(_absent_somewhere(v, path) for v in value)
    if not isinstance(value, dict):
        return False
    head, rest = path[0], path[1:]
    if not rest:
        return value.get(head) is None
    return head in value and _absent_somewhere(value[head], rest)


def _fill(value: Any, path: tuple[str, ...], default: Any, prefix: str, filled: dict[str, Any]) -> Any:
    """A copy of ``value`` with ``default`` set where ``path`` ends unset (containers on the way copied)."""
    if isinstance(value, list):
        return [_fill(v, path, default, f"{prefix}{i}.", filled) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    head, rest = path[0], path[1:]
    if not rest:
        if value.get(head) is not None:
            return value
        filled[prefix + head] = default
        return {**value, head: default}
    if head not in value:
        return value
    return {**value, head: _fill(value[head], rest, default, f"{prefix}{head}.", filled)}
