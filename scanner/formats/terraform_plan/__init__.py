"""Terraform plan JSON (`terraform show -json`): the values Terraform resolved, in the cloud vocabulary.

Each plan file is parsed on its own (it is a whole root module), so two plans
holding the same addresses stay apart. The parser is :mod:`.parser`.
"""

from __future__ import annotations

import re

from .. import Format
from ...model import Layer

_PLAN_RE = re.compile(rb'"(planned_values|resource_changes)"\s*:')


def sniff(lower: str, head: bytes) -> bool:
    """A JSON file holding a plan's top-level keys."""
    return _PLAN_RE.search(head) is not None


FORMAT = Format("terraform_plan", Layer.TERRAFORM, "scanner.formats.terraform_plan.parser",
                sniffs=(".json",), sniff=sniff, kind="a Terraform plan",
                per_file=True)
