"""Which Kubernetes service accounts an IAM role's trust policy admits through web identity (IRSA).

A trust statement admits ``system:serviceaccount:<ns>:<name>`` when it
allows ``sts:AssumeRoleWithWebIdentity`` to a ``Federated`` principal and
every condition on the ``<issuer>:sub`` claim holds for that subject, as IAM
evaluates them: ``StringEquals`` / ``StringEqualsIgnoreCase`` compare
exactly, ``StringLike`` with ``*`` and ``?`` wildcards, the ``Not`` forms
negate, ``ForAnyValue:`` / ``ForAllValues:`` and ``IfExists`` change nothing
for a claim that always has one value. ``:aud`` and other claims do not
restrict the subject. Answers are three-valued: a value known only at apply
(a subject from a variable, a condition built by a module) is ``None``,
never guessed.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ...linear import glob_match
from ...model import Unknown, is_unknown

Tri = Optional[bool]
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
# A subject no real trust policy names: a statement admitting it admits every service account.
PROBE = "system:serviceaccount:rg-probe-namespace-q7:rg-probe-account-q7"
SENTINEL = "\u0000rg-unknown\u0000"   # an unknown interpolation inside a decoded JSON key (parsers/terraform/iam.py)
POSITIVE = {"StringEquals": False, "StringEqualsIgnoreCase": False, "StringLike": True}
NEGATIVE = {"StringNotEquals": False, "StringNotEqualsIgnoreCase": False, "StringNotLike": True}


def subject(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


def claim_of(key: Any) -> Optional[str]:
    """``sub`` for ``oidc.eks.../id/X:sub`` or ``"${local.issuer}:sub"``; None for a key not known at all."""
    if isinstance(key, str):
        text = key.rsplit(SENTINEL, 1)[-1]
        return text.rsplit(":", 1)[-1] if ":" in text else None
    parts = getattr(key, "parts", None)   # a PartialTemplate: its known text after the last unknown part
    if isinstance(parts, list) and parts and isinstance(parts[-1], str) and ":" in parts[-1]:
        return parts[-1].rsplit(":", 1)[-1]
    return None


def key_text(key: Any) -> str:
    """The known text of a condition key, for telling which issuer it names."""
    if isinstance(key, str):
        return key.replace(SENTINEL, "")
    parts = getattr(key, "parts", None)
    return "".join(p for p in parts if isinstance(p, str)) if isinstance(parts, list) else ""


def entries(block: Any) -> Optional[list[tuple[Any, Any]]]:
    """A condition operator's ``(key, values)`` pairs; None when the block is not known."""
    if isinstance(block, dict):
        return list(block.items())
    items = getattr(block, "items", None)   # a PartialObject: an object with a key known only at apply
    return list(items) if isinstance(items, list) else None


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _operator(op: str) -> str:
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if op.startswith(prefix):
            op = op[len(prefix):]
    return op[: -len("IfExists")] if op.endswith("IfExists") else op


def web_identity_statement(statement: Any) -> Tri:
    """Whether the statement is about ``sts:AssumeRoleWithWebIdentity`` from a federated principal."""
    if not isinstance(statement, dict):
        return None
    actions = statement.get("Action")
    if actions is None or is_unknown(actions):
        return None if actions is not None else False
    hit: Tri = False
    for a in _values(actions):
        if isinstance(a, str):
            if glob_match(a, WEB_IDENTITY, ignore_case=True):
                hit = True
                break
        else:
            hit = None
    if hit is not True:
        return hit
    principal = statement.get("Principal")
    if isinstance(principal, Unknown):
        return None
    return isinstance(principal, dict) and "Federated" in principal


def admits(statement: dict[str, Any], sub: str) -> Tri:
    """Whether every ``:sub`` condition of a web-identity statement holds for ``sub``."""
    conditions = statement.get("Condition", {})
    if conditions is None:
        return True
    if not isinstance(conditions, dict):
        return None
    verdict: Tri = True
    for op, block in conditions.items():
        pairs = entries(block)
        if pairs is None:
            verdict = None   # a whole operator block unknown: it may hold a subject condition
            continue
        for key, values in pairs:
            claim = claim_of(key)
            if claim is None and is_unknown(key):
                verdict = None
                continue
            if claim != "sub":
                continue
            one = _condition(_operator(str(op)), values, sub)
            if one is False:
                return False
            if one is None:
                verdict = None
    return verdict


def _condition(op: str, values: Any, sub: str) -> Tri:
    if op in POSITIVE or op in NEGATIVE:
        wildcard = POSITIVE.get(op, NEGATIVE.get(op))
        ignore_case = op.endswith("IgnoreCase")
        hit: Tri = False
        for v in _values(values):
            if not isinstance(v, str):
                hit = None if hit is False else hit
                continue
            if glob_match(v, sub, ignore_case) if wildcard else (
                    v.lower() == sub.lower() if ignore_case else v == sub):
                hit = True
                break
        if op in POSITIVE:
            return hit
        return None if hit is None else not hit
    return None   # an operator that does not compare strings (or not one we read): not known


def subjects(statement: dict[str, Any]) -> list[Any]:
    """The values the statement's positive ``:sub`` conditions name (unknown ones as ``Unknown``)."""
    out: list[Any] = []
    conditions = statement.get("Condition")
    for op, block in (conditions.items() if isinstance(conditions, dict) else ()):
        for key, values in entries(block) or ():
            if claim_of(key) == "sub" and _operator(str(op)) in POSITIVE:
                out.extend(_values(values))
    return out


def role_admits(document: Any, sub: str) -> Tri:
    """Whether a trust policy (``$assume_role_policy``) lets ``sub`` assume the role by web identity.

    Allowed by some Allow statement and denied by no Deny statement; each
    part three-valued.
    """
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list):
        return None
    allowed: Tri = False
    denied: Tri = False
    for s in statements:
        kind = web_identity_statement(s)
        if kind is False:
            continue
        verdict = admits(s, sub) if kind else None
        if isinstance(s, dict) and s.get("Effect") == "Deny":
            denied = True if verdict is True else (None if verdict is None and denied is False else denied)
        elif allowed is not True:
            allowed = verdict if verdict is not False else allowed
    if denied is True or allowed is False:
        return False
    return None if denied is None or allowed is None else True


def issuer_texts(statement: dict[str, Any]) -> Iterable[str]:
    """Known text naming the identity provider: the Federated ARN and the condition keys."""
    principal = statement.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, dict) else None
    for f in _values(federated):
        if isinstance(f, str):
            yield f
    conditions = statement.get("Condition")
    for _, block in (conditions.items() if isinstance(conditions, dict) else ()):
        for key, _ in entries(block) or ():
            yield key_text(key)
