"""AWS reachability verdicts: a resource is reachable from the internet only when its address, subnet route, network ACL and security groups all let public traffic in.

Edges keep stating facts (``internet -exposes->`` a resource with a public
address, ``<resource> -attached_to-> <group>``); this module sets their
``reach`` data, which the attack-path search reads (docs/graph.md):

- ``<group> -allows_ingress_from-> internet`` exists when a rule admits an
  internet range (not one address, not a named provider range) on TCP/UDP;
- ``<resource> -attached_to-> <group>`` carries traffic (``reach`` True) when
  the resource has a public address, its subnet routes to an internet gateway,
  its network ACL admits and answers, and the group admits some of the same
  ports; otherwise ``reach`` False, and the path must go elsewhere;
- ``internet -exposes-> <resource>`` carries traffic only where no security
  group filters it (a network load balancer without groups); for filtered
  resources it is a fact (``reach`` False), or ``reach`` None when some group,
  rule, route or ACL is known only at apply time (the path is then unknown).
"""

from __future__ import annotations

from typing import Any, Optional

from ...model import INTERNET, Resource, is_unknown
from .. import LinkContext
from ..cidr import scope
from ..traffic import (
    FULL,
    PROTOCOLS,
    Ports,
    all3,
    any3,
    attackable,
    describe,
    intersect,
    interval,
    of,
    protocols,
    union,
)
from .aws_network import DEFAULT, Subnets, referenced, walk

SG_TYPES = ("aws_security_group", "aws_default_security_group")
SG_KEYS = frozenset({"vpc_security_group_ids", "security_groups", "security_group_ids", "security_group_id"})
DATABASES = ("aws_db_instance", "aws_redshift_cluster", "aws_dms_replication_instance")
LBS = ("aws_lb", "aws_alb", "aws_elb")
# resources whose public address security groups filter
Admits = tuple[Ports, bool]     # what a group's known rules admit from the internet, and whether a rule is unknown
FILTERED = ("aws_instance", "aws_launch_template", *DATABASES, "aws_rds_cluster", "aws_rds_cluster_instance",
            *LBS, "aws_ecs_service", "aws_network_interface")


def link(ctx: LinkContext) -> None:
    admits = _group_admits(ctx)
    subnets = Subnets(ctx)
    defaults = _default_groups(ctx)
    for att in ctx.of_type("aws_network_interface_attachment"):
        for eni in referenced(ctx, att, "network_interface_id", ("aws_network_interface",))[0]:
            for inst in referenced(ctx, att, "instance_id", ("aws_instance",))[0]:
                ctx.add_edge(inst, eni, "attached_to", path="network_interface_id", via=att.address, reach=True)
    for r in ctx.resources:
        if r.type in SG_TYPES or r.type in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
                                            "aws_vpc_security_group_egress_rule"):
            continue
        groups, unknown_group = _groups(ctx, r)
        if r.type not in FILTERED:
            for sg in groups:
                ctx.set_reach(r.address, sg, "attached_to", False)
            continue
        if r.type == "aws_instance" and _through_interfaces(ctx, r):
            continue
        _verdict(ctx, r, groups, unknown_group, admits, subnets, defaults)


def _through_interfaces(ctx: LinkContext, r: Resource) -> bool:
    """An instance started on existing network interfaces is reached through them: ``instance -attached_to-> ENI``."""
    blocks = r.attributes.get("network_interface")
    if blocks is None:
        return False
    enis, unknown = [], is_unknown(blocks)
    for path, _ in walk(blocks, frozenset({"network_interface_id"}), "network_interface"):
        nodes, unk = referenced(ctx, r, path, ("aws_network_interface",))
        enis.extend(nodes)
        unknown = unknown or unk
    for eni in enis:
        ctx.add_edge(r.address, eni, "attached_to", path="network_interface", reach=True)
    _exposes(ctx, r.address, None if unknown else False, "")
    return True


def _verdict(ctx: LinkContext, r: Resource, groups: list[str], unknown_group: bool,
             admits: dict[str, Admits], subnets: Subnets, defaults: dict[str, str]) -> None:
    address = _address(ctx, r, subnets)
    places, unknown_place = subnets.of(r)
    network = _network(subnets, places, unknown_place)
    if r.type in ("aws_lb", "aws_alb") and r.attributes.get("security_groups") in (None, []):
        kind = r.attributes.get("load_balancer_type", "application")
        if kind == "network" or not isinstance(kind, str):   # a network load balancer without groups filters nothing
            verdict = all3([address, attackable(network), True if kind == "network" else None])
            _exposes(ctx, r.address, verdict, "network load balancer without security groups")
            return
    if not groups and not unknown_group:
        groups, unknown_group = _default_group(ctx, r, places, unknown_place, subnets, defaults)
    per_group = {sg: all3([address, _admits(admits.get(sg, ({}, False)), network)]) for sg in groups}
    for sg, verdict in per_group.items():
        ctx.set_reach(r.address, sg, "attached_to", verdict is True)
    overall = any3([*per_group.values(), all3([address, None if attackable(network) is not False else False])
                    if unknown_group else False])
    _exposes(ctx, r.address, None if overall is None else False, "")


def _exposes(ctx: LinkContext, address: str, reach: Optional[bool], why: str) -> None:
    """The ``internet -exposes->`` edge of a resource, made or updated with its ``reach``; none when it is False and absent."""
    graph = ctx.graph
    if graph.has_edge(INTERNET, address, "exposes"):
        graph.edges[INTERNET, address, "exposes"]["reach"] = reach
    elif reach is not False:
        ctx.add_edge(INTERNET, address, "exposes", path="", reach=reach, why=why or "unknown before apply")


def _network(subnets: Subnets, places: list[str], unknown: bool) -> Optional[Ports]:
    """What internet traffic the resource's subnets route in and their ACLs admit (union over its subnets)."""
    admitted: Optional[Ports] = {}
    known = True
    if unknown and not places:
        admitted = subnets.acl_admits(None)    # placed somewhere unknown: only the scan's absence of routes and ACLs decides
        if subnets.routed(None) is not True:
            known = False
    for subnet in places:
        routed = subnets.routed(subnet)
        acl = subnets.acl_admits(subnet)
        if routed is False:
            continue
        if routed is None:
            known = False
            continue
        admitted = union(admitted, acl)
    if unknown and (subnets.has_routes or subnets.has_nacls) or not known:
        return None if attackable(admitted) is not True else admitted
    return admitted


def _address(ctx: LinkContext, r: Resource, subnets: Subnets) -> Optional[bool]:
    """Whether the resource has a public address (True / False / None when unknown)."""
    a = r.attributes
    if r.type == "aws_instance":
        if any(True for _ in _eips(ctx, r.address)):
            return True
        value = a.get("associate_public_ip_address")
        if value is None:
            value = _template_public_ip(ctx, r)
        if value is not None:
            return value if isinstance(value, bool) else None
        places, unknown = subnets.of(r)
        if unknown or len(places) != 1:
            return None
        return subnets.maps_public_ip(places[0])
    if r.type == "aws_launch_template":
        values = [v for _, v in walk(a.get("network_interfaces"), frozenset({"associate_public_ip_address"}))]
        return any3(v if isinstance(v, bool) else None for v in values) if values else None
    if r.type == "aws_network_interface":    # an existing interface gets no automatic public address
        return any(True for _ in _eips(ctx, r.address))
    if r.type in DATABASES or r.type == "aws_rds_cluster_instance":
        # Redshift's default changed between provider versions (true, then false): unset is unknown
        value = a.get("publicly_accessible", None if r.type == "aws_redshift_cluster" else False)
        return value if isinstance(value, bool) else None
    if r.type == "aws_rds_cluster":
        members = [m for m in ctx.of_type("aws_rds_cluster_instance")
                   if r.address in referenced(ctx, m, "cluster_identifier", ("aws_rds_cluster",))[0]]
        return any3(_address(ctx, m, subnets) for m in members)
    if r.type in LBS:
        if a.get("load_balancer_type") == "gateway":
            return False
        internal = a.get("internal", False)
        return (not internal) if isinstance(internal, bool) else None
    if r.type == "aws_ecs_service":
        values = [v for _, v in walk(a.get("network_configuration"), frozenset({"assign_public_ip"}))]
        return any3(v if isinstance(v, bool) else None for v in values) if values else False
    return False


def _eips(ctx: LinkContext, address: str) -> Any:
    """Elastic IPs given to an instance or a network interface."""
    for eip in ctx.of_type("aws_eip", "aws_eip_association"):
        for path, target in eip.references:
            if path in ("instance", "instance_id", "network_interface", "network_interface_id") \
                    and address in ctx.resolve(target):
                yield eip.address


def _template_public_ip(ctx: LinkContext, r: Resource) -> Any:
    for template in referenced(ctx, r, "launch_template", ("aws_launch_template",))[0]:
        res = ctx.nodes[template]["resource"]
        values = [v for _, v in walk(res.attributes.get("network_interfaces"),
                                     frozenset({"associate_public_ip_address"}))]
        if values:
            return any3(v if isinstance(v, bool) else None for v in values)
    return None


def _groups(ctx: LinkContext, r: Resource) -> tuple[list[str], bool]:
    """The security groups in the scan that filter ``r`` (its own, else its launch template's), and whether others are unknown."""
    found: list[str] = []
    unknown = False
    for path, _ in walk(r.attributes, SG_KEYS):
        nodes, unk = referenced(ctx, r, path, SG_TYPES)
        found.extend(nodes)
        unknown = unknown or unk
    # an instance started from a template sits behind the template's groups; an Aurora instance behind its cluster's
    inherit = {"aws_instance": ("launch_template", "aws_launch_template"),
               "aws_rds_cluster_instance": ("cluster_identifier", "aws_rds_cluster")}.get(r.type)
    if not found and not unknown and inherit:
        for parent in referenced(ctx, r, inherit[0], (inherit[1],))[0]:
            groups, unknown = _groups(ctx, ctx.nodes[parent]["resource"])
            for sg in groups:
                ctx.add_edge(r.address, sg, "attached_to", path=inherit[0], via=parent)
            found.extend(groups)
    return list(dict.fromkeys(found)), unknown


def _default_groups(ctx: LinkContext) -> dict[str, str]:
    """VPC (or ``DEFAULT``) -> its ``aws_default_security_group`` in the scan."""
    out: dict[str, str] = {}
    for sg in ctx.of_type("aws_default_security_group"):
        vpcs, unknown = referenced(ctx, sg, "vpc_id", ("aws_vpc", "aws_default_vpc"))
        if "vpc_id" not in sg.attributes:
            vpcs = [DEFAULT]
        for vpc in vpcs:
            out[vpc] = sg.address
    return out


def _default_group(ctx: LinkContext, r: Resource, places: list[str], unknown_place: bool, subnets: Subnets,
                   defaults: dict[str, str]) -> tuple[list[str], bool]:
    """A resource with no security group gets its VPC's default group, as AWS does.

    AWS's default group admits only its own members; only an
    ``aws_default_security_group`` in the scan can open it.
    """
    if not defaults:
        return [], False
    vpcs = {subnets.vpc(s) for s in places}
    if unknown_place or None in vpcs or len(vpcs) != 1:
        return [], True
    sg = defaults.get(vpcs.pop() or "")
    if sg is None:
        return [], False
    ctx.add_edge(r.address, sg, "attached_to", path="(default security group)")
    return [sg], False


def _admits(group: Admits, network: Optional[Ports]) -> Optional[bool]:
    """Whether a group lets in some of what the network lets in: its rules are a union, so one known rule suffices."""
    ports, unknown = group
    known = attackable(intersect(ports, network))
    if known is True or not unknown:
        return known
    return None if attackable(network) is not False else False


def _group_admits(ctx: LinkContext) -> dict[str, Admits]:
    """Security group -> what its known rules admit from the internet, and whether some rule is unknown; draws ``allows_ingress_from``."""
    admits: dict[str, Admits] = {}
    first: dict[str, tuple[str, str, list[str]]] = {}

    def add(sg: str, ports: Optional[Ports], path: str, via: str, cidrs: list[str]) -> None:
        known, unknown = admits.get(sg, ({}, False))
        admits[sg] = (union(known, ports) if ports is not None else known, unknown or ports is None)
        if ports and sg not in first:
            first[sg] = (path, via, cidrs)

    for sg in ctx.of_type(*SG_TYPES):
        admits.setdefault(sg.address, ({}, False))
        inline = sg.attributes.get("ingress")
        if is_unknown(inline):
            add(sg.address, None, "ingress", "", [])
        for i, rule in enumerate(inline if isinstance(inline, list) else []):
            ports, cidrs = rule_admits(rule)
            add(sg.address, ports, f"ingress.{i}", "", cidrs)
    for rule in ctx.of_type("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"):
        a = rule.attributes
        if rule.type == "aws_security_group_rule":
            kind = a.get("type")
            if kind != "ingress" and isinstance(kind, str):
                continue
            ports, cidrs = rule_admits(a) if kind == "ingress" else (None, [])
        else:
            ports, cidrs = rule_admits({"cidr_blocks": [a.get("cidr_ipv4")], "ipv6_cidr_blocks": [a.get("cidr_ipv6")],
                                        "from_port": a.get("from_port"), "to_port": a.get("to_port"),
                                        "protocol": a.get("ip_protocol"), "prefix_list_ids": [a.get("prefix_list_id")]})
        for group in referenced(ctx, rule, "security_group_id", SG_TYPES)[0]:
            add(group, ports, "", rule.address, cidrs)
    for group, (ports, _) in admits.items():
        if attackable(ports) and group in first:
            path, via, cidrs = first[group]
            ctx.add_edge(group, INTERNET, "allows_ingress_from", path=path, via=via, cidrs=cidrs,
                         ports=describe(ports))
    return admits


def rule_admits(rule: Any) -> tuple[Optional[Ports], list[str]]:
    """What one ingress rule admits from the internet, and the internet ranges it names."""
    if not isinstance(rule, dict):
        return None, []
    values: list[Any] = []
    for key in ("cidr_blocks", "ipv6_cidr_blocks"):
        value = rule.get(key)
        if is_unknown(value):
            values.append(value)
        elif isinstance(value, list):
            values.extend(v for v in value if v is not None)
    prefix_lists = rule.get("prefix_list_ids")
    unknown_prefix = is_unknown(prefix_lists) or any(v is not None for v in prefix_lists or [])
    scopes = [scope(v) for v in values]
    internet = [v for v, s in zip(values, scopes) if s == "internet"]
    if not internet and "unknown" not in scopes and not unknown_prefix:
        return {}, []
    protos = protocols(rule.get("protocol"))
    if protos is None:
        return None, internet
    if len(protos) == len(PROTOCOLS):
        ports: Optional[Ports] = of(protos, FULL)
    else:
        span = interval(rule.get("from_port"), rule.get("to_port"))
        ports = None if span is None else of(protos, [span])
    if not internet:
        return (None if attackable(ports) is not False else {}), []
    return ports, internet
