"""The `iam_statement` operator: does an IAM statement grant a request, with IAM's own wildcard rules."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from ..linear import glob_match
from ..model import is_unknown

Tri = Optional[bool]


def pattern_covers(pattern: str, request: str, *, ignore_case: bool) -> bool:
    """True when the statement's ``pattern`` matches every request named ``request``.

    ``s3:*`` covers ``s3:GetObject`` and ``s3:*``; ``*`` covers everything;
    ``s3:Get*`` does not cover ``s3:*`` (a wildcard in the request is taken
    literally: it names the whole family, which only a broader pattern grants).
    """
    return glob_match(str(pattern), str(request), ignore_case)


def _as_list(value: Any) -> Optional[list[Any]]:
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def _covers_any(patterns: list[Any], requests: Iterable[str], ignore_case: bool) -> Tri:
    """Whether any pattern covers any request; None when a pattern is unknown and none matched."""
    unknown = False
    for p in patterns:
        if is_unknown(p):
            unknown = True
        elif isinstance(p, str) and any(pattern_covers(p, r, ignore_case=ignore_case) for r in requests):
            return True
    return None if unknown else False


def _grants(statement: Mapping[str, Any], key: str, not_key: str, requests: list[str],
            ignore_case: bool) -> Tri:
    """Does the statement's Action/NotAction (or Resource/NotResource) apply to one of ``requests``?"""
    positive = _as_list(statement.get(key))
    if positive is not None:
        return _covers_any(positive, requests, ignore_case)
    negative = _as_list(statement.get(not_key))
    if negative is None:
        return False
    # NotAction: the statement applies to every request none of its patterns covers.
    for request in requests:
        hit = _covers_any(negative, [request], ignore_case)
        if hit is None:
            return None
        if not hit:
            return True
    return False


def iam_statement(value: Any, spec: Mapping[str, Any]) -> Tri:
    """True when the statement ``value`` has ``spec.effect`` and covers one of the actions on one of the resources.

    ``spec``: ``effect`` (default ``Allow``), ``actions`` (requests, any one
    suffices), optional ``resources`` (any one suffices; omitted: not
    tested), optional ``principals`` (resource and trust policies: any one
    suffices; ``*`` is anyone), optional ``unconditional: true`` (only
    statements without a ``Condition`` count). Action service prefixes and
    names compare case-insensitively, resources and principals case-sensitively.
    """
    if not isinstance(value, Mapping):
        return False
    effect = value.get("Effect", "Allow")
    if is_unknown(effect):
        return None
    if str(effect).lower() != str(spec.get("effect", "Allow")).lower():
        return False
    if spec.get("unconditional") and value.get("Condition"):
        return False
    action = _grants(value, "Action", "NotAction", list(spec["actions"]), True)
    if action is False:
        return False
    resource: Tri = True
    if "resources" in spec:
        resource = _grants(value, "Resource", "NotResource", list(spec["resources"]), False)
        if resource is False:
            return False
    principal: Tri = True
    if "principals" in spec:
        principal = _grants(_flat_principals(value), "Principal", "NotPrincipal", list(spec["principals"]), False)
        if principal is False:
            return False
    return None if None in (action, resource, principal) else True


def _flat_principals(statement: Mapping[str, Any]) -> dict[str, Any]:
    """``Principal`` / ``NotPrincipal`` as flat identifier lists: ``{"AWS": ["*"], "Service": [...]}`` -> ``["*", ...]``."""
    out: dict[str, Any] = {}
    for key in ("Principal", "NotPrincipal"):
        value = statement.get(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            ids: list[Any] = []
            for item in value.values():
                ids.extend(item if isinstance(item, list) else [item])
            out[key] = ids
        else:
            out[key] = value  # "*", a list, or unknown
    return out


