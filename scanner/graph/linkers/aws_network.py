"""AWS subnets as the internet sees them: which subnets a resource sits in, whether they route to an internet gateway, and what their network ACLs admit.

Every answer is three-valued: a subnet, route table or ACL rule that comes
from a variable, a data source or another stack is unknown (None), never
guessed. AWS defaults are applied as AWS applies them: a resource with no
subnet attribute is in the default VPC (whose subnets route to its internet
gateway), a subnet without a route table association uses its VPC's main
table, one without an ACL association its VPC's default ACL (allow all,
unless an ``aws_default_network_acl`` in the scan says otherwise).
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from ...model import Resource, is_unknown
from .. import LinkContext, Reading
from ..cidr import covers_everything
from ..traffic import (
    FULL,
    PROTOCOLS,
    Ports,
    Rule,
    all3,
    any3,
    evaluate,
    interval,
    of,
    protocols,
    union,
)

SUBNET_KEYS = frozenset({"subnet_id", "subnet_ids", "subnets", "vpc_zone_identifier"})
# attribute -> subnet group type whose ``subnet_ids`` place the resource
GROUP_KEYS = {"db_subnet_group_name": "aws_db_subnet_group", "cluster_subnet_group_name": "aws_redshift_subnet_group",
              "replication_subnet_group_id": "aws_dms_replication_subnet_group"}
PLACEMENT_KEYS = SUBNET_KEYS | frozenset(GROUP_KEYS)
ROUTE_TABLES = ("aws_route_table", "aws_default_route_table")
NACLS = ("aws_network_acl", "aws_default_network_acl")
DEFAULT = "(default VPC)"
EPHEMERAL = ((1024, 65535),)


def walk(value: Any, keys: frozenset[str], path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every dict entry named in ``keys``, at any depth; Unknown values are yielded, never iterated."""
    if isinstance(value, dict):
        # a resource's attributes while linking note what is read: here the keys yielded or walked
        # into, not the others, whose values are only seen not to be blocks (graph.Reading)
        note = value.note if isinstance(value, Reading) else None
        for k, v in dict.items(value):
            p = f"{path}.{k}" if path else str(k)
            if k in keys:
                if note is not None:
                    note(k)
                yield p, v
            elif isinstance(v, (dict, list)):
                if note is not None:
                    note(k)
                yield from walk(v, keys, p)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, keys, f"{path}.{i}" if path else str(i))


def referenced(ctx: LinkContext, r: Resource, path: str, types: tuple[str, ...]) -> tuple[list[str], bool]:
    """Nodes of ``types`` the value at ``path`` names, and whether part of the value names something else (unknown)."""
    value = value_at(r.attributes, path)
    refs: dict[str, list[str]] = {}
    for rpath, target in r.references:
        if rpath == path or rpath.startswith(path + "."):
            nodes = [n for n in ctx.resolve(target) if _type(ctx, n) in types]
            refs.setdefault(rpath, []).extend(nodes)
    whole = refs.get(path, [])
    if isinstance(value, list):
        found, unknown = list(whole), False
        for i, item in enumerate(value):
            mine = [n for p, ns in refs.items() if p == f"{path}.{i}" or p.startswith(f"{path}.{i}.") for n in ns]
            found.extend(mine)
            unknown = unknown or (not mine and not (whole and is_unknown(item)))
        return list(dict.fromkeys(found)), unknown
    nodes = list(dict.fromkeys(n for ns in refs.values() for n in ns))
    if value is None:
        return nodes, False
    # one reference naming one node is that node; several candidates (element(list, i)) are not known
    return nodes, len(nodes) != 1 or is_unknown(value) and not (path in refs and len(refs) == 1)


def value_at(attrs: Any, path: str) -> Any:
    """The value at a dotted path (list indexes as numbers), None when absent."""
    cur = attrs
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _type(ctx: LinkContext, node: str) -> str:
    res = ctx.nodes[node].get("resource")
    return res.type if res is not None else ""


class Subnets:
    """Subnet placement, routing and network ACLs of one scan, computed once."""

    def __init__(self, ctx: LinkContext) -> None:
        self.ctx = ctx
        self.has_routes = any(True for _ in ctx.of_type(*ROUTE_TABLES, "aws_route"))
        self.has_nacls = any(True for _ in ctx.of_type(*NACLS, "aws_network_acl_rule"))
        self.table_of: dict[str, list[str]] = {}     # subnet -> associated route tables
        self.main_of: dict[str, list[str]] = {}      # vpc -> main route table
        self.routes: dict[str, list[Resource]] = {}  # table -> aws_route resources
        self.acl_of: dict[str, list[str]] = {}       # subnet -> network ACLs
        self.default_acl: dict[str, list[str]] = {}  # vpc -> aws_default_network_acl
        self.acl_rules: dict[str, list[Resource]] = {}
        self._index()

    def _index(self) -> None:
        ctx = self.ctx
        for assoc in ctx.of_type("aws_route_table_association"):
            tables, _ = referenced(ctx, assoc, "route_table_id", ROUTE_TABLES)
            for subnet in referenced(ctx, assoc, "subnet_id", ("aws_subnet",))[0]:
                self.table_of.setdefault(subnet, []).extend(tables)
        for main in ctx.of_type("aws_main_route_table_association"):
            tables, _ = referenced(ctx, main, "route_table_id", ROUTE_TABLES)
            for vpc in referenced(ctx, main, "vpc_id", ("aws_vpc",))[0]:
                self.main_of.setdefault(vpc, []).extend(tables)
        for table in ctx.of_type("aws_default_route_table"):
            for vpc in referenced(ctx, table, "default_route_table_id", ("aws_vpc",))[0]:
                self.main_of.setdefault(vpc, []).append(table.address)
        for route in ctx.of_type("aws_route"):
            for table_address in referenced(ctx, route, "route_table_id", ROUTE_TABLES)[0]:
                self.routes.setdefault(table_address, []).append(route)
        for acl in ctx.of_type(*NACLS):
            for subnet in referenced(ctx, acl, "subnet_ids", ("aws_subnet",))[0]:
                self.acl_of.setdefault(subnet, []).append(acl.address)
            if acl.type == "aws_default_network_acl":
                vpcs = referenced(ctx, acl, "default_network_acl_id", ("aws_vpc", "aws_default_vpc"))[0]
                for vpc in vpcs or [DEFAULT]:
                    self.default_acl.setdefault(vpc, []).append(acl.address)
        for assoc in ctx.of_type("aws_network_acl_association"):
            acls, _ = referenced(ctx, assoc, "network_acl_id", NACLS)
            for subnet in referenced(ctx, assoc, "subnet_id", ("aws_subnet",))[0]:
                self.acl_of.setdefault(subnet, []).extend(acls)
        for rule in ctx.of_type("aws_network_acl_rule"):
            for acl_address in referenced(ctx, rule, "network_acl_id", NACLS)[0]:
                self.acl_rules.setdefault(acl_address, []).append(rule)

    def of(self, r: Resource) -> tuple[list[str], bool]:
        """The subnets ``r`` is placed in (``DEFAULT`` for the default VPC), and whether some are unknown."""
        ctx = self.ctx
        found: list[str] = []
        unknown = False
        seen = False
        placed = list(walk(r.attributes, PLACEMENT_KEYS))  # one walk: subnets first, then subnet groups
        for path, _ in placed:
            if path.rsplit(".", 1)[-1] not in SUBNET_KEYS:
                continue
            seen = True
            nodes, unk = referenced(ctx, r, path, ("aws_subnet",))
            found.extend(nodes)
            unknown = unknown or unk
        for path, value in placed:
            if path.rsplit(".", 1)[-1] not in GROUP_KEYS:
                continue
            seen = True
            gtype = GROUP_KEYS[path.rsplit(".", 1)[-1]]
            nodes, unk = referenced(ctx, r, path, (gtype,))
            if not nodes and isinstance(value, str):
                nodes = [g.address for g in ctx.of_type(gtype) if g.attributes.get("name") == value]
                unk = not nodes
            unknown = unknown or unk
            for group in nodes:
                res = ctx.nodes[group]["resource"]
                subnets, gunk = referenced(ctx, res, "subnet_ids", ("aws_subnet",))
                found.extend(subnets)
                unknown = unknown or gunk
        if not seen:
            return [DEFAULT], False
        return list(dict.fromkeys(found)), unknown

    def vpc(self, subnet: str) -> Optional[str]:
        if subnet == DEFAULT:
            return DEFAULT
        nodes, unk = referenced(self.ctx, self.ctx.nodes[subnet]["resource"], "vpc_id", ("aws_vpc", "aws_default_vpc"))
        return nodes[0] if nodes and not unk else None

    def _attached(self, subnet: str, own: dict[str, list[str]], by_vpc: dict[str, list[str]]) -> Optional[list[str]]:
        """What is associated with the subnet, else what its VPC gives every subnet (maybe nothing); None when the VPC is unknown."""
        found = own.get(subnet)
        if found:
            return found
        vpc = self.vpc(subnet)
        return None if vpc is None else by_vpc.get(vpc, [])

    def maps_public_ip(self, subnet: str) -> Optional[bool]:
        """Whether instances launched in the subnet get a public address without asking."""
        if subnet == DEFAULT:
            return True
        value = self.ctx.nodes[subnet]["resource"].attributes.get("map_public_ip_on_launch", False)
        return value if isinstance(value, bool) else None

    def routed(self, subnet: Optional[str]) -> Optional[bool]:
        """The subnet routes 0.0.0.0/0 or ::/0 to an internet gateway (True when the scan has no route tables)."""
        if not self.has_routes or subnet == DEFAULT:
            return True
        if subnet is None:
            return None
        tables = self._attached(subnet, self.table_of, self.main_of)
        if tables is None:
            return None
        return any3(self._table_public(t) for t in tables)

    def _table_public(self, table: str) -> Optional[bool]:
        res = self.ctx.nodes[table]["resource"]
        verdicts: list[Optional[bool]] = []
        inline = res.attributes.get("route")
        if is_unknown(inline):
            verdicts.append(None)
        for i, route in enumerate(inline if isinstance(inline, list) else []):
            verdicts.append(self._route_public(res, route, f"route.{i}."))
        for route in self.routes.get(table, []):
            verdicts.append(self._route_public(route, route.attributes, ""))
        return any3(verdicts)

    def _route_public(self, owner: Resource, route: Any, prefix: str) -> Optional[bool]:
        if not isinstance(route, dict):
            return None
        dests = [route.get(k) for k in ("cidr_block", "ipv6_cidr_block", "destination_cidr_block",
                                        "destination_ipv6_cidr_block") if k in route]
        default = any3(None if not isinstance(d, str) else covers_everything(d) for d in dests)
        gateway = route.get("gateway_id")
        if gateway is None:
            return False
        gws, _ = referenced(self.ctx, owner, prefix + "gateway_id", ("aws_internet_gateway",))
        is_igw: Optional[bool]
        if gws:
            is_igw = True
        elif isinstance(gateway, str):       # a literal id: igw-... is an internet gateway
            is_igw = gateway.startswith("igw-")
        else:                                 # a reference to something else (NAT, TGW) or a variable
            is_igw = False if any(p == prefix + "gateway_id" for p, _ in owner.references) else None
        return all3([default, is_igw])

    def acl_admits(self, subnet: Optional[str]) -> Optional[Ports]:
        """Traffic from the internet the subnet's network ACL lets in and lets answer (FULL without ACLs in the scan)."""
        if not self.has_nacls:
            return _all()
        if subnet is None:
            return None
        acls = self._attached(subnet, self.acl_of, self.default_acl)
        if acls is None:
            return None if self.default_acl else _all()
        if not acls:
            return _all()    # the VPC's default ACL, as AWS creates it: allow all
        admitted: Optional[Ports] = {}
        for acl in acls:
            admitted = union(admitted, self._acl(acl))
        return admitted

    def _acl(self, acl: str) -> Optional[Ports]:
        res = self.ctx.nodes[acl]["resource"]
        rules: dict[bool, list[Any]] = {False: [], True: []}
        for egress, key in ((False, "ingress"), (True, "egress")):
            inline = res.attributes.get(key)
            if is_unknown(inline):
                return None
            for rule in inline if isinstance(inline, list) else []:
                if not isinstance(rule, dict):
                    return None
                rules[egress].append((rule.get("rule_no"), rule.get("action"), rule))
        for rule in self.acl_rules.get(acl, []):
            a = rule.attributes
            egress = a.get("egress", False)
            if not isinstance(egress, bool):
                return None
            rules[egress].append((a.get("rule_number"), a.get("rule_action"), a))
        inbound = first_match(rules[False])
        outbound = first_match(rules[True])
        if inbound is None or outbound is None:
            return None
        # stateless: an answer leaves for the client's ephemeral port; no answer, no connection
        answers = {p for p in ("tcp", "udp") if of([p], EPHEMERAL).get(p) and _meets(outbound.get(p), EPHEMERAL)}
        return {p: spans for p, spans in inbound.items() if p not in ("tcp", "udp") or p in answers}


def _all() -> Ports:
    return of(PROTOCOLS, FULL)


def _meets(spans: Any, wanted: tuple[tuple[int, int], ...]) -> bool:
    return bool(spans) and any(lo <= y and x <= hi for lo, hi in spans for x, y in wanted)


def first_match(rules: list[tuple[Any, Any, dict[str, Any]]]) -> Optional[Ports]:
    """Traffic from the internet numbered ACL rules allow, lowest number first (None when unknown)."""
    ordered: list[Rule] = []
    for number, action, rule in rules:
        try:
            order = int(str(number))
        except (TypeError, ValueError):
            return None
        cidrs = [rule.get(k) for k in ("cidr_block", "ipv6_cidr_block") if rule.get(k) not in (None, "")]
        protos = protocols(rule.get("protocol"))
        act = str(action).lower() if isinstance(action, str) else None
        if protos is None or act not in ("allow", "deny"):
            return None
        if len(protos) == len(PROTOCOLS):
            ports: Optional[Ports] = of(protos, FULL)
        else:
            span = interval(rule.get("from_port", 0), rule.get("to_port", 65535))
            ports = None if span is None else of(protos, [span])
        ordered.append(((order,), act == "allow", ports, cidrs))
    return evaluate(ordered)
