"""Edges of the joined graph of pinned public repositories: counts by kind, and the edges that cross layers.

    python tests/realworld/edges.py [--work DIR] [--only NAME ...] [--kinds assumes,runs_on,accesses] [--list]

Loads each checked-out repository's graph as `riskgraph scan` would (from the
repository root, its repos.yaml paths) through `scanner.api.load_graph`, and
prints per repository the edge count of every kind, how many edges join a
Kubernetes object to a cloud resource (or any two layers), and with `--list`
the edges of the chosen kinds. Run run.py first: it materialises the checkouts.
Never collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))
from checkout import load_repos  # noqa: E402


def layer(graph, node: str) -> str:
    data = graph.nodes[node]
    r = data.get("resource")
    if r is None:
        return "outside"          # internet, anyone
    return getattr(r.kind, "value", str(r.kind))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/work/rwh", help="the harness work directory (holds checkouts/)")
    parser.add_argument("--only", nargs="*", default=[], help="substrings of repository names")
    parser.add_argument("--kinds", default="assumes,runs_on,accesses", help="edge kinds to list with --list")
    parser.add_argument("--list", action="store_true", help="print the edges of --kinds")
    args = parser.parse_args(argv)
    from scanner.api import load_graph

    kinds = set(args.kinds.split(","))
    for repo in load_repos():
        if args.only and not any(s in repo.name for s in args.only):
            continue
        root = Path(args.work) / "checkouts" / f"{repo.slug}@{repo.commit[:12]}"
        if not root.is_dir():
            print(f"{repo.name}: not checked out under {root.parent}")
            continue
        cwd = os.getcwd()
        os.chdir(root)
        try:
            start = time.perf_counter()
            graph = load_graph(list(repo.paths))
            took = time.perf_counter() - start
        finally:
            os.chdir(cwd)
        by_kind = Counter(k for _, _, k in graph.edges(keys=True))
        crossing = Counter()
        for s, t, k in graph.edges(keys=True):
            a, b = layer(graph, s), layer(graph, t)
            if a != b and "outside" not in (a, b):
                crossing[f"{a}->{b} {k}"] += 1
        print(f"{repo.name}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, {took:.2f} s")
        print("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
        print("  across layers: " + (", ".join(f"{k} {n}" for k, n in sorted(crossing.items())) or "none"))
        if args.list:
            for s, t, k, d in sorted(graph.edges(keys=True, data=True)):
                if k in kinds:
                    extra = {x: d[x] for x in ("mechanism", "reach", "access", "via") if x in d}
                    print(f"    {s} -{k}-> {t} {extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
