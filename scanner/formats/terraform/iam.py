"""IAM policy documents as data: JSON strings, jsonencode(), heredocs and policy-document data sources in one statement model.

The normalised document is added to the resource as ``$policy`` (and
``$assume_role_policy``): ``{"Statement": [{"Effect", "Action", "NotAction",
"Resource", "NotResource", "Principal", "Condition"}]}`` with every
Action / Resource a list, so "Action * on Resource *" is one test whichever
way the document was written.

Unknown parts never make a document disappear: ``jsonencode()`` of a value
with unknown leaves keeps its structure (:class:`EncodedUnknown`), and a
heredoc or string with unknown interpolations (:class:`PartialTemplate`) is
read with each unknown rendered as a sentinel string that is turned back into
:class:`Unknown` after JSON decoding. A statement whose Action is unknown is
therefore neither "*" nor anything else; its known fields are still tested.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ...model import Unknown, is_unknown
from .expressions import PartialObject, PartialTemplate
from .functions import FUNCTIONS, EncodedUnknown

POLICY_ATTRIBUTES = {"policy": "$policy", "assume_role_policy": "$assume_role_policy",
                     "access_policies": "$policy",  # OpenSearch and Elasticsearch domains
                     "access_policy": "$policy"}    # Glacier vaults (a key vault's access_policy blocks are no document)
LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
SENTINEL = "\u0000rg-unknown\u0000"
POLICY_DOCUMENT = "aws_iam_policy_document"


def decode_json(value: Any) -> Any:
    """The JSON structure behind a string, an encoded-unknown or a partial template (None when there is none)."""
    if isinstance(value, EncodedUnknown):
        return value.decoded
    if isinstance(value, PartialTemplate):
        text = "".join(SENTINEL if is_unknown(p) else p for p in value.parts)
        try:
            return _restore(json.loads(text, strict=False))
        except (ValueError, RecursionError):  # not JSON, or too deep to read
            return None
    if is_unknown(value) or value is None:
        return None
    if isinstance(value, str):
        try:
            return json.loads(value, strict=False)
        except (ValueError, RecursionError):
            return None
    return value


def _restore(value: Any) -> Any:
    """Turn sentinel strings (an unknown interpolation) back into unknowns that keep their known text."""
    if isinstance(value, str):
        if SENTINEL not in value:
            return value
        parts: list[Any] = []   # the known text kept, as for a template evaluated directly
        for i, chunk in enumerate(value.split(SENTINEL)):
            if i:
                parts.append(Unknown("interpolation not known"))
            if chunk:
                parts.append(chunk)
        return PartialTemplate(parts)
    if isinstance(value, list):
        return [_restore(v) for v in value]
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    return value


def normalise(value: Any) -> Optional[dict[str, Any]]:
    """The statement model of a policy document given as JSON text or a decoded structure."""
    value = decode_json(value)
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


def add_policy_documents(rtype: str, attributes: dict[str, Any], lines: dict[str, int]) -> None:
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
    if isinstance(attributes.get("inline_policy"), list):
        _inline_policies(attributes, lines)
    if rtype == POLICY_DOCUMENT:
        _policy_document(attributes, lines)


def _inline_policies(attributes: dict[str, Any], lines: dict[str, int]) -> None:
    """``inline_policy { policy = ... }`` blocks of a role: their statements as the role's ``$policy``."""
    statements: list[Any] = []
    for i, block in enumerate(attributes["inline_policy"]):
        doc = normalise(block.get("policy")) if isinstance(block, dict) else None
        if doc is None:
            continue
        line = lines.get(f"inline_policy.{i}.policy", lines.get(f"inline_policy.{i}"))
        for s in doc["Statement"]:
            if line is not None:
                lines[f"$policy.Statement.{len(statements)}"] = line
            statements.append(s)
        if line is not None:
            lines.setdefault("$policy", line)
    if statements and "$policy" not in attributes:
        attributes["$policy"] = {"Version": "2012-10-17", "Statement": statements}


def _policy_document(attributes: dict[str, Any], lines: dict[str, int]) -> None:
    """``data "aws_iam_policy_document"``: statement blocks rendered to the document and its ``json``.

    A ``json`` Terraform already rendered (a plan's values) is the document as it is: not rendered again.
    """
    rendered = normalise(attributes["json"]) if isinstance(attributes.get("json"), str) else None
    if rendered is not None:
        attributes["$policy"] = rendered
        return
    statements: list[Any] = []
    for doc_attr in ("source_policy_documents", "source_json"):
        for src in _as_list(attributes.get(doc_attr)):
            doc = normalise(src)
            statements.extend(doc["Statement"] if doc else [])
    blocks = attributes.get("statement")
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict):
            continue
        line = lines.get(f"statement.{i}")
        if line is not None:
            lines[f"$policy.Statement.{len(statements)}"] = line
        statements.append(_statement(block))
    document: dict[str, Any] = {"Version": attributes.get("version", "2012-10-17"),
                                "Statement": statements}
    if any(is_unknown(b) for b in (blocks if isinstance(blocks, list) else [])) or is_unknown(blocks):
        document["Statement"] = [*statements, Unknown("dynamic statement not known")]
    attributes["json"] = _encode(document)
    attributes["$policy"] = normalise(document) or {"Statement": []}
    if "statement.0" in lines:
        lines.setdefault("$policy", lines["statement.0"])


def _statement(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
    if block.get("sid") is not None:
        out["Sid"] = block["sid"]
    for key, name in (("actions", "Action"), ("not_actions", "NotAction"),
                      ("resources", "Resource"), ("not_resources", "NotResource")):
        if key in block and block[key] is not None:
            out[name] = block[key]
    for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        if isinstance(block.get(key), list):
            out[name] = _principals(block[key])
    if isinstance(block.get("condition"), list):
        out["Condition"] = _conditions(block["condition"])
    return out


def _conditions(blocks: list[Any]) -> Any:
    """``condition`` blocks as ``{test: {variable: values}}``; a test with a variable known only at
    apply (``"${local.issuer}:sub"``) is a :class:`PartialObject` keeping its entries."""
    entries: dict[str, list[tuple[Any, Any]]] = {}
    for c in blocks:
        variable = c.get("variable") if isinstance(c, dict) else None
        if not isinstance(c, dict) or not isinstance(c.get("test"), str) or not (
                isinstance(variable, str) or is_unknown(variable)):
            return Unknown("condition not known")
        entries.setdefault(c["test"], []).append((variable, c.get("values")))
    return {test: dict(pairs) if all(isinstance(k, str) for k, _ in pairs) else PartialObject(pairs)
            for test, pairs in entries.items()}


def _principals(blocks: list[Any]) -> Any:
    principals: dict[str, Any] = {}
    for p in blocks:
        if not isinstance(p, dict) or not isinstance(p.get("type"), str):
            return Unknown("principal not known")
        ids = p.get("identifiers")
        principals.setdefault(p["type"], []).extend(ids if isinstance(ids, list) else [ids])
    if list(principals) == ["*"] and principals["*"] == ["*"]:
        return "*"
    return principals


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _encode(document: dict[str, Any]) -> Any:
    """``json`` of a policy document: a JSON string, or an :class:`EncodedUnknown` keeping its structure."""
    return FUNCTIONS["jsonencode"](document)
