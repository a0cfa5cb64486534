"""The keys of a Secrets Manager secret's JSON value, as `$secret_keys`: what kind of credential a version holds.

``aws_secretsmanager_secret_version.secret_string`` is often the JSON document
AWS itself uses for database credentials (``{"username", "password",
"engine", "host", ...}``), written as ``jsonencode()`` over values known only at
apply. Its keys are known all the same: ``$secret_keys`` lists them (as
written), so RG-AWS-072 can tell a version that holds a database's password
from one that holds an API token. A value known only at apply (a variable)
makes ``$secret_keys`` unknown; a value that is not a JSON object (a plain
password) sets nothing. The keys have the line of ``secret_string``.
"""

from __future__ import annotations

from typing import Any

from ...model import Unknown, is_unknown
from .iam import decode_json


def add_secret_keys(type_: str, attrs: dict[str, Any], lines: dict[str, int]) -> None:
    """Set ``$secret_keys`` on a secret version whose ``secret_string`` is (or may be) a JSON object."""
    if type_ != "aws_secretsmanager_secret_version" or "secret_string" not in attrs:
        return
    value = attrs["secret_string"]
    document = decode_json(value)
    if isinstance(document, dict):
        attrs["$secret_keys"] = [key for key in document if isinstance(key, str)]
    elif is_unknown(value) and document is None:
        attrs["$secret_keys"] = Unknown("secret value not known before apply")
    else:
        return
    line = lines.get("secret_string", 0)
    if line:
        lines["$secret_keys"] = line
