"""Real-world accuracy harness: scan pinned public repositories as a user would and score the findings against our labels.

    python tests/realworld/run.py [--mirror DIR] [--work DIR] [--source DIR] [--only NAME ...]
                                  [--review FILE] [--markdown] [--jobs N]

For each repository in repos.yaml it runs `riskgraph scan <paths> --format json`
from the repository root (a fresh process, no cache), then prints per repository
and per layer: findings, labelled true / false / debatable, precision,
unlabelled findings of the review set (critical and high, plus a seeded sample
of medium and low), and labelled-true findings that disappeared. `--review FILE`
writes the unlabelled review set as label entries to fill in (verdict: "?").

Never collected by the default test run (pytest's norecursedirs skips it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkout import Repo, add_arguments, materialise, selected  # noqa: E402

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
LABELS = HERE / "labels"
SAMPLE_SEED = "riskgraph-realworld-1"
SAMPLE_PERCENT = 10          # share of medium/low findings in the review set
LAYERS = ("terraform", "kubernetes", "architecture")


def layer_of(finding: dict) -> str:
    address = finding["resource"]
    if address.startswith("k8s:"):
        return "kubernetes"
    if address.startswith("arch:"):
        return "architecture"
    return "terraform"


def in_sample(repo: str, finding: dict) -> bool:
    """Critical and high always; medium, low and info by a seeded hash of the finding's identity (stable as others come and go)."""
    if finding["severity"] in ("critical", "high"):
        return True
    key = f"{SAMPLE_SEED}|{repo}|{finding['location']['path']}|{finding['policy_id']}|{finding['resource']}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100 < SAMPLE_PERCENT


@dataclass
class ScanResult:
    repo: Repo
    findings: list[dict]
    diagnostics: list[dict]
    returncode: int
    crashed: bool
    stderr: str
    seconds: float


def scan(repo: Repo, root: Path, source: Path, out_dir: Path) -> ScanResult:
    out = out_dir / f"{repo.slug}.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(source), NO_COLOR="1")
    env.pop("RISKGRAPH_JOBS", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", *repo.paths, "--format", "json",
                           "-o", str(out), "--no-cache", "--allow-incomplete", "--root", "."], cwd=root, env=env, capture_output=True, text=True,
                          timeout=1800)
    seconds = time.perf_counter() - start
    crashed = proc.returncode not in (0, 1) or "Traceback" in proc.stderr or not out.is_file()
    findings, diagnostics = _read_report(out)
    return ScanResult(repo, findings, diagnostics, proc.returncode, crashed, proc.stderr[-4000:], seconds)


def _read_report(out: Path) -> tuple[list[dict], list[dict]]:
    """The active (unsuppressed) findings and the diagnostics of a JSON report; none when it is missing."""
    if not out.is_file():
        return [], []
    data = json.loads(out.read_text())
    return [f for f in data["findings"] if not f.get("suppression")], data["diagnostics"]


def load_result(repo: Repo, results: Path) -> ScanResult:
    """A result written by an earlier run (no crash information beyond a missing file)."""
    out = results / f"{repo.slug}.json"
    if not out.is_file():
        return ScanResult(repo, [], [], -1, True, "no result file", 0.0)
    findings, diagnostics = _read_report(out)
    return ScanResult(repo, findings, diagnostics, 0, False, "", 0.0)


# -- labels ------------------------------------------------------------------

def load_labels(path: Path = LABELS) -> list[dict]:
    """Every label in `path` (a YAML list, or a directory of them: labels/<group>.yaml)."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path] if path.is_file() else []
    labels: list[dict] = []
    for file in files:
        for label in yaml.safe_load(file.read_text()) or []:
            if str(label.get("verdict")).lower() not in ("true", "false", "debatable"):
                continue          # "?" = not reviewed yet
            label["verdict"] = str(label["verdict"]).lower()
            labels.append(label)
    return labels


def _key(repo: str, f: dict) -> tuple:
    return (repo, f["location"]["path"], f["policy_id"], f["resource"])


def match(repo: str, findings: list[dict], labels: list[dict]) -> tuple[dict[int, dict], list[dict]]:
    """Labels for findings (by file, policy, resource and line; the line alone may have moved when the rest is unique)."""
    exact: dict[tuple, dict] = {}
    loose: dict[tuple, list[dict]] = defaultdict(list)
    for label in labels:
        if label["repo"] != repo:
            continue
        k = (label["repo"], label["file"], label["policy"], label["resource"])
        exact[k + (label["line"],)] = label
        loose[k].append(label)
    found: dict[int, dict] = {}
    used: set[int] = set()
    siblings = Counter(_key(repo, f) for f in findings)
    for i, f in enumerate(findings):
        label = exact.get(_key(repo, f) + (f["location"]["start_line"],))
        if label is not None:
            found[i] = label
            used.add(id(label))
    for i, f in enumerate(findings):
        if i in found:
            continue
        candidates = [lab for lab in loose.get(_key(repo, f), []) if id(lab) not in used]
        if len(candidates) == 1 and siblings[_key(repo, f)] == 1:
            found[i] = candidates[0]
            used.add(id(candidates[0]))
    # the same line of the same object built into several deployment units (kustomize overlays,
    # plans): one code fact, so a label given before units existed (no `@unit` in its address)
    # holds for every copy; a label naming a unit speaks for that unit only
    by_fact: dict[tuple, dict] = {}
    for label in labels:
        if label["repo"] == repo and "@" not in label["resource"]:
            by_fact.setdefault((label["file"], label["line"], label["policy"], _identity(label["resource"])), label)
    for i, f in enumerate(findings):
        if i not in found:
            label = by_fact.get((f["location"]["path"], f["location"]["start_line"], f["policy_id"],
                                 _identity(f["resource"])))
            if label is not None:
                found[i] = label
                used.add(id(label))
    gone = [lab for lab in labels if lab["repo"] == repo and id(lab) not in used]
    return found, gone


def _identity(address: str) -> str:
    """What stays of an address across units and plans: Kubernetes kind and name, else the bare address."""
    if address.startswith("k8s:"):
        parts = address.split("@", 1)[0][4:].split("/")
        return f"k8s:{parts[1]}/{parts[-1]}" if len(parts) >= 3 else address
    return _bare(address)


def _bare(address: str) -> str:
    """An address without a plan file prefix or a Kubernetes unit suffix."""
    if address.startswith("k8s:"):
        return address.split("@", 1)[0]
    head, sep, rest = address.partition(".json:")
    return rest if sep else address


def migrate(results: list[ScanResult], labels: list[dict], path: Path) -> int:
    """Point labels at the same finding under its new address (same file, line and policy; same bare address)."""
    moves: dict[tuple, str] = {}
    for res in results:
        _, gone = match(res.repo.name, res.findings, labels)
        taken = {(lab["file"], lab["line"], lab["policy"], lab["resource"]) for lab in labels
                 if lab["repo"] == res.repo.name}
        for g in gone:
            if g["resource"].startswith("k8s:") and "@" in g["resource"]:
                continue          # a label for one unit never moves to another unit
            same = [f for f in res.findings if f["location"]["path"] == g["file"]
                    and f["location"]["start_line"] == g["line"] and f["policy_id"] == g["policy"]
                    and _bare(f["resource"]) == _bare(g["resource"]) and f["resource"] != g["resource"]]
            same = [f for f in same if (g["file"], g["line"], g["policy"], f["resource"]) not in taken]
            if same:
                moves[(g["repo"], g["file"], g["line"], g["policy"], g["resource"])] = same[0]["resource"]
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    count = 0
    for file in files:
        out = []
        for line in file.read_text().splitlines(keepends=True):
            entry = yaml.safe_load(line) if line.startswith("- {") else None
            if entry:
                e = entry[0]
                new = moves.get((e["repo"], e["file"], e["line"], e["policy"], e["resource"]))
                if new:
                    line = re.sub(r'("?resource"?): ("[^"]*"|\'[^\']*\'|[^,]*),',
                                  lambda m, new=new: f"{m.group(1)}: {json.dumps(new)},", line, count=1)
                    count += 1
            out.append(line)
        file.write_text("".join(out))
    return count


# -- report ------------------------------------------------------------------

def _precision(t: int, f: int) -> str:
    return f"{100 * t / (t + f):.1f}%" if t + f else "-"


def tabulate(results: list[ScanResult], labels: list[dict]):
    rows = []
    per_layer: dict[str, Counter] = defaultdict(Counter)
    review: list[dict] = []
    gone_true: list[dict] = []
    for res in results:
        repo = res.repo.name
        found, gone = match(repo, res.findings, labels)
        gone_true += [g for g in gone if g["verdict"] == "true"]
        c: Counter = Counter()
        c["crash"] = int(res.crashed)
        c["errors"] = sum(1 for d in res.diagnostics if d["level"] == "error")
        for i, f in enumerate(res.findings):
            layer = layer_of(f)
            hi = f["severity"] in ("critical", "high")
            label = found.get(i)
            verdict = str(label["verdict"]).lower() if label else None
            for bucket in ("all", "hi") if hi else ("all",):
                c[f"{bucket}"] += 1
                per_layer[layer][bucket] += 1
                if verdict in ("true", "false", "debatable"):
                    c[f"{bucket}_{verdict}"] += 1
                    per_layer[layer][f"{bucket}_{verdict}"] += 1
            if label is None and in_sample(repo, f):
                c["unlabelled"] += 1
                per_layer[layer]["unlabelled"] += 1
                review.append(_template(repo, f))
        for g in gone:
            if g["verdict"] == "true":
                c["gone_true"] += 1
        per_layer["_crash"]["n"] += c["crash"]
        rows.append((res, c))
    return rows, per_layer, review, gone_true


def _template(repo: str, f: dict) -> dict:
    return {"repo": repo, "file": f["location"]["path"], "line": f["location"]["start_line"],
            "policy": f["policy_id"], "resource": f["resource"], "severity": f["severity"],
            "verdict": "?", "reason": f["message"][:200]}


def print_table(rows, per_layer, markdown: bool) -> None:
    head = ["repository", "findings", "crit+high", "true", "false", "debatable", "precision (all)",
            "precision (crit+high)", "unlabelled", "true gone", "crash", "error diags"]
    body = []
    for res, c in rows:
        body.append([res.repo.name, c["all"], c["hi"], c["all_true"], c["all_false"], c["all_debatable"],
                     _precision(c["all_true"], c["all_false"]), _precision(c["hi_true"], c["hi_false"]),
                     c["unlabelled"], c["gone_true"], "CRASH" if c["crash"] else "", c["errors"]])
    layer_body = []
    for layer in LAYERS:
        c = per_layer.get(layer, Counter())
        layer_body.append([layer, c["all"], c["hi"], c["all_true"], c["all_false"], c["all_debatable"],
                           _precision(c["all_true"], c["all_false"]), _precision(c["hi_true"], c["hi_false"]),
                           c["unlabelled"]])
    layer_head = head[:9]
    if markdown:
        for h, b in ((head, body), (layer_head, layer_body)):
            print("| " + " | ".join(h) + " |")
            print("|" + "---|" * len(h))
            for r in b:
                print("| " + " | ".join(str(x) for x in r) + " |")
            print()
    else:
        for h, b in ((head, body), (layer_head, layer_body)):
            widths = [max(len(str(x)) for x in col) for col in zip(h, *b)]
            for r in [h, *b]:
                print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)))
            print()
    print(f"crashes: {per_layer['_crash']['n']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap, PROJECT)
    ap.add_argument("--review", type=Path, help="write the unlabelled review set here as label entries")
    ap.add_argument("--markdown", action="store_true", help="tables in Markdown (for docs/accuracy.md)")
    ap.add_argument("--jobs", type=int, default=2, help="repositories scanned at once")
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--results", type=Path, help="score the JSON results already in this directory instead of scanning")
    ap.add_argument("--migrate", action="store_true",
                    help="rewrite labels whose finding is still there under a new address form "
                         "(a plan's `file:` prefix, a Kubernetes unit's `@unit` suffix)")
    args = ap.parse_args(argv)

    repos = selected(args.only)
    out_dir = args.work / "results" / hashlib.sha256(str(args.source.resolve()).encode()).hexdigest()[:8]
    out_dir.mkdir(parents=True, exist_ok=True)
    roots = {}
    for repo in repos:
        root, missing = materialise(repo, args.work, args.mirror)
        roots[repo.name] = root
        if missing:
            print(f"{repo.name}: {len(missing)} files absent from the store (large or LFS), e.g. {missing[0]}",
                  file=sys.stderr)

    if args.results:
        results = [load_result(r, args.results) for r in repos]
    else:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = list(pool.map(lambda r: scan(r, roots[r.name], args.source, out_dir), repos))
    for res in results:
        if res.crashed:
            print(f"CRASH {res.repo.name} (exit {res.returncode}):\n{res.stderr}", file=sys.stderr)

    labels = load_labels(args.labels)
    if args.migrate:
        migrated = migrate(results, labels, args.labels)
        print(f"{migrated} labels moved to their finding's new address", file=sys.stderr)
        labels = load_labels(args.labels)
    rows, per_layer, review, gone_true = tabulate(results, labels)
    print_table(rows, per_layer, args.markdown)
    if gone_true:
        print(f"\nlabelled-true findings that disappeared ({len(gone_true)}):")
        for g in gone_true:
            print(f"  {g['repo']}  {g['file']}:{g['line']}  {g['policy']}  {g['resource']}")
    if args.review:
        args.review.write_text(yaml.safe_dump(review, sort_keys=False, width=200, allow_unicode=True))
        print(f"\n{len(review)} unlabelled findings of the review set written to {args.review}")
    print(f"\nresults: {out_dir}   total scan time {sum(r.seconds for r in results):.1f} s")
    return 1 if any(r.crashed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
