"""The library API: docs/api.md examples run as written, and `import scanner` stays cheap."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DOC = os.path.join(ROOT, "docs", "api.md")


def _blocks() -> list[str]:
    with open(DOC, encoding="utf-8") as handle:
        return re.findall(r"```python\n(.*?)```", handle.read(), re.S)


def test_every_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    blocks = _blocks()
    assert len(blocks) >= 6
    namespace: dict = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "critical RG-PATH-001 fixtures/systems/solar-booking/terraform/main.tf" in out
    assert "aws_db_instance fixtures/cases/cli/shop/infra/main.tf:23 True" in out


def test_five_line_example_is_five_lines():
    assert len(_blocks()[0].strip().splitlines()) == 5


def test_public_names_resolve_and_import_is_lazy():
    code = ("import sys, scanner; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('networkx', 'yaml', 'jsonschema') "
            "or m.startswith('scanner.')]; "
            "assert heavy == [], heavy; "
            "[getattr(scanner, n) for n in scanner.__all__]; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_cli_version_does_not_load_the_pipeline():
    code = ("import sys; from scanner.cli import main; main(['--version']); "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('networkx', 'yaml', 'jsonschema', "
            "'tree_sitter')]; print(loaded)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.splitlines()[-1] == "[]", out.stderr
