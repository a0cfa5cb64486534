"""IAM policy documents as data: JSON strings, jsonencode() values and heredocs normalised to one statement model.

The normalised document is added to the resource as ``$policy`` (and
``$assume_role_policy``): ``{"Statement": [{"Effect", "Action", "NotAction",
"Resource", "NotResource", "Principal", "Condition"}]}`` with every
Action / Resource a list, so "Action * on Resource *" is one test whichever
way the document was written.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ...model import is_unknown

POLICY_ATTRIBUTES = {"policy": "$policy", "assume_role_policy": "$assume_role_policy",
                     "inline_policy": "$policy"}
LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


def normalise(value: Any) -> Optional[dict[str, Any]]:
    """The statement model of a policy document given as a JSON string or a decoded structure."""
    if is_unknown(value) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    statements = value.get("Statement", value.get("statement"))
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    out = []
    for s in statements:
        if not isinstance(s, dict):
            continue
        norm = {k[:1].upper() + k[1:]: v for k, v in s.items()}
        for key in LIST_KEYS:
            if key in norm and not isinstance(norm[key], list):
                norm[key] = [norm[key]]
        norm.setdefault("Effect", "Allow")
        out.append(norm)
    return {"Version": value.get("Version"), "Statement": out}


def add_policy_documents(attributes: dict[str, Any], lines: dict[str, int]) -> None:
    """Attach ``$policy`` views to a resource's attributes, pointing at the original lines."""
    for name, derived in POLICY_ATTRIBUTES.items():
        if name not in attributes:
            continue
        doc = normalise(attributes[name])
        if doc is None:
            continue
        attributes[derived] = doc
        line = lines.get(name)
        if line is not None:
            lines[derived] = line
