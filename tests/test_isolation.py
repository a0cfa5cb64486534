"""The scan stays in its lane: no network, no writes outside its cache and output, nothing from scanned files executed.

The CLI runs in a child process under a :func:`sys.addaudithook` hook that
records every file opened for writing, every process spawned, every socket
touched and every code object compiled or executed, so the assertions see
what the interpreter itself saw (an audit hook cannot be removed, hence the
child process).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT, SYSTEMS
from scanner.api import scan

AUDITED_RUN = textwrap.dedent(r"""
    import importlib, json, os, sys
    # One JSON line per event, written straight to a descriptor opened before the hook:
    # forked children (scanner/parallel.py) inherit it, so their events are logged too.
    LOG = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def note(kind, detail):
        os.write(LOG, (json.dumps([kind, detail, os.getpid()]) + "\n").encode())

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (mode is None and isinstance(flags, int) and flags & WRITE_FLAGS)
            if isinstance(path, (str, bytes)):
                note("write" if writing else "read", os.fsdecode(path))
        elif event == "sqlite3.connect":  # the parse cache's database (its writes are in C)
            note("write", os.fsdecode(args[0]))
        elif event in ("os.rename", "os.replace", "os.link", "os.symlink"):
            note("write", os.fsdecode(args[1]))
        elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.truncate", "os.chmod", "os.chown"):
            if isinstance(args[0], (str, bytes)):
                note("write", os.fsdecode(args[0]))
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                       "os.fork", "os.forkpty", "pty.spawn", "ctypes.dlopen"):
            note("spawn", event + " " + repr(args)[:200])
        elif event.startswith("socket."):
            note("network", event)
        elif event == "exec":
            note("exec", getattr(args[0], "co_filename", "?"))
        elif event == "compile":
            note("compile", str(args[1]))

    sys.addaudithook(hook)
    if os.environ.get("AUDIT_FORK_ALWAYS"):  # fork even for a small tree
        importlib.import_module("scanner.parse").PARALLEL_MIN_COST = 0
        importlib.import_module("scanner.policy.evaluate").PARALLEL_MIN_NODES = 0
    from scanner.cli import main
    code = main(sys.argv[2:])
    note("exit", code)
""")


def _audited_scan(tmp_path, scan_root, *extra, fork=False):
    """Run ``riskgraph scan`` audited; return (exit code, events, cache dir, output path, process).

    Events are ``[kind, detail, pid]``; with ``fork`` the scan parses and
    evaluates in forked children however small the tree.
    """
    cache = tmp_path / "cache"
    out = tmp_path / "out" / "report.sarif"
    out.parent.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "audit.jsonl"
    env = dict(os.environ, PYTHONPATH=ROOT, RISKGRAPH_CACHE_DIR=str(cache), HOME=str(home),
               XDG_CACHE_HOME=str(home / ".cache"), TMPDIR=str(tmp_path / "tmp"))
    env.pop("RISKGRAPH_NO_CACHE", None)
    if fork:
        env.update(AUDIT_FORK_ALWAYS="1", RISKGRAPH_JOBS="2")
    os.makedirs(env["TMPDIR"])
    proc = subprocess.run([sys.executable, "-c", AUDITED_RUN, str(log), "scan", str(scan_root),
                           "--format", "sarif", "--output", str(out), *extra],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert log.exists(), proc.stderr
    with open(log, encoding="utf-8") as handle:
        events = [json.loads(line) for line in handle]
    exits = [e[1] for e in events if e[0] == "exit"]
    assert len(exits) == 1, proc.stderr
    events = [e for e in events if e[0] != "exit" and e[1] != str(log)]
    return exits[0], events, str(cache), str(out), proc


def _temporary_of(path, out):
    """The temporary file a report is written to beside ``out`` before the rename (scanner/output.py)."""
    prefix = os.path.join(os.path.dirname(out), "." + os.path.basename(out) + ".")
    return path.startswith(prefix) and path.endswith(".tmp")


def _snapshot(root):
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            found[os.path.relpath(path, root)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def _copy_system(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(os.path.join(SYSTEMS, "solar-booking"), repo, symlinks=True)
    return repo


def test_scan_succeeds_with_sockets_disabled(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network use attempted: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "socketpair", refuse)
    root = os.path.join(SYSTEMS, "solar-booking")
    report = scan([root], base=root)
    got = {(f.policy_id, f.resource) for f in report.findings}
    assert ("RG-AWS-002", "aws_db_instance.customers") in got
    assert ("RG-K8S-002", "k8s:apps/Deployment/booking/api") in got


def test_cli_writes_only_its_cache_and_output(tmp_path):
    repo = _copy_system(tmp_path)
    before = _snapshot(repo)
    code, events, cache, out, proc = _audited_scan(tmp_path, repo)
    assert code == 1, proc.stderr
    assert _snapshot(repo) == before
    writes = sorted({path for kind, path, _ in events if kind == "write"})
    assert out in writes, "the audit hook did not see the report being written"
    assert [w for w in writes if not (w in (out, cache) or w.startswith(cache + os.sep)
                                      or _temporary_of(w, out))] == []
    assert os.path.isfile(out) and os.listdir(os.path.dirname(out)) == ["report.sarif"]
    leftovers = sorted(p for p in os.listdir(tmp_path) if p not in
                       ("repo", "cache", "out", "work", "home", "tmp", "audit.jsonl"))
    assert leftovers == []
    assert os.listdir(tmp_path / "work") == [] and os.listdir(tmp_path / "home") == []
    assert os.listdir(tmp_path / "tmp") == []


def test_cli_opens_no_socket_and_spawns_nothing(tmp_path):
    repo = _copy_system(tmp_path)
    code, events, _, _, proc = _audited_scan(tmp_path, repo)
    assert code == 1, proc.stderr
    assert [e for e in events if e[0] in ("network", "spawn")] == []


def test_forked_children_are_audited_and_fork_is_the_only_spawn(tmp_path):
    repo = _copy_system(tmp_path)
    code, events, cache, out, proc = _audited_scan(tmp_path, repo, fork=True)
    assert code == 1, proc.stderr
    spawns = [e for e in events if e[0] == "spawn"]
    assert len(spawns) == 2  # one child for parsing, one for evaluation
    assert all(e[1].startswith("os.fork ") for e in spawns)  # a copy of riskgraph, nothing executed
    main_pid = spawns[0][2]
    children = {pid for _, _, pid in events} - {main_pid}
    assert 1 <= len(children) <= 2, "the parsing child's reads were not logged"
    assert [e for e in events if e[0] == "network"] == []
    child_writes = [e for e in events if e[2] in children and e[0] == "write"
                    and not (e[1] == cache or e[1].startswith(cache + os.sep))]
    assert child_writes == []
    writes = sorted({path for kind, path, _ in events if kind == "write"})
    assert [w for w in writes if not (w in (out, cache) or w.startswith(cache + os.sep)
                                      or _temporary_of(w, out))] == []


HOSTILE_TF = textwrap.dedent("""\
    resource "null_resource" "run" {
      provisioner "local-exec" {
        command = "touch {marker}-local-exec"
      }
    }

    data "external" "probe" {
      program = ["sh", "-c", "touch {marker}-external; echo '{}'"]
    }

    locals {
      read = file("{marker}-never-there")
      tpl  = templatefile("x.tpl", { cmd = "touch {marker}-template" })
    }

    resource "aws_s3_bucket" "b" {
      bucket = "${data.external.probe.result.name}"
    }
    """)
HOSTILE_YAML = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: evil
    data:
      a: !!python/object/apply:os.system ["touch {marker}-yaml-apply"]
      b: !!python/object/new:subprocess.Popen [["touch", "{marker}-yaml-new"]]
      c: !!python/name:os.system
    """)
HOSTILE_ARCH = textwrap.dedent("""\
    version: 1
    name: evil
    zones:
      - {id: z, trust: 1}
    components:
      - id: c
        type: api
        zone: z
        description: !!python/object/apply:os.system ["touch {marker}-arch"]
    """)


@pytest.mark.parametrize("fork", [False, True], ids=["one process", "forked"])
def test_nothing_from_scanned_files_is_executed(tmp_path, fork):
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    marker = str(tmp_path / "MARKER")
    (repo / "infra" / "main.tf").write_text(HOSTILE_TF.replace("{marker}", marker))
    (repo / "infra" / "terraform.tfvars").write_text(f'x = "$(touch {marker}-tfvars)"\n')
    (repo / "k8s.yaml").write_text(HOSTILE_YAML.replace("{marker}", marker))
    (repo / "architecture.yaml").write_text(HOSTILE_ARCH.replace("{marker}", marker))
    code, events, _, _, proc = _audited_scan(tmp_path, repo, fork=fork)
    assert code in (0, 1, 3), proc.stderr  # 3: the hostile files are refused, so incomplete
    assert [p for p in os.listdir(tmp_path) if p.startswith("MARKER")] == []
    assert [e for e in events if e[0] == "network"] == []
    assert [e for e in events if e[0] == "spawn" and not (fork and e[1].startswith("os.fork "))] == []
    foreign = [e for e in events if e[0] in ("exec", "compile") and e[1].startswith(str(repo))]
    assert foreign == []


def test_yaml_python_tags_are_plain_data(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "k8s.yaml").write_text(HOSTILE_YAML.replace("{marker}", str(tmp_path / "MARKER")))
    report = scan([str(repo)], base=str(repo))
    assert [p for p in os.listdir(tmp_path) if p.startswith("MARKER")] == []
    assert not [d for d in report.diagnostics if d.code == "parser-crash"]
