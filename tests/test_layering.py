"""The import rules of docs/design.md, checked: stages import only downwards, and a format's internals stay inside its package."""

from __future__ import annotations

import ast
import os
from typing import Iterator

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scanner")

# Lowest first: a module may import modules of its own layer or below, never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    # base: the model and what every stage shares; the format registry and descriptors
    ("scanner.model", "scanner.linear", "scanner.secrets", "scanner.credentials", "scanner.crash",
     "scanner.redact", "scanner.completeness", "scanner.yamlnodes", "scanner.textcodec", "scanner.schemas",
     "scanner.versions",
     "scanner.formats"),
    ("scanner.cache", "scanner.parallel", "scanner.discover"),  # infrastructure, discovery
    ("scanner.parse",),  # the parse stage
    ("scanner.graph",),  # the link stage and the cloud vocabulary's linkers
    ("scanner.formats.*",),  # format internals: parsers, their models, their linkers
    ("scanner.policy",),  # evaluation
    ("scanner.report",),  # pure functions of a Report
    ("scanner.suppress", "scanner.incremental", "scanner.rescan", "scanner.config", "scanner.bridge", "scanner.request",
     "scanner.options", "scanner.output", "scanner.api", "scanner.cli", "scanner"),
)
# A format's internals are its own: nothing outside its package imports them (the registry and the
# descriptor are public). The exceptions, each a format writing another's vocabulary: a plan is read
# with the Terraform evaluator; Terraform's kubernetes_* resources become Kubernetes objects through
# the Kubernetes pod model.
SHARED_INTERNALS = {("scanner.formats.terraform_plan", "scanner.formats.terraform"),
                    ("scanner.formats.terraform", "scanner.formats.kubernetes")}
FORMAT_PACKAGES = tuple(sorted(
    f"scanner.formats.{d}" for d in os.listdir(os.path.join(ROOT, "formats"))
    if os.path.isfile(os.path.join(ROOT, "formats", d, "__init__.py"))))


def modules() -> Iterator[tuple[str, str, bool]]:
    for directory, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                package = name == "__init__.py"
                yield (rel[: -len(".__init__")] if package else rel), path, package


def imports(module: str, path: str, package: bool) -> Iterator[tuple[int, str]]:
    """(line, module) for every scanner module ``path`` imports, names of a package counted as its submodules when they are."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    here = module if package else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("scanner"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if not base.startswith("scanner"):
                continue
            for alias in node.names:
                if base == "scanner" and alias.name == "__version__":
                    continue  # the lazy facade's one constant
                sub = f"{base}.{alias.name}"
                candidate = os.path.join(os.path.dirname(ROOT), *sub.split("."))
                yield node.lineno, sub if os.path.exists(candidate + ".py") or os.path.isdir(candidate) else base


def layer(module: str) -> int:
    for package in FORMAT_PACKAGES:
        if module.startswith(package + "."):
            return _index("scanner.formats.*")
    best, found = -1, 0
    for i, group in enumerate(LAYERS):
        for prefix in group:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), i
    return found


def _index(name: str) -> int:
    return next(i for i, group in enumerate(LAYERS) if name in group)


def format_package(module: str) -> str:
    return next((p for p in FORMAT_PACKAGES if module == p or module.startswith(p + ".")), "")


def violations() -> list[str]:
    found = []
    for module, path, package in modules():
        for line, target in imports(module, path, package):
            where = f"{os.path.relpath(path, os.path.dirname(ROOT))}:{line}: {module} imports {target}"
            if target == "scanner" and module != "scanner":
                found.append(f"{where} (the package facade imports every stage)")
            elif layer(target) > layer(module):
                found.append(f"{where} (layer {layer(target)} above {layer(module)})")
            owner = format_package(target)
            if owner and target != owner and format_package(module) != owner \
                    and (format_package(module), owner) not in SHARED_INTERNALS:
                found.append(f"{where} (another format's internals; use the registry or the descriptor)")
    return found


def test_every_import_goes_down_the_layers_and_format_internals_stay_home() -> None:
    assert violations() == []


def test_every_module_has_its_layer_written_down() -> None:
    """A new module is placed in LAYERS (and docs/design.md) on purpose, never by the package's catch-all."""
    named = {prefix for group in LAYERS for prefix in group if prefix not in ("scanner", "scanner.formats.*")}
    unplaced = [m for m, _, _ in modules() if m != "scanner" and not format_package(m)
                and not any(m == p or m.startswith(p + ".") for p in named)]
    assert unplaced == []


def test_the_rules_catch_an_upward_import_and_a_reach_into_a_format(tmp_path, monkeypatch) -> None:
    import scanner.graph.linkers.aws as aws

    text = open(aws.__file__, encoding="utf-8").read()
    bad = text + "\nfrom ...policy import evaluate  # noqa\nfrom ...formats.kubernetes.pod import dig  # noqa\n"
    copy = tmp_path / "aws.py"
    copy.write_text(bad)
    monkeypatch.setattr(aws, "__file__", str(copy))
    original = modules

    def with_copy():
        for module, path, package in original():
            yield module, (str(copy) if module == "scanner.graph.linkers.aws" else path), package

    monkeypatch.setattr(__import__(__name__), "modules", with_copy)
    found = violations()
    assert any("scanner.graph.linkers.aws imports scanner.policy.evaluate (layer" in v for v in found)
    assert any("imports scanner.formats.kubernetes.pod (another format's internals" in v for v in found)
    assert any("imports scanner.formats.kubernetes.pod (layer" in v for v in found)  # internals sit above graph
    assert len(found) == 3
