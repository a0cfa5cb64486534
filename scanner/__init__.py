"""riskgraph: a policy-as-code scanner that joins Terraform, Kubernetes and architecture YAML into one graph.

    from scanner import scan
    report = scan(["infra/"])
    for finding in report.findings:
        print(finding.policy_id, finding.location, finding.message)

Names are imported lazily so that ``import scanner`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BaselineError", "Config", "ConfigError", "Diagnostic", "Finding", "Location", "PathStep",
    "Policy", "PolicyError", "PolicyMeta", "Report", "RequestError", "Resource", "ScanRequest",
    "Severity", "Suppression",
    "Unknown", "build_graph", "find_config", "load_config", "load_graph", "load_policies",
    "render", "scan", "__version__",
]

_LAZY = {
    "scan": "scanner.api",
    "load_graph": "scanner.api",
    "build_graph": "scanner.graph",
    "load_policies": "scanner.policy.loader",
    "RequestError": "scanner.request",
    "ScanRequest": "scanner.request",
    "PolicyError": "scanner.policy.loader",
    "render": "scanner.report",
    "BaselineError": "scanner.suppress",
    "Config": "scanner.config",
    "ConfigError": "scanner.config",
    "find_config": "scanner.config",
    "load_config": "scanner.config",
}

if TYPE_CHECKING:  # pragma: no cover
    from .api import load_graph, scan
    from .config import Config, ConfigError, find_config, load_config
    from .graph import build_graph
    from .report import render
    from .suppress import BaselineError
    from .model import (
        Diagnostic,
        Finding,
        Location,
        PathStep,
        Policy,
        PolicyMeta,
        Report,
        Resource,
        Severity,
        Suppression,
        Unknown,
    )
    from .policy.loader import PolicyError, load_policies
    from .request import RequestError, ScanRequest


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in __all__:
        return getattr(importlib.import_module("scanner.model"), name)
    raise AttributeError(f"module 'scanner' has no attribute {name!r}")
