"""Google Cloud relations: firewalls open to the internet and the instances they cover, external IPs, public buckets, IAM grants, Cloud SQL networks.

A ``google_compute_firewall`` applies to instances by target tag, by target
service account, or (with neither) to every instance on its network; those
instances are ``attached_to`` it, so ``internet -> firewall -> instance`` is a
path exactly as with AWS security groups (docs/graph.md).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ...model import ANYONE, INTERNET, Resource, is_unknown
from ..cidr import admits_internet
from ..traffic import (
    FULL,
    Ports,
    Rule,
    all3,
    any3,
    attackable,
    describe,
    evaluate,
    intersect,
    of,
    port_spec,
    protocols,
)
from .. import LinkContext
from .aws import items, targets

INSTANCES = ("google_compute_instance", "google_compute_instance_template")
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
BUCKET_IAM = ("google_storage_bucket_iam_member", "google_storage_bucket_iam_binding",
              "google_storage_bucket_access_control", "google_storage_default_object_access_control")
PROJECT_IAM = ("google_project_iam_member", "google_project_iam_binding",
               "google_organization_iam_member", "google_organization_iam_binding",
               "google_folder_iam_member", "google_folder_iam_binding",
               "google_service_account_iam_member", "google_service_account_iam_binding")


def link(ctx: LinkContext) -> None:
    _firewalls(ctx)
    _buckets(ctx)
    _iam(ctx)
    _sql(ctx)



def _network_keys(ctx: LinkContext, r: Resource, path_names: tuple[str, ...]) -> set[str]:
    """What identifies the network a resource is on: referenced nodes and literal names."""
    keys = {node for _, node in targets(ctx, r, path_names, ("google_compute_network",))}
    for nic in items(r.attributes.get("network_interface")) or [r.attributes]:
        if isinstance(nic, dict) and isinstance(nic.get("network"), str):
            keys.add(nic["network"].rsplit("/", 1)[-1])
    return keys


def _firewalls(ctx: LinkContext) -> None:
    """Instances ``attached_to`` the firewalls that apply to them; the verdict of each on its ``reach``."""
    by_tag: dict[str, list[str]] = {}
    by_account: dict[str, list[str]] = {}
    by_network: dict[str, list[str]] = {}
    address: dict[str, Optional[bool]] = {}
    for inst in ctx.of_type(*INSTANCES):
        a = inst.attributes
        for tag in items(a.get("tags")):
            if isinstance(tag, str):
                by_tag.setdefault(tag, []).append(inst.address)
        for sa in items(a.get("service_account")):
            if isinstance(sa, dict) and isinstance(sa.get("email"), str):
                by_account.setdefault(sa["email"], []).append(inst.address)
        for key in _network_keys(ctx, inst, ("network",)):
            by_network.setdefault(key, []).append(inst.address)
        address[inst.address] = _external_ip(ctx, inst)
    applies: dict[str, list[str]] = {}
    own: dict[str, tuple[Optional[list[Rule]], Optional[Ports]]] = {}
    for fw in ctx.of_type("google_compute_firewall"):
        a = fw.attributes
        rules = firewall_rules(a)
        own[fw.address] = (rules, None if rules is None else evaluate(rules))
        if attackable(own[fw.address][1]):
            ctx.add_edge(fw.address, INTERNET, "allows_ingress_from", path="source_ranges",
                         cidrs=[c for c in items(a.get("source_ranges")) if admits_internet(c)] or ["0.0.0.0/0"],
                         ports=describe(own[fw.address][1]))
        tags, accounts = items(a.get("target_tags")), items(a.get("target_service_accounts"))
        members: list[str] = []
        for tag in tags:
            members.extend(by_tag.get(tag, ()) if isinstance(tag, str) else ())
        for account in accounts:
            members.extend(by_account.get(account, ()) if isinstance(account, str) else ())
        if not tags and not accounts and "target_tags" not in a and "target_service_accounts" not in a:
            for key in _network_keys(ctx, fw, ("network",)):
                members.extend(by_network.get(key, ()))
        for member in dict.fromkeys(members):
            ctx.add_edge(member, fw.address, "attached_to", path="target_tags" if tags else "network", reach=False)
            applies.setdefault(member, []).append(fw.address)
    for inst_address, ip in address.items():
        _verdict(ctx, inst_address, ip, applies.get(inst_address, []), own)


def _verdict(ctx: LinkContext, inst: str, ip: Optional[bool], firewalls: list[str],
             own: dict[str, tuple[Optional[list[Rule]], Optional[Ports]]]) -> None:
    """Rules of every firewall on the instance, by priority (deny first on ties): which allows let the internet in."""
    combined: Optional[list[Rule]] = []
    for fw in firewalls:
        rules = own[fw][0]
        combined = None if rules is None or combined is None else combined + rules
    admitted = None if combined is None else evaluate(combined)
    overall: list[Optional[bool]] = []
    for fw in firewalls:
        verdict = all3([ip, attackable(intersect(own[fw][1], admitted))])
        overall.append(verdict)
        ctx.set_reach(inst, fw, "attached_to", verdict is True)
    ctx.set_reach(INTERNET, inst, "exposes", None if any3(overall) is None else False)


def _external_ip(ctx: LinkContext, inst: Resource) -> Optional[bool]:
    """A network interface with an ``access_config`` has an external address (None when the block is unknown)."""
    nics = inst.attributes.get("network_interface")
    verdicts: list[Optional[bool]] = [None] if is_unknown(nics) else []
    for i, nic in enumerate(items(nics)):
        config = nic.get("access_config") if isinstance(nic, dict) else None
        verdicts.append(None if is_unknown(config) or not isinstance(nic, dict) else bool(items(config)))
        if items(config):
            ctx.add_edge(INTERNET, inst.address, "exposes", path=f"network_interface.{i}.access_config")
    return any3(verdicts)


def firewall_rules(a: Mapping[str, Any]) -> Optional[list[Rule]]:
    """A firewall as ordered rules: ingress only, not disabled, (priority, deny before allow); None when unknown."""
    direction, disabled = a.get("direction", "INGRESS"), a.get("disabled", False)
    if not isinstance(direction, str) or not isinstance(disabled, bool):
        return None
    if direction.upper() != "INGRESS" or disabled:
        return []
    priority = a.get("priority", 1000)
    if not isinstance(priority, int) or isinstance(priority, bool):
        return None
    sources = a.get("source_ranges")
    if sources is None:      # no source at all means every address, as GCP does
        sources = [] if a.get("source_tags") or a.get("source_service_accounts") else ["0.0.0.0/0"]
    if not isinstance(sources, list):
        return None
    rules: list[Rule] = []
    for allow, key in ((False, "deny"), (True, "allow")):
        blocks = a.get(key)
        if is_unknown(blocks):
            return None
        for block in items(blocks):
            protos = protocols(block.get("protocol")) if isinstance(block, dict) else None
            spec = port_spec(block.get("ports")) if isinstance(block, dict) and block.get("ports") else FULL
            ports = None if protos is None or spec is None else of(protos, spec)
            rules.append(((priority, int(allow)), allow, ports, list(sources)))
    return rules


def _buckets(ctx: LinkContext) -> None:
    names = {r.attributes.get("name"): r.address for r in ctx.of_type("google_storage_bucket")
             if isinstance(r.attributes.get("name"), str)}
    for binding in ctx.of_type(*BUCKET_IAM):
        a = binding.attributes
        buckets = [n for _, n in targets(ctx, binding, ("bucket",), ("google_storage_bucket",))]
        if not buckets and a.get("bucket") in names:
            buckets = [names[a["bucket"]]]
        members = [a.get("member"), a.get("entity"), *items(a.get("members"))]
        public = any(isinstance(m, str) and m in PUBLIC_MEMBERS
                     for m in members)
        for bucket in buckets:
            ctx.add_edge(binding.address, bucket, "attached_to", path="bucket", role=a.get("role"), reach=False)
            if public:
                ctx.add_edge(INTERNET, bucket, "exposes", via=binding.address, role=a.get("role"))
        if public:
            ctx.add_edge(binding.address, ANYONE, "grants", path="members", role=a.get("role"))


def _iam(ctx: LinkContext) -> None:
    """IAM members and bindings ``grants`` the service accounts they name; instances ``runs_as`` theirs."""
    for binding in ctx.of_type(*PROJECT_IAM):
        role = binding.attributes.get("role")
        for path, principal in targets(ctx, binding, ("member", "members"), ("google_service_account",)):
            ctx.add_edge(binding.address, principal, "grants", path=path, role=role)
        for path, account in targets(ctx, binding, ("service_account_id",), ("google_service_account",)):
            ctx.add_edge(binding.address, account, "attached_to", path=path, role=role, reach=False)
    for r in ctx.of_type(*INSTANCES, "google_container_node_pool", "google_cloudfunctions_function",
                         "google_cloud_run_service", "google_cloudfunctions2_function"):
        for path, account in targets(ctx, r, ("service_account", "service_account_email", "email"),
                                     ("google_service_account",)):
            ctx.add_edge(r.address, account, "runs_as", path=path)


def _sql(ctx: LinkContext) -> None:
    for db in ctx.of_type("google_sql_database_instance"):
        for i, settings in enumerate(items(db.attributes.get("settings"))):
            for j, ipc in enumerate(items(settings.get("ip_configuration") if isinstance(settings, dict) else None)):
                if not isinstance(ipc, dict) or ipc.get("ipv4_enabled") is False:
                    continue
                for k, net in enumerate(items(ipc.get("authorized_networks"))):
                    if isinstance(net, dict) and admits_internet(net.get("value")):
                        ctx.add_edge(db.address, INTERNET, "allows_ingress_from",
                                     path=f"settings.{i}.ip_configuration.{j}.authorized_networks.{k}",
                                     cidrs=[net.get("value")])
