"""CIDR helpers shared by linkers and policy operators."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=4096)
def network(value: str) -> "ipaddress.IPv4Network | ipaddress.IPv6Network | None":
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except (ValueError, AttributeError):
        return None


def is_public_cidr(value: object) -> bool:
    """True for a CIDR that admits addresses on the public internet (``0.0.0.0/0``, ``::/0``, a public range).

    ``*``, ``Any`` and ``Internet`` (Azure's service tag) count as public too, in any case.
    """
    return isinstance(value, str) and _is_public(value)


@lru_cache(maxsize=4096)
def _is_public(value: str) -> bool:
    """:func:`is_public_cidr` of a string, cached: ``is_private`` and friends scan address tables."""
    if value.strip().lower() in ("*", "internet", "any"):
        return True
    net = network(value)
    if net is None:
        return False
    return not (net.is_private or net.is_loopback or net.is_link_local or net.is_reserved
                or net.is_multicast) or net.prefixlen == 0
