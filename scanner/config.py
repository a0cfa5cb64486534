"""Project configuration: `.riskgraph.yaml` or `[tool.riskgraph]` in pyproject.toml, validated strictly.

The file is looked up from the scan root upwards, stopping at the git root
(the directory holding ``.git``); without a git root only the scan root and
the current directory are tried. Relative paths inside it (policy
directories, var files, the baseline) are relative to the file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

CONFIG_FILES = (".riskgraph.yaml", ".riskgraph.yml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration file that cannot be used; names the file, the key and the line when known."""

    def __init__(self, file: str, message: str, key: str = "", line: Optional[int] = None) -> None:
        self.file, self.key, self.line = file, key, line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: configuration error{f' at {key}' if key else ''}: {message}")


@dataclass(frozen=True)
class Config:
    """Settings from a configuration file; empty values mean "not set"."""

    path: str = ""
    exclude: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    policy_dirs: tuple[str, ...] = ()
    builtin_policies: bool = True
    severity_threshold: Optional[str] = None
    frameworks: tuple[str, ...] = ()
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
    baseline: Optional[str] = None
    format: Optional[str] = None
    allow_incomplete: bool = False
    category: Optional[str] = None
    # Kubernetes deployment units declared by hand: (name, absolute directories)
    kubernetes_units: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # directories of Terraform module descriptions (absolute); docs/terraform.md
    module_descriptions: tuple[str, ...] = ()


def git_root(start: str) -> Optional[str]:
    """The nearest directory at or above ``start`` holding ``.git`` (found by looking, never by running git)."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _has_tool_table(pyproject: str) -> bool:
    try:
        with open(pyproject, encoding="utf-8") as handle:
            return "[tool.riskgraph" in handle.read()
    except OSError:
        return False


def find_config(start: str) -> Optional[str]:
    """The configuration file that governs ``start`` (a file or directory), or None."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    stop = git_root(here)
    candidates: list[str] = []
    if stop is None:
        candidates = [here, os.getcwd()]
    else:
        while True:
            candidates.append(here)
            if here == stop:
                break
            here = os.path.dirname(here)
    for directory in candidates:
        for name in CONFIG_FILES:
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            if name == "pyproject.toml" and not _has_tool_table(path):
                continue
            return path
    return None


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib as toml
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as toml
        except ImportError:
            raise ConfigError(path, "reading pyproject.toml needs Python 3.11+ or the 'tomli' "
                              "package; or use .riskgraph.yaml") from None
    try:
        with open(path, "rb") as handle:
            data = toml.load(handle)
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(path, f"invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("riskgraph", {})
    if not isinstance(table, dict):
        raise ConfigError(path, "must be a table", "tool.riskgraph")
    return table


def _read_yaml(path: str) -> tuple[Any, Mapping[str, int]]:
    from .yamlnodes import YamlProblem, iter_documents

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read: {exc}") from None
    docs = list(iter_documents(text))
    if not docs:
        return {}, {}
    if len(docs) > 1:
        raise ConfigError(path, "a configuration file holds one YAML document")
    doc = docs[0]
    if isinstance(doc, YamlProblem):
        raise ConfigError(path, doc.message, line=doc.line)
    return (doc.value if doc.value is not None else {}), doc.lines


def load_config(path: str) -> Config:
    """Read and validate one configuration file; raises :class:`ConfigError` naming the bad key."""
    from .schemas import load_schema, validate

    lines: Mapping[str, int]
    if path.endswith(".toml"):
        data, lines = _read_toml(path), {}
        prefix = "tool.riskgraph."
    else:
        data, lines = _read_yaml(path)
        prefix = ""
    if isinstance(data, dict):
        allowed = load_schema("config.schema.json")["properties"]
        for key in data:
            if key not in allowed:
                raise ConfigError(path, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})",
                                  prefix + str(key), lines.get(str(key)))
    errors = validate(data, "config.schema.json", lines)
    if errors:
        first = errors[0]
        raise ConfigError(path, first.message, prefix + first.path if first.path else
                          prefix.rstrip("."), first.line)
    here = os.path.dirname(os.path.abspath(path))

    def rel(items: Any) -> tuple[str, ...]:
        return tuple(os.path.normpath(os.path.join(here, p)) for p in items or ())

    baseline = data.get("baseline")
    return Config(
        path=path, exclude=tuple(data.get("exclude") or ()), only=tuple(data.get("only") or ()),
        skip=tuple(data.get("skip") or ()), policy_dirs=rel(data.get("policy_dirs")),
        builtin_policies=data.get("builtin_policies", True),
        severity_threshold=data.get("severity_threshold"),
        frameworks=tuple(data.get("frameworks") or ()),
        parameters={k: dict(v) for k, v in (data.get("parameters") or {}).items()},
        var_files=rel(data.get("var_files")),
        baseline=os.path.normpath(os.path.join(here, baseline)) if baseline else None,
        format=data.get("format"),
        allow_incomplete=bool(data.get("allow_incomplete", False)),
        category=data.get("category"),
        kubernetes_units=tuple((str(unit.get("name") or ""), rel(unit["paths"]))
                               for unit in (data.get("kubernetes") or {}).get("units") or ()),
        module_descriptions=rel((data.get("terraform") or {}).get("module_descriptions")))
