"""The `riskgraph` command: scan, hook, baseline, graph, and the policy library. Exit 0 clean, 1 findings, 2 usage, 3 incomplete, 4 output."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Optional, Sequence

from .model import Severity
from .report import REPORTERS

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_OUTPUT = 0, 1, 2, 3, 4

FORMATS = tuple(REPORTERS)  # the registry is the one list (tests/test_registries.py)
# where a format goes without -o (GitLab's CI reads artifacts:reports:sast from a file)
DEFAULT_OUTPUT = {"gitlab-sast": "gl-sast-report.json"}
GRAPH_FORMATS = ("mermaid", "dot", "graphml", "json")
SEVERITIES = tuple(s.value for s in sorted(Severity, key=lambda s: s.rank))

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
exit status:
  0  no findings at or above the threshold, and every file was read and parsed
  1  findings at or above --severity-threshold (default: low)
  2  usage or configuration error: a path that does not exist, an unknown
     option, policy id or framework, a bad policy, config or baseline file
  3  scan incomplete: a file could not be read or parsed, or a parser, linker
     or policy step failed (listed as error diagnostics); wins over 1.
     --allow-incomplete (config: allow_incomplete) exits by the findings alone
  4  the report could not be written (-o into a missing directory, a
     directory, a symbolic link, a full disk)
"""

PROGRESS_AFTER = 1.0  # seconds before progress appears (long scans only)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _scan_options(p: argparse.ArgumentParser, *, formats: bool = True) -> None:
    if formats:
        p.add_argument("-f", "--format", choices=FORMATS,
                       help="output format (default: text, or `format` from the configuration)")
        p.add_argument("-o", "--output", metavar="FILE",
                       help="write the report to FILE (atomically; '-' is stdout; default: stdout, "
                            "gl-sast-report.json for gitlab-sast)")
        p.add_argument("--category", metavar="ID",
                       help="SARIF automationDetails.id, so GitHub keeps each job's alerts apart "
                            "(default: riskgraph/; config: category)")
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
    p.add_argument("--allow-incomplete", action="store_true",
                   help="exit by the findings alone when a file could not be read or parsed "
                        "(default: exit 3; config: allow_incomplete)")
    p.add_argument("--with-checkov", action="store_true",
                   help="also run checkov's own checks (the checkov command, run as a separate "
                        "process: pipx install checkov)")
    p.add_argument("--checkov-path", metavar="PATH",
                   help="the checkov executable for --with-checkov (default: checkov on PATH)")
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
    scan.add_argument("--root", metavar="DIR",
                      help="report paths (and SARIF URIs) relative to DIR (default: the git top "
                           "level of the scanned paths, else their common directory)")
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
                      help="baseline file to write (default: .riskgraph-baseline.json; '-' is stdout)")
    _scan_options(base, formats=False)
    base.add_argument("--root", metavar="DIR", help="paths relative to DIR (as for scan)")

    graph = sub.add_parser("graph", help="export the joined graph", formatter_class=raw,
                           epilog="example:\n  riskgraph graph . --format dot | dot -Tsvg > graph.svg")
    graph.add_argument("paths", nargs="+")
    graph.add_argument("-f", "--format", default="mermaid", choices=GRAPH_FORMATS)
    graph.add_argument("-o", "--output", help="write to this file (atomically; '-' is stdout)")
    graph.add_argument("--var-file", action="append", default=[])
    graph.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    graph.add_argument("--allow-incomplete", action="store_true",
                       help="exit 0 even when a file could not be read or parsed (default: exit 3)")

    policies = sub.add_parser("policies", help="list or show the policies",
                              description="list, show or test policies")
    psub = policies.add_subparsers(dest="policies_command", metavar="{list,show,test}")
    policies.set_defaults(policies_help=policies.format_help)
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
    if args.command == "policies" and args.policies_command is None:
        sys.stdout.write(args.policies_help())
        return EXIT_USAGE
    from .config import ConfigError
    from .output import OutputError
    from .policy.loader import PolicyError
    from .redact import mask_message
    from .request import RequestError
    from .suppress import BaselineError

    try:
        if args.command in ("scan", "hook", "baseline"):
            return _scan(args)
        if args.command == "graph":
            return _graph(args)
        return _policies(args)
    except (PolicyError, ConfigError, BaselineError, RequestError, _UsageError) as exc:
        print(f"riskgraph: {mask_message(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except OutputError as exc:
        print(f"riskgraph: {mask_message(str(exc))}", file=sys.stderr)
        return EXIT_OUTPUT


class _UsageError(Exception):
    """A command-line problem found after parsing."""


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
    from .api import only_paths, run
    from .model import Severity
    from .options import build_request

    if args.no_cache:  # read by the one cache (scanner/cache.py: parses, policies, results)
        os.environ["RISKGRAPH_NO_CACHE"] = "1"
    request = build_request(args, _jobs(args))
    if request.with_checkov:
        from .bridge.checkov import CheckovMissing, find_checkov
        try:
            find_checkov(request.checkov_path)
        except CheckovMissing as exc:
            raise _UsageError(str(exc)) from None
    progress = _Progress() if sys.stderr.isatty() else None
    report = run(request, progress)
    if progress is not None:
        progress.done()
    if args.command == "hook":   # paths in the report are relative to the repository root
        root = request.paths[0]
        report = only_paths(report, [os.path.relpath(os.path.realpath(f), os.path.realpath(root))
                                     for f in args.files])
    if args.command == "baseline":
        _write_baseline(report, request.output or ".riskgraph-baseline.json")
        return _incomplete_code(report, request.allow_incomplete) or EXIT_OK
    output = request.output if request.output is not None else DEFAULT_OUTPUT.get(request.format)
    _emit(report, request.format, output, request.base or os.getcwd(), request.category, request.jobs)
    incomplete = _incomplete_code(report, request.allow_incomplete)
    if incomplete:
        return incomplete
    threshold = Severity(request.severity_threshold).rank
    failing = any(f.suppression is None and f.severity.rank >= threshold for f in report.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def _incomplete_code(report: Any, allowed: bool) -> int:
    """EXIT_INCOMPLETE (said on stderr) when a file or step was not covered, unless allowed; else 0."""
    from .completeness import gaps, summary
    from .report.text import safe

    missing = gaps(report.diagnostics)
    if not missing:
        return 0
    if allowed:
        print(f"riskgraph: {safe(summary(missing))} (accepted: --allow-incomplete)", file=sys.stderr)
        return 0
    print(f"riskgraph: {safe(summary(missing))}; exit {EXIT_INCOMPLETE} "
          "(--allow-incomplete to accept)", file=sys.stderr)
    return EXIT_INCOMPLETE


def _jobs(args: argparse.Namespace) -> int:
    from .parallel import default_jobs

    if args.jobs is None:
        return default_jobs()
    if args.jobs < 1:
        raise _UsageError(f"--jobs takes a number of processes of at least 1, got {args.jobs}")
    return args.jobs


def _emit(report: Any, fmt: str, output: Optional[str], root: str, category: Optional[str],
          jobs: int = 1) -> None:
    from .output import write_output
    from .report import pieces

    to_terminal = (output is None or output == "-") and sys.stdout.isatty()
    colour = to_terminal and "NO_COLOR" not in os.environ
    options: dict[str, Any] = {"colour": colour, "root": root, "jobs": jobs}
    if category:
        options["category"] = category
    write_output(pieces(report, fmt, **options), output)


def _write_baseline(report: Any, output: str) -> None:
    import json

    from .output import write_output
    from .suppress import baseline_document

    doc = baseline_document(report.findings)
    write_output(json.dumps(doc, indent=2) + "\n", output)
    print(f"riskgraph: wrote {len(doc['findings'])} findings to {output}", file=sys.stderr)


def _graph(args: argparse.Namespace) -> int:
    from .api import load
    from .model import Report
    from .output import write_output
    from .redact import mask_diagnostic
    from .report.graph_export import export
    from .report.text import safe
    from .request import check_paths

    check_paths(args.paths)
    loaded = load(args.paths, var_files=args.var_file, exclude=args.exclude)
    for d in loaded.diagnostics:
        print(f"riskgraph: {safe(str(mask_diagnostic(d)))}", file=sys.stderr)
    write_output(export(loaded.graph, args.format), args.output)
    report = Report(findings=(), diagnostics=tuple(loaded.diagnostics), policies=())
    return _incomplete_code(report, args.allow_incomplete) or EXIT_OK


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
        from .request import check_policy_ids
        check_policy_ids([args.id], [p.id for p in policies], "policies show")
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
    _default_sigpipe()
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`riskgraph policies list | head -1`)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit
        code = 128 + 13
    sys.stderr.flush()
    # Everything is written, flushed and closed (reports, the cache database): leave without
    # freeing the scan's objects one by one, which took ~1 s for 100,000 resources and ~40 ms for
    # 5,000 (docs/performance.md). Nothing registers exit handlers; tests/test_cli.py checks that the
    # command's report, on standard output and in a file, and its exit code come out whole.
    os._exit(code)


def _default_sigpipe() -> None:
    """Die quietly of SIGPIPE when the reader of our output goes away, as every Unix tool does."""
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    entry()
