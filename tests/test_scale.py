"""Scale: large Terraform files parse in pieces, long literals are set aside, and nothing changes but the cost."""

from __future__ import annotations

import glob
import os

import pytest

from scanner.formats.terraform import chunks, literals, syntax

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _tree(value: object) -> object:
    """A parse result as plain data: every dataclass and AST node by its fields, in order."""
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_tree(v) for v in value]]
    if isinstance(value, dict):
        return {k: _tree(v) for k, v in value.items()}
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is None and isinstance(value, syntax.Expr):
        fields = [s for c in type(value).__mro__ for s in getattr(c, "__slots__", ())]
    if fields is not None:
        return [type(value).__name__, {k: _tree(getattr(value, k)) for k in fields}]
    return [type(value).__name__, value]


def _whole(source: bytes, monkeypatch: pytest.MonkeyPatch) -> object:
    """The file parsed as one tree with no literal set aside: what the cheaper paths must reproduce."""
    with monkeypatch.context() as m:
        m.setattr(literals, "LONG", 10**12)
        return _tree(syntax.parse_hcl(source, "x.tf", chunk=10**12))


TF_FILES = sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.tf"), recursive=True)
                  + glob.glob(os.path.join(ROOT, "tests", "**", "*.tf"), recursive=True))


def test_files_cut_into_40_byte_ranges_parse_as_a_whole(monkeypatch):
    assert len(TF_FILES) > 300
    for path in TF_FILES:
        with open(path, "rb") as handle:
            source = handle.read()
        assert _tree(syntax.parse_hcl(source, "x.tf", chunk=40)) == _whole(source, monkeypatch), path


def test_a_cut_is_only_made_before_a_top_level_block(monkeypatch):
    source = b'resource "a" "b" {\ningress {\nx = 1\n}\n}\ndata "c" "d" {}\n'
    assert chunks.next_cut(source, 1) == source.index(b"data")
    assert chunks.next_cut(source, source.index(b"data") + 1) == len(source)
    # a cut inside a heredoc that looks like a block is refused by the parse: the range grows
    tricky = b'x = <<EOT\n' + b'resource "a" "b" {}\n' * 50 + b'EOT\ny = 1\n'
    parsed = syntax.parse_hcl(tricky, "x.tf", chunk=30)
    assert list(parsed.attributes) == ["x", "y"] and parsed.blocks == [] and not parsed.diagnostics
    assert parsed.attributes["x"].expr.value.count('resource "a" "b" {}') == 50
    assert parsed.attributes["y"].line == 53 and _tree(parsed) == _whole(tricky, monkeypatch)


A, U = "a" * 5000, "\u00e9\u20ac\U0001f600" * 2000
LITERAL_CASES = {
    "string": (f'x = "{A}"\n', 1),
    "interpolations": (f'x = "{A}${{var.y}}{A}\\n{A}"\n', 3),
    "heredoc": (f'x = <<EOT\n{A}\n  {U}\nEOT\n', 2),
    "indented heredoc": (f'x = <<-EOT\n    {A}\n    b\n    EOT\n', 1),
    "tabs and blanks": (f'x = <<-EOT\n\t  {A}  \t\n\t  b {A} \n\tEOT\n', 2),
    "blanks around": (f'x = "{" " * 5000}{A}{" " * 5000}"\n', 1),
    "identifier": (f'{A} = 1\n', 1),          # not a literal: parsed again as written
    "number": (f'x = {"1" * 5000}\n', 1),
    "comments": (f'# {A}\nx = 1\n/* {A} */\ny = "{A}"\n', 3),
    "label": (f'resource "{A}" "b" {{\n  v = "{U}"\n}}\n', 2),
    "escapes": (f'x = "\\\\{A}\\"{A}"\n', 2),
    "directive": (f'x = "%{{ if true }}{A}%{{ endif }}"\n', 1),
    "object key": (f'x = {{ "{A}" = 1 }}\n', 1),
    "a marker already in the file": (f'x = "\ue000{A}"\n', 0),
    "carriage returns": (f'x = "{A}"\r\ny = "{A}"\r\n', 2),
    "unterminated": (f'x = "{A}\n', 1),
}


@pytest.mark.parametrize("name", LITERAL_CASES)
def test_long_literals_set_aside_parse_the_same(name, monkeypatch):
    text, runs = LITERAL_CASES[name]
    source = text.encode("utf-8")
    assert len(literals.shrink(source)[1]) == runs
    assert _tree(syntax.parse_hcl(source, "x.tf")) == _whole(source, monkeypatch)


def test_a_4_mb_literal_never_reaches_tree_sitter():
    import sys

    sys.path.insert(0, os.path.join(HERE, "bench"))
    from scale import literal_text

    source = literal_text().encode("utf-8")
    shrunk, runs = literals.shrink(source)
    assert len(shrunk) < 200 and [len(r) for r in runs] == [4 * 1024 * 1024]
    parsed = syntax.parse_hcl(source, "main.tf")
    assert parsed.blocks[0].attributes["content"].expr.value == runs[0]
    assert parsed.blocks[0].attributes["content"].line == 4


def _serial(calls: list):
    """An ``at_once`` that runs the tasks one after the other and keeps their results."""
    def at_once(tasks):
        results = [task() for task in tasks]
        calls.append(results)
        return results
    return at_once


def test_files_parsed_as_two_halves_parse_as_a_whole(monkeypatch):
    monkeypatch.setattr(syntax, "HALVES_BYTES", 0)
    split = 0
    for path in TF_FILES:
        with open(path, "rb") as handle:
            source = handle.read()
        calls: list = []
        halves = _tree(syntax.parse_hcl(source, "x.tf", chunk=40, at_once=_serial(calls)))
        assert halves == _whole(source, monkeypatch), path
        split += any(None not in results for results in calls)
    assert split > 200  # most files had a cut to split at, and both halves parsed cleanly


def test_halves_that_do_not_parse_cleanly_give_way_to_the_whole_file(monkeypatch):
    monkeypatch.setattr(syntax, "HALVES_BYTES", 0)
    # the middle cut lies inside a heredoc: the first half is refused
    tricky = b'x = <<EOT\n' + b'resource "a" "b" {}\n' * 50 + b'EOT\ny = 1\n'
    calls: list = []
    parsed = syntax.parse_hcl(tricky, "x.tf", chunk=30, at_once=_serial(calls))
    assert [r[0] for r in calls] == [None] and list(parsed.attributes) == ["x", "y"]
    assert _tree(parsed) == _whole(tricky, monkeypatch)
    # a syntax error in the second half: reported once, at its line, as a whole parse does
    broken = b'resource "a" "b" {}\n' * 40 + b'resource "a" "c" {\n  x = = 1\n}\n' + b'resource "a" "d" {}\n' * 10
    calls = []
    parsed = syntax.parse_hcl(broken, "x.tf", at_once=_serial(calls))
    assert calls and calls[0][0] is not None and calls[0][1] is None
    assert [(d.code, d.line) for d in parsed.diagnostics] == [("hcl-syntax", 42)]
    assert _tree(parsed) == _whole(broken, monkeypatch)


def test_a_large_file_is_parsed_in_two_processes_with_the_same_result(monkeypatch):
    import sys

    from scanner import parallel
    from scanner.parse import ParseContext, ParseOptions

    sys.path.insert(0, os.path.join(HERE, "bench"))
    from scale import many_text

    source = many_text(3000).encode()
    monkeypatch.setattr(syntax, "HALVES_BYTES", len(source) // 2)
    forked: list = []
    real_run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda tasks, jobs, *a: forked.append(jobs) or real_run(tasks, jobs, *a))
    ctx = ParseContext(ParseOptions(), processes=2)
    halves: list = []

    def at_once(tasks):
        results = ctx.at_once(tasks)
        halves.append(results)
        return results
    together = syntax.parse_hcl(source, "x.tf", chunk=8192, at_once=at_once)
    assert forked == ([2] if parallel.available() else [])
    if parallel.available():  # both halves came back parsed, and the second from the child
        assert len(halves) == 1 and all(isinstance(h, syntax.HclFile) for h in halves[0])
        first, second = halves[0]
        assert together is first and second.blocks  # the first half, with the child's blocks after its own
        assert together.blocks[-len(second.blocks):] == second.blocks
        assert second.blocks[-1].labels == ["aws_security_group", "g2999"]  # many_text's last resource
    assert _tree(together) == _whole(source, monkeypatch)
    assert ParseContext(ParseOptions()).at_once([lambda: 1, lambda: 2]) is None  # one process: no split
