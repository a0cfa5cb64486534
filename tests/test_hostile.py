"""Hostile inputs: each yields a diagnostic naming the file, the rest of the scan completes, in bounded time and memory."""

from __future__ import annotations

import builtins
import contextlib
import os
import textwrap
import threading
import time
import tracemalloc

import pytest

from scanner.api import load, scan
from scanner.model import Unknown, is_unknown
from scanner.policy.loader import PolicyError, load_policies

MAX_SECONDS = 10.0
MAX_PEAK_BYTES = 200 * 1024 * 1024

SIBLING_TF = textwrap.dedent("""\
    resource "aws_security_group" "ssh" {
      name = "ssh"
      ingress {
        from_port   = 22
        to_port     = 22
        protocol    = "tcp"
        cidr_blocks = ["0.0.0.0/0"]
      }
    }
    """)
SIBLING_K8S = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: root-pod
    spec:
      containers:
        - name: app
          image: app:1.0
          securityContext:
            privileged: true
    """)
K8S_HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"
# What the siblings must still yield: (policy, resource, file, line).
EXPECTED_SIBLING = [
    ("RG-AWS-001", "aws_security_group.ssh", "ok/main.tf", 7),
    ("RG-K8S-002", "k8s:core/Pod/default/root-pod", "ok/pod.yaml", 10),
]


@pytest.fixture(scope="module")
def policies():
    return [p for p in load_policies() if p.id in ("RG-AWS-001", "RG-K8S-002")]


def _tree(tmp_path, files):
    """Write the sibling files plus ``files`` (relative path -> str or bytes) under tmp_path/scan."""
    root = tmp_path / "scan"
    (root / "ok").mkdir(parents=True)
    (root / "ok" / "main.tf").write_text(SIBLING_TF)
    (root / "ok" / "pod.yaml").write_text(SIBLING_K8S)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def _bounded_scan(root, policies):
    """Scan ``root``; assert it finished in bounded time and memory and that the siblings were judged."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = scan([str(root)], policies=policies, base=str(root))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"scan took {elapsed:.1f} s"
    assert peak < MAX_PEAK_BYTES, f"scan peaked at {peak / 1e6:.0f} MB"
    got = sorted((f.policy_id, f.resource, f.location.path, f.location.start_line)
                 for f in report.findings)
    assert got == EXPECTED_SIBLING, [str(d) for d in report.diagnostics]
    return report


def _diagnostics(report, path):
    return {(d.code, d.line) for d in report.diagnostics if d.path == path}


def _codes(report, path):
    return {d.code for d in report.diagnostics if d.path == path}


def test_yaml_alias_bomb(tmp_path, policies):
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}",
             "a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    for n in range(ord("b"), ord("k")):
        prev = chr(n - 1)
        lines.append(f"{chr(n)}: &{chr(n)} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("data: {x: *j}")
    root = _tree(tmp_path, {"bomb.yaml": "\n".join(lines) + "\n"})
    report = _bounded_scan(root, policies)
    assert any(code == "yaml-syntax" for code, _ in _diagnostics(report, "bomb.yaml"))
    (msg,) = [d.message for d in report.diagnostics if d.path == "bomb.yaml"]
    assert "alias bomb" in msg


def test_yaml_nested_10000_levels(tmp_path, policies):
    depth = 10_000
    text = K8S_HEAD.format(name="deep") + "data: " + "[" * depth + "]" * depth + "\n"
    root = _tree(tmp_path, {"deep.yaml": text})
    report = _bounded_scan(root, policies)
    assert ("yaml-syntax", 4) in _diagnostics(report, "deep.yaml")


def test_yaml_nested_mappings_10000_levels(tmp_path, policies):
    depth = 10_000
    text = K8S_HEAD.format(name="deep") + "data: " + "{a: " * depth + "1" + "}" * depth + "\n"
    root = _tree(tmp_path, {"deep.yaml": text})
    report = _bounded_scan(root, policies)
    assert ("yaml-syntax", 4) in _diagnostics(report, "deep.yaml")


def test_hcl_nested_10000_levels(tmp_path, policies):
    depth = 10_000
    text = 'resource "aws_s3_bucket" "deep" {\n  tags = ' + "[" * depth + "1" + "]" * depth + "\n}\n"
    root = _tree(tmp_path, {"deep/main.tf": text})
    report = _bounded_scan(root, policies)
    assert _diagnostics(report, "deep/main.tf") == {("hcl-too-deep", 1)}


def test_hcl_nested_blocks_10000_levels(tmp_path, policies):
    depth = 10_000
    text = 'resource "aws_s3_bucket" "deep" {\n' + "a {\n" * depth + "}\n" * depth + "}\n"
    root = _tree(tmp_path, {"deep/main.tf": text})
    report = _bounded_scan(root, policies)
    assert _diagnostics(report, "deep/main.tf") == {("hcl-too-deep", 1)}


def test_plan_json_nested_10000_levels(tmp_path, policies):
    depth = 10_000
    text = '{"format_version": "1.2", "planned_values": ' + '{"a": ' * depth + "1" + "}" * depth + "}\n"
    root = _tree(tmp_path, {"plan.json": text})
    report = _bounded_scan(root, policies)
    assert _diagnostics(report, "plan.json") == {("json-syntax", 1)}
    (msg,) = [d.message for d in report.diagnostics if d.path == "plan.json"]
    assert "too deeply" in msg


def test_json_string_nested_100000_levels_in_a_resource(tmp_path):
    """A JSON document too deep to decode (a policy, an EMR configuration, a secret value) is one that
    cannot be read, as one that is not JSON: the file and its other resources are still scanned."""
    deep = "[" * 100_000
    text = textwrap.dedent(f"""\
        resource "aws_iam_policy" "deep" {{
          policy = "{deep}"
        }}
        resource "aws_emr_security_configuration" "deep" {{
          configuration = "{deep}"
        }}
        resource "aws_secretsmanager_secret_version" "deep" {{
          secret_string = "{deep}"
        }}
        resource "aws_s3_bucket" "beside" {{
          bucket = "beside"
        }}
        """)
    (tmp_path / "main.tf").write_text(text)
    loaded = load([str(tmp_path)], base=str(tmp_path))
    assert [str(d) for d in loaded.diagnostics] == []
    found = {r.address: r for r in loaded.resources}
    assert sorted(found) == ["aws_emr_security_configuration.deep", "aws_iam_policy.deep",
                             "aws_s3_bucket.beside", "aws_secretsmanager_secret_version.deep"]
    assert "$policy" not in found["aws_iam_policy.deep"].attributes
    assert is_unknown(found["aws_emr_security_configuration.deep"].attributes["$configuration"])
    assert "$secret_keys" not in found["aws_secretsmanager_secret_version.deep"].attributes


def test_file_of_50_megabytes(tmp_path, policies):
    root = _tree(tmp_path, {})
    block = ('resource "aws_s3_bucket" "b" {\n  bucket = "' + "x" * 990 + '"\n}\n').encode()
    with open(root / "huge.tf", "wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            handle.write(block)
    assert os.path.getsize(root / "huge.tf") >= 50 * 1024 * 1024
    report = _bounded_scan(root, policies)
    assert _codes(report, "huge.tf") == {"file-too-large"}


def test_binary_file_named_tf(tmp_path, policies):
    root = _tree(tmp_path, {"bin/main.tf": bytes(range(256)) * 64})
    report = _bounded_scan(root, policies)
    assert _codes(report, "bin/main.tf") == {"binary-file"}


def _garbled_hcl(size: int) -> bytes:
    """HCL punctuation in random order: tree-sitter's error recovery is slow on it (5 MB: ~19 s)."""
    import random

    rng = random.Random(1)
    alphabet = b'{}[]()"=\n abcxyz$.:,#/*<>?!%'
    return bytes(rng.choice(alphabet) for _ in range(size))


def test_garbled_tf_gets_a_time_budget(tmp_path, policies, monkeypatch):
    from scanner.formats.terraform import syntax

    monkeypatch.setattr(syntax, "PARSE_BUDGET_BASE", 0.2)  # the real budget: 2 s + 1 s per MB
    monkeypatch.setattr(syntax, "PARSE_BUDGET_PER_MB", 0.0)
    root = _tree(tmp_path, {"garbled/main.tf": _garbled_hcl(600_000)})  # ~2.5 s without a budget
    started = time.process_time()     # CPU, not wall time: a loaded machine must not fail this
    report = _bounded_scan(root, policies)
    assert time.process_time() - started < 2.0
    assert _diagnostics(report, "garbled/main.tf") == {("hcl-timeout", 1)}


def test_a_timed_out_parse_is_not_cached(tmp_path, monkeypatch):
    from scanner import cache
    from scanner.formats.terraform import syntax

    monkeypatch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RISKGRAPH_NO_CACHE", raising=False)
    root = _tree(tmp_path, {"garbled/main.tf": _garbled_hcl(600_000)})
    monkeypatch.setattr(syntax, "PARSE_BUDGET_BASE", 0.2)
    monkeypatch.setattr(syntax, "PARSE_BUDGET_PER_MB", 0.0)
    cut = scan([str(root)], only=["RG-AWS-001"], base=str(root))
    assert ("hcl-timeout", 1) in _diagnostics(cut, "garbled/main.tf")
    monkeypatch.setattr(syntax, "PARSE_BUDGET_BASE", 60.0)  # a faster machine, say: parsed in full
    whole = scan([str(root)], only=["RG-AWS-001"], base=str(root))
    assert "result_cache" not in whole.stats["seconds"]  # the cut report was not stored either
    assert _codes(whole, "garbled/main.tf") == {"hcl-syntax"}
    assert cache.DB_NAME in os.listdir(tmp_path / "cache")


@pytest.mark.parametrize("name,payload", [
    ("bad/main.tf", b'resource "aws_s3_bucket" "b" {\n  bucket = "caf\xe9"\n}\n'),
    ("bad.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n"),
])
def test_invalid_utf8(tmp_path, policies, name, payload):
    root = _tree(tmp_path, {name: payload})
    report = _bounded_scan(root, policies)
    assert _diagnostics(report, name) == {("invalid-utf8", 2 if name.endswith(".tf") else 3)}


def test_symlink_loop(tmp_path, policies):
    root = _tree(tmp_path, {"sub/x.txt": "x"})
    os.symlink("..", root / "sub" / "loop")
    os.symlink("self.tf", root / "self.tf")
    report = _bounded_scan(root, policies)
    assert _codes(report, "sub/loop") == {"link-loop"}
    assert _codes(report, "self.tf") == {"link-loop"}


def test_symlink_outside_root(tmp_path, policies):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tf").write_text(SIBLING_TF.replace('"ssh"', '"outside"'))
    root = _tree(tmp_path, {})
    os.symlink(outside, root / "linked-dir")
    os.symlink(outside / "secret.tf", root / "linked.tf")
    report = _bounded_scan(root, policies)
    assert _codes(report, "linked-dir") == {"link-outside-root"}
    assert _codes(report, "linked.tf") == {"link-outside-root"}


def test_fifo_named_tf_does_not_hang(tmp_path, policies):
    root = _tree(tmp_path, {})
    pipes = [root / "pipe.yaml", root / "ok" / "pipe.tf"]  # beside main.tf: the module loader lists ok/
    for pipe in pipes:
        os.mkfifo(pipe)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(_bounded_scan(root, policies)), daemon=True)
    worker.start()
    worker.join(MAX_SECONDS)
    if worker.is_alive():  # a reader is blocked on a pipe: give it end-of-file so the thread ends
        for pipe in pipes:
            with contextlib.suppress(OSError):
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(MAX_SECONDS)
        pytest.fail("the scan blocked reading a named pipe")
    (report,) = done
    assert _codes(report, "pipe.yaml") == {"not-a-file"}
    assert _codes(report, "ok/pipe.tf") == {"not-a-file"}


UNREADABLE = {
    "locked/main.tf": SIBLING_TF.replace('"ssh"', '"locked"'),
    "locked.yaml": SIBLING_K8S.replace("root-pod", "locked"),
    "architecture.yaml": "components:\n  - {id: api, type: api}\n",
    "plan.json": '{"format_version": "1.2", "planned_values": {"root_module": {}}}\n',
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_file(tmp_path, policies, monkeypatch, name):
    content = UNREADABLE[name]
    root = _tree(tmp_path, {name: content})
    target = str(root / name)
    os.chmod(target, 0)
    if os.geteuid() == 0:  # root reads through chmod 000: refuse the open the way the kernel would
        real_open = builtins.open

        def guarded_open(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(file) == target:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", guarded_open)
    try:
        report = _bounded_scan(root, policies)
    finally:
        os.chmod(target, 0o644)
    assert _codes(report, name) == {"unreadable"}
    (msg,) = [d.message for d in report.diagnostics if d.path == name]
    assert "Permission denied" in msg


def test_module_that_includes_itself(tmp_path, policies):
    loop = textwrap.dedent("""\
        module "again" {
          source = "./"
        }

        resource "aws_s3_bucket" "b" {
          bucket = "b"
        }
        """)
    pair_a = 'module "b" {\n  source = "../b"\n}\n'
    pair_b = 'module "a" {\n  source = "../a"\n}\n'
    root = _tree(tmp_path, {"selfmod/main.tf": loop, "pair/a/main.tf": pair_a,
                            "pair/b/main.tf": pair_b, "pair/root/main.tf": pair_b})
    report = _bounded_scan(root, policies)
    assert _diagnostics(report, "selfmod/main.tf") == {("module-cycle", 1)}
    assert _diagnostics(report, "pair/b/main.tf") == {("module-cycle", 1)}


POLICY_TEMPLATE = textwrap.dedent("""\
    id: {id}
    title: Bucket names must be sane
    severity: low
    description: A test policy.
    remediation: Rename the bucket.
    resource: [aws_s3_bucket]
    condition:
      all:
        - {{path: tags.Owner, exists: true}}
        - {{path: bucket, matches: '{regex}'}}
    """)


@pytest.mark.parametrize("regex,why", [
    ("([a-z", "invalid regular expression"),
    ("^(?!prod-)x", "lookahead and lookbehind"),
    ("(a)\\1", "backreferences"),
])
def test_policy_with_bad_regex_is_refused(tmp_path, regex, why):
    folder = tmp_path / "policies"
    folder.mkdir()
    path = folder / "RG-TST-001.yaml"
    path.write_text(POLICY_TEMPLATE.format(id="RG-TST-001", regex=regex))
    started = time.perf_counter()
    with pytest.raises(PolicyError) as caught:
        load_policies([str(folder)], builtin=False)
    assert time.perf_counter() - started < MAX_SECONDS
    err = caught.value
    assert err.file == str(path)
    assert err.where == "condition.all[1].matches"
    assert err.line == 10
    assert why in err.message


# Patterns that backtrack for minutes in Python's `re`; the policy engine runs them on RE2.
@pytest.mark.parametrize("regex", ["x*x*x*x*y", "(x+)(x+)(x+)y", "(a+)+$", "(x*)*y", "(a|aa)+$"])
@pytest.mark.parametrize("size", [120_000, 360_000])
def test_backtracking_policy_regex_over_a_huge_value_is_bounded(tmp_path, regex, size):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "RG-TST-001.yaml").write_text(POLICY_TEMPLATE.format(id="RG-TST-001", regex=regex))
    (loaded,) = load_policies([str(folder)], builtin=False)
    root = tmp_path / "scan"
    root.mkdir()
    (root / "main.tf").write_text(
        f'resource "aws_s3_bucket" "b" {{\n  bucket = "{"x" * size}"\n  tags = {{ Owner = "me" }}\n}}\n')
    started = time.perf_counter()
    report = scan([str(root)], policies=[loaded], base=str(root))
    assert time.perf_counter() - started < 2.0
    assert [f.resource for f in report.findings] == []  # no pattern occurs in the x's


# Strings that took the old secret patterns 17 s (120 KB) and 134 s (360 KB): quadratic scans.
@pytest.mark.parametrize("make", [
    lambda n: "a" * n, lambda n: "a:" * (n // 2), lambda n: "aws_secret_key=" * (n // 15),
    lambda n: "eyJ" * (n // 3), lambda n: "-----BEGIN " * (n // 11), lambda n: "?sig=" + "A" * n,
    lambda n: "postgres://" + "u" * n, lambda n: "AccountKey=" * (n // 11),
])
@pytest.mark.parametrize("size", [120_000, 360_000])
def test_secret_patterns_over_a_huge_string_are_bounded(make, size):
    from scanner.credentials import find
    from scanner.secrets import credential_kind, mask_in_text
    text = make(size)
    started = time.perf_counter()
    kind = credential_kind(text)
    masked = mask_in_text(text, ())
    found = find({"user_data": text})  # formats, JSON, assignments in text
    assert time.perf_counter() - started < 2.0
    # only the long `?sig=` run has a credential's shape (an Azure SAS signature); the rest hold none
    sas = text.startswith("?sig=")
    assert kind == ("Azure shared access signature" if sas else "")
    assert (masked == text) is not sas
    assert [(c.at, c.kind) for c in found] == ([("user_data", "Azure shared access signature")] if sas else [])


# Many matches in text that is not ASCII: offsets are converted once per byte, not per match.
@pytest.mark.parametrize("size", [120_000, 360_000])
def test_many_assignments_in_non_ascii_text_are_bounded(size):
    from scanner.credentials import assignments
    from scanner.secrets import mask_in_text
    line = "é password=Hunter-2x AKIAIOSFODNN7EXAMPLQ\n"
    text = line * (size // len(line))
    started = time.perf_counter()
    found = list(assignments(text))
    masked = mask_in_text(text, ())
    assert time.perf_counter() - started < 2.0
    assert len(found) == size // len(line) and "IOSFODNN7EXAMPLQ" not in masked
    assert set(found) == {("password", "Hunter-2x")}  # offsets past the é still cut name and value right


# Terraform's regex() runs patterns written in the scanned code: on RE2, as Terraform does.
def test_terraform_regex_function_cannot_hang_the_scan(tmp_path):
    root = tmp_path / "scan"
    root.mkdir()
    (root / "main.tf").write_text(textwrap.dedent(f"""\
        locals {{
          slow   = regex("(x+)(x+)(x+)y", "{"x" * 50_000}")
          groups = regex("^(?P<env>[a-z]+)-(?P<n>[0-9]+)$", "prod-42")
        }}
        resource "aws_s3_bucket" "b" {{
          bucket = "b-${{local.groups.env}}-${{local.groups.n}}"
          tags   = {{ Slow = local.slow }}
        }}
        """))
    started = time.perf_counter()
    report = scan([str(root)], only=["RG-AWS-001"], base=str(root))
    assert time.perf_counter() - started < 2.0
    assert report.stats["resources"] == 1
    from scanner.api import load_graph
    bucket = load_graph([str(root)]).nodes["aws_s3_bucket.b"]["resource"]
    assert bucket.attributes["bucket"] == "b-prod-42"
    assert isinstance(bucket.attributes["tags"]["Slow"], Unknown)  # no match: unknown, not guessed


# The Helm-template sniff read every YAML file with `re`: a line of 80 KB of `{{ x` took 153 s.
@pytest.mark.parametrize("size", [120_000, 360_000])
def test_helm_sniff_over_a_hostile_line_is_bounded(tmp_path, size, policies):
    text = K8S_HEAD.format(name="braces") + "data:\n  x: '" + "{{ x" * (size // 4) + "'\n"
    root = _tree(tmp_path, {"braces.yaml": text})
    _bounded_scan(root, policies)
