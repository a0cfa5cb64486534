"""Google Cloud relations: firewalls open to the internet and the instances they cover, external IPs, public buckets, IAM grants, Cloud SQL networks.

A ``google_compute_firewall`` applies to instances by target tag, by target
service account, or (with neither) to every instance on its network; those
instances are ``attached_to`` it, so ``internet -> firewall -> instance`` is a
path exactly as with AWS security groups (docs/graph.md).
"""

from __future__ import annotations

from typing import Any

from ...model import ANYONE, INTERNET, Resource
from ..cidr import is_public_cidr
from .. import LinkContext
from .aws import targets

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


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _network_keys(ctx: LinkContext, r: Resource, path_names: tuple[str, ...]) -> set[str]:
    """What identifies the network a resource is on: referenced nodes and literal names."""
    keys = {node for _, node in targets(ctx, r, path_names, ("google_compute_network",))}
    for nic in _list(r.attributes.get("network_interface")) or [r.attributes]:
        if isinstance(nic, dict) and isinstance(nic.get("network"), str):
            keys.add(nic["network"].rsplit("/", 1)[-1])
    return keys


def _firewalls(ctx: LinkContext) -> None:
    by_tag: dict[str, list[str]] = {}
    by_account: dict[str, list[str]] = {}
    by_network: dict[str, list[str]] = {}
    for inst in ctx.of_type(*INSTANCES):
        a = inst.attributes
        for tag in _list(a.get("tags")):
            if isinstance(tag, str):
                by_tag.setdefault(tag, []).append(inst.address)
        for sa in _list(a.get("service_account")):
            if isinstance(sa, dict) and isinstance(sa.get("email"), str):
                by_account.setdefault(sa["email"], []).append(inst.address)
        for key in _network_keys(ctx, inst, ("network",)):
            by_network.setdefault(key, []).append(inst.address)
        for i, nic in enumerate(_list(a.get("network_interface"))):
            if isinstance(nic, dict) and _list(nic.get("access_config")):
                ctx.add_edge(INTERNET, inst.address, "exposes", path=f"network_interface.{i}.access_config")
    for fw in ctx.of_type("google_compute_firewall"):
        a = fw.attributes
        ingress = str(a.get("direction", "INGRESS")).upper() == "INGRESS"
        public = [s for s in _list(a.get("source_ranges")) if is_public_cidr(s)]
        if ingress and public and _list(a.get("allow")):
            ctx.add_edge(fw.address, INTERNET, "allows_ingress_from", path="source_ranges", cidrs=public)
        tags, accounts = _list(a.get("target_tags")), _list(a.get("target_service_accounts"))
        members: list[str] = []
        for tag in tags:
            members.extend(by_tag.get(tag, ()) if isinstance(tag, str) else ())
        for account in accounts:
            members.extend(by_account.get(account, ()) if isinstance(account, str) else ())
        if not tags and not accounts and "target_tags" not in a and "target_service_accounts" not in a:
            for key in _network_keys(ctx, fw, ("network",)):
                members.extend(by_network.get(key, ()))
        for member in dict.fromkeys(members):
            ctx.add_edge(member, fw.address, "attached_to", path="target_tags" if tags else "network")


def _buckets(ctx: LinkContext) -> None:
    names = {r.attributes.get("name"): r.address for r in ctx.of_type("google_storage_bucket")
             if isinstance(r.attributes.get("name"), str)}
    for binding in ctx.of_type(*BUCKET_IAM):
        a = binding.attributes
        buckets = [n for _, n in targets(ctx, binding, ("bucket",), ("google_storage_bucket",))]
        if not buckets and a.get("bucket") in names:
            buckets = [names[a["bucket"]]]
        members = [a.get("member"), a.get("entity"), *_list(a.get("members"))]
        public = any(isinstance(m, str) and m in PUBLIC_MEMBERS
                     for m in members)
        for bucket in buckets:
            ctx.add_edge(binding.address, bucket, "attached_to", path="bucket", role=a.get("role"))
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
            ctx.add_edge(binding.address, account, "attached_to", path=path, role=role)
    for r in ctx.of_type(*INSTANCES, "google_container_node_pool", "google_cloudfunctions_function",
                         "google_cloud_run_service", "google_cloudfunctions2_function"):
        for path, account in targets(ctx, r, ("service_account", "service_account_email", "email"),
                                     ("google_service_account",)):
            ctx.add_edge(r.address, account, "runs_as", path=path)


def _sql(ctx: LinkContext) -> None:
    for db in ctx.of_type("google_sql_database_instance"):
        for i, settings in enumerate(_list(db.attributes.get("settings"))):
            for j, ipc in enumerate(_list(settings.get("ip_configuration") if isinstance(settings, dict) else None)):
                if not isinstance(ipc, dict) or ipc.get("ipv4_enabled") is False:
                    continue
                for k, net in enumerate(_list(ipc.get("authorized_networks"))):
                    if isinstance(net, dict) and is_public_cidr(net.get("value")):
                        ctx.add_edge(db.address, INTERNET, "allows_ingress_from",
                                     path=f"settings.{i}.ip_configuration.{j}.authorized_networks.{k}",
                                     cidrs=[net.get("value")])
