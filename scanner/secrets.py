"""What a literal credential looks like: issuer-defined token formats, placeholders, and the mask every output applies."""

from __future__ import annotations

import math
from typing import Any

from .linear import PatternSet

# Known credential formats: (name, RE2 pattern). Each is anchored on a prefix or
# structure the issuer defines, so a match is a credential wherever it sits.
FORMATS: tuple[tuple[str, str], ...] = (
    ("AWS access key id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|APKA)[0-9A-Z]{16}\b"),
    ("AWS secret access key",
     r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+]|$)"),
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    ("GitLab token", r"\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}\b"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    ("Slack webhook", r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{16,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("Google service account key", r"\"type\"\s*:\s*\"service_account\"[\s\S]*\"private_key\""),
    ("Azure storage account key", r"(?i)AccountKey=[A-Za-z0-9+/]{86}=="),
    ("Azure shared access signature", r"[?&]sig=[A-Za-z0-9%+/]{40,}={0,2}(?:&|$)"),
    ("Stripe key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b"),
    ("OpenAI API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"),
    ("Anthropic API key", r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    ("SendGrid key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    ("Twilio API key", r"\bSK[0-9a-f]{32}\b"),
    ("Hugging Face token", r"\bhf_[A-Za-z]{34}\b"),
    ("DigitalOcean token", r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    ("Databricks token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
    ("JWT", r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    # user:password@ in a URL; the password may not be a ${...}, $(...), {{...}} or <...> reference
    ("connection string with password", r"\b[a-z][a-z0-9+.-]*://[^/\s:@$<{]+:[^/\s@$<{%*]{3,}@"),
)
_FORMAT_SET = PatternSet(p for _, p in FORMATS)
_FORMAT_PATTERNS = _FORMAT_SET.patterns  # each alone: where a format occurs

# The one list of values people put where a credential belongs without it being one
# (compared after lower-casing and stripping quotes and spaces).
PLACEHOLDERS = frozenset({
    "changeme", "change-me", "change_me", "changeit", "replaceme", "replace-me", "replace_me",
    "example", "sample", "dummy", "fake", "test", "testing", "placeholder", "redacted", "secret",
    "password", "passwd", "token", "apikey", "api_key", "api-key", "mypassword", "yourpassword",
    "your-password", "your_password", "mysecret", "yoursecret", "your-secret", "your_secret",
    "your-token", "your_token", "your-api-key", "your_api_key", "password-here", "secret-here",
    "todo", "tbd", "none", "null", "nil", "empty", "undefined", "default", "true", "false",
    "yes", "no", "n/a", "na", "unset", "unknown", "xxx", "xxxx", "xxxxx", "xxxxxx", "xxxxxxxx",
    "foo", "bar", "baz", "foobar", "foobarbaz", "nothing",   # metasyntactic test values
})
_REFERENCE_MARKERS = ("${", "$(", "{{", "%{", "<%", "#{", "ENC[", "vault:", "ref+", "sm://",
                      "secretsmanager:", "ssm:", "arn:aws:secretsmanager:", "arn:aws:ssm:")
# Prefixes that say where a value is read from: LiteLLM's `master_key: os.environ/PROXY_MASTER_KEY`
# and `AZURE_AD_TOKEN: oidc/azure/<audience>` (a token fetched through OIDC)
_READ_FROM = ("os.environ/", "oidc/")
_PLACEHOLDER_WORDS = ("placeholder", "changeme", "change_me", "change-me", "replaceme", "replace_me",
                      "replace-me", "redacted", "dummy", "example", "notreal", "not-real", "not-a-real",
                      "not_a_real", "your-",
                      "your_", "-here", "_here", "xxxxx", "*****", "fake", "mock", "insert_", "insert-",
                      "enter_", "enter-", "set_me", "set-me", "setme",
                      # a seed Terraform writes once and something else replaces (ignore_changes = [value])
                      "overridden", "initial_value", "initial-value", "managed-outside",
                      "outside-terraform", "outside_terraform")
# Phrases a stand-in spells out, read with digits and symbols back as the letters they imitate: only whole
# phrases, so that a weak password in that style (``p4ssw0rd``) stays one.
_DELEET = str.maketrans({"4": "a", "@": "a", "3": "e", "0": "o", "1": "i", "5": "s", "$": "s", "7": "t",
                         "-": "", "_": "", " ": ""})
_ASKS_TO_BE_CHANGED = ("changethis", "pleasechange", "changeme", "replacethis", "replaceme", "notasecret",
                       "notaverysecret", "notarealsecret")
MIN_ENTROPY = 3.5
MIN_ENTROPY_LENGTH = 16


def credential_kind(value: Any) -> str:
    """The known credential format ``value`` contains ('' if none): what a literal *is*."""
    index = _format_index(value)
    return FORMATS[index][0] if index >= 0 else ""


def credential_match(value: Any) -> tuple[str, str]:
    """(format name, the matching text) of the first known credential format in ``value``, or ('', '')."""
    index = _format_index(value)
    if index < 0:
        return "", ""
    start, end = next(_FORMAT_PATTERNS[index].spans(value))
    return FORMATS[index][0], value[start:end]


def _format_index(value: Any) -> int:
    """The index in FORMATS of the first format ``value`` contains, or -1."""
    if not isinstance(value, str) or len(value) < 8:
        return -1
    return _FORMAT_SET.first(value)


def looks_like_secret(value: Any) -> bool:
    """True for a string with a known credential format."""
    return bool(credential_kind(value))


def maskable(value: Any) -> bool:
    """Hidden wherever it is shown (messages, diagnostics): a known credential format or a
    generated-looking token. Wider than what a finding reports, since masking an ordinary
    word costs nothing."""
    return looks_like_secret(value) or is_high_entropy(value)


def is_placeholder(value: Any) -> bool:
    """True for a value that stands in for a credential: ``changeme``, ``<password>``, ``${var.x}``, ``****``."""
    if not isinstance(value, str):
        return False
    text = value.strip().strip("\"'").strip()
    low = text.lower()
    if not text or low in PLACEHOLDERS or any(m in text for m in _REFERENCE_MARKERS) or text.startswith(_READ_FROM):
        return True
    if any(word in low for word in _PLACEHOLDER_WORDS):  # PLACEHOLDER_SET_VIA_UI, your-api-key-here
        return True
    if any(phrase in low.translate(_DELEET) for phrase in _ASKS_TO_BE_CHANGED):
        return True  # Ple4seCh4ngeThisN0tAVerySecretV4lue (Rook's registry example): it says what it is
    if len(set(low)) == 1 and not low[0].isalnum():       # ****, ....
        return True
    if low.startswith("x") and len(set(low)) == 1:       # xxxxxxxxxx
        return True
    if text.startswith("$") and text[1:].replace("_", "").isalnum():  # $DB_PASSWORD
        return True
    if _names_what_goes_here(text):  # nvapi-NVKEY, sk-APIKEY: a vendor's prefix, then what to put after it
        return True
    if low.replace("_", "-").partition("-")[::2] in _MY_KIND:  # my-uuid, my_token: "my" and the kind of value
        return True
    if _stand_in_words(low):  # testtoken, foobar_new, dummy-secret: nothing but the words above
        return True
    return (text[0] in "<[" and text[-1] in ">]") or (text[0] == "{" and text[-1] == "}")


# The placeholder words a stand-in may be made of, run together or joined by - _ . and spaces: the whole
# placeholders of three letters or more, the markers of a second test value (Zalando's `foobar_new`) and
# the word a value uses to name itself (Azure's Key Vault example: `secret-value`).
_STAND_IN_VOCABULARY = frozenset(w for w in PLACEHOLDERS if w.isalpha() and len(w) >= 3) | {"new", "old", "value"}
_LONGEST_STAND_IN = max(map(len, _STAND_IN_VOCABULARY))
_AS_SPACES = str.maketrans("-_.", "   ")


def _stand_in_words(low: str) -> bool:
    """Whether ``low`` is nothing but placeholder words (``testtoken``: test + token), none of them a digit.

    A weak password with digits (``password123``) is not one: it is what a weak real one looks like.
    """
    parts = low.translate(_AS_SPACES).split()
    return bool(parts) and len(low) <= 40 and all(p.isalpha() and _breaks_into_words(p) for p in parts)


def _breaks_into_words(word: str) -> bool:
    """Whether ``word`` is a run of words of :data:`_STAND_IN_VOCABULARY` (a word break, in linear passes)."""
    ends = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        ends[end] = any(ends[start] and word[start:end] in _STAND_IN_VOCABULARY
                        for start in range(max(0, end - _LONGEST_STAND_IN), end))
    return ends[-1]


_STAND_IN_WORDS = ("KEY", "TOKEN", "SECRET", "PASS", "PWD")

# ("my", kind): a value that says what goes in its place (``my-uuid`` for a webhook's UUID, Argo Workflows'
# example); ``my-secret-pw`` says more than the kind, and is a password (eks-workshop deploys it)
_MY_KIND = frozenset(("my", kind) for kind in (
    "uuid", "guid", "id", "token", "key", "secret", "password", "passwd", "apikey", "api-key", "api-token",
    "access-key", "secret-key", "webhook-secret", "client-secret"))


def _names_what_goes_here(text: str) -> bool:
    """A short lower-case prefix, ``-`` or ``_``, then capitals naming a credential (``nvapi-NVKEY``).

    A generated key after such a prefix mixes cases and digits over twenty or more characters.
    """
    prefix, sep, rest = text.replace("_", "-").partition("-")
    if not sep or not (1 < len(prefix) <= 10 and prefix.isascii() and prefix.isalnum() and prefix.islower()):
        return False
    rest = rest.replace("-", "")
    return (1 < len(rest) <= 20 and rest.isascii() and rest.isalpha() and rest.isupper()
            and any(word in rest for word in _STAND_IN_WORDS))


def is_high_entropy(value: Any) -> bool:
    """A generated-looking token: base64 or hex characters only, long, mixed classes, high Shannon entropy."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if len(text) < MIN_ENTROPY_LENGTH or not all(c.isascii() and (c.isalnum() or c in "+/=_-") for c in text):
        return False  # names with ':' or '.' (my-project:us-central1:db, host names) are not generated
    if _hex_token(text.replace("_", "-").rsplit("-", 1)[-1]):
        # a digest (3f2c1d9e...), or a name and then one (k8s-goat-cd2da272...): generated
        return shannon_entropy(text) >= MIN_ENTROPY
    if text.count("-") + text.count("_") >= 3:
        return False  # an identifier in parts: ELBSecurityPolicy-TLS13-1-2-2021-06
    lower, upper, digit = (any(c.islower() for c in text), any(c.isupper() for c in text),
                           any(c.isdigit() for c in text))
    return lower + upper + digit >= 3 and shannon_entropy(text) >= MIN_ENTROPY


def _hex_token(text: str) -> bool:
    """32 or more hex digits: a digest or a generated key, never a word."""
    return len(text) >= 32 and all(c in "0123456789abcdef" for c in text.lower())


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def mask(value: Any) -> str:
    """A masked rendering: never more than the first two characters survive."""
    text = str(value)
    if len(text) <= 6:
        return "******"
    return text[:2] + "*" * min(len(text) - 2, 10)


def mask_in_text(text: str, secrets: "list[str] | tuple[str, ...]") -> str:
    """Replace each known secret, and anything with a credential format, in ``text``."""
    for s in sorted(set(secrets), key=len, reverse=True):
        if s and len(s) >= 4:
            text = text.replace(s, mask(s))
    if _FORMAT_SET.first(text) < 0:
        return text
    for pattern in _FORMAT_PATTERNS:
        text = pattern.sub(mask, text)
    return text
