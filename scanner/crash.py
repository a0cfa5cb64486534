"""A scan step that raised, as an `error` Diagnostic naming the step and the resource, its text masked."""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from .model import Diagnostic, Resource
from .secrets import mask, mask_in_text, maskable

MAX_TEXT = 300  # an exception can quote a whole value; the diagnostic keeps its start
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_TOKEN = re.compile(r"[^\s'\"=,;()\[\]{}<>]+")  # a word of the message, as a credential would be


def crash_diagnostic(code: str, step: str, exc: BaseException, resource: Optional[Resource] = None,
                     *, consequence: str, secret: bool = False) -> Diagnostic:
    """``step`` (``linker 'aws'``, ``policy RG-AWS-001``) raised ``exc`` while on ``resource``.

    The diagnostic sits at the resource's file and first line (``.``, the
    scan, when there is no resource). ``consequence`` says what is missing
    as a result. ``secret`` masks every quoted value of the message, for
    steps that handle credentials.
    """
    text = exception_text(exc, resource, secret)
    if resource is None:
        return Diagnostic(code, f"{step} failed: {text}; {consequence}", ".")
    return Diagnostic(code, f"{step} failed on {resource.address}: {text}; {consequence}",
                      resource.location.path, resource.location.start_line)


def exception_text(exc: BaseException, resource: Optional[Resource] = None,
                   secret: bool = False) -> str:
    """``Type: message``, cut to MAX_TEXT, with secrets masked.

    Masked: the resource's string values that look like credentials (all
    of them when ``secret``), anything matching a credential pattern, any
    word of the message that looks like a credential, and, when ``secret``,
    every quoted literal.
    """
    message = str(exc)
    if len(message) > MAX_TEXT:
        message = message[:MAX_TEXT] + "..."
    known = [s for s in _strings(resource.attributes if resource else {}) if secret or maskable(s)]
    message = mask_in_text(message, known)
    message = _TOKEN.sub(lambda m: mask(m.group(0)) if maskable(m.group(0)) else m.group(0), message)
    if secret:
        message = _QUOTED.sub(_mask_quoted, message)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _mask_quoted(m: "re.Match[str]") -> str:
    inner = m.group(1) if m.group(1) is not None else m.group(2)
    quote = m.group(0)[0]
    return f"{quote}{mask(inner)}{quote}"


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """The string leaves of a value tree (bounded depth: attribute trees are shallow)."""
    if isinstance(value, str):
        yield value
    elif depth < 64 and isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif depth < 64 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item, depth + 1)
