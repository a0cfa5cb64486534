"""The HTML report: one self-contained offline file, tried in a real headless chromium (loads cleanly, filters, draws)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zlib

import pytest

from conftest import ROOT, need_tool
from scanner.api import scan
from scanner.report.html import render

SHOP = os.path.join(ROOT, "fixtures", "cases", "cli", "shop")
SECRET = "Xk9#mQ2v!Lp7@wZr4Tq8"   # the literal password in the shop's Terraform
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def report():
    return scan([SHOP], base=ROOT)


@pytest.fixture(scope="module")
def page(report, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("html") / "riskgraph.html"
    path.write_text(render(report), encoding="utf-8")
    return str(path)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    need_tool(found is not None, "chromium (apt-get install chromium)")
    return str(found)


def _browse(page: str, tmp_path, *args: str, fragment: str = "") -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run([_chromium(), *FLAGS, f"--user-data-dir={profile}", *args,
                           f"file://{page}{fragment}"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_self_contained_and_masked(page):
    text = open(page, encoding="utf-8").read()
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    # nothing is loaded from anywhere: no external script, style sheet, image or font
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert "@import" not in text and "url(http" not in text
    assert SECRET not in text and SECRET[2:] not in text


def test_loads_without_errors_and_the_filter_works(report, page, tmp_path):
    done = _browse(page, tmp_path, "--dump-dom", fragment="#selftest")
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert "data-errors" not in done.stdout
    found = re.search(r'data-selftest="([^"]*)"', done.stdout)
    assert found, done.stdout[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"'))
    active = sorted(report.active_findings, key=lambda f: (-f.severity.rank, f.location.path,
                                                          f.location.start_line))
    assert result["total"] == len(report.findings)
    query = active[0].policy_id                 # the first row's policy, typed into the filter
    assert result["query"] == query
    expected = [f"{f.policy_id} {f.resource}" for f in active if query.lower() in
                " ".join([f.severity.value, f.policy_id, f.resource, f.location.path,
                          str(f.location.start_line), f.message]).lower()]
    assert result["visible"] == expected and 0 < len(expected) < len(active)
    # every distinct attack path is drawn (the first 50 on load)
    distinct = {tuple(s.address for s in f.path) for f in report.findings if len(f.path) > 1}
    assert result["svgs"] == min(len(distinct), 50) > 0
    assert "RG-PATH-001" in done.stdout and "How to fix" in done.stdout


def test_screenshot_is_not_blank(page, tmp_path):
    shot = tmp_path / "shot.png"
    done = _browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,900")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    idat, pos = b"", 8
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + size]
        pos += 12 + size
    pixels = zlib.decompress(idat)
    # a blank page filters down to a handful of byte values; text, badges and tables give many
    assert len(set(pixels)) > 100


def test_a_page_error_would_be_seen(tmp_path):
    """The console check above can fail: a page that throws shows up in chromium's log."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    done = _browse(str(bad), tmp_path, "--dump-dom")
    assert [line for line in done.stderr.splitlines() if "Uncaught Error: boom" in line]


def test_a_path_edge_names_its_technique_as_the_other_reports_do():
    """An escape edge stands for a technique (PathStep.detail): text and SARIF write
    `escapes_to [CE_PRIV_MOUNT]`, and so does the page's path diagram."""
    from scanner.model import Finding, Location, PathStep, Report, Severity
    from scanner.report.html import data

    steps = (PathStep("pod", Location("k.yaml", 1, 1)), PathStep("node", None, "escapes_to", "CE_PRIV_MOUNT"))
    finding = Finding("RG-K8S-001", Severity.HIGH, "pod", Location("k.yaml", 1, 9), "m", path=steps)
    paths = data(Report(findings=(finding,), diagnostics=(), policies=()))["paths"]
    assert paths == [[["pod", "", "k.yaml:1"], ["node", "escapes_to [CE_PRIV_MOUNT]", ""]]]
