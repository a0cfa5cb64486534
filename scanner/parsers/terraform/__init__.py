"""Terraform parser: `.tf` files (tree-sitter-hcl) and tfvars, resolved module by module."""

from __future__ import annotations

import os
from typing import Any, Optional

from ...model import Diagnostic, SourceFile
from .. import ParseOptions, Parsed
from .expressions import Scope, evaluate
from .module import ModuleEvaluator, ModuleSource, group_blocks
from .syntax import HclFile, parse_hcl

BINARY_SNIFF = 8192


def read_source(path: str, relpath: str) -> tuple[Optional[bytes], Optional[Diagnostic]]:
    """The bytes of a file, or a diagnostic saying why it cannot be used."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return None, Diagnostic("unreadable", f"cannot read file: {exc.strerror}", relpath)
    if b"\0" in data[:BINARY_SNIFF]:
        return None, Diagnostic("binary-file", "file looks binary (NUL bytes); skipped", relpath)
    return data, None


class _Loader:
    """Parses each `.tf` file once and groups a directory's files into a module."""

    def __init__(self, anchor_of: dict[str, str], diagnostics: list[Diagnostic]) -> None:
        self.files: dict[str, HclFile] = {}
        self.modules: dict[str, Optional[ModuleSource]] = {}
        self.anchor_of = anchor_of  # directory (real) -> the relpath prefix to show
        self.diagnostics = diagnostics

    def hcl(self, path: str, relpath: str) -> Optional[HclFile]:
        if path in self.files:
            return self.files[path]
        data, problem = read_source(path, relpath)
        if problem is not None:
            self.diagnostics.append(problem)
            self.files[path] = None  # type: ignore[assignment]
            return None
        parsed = parse_hcl(data or b"", relpath)
        self.diagnostics.extend(parsed.diagnostics)
        self.files[path] = parsed
        return parsed

    def module(self, directory: str) -> Optional[ModuleSource]:
        real = os.path.realpath(directory)
        if real in self.modules:
            return self.modules[real]
        try:
            names = sorted(n for n in os.listdir(real) if n.endswith(".tf"))
        except OSError:
            names = []
        rel_dir = self.anchor_of.get(real, directory)
        parsed = [self.hcl(os.path.join(real, n), _join(rel_dir, n)) for n in names]
        src = group_blocks(directory, [p for p in parsed if p is not None]) if names else None
        self.modules[real] = src
        return src


def _join(rel_dir: str, name: str) -> str:
    return name if rel_dir in ("", ".") else f"{rel_dir}/{name}"


def parse(files: list[SourceFile], options: ParseOptions) -> Parsed:
    """Evaluate every root module found among ``files`` (directories not called as a local module)."""
    out = Parsed()
    anchor_of: dict[str, str] = {}
    tf_dirs: dict[str, list[SourceFile]] = {}
    tfvars: dict[str, list[SourceFile]] = {}
    for f in files:
        real_dir = os.path.dirname(f.path)
        anchor_of[real_dir] = os.path.dirname(f.relpath)
        if f.format == "tfvars":
            tfvars.setdefault(real_dir, []).append(f)
        elif f.relpath.endswith(".tf.json"):
            out.diagnostics.append(Diagnostic(
                "tf-json-unsupported", "Terraform JSON syntax is not read yet; skipped",
                f.relpath, level="warning"))
        else:
            tf_dirs.setdefault(real_dir, []).append(f)
    loader = _Loader(anchor_of, out.diagnostics)
    called: set[str] = set()
    for directory in tf_dirs:
        src = loader.module(directory)
        for block, _ in (src.modules if src else []):
            source = block.attributes.get("source")
            value = evaluate(source.expr, Scope({})) if source else None
            if isinstance(value, str) and value.startswith(("./", "../")):
                called.add(os.path.realpath(os.path.join(directory, value)))
    for directory in sorted(tf_dirs):
        if directory in called:
            continue
        src = loader.module(directory)
        if src is None:
            continue
        inputs = _root_variables(directory, tfvars.get(directory, []), options, loader, out)
        ModuleEvaluator(src, prefix="", inputs=inputs, load=loader.module,
                        stack=(directory,), out=out.resources, diagnostics=out.diagnostics,
                        root_dir=directory).run()
    return out


def _root_variables(directory: str, var_files: list[SourceFile], options: ParseOptions,
                    loader: _Loader, out: Parsed) -> dict[str, Any]:
    """Values for a root module's variables, in Terraform's order of precedence."""
    values: dict[str, Any] = {}
    for key, raw in options.env.items():
        if key.startswith("TF_VAR_"):
            values[key[7:]] = raw
    auto = sorted((f for f in var_files if f.relpath.endswith(".auto.tfvars")),
                  key=lambda f: f.relpath)
    default = [f for f in var_files if os.path.basename(f.path) == "terraform.tfvars"]
    for f in [*default, *auto]:
        values.update(_tfvars(f.path, f.relpath, loader))
    for path in options.var_files:
        values.update(_tfvars(os.path.abspath(path), path, loader))
    values.update(options.variables)
    return values


def _tfvars(path: str, relpath: str, loader: _Loader) -> dict[str, Any]:
    parsed = loader.hcl(path, relpath)
    if parsed is None:
        return {}
    return {name: evaluate(attr.expr, Scope({})) for name, attr in parsed.attributes.items()}
