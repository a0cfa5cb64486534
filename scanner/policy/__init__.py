"""The policy engine: schema-validated YAML policies, compiled to closures, evaluated over the graph."""

from __future__ import annotations

from .evaluate import evaluate
from .loader import PolicyError, builtin_policy_dir, load_policies, load_policy_file

__all__ = ["PolicyError", "builtin_policy_dir", "evaluate", "load_policies", "load_policy_file"]
