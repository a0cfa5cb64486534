"""EMR security configurations as data: the `configuration` JSON string decoded into `$configuration`.

``aws_emr_security_configuration.configuration`` is a JSON document (a
literal, a heredoc, ``jsonencode()``, ``file()``) holding
``EncryptionConfiguration`` and ``AuthenticationConfiguration``. Policies test
its keys as ``$configuration.EncryptionConfiguration.EnableAtRestEncryption``.
Unknown leaves (``${var.key}`` in a heredoc, a variable in ``jsonencode()``)
stay unknown; a document not known before apply, or not JSON, is unknown as a
whole, never absent. Every path has the line of ``configuration``.
"""

from __future__ import annotations

from typing import Any

from ...model import Unknown
from .iam import decode_json

SECURITY_CONFIGURATION_TYPES = frozenset({"aws_emr_security_configuration"})


def add_security_configuration(type_: str, attrs: dict[str, Any], lines: dict[str, int]) -> None:
    """Set ``$configuration`` on an EMR security configuration that sets ``configuration``."""
    if type_ not in SECURITY_CONFIGURATION_TYPES or attrs.get("configuration") is None:
        return
    document = decode_json(attrs["configuration"])
    if not isinstance(document, dict):
        document = Unknown("security configuration not known before apply, or not a JSON object")
    attrs["$configuration"] = document
    line = lines.get("configuration", 0)
    if line:
        _set_lines(document, "$configuration", line, lines)


def _set_lines(value: Any, path: str, line: int, lines: dict[str, int]) -> None:
    """Record ``line`` for ``path`` and every key path below it."""
    lines.setdefault(path, line)
    if isinstance(value, dict):
        for key, item in value.items():
            _set_lines(item, f"{path}.{key}", line, lines)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _set_lines(item, f"{path}.{i}", line, lines)
