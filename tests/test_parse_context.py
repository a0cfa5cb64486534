"""The parse context is a parser's only way to the disk: what a parser reads behind its back is caught, and such a scan is never stored."""

from __future__ import annotations

import ast
import os

import pytest

from scanner import api, parallel
from scanner.formats.kubernetes import parser as kubernetes_parser
from scanner.parse import UNRECORDED_READ, ParseContext, ParseOptions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pod.yaml").write_text(POD)
    (tmp_path / "elsewhere.txt").write_text("a parser should not read this directly\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _from_store(report) -> bool:
    return "result_cache" in report.stats["seconds"]


def _unrecorded(report) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in report.diagnostics if d.code == UNRECORDED_READ]


@pytest.mark.parametrize("jobs", [1, 2], ids=["one process", "forked"])
def test_a_parser_reading_behind_the_context_is_named_and_its_scan_never_stored(repo, monkeypatch, jobs):
    original = kubernetes_parser.parse
    marker = os.open(repo / "marker", os.O_WRONLY | os.O_CREAT | os.O_APPEND)  # before any fork

    def sneaky(files, ctx):
        os.write(marker, b"C" if parallel.in_child() else b"P")  # os.write is not audited
        with open(repo / "elsewhere.txt", encoding="utf-8") as handle:  # not through ctx
            handle.read()
        os.listdir(repo)
        return original(files, ctx)

    monkeypatch.setattr(kubernetes_parser, "parse", sneaky)
    if jobs > 1:  # two formats, each in its own process: the Kubernetes share (the heavier) in the child
        monkeypatch.setattr("scanner.parse.PARALLEL_MIN_COST", 0)
        (repo / "app" / "x.tf").write_text('locals {}\n')
    for _ in range(2):
        report = api.scan(["app"], only=["RG-K8S-001"], jobs=jobs, base=str(repo))
        assert not _from_store(report)
        assert _unrecorded(report) == [(UNRECORDED_READ, str(repo))]
        message = next(d.message for d in report.diagnostics if d.code == UNRECORDED_READ)
        assert "2 path(s)" in message and str(repo / "elsewhere.txt") in message
    os.close(marker)
    assert (repo / "marker").read_text() == ("CC" if jobs > 1 else "PP")


def test_the_same_parser_reading_through_the_context_is_stored(repo, monkeypatch):
    original = kubernetes_parser.parse

    def honest(files, ctx):
        ctx.read(str(repo / "elsewhere.txt"))
        ctx.listdir(str(repo))
        return original(files, ctx)

    monkeypatch.setattr(kubernetes_parser, "parse", honest)
    first = api.scan(["app"], only=["RG-K8S-001"], base=str(repo))
    assert not _from_store(first) and _unrecorded(first) == []
    assert _from_store(api.scan(["app"], only=["RG-K8S-001"], base=str(repo)))
    (repo / "elsewhere.txt").write_text("changed\n")  # what the context saw is checked again
    assert not _from_store(api.scan(["app"], only=["RG-K8S-001"], base=str(repo)))


def test_context_reads_lists_and_kinds(tmp_path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f.txt").write_bytes(b"abc")
    os.symlink(tmp_path / "f.txt", tmp_path / "link.txt")
    ctx = ParseContext(ParseOptions())
    assert ctx.read(str(tmp_path / "f.txt"), 2) == b"ab"
    assert ctx.listdir(str(tmp_path)) == ["f.txt"]  # links, directories are not regular files
    assert [ctx.kind(str(tmp_path / n)) for n in ("d", "f.txt", "link.txt", "none")] == ["dir", "file", "file", ""]
    with pytest.raises(OSError):
        ctx.read(str(tmp_path / "none"))


DISK_MODULES = {"os", "os.path", "io", "shutil", "glob", "pathlib"}
PURE = {"join", "dirname", "basename", "normpath", "relpath", "splitext", "sep", "fsdecode", "fsencode",
        "commonpath", "isabs", "abspath", "realpath", "split", "environ", "getcwd"}


def test_no_format_module_touches_the_disk_itself() -> None:
    """The static half of the rule: format code names none of the calls that read the disk, nor the cache."""
    offenders = []
    for directory, _, names in os.walk(os.path.join(ROOT, "scanner", "formats")):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            tree = ast.parse(open(path, encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    called = ast.unparse(func)
                    receiver = called.rsplit(".", 1)[0] if "." in called else ""
                    if called == "open" or (receiver in DISK_MODULES and called.rsplit(".", 1)[1] not in PURE):
                        offenders.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} {called}()")
                elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] in ("cache", "pathlib"):
                    offenders.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} imports {node.module}")
    assert offenders == []
