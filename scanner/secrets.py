"""Secret recognition and masking: what looks like a credential, and how every output hides it."""

from __future__ import annotations

import math
import re
from typing import Any

# Known credential shapes: (name, pattern). Each pattern is anchored on a
# prefix or structure the issuer defines, so a match is a credential whatever
# its entropy; the generic entropy test below catches the rest.
PATTERNS: tuple[tuple[str, "re.Pattern[str]"], ...] = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|APKA)[0-9A-Z]{16}\b")),
    ("AWS secret access key", re.compile(
        r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b")),
    ("GitLab token", re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{16,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Google service account key", re.compile(r"\"type\"\s*:\s*\"service_account\"[\s\S]*\"private_key\"")),
    ("Azure storage account key", re.compile(r"(?i)AccountKey=[A-Za-z0-9+/]{86}==")),
    ("Azure shared access signature", re.compile(r"[?&]sig=[A-Za-z0-9%+/]{40,}={0,2}(?:&|$)")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,}\b")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}")),
    ("Anthropic API key", re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("PyPI token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    ("SendGrid key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    ("Twilio API key", re.compile(r"\bSK[0-9a-f]{32}\b")),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z]{34}\b")),
    ("DigitalOcean token", re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b")),
    ("Databricks token", re.compile(r"\bdapi[a-f0-9]{32}(?:-\d)?\b")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("connection string with password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@")),
)

_PLACEHOLDER = re.compile(
    r"^(?:\$\{.*\}|\$\(.*\)|\$[A-Z_][A-Z0-9_]*|<.*>|\{\{.*\}\}|%\{.*\}|changeme|change[-_]?me|"
    r"changeit|example|xxx+|\*+|\.+|redacted|todo|tbd|none|null|nil|empty|"
    r"(?:my|your|some|the)?[-_]?(?:password|passwd|secret|token|api[-_]?key)(?:[-_]?here)?|"
    r"dummy|test|testing|placeholder|fake|sample|default|replace[-_]?me)$", re.I)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NOT_SECRET_PREFIXES = ("arn:", "http://", "https://", "sha256:", "sha512:", "{", "[", "/", "./",
                        "projects/", "subscriptions/", "data:image/")
# Dotted / dashed names (policy names, versions, hostnames) and format strings are not secrets.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9]+(?:[-_.:][A-Za-z0-9]+){3,}$")
_FORMAT_FIELD = re.compile(r"\{[A-Za-z_][\w.]*\}")
_INTERPOLATION = ("$(", "${", "{{", "%{")  # references to values held elsewhere
MIN_ENTROPY = 4.0
MIN_ENTROPY_LENGTH = 20


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def credential_kind(value: Any) -> str:
    """The kind of credential ``value`` looks like, or '' if none."""
    if not isinstance(value, str) or len(value) < 8 or is_placeholder(value):
        return ""
    for name, pattern in PATTERNS:
        if pattern.search(value):
            return name
    token = value.strip()
    if (len(token) >= MIN_ENTROPY_LENGTH and not any(c.isspace() for c in token)
            and token.count("/") < 3 and not token.startswith(_NOT_SECRET_PREFIXES)
            and not any(marker in token for marker in _INTERPOLATION)
            and not _IDENTIFIER.match(token) and not _FORMAT_FIELD.search(token)
            and not _UUID.match(token) and _mixed_case(token) and _classes(token) >= 3
            and shannon_entropy(token) >= MIN_ENTROPY):
        return "high-entropy string"
    return ""


def _mixed_case(text: str) -> bool:
    """Generated secrets mix cases; host names, image references and paths rarely do."""
    return any(c.islower() for c in text) and any(c.isupper() for c in text)


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
