"""The README's sample output is what the command beside it prints today."""

from __future__ import annotations

import os
import re
import shlex
import sys

import pytest

from conftest import ROOT
from scanner.cli import main

README = os.path.join(ROOT, "README.md")
SAMPLE = re.compile(r"<!-- sample: riskgraph (?P<args>[^\n]*?) -->\n```text\n(?P<text>.*?)```", re.S)


def _samples() -> list[tuple[str, str]]:
    with open(README, encoding="utf-8") as handle:
        return [(m.group("args"), m.group("text")) for m in SAMPLE.finditer(handle.read())]


def test_readme_has_its_samples():
    assert [args.split()[1] for args, _ in _samples()] == [
        "fixtures/systems/solar-booking", "fixtures/systems/claims-portal"]


@pytest.mark.parametrize("args,text", _samples())
def test_sample_output_is_current(args, text, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    main(shlex.split(args))
    out = capsys.readouterr().out
    assert text == out, ("README sample is stale: run `python tests/test_readme.py` to refresh it\n" + out)


def refresh() -> None:
    """Rewrite each sample from a real run (python tests/test_readme.py)."""
    import contextlib
    import io

    os.chdir(ROOT)
    with open(README, encoding="utf-8") as handle:
        text = handle.read()

    def fresh(m: "re.Match[str]") -> str:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            main(shlex.split(m.group("args")))
        start, end = m.span("text")
        return m.group(0)[:start - m.start()] + buffer.getvalue() + m.group(0)[end - m.start():]

    with open(README, "w", encoding="utf-8") as handle:
        handle.write(SAMPLE.sub(fresh, text))


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    refresh()
