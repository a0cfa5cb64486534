"""A linker or a policy that raises costs only its own work: an error diagnostic names it and the resource; the rest of the scan is reported."""

from __future__ import annotations

import dataclasses
import os

import pytest

from conftest import FIXTURES, ROOT
from scanner import parallel
from scanner.api import scan
from scanner.discover import discover
from scanner.graph import build_graph, linkers
from scanner.parse import ParseOptions, parse_all
import importlib

evaluate_module = importlib.import_module("scanner.policy.evaluate")

CRASH = os.path.join(FIXTURES, "cases", "crash")
MAIN = "fixtures/cases/crash/main.tf"
SECRET = "Zx9Qv2Lr8Tn4Wb6Yc1Hm3Kd7"


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")  # a stored result would hide the patched code


def _resources():
    return parse_all(discover([CRASH]).files, ParseOptions()).resources


def _raise_on(address: str, exc: Exception):
    """A linker: a `references` edge from every security group to the instance, raising on ``address``."""
    def flaky(ctx):
        for group in ctx.of_type("aws_security_group"):
            ctx.add_edge(group.address, "aws_instance.app", "references", path="test")
            if group.address == address:
                raise exc
    return flaky


def _edges(graph, kind):
    return {(s, t) for s, t, k in graph.edges(keys=True) if k == kind}


def test_a_linker_that_raises_loses_only_the_resource_it_was_on():
    def after(ctx):  # a later linker still runs
        ctx.add_edge("aws_db_instance.db", "aws_instance.app", "references", path="later")

    graph = build_graph(_resources(), linkers=[
        _raise_on("aws_security_group.broken", TypeError("'Unknown' object is not iterable")), after])
    assert _edges(graph, "references") == {("aws_security_group.open", "aws_instance.app"),
                                           ("aws_db_instance.db", "aws_instance.app")}
    [d] = graph.graph["diagnostics"]
    assert (d.code, d.level, d.path, d.line) == ("linker-crash", "error", MAIN, 13)
    assert d.message == ("linker 'test_crash_isolation._raise_on.<locals>.flaky' failed on "
                         "aws_security_group.broken: TypeError: 'Unknown' object is not iterable; the rest "
                         "was linked again without it: edges this linker would have given it are missing")


def test_a_linker_crash_outside_any_resource_ends_that_linker_only():
    def broken(ctx):
        raise KeyError("setup")

    def after(ctx):
        ctx.add_edge("aws_db_instance.db", "aws_instance.app", "references")

    graph = build_graph(_resources(), linkers=[broken, after])
    assert _edges(graph, "references") == {("aws_db_instance.db", "aws_instance.app")}
    [d] = graph.graph["diagnostics"]
    assert (d.code, d.path, d.line) == ("linker-crash", ".", None)
    assert "KeyError: 'setup'" in d.message and "this linker's edges are missing from the whole graph" in d.message


def test_a_linker_crashing_on_resource_after_resource_is_given_up(monkeypatch):
    from scanner import graph as graph_module

    def everywhere(ctx):
        for group in ctx.of_type("aws_security_group"):
            ctx.add_edge(group.address, "aws_instance.app", "references", path="test")
            raise ValueError(f"bad {group.address}")

    monkeypatch.setattr(graph_module, "MAX_LINK_CRASHES", 1)
    graph = build_graph(_resources(), linkers=[everywhere])
    assert _edges(graph, "references") == set()
    assert [(d.code, d.line, d.message) for d in graph.graph["diagnostics"]] == [
        ("linker-crash", 3, "linker 'test_crash_isolation.test_a_linker_crashing_on_resource_after_resource_is_given_up"
         ".<locals>.everywhere' failed on aws_security_group.open: ValueError: bad aws_security_group.open; the rest "
         "was linked again without it: edges this linker would have given it are missing"),
        ("linker-crash", 13, "linker 'test_crash_isolation.test_a_linker_crashing_on_resource_after_resource_is_given_up"
         ".<locals>.everywhere' failed on aws_security_group.broken: ValueError: bad aws_security_group.broken; "
         "this linker's edges are missing from the whole graph"),
    ]


def test_the_scan_reports_a_crashed_linker_and_every_other_finding(monkeypatch):
    def crashes_on_broken(ctx):
        for r in ctx.resources:
            if r.address == "aws_security_group.broken":
                raise RuntimeError("linker bug")

    monkeypatch.setattr(linkers, "LINKERS", (crashes_on_broken, *linkers.LINKERS))
    report = scan([CRASH], only=["RG-AWS-001", "RG-PATH-002"])
    assert [(f.policy_id, f.resource, f.location.start_line) for f in report.findings] == [
        ("RG-AWS-001", "aws_security_group.open", 9),
        ("RG-AWS-001", "aws_security_group.broken", 19),
        ("RG-PATH-002", "aws_instance.app", 23),
    ]
    [d] = [d for d in report.diagnostics if d.level == "error"]
    assert (d.code, d.path, d.line) == ("linker-crash", MAIN, 13)
    assert "failed on aws_security_group.broken: RuntimeError: linker bug" in d.message


def _raising_policy(builtin, policy_id, on, make_exc):
    policy = builtin[policy_id]
    check = policy.check

    def raising(ctx, resource, value, path):
        if resource.address in on:
            raise make_exc(resource)
        return check(ctx, resource, value, path)

    return dataclasses.replace(policy, check=raising)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_policy_that_raises_on_one_resource_still_judges_the_others(builtin_policies, monkeypatch, jobs):
    monkeypatch.setattr(evaluate_module, "PARALLEL_MIN_NODES", 1)  # with jobs=2 a forked child evaluates
    policy = _raising_policy(builtin_policies, "RG-AWS-001", {"aws_security_group.broken"},
                             lambda r: ZeroDivisionError("division by zero"))
    report = scan([CRASH], policies=[policy, builtin_policies["RG-AWS-024"]], jobs=jobs)
    assert [(f.policy_id, f.resource, f.location.start_line) for f in report.findings] == [
        ("RG-AWS-001", "aws_security_group.open", 9),
        ("RG-AWS-024", "aws_db_instance.db", 29),
    ]
    assert [(d.code, d.level, d.path, d.line, d.message) for d in report.diagnostics] == [
        ("policy-crash", "error", MAIN, 13,
         "policy RG-AWS-001 failed on aws_security_group.broken: ZeroDivisionError: division by zero; "
         "this policy was not evaluated on this resource")]


def test_a_policy_crash_that_quotes_a_secret_is_masked(builtin_policies):
    policy = _raising_policy(builtin_policies, "RG-AWS-024", {"aws_db_instance.db"},
                             lambda r: ValueError(f"cannot compare {r.attributes['password']!r}"))
    report = scan([CRASH], policies=[policy])
    [d] = report.diagnostics
    assert (d.code, d.path, d.line) == ("policy-crash", MAIN, 29)
    assert SECRET not in d.message and "ValueError: cannot compare 'Zx**********'" in d.message


def test_a_policy_failing_everywhere_gives_three_diagnostics_and_a_count(builtin_policies):
    every = {"aws_security_group.open", "aws_security_group.broken", "aws_instance.app",
             "aws_db_instance.db"}
    policy = _raising_policy(builtin_policies, "RG-SEC-001", every, lambda r: RuntimeError("bug"))
    report = scan([CRASH], policies=[policy])
    assert [(d.path, d.line, d.message.split(":")[0]) for d in report.diagnostics] == [
        (MAIN, 3, "policy RG-SEC-001 failed on aws_security_group.open"),
        (MAIN, 13, "policy RG-SEC-001 failed on aws_security_group.broken"),
        (MAIN, 23, "policy RG-SEC-001 failed on aws_instance.app"),
        (MAIN, 29, "policy RG-SEC-001 also failed on 1 more resource (the first here"),
    ]
    assert report.findings == ()


def test_provider_defaults_that_raise_are_one_diagnostic_and_never_remembered_as_none(
        builtin_policies, monkeypatch):
    import scanner.policy.compiler as compiler_module

    real = compiler_module.effective

    def broken(ctx, resource):
        if resource.address == "aws_db_instance.db":
            raise KeyError("engine")
        return real(ctx, resource)
    monkeypatch.setattr(compiler_module, "effective", broken)
    report = scan([CRASH], policies=[builtin_policies["RG-AWS-024"]])
    assert [(d.code, d.path, d.line, d.message.split(";")[0]) for d in report.diagnostics] == [
        ("policy-crash", MAIN, 29, "provider defaults failed on aws_db_instance.db: KeyError: '******'")]  # quoted values masked
    # its policies still ran, on what is written (no storage_encrypted)
    assert [(f.policy_id, f.resource, f.location.start_line) for f in report.findings] == [
        ("RG-AWS-024", "aws_db_instance.db", 29)]
    ctx = compiler_module.EvalContext(build_graph(_resources()))
    db = next(r for r in _resources() if r.address == "aws_db_instance.db")
    for _ in range(2):  # asked again, it raises again: a failure is not cached as "nothing filled"
        with pytest.raises(KeyError):
            ctx.effective(db)


def test_a_forked_child_reports_a_crash_as_one_process_would(builtin_policies, monkeypatch):
    if not parallel.available():
        pytest.skip("fork is used on Linux only")
    monkeypatch.setattr(evaluate_module, "PARALLEL_MIN_NODES", 1)
    graph = build_graph(_resources())
    policy = _raising_policy(builtin_policies, "RG-AWS-001", {"aws_security_group.broken"},
                             lambda r: RuntimeError("bug"))
    results = []
    for jobs in (1, 3):
        diagnostics: list = []
        findings, stats = evaluate_module.evaluate(graph, [policy], jobs=jobs, diagnostics=diagnostics)
        results.append(([f.resource for f in findings], stats, diagnostics))
    assert results[0] == results[1]
    assert [d.message.split(":")[0] for d in results[0][2]] == [
        "policy RG-AWS-001 failed on aws_security_group.broken"]


def test_a_parser_that_raises_costs_only_its_files_and_its_message_is_masked(monkeypatch):
    def broken(files, options):
        raise ValueError(f"cannot read 'password = {SECRET}'")

    monkeypatch.setattr("scanner.formats.terraform.parser.parse", broken)
    manifests = os.path.join(FIXTURES, "cases", "discovery", "manifests")
    report = scan([CRASH, manifests], only=["RG-K8S-002"])
    assert [f.resource for f in report.findings] == ["k8s:apps/Deployment/shop/web", "k8s:core/Pod/tools/debug"]
    [d] = [d for d in report.diagnostics if d.level == "error"]
    assert (d.code, d.path) == ("parser-crash", MAIN)
    assert d.message == ("scanner.formats.terraform.parser failed: ValueError: cannot read 'password = Zx**********'; "
                         f"{MAIN} not scanned")


@pytest.mark.parametrize("exc, secret, shown", [
    (TypeError("'Unknown' object is not iterable"), False, "TypeError: 'Unknown' object is not iterable"),
    (KeyError("AKIAIOSFODNN7EXAMPLE"), False, "KeyError: 'AK**********'"),
    (ValueError(f"token={SECRET} rejected"), False, "ValueError: token=Zx********** rejected"),
    (ValueError("bad 'hunter2' here"), True, "ValueError: bad 'hu*****' here"),
    (ValueError("bad 'hunter2' here"), False, "ValueError: bad 'hunter2' here"),
    (RuntimeError(), False, "RuntimeError"),
    (ValueError("x" * 400), False, "ValueError: " + "x" * 300 + "..."),
])
def test_exception_text_masks_what_could_be_a_credential(exc, secret, shown):
    from scanner.crash import exception_text

    assert exception_text(exc, secret=secret) == shown
