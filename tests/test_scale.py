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
