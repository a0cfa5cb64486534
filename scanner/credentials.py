"""Where a literal credential sits: names that hold credentials, name/value entries, assignments in text, and the walk that finds them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Optional, Sequence

from .linear import Pattern
from .secrets import credential_match, is_high_entropy, is_placeholder

# The last word of a name that holds a credential (after dropping a trailing
# ``_value``, ``_string``...): ``db_password``, ``clientSecret``, ``AUTH_TOKEN``.
_CREDENTIAL_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "token", "credential",
                           "credentials"})
# ``<word>_key`` holds a credential for these words (``api_key``, ``aws_secret_access_key``);
# any other ``*_key`` (``s3_key``, ``hash_key``, ``ssh_key``) is a key of another kind.
_KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "account", "shared", "auth",
                             "signing", "encryption", "master", "client", "license", "subscription",
                             "app", "admin", "session", "webhook", "storage", "primary", "secondary"})
# ``<word>_key`` that a provider generates (a storage account's or Cosmos DB's base64 keys): a literal
# of words is no such key (``account_key = "ppud-development"`` names an account in a lookup table).
_GENERATED_KEYS = frozenset({"account", "storage", "primary", "secondary", "subscription"})
# Tokens that are no credential: an idempotency token names a create call (EFS `creation_token`, EC2's
# `client_token`), a pagination token a page of results.
_NOT_CREDENTIALS = frozenset({"creationtoken", "clienttoken", "idempotencytoken", "nexttoken", "pagetoken",
                              "continuationtoken", "paginationtoken",
                              "nopasswd",  # sudoers: a tag saying no password is asked
                              "beakersessionkey"})  # Beaker's session cookie name (its secret: beaker.session.secret)
_NEUTRAL_SUFFIXES = frozenset({"value", "string", "data", "base64", "b64", "plain", "plaintext",
                               "text", "raw", "pem", "literal"})
# Only the last word counts, so ``password_length``, ``token_ttl``, ``secret_name`` are not credentials.
# Resource arguments that hold a credential although their name does not say so.
SCHEMA: dict[str, frozenset[str]] = {
    "github_actions_secret": frozenset({"plaintext_value"}),
    "github_actions_environment_secret": frozenset({"plaintext_value"}),
    "github_actions_organization_secret": frozenset({"plaintext_value"}),
    "github_dependabot_secret": frozenset({"plaintext_value"}),
    "aws_secretsmanager_secret_version": frozenset({"secret_string"}),
    "azurerm_key_vault_secret": frozenset({"value"}),
    "google_secret_manager_secret_version": frozenset({"secret_data"}),
    "kubernetes_secret": frozenset({"data", "string_data"}),
    "kubernetes_secret_v1": frozenset({"data", "string_data"}),
    "vault_generic_secret": frozenset({"data_json"}),
}
# Arguments (at any depth) that name a secret of a secret store, never hold one: Secret Manager's
# `secret = "iap_oauth_client_id"` is the secret's id (the value is `secret_data`, or read at run time).
SECRET_NAMES: dict[str, frozenset[str]] = {
    "google_secret_manager_secret_version": frozenset({"secret"}),
    "google_secret_manager_regional_secret_version": frozenset({"secret"}),
    "google_secret_manager_secret_version_access": frozenset({"secret"}),
    "google_secret_manager_regional_secret_version_access": frozenset({"secret"}),
    "google_cloudfunctions_function": frozenset({"secret"}),     # secret_environment_variables.secret
    "google_cloudfunctions2_function": frozenset({"secret"}),
    "google_cloud_run_v2_service": frozenset({"secret"}),        # env.value_source.secret_key_ref.secret
    "google_cloud_run_v2_job": frozenset({"secret"}),
}
# Entry shapes {name: X, value: Y}: container environments (ECS, Kubernetes), app settings.
_ENTRY_NAMES = ("name", "key", "Name", "Key")
_ENTRY_VALUES = ("value", "Value")
# ``NAME=value``, ``name: value``, ``"name": "value"``, ``--name=value`` / ``--name value`` in text.
_ASSIGNMENT = Pattern(r"(?m)(?:^|[\s\[,])--?[A-Za-z][\w-]*(?:=|[ \t]+)[^\s\"',;-][^\s\"',;]*"
                      r"|[A-Za-z_][\w.-]*[\"']?[ \t]*[:=][ \t]*[\"']?[^\s\"',;]+")
# an expression in program text: a name, possibly dotted (`os.environ`, `getenv`, Lua's `header:find`),
# called or indexed; or a member of an object (`config.basic_auth_password`, `process.env.TOKEN`)
# A parenthesised expression or aside (PowerShell's `-AccountPassword (ConvertTo-SecureString $p ...)`,
# `Password: (from Secrets Manager: ...)`) computes or describes the value.
_CODE_REFERENCE = Pattern(r"^[A-Za-z_]\w*(?:[.:][A-Za-z_]\w*)*[(\[]|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$|^\(")
# nsswitch.conf: the account databases and the sources they are read from (`passwd: files systemd`)
_NSSWITCH_DATABASES = frozenset({"passwd", "shadow", "gshadow"})
_NSSWITCH_SOURCES = frozenset({"files", "compat", "db", "nis", "nisplus", "dns", "ldap", "sss", "systemd",
                               "winbind", "hesiod", "mymachines", "altfiles", "cache", "extrausers"})
_DNS_NAME = Pattern(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\.?$")  # a host name stored as a "secret"
# What a credential's place holds that is no secret: a script's variable (`$token`), an e-mail address,
# the path that names a secret in a store (`ingestion/govuk-notify/api-key`: lower-case words)
_NOT_A_SECRET = Pattern(r"^\$[A-Za-z_]\w*[})\]]*$|^[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$"
                        r"|^[a-z][a-z-]*(?:/[a-z][a-z-]*)+$")
# ``key=value;key=value``: an ADO.NET or ODBC connection string (two pairs at least, nothing else)
_CONNECTION_STRING = Pattern(r"^\s*[A-Za-z][\w ]*=[^;=]*(?:;\s*[A-Za-z][\w ]*=[^;=]*)+;?\s*$")
UNKNOWN_MARK = "\ue000"  # stands for a value known only at apply time inside recovered text
MAX_DEPTH = 200  # values nested deeper are not searched (docs/secrets.md); YAML stops at 512, JSON ~1000


@dataclass(frozen=True)
class Credential:
    """A literal credential: where it sits (``at``), the name it is given, its value, and why."""

    at: str
    name: str
    value: str
    kind: str  # "credential name" or a known format


def name_holds_credential(name: Any) -> bool:
    """True when ``name`` (an argument, key, variable or flag name) names a credential."""
    return isinstance(name, str) and _names_credential(name)


@lru_cache(maxsize=16384)
def _names_credential(name: str) -> bool:
    """:func:`name_holds_credential` of a string, memoised: the same argument names recur in every resource."""
    words = _words(name)
    while len(words) > 1 and words[-1] in _NEUTRAL_SUFFIXES:
        words.pop()
    if not words or "".join(words) in _NOT_CREDENTIALS:
        return False
    if words[-1] == "secret" and "existing" in words[:-1]:
        # Helm charts' existingSecret, passwordExistingSecret, existingConfigSecret: the name of a Secret
        return False
    last = words[-1]
    if last in _CREDENTIAL_WORDS or (last.endswith(("password", "passwd")) and len(last) <= 16):
        return True
    if last == "pwd":  # db_pwd; a bare PWD is the working directory
        return len(words) > 1
    # api_key, aws_secret_access_key; s3_key, hash_key, roles_key are keys of another kind
    return last.endswith("apikey") or (last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS)


def literal_credential(name: Any, value: Any) -> bool:
    """True when ``value`` is a literal given to a name that holds a credential."""
    if not name_holds_credential(name) or not isinstance(value, str) or UNKNOWN_MARK in value:
        return False
    text = value.strip()
    # paths, ARNs and KMS alias names (`volume_encryption_key = "alias/aws/workspaces"`) name a key, they are none
    if len(text) < 3 or is_placeholder(text) or text.startswith(("/", "./", "~/", "file://", "arn:", "alias/")):
        return False
    if text.lower() in _TIME_UNITS:
        return False  # Cognito's token_validity_units { access_token = "minutes" }: how a lifetime is counted
    words = _words(name)
    if "".join(words) in "".join(_words(text)) or _DNS_NAME.search(text):
        return False  # client_secret = "client_secret", GOOGLE_API_KEY = "GOOGLE_API_KEY_VAL"
    if _NOT_A_SECRET.search(text) or _names_a_secret(text):
        return False  # $token (a script's variable), default@email.com, ingestion/govuk-notify/api-key
    if _CONNECTION_STRING.search(text):
        # user id=;data source=...;password= is a template filled out of band: a connection string
        # holds a credential when one of its credential keys is given a literal
        pairs = (part.partition("=") for part in text.split(";"))
        return any(literal_credential(key.strip(), literal.strip()) for key, _, literal in pairs)
    if len(words) > 1 and words[-1] == "key" and words[-2] in _GENERATED_KEYS and not is_high_entropy(text):
        return False  # account_key = "ppud-development" names an account; an account key is generated
    return not _sentence(text) and not imitates_uuid(text)


# Units a token's lifetime is given in (a Cognito client's token_validity_units): the value of a
# `*_token` setting, never a token.
_TIME_UNITS = frozenset({"seconds", "minutes", "hours", "days"})

_WHAT_IS_NAMED = frozenset({"key", "secret", "token", "password", "apikey", "credentials", "creds"})


def _names_a_secret(text: str) -> bool:
    """Three or more lower-case words joined by ``-``, the last ``key``, ``secret``... (``secops-feeds-api-key``):
    the name of a secret or key in a store, which ends with what it names; ``my-secret-pw`` is a password."""
    parts = text.split("-")
    return (len(parts) >= 3 and all(p.isascii() and p.isalnum() and p.islower() or p.isdigit() for p in parts)
            and parts[-1] in _WHAT_IS_NAMED)


def imitates_uuid(text: str) -> bool:
    """Shaped like a UUID (8-4-4 then more groups) but holding letters no UUID can (past ``f``): typed by hand
    where a generated key belongs, as in ``8312341g-5678-abcd-4a2b2c-33bcsd655`` (a sample's "replace with
    your access key"). A generated UUID-shaped key is hexadecimal throughout."""
    groups = text.lower().split("-")
    if len(groups) < 4 or [len(g) for g in groups[:3]] != [8, 4, 4]:
        return False
    if not all(g and g.isascii() and g.isalnum() for g in groups):
        return False
    return any(c > "f" for g in groups for c in g if c.isalpha())


def _sentence(text: str) -> bool:
    """Words of text, not a generated or chosen secret: three or more words of letters or digits
    (``Hello from Terraform 2``, a bootstrap value), or five or more joined by ``_``
    (``if_you_see_this_please_use_Vault``, a sentinel)."""
    words = text.split()
    if len(words) >= 3 and all(w.isalpha() or w.isdigit() for w in words):
        return True
    joined = text.split("_")
    return len(joined) >= 5 and all(w.isalnum() for w in joined)


def assignments(text: str) -> Iterator[tuple[str, str]]:
    """Each (name, literal) a credential name is given in free text: scripts, config files, command lines."""
    if UNKNOWN_MARK in text:
        text = text.replace(UNKNOWN_MARK, " ${} ")
    for start, end in _ASSIGNMENT.spans(text):
        chunk = text[start:end].lstrip(" \t\r\n[,")
        if chunk.startswith("-"):  # --token=abc, --token abc
            cut = chunk.find("=") if "=" in chunk else min(i for i in (chunk.find(" "), chunk.find("\t")) if i > 0)
        else:
            cut = min(i for i in (chunk.find("="), chunk.find(":")) if i > 0)
        name = chunk[:cut].strip().strip("\"'").strip()
        value = _quoted(text, end - len(chunk) + cut + 1) or chunk[cut + 1:].strip().strip("\"'")
        if chunk[cut] == ":" and _yaml_tag(value, text, end):
            continue  # api_key: !env_var SONARR_API_KEY, password: !secret db_password: a tagged reference
        if text[start - 1:start] in ("$", ":") or _prose(value) or _carries_on(value, text, end):
            # $password = ConvertTo-SecureString ...; "terraform secret: db_credentials"; a segment
            # of an ARN (arn:aws:secretsmanager:eu-west-1:123456789012:secret:govuk/*) or a URN
            continue
        if text[start - 2:start] == "${" and value.startswith("?"):
            continue  # ${API_KEY:?API key required}: the shell's message when the variable is unset
        if _CODE_REFERENCE.search(value):
            continue  # token=os.environ["HF_TOKEN"], password=vault.read(path): code computing it
        if _key_of_a_secret(name, text, start):
            continue  # masterkeySecretKey: master-key beside masterkeySecretName: a key's name in a Secret
        if name.lower() == "secret" and _yaml_sibling(text, start, "key"):
            continue  # password: {secret: gitlab-pg, key: password}: the Secret holding it, by name
        if name.lower() in _NSSWITCH_DATABASES and value in _NSSWITCH_SOURCES:
            continue  # nsswitch.conf's `passwd: compat` says where user accounts are looked up
        if literal_credential(name.lstrip("-"), value):
            yield name, value


def _quoted(text: str, at: int) -> str:
    """The whole quoted string that starts (after blanks) at ``at``, on its line; '' when there is none.

    The assignment pattern stops a value at a blank: ``secret: "<YOUR APPROLE SECRET ID HERE>"`` is
    judged whole, a stand-in, not as ``<YOUR``.
    """
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    i = at
    while i < line_end and text[i] in " \t":
        i += 1
    if i >= line_end or text[i] not in "\"'":
        return ""
    close = text.find(text[i], i + 1, line_end)
    return text[i + 1:close] if close > i + 1 else ""


# Words that carry a sentence on, never a password: after "Invalid X-Session-Token: must be at least 64
# characters" (an API gateway's error message) the "value" is the sentence going on.
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do",
    "does", "did", "must", "should", "shall", "will", "would", "can", "could", "may", "might", "not",
    "no", "to", "of", "in", "on", "at", "for", "with", "by", "from", "if", "when", "and", "or", "but",
    "it", "its", "this", "that", "these", "those", "you", "your", "we", "our", "they", "their"})


def _key_of_a_secret(name: str, text: str, at: int) -> bool:
    """Helm charts' way to name the Secret holding a value and the key it has there, not the value:
    ``<x>SecretKey`` beside ``<x>SecretName`` (or ``existingSecretKey`` beside ``existingSecret``),
    ``<x>Key`` beside ``<x>ExistingSecret`` (``rconPasswordKey``), and ``secretKey`` or ``passwordKey``
    in the mapping that names an ``existingSecret``."""
    if name.endswith("SecretKey"):
        stem = name[:-len("Key")]
        if any(_assigned(sibling, text) for sibling in (stem + "Name", stem)):
            return True
    if not name.endswith("Key"):
        return False
    stem = name[:-len("Key")]
    return (bool(stem) and _assigned(stem + "ExistingSecret", text)) or _yaml_sibling(text, at, "existingSecret")


def _yaml_sibling(text: str, at: int, name: str) -> bool:
    """The YAML block mapping with an entry on the line holding ``at`` also has an entry ``name``.

    A mapping's entries share one column; it ends at a line indented less, or at the next item of
    the list it is an item of (``- ``).
    """
    lines = text.split("\n")
    here = text.count("\n", 0, at)
    column, item = _entry_column(lines[here])
    for step in (1, -1):
        if step == -1 and item:
            break  # the entry opens its list item: nothing before it is in its mapping
        i = here + step
        while 0 <= i < len(lines):
            body = lines[i].strip()
            if body and not body.startswith("#"):
                depth, starts_item = _entry_column(lines[i])
                if depth < column or (depth == column and starts_item and step == 1):
                    break
                if depth == column and body.lstrip("- ").split(":", 1)[0].strip("\"' ") == name and ":" in body:
                    return True
                if depth == column and starts_item:
                    break
            i += step
    return False


def _entry_column(line: str) -> tuple[int, bool]:
    """The column where a YAML line's entry starts (past any ``- ``), and whether it opens a list item."""
    body = line.lstrip(" ")
    item = False
    while body.startswith("- "):
        item = True
        body = body[2:].lstrip(" ")
    return len(line) - len(body), item


def _assigned(name: str, text: str) -> bool:
    """``name`` is given a value somewhere in ``text`` (``name: x``, ``name = x``, ``"name": x``)."""
    start = text.find(name)
    while start >= 0:
        before = text[start - 1:start]
        rest = text[start + len(name):start + len(name) + 8].lstrip("\"' \t")
        if (not before or not (before.isalnum() or before == "_")) and rest[:1] in (":", "="):
            return True
        start = text.find(name, start + 1)
    return False


def _yaml_tag(value: str, text: str, end: int) -> bool:
    """A YAML tag (``!env_var``, ``!secret``) with the name it is given after it: a value in YAML
    never starts with ``!`` (that is a tag), and tools read the tagged name from elsewhere."""
    return value[:1] == "!" and value[1:].replace("_", "").isalnum() and _word_follows(text, end)


def _carries_on(value: str, text: str, end: int) -> bool:
    """The value is a function word and words follow it on its line, or a function word and a word
    follow it (``Password: Store in Secrets Manager``): the text is a sentence, not an assignment."""
    if value.lower() in _FUNCTION_WORDS and _word_follows(text, end):
        return True
    after = text[end:end + 40].split("\n", 1)[0].split(" ")
    return (len(after) >= 3 and after[0] == "" and after[1].lower() in _FUNCTION_WORDS
            and after[2][:1].isalpha())


def _word_follows(text: str, end: int) -> bool:
    """A space and a word come after the value that ends at ``end``."""
    return text[end:end + 1] == " " and text[end + 1:end + 2].isalpha()


def _prose(value: str) -> bool:
    """A snake_case name (``secret: chainguard_registry_credentials`` in a sentence), not a password."""
    return "_" in value.strip("_") and value.replace("_", "").isalpha() and value.islower()


def find(tree: Any, *, schema_names: frozenset[str] = frozenset(),
         unwrap: Callable[[Any], Optional[Any]] = lambda v: None) -> list[Credential]:
    """Every literal credential in a value tree (a resource's attributes).

    ``unwrap`` turns a value known only in part (a template with unknown
    interpolations, ``jsonencode`` of a partly unknown structure) into what is
    known of it: a structure, or text where :data:`UNKNOWN_MARK` stands for
    each unknown piece; it answers None for anything else.
    """
    out: list[Credential] = []
    _walk(tree, "", "", out, schema_names, unwrap, 0)
    unique: dict[tuple[str, str], Credential] = {}
    for c in out:  # an entry's value is met twice: as the entry, and as its `value` key
        unique.setdefault((c.at, c.value), c)
    return list(unique.values())


def _walk(value: Any, at: str, name: str, out: list[Credential], schema: frozenset[str],
          unwrap: Callable[[Any], Optional[Any]], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        entry = entry_of(value)
        if entry is not None and literal_credential(*entry) and not getattr(entry[1], "names", None):
            out.append(Credential(_join(at, _value_key(value)), entry[0], entry[1], "credential name"))
        # password: {secret: gitlab-pg, key: password}: the Secret holding the value and its key there
        unnamed = {"secret"} if isinstance(value.get("secret"), str) and isinstance(value.get("key"), str) else set()
        keys = list(value)
        unnamed.update(keys[i] for i in identifier_halves(list(value.items())))  # access_key beside secret_key
        for k, v in value.items():
            if isinstance(k, str) and not k.startswith("$"):
                child = _join(at, k)
                if not at and k in schema:
                    _schema_value(v, child, k, out)
                _walk(v, child, "" if k in unnamed else k, out, frozenset(), unwrap, depth + 1)
        return
    if isinstance(value, list):
        # MINIO_ACCESS_KEY beside MINIO_SECRET_KEY: the user the secret key authenticates
        skipped = identifier_halves([entry_of(v) or (_entry_name(v), None) if isinstance(v, dict) else (None, None)
                                     for v in value])
        for i, v in enumerate(value):
            if i not in skipped:
                _walk(v, _join(at, str(i)), name, out, frozenset(), unwrap, depth + 1)
        return
    if isinstance(value, str):
        _string(value, at, name, out, unwrap, depth)
        return
    known = unwrap(value)
    if known is not None:
        _walk(known, at, name, out, frozenset(), unwrap, depth + 1)


def _string(value: str, at: str, name: str, out: list[Credential],
            unwrap: Callable[[Any], Optional[Any]], depth: int) -> None:
    names = getattr(value, "names", None)  # the names of secrets in a store it holds (model.SecretNames)
    if names:
        found: list[Credential] = []
        _string(str(value), at, name, found, unwrap, depth)
        out.extend(c for c in found if c.value.strip() not in names)  # a secret's name says where it is
        return
    if literal_credential(name, value):
        out.append(Credential(at, name, value, "credential name"))
        return
    kind, token = credential_match(value)
    if kind:  # the token itself: a script or document around it is not the secret
        out.append(Credential(at, name, token, kind))
        return
    stripped = value.lstrip()
    if stripped[:1] in ("{", "[") and len(value) < 1_000_000:
        decoded = _json(value)
        if decoded is not None:
            _walk(decoded, at, name, out, frozenset(), unwrap, depth + 1)
            return
    if "\n" in value or "=" in value or ":" in value:
        for key, literal in assignments(value):
            out.append(Credential(at, key, literal, "credential name"))


def _schema_value(value: Any, at: str, name: str, out: list[Credential]) -> None:
    """An argument that holds a credential by its resource's schema: each literal under it is one."""
    if isinstance(value, str) and literal_credential("secret", value):
        out.append(Credential(at, name, value, "credential argument"))
    elif isinstance(value, dict):  # Secret data: username: admin is not a credential, password: x is
        for k, v in value.items():
            if (isinstance(v, str) and UNKNOWN_MARK not in v
                    and (literal_credential(k, v) or (is_high_entropy(v) and not is_placeholder(v)))):
                out.append(Credential(_join(at, str(k)), str(k), v, "credential argument"))


def identifier_halves(pairs: Sequence[tuple[Any, Any]]) -> set[int]:
    """The indices of the (name, value) pairs that are an access key (``MINIO_ACCESS_KEY``, ``access_key``,
    ``aws_access_key_id``) beside the secret key of the same prefix among ``pairs``: the pair's identifier,
    a user name or key id, whose secret is the other.

    Only a literal that has no token's format: an access key in one is still reported by its format.
    The names of one mapping, env list or Secret; most hold no access key, which one pass tells.
    """
    if not any(isinstance(n, str) and "access" in n.lower() for n, _ in pairs):
        return set()
    names = [_words(n) for n, _ in pairs if isinstance(n, str)]
    found: set[int] = set()
    for i, (name, value) in enumerate(pairs):
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        words = _words(name)
        cut = len(words) - (3 if words[-3:] == ["access", "key", "id"] else 2)
        if cut < 0 or words[cut:cut + 2] != ["access", "key"] or credential_match(value)[0]:
            continue
        prefix = words[:cut]
        if prefix + ["secret", "key"] in names or prefix + ["secret", "access", "key"] in names:
            found.add(i)
    return found


def entry_of(value: dict[str, Any]) -> Optional[tuple[str, Any]]:
    """(name, value) of a {name: X, value: Y} entry (env var, setting, ConfigMap item), or None."""
    name = _entry_name(value)
    if name is None:
        return None
    key = _value_key(value)
    return (name, value[key]) if key else None


def _entry_name(value: dict[str, Any]) -> Optional[str]:
    """The name of a {name: X, ...} entry, whatever gives its value (a literal, ``valueFrom``), or None."""
    return next((value[k] for k in _ENTRY_NAMES if isinstance(value.get(k), str)), None)


def _value_key(value: dict[str, Any]) -> str:
    return next((k for k in _ENTRY_VALUES if k in value), "")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
        return None


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def _words(name: str) -> list[str]:
    """``clientSecret`` / ``DB_PASSWORD`` / ``spring.datasource.password`` -> lower-case words."""
    words: list[str] = []
    current = ""
    previous = ""
    for ch in name:
        if not ch.isalnum():
            if current:
                words.append(current)
            current = ""
        elif ch.isupper() and previous.islower():
            words.append(current)
            current = ch
        else:
            current += ch
        previous = ch
    if current:
        words.append(current)
    return [w.lower() for w in words if w]
