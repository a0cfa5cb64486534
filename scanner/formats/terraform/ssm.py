"""Session Manager preferences: the `inputs` of an `aws_ssm_document` of type Session, as `$session`.

``content`` is a JSON or YAML string (``document_format``, default JSON: a
literal, a heredoc, ``jsonencode()``, ``file()``). For a document of
``document_type = "Session"`` its ``sessionType`` and ``inputs`` become
``$session`` (``{"sessionType": ..., "inputs": {...}}``), so policies can read
``$session.inputs.s3BucketName``. Content known only at apply leaves
``$session`` unknown; content that is neither JSON nor YAML sets nothing.
Every path has the line of ``content``.
"""

from __future__ import annotations

import json
from typing import Any

from ...model import Unknown, is_unknown
from ...yamlnodes import Document, first_document
from .expressions import PartialTemplate
from .functions import EncodedUnknown


def add_session(type_: str, attrs: dict[str, Any], lines: dict[str, int]) -> None:
    """Set ``$session`` on a Session Manager document."""
    if type_ != "aws_ssm_document" or attrs.get("document_type") != "Session":
        return
    content = _decoded(attrs.get("content"), attrs.get("document_format", "JSON"))
    if is_unknown(content):
        attrs["$session"] = Unknown("session document content not known before apply")
    elif isinstance(content, dict):
        attrs["$session"] = {"sessionType": content.get("sessionType"), "inputs": content.get("inputs")}
    else:
        return
    lines["$session"] = lines.get("content", 0)


def _decoded(value: Any, document_format: Any) -> Any:
    """The structure ``content`` encodes; Unknown when not known before apply, None when unreadable."""
    if isinstance(value, EncodedUnknown):
        return value.decoded
    if isinstance(value, PartialTemplate) or is_unknown(value) or is_unknown(document_format):
        return Unknown("session document content not known before apply")
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    if document_format == "YAML":
        doc = first_document(value)
        return doc.value if isinstance(doc, Document) else None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None
