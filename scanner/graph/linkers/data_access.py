"""Data access: cloud identities ``accesses`` the data stores their permissions open to them.

- AWS: an ``aws_iam_role``'s policies (inline ``inline_policy``,
  ``aws_iam_role_policy``, ``aws_iam_policy`` attached to it, AWS managed
  policies by ARN) allow reading or changing an S3 bucket's objects, a
  DynamoDB table's items, a secret's value, an RDS database (``rds-db:connect``
  when IAM authentication is on, or ``rds:Modify*``, which resets the master
  password). Actions and resources follow IAM wildcards; an explicit Deny
  removes the edge. A resource written as an expression known only at apply
  counts as the store when the statement references that store, as another
  store when it references another one, and is unknown (``reach: null``)
  when it references none. Conditions on an Allow are not evaluated (they
  restrict callers, rarely a workload inside the account). Region and
  account of an ARN are not compared: one account is assumed.
- Google Cloud: a ``google_service_account`` granted a storage object role on
  a bucket (bucket IAM) or on the project.
- Azure: an ``azurerm_user_assigned_identity`` given a data role (Storage
  Blob Data *, Owner, Contributor) on a storage account.

Edges carry ``access`` (read / write / admin, as far as known) and ``via``
(the policy or grant that opens the store).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

from ...model import Resource, is_unknown
from .. import LinkContext
from .aws import targets
from ...linear import glob_match

Tri = Optional[bool]
# type -> (name attribute, ARN service, resource-part templates, {access: actions})
AWS_STORES: dict[str, tuple[str, str, tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "aws_s3_bucket": ("bucket", "s3", ("{name}/rg-any-object",), {
        "read": ("s3:GetObject",), "write": ("s3:PutObject", "s3:DeleteObject")}),
    "aws_dynamodb_table": ("name", "dynamodb", ("table/{name}",), {
        "read": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"),
        "write": ("dynamodb:PutItem", "dynamodb:DeleteItem")}),
    "aws_secretsmanager_secret": ("name", "secretsmanager", ("secret:{name}-AbCdEf",), {
        "read": ("secretsmanager:GetSecretValue",)}),
    "aws_db_instance": ("identifier", "rds", ("db:{name}",), {"admin": ("rds:ModifyDBInstance",)}),
    "aws_rds_cluster": ("cluster_identifier", "rds", ("cluster:{name}",), {"admin": ("rds:ModifyDBCluster",)}),
}
IAM_AUTH = ("rds-db", "dbuser:{name}", ("rds-db:connect",))
S3_BUCKET_ADMIN = ("s3:PutBucketPolicy",)
# every action set _opens may test for each kind of store (its accesses, bucket admin, IAM database auth)
_STORE_ACTIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    t: (*spec[3].values(), *((S3_BUCKET_ADMIN,) if t == "aws_s3_bucket" else ()),
        *((IAM_AUTH[2],) if t in ("aws_db_instance", "aws_rds_cluster") else ()))
    for t, spec in AWS_STORES.items()}
# AWS managed policies that open data stores: their statements, as AWS publishes them (the data part)
MANAGED = {
    "AdministratorAccess": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}],
    "PowerUserAccess": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                         "Resource": ["*"]}],
    "AmazonS3FullAccess": [{"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": ["*"]}],
    "AmazonS3ReadOnlyAccess": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:Describe*",
                                                              "s3-object-lambda:Get*", "s3-object-lambda:List*"],
                                "Resource": ["*"]}],
    "AmazonDynamoDBFullAccess": [{"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": ["*"]}],
    "AmazonDynamoDBReadOnlyAccess": [{"Effect": "Allow", "Action": [
        "dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:List*", "dynamodb:GetItem",
        "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect"], "Resource": ["*"]}],
    "AmazonRDSFullAccess": [{"Effect": "Allow", "Action": ["rds:*"], "Resource": ["*"]}],
    "SecretsManagerReadWrite": [{"Effect": "Allow", "Action": ["secretsmanager:*"], "Resource": ["*"]}],
}
GCS_ROLES = {"roles/storage.objectViewer": "read", "roles/storage.legacyObjectReader": "read",
             "roles/storage.objectUser": "write", "roles/storage.objectAdmin": "write",
             "roles/storage.admin": "admin", "roles/owner": "admin", "roles/editor": "write"}
BUCKET_IAM = ("google_storage_bucket_iam_member", "google_storage_bucket_iam_binding")
PROJECT_IAM = ("google_project_iam_member", "google_project_iam_binding")
AZURE_ROLES = {"Storage Blob Data Reader": "read", "Storage Blob Data Contributor": "write",
               "Storage Blob Data Owner": "admin", "Owner": "admin", "Contributor": "admin",
               "Storage Account Contributor": "admin"}


def link(ctx: LinkContext) -> None:
    _aws(ctx)
    _gcp(ctx)
    _azure(ctx)


# -- AWS ---------------------------------------------------------------------------------------

def _aws(ctx: LinkContext) -> None:
    stores = [s for t in AWS_STORES for s in ctx.by_type.get(t, ())]
    if not stores:
        return
    actions: dict[tuple[int, tuple[str, ...]], Tri] = {}   # (statement, actions) -> hit: stores share it
    by_type = [(t, group) for t in AWS_STORES if (group := ctx.by_type.get(t))]
    for role in ctx.of_type("aws_iam_role"):
        for owner, statements in _documents(ctx, role):
            for store_type, group in by_type:
                # no statement names an action of this kind of store: none of its stores is opened
                if not _may_act(statements, _STORE_ACTIONS[store_type], actions):
                    continue
                named = _named_stores(statements, store_type, group, actions)
                alike = _every_store_alike(statements, store_type, actions)
                decided: dict[bool, tuple[list[str], Tri]] = {}
                for store in group if named is None else [st for st in group if st.address in named]:
                    if alike:  # `Resource: "*"` throughout: one answer for every store of the kind
                        iam_auth = store.attributes.get("iam_database_authentication_enabled") is True
                        if iam_auth not in decided:
                            decided[iam_auth] = _opens(statements, store, actions)
                        access, verdict = decided[iam_auth]
                    else:
                        access, verdict = _opens(statements, store, actions)
                    if verdict is not False:
                        _add(ctx, role.address, store.address, list(access), owner, verdict)


def _named_stores(statements: "Statements", store_type: str, group: list[Resource],
                  memo: dict[tuple[int, tuple[str, ...]], Tri]) -> Optional[set[str]]:
    """The only stores of ``group`` the Allow statements can open, when each names its stores by
    reference in an ARN whose resource part is known only at apply (``"${aws_s3_bucket.x.arn}/*"``);
    None when some statement may open any of them (then each store is decided on its own).

    A store outside the set gets no Allow (_resource_hit: such a pattern names another store of
    its kind), so it is not opened: skipping it changes no edge.
    """
    addresses = {st.address for st in group}
    named: set[str] = set()
    service = AWS_STORES[store_type][1]
    for s, refs in statements:
        if s.get("Effect") == "Deny" or not _acts_on(s, _STORE_ACTIONS[store_type], memo):
            continue
        patterns = s.get("Resource")
        if "NotResource" in s or not isinstance(patterns, list):
            return None
        mine = refs & addresses
        for p in patterns:
            if isinstance(p, str) or not mine:
                return None  # a written ARN (or `*`) is matched store by store; no store named
            parts = getattr(p, "parts", None)
            if isinstance(parts, list):
                fields = "".join(x if isinstance(x, str) else HOLE for x in parts).split(":", 5)
                if len(fields) >= 6 and HOLE not in fields[0] + fields[2]:
                    if not glob_match(fields[2], service, ignore_case=True):
                        continue  # another service: no store of this kind
                    if HOLE not in fields[5]:
                        return None  # a known resource part: matched store by store
        named |= mine  # an unknown resource part: it opens the stores it references, no other
    return named


def _every_store_alike(statements: "Statements", store_type: str,
                       memo: dict[tuple[int, tuple[str, ...]], Tri]) -> bool:
    """Whether every statement that may act on this kind of store names its resources as ``"*"`` only:
    then what they open does not depend on which store it is (its name, its references), only on
    whether IAM database authentication is on (_opens)."""
    for s, _ in statements:
        if not _acts_on(s, _STORE_ACTIONS[store_type], memo):
            continue
        patterns = s.get("Resource")
        if "NotResource" in s or not isinstance(patterns, list) or any(p != "*" for p in patterns):
            return False
    return True


def _may_act(statements: "Statements", wanted: tuple[tuple[str, ...], ...],
             memo: dict[tuple[int, tuple[str, ...]], Tri]) -> bool:
    """Whether some statement's actions may match one of ``wanted`` (known or unknown): else nothing is allowed."""
    return any(_acts_on(s, wanted, memo) for s, _ in statements)


def _acts_on(s: dict[str, Any], wanted: tuple[tuple[str, ...], ...],
             memo: dict[tuple[int, tuple[str, ...]], Tri]) -> bool:
    """Whether the statement's actions may match one of ``wanted`` (known or unknown)."""
    return any(_action_verdict(s, acts, memo) is not False for acts in wanted)


def _action_verdict(s: dict[str, Any], actions: tuple[str, ...],
                    memo: dict[tuple[int, tuple[str, ...]], Tri]) -> Tri:
    """:func:`_action_hit`, worked out once per statement and action set (every store and role shares it)."""
    key = (id(s), actions)
    return memo[key] if key in memo else memo.setdefault(key, _action_hit(s, actions))


def _add(ctx: LinkContext, source: str, target: str, access: list[str], via: str, verdict: Tri) -> None:
    """One ``accesses`` edge per pair: a known grant wins over one known only at apply."""
    graph = ctx.graph
    if graph.has_edge(source, target, "accesses"):
        data = graph.edges[source, target, "accesses"]
        if verdict is None or "reach" not in data:
            return
        del data["reach"]
        data.update(access=access, via=via)
        return
    extra: dict[str, Any] = {"reach": None} if verdict is None else {}
    ctx.add_edge(source, target, "accesses", access=access, via=via, **extra)


Statements = list[tuple[dict[str, Any], frozenset[str]]]   # statement, nodes its unknown parts may name


def _documents(ctx: LinkContext, role: Resource) -> Iterator[tuple[str, Statements]]:
    """(owner address, statements with what each references) per policy that applies to the role."""
    own = role.attributes.get("$policy")
    if isinstance(own, dict):
        yield role.address, _with_refs(ctx, role, own)
    for source, _, kind in ctx.graph.in_edges(role.address, keys=True):
        res = ctx.nodes[source].get("resource")
        if res is None:
            continue
        if kind == "grants" and isinstance(res.attributes.get("$policy"), dict):
            yield source, _with_refs(ctx, res, res.attributes["$policy"])
        elif kind == "attached_to" and res.type.endswith("policy_attachment"):
            yield from _managed(source, [res.attributes.get("policy_arn")])
    yield from _managed(role.address, role.attributes.get("managed_policy_arns"))


def _managed(owner: str, arns: Any) -> Iterator[tuple[str, Statements]]:
    for arn in arns if isinstance(arns, list) else ():
        if isinstance(arn, str) and arn.startswith("arn:aws:iam::aws:policy/"):
            doc = MANAGED.get(arn.rsplit("/", 1)[-1])
            if doc:
                yield owner, [(s, frozenset()) for s in doc]


def _with_refs(ctx: LinkContext, owner: Resource, doc: dict[str, Any]) -> Statements:
    """Each statement with the nodes it may name: the owner's references, or a policy document
    data source's references from that statement's block."""
    statements = [s for s in doc.get("Statement") or () if isinstance(s, dict)]
    whole: set[str] = set()
    per: dict[int, set[str]] = {}
    for path, target in owner.references:
        if path.startswith("role") or path.startswith("user") or path.startswith("group"):
            continue
        for node in ctx.resolve(target):
            res = ctx.nodes[node].get("resource")
            if res is not None and res.type == "aws_iam_policy_document":
                for inner_path, inner in res.references:
                    parts = inner_path.split(".")
                    if parts[0] == "statement" and len(parts) > 1 and parts[1].isdigit():
                        per.setdefault(int(parts[1]), set()).update(ctx.resolve(inner))
                    else:
                        whole.update(ctx.resolve(inner))
            else:
                whole.add(node)
    return [(s, frozenset(whole | per.get(i, set()))) for i, s in enumerate(statements)]


def _opens(statements: Statements, store: Resource,
           memo: dict[tuple[int, tuple[str, ...]], Tri]) -> tuple[list[str], Tri]:
    """Which kinds of access the statements allow on ``store``, and whether that is known."""
    name_attr, service, templates, actions = AWS_STORES[store.type]
    name = store.attributes.get(name_attr)
    name = name if isinstance(name, str) else None
    wanted = dict(actions)
    if store.type == "aws_s3_bucket":
        wanted["admin"] = S3_BUCKET_ADMIN
    checks = [(access, acts, service, ("{name}",) if store.type == "aws_s3_bucket" and access == "admin"
               else templates, name) for access, acts in wanted.items()]
    if store.type in ("aws_db_instance", "aws_rds_cluster") and \
            store.attributes.get("iam_database_authentication_enabled") is True:
        # the database's resource id (dbuser:<id>/<user>) is known only at apply
        checks.append(("write", IAM_AUTH[2], IAM_AUTH[0], (IAM_AUTH[1],), None))
    found: dict[str, Tri] = {}
    for access, acts, svc, tmpl, known_name in checks:
        verdict = _allowed(statements, store, acts, svc, tmpl, known_name, memo)
        if verdict is not False:
            found[access] = True if verdict else (found.get(access) or None)
    if not found:
        return [], False
    known = sorted(a for a, v in found.items() if v)
    return (known or sorted(found)), (True if known else None)


def _allowed(statements: Statements, store: Resource, actions: tuple[str, ...], service: str,
             templates: tuple[str, ...], name: Optional[str],
             memo: dict[tuple[int, tuple[str, ...]], Tri]) -> Tri:
    allowed: Tri = False
    denied: Tri = False
    for s, refs in statements:
        act = _action_verdict(s, actions, memo)
        if act is False:
            continue
        res = _resource_hit(s, refs, store, service, templates, name)
        hit = True if act and res else (False if res is False else None)
        if s.get("Effect") == "Deny":
            denied = True if hit else (None if hit is None and denied is False else denied)
        elif hit is not False and allowed is not True:
            allowed = hit
    if denied is True or allowed is False:
        return False
    return None if denied is None or allowed is None else True


def _action_hit(s: dict[str, Any], actions: tuple[str, ...]) -> Tri:
    if "NotAction" in s:
        patterns, negate = s["NotAction"], True
    else:
        patterns, negate = s.get("Action"), False
    if not isinstance(patterns, list):
        return None if is_unknown(patterns) else False
    verdict: Tri = False
    for p in patterns:
        if not isinstance(p, str):
            verdict = None
        elif any(glob_match(p, a, ignore_case=True) for a in actions):
            verdict = True
            break
    if negate:
        return None if verdict is None else not verdict
    return verdict


def _resource_hit(s: dict[str, Any], refs: frozenset[str], store: Resource, service: str,
                  templates: tuple[str, ...], name: Optional[str]) -> Tri:
    if "NotResource" in s:
        return None
    patterns = s.get("Resource")
    if not isinstance(patterns, list):
        return None if is_unknown(patterns) else False
    verdict: Tri = False
    for p in patterns:
        if isinstance(p, str):
            one = _arn_hit(p, service, templates, name)
        elif (partial := _partial_arn(p, service, templates, name)) is not None:
            one = partial if partial is False or store.address not in refs else True
        elif store.address in refs:
            one = True
        elif any(r.split("[", 1)[0].rsplit(".", 1)[0].endswith(store.type) for r in refs):
            one = False   # it names another store of this kind
        else:
            one = None
        if one is True:
            return True
        if one is None:
            verdict = None
    return verdict


def _partial_arn(value: Any, service: str, templates: tuple[str, ...], name: Optional[str]) -> Tri:
    """An ARN with parts known only at apply (``arn:aws:s3:::${var.bucket}/*``): decided by its known
    parts when they suffice (another service; unknown region or account only), else None (not decided here)."""
    parts = getattr(value, "parts", None)
    if not isinstance(parts, list):
        return None
    text = "".join(p if isinstance(p, str) else HOLE for p in parts)
    fields = text.split(":", 5)
    if len(fields) < 6 or HOLE in fields[0] + fields[2]:
        return None
    if not glob_match(fields[2], service, ignore_case=True):
        return False
    if HOLE in fields[5]:
        return None
    return _arn_hit(":".join(fields[:3] + ["*", "*", fields[5]]), service, templates, name)


HOLE = "\u0000"   # where an unknown interpolation sits in an ARN's known text


def _arn_hit(pattern: str, service: str, templates: tuple[str, ...], name: Optional[str]) -> Tri:
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    if len(parts) < 6 or not glob_match(parts[2], service, ignore_case=True):
        return False
    resource = parts[5].split("/", 1)[0] if service == "rds-db" else parts[5]   # any database user
    for template in templates:
        if name is not None:
            if glob_match(resource, template.format(name=name)):
                return True
        elif glob_match(resource, template.format(name="rg-probe-a")) and \
                glob_match(resource, template.format(name="rg-probe-b")):
            return True
        elif glob_match(resource, template.format(name="rg-probe-a")) or "{name}" in template:
            return None
    return False


# -- Google Cloud ------------------------------------------------------------------------------

def _gcp(ctx: LinkContext) -> None:
    buckets = ctx.by_type.get("google_storage_bucket", ())
    if not buckets:
        return
    for iam in ctx.of_type(*BUCKET_IAM, *PROJECT_IAM):
        access = GCS_ROLES.get(iam.attributes.get("role"))  # type: ignore[arg-type]
        if access is None:
            continue
        accounts = [n for p, n in targets(ctx, iam, ("member", "members"), ("google_service_account",))]
        if iam.type in BUCKET_IAM:
            stores = [n for _, n in targets(ctx, iam, ("bucket",), ("google_storage_bucket",))]
        else:   # every bucket of the project (one whose project is written elsewhere is not)
            project = iam.attributes.get("project")
            stores = [b.address for b in buckets if not (
                isinstance(project, str) and isinstance(b.attributes.get("project"), str)
                and b.attributes["project"] != project)]
        for gsa in accounts:
            for store in stores:
                ctx.add_edge(gsa, store, "accesses", access=[access], via=iam.address)


# -- Azure -------------------------------------------------------------------------------------

def _azure(ctx: LinkContext) -> None:
    for ra in ctx.of_type("azurerm_role_assignment"):
        access = AZURE_ROLES.get(ra.attributes.get("role_definition_name"))  # type: ignore[arg-type]
        if access is None:
            continue
        identities = _nodes(targets(ctx, ra, ("principal_id",), ("azurerm_user_assigned_identity",)))
        for store in _nodes(targets(ctx, ra, ("scope",), ("azurerm_storage_account", "azurerm_storage_container"))):
            for identity in identities:
                ctx.add_edge(identity, store, "accesses", access=[access], via=ra.address)


def _nodes(found: Iterable[tuple[str, str]]) -> list[str]:
    return [n for _, n in found]
