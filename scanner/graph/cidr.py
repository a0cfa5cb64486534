"""CIDR helpers shared by linkers and policy operators: public ranges, and what "the internet" means for a path."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

# Provider ranges that are public addresses but name one provider's service, not the internet.
PROVIDER_RANGES = {
    "35.191.0.0/16": "Google Cloud health checks",
    "130.211.0.0/22": "Google Cloud health checks",
    "35.235.240.0/20": "Google Cloud IAP TCP forwarding",
    "209.85.152.0/22": "Google Cloud legacy health checks",
    "209.85.204.0/22": "Google Cloud legacy health checks",
}
# The widest public range that is one site's few addresses rather than part of the internet: a /24 is
# the smallest block routed on the internet (one organisation's), IPv6 a /48. Wider ranges stay the
# internet: a provider's or CDN's (Cloudflare publishes nothing narrower than /22) or a way to write
# everyone (0.0.0.0/1).
_SITE_PREFIX = {4: 24, 6: 48}
# Azure service tags and wildcards that stand for every source address.
EVERYONE = frozenset({"*", "internet", "any", "0.0.0.0/0", "::/0"})


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
    if value.strip().lower() in EVERYONE:
        return True
    net = network(value)
    if net is None:
        return False
    return not (net.is_private or net.is_loopback or net.is_link_local or net.is_reserved
                or net.is_multicast) or net.prefixlen == 0


def admits_internet(value: object) -> bool:
    """True for a source range that stands for the internet: a wildcard, ``0.0.0.0/0``, ``::/0`` or a
    public range wider than a /24 (IPv6 /48) that is not a named provider range (see :func:`scope`)."""
    return isinstance(value, str) and _scope(value) == "internet"


def scope(value: object) -> str:
    """What a source range admits: ``internet``, ``address`` (one public address), ``network`` (a public
    /24 or narrower: one site's few addresses), ``provider`` (a named provider range such as Google's
    health checkers), ``private`` (or anything else that is not public),
    or ``unknown`` for a value that is not a string (known only at apply time)."""
    if not isinstance(value, str):
        return "unknown"
    return _scope(value)


@lru_cache(maxsize=4096)
def _scope(value: str) -> str:
    text = value.strip()
    if text.lower() in EVERYONE:
        return "internet"
    if not _is_public(text):
        return "private"
    net = network(text)
    if net is None:
        return "private"
    if net.num_addresses == 1:
        return "address"
    if net.prefixlen >= _SITE_PREFIX[net.version]:
        return "network"
    for r in PROVIDER_RANGES:
        provider = network(r)
        # subnet_of wants the same class; the version test above it is what ensures it
        if provider is not None and provider.version == net.version and net.subnet_of(provider):  # type: ignore[arg-type]
            return "provider"
    return "internet"


def covers_everything(value: object) -> bool:
    """``0.0.0.0/0``, ``::/0`` or a wildcard: every source address, not just part of the internet."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.lower() in EVERYONE:
        return True
    net = network(text)
    return net is not None and net.prefixlen == 0
