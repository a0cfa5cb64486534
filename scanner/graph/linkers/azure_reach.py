"""Azure reachability: network security group rules by priority, and whether a public IP's network interface lets the internet in.

A network interface with a public IP is reachable when the NSG on the
interface and the NSG on its subnet both admit internet traffic on some
common TCP/UDP port (Azure evaluates both, subnet first for inbound). With no
NSG on either, a Basic public IP is open and a Standard one closed; an IP
whose SKU is not written depends on the provider version, so it is unknown.
"""

from __future__ import annotations

from typing import Any, Optional

from ...model import INTERNET, Resource, is_unknown
from .. import LinkContext
from ..traffic import (
    FULL,
    PROTOCOLS,
    Ports,
    Rule,
    all3,
    attackable,
    describe,
    evaluate,
    intersect,
    of,
    port_spec,
    union,
)
from .aws_network import referenced, walk

NSG = ("azurerm_network_security_group",)
NIC = ("azurerm_network_interface",)
_PROTOCOLS = {"*": PROTOCOLS, "tcp": ("tcp",), "udp": ("udp",), "icmp": ("icmp",), "esp": ("other",),
              "ah": ("other",)}


def nsg_rules(ctx: LinkContext) -> dict[str, Optional[list[Rule]]]:
    """NSG -> its inbound rules (inline and ``azurerm_network_security_rule``), None when unknown."""
    rules: dict[str, Optional[list[Rule]]] = {}
    for nsg in ctx.of_type(*NSG):
        inline = nsg.attributes.get("security_rule")
        if is_unknown(inline):
            rules[nsg.address] = None
            continue
        found: list[Rule] = []
        for rule in inline if isinstance(inline, list) else []:
            found.extend(_rule(rule))
        rules[nsg.address] = found
    for rule in ctx.of_type("azurerm_network_security_rule"):
        for nsg_address in referenced(ctx, rule, "network_security_group_name", NSG)[0] + \
                referenced(ctx, rule, "network_security_group_id", NSG)[0]:
            known = rules.get(nsg_address)
            if known is not None:
                known.extend(_rule(rule.attributes))
    return rules


def _rule(rule: Any) -> list[Rule]:
    """One inbound rule as (priority, allows?, ports, sources); outbound rules give nothing."""
    if not isinstance(rule, dict):
        return [((0,), True, None, [None])]
    direction = rule.get("direction")
    if isinstance(direction, str) and direction.lower() != "inbound":
        return []
    access = rule.get("access")
    try:
        priority = int(str(rule.get("priority")))
    except (TypeError, ValueError):
        priority = None
    protocol = rule.get("protocol")
    protos = _PROTOCOLS.get(protocol.lower()) if isinstance(protocol, str) else None
    ports = None
    spec = _ports(rule)
    if protos is not None and spec is not None:
        ports = of(protos, FULL if len(protos) == len(PROTOCOLS) and spec == FULL else spec)
    sources: list[Any] = []
    for key in ("source_address_prefix", "source_address_prefixes"):
        value = rule.get(key)
        if isinstance(value, list):
            sources.extend(value)
        elif value is not None:
            sources.append(value)
    if not isinstance(direction, str) or not isinstance(access, str) or priority is None:
        return [((priority or 0,), True, None, sources)]
    return [((priority,), access.lower() == "allow", ports, sources)]


def _ports(rule: dict[str, Any]) -> Any:
    single, many = rule.get("destination_port_range"), rule.get("destination_port_ranges")
    if single is None and many is None:
        return None
    spans: list[Any] = []
    for value in (single, many):
        if value is None or value == []:
            continue
        spec = port_spec(value)
        if spec is None:
            return None
        spans.extend(spec)
    return tuple(spans)


def link(ctx: LinkContext) -> None:
    """``allows_ingress_from`` for NSGs admitting the internet; ``reach`` on public interfaces' ``exposes`` edges."""
    rules = nsg_rules(ctx)
    admits = {nsg: (None if rs is None else evaluate(rs)) for nsg, rs in rules.items()}
    for nsg, ports in admits.items():
        if attackable(ports):
            ctx.add_edge(nsg, INTERNET, "allows_ingress_from", ports=describe(ports))
    by_member: dict[str, list[str]] = {}
    for assoc in ctx.of_type("azurerm_subnet_network_security_group_association",
                             "azurerm_network_interface_security_group_association"):
        groups, unknown = referenced(ctx, assoc, "network_security_group_id", NSG)
        for key in ("subnet_id", "network_interface_id"):
            for member in referenced(ctx, assoc, key, ("azurerm_subnet", *NIC))[0]:
                by_member.setdefault(member, []).extend(groups if not unknown else ["?"])
    for u, v, k in list(ctx.graph.out_edges(list(by_member), keys=True)):
        if k == "attached_to" and v in admits:
            ctx.graph.edges[u, v, k]["reach"] = False
    for nic in ctx.of_type(*NIC):
        if ctx.graph.has_edge(INTERNET, nic.address, "exposes"):
            ctx.graph.edges[INTERNET, nic.address, "exposes"]["reach"] = _nic_verdict(ctx, nic, by_member, admits)


def _nic_verdict(ctx: LinkContext, nic: Resource, by_member: dict[str, list[str]],
                 admits: dict[str, Optional[Ports]]) -> Optional[bool]:
    layers: list[Optional[Ports]] = []
    unfiltered = True
    nic_groups = by_member.get(nic.address, [])
    if nic_groups:
        unfiltered = False
        layers.append(_layer(nic_groups, admits))
    subnets: list[str] = []
    unknown_subnet = False
    for path, _ in walk(nic.attributes.get("ip_configuration"), frozenset({"subnet_id"})):
        nodes, unknown = referenced(ctx, nic, f"ip_configuration.{path}", ("azurerm_subnet",))
        subnets.extend(nodes)
        unknown_subnet = unknown_subnet or unknown
    for subnet in subnets:
        groups = by_member.get(subnet, [])
        if groups:
            unfiltered = False
            layers.append(_layer(groups, admits))
    if unknown_subnet:
        layers.append(None)
    if unfiltered:
        return _open_without_nsg(ctx, nic) if not unknown_subnet else None
    combined: Optional[Ports] = of(PROTOCOLS, FULL)
    for layer in layers:
        combined = intersect(combined, layer)
    return attackable(combined)


def _layer(groups: list[str], admits: dict[str, Optional[Ports]]) -> Optional[Ports]:
    if "?" in groups:
        return None
    out: Optional[Ports] = {}
    for g in groups:
        out = union(out, admits.get(g, {}))
    return out


def _open_without_nsg(ctx: LinkContext, nic: Resource) -> Optional[bool]:
    """With no NSG: open behind a Basic public IP, closed behind a Standard one, unknown when the SKU is not written."""
    verdicts: list[Optional[bool]] = []
    for path, _ in walk(nic.attributes.get("ip_configuration"), frozenset({"public_ip_address_id"})):
        for ip in referenced(ctx, nic, f"ip_configuration.{path}", ("azurerm_public_ip",))[0]:
            sku = ctx.nodes[ip]["resource"].attributes.get("sku")
            verdicts.append(sku.lower() == "basic" if isinstance(sku, str) else None)
    return all3(verdicts) if verdicts else None
