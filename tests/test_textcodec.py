"""Text in UTF-16 or UTF-32 with a byte-order mark (what Windows PowerShell's `>` writes) reads as its UTF-8 twin."""

from __future__ import annotations

import codecs
import os
import shutil

import pytest

from conftest import FIXTURES
from scanner.api import scan
from scanner.discover import discover
from scanner.textcodec import decode, encoding, error_line, utf8_head

ENCODINGS = [("utf-8-sig", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
             ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-32-le", codecs.BOM_UTF32_LE),
             ("utf-32-be", codecs.BOM_UTF32_BE)]


@pytest.mark.parametrize(("codec", "mark"), ENCODINGS)
def test_a_marked_text_decodes_without_its_mark(codec, mark):
    data = mark + "kind: Pod\nname: é\n".encode(codec.replace("-sig", ""))
    assert decode(data) == "kind: Pod\nname: é\n"
    assert utf8_head(data) == "kind: Pod\nname: é\n".encode("utf-8")


def test_unmarked_text_is_utf8_and_a_cut_character_is_dropped_from_a_head():
    assert encoding(b"{}") == "utf-8"
    assert encoding(b"\xff\xfe\x00\x00{") == "utf-32"  # not taken for UTF-16's mark
    head = codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"c"  # an odd byte: half a character
    assert utf8_head(head) == b"ab"
    with pytest.raises(UnicodeDecodeError) as raised:
        decode(b"a\nb\n\xff\n")
    assert error_line(b"a\nb\n\xff\n", raised.value) == 3


def _twin(tmp_path, source: str, codec: str, mark: bytes) -> str:
    """A copy of the fixture directory ``source`` whose JSON and YAML files are written in ``codec``."""
    target = os.path.join(str(tmp_path), codec)
    shutil.copytree(source, target)
    for folder, _, names in os.walk(target):
        for name in names:
            if name.endswith((".json", ".yaml", ".yml")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                with open(path, "wb") as handle:
                    handle.write(mark + text.encode(codec.replace("-sig", "")))
    return target


def _findings(path: str) -> list[tuple[str, str, str, int]]:
    report = scan([path], base=path)
    assert not [d for d in report.diagnostics if d.level == "error"], report.diagnostics
    return [(f.policy_id, f.resource, f.location.path, f.location.start_line) for f in report.findings]


@pytest.mark.parametrize(("codec", "mark"), ENCODINGS)
@pytest.mark.parametrize("case", [
    os.path.join("cases", "terraform", "plan", "only"),     # a plan without code (terraform show -json > plan.json)
    os.path.join("RG-K8S-002", "fail"),                      # manifests and a kustomize overlay
    os.path.join("RG-ARCH-006", "fail"),                     # an architecture file
])
def test_json_and_yaml_in_utf16_or_utf32_give_the_findings_of_utf8(tmp_path, case, codec, mark):
    source = os.path.join(FIXTURES, case)
    expected = _findings(source)
    assert expected  # each case fails some policy
    twin = _twin(tmp_path, source, codec, mark)
    assert [f.format for f in discover([twin], base=twin).files] == \
        [f.format for f in discover([source], base=source).files]
    assert _findings(twin) == expected
