"""Secret recognition and masking: what looks like a credential, and how every output hides it."""

from __future__ import annotations

import math
import re
from typing import Any

# Known credential shapes: (name, pattern).
PATTERNS: tuple[tuple[str, "re.Pattern[str]"], ...] = (
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("connection string with password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@")),
)

_PLACEHOLDER = re.compile(
    r"^(?:\$\{.*\}|<.*>|\{\{.*\}\}|changeme|change[-_]?me|example|xxx+|\*+|redacted|todo|none|null|"
    r"password|secret|dummy|test|placeholder)$", re.I)


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def credential_kind(value: Any) -> str:
    """The kind of credential ``value`` looks like, or '' if none."""
    if not isinstance(value, str) or len(value) < 8:
        return ""
    for name, pattern in PATTERNS:
        if pattern.search(value):
            return name
    token = value.strip()
    if (len(token) >= 20 and " " not in token and token.count("/") < 3
            and shannon_entropy(token) >= 4.0 and _classes(token) >= 3
            and not token.startswith(("arn:", "http://", "https://", "sha256:", "{", "["))):
        return "high-entropy string"
    return ""


def _classes(text: str) -> int:
    return sum((any(c.islower() for c in text), any(c.isupper() for c in text),
                any(c.isdigit() for c in text), any(not c.isalnum() for c in text)))


def looks_like_secret(value: Any) -> bool:
    """True for a literal credential: a known token shape or a high-entropy string."""
    return bool(credential_kind(value))


def is_placeholder(value: Any) -> bool:
    """True for obvious non-secrets people put in password fields (``changeme``, ``${...}``)."""
    return isinstance(value, str) and bool(_PLACEHOLDER.match(value.strip()))


def mask(value: Any) -> str:
    """A masked rendering: never more than the first two characters survive."""
    text = str(value)
    if len(text) <= 6:
        return "******"
    return text[:2] + "*" * min(len(text) - 2, 10)


def mask_in_text(text: str, secrets: "list[str] | tuple[str, ...]") -> str:
    """Replace each known secret, and anything matching a credential pattern, in ``text``."""
    for s in sorted(set(secrets), key=len, reverse=True):
        if s and len(s) >= 4:
            text = text.replace(s, mask(s))
    for _, pattern in PATTERNS:
        text = pattern.sub(lambda m: mask(m.group(0)), text)
    return text
