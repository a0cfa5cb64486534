"""Masking for messages built from user content (diagnostics, configuration and policy errors), as findings are masked."""

from __future__ import annotations

from dataclasses import replace

from .credentials import name_holds_credential
from .linear import Pattern
from .model import Diagnostic
from .secrets import is_placeholder, mask, mask_in_text, maskable

# a word of a message, as a credential would be written inside one
_TOKEN = Pattern(r"[^\s'\"=,;:()\[\]{}<>]+")
# name = value, name: value, name=value inside a quoted string
_ASSIGNED = Pattern(r"[A-Za-z_][\w.-]*[ \t]*[=:][ \t]*[^\s'\",;]+")
_SPLIT = Pattern(r"[ \t]*[=:][ \t]*")


def mask_message(text: str) -> str:
    """``text`` with every credential masked: known formats, values given to credential names
    (``password=...``, ``token: ...``) and generated-looking words."""
    text = mask_in_text(text, ())
    text = _ASSIGNED.sub(_mask_assigned, text)
    out: list[str] = []
    last = 0
    for start, end in _TOKEN.spans(text):
        word = text[start:end]
        if maskable(word) and not _git_ref(text, start, word):
            out.append(text[last:start])
            out.append(mask(word))
            last = end
    out.append(text[last:])
    return "".join(out)


def _git_ref(text: str, start: int, word: str) -> bool:
    """A commit id pinned in a module source (``?ref=<40 hex>``): a version, not a credential."""
    return text[max(0, start - 4):start] == "ref=" and len(word) == 40 and all(
        c in "0123456789abcdef" for c in word)


def _mask_assigned(chunk: str) -> str:
    start, end = next(_SPLIT.spans(chunk))
    name, value = chunk[:start], chunk[end:]
    if not name_holds_credential(name) or is_placeholder(value) or value.startswith("*"):
        return chunk
    return chunk[:end] + mask(value)


def mask_diagnostic(d: Diagnostic) -> Diagnostic:
    """The diagnostic with its message masked (the same object when nothing changes)."""
    masked = mask_message(d.message)
    return d if masked == d.message else replace(d, message=masked)
