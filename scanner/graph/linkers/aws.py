"""AWS relations: security groups and what uses them, exposure, load balancer chains, WAF, IAM, S3 and routing.

Every edge is documented in docs/graph.md. Resources are joined through the
references their expressions make (``security_group_id =
aws_security_group.web.id``) and, where a value is written literally, through
known names (``bucket = "logs"`` joins the bucket whose ``bucket`` is "logs";
``role = "ci"`` the role named "ci"). Each linker pass is linear in the
number of resources and references.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ...model import INTERNET, Resource, is_unknown
from ..cidr import admits_internet
from .. import LinkContext
from . import aws_reach

# Attribute names through which a resource is placed behind security groups.
SG_ATTRIBUTES = frozenset({"vpc_security_group_ids", "security_groups", "security_group_ids",
                           "security_group_id"})
SG_TYPES = frozenset({"aws_security_group", "aws_default_security_group"})
SG_RULES = ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule")
LB_TYPES = ("aws_lb", "aws_alb", "aws_elb")
S3_SATELLITES = {
    "aws_s3_bucket_public_access_block": True, "aws_s3_bucket_server_side_encryption_configuration": True,
    "aws_s3_bucket_policy": False, "aws_s3_bucket_acl": False, "aws_s3_bucket_logging": False,
    "aws_s3_bucket_versioning": False, "aws_s3_bucket_ownership_controls": False,
    "aws_s3_bucket_lifecycle_configuration": False, "aws_s3_bucket_website_configuration": False,
    "aws_s3_bucket_cors_configuration": False, "aws_s3_bucket_notification": False,
    "aws_s3_bucket_replication_configuration": False, "aws_s3_bucket_object_lock_configuration": False,
}  # type -> whether the bucket is also `protected_by` it
PUBLIC_ACLS = frozenset({"public-read", "public-read-write"})
# attachment type -> (attribute naming the principal(s), principal type)
POLICY_ATTACHMENTS = {
    "aws_iam_role_policy_attachment": (("role",), "aws_iam_role"),
    "aws_iam_user_policy_attachment": (("user",), "aws_iam_user"),
    "aws_iam_group_policy_attachment": (("group",), "aws_iam_group"),
    "aws_iam_policy_attachment": (("roles", "users", "groups"), ""),
}
INLINE_POLICIES = {"aws_iam_role_policy": ("role", "aws_iam_role"),
                   "aws_iam_user_policy": ("user", "aws_iam_user"),
                   "aws_iam_group_policy": ("group", "aws_iam_group")}
# type -> attribute naming the role / profile the resource runs as
RUNS_AS = {
    "aws_instance": "iam_instance_profile", "aws_launch_template": "iam_instance_profile",
    "aws_launch_configuration": "iam_instance_profile", "aws_iam_instance_profile": "role",
    "aws_lambda_function": "role", "aws_ecs_task_definition": "task_role_arn",
    "aws_eks_node_group": "node_role_arn", "aws_eks_cluster": "role_arn",
    "aws_sagemaker_notebook_instance": "role_arn", "aws_codebuild_project": "service_role",
}
NAME_KEYS = {"aws_s3_bucket": "bucket", "aws_iam_role": "name", "aws_iam_user": "name",
             "aws_iam_group": "name", "aws_iam_instance_profile": "name", "aws_iam_policy": "name"}


class _Names:
    """Resources of a type by a literal name attribute, for joins written without a reference."""

    def __init__(self, ctx: LinkContext) -> None:
        self.index: dict[tuple[str, str], list[str]] = {}
        for rtype, key in NAME_KEYS.items():
            for r in ctx.of_type(rtype):
                value = r.attributes.get(key)
                if isinstance(value, str):
                    self.index.setdefault((rtype, value), []).append(r.address)

    def find(self, rtype: str, value: Any) -> list[str]:
        if not isinstance(value, str):
            return []
        if value.startswith("arn:"):
            value = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return self.index.get((rtype, value), [])


def link(ctx: LinkContext) -> None:
    names = _Names(ctx)
    _security_groups(ctx)
    _exposure(ctx)
    _load_balancers(ctx)
    _iam(ctx, names)
    _s3(ctx, names)
    _access_log_targets(ctx, names)
    _redirecting_buckets(ctx)
    _routing(ctx)
    _task_roles(ctx)
    aws_reach.link(ctx)


def targets(ctx: LinkContext, r: Resource, attrs: Iterable[str], types: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(attribute path, node) for each reference made from one of ``attrs`` (any segment of the path)."""
    wanted = frozenset(attrs)
    kinds = frozenset(types)
    found: list[tuple[str, str]] = []
    for path, target in r.references:
        if wanted and not wanted.intersection(path.split(".")):
            continue
        for node in ctx.resolve(target):
            res = ctx.nodes[node].get("resource")
            if res is not None and (not kinds or res.type in kinds):
                found.append((path, node))
    return found


def _task_roles(ctx: LinkContext) -> None:
    """``$execution_role_is_task_role`` on ECS task definitions whose two role ARNs can be compared.

    True when both are the same literal ARN or reference the same single ``aws_iam_role``; false
    when they name different ones; not derived when either is known only at apply time.
    """
    for td in ctx.of_type("aws_ecs_task_definition"):
        execution, task = td.attributes.get("execution_role_arn"), td.attributes.get("task_role_arn")
        if execution is None or task is None:
            continue
        same: Optional[bool] = None
        if isinstance(execution, str) and isinstance(task, str):
            same = execution == task
        else:
            ex = {n for _, n in targets(ctx, td, ("execution_role_arn",), ("aws_iam_role",))}
            tr = {n for _, n in targets(ctx, td, ("task_role_arn",), ("aws_iam_role",))}
            if len(ex) == 1 and len(tr) == 1:
                same = ex == tr
        if same is not None:
            line = td.lines.get("task_role_arn", td.location.start_line)
            ctx.derive(td.address, {"$execution_role_is_task_role": same}, {"$execution_role_is_task_role": line})


def _security_groups(ctx: LinkContext) -> None:
    """Rules and resources ``attached_to`` their groups; what a group admits is drawn by ``aws_reach``."""
    for rule in ctx.of_type(*SG_RULES, "aws_vpc_security_group_egress_rule"):
        for path, sg in targets(ctx, rule, ("security_group_id",), SG_TYPES):
            ctx.add_edge(rule.address, sg, "attached_to", path=path, reach=False)
    for r in ctx.resources:
        if r.type in SG_TYPES or r.type in SG_RULES or r.type == "aws_vpc_security_group_egress_rule":
            continue
        for path, sg in targets(ctx, r, SG_ATTRIBUTES, SG_TYPES):
            ctx.add_edge(r.address, sg, "attached_to", path=path)


def items(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one (a block written once, unknown, or malformed)."""
    return value if isinstance(value, list) else []


def _exposure(ctx: LinkContext) -> None:
    """``internet -exposes->`` resources given a public address or endpoint by their own configuration."""
    for r in ctx.of_type(*LB_TYPES):
        internal = r.attributes.get("internal", False)
        if internal is False:
            ctx.add_edge(INTERNET, r.address, "exposes", path="internal")
    for r in ctx.of_type("aws_db_instance", "aws_rds_cluster_instance", "aws_redshift_cluster",
                         "aws_dms_replication_instance"):
        if r.attributes.get("publicly_accessible") is True:
            ctx.add_edge(INTERNET, r.address, "exposes", path="publicly_accessible")
    for r in ctx.of_type("aws_instance", "aws_launch_template"):
        if r.attributes.get("associate_public_ip_address") is True:
            ctx.add_edge(INTERNET, r.address, "exposes", path="associate_public_ip_address")
    for eip in ctx.of_type("aws_eip", "aws_eip_association"):
        for path, node in targets(ctx, eip, ("instance", "instance_id"), ("aws_instance",)):
            ctx.add_edge(INTERNET, node, "exposes", path=path, via=eip.address)
    for r in ctx.of_type("aws_eks_cluster"):
        for i, cfg in enumerate(items(r.attributes.get("vpc_config"))):
            if isinstance(cfg, dict) and cfg.get("endpoint_public_access", True) is True and (
                    "public_access_cidrs" not in cfg
                    or any(admits_internet(c) for c in items(cfg.get("public_access_cidrs")))):
                ctx.add_edge(INTERNET, r.address, "exposes", path=f"vpc_config.{i}.endpoint_public_access")
    for url in ctx.of_type("aws_lambda_function_url"):
        if url.attributes.get("authorization_type") == "NONE":
            for path, node in targets(ctx, url, ("function_name",), ("aws_lambda_function",)):
                ctx.add_edge(INTERNET, node, "exposes", path=path, via=url.address)


def _load_balancers(ctx: LinkContext) -> None:
    """LB -> listener -> target group -> target (``routes_to``); WAF association -> protected resource."""
    for listener in ctx.of_type("aws_lb_listener", "aws_alb_listener"):
        for path, lb in targets(ctx, listener, ("load_balancer_arn",), LB_TYPES):
            ctx.add_edge(lb, listener.address, "routes_to", path=path)
        for path, tg in targets(ctx, listener, ("target_group_arn", "arn"), _TG):
            ctx.add_edge(listener.address, tg, "routes_to", path=path)
    for rule in ctx.of_type("aws_lb_listener_rule", "aws_alb_listener_rule"):
        listeners = targets(ctx, rule, ("listener_arn",), ("aws_lb_listener", "aws_alb_listener"))
        for path, listener_address in listeners:
            ctx.add_edge(rule.address, listener_address, "attached_to", path=path, reach=False)
            for tpath, tg in targets(ctx, rule, ("target_group_arn", "arn"), _TG):
                ctx.add_edge(listener_address, tg, "routes_to", path=tpath, via=rule.address)
    for att in ctx.of_type("aws_lb_target_group_attachment", "aws_alb_target_group_attachment",
                           "aws_autoscaling_attachment"):
        groups = targets(ctx, att, ("target_group_arn", "lb_target_group_arn"), _TG)
        members = [n for _, n in targets(ctx, att, ("target_id", "autoscaling_group_name"))
                   if n not in {g for _, g in groups}]
        for path, tg in groups:
            ctx.add_edge(att.address, tg, "attached_to", path=path, reach=False)
            for member in members:
                ctx.add_edge(tg, member, "routes_to", via=att.address)
    for elb in ctx.of_type("aws_elb"):
        for path, inst in targets(ctx, elb, ("instances",), ("aws_instance",)):
            ctx.add_edge(elb.address, inst, "routes_to", path=path)
    for att in ctx.of_type("aws_elb_attachment"):
        elbs = targets(ctx, att, ("elb",), ("aws_elb",))
        for path, inst in targets(ctx, att, ("instance",), ("aws_instance",)):
            for _, elb_node in elbs:
                ctx.add_edge(elb_node, inst, "routes_to", path=path, via=att.address)
    for r in ctx.of_type("aws_autoscaling_group", "aws_ecs_service"):
        for path, tg in targets(ctx, r, ("target_group_arns", "target_group_arn"), _TG):
            ctx.add_edge(tg, r.address, "routes_to", path=path)
    for assoc in ctx.of_type("aws_wafv2_web_acl_association", "aws_wafregional_web_acl_association"):
        acls = targets(ctx, assoc, ("web_acl_arn", "web_acl_id"))
        for path, protected in targets(ctx, assoc, ("resource_arn",)):
            ctx.add_edge(assoc.address, protected, "attached_to", path=path, reach=False)
            for _, acl in acls:
                ctx.add_edge(protected, acl, "protected_by", via=assoc.address)
    for cdn in ctx.of_type("aws_cloudfront_distribution"):
        for path, acl in targets(ctx, cdn, ("web_acl_id",)):
            ctx.add_edge(cdn.address, acl, "protected_by", path=path)


_TG = ("aws_lb_target_group", "aws_alb_target_group")


def _iam(ctx: LinkContext, names: _Names) -> None:
    """Policies ``grants`` principals; attachments are ``attached_to`` them; workloads ``runs_as`` roles."""
    for atype, (attrs, ptype) in POLICY_ATTACHMENTS.items():
        for att in ctx.of_type(atype):
            principals = _principals(ctx, att, attrs, ptype, names)
            policies = [n for _, n in targets(ctx, att, ("policy_arn",), ("aws_iam_policy",))]
            for path, principal in principals:
                ctx.add_edge(att.address, principal, "attached_to", path=path, reach=False)
                for policy in policies:
                    ctx.add_edge(policy, principal, "grants", via=att.address)
    for ptype_name, (attr, ptype) in INLINE_POLICIES.items():
        for pol in ctx.of_type(ptype_name):
            for path, principal in _principals(ctx, pol, (attr,), ptype, names):
                ctx.add_edge(pol.address, principal, "grants", path=path)
    for membership in ctx.of_type("aws_iam_user_group_membership", "aws_iam_group_membership"):
        users = _principals(ctx, membership, ("user", "users"), "aws_iam_user", names)
        for _, group in _principals(ctx, membership, ("group", "groups"), "aws_iam_group", names):
            for path, user in users:
                ctx.add_edge(user, group, "bound_to", path=path, via=membership.address)
    for rtype, attr in RUNS_AS.items():
        kinds = ("aws_iam_role",) if attr != "iam_instance_profile" else ("aws_iam_instance_profile",)
        for r in ctx.of_type(rtype):
            found = targets(ctx, r, (attr,), kinds)
            if not found:
                value = r.attributes.get(attr)
                value = value[0].get("name") if isinstance(value, list) and value and isinstance(value[0], dict) else value
                found = [(attr, n) for n in names.find(kinds[0], value)]
            for path, role in found:
                ctx.add_edge(r.address, role, "runs_as", path=path)


def _principals(ctx: LinkContext, r: Resource, attrs: tuple[str, ...], ptype: str,
                names: _Names) -> list[tuple[str, str]]:
    """The principals an IAM attachment names, by reference or by literal name."""
    kinds = (ptype,) if ptype else ("aws_iam_role", "aws_iam_user", "aws_iam_group")
    found = targets(ctx, r, attrs, kinds)
    if found:
        return found
    for attr in attrs:
        values = r.attributes.get(attr)
        for i, value in enumerate(values if isinstance(values, list) else [values]):
            path = f"{attr}.{i}" if isinstance(values, list) else attr
            for kind in kinds if attr[-1] != "s" else (f"aws_iam_{attr[:-1]}",):
                found.extend((path, n) for n in names.find(kind, value))
    return found


def _s3(ctx: LinkContext, names: _Names) -> None:
    """Bucket satellites (public access block, policy, ACL, encryption, logging...) ``attached_to`` their bucket.

    A public ACL makes ``internet -exposes-> bucket`` unless a public access
    block on that bucket ignores public ACLs.
    """
    public: dict[str, str] = {}      # bucket -> what made it public
    acls_ignored: set[str] = set()
    for stype, protects in S3_SATELLITES.items():
        for sat in ctx.of_type(stype):
            buckets = targets(ctx, sat, ("bucket",), ("aws_s3_bucket",))
            if not buckets:
                buckets = [("bucket", n) for n in names.find("aws_s3_bucket", sat.attributes.get("bucket"))]
            for path, bucket in buckets:
                ctx.add_edge(sat.address, bucket, "attached_to", path=path, reach=False)
                if protects:
                    ctx.add_edge(bucket, sat.address, "protected_by", via=sat.address)
                if _public_acl(sat):
                    public.setdefault(bucket, sat.address)
                if stype == "aws_s3_bucket_public_access_block" and sat.attributes.get("ignore_public_acls") is True:
                    acls_ignored.add(bucket)
    for r in ctx.of_type("aws_s3_bucket"):
        if _public_acl(r):
            public.setdefault(r.address, "")
    for bucket, via in public.items():
        if bucket not in acls_ignored:
            ctx.add_edge(INTERNET, bucket, "exposes", path="acl", via=via)


def _access_log_targets(ctx: LinkContext, names: _Names) -> None:
    """``$access_log_target`` on buckets that receive S3 server access logs: another bucket's
    ``logging.target_bucket`` or an ``aws_s3_bucket_logging``'s names them. S3 delivers those logs
    only to buckets encrypted with S3-managed keys. A ``log-delivery-write`` ACL alone is not enough:
    it lets the log delivery group write, and a WAF log bucket carries it too (xhibit-portal)."""
    found: set[str] = set()
    for r in ctx.of_type("aws_s3_bucket", "aws_s3_bucket_logging"):
        named = [bucket for _path, bucket in targets(ctx, r, ("target_bucket",), ("aws_s3_bucket",))]
        if not named and r.type == "aws_s3_bucket_logging":   # the target bucket's name, written out
            named = names.find("aws_s3_bucket", r.attributes.get("target_bucket"))
        found.update(named)
    for bucket in sorted(found):
        ctx.derive(bucket, {"$access_log_target": True})


def _redirecting_buckets(ctx: LinkContext) -> None:
    """``$redirects_all_requests`` on buckets whose website redirects every request to another host
    (an ``aws_s3_bucket_website_configuration``'s ``redirect_all_requests_to``, or the bucket's own
    legacy ``website`` block): such a bucket serves no object, so what protects objects does not apply.
    A redirect written in a block whose presence is unknown derives nothing. The configuration's
    bucket is the one ``_s3`` attached it to."""
    found: set[str] = set()
    for r in ctx.of_type("aws_s3_bucket_website_configuration"):
        redirect = r.attributes.get("redirect_all_requests_to")
        blocks = items(redirect) or ([redirect] if isinstance(redirect, dict) else [])
        if is_unknown(redirect) or not blocks or any(is_unknown(b) for b in blocks):
            continue  # no redirect, or a dynamic block whose instances are known only at apply time
        found.update(bucket for _, bucket, kind in ctx.graph.out_edges(r.address, keys=True)
                     if kind == "attached_to")
    for r in ctx.of_type("aws_s3_bucket"):
        for website in items(r.attributes.get("website")) or [r.attributes.get("website")]:
            if isinstance(website, dict) and isinstance(website.get("redirect_all_requests_to"), str):
                found.add(r.address)
    for bucket in sorted(found):
        ctx.derive(bucket, {"$redirects_all_requests": True})


def _public_acl(r: Resource) -> bool:
    acl = r.attributes.get("acl")
    return isinstance(acl, str) and acl in PUBLIC_ACLS


def _routing(ctx: LinkContext) -> None:
    """Subnet -> route table -> internet gateway (``routes_to``): a public subnet routes to an IGW."""
    for assoc in ctx.of_type("aws_route_table_association"):
        tables = targets(ctx, assoc, ("route_table_id",), ("aws_route_table",))
        for path, subnet in targets(ctx, assoc, ("subnet_id",), ("aws_subnet",)):
            ctx.add_edge(assoc.address, subnet, "attached_to", path=path, reach=False)
            for _, table in tables:
                ctx.add_edge(subnet, table, "routes_to", via=assoc.address)
    for r in ctx.of_type("aws_route_table", "aws_default_route_table"):
        for path, gw in targets(ctx, r, ("gateway_id",), _GATEWAYS):
            if path.startswith("route."):
                ctx.add_edge(r.address, gw, "routes_to", path=path)
    for route in ctx.of_type("aws_route"):
        gateways = targets(ctx, route, ("gateway_id", "nat_gateway_id"), _GATEWAYS)
        for path, table in targets(ctx, route, ("route_table_id",), ("aws_route_table", "aws_default_route_table")):
            ctx.add_edge(route.address, table, "attached_to", path=path, reach=False)
            for gpath, gw in gateways:
                ctx.add_edge(table, gw, "routes_to", path=gpath, via=route.address,
                             destination=_destination(route))


_GATEWAYS = ("aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway")


def _destination(route: Resource) -> Optional[str]:
    value = route.attributes.get("destination_cidr_block")
    return None if is_unknown(value) else value
