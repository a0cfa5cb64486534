"""Materialise the harness's pinned repositories as plain directories (no network when a mirror has them)."""

from __future__ import annotations

import argparse
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Repo:
    name: str                 # owner/name
    commit: str
    kind: str
    paths: tuple[str, ...] = (".",)
    missing: list[str] = field(default_factory=list, compare=False)

    @property
    def slug(self) -> str:
        return self.name.replace("/", "+")


def add_arguments(ap: argparse.ArgumentParser, project: Path) -> None:
    """The options every harness tool takes: where the repositories come from and are written, which code runs, which repositories."""
    ap.add_argument("--mirror", action="append", type=Path, default=[],
                    help="directory of git mirrors named <owner>+<name> (repeatable); else cloned from GitHub")
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("RISKGRAPH_REALWORLD_DIR",
                                                                       Path.home() / ".cache" / "riskgraph-realworld")))
    ap.add_argument("--source", type=Path, default=project, help="riskgraph source tree to run (default: this one)")
    ap.add_argument("--only", nargs="*", default=None, help="repository names (or substrings) to run")


def selected(only: list[str] | None) -> list[Repo]:
    """The pinned repositories, or those whose name contains one of ``only``."""
    return [r for r in load_repos() if not only or any(o in r.name for o in only)]


def load_repos(path: Path = HERE / "repos.yaml") -> list[Repo]:
    data = yaml.safe_load(path.read_text())
    return [Repo(name=r["name"], commit=r["commit"], kind=r["kind"], paths=tuple(r.get("paths") or (".",)))
            for r in data["repositories"]]


def _git(git_dir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, **kw)


def _find_git_dir(repo: Repo, mirrors: list[Path], cache: Path) -> Path:
    """A git directory holding the pinned commit: a mirror's (`<owner>+<name>/repo`, its `.git` when the
    snapshot came with a work tree, or `<owner>+<name>`), else a clone."""
    for mirror in mirrors:
        for candidate in (mirror / repo.slug / "repo", mirror / repo.slug / "repo" / ".git", mirror / repo.slug,
                          mirror / f"{repo.slug}.git"):
            if (candidate / "HEAD").is_file():
                try:
                    _git(candidate, "cat-file", "-e", f"{repo.commit}^{{commit}}")
                    return candidate
                except subprocess.CalledProcessError:
                    continue
    clone = cache / "git" / f"{repo.slug}.git"
    if not (clone / "HEAD").is_file():
        subprocess.run(["git", "clone", "--bare", "--filter=blob:limit=4m", f"https://github.com/{repo.name}.git", str(clone)],
                       check=True)
    else:
        subprocess.run(["git", f"--git-dir={clone}", "fetch", "origin", repo.commit], check=False)
    return clone


def materialise(repo: Repo, work: Path, mirrors: list[Path]) -> tuple[Path, list[str]]:
    """The repository's files at the pinned commit under `work/checkouts`; returns the directory and blobs absent from the store."""
    target = work / "checkouts" / f"{repo.slug}@{repo.commit[:12]}"
    marker = target.parent / f"{target.name}.done"
    if marker.is_file():
        return target, [line for line in marker.read_text().splitlines() if line]
    git_dir = _find_git_dir(repo, mirrors, work)
    listing = _git(git_dir, "ls-tree", "-r", "-z", repo.commit).stdout.split(b"\0")
    blobs = []
    for entry in listing:
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob":
            blobs.append((mode, sha.decode(), path.decode("utf-8", "surrogateescape")))
    missing: list[str] = []
    batch = subprocess.Popen(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert batch.stdin and batch.stdout
    for mode, sha, path in blobs:
        batch.stdin.write(sha.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            missing.append(path)
            continue
        data = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)
        dest = target / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":     # symbolic link: recreate it, as a checkout would
            if dest.is_symlink() or dest.exists():
                dest.unlink()
            os.symlink(data.decode("utf-8", "surrogateescape"), dest)
        else:
            dest.write_bytes(data)
    batch.stdin.close()
    batch.wait()
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text("".join(f"{m}\n" for m in missing))
    return target, missing
