"""The command line's one merge of configuration file and flags into a `ScanRequest` (flags win; lists add up)."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence

from .config import Config, find_config, git_root, load_config
from .request import RequestError, ScanRequest, check_paths


def report_root(paths: Sequence[str], explicit: Optional[str] = None) -> str:
    """The one directory every reported path (and SARIF URI) is relative to.

    ``explicit`` (``--root``) when given, and it must hold every path; else the
    git top level above the scanned paths' common directory, else that
    common directory.
    """
    dirs = [os.path.realpath(p) if os.path.isdir(p) else os.path.dirname(os.path.realpath(p))
            for p in paths]
    common = os.path.commonpath(dirs)
    if explicit is None:
        return git_root(common) or common
    root = os.path.realpath(explicit)
    if not os.path.isdir(root):
        raise RequestError(f"--root: not a directory: {explicit!r}")
    if os.path.commonpath([root, common]) != root:
        raise RequestError(f"--root {explicit!r} does not contain every scanned path")
    return root


def load_configuration(args: Any, start: str) -> Config:
    """The configuration file for ``start`` (or ``--config``), or an empty one with ``--no-config``."""
    if getattr(args, "no_config", False):
        return Config()
    path = getattr(args, "config", None) or find_config(start)
    return load_config(path) if path else Config()


def build_request(args: Any, jobs: int) -> ScanRequest:
    """The ScanRequest of a ``scan`` / ``hook`` / ``baseline`` command line, with its configuration."""
    variables = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep:
            raise RequestError(f"--var takes NAME=VALUE, got {item!r}")
        variables[name] = value
    if args.command == "hook":
        root = os.path.abspath(args.root) if args.root else (git_root(os.getcwd()) or os.getcwd())
        paths: Sequence[str] = [root]
    else:
        paths = args.paths
        check_paths(paths)
        root = report_root(paths, getattr(args, "root", None))
    cfg = load_configuration(args, paths[0])
    fmt = getattr(args, "format", None) or cfg.format or "text"
    baseline = getattr(args, "baseline", None) or (cfg.baseline if args.command != "baseline" else None)
    frameworks = [x for group in args.framework for x in group] or list(cfg.frameworks)
    return ScanRequest(
        paths=tuple(paths), policy_dirs=(*cfg.policy_dirs, *args.policy_dir),
        builtin_policies=cfg.builtin_policies and not args.no_builtin,
        only=tuple(args.only or cfg.only), skip=(*cfg.skip, *args.skip),
        parameters=cfg.parameters, var_files=(*cfg.var_files, *args.var_file),
        variables=variables, exclude=(*cfg.exclude, *args.exclude), base=root,
        frameworks=tuple(frameworks), suppressions=not getattr(args, "no_suppress", False),
        baseline=baseline, with_checkov=args.with_checkov,
        checkov_path=getattr(args, "checkov_path", None), jobs=jobs,
        kubernetes_units=cfg.kubernetes_units, module_descriptions=cfg.module_descriptions, format=fmt,
        output=getattr(args, "output", None),
        severity_threshold=args.severity_threshold or cfg.severity_threshold or "low",
        allow_incomplete=args.allow_incomplete or cfg.allow_incomplete,
        category=getattr(args, "category", None) or cfg.category)
