"""Caches on real code: each pinned repository parsed with the caches storing, again reusing them, and cold.

    python tests/realworld/warm_check.py [--mirror DIR] [--work DIR] [--source DIR] [--only NAME ...]

The parse cache and the Terraform roots reused across scans (docs/design.md, "Incremental scans")
must give what a scan with every cache off gives: the same resources (addresses, attributes, lines,
references) and the same diagnostics, in the same order. `tests/test_warm_equals_cold.py` proves it
on a generated corpus; this proves it on the harness's repositories. Each repository runs in a
process of its own with the code of ``--source`` and a fresh cache directory; the stored whole-scan
result is not involved (it returns a stored report only when nothing changed).

With ``--edits N`` it then edits values the way a developer does, in a copy of each repository with
Terraform code: N times a random ``key = literal`` line of a random `.tf` file gets another literal
(a number plus one, a boolean flipped, a string changed). After each edit a scan with the caches on
(which may take the incremental path, scanner/incremental.py) must give the JSON report of a scan
with every cache off, byte for byte; the summary says how many edits took the incremental path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from checkout import add_arguments, materialise, selected  # noqa: E402

# Run in the child: three loads of the same paths, then what differs.
CHILD = r"""
import json, os, sys
from scanner import api
from scanner.cache import ParseCache, active
paths, cache_dir = json.loads(sys.argv[1]), sys.argv[2]
os.environ.pop("RISKGRAPH_NO_CACHE", None)
os.environ["RISKGRAPH_CACHE_DIR"] = cache_dir
stored = api.load(paths, base=".")
store = ParseCache(cache_dir)
with active(store):
    reused = api.load(paths, base=".")
os.environ["RISKGRAPH_NO_CACHE"] = "1"
cold = api.load(paths, base=".")
def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"item {i}: {getattr(x, 'address', x)!s:.200} vs {getattr(y, 'address', y)!s:.200}"
    return f"lengths {len(a)} and {len(b)}" if len(a) != len(b) else ""
out = {"resources": len(cold.resources), "hits": store.hits, "problems": []}
for name, run in (("stored", stored), ("reused", reused)):
    for what in ("resources", "diagnostics"):
        diff = first_difference(list(getattr(run, what)), list(getattr(cold, what)))
        if diff:
            out["problems"].append(f"{name} {what}: {diff}")
print(json.dumps(out))
"""


# Run in the child: a scan storing its state, then edits, each scanned warm and cold.
EDITS = r"""
import json, os, random, re, sys
from scanner import api
from scanner.report import render
paths, cache_dir, count, seed = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.environ["RISKGRAPH_CACHE_DIR"] = cache_dir
why = []
def scan(cached):
    if cached:
        os.environ.pop("RISKGRAPH_NO_CACHE", None)
    else:
        os.environ["RISKGRAPH_NO_CACHE"] = "1"
    why.clear()
    report = api.scan(paths, base=".", progress=lambda message: why.append(message))
    data = json.loads(render(report, "json"))
    data.get("stats", {}).pop("seconds", None)
    return "incremental" in report.stats.get("seconds", {}), json.dumps(data, sort_keys=True)
LINE = re.compile(r'^(\s*[A-Za-z_][A-Za-z0-9_-]*\s*=\s*)(true|false|-?[0-9]+|"[A-Za-z0-9 ._/:-]*")(\s*)$')
files = sorted(os.path.join(d, n) for p in paths for d, dirs, names in os.walk(p)
               if ".terraform" not in d.split(os.sep) for n in names if n.endswith(".tf"))
rng = random.Random(seed)
scan(True)
out = {"edits": 0, "incremental": 0, "problems": [], "full": []}
for step in range(count):
    for _ in range(30):
        path = rng.choice(files) if files else None
        if path is None:
            break
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().split("\n")
        spots = [i for i, line in enumerate(lines) if LINE.match(line)]
        if spots:
            break
    else:
        break
    if path is None:
        break
    i = rng.choice(spots)
    head, value, tail = LINE.match(lines[i]).groups()
    if value in ("true", "false"):
        new = "false" if value == "true" else "true"
    elif value.startswith('"'):
        new = value[:-1] + "x" + '"'
    else:
        new = str(int(value) + 1)
    lines[i] = head + new + tail
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("\n".join(lines))
    took, warm = scan(True)
    out["full"].append(next((m.split(": ", 1)[1] for m in why if m.startswith("scanning in full: ")), ""))
    _, cold = scan(False)
    out["edits"] += 1
    out["incremental"] += took
    if warm != cold:
        out["problems"].append(f"after {os.path.relpath(path)}:{i + 1} {value} -> {new}: the warm scan "
                               f"({'incremental' if took else 'full'}) differs from the cold one")
print(json.dumps(out))
"""


def edit_check(paths: tuple[str, ...], root: Path, source: Path, count: int, seed: int) -> dict:
    """``count`` value edits in a copy of ``root``: each scanned warm and cold, compared."""
    with tempfile.TemporaryDirectory(prefix="riskgraph-edits-") as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        env = dict(os.environ, PYTHONPATH=str(source))
        proc = subprocess.run([sys.executable, "-c", EDITS, json.dumps(list(paths)), str(Path(scratch) / "cache"),
                               str(count), str(seed)], cwd=copy, env=env, capture_output=True, text=True,
                              timeout=3600)
    if proc.returncode != 0:
        return {"problems": [f"crashed: {proc.stderr[-2000:]}"], "edits": 0, "incremental": 0, "full": []}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check(paths: tuple[str, ...], root: Path, source: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="riskgraph-warm-") as cache_dir:
        env = dict(os.environ, PYTHONPATH=str(source))
        proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(list(paths)), cache_dir], cwd=root,
                              env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return {"problems": [f"crashed: {proc.stderr[-2000:]}"], "resources": 0, "hits": 0}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap, PROJECT)
    ap.add_argument("--edits", type=int, default=0,
                    help="then this many random value edits per repository with Terraform code (in a copy)")
    ap.add_argument("--why", action="store_true", help="with --edits: say why each edit not taken incrementally was not")
    args = ap.parse_args(argv)
    repos = selected(args.only)
    failed = resources = hits = edits = incremental = edited_failed = 0
    for repo in repos:
        root, _ = materialise(repo, args.work, args.mirror)
        result = check(repo.paths, root, args.source.resolve())
        resources += result["resources"]
        hits += result["hits"]
        for problem in result["problems"]:
            print(f"{repo.name}: {problem}")
        failed += bool(result["problems"])
        if args.edits and repo.kind in ("terraform", "mixed"):
            done = edit_check(repo.paths, root, args.source.resolve(), args.edits, zlib.crc32(repo.name.encode()))
            edits += done["edits"]
            incremental += done["incremental"]
            for problem in done["problems"]:
                print(f"{repo.name}: {problem}")
            edited_failed += bool(done["problems"])
            if args.why:
                for reason in done["full"]:
                    if reason:
                        print(f"{repo.name}: in full: {reason}")
    print(f"{len(repos)} repositories, {resources} resources, {hits} cache hits on the reusing pass; "
          f"{failed} differ from a cold scan")
    if args.edits:
        print(f"{edits} value edits, {incremental} taken incrementally; after {edited_failed} "
              f"repositories' edits a warm scan differs from a cold one")
    return 1 if failed or edited_failed else 0


if __name__ == "__main__":
    sys.exit(main())
