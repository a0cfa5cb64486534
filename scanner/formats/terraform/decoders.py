"""What a resource's attributes hold in another form, decoded into ``$`` attributes: one list, applied by the HCL and the plan reader alike.

Each decoder takes ``(type, attributes, lines)`` and adds what it decodes
(``$policy`` documents, ``$credentials`` / ``$tokens``, ``$containers``,
``$configuration``, ``$session``, ``$secret_keys``, ``$member_suffixes``) with their lines, in place, before the
resource exists. A new decoder goes in :data:`DECODERS` (order matters only
where one reads what another decoded: credentials are looked for in the
attributes as written, before the containers' copies are made).
"""

from __future__ import annotations

from typing import Any, Callable

from .credentials import add_credentials
from .ecs import add_containers
from .emr import add_security_configuration
from .iam import add_policy_documents
from .members import add_member_suffixes
from .secret_versions import add_secret_keys
from .ssm import add_session

Decoder = Callable[[str, dict[str, Any], dict[str, int]], None]

DECODERS: tuple[Decoder, ...] = (add_policy_documents, add_credentials, add_containers,
                                 add_security_configuration, add_session, add_secret_keys,
                                 add_member_suffixes)


def decode(type_: str, attributes: dict[str, Any], lines: dict[str, int]) -> None:
    """Apply every decoder to a resource of ``type_`` being built."""
    for decoder in DECODERS:
        decoder(type_, attributes, lines)
