"""Benchmark riskgraph against checkov on generated corpora: wall time, peak memory, ratios, and the re-scan.

Run from the repository root, on demand (pytest never collects it):

    .venv/bin/python tests/bench/run.py                       # every size, checkov on every size
    .venv/bin/python tests/bench/run.py --sizes tiny,1k --checkov none

Every command runs in a fresh process, under ``unshare -n`` (no network
interface at all) when the machine allows it, and under ``/usr/bin/time``
for the peak resident memory and CPU time. riskgraph is run seven ways:
"first run" with an empty cache directory (a fresh CI container); "cold"
with the policy cache warm from a scan of other files but nothing of this
corpus parsed before (the usual case), once with the default processes (one
per core) and once with ``--jobs 1``; "re-scan" again with nothing changed
(the stored result); "one edit" after a comment in the one module every
service calls (every root evaluated again, then link and evaluate); "one
value edit" after changing a value in one service's root (that root
evaluated again, then link and evaluate); "no cache" with
``RISKGRAPH_NO_CACHE=1``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import write_corpus, write_small  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = sys.executable
CHECKOV = os.path.join(os.path.dirname(PYTHON), "checkov")
RESOURCES_PER_SERVICE = 30  # what one generated service yields (see corpus.py)
SIZES = {"tiny": 0, "1k": 1000, "2.5k": 2500, "5k": 5000, "10k": 10000}
CHECKOV_ENV = {
    "BC_SKIP_MAPPING": "TRUE",                # no mapping download from the platform
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",  # no PyPI version check
    "BC_API_KEY": "", "PRISMA_API_URL": "",
    "LOG_LEVEL": "ERROR",
}


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system: less sensitive than wall time to a busy shared machine
    peak_mb: float
    exit_code: int
    stdout_path: str


def _isolated() -> list[str]:
    """``unshare -n`` when this process may create a network namespace, so nothing can reach the network."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def measure(cmd: list[str], env: dict[str, str], out_path: str, cwd: str) -> Run:
    """Run ``cmd`` once; wall time from here; peak RSS and CPU time from /usr/bin/time."""
    import resource

    time_file = out_path + ".time"
    prefix = _isolated()
    timer = ["/usr/bin/time", "-f", "%M %U %S", "-o", time_file] if os.path.exists("/usr/bin/time") else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(out_path, "wb") as out:
        proc = subprocess.run(prefix + timer + cmd, stdout=out, stderr=subprocess.DEVNULL,
                              env=env, cwd=cwd)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if timer:
        with open(time_file, encoding="utf-8") as handle:
            peak_kb = int(handle.read().strip().splitlines()[-1].split()[0])
    else:  # the largest child so far: exact only for the first, largest run
        peak_kb = after.ru_maxrss
    return Run(seconds, cpu, peak_kb / 1024, proc.returncode, out_path)


def _python_env(work: str) -> dict[str, str]:
    """Bytecode compiled once (as an installed package has it), kept out of the repository."""
    env = dict(os.environ, PYTHONPATH=REPO, PYTHONPYCACHEPREFIX=os.path.join(work, "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def riskgraph(corpus: str, cache: Optional[str], work: str, tag: str, jobs: Optional[int] = None) -> Run:
    env = _python_env(work)
    env.pop("RISKGRAPH_JOBS", None)
    env.pop("RISKGRAPH_NO_CACHE", None)
    if cache is None:
        env["RISKGRAPH_NO_CACHE"] = "1"
        env["RISKGRAPH_CACHE_DIR"] = os.path.join(work, "unused-cache")
    else:
        env["RISKGRAPH_CACHE_DIR"] = cache
    out = os.path.join(work, f"riskgraph-{tag}.json")
    return measure([PYTHON, "-m", "scanner.cli", "scan", corpus, "--format", "json", "--output",
                    out + ".report"] + (["--jobs", str(jobs)] if jobs else []), env, out, corpus)


def edit_one_file(corpus: str, round_: int) -> None:
    """Change one Terraform file the way an editor would (a comment), so its hash changes.

    The first ``main.tf`` in path order is the network module every service calls, so every root
    is evaluated again: the dearest one-file edit."""
    for dirpath, _dirs, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            if name == "main.tf":
                with open(os.path.join(dirpath, name), "a", encoding="utf-8") as handle:
                    handle.write(f"# edited in round {round_}\n")
                return


def edit_one_value(corpus: str, round_: int) -> None:
    """Change one value in one service's root module (``allocated_storage``), a developer's usual edit:
    only that root is evaluated again, and linking and evaluation run in full."""
    roots = sorted(d for d, _dirs, files in os.walk(os.path.join(corpus, "terraform")) if "main.tf" in files)
    if not roots:  # the tiny corpus has no service roots: its one file is the edit
        edit_one_file(corpus, round_ + 100)
        return
    path = os.path.join(roots[-1], "main.tf")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    head, sep, rest = text.partition("allocated_storage")
    if not sep:
        raise SystemExit(f"no allocated_storage in {path}")
    value_end = rest.index("\n")
    name_eq = rest[:value_end].rsplit("=", 1)[0]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{head}{sep}{name_eq}= {21 + round_}{rest[value_end:]}")


def checkov(corpus: str, work: str, tag: str) -> Run:
    env = dict(os.environ, **CHECKOV_ENV)
    env["HOME"] = os.path.join(work, "checkov-home")  # nothing it writes lands in the real home
    os.makedirs(env["HOME"], exist_ok=True)
    out = os.path.join(work, f"checkov-{tag}.json")
    return measure([CHECKOV, "-d", corpus, "--framework", "terraform", "kubernetes", "--quiet",
                    "--compact", "-o", "json", "--skip-download",
                    "--download-external-modules", "false"], env, out, corpus)


def checkov_resources(path: str) -> Optional[int]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    reports = data if isinstance(data, list) else [data]
    return sum(int((r.get("summary") or {}).get("resource_count") or 0) for r in reports)


def rg_stats(run: Run) -> dict:
    with open(run.stdout_path + ".report", encoding="utf-8") as handle:
        return json.load(handle)["stats"]


def bench_size(name: str, root: str, repeat: int, with_checkov: bool) -> dict:
    corpus = os.path.join(root, f"corpus-{name}")
    work = os.path.join(root, f"work-{name}")
    os.makedirs(work, exist_ok=True)
    target = SIZES[name]
    if target == 0:
        write_small(corpus)
    else:
        write_corpus(corpus, max(1, round(target / RESOURCES_PER_SERVICE)))
    riskgraph(corpus, None, work, "compile")  # writes bytecode; not measured
    other = write_small(os.path.join(work, "other"))
    first, cold, serial, warm, edited, valued, nocache = [], [], [], [], [], [], []
    for i in range(repeat):
        empty = os.path.join(work, f"empty-{i}")
        first.append(riskgraph(corpus, empty, work, f"first{i}"))
        cache = os.path.join(work, f"cache-{i}")
        riskgraph(other, cache, work, f"prime{i}")  # policies cached; nothing of this corpus
        cold.append(riskgraph(corpus, cache, work, f"cold{i}"))
        warm.append(riskgraph(corpus, cache, work, f"warm{i}"))
        edit_one_file(corpus, i)
        edited.append(riskgraph(corpus, cache, work, f"edited{i}"))
        edit_one_value(corpus, i)
        valued.append(riskgraph(corpus, cache, work, f"valued{i}"))
        cache1 = os.path.join(work, f"cache1-{i}")
        riskgraph(other, cache1, work, f"prime1-{i}")
        serial.append(riskgraph(corpus, cache1, work, f"serial{i}", jobs=1))
        nocache.append(riskgraph(corpus, None, work, f"nocache{i}"))
    stats = rg_stats(cold[0])
    row = {"size": name, "files": stats["files"], "resources": stats["resources"],
           "findings_exit": cold[0].exit_code,
           "first_s": statistics.median(r.seconds for r in first),
           "first_cpu_s": statistics.median(r.cpu_seconds for r in first),
           "cold_s": statistics.median(r.seconds for r in cold),
           "cold_cpu_s": statistics.median(r.cpu_seconds for r in cold),
           "cold_mb": max(r.peak_mb for r in cold),
           "serial_s": statistics.median(r.seconds for r in serial),
           "serial_cpu_s": statistics.median(r.cpu_seconds for r in serial),
           "edited_s": statistics.median(r.seconds for r in edited),
           "edited_cpu_s": statistics.median(r.cpu_seconds for r in edited),
           "valued_s": statistics.median(r.seconds for r in valued),
           "nocache_s": statistics.median(r.seconds for r in nocache),
           "warm_s": statistics.median(r.seconds for r in warm),
           "warm_cpu_s": statistics.median(r.cpu_seconds for r in warm),
           "warm_mb": max(r.peak_mb for r in warm)}
    if with_checkov:
        ck = checkov(corpus, work, "cold")
        row.update(checkov_s=ck.seconds, checkov_cpu_s=ck.cpu_seconds, checkov_mb=ck.peak_mb,
                   checkov_exit=ck.exit_code,
                   checkov_resources=checkov_resources(ck.stdout_path))
    return row


def table(rows: list[dict]) -> str:
    """Wall seconds, with CPU seconds (user + system) in brackets."""
    head = ("| corpus | files | resources | first run | cold | peak | cold, 1 process | no cache | "
            "re-scan | one edit (shared module) | one value edit | checkov | peak | time ratio | memory ratio |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ck = "checkov_s" in r
        lines.append(
            f"| {r['size']} | {r['files']} | {r['resources']} | "
            f"{r['first_s']:.2f} s ({r['first_cpu_s']:.2f}) | {r['cold_s']:.2f} s ({r['cold_cpu_s']:.2f}) | "
            f"{r['cold_mb']:.0f} MB | {r['serial_s']:.2f} s ({r['serial_cpu_s']:.2f}) | "
            f"{r['nocache_s']:.2f} s | "
            f"{r['warm_s']:.2f} s = {r['warm_s'] / r['cold_s']:.0%} | "
            f"{r['edited_s']:.2f} s = {r['edited_s'] / r['cold_s']:.0%} | "
            f"{r['valued_s']:.2f} s = {r['valued_s'] / r['cold_s']:.0%} | "
            + (f"{r['checkov_s']:.1f} s ({r['checkov_cpu_s']:.1f}) | {r['checkov_mb']:.0f} MB | "
               f"{r['checkov_s'] / r['cold_s']:.1f}x (1 process: {r['checkov_s'] / r['serial_s']:.1f}x) | "
               f"{r['checkov_mb'] / r['cold_mb']:.1f}x |" if ck else "– | – | – | – |"))
    return "\n".join(lines)


def curve(rows: list[dict]) -> str:
    """How time grows with the corpus: each size against the previous one."""
    lines = ["| corpus | resources | cold | x resources | x time | ms / 100 resources |",
             "|---|---:|---:|---:|---:|---:|"]
    prev = None
    for r in rows:
        if r["resources"] < 100:
            continue
        growth = (f"{r['resources'] / prev['resources']:.2f} | {r['cold_s'] / prev['cold_s']:.2f}"
                  if prev else "– | –")
        lines.append(f"| {r['size']} | {r['resources']} | {r['cold_s']:.2f} s | {growth} | "
                     f"{100_000 * r['cold_s'] / r['resources']:.1f} |")
        prev = r
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--checkov", default="all", help="sizes to run checkov on: all, none or a list")
    parser.add_argument("--repeat", type=int, default=3, help="riskgraph runs per size (median)")
    parser.add_argument("--keep", help="build the corpora here and keep them")
    parser.add_argument("--json", help="also write the raw rows to this file")
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}")
    ck_sizes = set(sizes if args.checkov == "all" else [] if args.checkov == "none"
                   else args.checkov.split(","))
    if ck_sizes and not os.path.exists(CHECKOV):
        print(f"checkov not found at {CHECKOV}; running riskgraph only", file=sys.stderr)
        ck_sizes = set()
    root = args.keep or tempfile.mkdtemp(prefix="riskgraph-bench-")
    print(f"# machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"network isolation: {'unshare -n' if _isolated() else 'none'}", flush=True)
    rows = []
    try:
        for name in sizes:
            row = bench_size(name, root, args.repeat, name in ck_sizes)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(table(rows))
    print()
    print(curve(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
