"""The `riskgraph` command: scan, hook, baseline, graph, and inspect the policy library. Exit 0 clean, 1 findings, 2 usage or config error."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Optional, Sequence

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

FORMATS = ("text", "json", "sarif", "junit", "markdown")
GRAPH_FORMATS = ("mermaid", "dot", "graphml", "json")
SEVERITIES = ("info", "low", "medium", "high", "critical")

EXAMPLES = """examples:
  riskgraph scan infra/ k8s/ architecture.yaml
  riskgraph scan . --format sarif -o riskgraph.sarif
  riskgraph scan . --format markdown --framework owasp-top10-2021 > comment.md
  riskgraph scan . --severity-threshold high --skip RG-K8S-004
  riskgraph baseline . -o .riskgraph-baseline.json
  riskgraph scan . --baseline .riskgraph-baseline.json
  riskgraph graph . --format mermaid
  riskgraph policies list
  riskgraph policies show RG-AWS-001

configuration: [tool.riskgraph] in pyproject.toml or .riskgraph.yaml, found
from the scanned path upwards to the git root (see docs/configuration.md).
suppress one finding in the file: # riskgraph:ignore=RG-AWS-001 reason
exit status: 0 no findings at or above the threshold, 1 findings, 2 usage or
configuration error. Diagnostics never change it: an error diagnostic (a file
not parsed, a linker or policy that raised) marks where the scan is incomplete.
"""

PROGRESS_AFTER = 1.0  # seconds before progress appears (long scans only)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _scan_options(p: argparse.ArgumentParser, *, formats: bool = True) -> None:
    if formats:
        p.add_argument("-f", "--format", choices=FORMATS,
                       help="output format (default: text, or `format` from the configuration)")
        p.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    p.add_argument("--severity-threshold", choices=SEVERITIES,
                   help="exit 1 only for findings at or above this severity (default: low)")
    p.add_argument("--framework", action="append", type=_csv, default=[], metavar="NAME",
                   help="report only findings mapped to this framework, e.g. owasp-top10-2021, "
                        "cis-kubernetes, or a prefix such as cis (repeatable, comma-separated)")
    p.add_argument("--policy-dir", action="append", default=[],
                   help="extra directory of policy files (repeatable)")
    p.add_argument("--no-builtin", action="store_true", help="do not load the built-in policies")
    p.add_argument("--only", type=_csv, default=[], help="comma-separated policy ids to run")
    p.add_argument("--skip", type=_csv, default=[], help="comma-separated policy ids to skip")
    p.add_argument("--var-file", action="append", default=[], help="Terraform variables file")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="Terraform variable value (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip paths matching this glob (repeatable)")
    p.add_argument("--config", help="configuration file (default: found from the scanned path)")
    p.add_argument("--no-config", action="store_true", help="ignore configuration files")
    p.add_argument("--with-checkov", action="store_true",
                   help="also run checkov's own checks (pip install 'riskgraph[checkov]')")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the parse and policy caches (RISKGRAPH_NO_CACHE=1)")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="processes for parsing and evaluation (default: $RISKGRAPH_JOBS, else the "
                        "usable cores; 1 = none forked)")


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="riskgraph", formatter_class=raw, epilog=EXAMPLES,
        description="Policy-as-code scanner for Terraform, Kubernetes and architecture YAML, "
                    "joined into one graph.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")

    scan = sub.add_parser("scan", help="scan files and directories", formatter_class=raw,
                          epilog=EXAMPLES)
    scan.add_argument("paths", nargs="+", help="files or directories to scan")
    _scan_options(scan)
    scan.add_argument("--baseline", help="report only findings not in this baseline file "
                                         "(baseline matches stay visible as suppressed)")
    scan.add_argument("--no-suppress", action="store_true",
                      help="ignore inline riskgraph:ignore comments and annotations")

    hook = sub.add_parser("hook", help="pre-commit hook: scan the repository, report only the given files",
                          formatter_class=raw,
                          epilog="The graph is built from the whole repository (the git root), so\n"
                                 "cross-file relations are seen; only findings located in FILES\n"
                                 "are reported. Used by .pre-commit-hooks.yaml.")
    hook.add_argument("files", nargs="*", help="the staged files (pre-commit passes them)")
    hook.add_argument("--root", help="scan this directory as context (default: the git root)")
    _scan_options(hook)
    hook.add_argument("--baseline", help="baseline file")

    base = sub.add_parser("baseline", help="write a baseline of the current findings",
                          formatter_class=raw,
                          epilog="example:\n  riskgraph baseline . -o .riskgraph-baseline.json\n"
                                 "  riskgraph scan . --baseline .riskgraph-baseline.json")
    base.add_argument("paths", nargs="+")
    base.add_argument("-o", "--output", default=".riskgraph-baseline.json",
                      help="baseline file to write (default: .riskgraph-baseline.json)")
    _scan_options(base, formats=False)

    graph = sub.add_parser("graph", help="export the joined graph", formatter_class=raw,
                           epilog="example:\n  riskgraph graph . --format dot | dot -Tsvg > graph.svg")
    graph.add_argument("paths", nargs="+")
    graph.add_argument("-f", "--format", default="mermaid", choices=GRAPH_FORMATS)
    graph.add_argument("-o", "--output")
    graph.add_argument("--var-file", action="append", default=[])
    graph.add_argument("--exclude", action="append", default=[], metavar="GLOB")

    policies = sub.add_parser("policies", help="list or show the policies")
    psub = policies.add_subparsers(dest="policies_command", required=True)
    plist = psub.add_parser("list", help="one line per policy")
    plist.add_argument("--policy-dir", action="append", default=[])
    show = psub.add_parser("show", help="everything about one policy")
    show.add_argument("id")
    show.add_argument("--policy-dir", action="append", default=[])
    ptest = psub.add_parser("test", help="run the policies in DIR against DIR/fixtures/<ID>/{fail,pass}")
    ptest.add_argument("dir")
    ptest.add_argument("--fixtures", help="fixtures folder (default: DIR/fixtures)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__
        print(f"riskgraph {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from .config import ConfigError
    from .policy.loader import PolicyError
    from .suppress import BaselineError

    try:
        if args.command in ("scan", "hook", "baseline"):
            return _scan(args)
        if args.command == "graph":
            return _graph(args)
        return _policies(args)
    except (PolicyError, ConfigError, BaselineError, _UsageError) as exc:
        print(f"riskgraph: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _UsageError(Exception):
    """A command-line problem found after parsing."""


def _git_root(start: str) -> str:
    here = os.path.abspath(start)
    while not os.path.exists(os.path.join(here, ".git")):
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(start)
        here = parent
    return here


def _config(args: argparse.Namespace, start: str) -> Any:
    from .config import Config, find_config, load_config

    if args.no_config:
        return Config()
    path = args.config or find_config(start)
    return load_config(path) if path else Config()


class _Progress:
    """Progress on stderr: only on a terminal, and only once a scan has run for PROGRESS_AFTER seconds."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.shown = False

    def __call__(self, message: str) -> None:
        if time.perf_counter() - self.started >= PROGRESS_AFTER:
            sys.stderr.write(f"\rriskgraph: {message}...\033[K")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")


def _scan(args: argparse.Namespace) -> int:
    from .api import only_paths, scan
    from .model import Severity

    if args.no_cache:  # read by both caches (scanner/cache.py, scanner/policy/cache.py)
        os.environ["RISKGRAPH_NO_CACHE"] = "1"
    variables = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep:
            raise _UsageError(f"--var takes NAME=VALUE, got {item!r}")
        variables[name] = value
    if args.command == "hook":
        root = os.path.abspath(args.root) if args.root else _git_root(os.getcwd())
        paths, base = [root], root
    else:
        paths, base = args.paths, None
    cfg = _config(args, paths[0])
    fmt = getattr(args, "format", None) or cfg.format or "text"
    baseline = getattr(args, "baseline", None) or (cfg.baseline if args.command != "baseline" else None)
    if args.with_checkov:
        from .bridge.checkov import available
        if not available():
            raise _UsageError("--with-checkov needs checkov: pip install 'riskgraph[checkov]'")
    progress = _Progress() if sys.stderr.isatty() else None
    report = scan(paths, policy_dirs=[*cfg.policy_dirs, *args.policy_dir],
                  builtin_policies=cfg.builtin_policies and not args.no_builtin,
                  only=args.only or list(cfg.only), skip=[*cfg.skip, *args.skip],
                  parameters=cfg.parameters, var_files=[*cfg.var_files, *args.var_file],
                  variables=variables, exclude=[*cfg.exclude, *args.exclude],
                  frameworks=[x for group in args.framework for x in group] or list(cfg.frameworks),
                  suppressions=not getattr(args, "no_suppress", False), baseline=baseline,
                  with_checkov=args.with_checkov, progress=progress, base=base,
                  jobs=_jobs(args), kubernetes_units=cfg.kubernetes_units)
    if progress is not None:
        progress.done()
    if args.command == "hook":   # paths in the report are relative to the repository root
        report = only_paths(report, [os.path.relpath(os.path.realpath(f), os.path.realpath(root))
                                     for f in args.files])
    if args.command == "baseline":
        return _write_baseline(report, args.output)
    _emit(report, fmt, args.output, _uri_root(paths, base))
    threshold = Severity(args.severity_threshold or cfg.severity_threshold or "low").rank
    failing = [f for f in report.active_findings if f.severity.rank >= threshold]
    return EXIT_FINDINGS if failing else EXIT_OK


def _jobs(args: argparse.Namespace) -> int:
    from .parallel import default_jobs

    if args.jobs is None:
        return default_jobs()
    if args.jobs < 1:
        raise _UsageError(f"--jobs takes a number of processes of at least 1, got {args.jobs}")
    return args.jobs


def _uri_root(paths: Sequence[str], base: Optional[str]) -> str:
    """The directory report paths are relative to (as discovery chose it): SARIF's URI base."""
    anchor = os.path.realpath(base or os.getcwd())
    first = os.path.realpath(paths[0])
    if first == anchor or first.startswith(anchor.rstrip(os.sep) + os.sep):
        return anchor
    return first if os.path.isdir(first) else os.path.dirname(first)


def _emit(report: Any, fmt: str, output: Optional[str], root: str) -> None:
    from .report import write

    to_terminal = output is None and sys.stdout.isatty()
    colour = to_terminal and "NO_COLOR" not in os.environ
    if output:  # written in pieces where the reporter streams (fix-scale: report.write)
        with open(output, "w", encoding="utf-8") as handle:
            write(report, fmt, handle, colour=colour, root=root)
    else:
        write(report, fmt, sys.stdout, colour=colour, root=root)


def _write_baseline(report: Any, output: str) -> int:
    import json

    from .suppress import baseline_document

    doc = baseline_document(report.findings)
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, indent=2)
        handle.write("\n")
    print(f"riskgraph: wrote {len(doc['findings'])} findings to {output}", file=sys.stderr)
    return EXIT_OK


def _graph(args: argparse.Namespace) -> int:
    from .api import load
    from .report.graph_export import export

    loaded = load(args.paths, var_files=args.var_file, exclude=args.exclude)
    for d in loaded.diagnostics:
        print(f"riskgraph: {d}", file=sys.stderr)
    text = export(loaded.graph, args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _policies(args: argparse.Namespace) -> int:
    from .policy.loader import load_policies

    if args.policies_command == "test":
        return _policies_test(args)
    policies = load_policies(args.policy_dir)
    if args.policies_command == "list":
        for p in policies:
            m = p.meta
            print(f"{m.id:<14} {m.severity.value:<9} {m.title}")
        return EXIT_OK
    match = [p for p in policies if p.id == args.id]
    if not match:
        print(f"riskgraph: no policy {args.id!r}", file=sys.stderr)
        return EXIT_USAGE
    m = match[0].meta
    print(f"{m.id}: {m.title}\nseverity: {m.severity.value}\nresources: {', '.join(m.resource_types)}")
    for framework, ids in sorted(m.frameworks.items()):
        print(f"{framework}: {', '.join(ids)}")
    if m.cwe:
        print(f"cwe: {', '.join(m.cwe)}")
    print(f"\n{m.description}\n")
    if m.rationale:
        print(f"Why: {m.rationale}\n")
    print(f"Fix: {m.remediation}")
    for ref in m.references:
        print(f"  {ref}")
    return EXIT_OK


def _policies_test(args: argparse.Namespace) -> int:
    from .api import scan
    from .policy.selftest import format_report, run_policy_tests

    report = run_policy_tests(args.dir, scan, args.fixtures)
    sys.stdout.write(format_report(report))
    return EXIT_OK if report.ok else EXIT_FINDINGS


def entry() -> None:
    """Console-script entry point."""
    import gc

    # A scan builds millions of long-lived objects and almost no reference cycles, so the cycle
    # collector only re-walks live data: without it a 5k-resource scan is ~0.05 s faster and
    # peaks ~2 MB higher (docs/performance.md). Only for this short-lived process, never for
    # library callers; reference counting still frees everything that is not a cycle.
    gc.disable()
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
