"""Workload identity: Kubernetes ServiceAccounts ``assumes`` the cloud identities they can act as.

- AWS IRSA: the ``eks.amazonaws.com/role-arn`` annotation names an
  ``aws_iam_role`` (by reference, or by the role name in the ARN) whose trust
  policy admits ``system:serviceaccount:<ns>:<name>`` (:mod:`.web_identity`).
- EKS Pod Identity: an ``aws_eks_pod_identity_association`` names the
  namespace, the account and the role.
- GKE Workload Identity: the ``iam.gke.io/gcp-service-account`` annotation
  names a ``google_service_account`` that grants
  ``roles/iam.workloadIdentityUser`` to ``<project>.svc.id.goog[<ns>/<name>]``.
- Azure Workload Identity: an account annotated
  ``azure.workload.identity/client-id`` and an
  ``azurerm_user_assigned_identity`` with an
  ``azurerm_federated_identity_credential`` for its subject.

A trust that cannot be read (a subject from a variable) gives the edge
``reach: null``: the path is unknown, never guessed. A trust that names other
accounts gives no edge. Roles also get ``$service_account_trust``: what each
web-identity statement for a Kubernetes issuer admits (RG-AWS-102).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

from ...model import Resource, is_unknown
from .. import LinkContext, base_address
from . import web_identity as wi
from .aws import items, targets
from .node_identity import is_data_source

ROLE_ARN = "eks.amazonaws.com/role-arn"
GKE_ACCOUNT = "iam.gke.io/gcp-service-account"
AZURE_CLIENT = "azure.workload.identity/client-id"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
GSA_IAM = ("google_service_account_iam_member", "google_service_account_iam_binding",
           "google_service_account_iam_policy")
Tri = Optional[bool]


def link(ctx: LinkContext) -> None:
    accounts = service_accounts(ctx)
    _trust_summaries(ctx)
    _irsa(ctx, accounts)
    _pod_identity(ctx, accounts)
    _gke(ctx, accounts)
    _azure(ctx, accounts)


def service_accounts(ctx: LinkContext) -> dict[tuple[str, str], list[Resource]]:
    """Every ServiceAccount node (declared, Terraform-managed or implicit) by namespace and name."""
    out: dict[tuple[str, str], list[Resource]] = {}
    for _, data in ctx.graph.nodes(data=True):
        r = data.get("resource")
        if r is None or r.type != "ServiceAccount":
            continue
        meta = r.attributes.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name, ns = meta.get("name"), meta.get("namespace", "default")
        if isinstance(name, str) and isinstance(ns, str):
            out.setdefault((ns, name), []).append(r)
    return out


def _annotation(r: Resource, key: str) -> tuple[Any, str]:
    meta = r.attributes.get("metadata")
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    return (notes.get(key) if isinstance(notes, dict) else None), f"metadata.annotations.{key}"


def _annotated(ctx: LinkContext, accounts: dict[tuple[str, str], list[Resource]],
               key: str) -> Iterator[tuple[str, str, Resource, Any, str]]:
    for (ns, name), group in sorted(accounts.items()):
        for sa in ctx.track(group):
            value, path = _annotation(sa, key)
            if value is not None:
                yield ns, name, sa, value, path


def _referenced(ctx: LinkContext, r: Resource, rtype: str) -> list[str]:
    """Nodes of ``rtype`` an annotation of a Terraform-managed object names by reference."""
    return [n for p, n in targets(ctx, r, ("annotations",), (rtype,)) if "annotations" in p]


def _roles_by_name(ctx: LinkContext) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for role in ctx.by_type.get("aws_iam_role", ()):
        name = role.attributes.get("name")
        if isinstance(name, str):
            out.setdefault(name, []).append(role.address)
    return out


def role_name(arn: Any) -> Optional[str]:
    """``app`` for ``arn:aws:iam::111122223333:role/team/app``; None for anything else."""
    if not isinstance(arn, str) or ":role/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1] or None


def _irsa(ctx: LinkContext, accounts: dict[tuple[str, str], list[Resource]]) -> None:
    names = _roles_by_name(ctx)
    for ns, name, sa, value, path in _annotated(ctx, accounts, ROLE_ARN):
        roles = _referenced(ctx, sa, "aws_iam_role") or names.get(role_name(value) or "", [])
        for role in roles:
            doc = ctx.fact(role, "$assume_role_policy")
            verdict = wi.role_admits(doc, wi.subject(ns, name)) if doc is not None else None
            if verdict is not False:
                _assumes(ctx, sa.address, role, verdict, mechanism="irsa", path=path)


def _assumes(ctx: LinkContext, source: str, target: str, verdict: Tri, **data: Any) -> None:
    if verdict is None:
        data["reach"] = None
    ctx.add_edge(source, target, "assumes", **data)


def _pod_identity(ctx: LinkContext, accounts: dict[tuple[str, str], list[Resource]]) -> None:
    names = _roles_by_name(ctx)
    # which cluster the manifests go to is not written: with several EKS clusters the account may be another's
    several = len({base_address(c.address) for c in ctx.by_type.get("aws_eks_cluster", ())
                   if not is_data_source(c.address)}) > 1
    for assoc in ctx.of_type("aws_eks_pod_identity_association"):
        ns, name = assoc.attributes.get("namespace"), assoc.attributes.get("service_account")
        if not isinstance(ns, str) or not isinstance(name, str):
            continue
        roles = [n for _, n in targets(ctx, assoc, ("role_arn",), ("aws_iam_role",))] or names.get(
            role_name(assoc.attributes.get("role_arn")) or "", [])
        for sa in accounts.get((ns, name), ()):
            for role in roles:
                _assumes(ctx, sa.address, role, None if several else True, mechanism="eks-pod-identity",
                         via=assoc.address)


def _gke(ctx: LinkContext, accounts: dict[tuple[str, str], list[Resource]]) -> None:
    grants = _workload_identity_grants(ctx)
    for ns, name, sa, value, path in _annotated(ctx, accounts, GKE_ACCOUNT):
        for gsa in _referenced(ctx, sa, "google_service_account") or _gsa_by_email(ctx, value):
            verdict: Tri = False
            for role, member in grants.get(gsa, ()):
                one = _member_is(member, ns, name)
                if role != WORKLOAD_IDENTITY_USER and one is True:
                    one = None   # the role is known only at apply
                verdict = True if one is True else (None if one is None else verdict)
                if verdict is True:
                    break
            if verdict is not False:
                _assumes(ctx, sa.address, gsa, verdict, mechanism="gke-workload-identity", path=path)


def _gsa_by_email(ctx: LinkContext, email: Any) -> list[str]:
    if not isinstance(email, str) or "@" not in email:
        return []
    local, domain = email.split("@", 1)
    project = domain.split(".iam.gserviceaccount.com", 1)[0] if domain.endswith(".iam.gserviceaccount.com") else None
    found = []
    for gsa in ctx.by_type.get("google_service_account", ()):
        a = gsa.attributes
        if a.get("account_id") == local and (not isinstance(a.get("project"), str) or a["project"] == project):
            found.append(gsa.address)
    return found


def _workload_identity_grants(ctx: LinkContext) -> dict[str, list[tuple[Any, Any]]]:
    """google_service_account -> (role, member) granted on it, for ``roles/iam.workloadIdentityUser``
    or a role known only at apply."""
    out: dict[str, list[tuple[Any, Any]]] = {}
    for iam in ctx.of_type(*GSA_IAM):
        accounts = [n for _, n in targets(ctx, iam, ("service_account_id",), ("google_service_account",))]
        for role, members in _bindings(ctx, iam):
            if role == WORKLOAD_IDENTITY_USER or is_unknown(role):
                for gsa in accounts:
                    out.setdefault(gsa, []).extend((role, m) for m in members)
    return out


def _bindings(ctx: LinkContext, iam: Resource) -> Iterator[tuple[Any, list[Any]]]:
    a = iam.attributes
    if iam.type == "google_service_account_iam_member":
        yield a.get("role"), [a.get("member")]
    elif iam.type == "google_service_account_iam_binding":
        members = a.get("members")
        yield a.get("role"), members if isinstance(members, list) else [members]
    else:
        for _, doc in targets(ctx, iam, ("policy_data",), ("google_iam_policy",)):
            for b in items(ctx.nodes[doc]["resource"].attributes.get("binding")):
                if isinstance(b, dict):
                    members = b.get("members")
                    yield b.get("role"), members if isinstance(members, list) else [members]



def _member_is(member: Any, ns: str, name: str) -> Tri:
    """Whether an IAM member is the Kubernetes account ``ns/name`` of a GKE workload pool."""
    ends = (f".svc.id.goog[{ns}/{name}]", f"/subject/ns/{ns}/sa/{name}")
    if isinstance(member, str):
        return member.startswith(("serviceAccount:", "principal:")) and member.endswith(ends)
    parts = getattr(member, "parts", None)
    if isinstance(parts, list) and parts and isinstance(parts[-1], str):
        tail = parts[-1]
        if tail.endswith(ends):
            return True
        if any(e.endswith(tail) for e in ends):   # the account or namespace itself is unknown
            return None
        return False
    return None


def _azure(ctx: LinkContext, accounts: dict[tuple[str, str], list[Resource]]) -> None:
    credentials: dict[str, list[tuple[Any, str]]] = {}   # identity -> (subject, credential)
    for fic in ctx.of_type("azurerm_federated_identity_credential"):
        for _, identity in targets(ctx, fic, ("parent_id", "user_assigned_identity_id"),
                                   ("azurerm_user_assigned_identity",)):
            credentials.setdefault(identity, []).append((fic.attributes.get("subject"), fic.address))
    for ns, name, sa, _client_id, path in _annotated(ctx, accounts, AZURE_CLIENT):
        wanted = wi.subject(ns, name)
        named = _referenced(ctx, sa, "azurerm_user_assigned_identity")
        for identity, creds in sorted(credentials.items()):
            if named and identity not in named:
                continue
            verdicts = [(s == wanted) if isinstance(s, str) else None for s, _ in creds]
            verdict: Tri = True if True in verdicts else (None if None in verdicts else False)
            if verdict is not False:
                via = next(c for (s, c), v in zip(creds, verdicts) if v is verdict)
                _assumes(ctx, sa.address, identity, verdict, mechanism="azure-workload-identity",
                         path=path, via=via)


def _trust_summaries(ctx: LinkContext) -> None:
    """``$service_account_trust`` on roles trusted by a Kubernetes cluster's OIDC issuer."""
    for role in ctx.of_type("aws_iam_role"):
        doc = role.attributes.get("$assume_role_policy")
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        if not isinstance(statements, list):
            continue
        entries: list[dict[str, Any]] = []
        lines: dict[str, Any] = {}
        line = role.lines.get("$assume_role_policy")
        for i, s in enumerate(statements):
            if not isinstance(s, dict) or s.get("Effect") != "Allow" or wi.web_identity_statement(s) is not True:
                continue
            subjects = wi.subjects(s)
            if not _kubernetes_issuer(ctx, role, s, subjects):
                continue
            lines[f"$service_account_trust.{len(entries)}"] = role.lines.get(
                f"$assume_role_policy.Statement.{i}", line)
            entries.append({"statement": i, "any_service_account": wi.admits(s, wi.PROBE),
                            "subjects": [v for v in subjects if isinstance(v, str)]})
        if entries:
            lines["$service_account_trust"] = line
            ctx.derive(role.address, {"$service_account_trust": entries},
                       {k: v for k, v in lines.items() if v is not None})


def _kubernetes_issuer(ctx: LinkContext, role: Resource, statement: dict[str, Any], subjects: list[Any]) -> bool:
    """Whether a web-identity statement trusts a Kubernetes cluster's issuer (EKS's, or one whose
    subjects are service accounts)."""
    if any(isinstance(v, str) and v.startswith("system:serviceaccount:") for v in subjects):
        return True
    if any("oidc.eks." in text for text in wi.issuer_texts(statement)):
        return True
    return any(_eks_provider(ctx, n) for n in _documents_references(ctx, role))


def _documents_references(ctx: LinkContext, role: Resource) -> Iterable[str]:
    """Nodes the trust policy names: directly, or through the policy document data source it uses."""
    for path, target in role.references:
        if not path.startswith("assume_role_policy"):
            continue
        for node in ctx.resolve(target):
            yield node
            res = ctx.nodes[node].get("resource")
            if res is not None and res.type == "aws_iam_policy_document":
                for _, inner in res.references:
                    yield from ctx.resolve(inner)


def _eks_provider(ctx: LinkContext, node: str) -> bool:
    res = ctx.nodes[node].get("resource")
    if res is None or res.type != "aws_iam_openid_connect_provider":
        return False
    url = res.attributes.get("url")
    if isinstance(url, str):
        return "oidc.eks." in url
    return any("aws_eks_cluster." in t for _, t in res.references)
