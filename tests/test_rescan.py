"""Whole-scan results: an unchanged re-scan reads its report back, and every input that can change it is noticed."""

from __future__ import annotations

import datetime
import os
import shutil

import pytest

from scanner import api, cache, rescan
from scanner.report import render

DB = 'resource "aws_db_instance" "db" {\n  publicly_accessible = var.public\n}\n'
CALLER = 'module "net" {\n  source = "../shared/net"\n}\n'
NET_OPEN = ('resource "aws_security_group" "ssh" {\n  ingress {\n    from_port = 22\n    to_port = 22\n'
            '    protocol = "tcp"\n    cidr_blocks = [var.cidr]\n  }\n}\n')
NET_VARS = 'variable "cidr" {\n  default = "0.0.0.0/0"\n}\n'
OPEN_SSH, PUBLIC_DB = "RG-AWS-001", "RG-AWS-002"


@pytest.fixture
def system(tmp_path, monkeypatch):
    """app/ (scanned) calls a module in shared/ (outside the scanned root); a var file lies outside too."""
    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    for name in [n for n in os.environ if n.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    (tmp_path / "app").mkdir()
    (tmp_path / "shared" / "net").mkdir(parents=True)
    (tmp_path / "app" / "db.tf").write_text(DB + 'variable "public" {\n  default = false\n}\n')
    (tmp_path / "app" / "net.tf").write_text(CALLER)
    (tmp_path / "shared" / "net" / "main.tf").write_text(NET_OPEN)
    (tmp_path / "shared" / "net" / "variables.tf").write_text(NET_VARS)
    (tmp_path / "vars.tfvars").write_text("public = false\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scan(**options):
    return api.scan(["app"], only=[OPEN_SSH, PUBLIC_DB], var_files=["vars.tfvars"], **options)


def _failing(report):
    return sorted((f.policy_id, f.resource, f.location.path, f.location.start_line)
                  for f in report.findings)


def _from_store(report) -> bool:
    return "result_cache" in report.stats["seconds"]


def test_unchanged_rescan_reads_the_stored_report(system, monkeypatch):
    first = _scan()
    assert not _from_store(first)
    assert _failing(first) == [(OPEN_SSH, "module.net.aws_security_group.ssh", "shared/net/main.tf", 6)]

    def no_parsing(*_args, **_kwargs):
        raise AssertionError("a stored result must not parse again")

    monkeypatch.setattr("scanner.parse.parse_all", no_parsing)
    second = _scan()
    assert _from_store(second)
    assert second == first  # findings, diagnostics and policies
    assert render(second, "json") == render(first, "json")
    assert {k: v for k, v in second.stats.items() if k != "seconds"} == \
        {k: v for k, v in first.stats.items() if k != "seconds"}


@pytest.mark.parametrize("change, expected", [
    # a scanned file
    (lambda root: (root / "app" / "db.tf").write_text(DB.replace("var.public", "true")),
     [(OPEN_SSH, "module.net.aws_security_group.ssh", "shared/net/main.tf", 6),
      (PUBLIC_DB, "aws_db_instance.db", "app/db.tf", 2)]),
    # a module file outside the scanned root
    (lambda root: (root / "shared" / "net" / "variables.tf").write_text(
        'variable "cidr" {\n  default = "10.0.0.0/8"\n}\n'), []),
    # a new file in that module's directory
    (lambda root: (root / "shared" / "net" / "extra.tf").write_text(
        'locals {\n  unused = 1\n}\nresource "aws_db_instance" "extra" {\n  publicly_accessible = true\n}\n'),
     [(OPEN_SSH, "module.net.aws_security_group.ssh", "shared/net/main.tf", 6),
      (PUBLIC_DB, "module.net.aws_db_instance.extra", "shared/net/extra.tf", 5)]),
    # a removed module directory
    (lambda root: shutil.rmtree(root / "shared"), []),
    # the var file given on the command line
    (lambda root: (root / "vars.tfvars").write_text("public = true\n"),
     [(OPEN_SSH, "module.net.aws_security_group.ssh", "shared/net/main.tf", 6),
      (PUBLIC_DB, "aws_db_instance.db", "app/db.tf", 2)]),
])
def test_a_changed_input_is_scanned_again(system, change, expected):
    _scan()
    change(system)
    again = _scan()
    assert not _from_store(again)
    assert _failing(again) == expected
    assert _from_store(_scan())  # and that result is stored in turn


def test_options_environment_and_date_are_part_of_the_key(system, monkeypatch):
    base = _scan()
    assert _failing(_scan(variables={"public": "true"})) == sorted(
        _failing(base) + [(PUBLIC_DB, "aws_db_instance.db", "app/db.tf", 2)])
    monkeypatch.setenv("TF_VAR_cidr", "10.0.0.0/8")  # a root variable only: the module keeps its default
    assert not _from_store(_scan())
    monkeypatch.delenv("TF_VAR_cidr")
    assert _from_store(_scan())
    assert not _from_store(_scan(today=datetime.date(2099, 1, 1)))  # suppressions may have expired
    assert not _from_store(_scan(suppressions=False))


def test_an_expired_suppression_is_noticed_on_the_next_day(system):
    (system / "app" / "db.tf").write_text(
        '# riskgraph:ignore=RG-AWS-002 until=2030-01-01 accepted for the pilot\n'
        + DB.replace("var.public", "true"))
    before = _scan(today=datetime.date(2029, 12, 31))
    assert [f.suppressed for f in before.findings if f.policy_id == PUBLIC_DB] == [True]
    after = _scan(today=datetime.date(2030, 1, 2))
    assert not _from_store(after)
    assert [f.suppressed for f in after.findings if f.policy_id == PUBLIC_DB] == [False]


def test_a_changed_policy_file_is_scanned_again(system, tmp_path):
    policies = tmp_path / "policies"
    policies.mkdir()
    rule = (
        "id: RG-ORG-001\ntitle: Databases must be tagged\nseverity: low\nresource: [aws_db_instance]\n"
        "description: Every database carries tags.\nremediation: Add owner and data-class tags to the instance.\ncondition: {not: {path: tags, exists: true}}\n")
    (policies / "RG-ORG-001.yaml").write_text(rule)
    first = api.scan(["app"], policy_dirs=[str(policies)], builtin_policies=False)
    assert [f.resource for f in first.findings] == ["aws_db_instance.db"]
    (policies / "RG-ORG-001.yaml").write_text(rule.replace("{not: {path: tags, exists: true}}", "{path: tags, exists: true}"))
    second = api.scan(["app"], policy_dirs=[str(policies)], builtin_policies=False)
    assert not _from_store(second)
    assert second.findings == ()


def test_a_changed_baseline_is_scanned_again(system):
    (system / "app" / "db.tf").write_text(DB.replace("var.public", "true"))
    baseline = system / "baseline.json"
    baseline.write_text('{"version": 1, "findings": []}\n')
    assert all(not f.suppressed for f in _scan(baseline=str(baseline)).findings)
    fingerprint = next(f.fingerprint for f in _scan().findings if f.policy_id == PUBLIC_DB)
    baseline.write_text('{"version": 1, "findings": [{"fingerprint": "%s"}]}\n' % fingerprint)
    report = _scan(baseline=str(baseline))
    assert not _from_store(report)
    assert [f.policy_id for f in report.findings if f.suppressed] == [PUBLIC_DB]


def test_policies_given_as_objects_are_never_stored(system, builtin_policies):
    chosen = [builtin_policies[PUBLIC_DB]]
    api.scan(["app"], policies=chosen)
    assert not _from_store(api.scan(["app"], policies=chosen))


def test_a_forged_entry_is_ignored(system):
    first = _scan()
    store = cache.ParseCache()
    with cache.active(store):
        key = next(k for k in _keys() if k.startswith("scan-result:"))
        store.put(key, ("not", "a", "report"))
    again = _scan()
    assert not _from_store(again)
    assert _failing(again) == _failing(first)


def test_nothing_is_stored_with_the_cache_off(system, monkeypatch):
    monkeypatch.setenv("RISKGRAPH_NO_CACHE", "1")
    _scan()
    assert not _from_store(_scan())
    assert not os.path.exists(system / "cache" / cache.DB_NAME)


def test_unreadable_recorded_input_counts_as_changed(system):
    reads = {("read", str(system / "gone.tf"), -1): "0" * 64}
    assert not rescan._unchanged(reads)
    assert rescan._unchanged({("read", str(system / "gone.tf"), -1): ""})
    assert rescan._unchanged({("kind", str(system / "gone.tf"), -1): ""})
    assert not rescan._unchanged({("kind", str(system), -1): "file"})


def _keys():
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(os.path.join(os.environ["RISKGRAPH_CACHE_DIR"],
                                                         cache.DB_NAME))) as db:
        return [k for (k,) in db.execute("SELECT key FROM entries")]


def test_only_the_newest_stored_results_are_kept(system, monkeypatch):
    monkeypatch.setattr(cache, "KEEP_RESULTS", 2)
    options = [{"variables": {"public": "true"}}, {"variables": {"public": "false"}}, {}]
    for chosen in options:  # three different keys, stored in this order
        assert not _from_store(_scan(**chosen))
    assert len([k for k in _keys() if k.startswith(cache.RESULT_PREFIX)]) == 2
    assert _from_store(_scan(**options[2]))
    assert _from_store(_scan(**options[1]))
    assert not _from_store(_scan(**options[0]))  # the oldest was pruned


def test_the_database_keeps_at_most_keep_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "KEEP_ENTRIES", 5)
    for i in range(8):  # one flush each: written in this order
        with cache.active(cache.ParseCache(str(tmp_path))):
            cache.cached("p", f"file {i}".encode(), lambda i=i: i)
    with cache.active(cache.ParseCache(str(tmp_path))):
        assert [cache.cached("p", f"file {i}".encode(), lambda: None) for i in range(8)] == \
            [None, None, None, 3, 4, 5, 6, 7]  # the three written first were pruned


POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: c:1\n"


def test_a_file_edited_during_the_scan_does_not_file_its_result(system, monkeypatch):
    from scanner import parse as parsers

    pod = system / "app" / "pod.yaml"
    pod.write_text(POD)
    privileged = POD + "      securityContext: {privileged: true}\n"
    real = parsers.parse_all

    def edit_then_parse(files, options, **kwargs):
        pod.write_text(privileged)  # after the key was taken from the file as it was
        return real(files, options, **kwargs)

    monkeypatch.setattr("scanner.parse.parse_all", edit_then_parse)
    edited = api.scan(["app"], only=["RG-K8S-002"])
    assert [f.resource for f in edited.findings] == ["k8s:core/Pod/default/p"]
    monkeypatch.setattr("scanner.parse.parse_all", real)
    pod.write_text(POD)  # the bytes the first scan was keyed by
    again = api.scan(["app"], only=["RG-K8S-002"])
    assert not _from_store(again)
    assert again.findings == ()
