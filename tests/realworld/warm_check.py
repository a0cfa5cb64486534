"""Caches on real code: each pinned repository parsed with the caches storing, again reusing them, and cold.

    python tests/realworld/warm_check.py [--mirror DIR] [--work DIR] [--source DIR] [--only NAME ...]

The parse cache and the Terraform roots reused across scans (docs/design.md, "Incremental scans")
must give what a scan with every cache off gives: the same resources (addresses, attributes, lines,
references) and the same diagnostics, in the same order. `tests/test_warm_equals_cold.py` proves it
on a generated corpus; this proves it on the harness's repositories. Each repository runs in a
process of its own with the code of ``--source`` and a fresh cache directory; the stored whole-scan
result is not involved (it returns a stored report only when nothing changed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
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
    args = ap.parse_args(argv)
    repos = selected(args.only)
    failed = resources = hits = 0
    for repo in repos:
        root, _ = materialise(repo, args.work, args.mirror)
        result = check(repo.paths, root, args.source.resolve())
        resources += result["resources"]
        hits += result["hits"]
        for problem in result["problems"]:
            print(f"{repo.name}: {problem}")
        failed += bool(result["problems"])
    print(f"{len(repos)} repositories, {resources} resources, {hits} cache hits on the reusing pass; "
          f"{failed} differ from a cold scan")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
