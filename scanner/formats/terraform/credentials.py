"""``$credentials`` / ``$tokens``: the literal credentials in a Terraform block, for the RG-SEC policies to read.

The walk (``scanner/credentials.py``) sees evaluated attributes, so a literal
reached through a variable default or a local counts; and it sees what is known
of a partly unknown value, so a password written beside
``${aws_db_instance.x.address}`` in a heredoc or a ``jsonencode`` is found.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ... import credentials
from ...model import SecretNames
from .expressions import PartialTemplate
from .functions import EncodedUnknown


# Credentials found by where they sit (``$credentials``); every other kind is a token format (``$tokens``)
_NAMED = ("credential name", "credential argument")


def add_credentials(type_: str, attrs: dict[str, Any], lines: dict[str, int]) -> None:
    """Set ``$credentials`` (literals given to credential names) and ``$tokens`` (known formats elsewhere)."""
    if not attrs:
        return
    found = credentials.find(attrs, schema_names=credentials.SCHEMA.get(type_, frozenset()),
                             unwrap=_known_part)
    ids = credentials.SECRET_NAMES.get(type_, frozenset())  # a secret's id, not its value
    named = [c for c in found if c.kind in _NAMED and not (c.kind == "credential name" and c.name in ids)]
    tokens = [c for c in found if c.kind not in _NAMED]
    for key, group in (("$credentials", named), ("$tokens", tokens)):
        if not group:
            continue
        attrs[key] = [{"at": c.at, "name": c.name, "value": c.value, "kind": c.kind} for c in group]
        for i, c in enumerate(group):
            line = _line(lines, c.at)
            if line:
                for sub in ("", ".at", ".name", ".value", ".kind"):
                    lines[f"{key}.{i}{sub}"] = line


def _known_part(value: Any) -> Optional[Any]:
    """What is known of a partly unknown value: a jsonencode's structure, a template's text."""
    if isinstance(value, EncodedUnknown):
        return value.decoded
    if isinstance(value, PartialTemplate):
        text = "".join(p if isinstance(p, str) else credentials.UNKNOWN_MARK for p in value.parts)
        names = frozenset(n for p in value.parts if isinstance(p, SecretNames) for n in p.names)
        if names:  # the walk reads it as text, JSON or not, and takes none of the secrets' names for a value
            return SecretNames(text, names)
        try:  # a JSON heredoc with ${...} inside quoted strings decodes with the marks in place
            return json.loads(text)
        except (ValueError, RecursionError):
            return text
    return None


def _line(lines: dict[str, int], at: str) -> int:
    """The line of ``at`` or of its nearest recorded ancestor."""
    parts = at.split(".")
    while parts:
        line = lines.get(".".join(parts))
        if line:
            return line
        parts.pop()
    return 0
