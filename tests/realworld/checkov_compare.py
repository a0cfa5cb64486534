"""Compare riskgraph with checkov on the harness's repositories, for the policies that declare a checkov id.

    python tests/realworld/checkov_compare.py [--mirror DIR] [--work DIR] [--source DIR] [--only NAME ...]

Runs checkov (Terraform, Terraform plan, Kubernetes frameworks; cached per repository and commit)
and riskgraph (as run.py does, results under <work>/results/checkov-<hash of --source>) on the same
paths. Every checkov failure of a mapped check that riskgraph does not report on the same file and
resource is listed, unless checkov-explained.yaml explains it. Also lists, per mapped check, where
riskgraph reports and checkov does not (to review for precision).

"The same file and resource" follows where riskgraph reports:
- Terraform: `type.name`, module path and instance keys dropped. A plan riskgraph reads as the plan
  of the .tf files beside it (info diagnostic `plan-root`) reports at their lines: checkov's failure
  in the plan matches a finding on the plan-prefixed address or in that directory.
- Kubernetes: kind and name (checkov says `default` for an unwritten namespace). A finding of a
  unit (`address@unit`) matches checkov's failures in files whose innermost unit it is (a Kustomize
  overlay's patches); an unqualified one matches in its directory and the one above or below (a
  patch beside the kustomization above its base), and the copies riskgraph ignores as duplicates
  (`duplicate-object`) match the kept copy. checkov's graph checks name a workload's pod template
  `Pod.<ns>.<workload>.<labels>`, and a binding where riskgraph judges the role it references (read
  from the manifest).
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkout import add_arguments, materialise, selected  # noqa: E402
from run import PROJECT, scan  # noqa: E402

HERE = Path(__file__).resolve().parent
EXPLAINED = HERE / "checkov-explained.yaml"
_INDEX = re.compile(r"\[[^\]]*\]")


def policy_checkov_ids(source: Path) -> dict[str, set[str]]:
    """checkov id -> riskgraph policy ids declaring it."""
    mapping: dict[str, set[str]] = defaultdict(set)
    for file in (source / "policies").rglob("*.yaml"):
        data = yaml.safe_load(file.read_text())
        for cid in data.get("checkov") or ():
            mapping[cid].add(data["id"])
    return mapping


def normal_resource(address: str) -> str:
    """What both tools call a resource: Terraform `type.name` (root prefix, module path and instance
    keys dropped); Kubernetes `k8s/<Kind>/<name>` (riskgraph `k8s:group/Kind/ns/name[@unit]`, checkov
    `Kind.ns.name`; the namespace is dropped: checkov says `default` where none is written, and a
    Kustomize build may set one)."""
    if address.startswith("k8s:"):
        parts = address.split("@", 1)[0].split("/")
        return f"k8s/{parts[1]}/{parts[-1]}"
    if address.startswith("arch:"):
        return address
    # checkov: Kind.namespace.name (a riskgraph root prefix such as `EC2:` is no Kind)
    kind_part = address.split(".", 1)[0]   # a name may hold a colon (ClusterRole metallb-system:speaker)
    if ":" not in kind_part and "." in address and kind_part[:1].isupper():
        kind, _, rest = address.partition(".")
        name = rest.partition(".")[2] or rest
        if kind == "Pod":                        # a pod template: Pod.namespace.workload.label-value...
            name = name.split(".", 1)[0]
        return f"k8s/{kind}/{name}"
    address = address.rsplit(":", 1)[1] if ":" in address else address
    address = _INDEX.sub("", address)
    parts = address.split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    return ".".join(parts[-2:])


def run_checkov(repo, root: Path, work: Path) -> list[dict]:
    out = work / "checkov" / f"{repo.slug}@{repo.commit[:12]}.json"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        failed: list[dict] = []
        for path in repo.paths:
            proc = subprocess.run(["checkov", "-d", path, "--framework", "terraform", "terraform_plan", "kubernetes",
                                   "--quiet", "-o", "json", "--skip-download"],
                                  cwd=root, capture_output=True, text=True, timeout=3600,
                                  env=dict(os.environ, LOG_LEVEL="ERROR"))
            text = proc.stdout.strip()
            if not text:
                continue
            data = json.loads(text)
            for block in data if isinstance(data, list) else [data]:
                if not isinstance(block, dict) or "results" not in block:
                    continue
                for f in block["results"].get("failed_checks", []):
                    file = os.path.relpath(f["file_abs_path"], root) if f.get("file_abs_path") else \
                        (Path(path) / f["file_path"].lstrip("/")).as_posix()
                    failed.append({"check": f["check_id"], "file": os.path.normpath(file),
                                   "resource": f["resource"], "lines": f.get("file_line_range") or [0, 0],
                                   "framework": block.get("check_type", "")})
        out.write_text(json.dumps(failed))
    failed = json.loads(out.read_text())
    for f in failed:             # results cached by an earlier version joined the scanned path twice
        for path in repo.paths:
            doubled = f"{path}/{path}/"
            if path != "." and f["file"].startswith(doubled) and not (root / f["file"]).exists():
                f["file"] = f["file"][len(path) + 1:]
    return failed


def load_explained() -> list[dict]:
    return yaml.safe_load(EXPLAINED.read_text()) if EXPLAINED.is_file() else []


def explanation(miss: dict, repo: str, explained: list[dict], root: Path) -> dict | None:
    """The first entry whose check, repo, file and resource globs match (and, with `unwritten: path`,
    whose Kubernetes object does not write that dotted path), or None."""
    for e in explained:
        if not fnmatch.fnmatchcase(miss["check"], e["check"]):
            continue
        if e.get("repo") and e["repo"] != repo:
            continue
        if e.get("file") and not fnmatch.fnmatch(miss["file"], e["file"]):
            continue
        if e.get("resource") and not fnmatch.fnmatch(miss["resource"], e["resource"]):
            continue
        if e.get("unwritten") and not _unwritten(root, miss, e["unwritten"]):
            continue
        return e
    return None


def _manifest_objects(root: Path, miss: dict) -> list[dict]:
    """The objects of checkov's manifest whose kind and name are those of the failure."""
    kind, _, rest = miss["resource"].partition(".")
    name = rest.partition(".")[2]
    return [d for d in _documents(root / miss["file"]) if isinstance(d, dict) and d.get("kind") == kind
            and isinstance(d.get("metadata"), dict) and d["metadata"].get("name") == name]


@functools.lru_cache(maxsize=None)
def _documents(path: Path) -> tuple:
    """A manifest's documents, read once (an install file holds thousands of lines and many failures)."""
    try:
        return tuple(yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (OSError, yaml.YAMLError):
        return ()


def _unwritten(root: Path, miss: dict, path: str) -> bool:
    """Whether the failure's object was found and writes nothing at dotted `path`."""
    objects = _manifest_objects(root, miss)
    for obj in objects:
        node: object = obj
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            return False
    return bool(objects)


def _under(path: str, directory: str) -> bool:
    return directory in ("", ".") or path == directory or path.startswith(directory + "/")


def _related(a: str, b: str) -> bool:
    """Two files of one deployment unit as far as paths tell: one directory, or one's the other's parent."""
    da, db = os.path.dirname(a), os.path.dirname(b)
    return da == db or os.path.dirname(da) == db or os.path.dirname(db) == da


class Reported:
    """riskgraph's findings of mapped policies, indexed by (checkov id, normal resource)."""

    def __init__(self, findings: list[dict], diagnostics: list[dict], mapping: dict[str, set[str]], root: Path):
        self.root = root
        self.index: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for f in findings:
            for cid, pids in mapping.items():
                if f["policy_id"] in pids:
                    self.index[(cid, normal_resource(f["resource"]))].add(
                        (os.path.normpath(f["location"]["path"]), f["resource"]))
        self.by_name: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for cid, resource in self.index:
            if resource.startswith("k8s/"):
                self.by_name[(cid, resource.split("/", 2)[2])].add((cid, resource))
        # a plan read as the plan of the .tf files beside it reports at their lines (docs/terraform.md)
        self.root_plans = {os.path.normpath(d["path"]) for d in diagnostics
                           if d.get("code") == "plan-root" and d["message"].startswith("the plan of")}
        # a file whose objects repeat ones already defined in its unit: riskgraph keeps the first copy
        self.duplicates = {os.path.normpath(d["path"]) for d in diagnostics if d.get("code") == "duplicate-object"}
        self.matched: set[tuple[str, str, str]] = set()
        # the Kubernetes units findings name (`address@unit`): a file belongs to the innermost one
        self.units = {a.split("@", 1)[1] for hits in self.index.values() for _, a in hits
                      if a.startswith("k8s:") and "@" in a}

    def match(self, miss: dict) -> bool:
        """Whether riskgraph reports checkov's failure: same check, resource and file, where the file
        is the one riskgraph reports it at (a plan's resource at its .tf line, a Kubernetes object at
        the file of the offending value: a Kustomize patch or base, the kept copy of a duplicate)."""
        resource = normal_resource(miss["resource"])
        keys = [(miss["check"], resource)]
        if resource.startswith("k8s/Pod/"):      # checkov's graph checks name a workload's pod template as a Pod
            name = resource.split("/", 2)[2]
            keys += [k for k in self.by_name.get((miss["check"], name), ()) if k != keys[0]]
        if resource.startswith(("k8s/RoleBinding/", "k8s/ClusterRoleBinding/")):
            keys += [(miss["check"], role) for role in self._role_refs(miss)]  # riskgraph judges the role
        hit = False
        for key in keys:
            for file, address in self.index.get(key, ()):
                if self._same(miss, file, address):
                    self.matched.add((key[0], file, key[1]))
                    hit = True
        return hit

    def _role_refs(self, miss: dict) -> list[str]:
        """The role a binding checkov names grants, as `k8s/<Kind>/<name>`."""
        return [f"k8s/{d['roleRef'].get('kind')}/{d['roleRef'].get('name')}"
                for d in _manifest_objects(self.root, miss) if isinstance(d.get("roleRef"), dict)]

    def _same(self, miss: dict, file: str, address: str) -> bool:
        their = miss["file"]
        if file == their:
            return True
        if miss["framework"] == "terraform_plan":
            prefix = address.rsplit(":", 1)[0] if ":" in address else ""
            if prefix == their:
                return True
            return their in self.root_plans and not prefix and _under(file, os.path.dirname(their))
        if miss["framework"] == "kubernetes":
            unit = address.split("@", 1)[1] if "@" in address else None
            if unit is not None and unit == self._unit_of(their):
                return True
            if unit is None and _related(their, file):
                return True
            return their in self.duplicates and _related(their, file)
        return False

    def _unit_of(self, path: str) -> str | None:
        return max((u for u in self.units if _under(path, u)), key=len, default=None)

    def unmatched(self) -> Counter:
        """Per check, riskgraph's (file, resource) pairs that no checkov failure matched."""
        out: Counter = Counter()
        for (cid, resource), hits in self.index.items():
            for file in {file for file, _ in hits}:
                if (cid, file, resource) not in self.matched:
                    out[cid] += 1
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap, PROJECT)
    ap.add_argument("--verbose", action="store_true", help="list explained misses too")
    args = ap.parse_args(argv)

    mapping = policy_checkov_ids(args.source)
    explained = load_explained()
    totals: Counter = Counter()
    unexplained: list[tuple[str, dict]] = []
    used_explanations: Counter = Counter()
    used_entries: set[int] = set()
    extra: Counter = Counter()
    out_dir = args.work / "results" / ("checkov-" + hashlib.sha256(str(args.source.resolve()).encode()).hexdigest()[:8])
    out_dir.mkdir(parents=True, exist_ok=True)
    for repo in selected(args.only):
        root, _ = materialise(repo, args.work, args.mirror)
        ours = scan(repo, root, args.source, out_dir)
        theirs = [f for f in run_checkov(repo, root, args.work) if f["check"] in mapping]
        reported = Reported(ours.findings, ours.diagnostics, mapping, root)
        for miss in theirs:
            totals["checkov"] += 1
            if reported.match(miss):
                totals["both"] += 1
                continue
            e = explanation(miss, repo.name, explained, root)
            if e is not None:
                totals["explained"] += 1
                used_explanations[(e["check"], e.get("repo", "*"), e["reason"])] += 1
                used_entries.add(id(e))
                if args.verbose:
                    print(f"explained  {repo.name}  {miss['file']}:{miss['lines'][0]}  {miss['check']}  "
                          f"{miss['resource']}  -- {e['reason']}")
                continue
            totals["unexplained"] += 1
            unexplained.append((repo.name, miss))
        extra.update(reported.unmatched())
    print("\nunexplained checkov failures riskgraph does not report:")
    for repo, miss in sorted(unexplained, key=lambda x: (x[1]["check"], x[0], x[1]["file"])):
        print(f"  {miss['check']:<12} {repo}  {miss['file']}:{miss['lines'][0]}  {miss['resource']}  "
              f"(riskgraph: {', '.join(sorted(mapping[miss['check']]))})")
    print("\nexplanations used:")
    for (check, repo, reason), n in sorted(used_explanations.items()):
        print(f"  {check:<12} {n:>4}  {repo}: {reason}")
    if not args.only:        # on every repository, an entry that explains nothing is stale
        stale = [e for e in explained if id(e) not in used_entries]
        if stale:
            print("\nexplanations that explain nothing (remove them):")
            for e in stale:
                print(f"  {e['check']:<12} {e.get('repo', '*')}  {e.get('file', '')}  {e.get('resource', '')}")
    print(f"\ncheckov failures of mapped checks: {totals['checkov']}; also reported by riskgraph: {totals['both']}; "
          f"explained: {totals['explained']}; unexplained: {totals['unexplained']}")
    print("riskgraph-only findings per mapped check (review for precision): "
          + ", ".join(f"{k} {v}" for k, v in extra.most_common(20)))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
