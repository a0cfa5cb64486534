"""Azure relations: network security rules open to the internet, public addresses, storage, SQL firewalls, Key Vault, role assignments.

Edges follow the same vocabulary as AWS (docs/graph.md): a network security
group ``allows_ingress_from`` the internet when an inbound Allow rule admits
``*`` / ``Internet`` / a public range; subnets, NICs and VMs are
``attached_to`` what filters their traffic; public IPs and open firewalls make
``exposes`` / ``allows_ingress_from`` edges; role assignments ``grants``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ...model import INTERNET, Resource, is_unknown
from ..cidr import scope
from .. import LinkContext
from . import azure_reach
from .aws import items, targets
from .aws_network import value_at

NSG = ("azurerm_network_security_group",)
SQL_SERVERS = ("azurerm_mssql_server", "azurerm_sql_server", "azurerm_postgresql_server",
               "azurerm_mysql_server", "azurerm_postgresql_flexible_server",
               "azurerm_mysql_flexible_server", "azurerm_mariadb_server")
FIREWALL_RULES = ("azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule",
                  "azurerm_postgresql_firewall_rule", "azurerm_mysql_firewall_rule",
                  "azurerm_postgresql_flexible_server_firewall_rule",
                  "azurerm_mysql_flexible_server_firewall_rule", "azurerm_mariadb_firewall_rule")
STORAGE = ("azurerm_storage_account",)
VAULT = ("azurerm_key_vault",)
# what the `id` of a scope another block names is, by that block's type: (type, data source only?) -> level
SCOPE_LEVELS = {("azurerm_subscription", True): "subscription",
                ("azurerm_management_group", True): "management group",
                ("azurerm_management_group", False): "management group"}


def link(ctx: LinkContext) -> None:
    _network(ctx)
    _storage(ctx)
    _sql(ctx)
    _vault(ctx)
    _roles(ctx)


def _network(ctx: LinkContext) -> None:
    """Rules, subnets, NICs and VMs ``attached_to`` what filters them; public IPs ``exposes``; then the NSG verdicts."""
    for rule in ctx.of_type("azurerm_network_security_rule"):
        for path, nsg in targets(ctx, rule, ("network_security_group_name", "network_security_group_id"), NSG):
            ctx.add_edge(rule.address, nsg, "attached_to", path=path, reach=False)
    for assoc in ctx.of_type("azurerm_subnet_network_security_group_association",
                             "azurerm_network_interface_security_group_association"):
        groups = targets(ctx, assoc, ("network_security_group_id",), NSG)
        for path, member in targets(ctx, assoc, ("subnet_id", "network_interface_id")):
            for _, nsg in groups:
                ctx.add_edge(member, nsg, "attached_to", path=path, via=assoc.address)
    for vm in ctx.of_type("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine",
                          "azurerm_virtual_machine"):
        for path, nic in targets(ctx, vm, ("network_interface_ids",), ("azurerm_network_interface",)):
            ctx.add_edge(vm.address, nic, "attached_to", path=path)
    for r in ctx.of_type("azurerm_network_interface", "azurerm_lb", "azurerm_application_gateway"):
        for path, _ in targets(ctx, r, ("public_ip_address_id",), ("azurerm_public_ip",)):
            ctx.add_edge(INTERNET, r.address, "exposes", path=path)
    _delegated_only(ctx)
    azure_reach.link(ctx)


def _delegated_only(ctx: LinkContext) -> None:
    """``$delegated_to`` on a network security group (and its separate rules) that filters only delegated subnets.

    The list holds, for each subnet the group is associated with, the services the subnet is
    delegated to (``delegation.service_delegation.name``). Derived only when the configuration
    says everything that uses the group: something besides its rules and subnet associations
    refers to it (a NIC association, a subnet's own ``network_security_group_id``, a module's
    output), or a subnet with no delegation, or one whose delegation is unknown, and nothing
    is derived. Policies decide which services hold nothing that listens for administration.
    """
    for nsg in ctx.of_type(*NSG):
        rules: list[str] = []
        services: list[list[str]] = []
        for user in ctx.graph.predecessors(nsg.address):
            r = ctx.nodes[user].get("resource")
            if r is None or not ctx.graph.has_edge(user, nsg.address, "references"):
                continue
            if r.type == "azurerm_network_security_rule":
                rules.append(user)
                continue
            if r.type != SUBNET_ASSOCIATION:
                break
            subnets = [ctx.nodes[s]["resource"] for _, s in targets(ctx, r, ("subnet_id",), ("azurerm_subnet",))]
            names = _delegations(subnets[0]) if len(subnets) == 1 else []
            if not names:
                break
            services.append(names)
        else:
            if services:
                for address in (nsg.address, *rules):
                    ctx.derive(address, {"$delegated_to": services})


SUBNET_ASSOCIATION = "azurerm_subnet_network_security_group_association"


def _delegations(subnet: Resource) -> list[str]:
    """The services ``subnet`` is delegated to; [] when none, or when any is unknown."""
    names: list[str] = []
    for block in items(subnet.attributes.get("delegation")):
        for service in items(block.get("service_delegation") if isinstance(block, dict) else None):
            name = service.get("name") if isinstance(service, dict) else None
            if not isinstance(name, str) or is_unknown(name):
                return []
            names.append(name)
    return names


def _storage(ctx: LinkContext) -> None:
    for account in ctx.of_type(*STORAGE):
        a = account.attributes
        for attr in ("allow_nested_items_to_be_public", "allow_blob_public_access"):
            if a.get(attr) is True:
                ctx.add_edge(INTERNET, account.address, "exposes", path=attr)
    for sat in ctx.of_type("azurerm_storage_account_network_rules", "azurerm_storage_container",
                           "azurerm_private_endpoint", "azurerm_storage_share"):
        for path, account_address in targets(ctx, sat, ("storage_account_id", "storage_account_name",
                                                        "private_connection_resource_id"), STORAGE):
            ctx.add_edge(sat.address, account_address, "attached_to", path=path, reach=False)
            if sat.attributes.get("container_access_type") in ("blob", "container"):
                ctx.add_edge(INTERNET, sat.address, "exposes", path="container_access_type")


def _public_range(start: Any, end: Any) -> bool:
    """A firewall range that admits public addresses (0.0.0.0-0.0.0.0 means Azure services only)."""
    try:
        first, last = ipaddress.ip_address(str(start)), ipaddress.ip_address(str(end))
        if int(first) == 0 and int(last) == 0 or first == last:   # Azure services only; one address
            return False
        return any(scope(str(n)) in ("internet", "network", "address") for n in ipaddress.summarize_address_range(first, last))
    except (ValueError, TypeError):
        return False


def _sql(ctx: LinkContext) -> None:
    for rule in ctx.of_type(*FIREWALL_RULES):
        a = rule.attributes
        for path, server in targets(ctx, rule, ("server_id", "server_name"), SQL_SERVERS):
            ctx.add_edge(rule.address, server, "attached_to", path=path, reach=False)
            public_access = ctx.nodes[server]["resource"].attributes.get("public_network_access_enabled", True)
            if public_access is not False and _public_range(a.get("start_ip_address"), a.get("end_ip_address")):
                ctx.add_edge(server, INTERNET, "allows_ingress_from", via=rule.address,
                             start=a.get("start_ip_address"), end=a.get("end_ip_address"))
    for sat in ctx.of_type("azurerm_mssql_database", "azurerm_mssql_server_extended_auditing_policy",
                           "azurerm_mssql_server_security_alert_policy",
                           "azurerm_mssql_server_transparent_data_encryption"):
        for path, server in targets(ctx, sat, ("server_id",), SQL_SERVERS):
            ctx.add_edge(sat.address, server, "attached_to", path=path, reach=False)


def _vault(ctx: LinkContext) -> None:
    for vault in ctx.of_type(*VAULT):
        if _vault_public(vault):
            ctx.add_edge(INTERNET, vault.address, "exposes", path="network_acls")
    for sat in ctx.of_type("azurerm_key_vault_secret", "azurerm_key_vault_key",
                           "azurerm_key_vault_access_policy", "azurerm_key_vault_certificate"):
        for path, vault_address in targets(ctx, sat, ("key_vault_id",), VAULT):
            ctx.add_edge(sat.address, vault_address, "attached_to", path=path, reach=False)


def _vault_public(vault: Resource) -> bool:
    """Public network access left on and no ACL denying by default."""
    a = vault.attributes
    if a.get("public_network_access_enabled", True) is not True:
        return False
    acls = a.get("network_acls")
    if acls is None:
        return True
    first = acls[0] if isinstance(acls, list) and acls else None
    return isinstance(first, dict) and first.get("default_action") == "Allow"


def _roles(ctx: LinkContext) -> None:
    """``azurerm_role_assignment`` ``grants`` its principal; it is ``attached_to`` its scope.

    A role definition whose ``scope`` or ``assignable_scopes`` entry is a subscription or a
    management group named by reference (``data.azurerm_subscription.current.id``, whose value is
    known only at plan) gets ``$scope_levels``: the id of those blocks is always such a scope.
    """
    for definition in ctx.of_type("azurerm_role_definition"):
        levels: dict[str, str] = {}
        for path, scoped in targets(ctx, definition, ("scope", "assignable_scopes")):
            res = ctx.nodes[scoped]["resource"]
            level = SCOPE_LEVELS.get((res.type, res.source == "terraform.data"))
            value = value_at(definition.attributes, path)
            # the reference alone (not "${data...id}/resourceGroups/x", a partly known text)
            if level and is_unknown(value) and getattr(value, "parts", None) is None:
                levels.setdefault(path, level)
        if levels:
            paths = sorted(levels)
            ctx.derive(definition.address, {"$scope_levels": [levels[p] for p in paths]},
                       {f"$scope_levels.{i}": ctx.line_of(definition, p) for i, p in enumerate(paths)}
                       | {"$scope_levels": ctx.line_of(definition, paths[0])})
    for assignment in ctx.of_type("azurerm_role_assignment"):
        a = assignment.attributes
        role = a.get("role_definition_name")
        for path, principal in targets(ctx, assignment, ("principal_id",)):
            ctx.add_edge(assignment.address, principal, "grants", path=path, role=role)
        for path, scoped in targets(ctx, assignment, ("scope",)):
            ctx.add_edge(assignment.address, scoped, "attached_to", path=path, role=role, reach=False)
        for path, defined_by in targets(ctx, assignment, ("role_definition_id",),
                                        ("azurerm_role_definition",)):
            ctx.add_edge(defined_by, assignment.address, "grants", path=path)

