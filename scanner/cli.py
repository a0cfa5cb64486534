"""The `riskgraph` command: scan, and inspect the policy library. Exit 0 clean, 1 findings, 2 usage or config error."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

EXAMPLES = """examples:
  riskgraph scan infra/ k8s/ architecture.yaml
  riskgraph scan . --format sarif -o riskgraph.sarif
  riskgraph scan . --format json --severity-threshold high
  riskgraph policies list
  riskgraph policies show RG-AWS-001
"""


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riskgraph", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Policy-as-code scanner for Terraform, Kubernetes and architecture YAML, "
                    "joined into one graph.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")

    scan = sub.add_parser("scan", help="scan files and directories",
                          formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    scan.add_argument("paths", nargs="+", help="files or directories to scan")
    scan.add_argument("-f", "--format", default="text", choices=("text", "json", "sarif"),
                      help="output format (default: text)")
    scan.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    scan.add_argument("--severity-threshold", default="low",
                      choices=("info", "low", "medium", "high", "critical"),
                      help="exit 1 only for findings at or above this severity (default: low)")
    scan.add_argument("--policy-dir", action="append", default=[],
                      help="extra directory of policy files (repeatable)")
    scan.add_argument("--no-builtin", action="store_true", help="do not load the built-in policies")
    scan.add_argument("--only", type=_csv, default=[], help="comma-separated policy ids to run")
    scan.add_argument("--skip", type=_csv, default=[], help="comma-separated policy ids to skip")
    scan.add_argument("--var-file", action="append", default=[], help="Terraform variables file")
    scan.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                      help="Terraform variable value (repeatable)")
    scan.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                      help="skip paths matching this glob (repeatable)")

    policies = sub.add_parser("policies", help="list or show the policies")
    psub = policies.add_subparsers(dest="policies_command", required=True)
    plist = psub.add_parser("list", help="one line per policy")
    plist.add_argument("--policy-dir", action="append", default=[])
    show = psub.add_parser("show", help="everything about one policy")
    show.add_argument("id")
    show.add_argument("--policy-dir", action="append", default=[])
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
    from .policy.loader import PolicyError

    try:
        if args.command == "scan":
            return _scan(args)
        return _policies(args)
    except PolicyError as exc:
        print(f"riskgraph: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _scan(args: argparse.Namespace) -> int:
    from .api import scan
    from .model import Severity
    from .report import render

    variables = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"riskgraph: --var takes NAME=VALUE, got {item!r}", file=sys.stderr)
            return EXIT_USAGE
        variables[name] = value
    report = scan(args.paths, policy_dirs=args.policy_dir, builtin_policies=not args.no_builtin,
                  only=args.only, skip=args.skip, var_files=args.var_file, variables=variables,
                  exclude=args.exclude)
    to_terminal = args.output is None and sys.stdout.isatty()
    colour = to_terminal and "NO_COLOR" not in os.environ
    text = render(report, args.format, colour=colour)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    threshold = Severity(args.severity_threshold).rank
    failing = [f for f in report.active_findings if f.severity.rank >= threshold]
    return EXIT_FINDINGS if failing else EXIT_OK


def _policies(args: argparse.Namespace) -> int:
    from .policy.loader import load_policies

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


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
