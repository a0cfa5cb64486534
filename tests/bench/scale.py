"""Scale: one ``.tf`` file of 100,000 small resources (4.3 MB) and one with a 4 MB string literal, scanned.

    python tests/bench/scale.py [--source CHECKOUT] [--repeat 3] [--jobs 1,2]
    python tests/bench/scale.py --write DIR      # only write the two inputs

Every scan runs with the caches off, in a fresh process, under ``unshare -n``
and ``/usr/bin/time`` (tests/bench/run.py ``measure``); medians are printed.
"""

from __future__ import annotations

import os
import sys
from typing import Optional


def many_text(count: int = 100_000) -> str:
    """``count`` resources, ~43 bytes each (under discovery's 5 MiB limit at 100,000).

    Mostly empty S3 buckets; every 5th has an attribute, every 10th is a
    security group with an ingress block open to the internet.
    """
    parts = []
    for i in range(count):
        if i % 10 == 9:
            parts.append(f'resource "aws_security_group" "g{i}" {{\ningress {{\ncidr_blocks=["0.0.0.0/0"]\n}}\n}}\n')
        elif i % 5 == 0:
            parts.append(f'resource "aws_s3_bucket" "b{i}" {{\nacl="x"\n}}\n')
        else:
            parts.append(f'resource "aws_s3_bucket" "b{i}" {{}}\n')
    return "".join(parts)


def literal_text(size: int = 4 * 1024 * 1024) -> str:
    """One resource whose ``content`` is a ``size``-character string literal."""
    return (f'resource "aws_s3_object" "big" {{\n  bucket  = "b"\n  key     = "k"\n'
            f'  content = "{"a" * size}"\n}}\n')


def write(path: str, text: str) -> str:
    """Write ``text`` to ``path`` (its directory created) and return ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def main(argv: Optional[list[str]] = None) -> int:
    """Scan both inputs with the code of ``--source`` (this checkout by default): wall, CPU, peak RSS."""
    import argparse
    import statistics
    import tempfile

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run as bench

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=bench.REPO, help="the riskgraph checkout to run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="1,2", help="process counts to run, comma-separated")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="riskgraph-scale-")
    inputs = {"100,000 resources": write(os.path.join(work, "many", "main.tf"), many_text()),
              "4 MB literal": write(os.path.join(work, "literal", "main.tf"), literal_text())}
    env = dict(os.environ, PYTHONPATH=args.source, RISKGRAPH_NO_CACHE="1",
               PYTHONPYCACHEPREFIX=os.path.join(work, "pycache"))
    print("| input | jobs | wall | CPU (user + system) | peak RSS |\n|---|---:|---:|---:|---:|")
    for name, path in inputs.items():
        for jobs in args.jobs.split(","):
            runs = [bench.measure([sys.executable, "-m", "scanner.cli", "scan", os.path.dirname(path),
                                   "--format", "json", "--output", os.path.join(work, "out.json"),
                                   "--jobs", jobs], env, os.path.join(work, "stdout"), work)
                    for _ in range(args.repeat)]
            print(f"| {name} | {jobs} | {statistics.median(r.seconds for r in runs):.2f} s "
                  f"| {statistics.median(r.cpu_seconds for r in runs):.2f} s "
                  f"| {statistics.median(r.peak_mb for r in runs):.0f} MB |", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        root = sys.argv[2] if len(sys.argv) > 2 else "scale-inputs"
        print(write(os.path.join(root, "many", "main.tf"), many_text()))
        print(write(os.path.join(root, "literal", "main.tf"), literal_text()))
    else:
        sys.exit(main())
