"""Forked processes: the same result as one process, whatever happens to a child."""

from __future__ import annotations

import importlib
import os
import time

import pytest

from scanner import api, cache, parallel
from scanner.cli import main
from scanner.discover import discover
from scanner.parse import ParseOptions, parse_all
from scanner.report import render

from conftest import SYSTEMS

pytestmark = pytest.mark.skipif(not parallel.available(), reason="fork is used on Linux only")
SOLAR = os.path.join(SYSTEMS, "solar-booking")


def test_tasks_after_the_first_run_in_children_and_results_keep_their_order():
    pids = parallel.run([os.getpid, os.getpid, os.getpid], 3)
    assert pids[0] == os.getpid()
    assert len(set(pids)) == 3
    assert parallel.run([lambda: "a", lambda: "b"], 2) == ["a", "b"]
    assert parallel.run([lambda: "serial", os.getpid], 1) == ["serial", os.getpid()]


def _dies_in_child():
    if parallel.in_child():
        os._exit(3)
    return "ran in the parent"


def _unpicklable_in_child():
    return (lambda: None) if parallel.in_child() else "ran in the parent"


@pytest.mark.parametrize("task", [_dies_in_child, _unpicklable_in_child])
def test_a_failed_child_has_its_task_run_in_the_parent(task):
    assert parallel.run([lambda: 1, task], 2) == [1, "ran in the parent"]


def test_an_error_in_a_task_is_raised_as_one_process_would():
    def broken():
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        parallel.run([lambda: 1, broken], 2)


def test_an_error_in_the_first_task_stops_the_children():
    def broken():
        raise KeyError("first")

    started = time.monotonic()
    with pytest.raises(KeyError):
        parallel.run([broken, lambda: time.sleep(30)], 2)
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # no child left behind, not even a zombie
        os.waitpid(-1, os.WNOHANG)


def test_parsing_in_two_processes_gives_the_same_resources_and_caches_the_child_work(tmp_path, monkeypatch):
    monkeypatch.setattr("scanner.parse.PARALLEL_MIN_COST", 0)
    files = discover([SOLAR]).files
    serial = parse_all(files, ParseOptions())
    store = cache.ParseCache(str(tmp_path))
    with cache.active(store):
        forked = parse_all(files, ParseOptions(), jobs=2)
        assert store.misses > 0 and store.hits == 0
    assert forked.resources == serial.resources  # same values, same order
    assert forked.diagnostics == serial.diagnostics
    again = cache.ParseCache(str(tmp_path))
    with cache.active(again):
        parse_all(files, ParseOptions(), jobs=2)
        assert again.misses == 0 and again.hits > 0  # what the child parsed was stored


def test_a_scan_in_two_processes_reports_the_same(monkeypatch):
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    monkeypatch.setattr("scanner.parse.PARALLEL_MIN_COST", 0)
    monkeypatch.setattr(importlib.import_module("scanner.policy.evaluate"), "PARALLEL_MIN_NODES", 0)
    one = api.scan([SOLAR])
    two = api.scan([SOLAR], jobs=2)
    assert two == one
    assert render(two, "sarif") == render(one, "sarif")


def test_cli_jobs_option(capsys):
    assert main(["scan", SOLAR, "--format", "json", "--jobs", "1", "--no-cache"]) == 1
    one = capsys.readouterr().out
    assert main(["scan", SOLAR, "--format", "json", "--jobs", "2", "--no-cache"]) == 1
    assert capsys.readouterr().out == one
    assert main(["scan", SOLAR, "--jobs", "0"]) == 2
    assert "--jobs takes a number of processes of at least 1" in capsys.readouterr().err


def test_default_jobs_follow_the_environment(monkeypatch):
    monkeypatch.setenv("RISKGRAPH_JOBS", "3")
    assert parallel.default_jobs() == 3
    monkeypatch.setenv("RISKGRAPH_JOBS", "none")
    assert parallel.default_jobs() == len(os.sched_getaffinity(0))


def test_later_gives_the_child_result_or_runs_the_task_here():
    assert parallel.later(os.getpid, 2)() != os.getpid()  # worked out in a child
    assert parallel.later(os.getpid, 1)() == os.getpid()  # one process: here, when asked
    assert parallel.later(_dies_in_child, 2)() == "ran in the parent"


@pytest.mark.parametrize("child_fails", [False, True])
def test_json_written_by_two_processes_has_the_same_bytes(monkeypatch, child_fails):
    from scanner.report import json as json_report
    from scanner.report import pieces

    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    report = api.scan([SOLAR])
    assert len(report.findings) > 10
    one = "".join(pieces(report, "json"))
    monkeypatch.setattr(json_report, "PARALLEL_FINDINGS", 2)
    spooled = json_report._spooled
    if child_fails:
        def broken(*args):
            if parallel.in_child():
                os._exit(5)
            return spooled(*args)
        monkeypatch.setattr(json_report, "_spooled", broken)
    written_here: list[tuple[int, int]] = []  # the ranges of findings this process wrote itself
    text_of = json_report._findings_text

    def noting(findings, start, stop, metas):
        if not parallel.in_child():
            written_here.append((start, stop))
        return text_of(findings, start, stop, metas)
    monkeypatch.setattr(json_report, "_findings_text", noting)
    texts = list(pieces(report, "json", jobs=2))
    assert "".join(texts) == one
    assert len(texts) > 3  # head, the first half, the second half (read back or written here), tail
    half, count = len(report.findings) // 2, len(report.findings)
    assert written_here == ([(0, half), (half, count)] if child_fails else [(0, half)])
