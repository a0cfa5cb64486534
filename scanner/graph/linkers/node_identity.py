"""Node identity: Kubernetes workloads ``runs_on`` the node groups of the scan's one cluster, and reach
their instance metadata (so the node's cloud identity) when the node lets a pod get there.

An edge's ``reach`` says whether a pod can read the node's credentials:

- EKS managed node groups (``aws_eks_node_group``) through the launch
  template's ``metadata_options``: endpoint disabled -> false; IMDSv1 allowed
  (``http_tokens = "optional"``) -> true; IMDSv2 required with
  ``http_put_response_hop_limit`` > 1 -> true, = 1 -> false (a pod's packets
  take one hop more than the node's). A pod with ``hostNetwork: true`` is
  the node's network: true unless the endpoint is disabled. No launch
  template (EKS makes one), no ``metadata_options`` or a value known only at
  apply -> null for pods (AMI and account defaults decide, which the code does
  not say) but true for host-network pods (the endpoint is on by default).
- GKE node pools (``google_container_node_pool``) through
  ``node_config.workload_metadata_config.mode``: ``GKE_METADATA`` hides the
  node's account from pods (not from host-network pods), ``GCE_METADATA``
  exposes it; unset, a cluster with ``workload_identity_config`` defaults to
  the former, one without to the latter.
- Self-managed EKS nodes: an ``aws_autoscaling_group`` tagged
  ``kubernetes.io/cluster/<name>`` starts nodes from its launch template; the
  edge goes to the template (``via`` the group), which ``runs_as`` its
  instance profile and role, with the template's metadata options as above.

The node group ``runs_as`` its role or account (linkers aws and gcp). Which
cluster a manifest is deployed to is not written anywhere: workloads are tied
to node groups only when the scan holds exactly one cluster (every node group
then belongs to it); with several, no edge is drawn and an info diagnostic
says so. Node selectors, affinities and taints are not read: a pod may land
on any node group of the cluster. A pod in a namespace an
``aws_eks_fargate_profile`` selects runs on Fargate, without node metadata.
"""

from __future__ import annotations

from typing import Any, Optional

from ...model import Diagnostic, Layer, Resource, is_unknown
from .. import LinkContext, base_address
from .aws import items, targets

Tri = Optional[bool]
CLUSTERS = ("aws_eks_cluster", "google_container_cluster", "azurerm_kubernetes_cluster")
NODE_GROUPS = ("aws_eks_node_group", "google_container_node_pool")


def link(ctx: LinkContext) -> None:
    workloads = [r for r in ctx.resources if r.kind == Layer.KUBERNETES and isinstance(r.attributes.get("$pod"), dict)]
    groups = [g for t in NODE_GROUPS for g in ctx.by_type.get(t, ())]
    self_managed = _self_managed(ctx)   # launch template -> the autoscaling group that starts nodes with it
    if not workloads or not (groups or self_managed):
        return
    managed = [c for t in CLUSTERS for c in ctx.by_type.get(t, ()) if not is_data_source(c.address)]
    clusters = {base_address(c.address) for c in managed}
    names = {c.attributes.get("name") for c in managed}
    clusters |= {f"cluster {g.attributes['cluster_name']}" for g in groups   # clusters defined elsewhere
                 if isinstance(g.attributes.get("cluster_name"), str) and g.attributes["cluster_name"] not in names}
    if len(clusters) > 1:
        first = groups[0] if groups else ctx.nodes[next(iter(self_managed))]["resource"]
        ctx.graph.graph.setdefault("diagnostics", []).append(Diagnostic(
            "node-identity-ambiguous", f"the scan holds {len(clusters)} Kubernetes clusters "
            f"({', '.join(sorted(clusters)[:3])}{', ...' if len(clusters) > 3 else ''}); which one runs "
            "the manifests is not written anywhere, so no workload is tied to a node group",
            first.location.path, first.location.start_line, "info"))
        return
    verdicts = {g.address: _imds(ctx, g) for g in ctx.track(groups)}
    verdicts.update({t: _template_metadata(ctx, t) for t in self_managed})
    fargate = _fargate_namespaces(ctx)
    for w in ctx.track(workloads):
        ns = _namespace(w)
        if fargate.get(ns) is True:
            continue
        pod = w.attributes.get("$pod")
        host = pod.get("hostNetwork") if isinstance(pod, dict) else None
        for group, (pod_reach, host_reach) in verdicts.items():
            reach = host_reach if host is True else pod_reach
            if is_unknown(host) and pod_reach is not host_reach:
                reach = None
            if fargate.get(ns) is None and ns in fargate:
                reach = None if reach is not False else False
            data: dict[str, Any] = {"path": "$pod.hostNetwork"} if host is True else {}
            if group in self_managed:
                data["via"] = self_managed[group]
            if reach is not True:
                data["reach"] = reach
            ctx.add_edge(w.address, group, "runs_on", **data)


def is_data_source(address: str) -> bool:
    """A ``data.`` address (after any root and module prefix): a cluster read, perhaps one the scan manages."""
    tail = address.rsplit(":", 1)[-1]
    return tail.startswith("data.") or ".data." in tail


def _namespace(w: Resource) -> str:
    meta = w.attributes.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return ns if isinstance(ns, str) else "default"


def _fargate_namespaces(ctx: LinkContext) -> dict[str, Tri]:
    """Namespace -> True when a Fargate profile takes every pod of it, None when only some (labels)."""
    out: dict[str, Tri] = {}
    for profile in ctx.by_type.get("aws_eks_fargate_profile", ()):
        for sel in profile.attributes.get("selector") or ():
            if isinstance(sel, dict) and isinstance(sel.get("namespace"), str):
                every = not sel.get("labels")
                out[sel["namespace"]] = True if every or out.get(sel["namespace"]) else None
    return out


def _imds(ctx: LinkContext, group: Resource) -> tuple[Tri, Tri]:
    """(a pod, a host-network pod) can read the node's credentials from instance metadata."""
    if group.type == "google_container_node_pool":
        return _gke_metadata(ctx, group)
    if not group.attributes.get("launch_template"):
        return None, True   # the template EKS makes: hop limit and tokens are its defaults, the endpoint is on
    templates = [n for _, n in targets(ctx, group, ("launch_template",), ("aws_launch_template",))]
    if len(templates) != 1:
        return None, None
    return _template_metadata(ctx, templates[0])


def _template_metadata(ctx: LinkContext, template: str) -> tuple[Tri, Tri]:
    """:func:`_imds` for the nodes a launch template starts."""
    options = ctx.nodes[template]["resource"].attributes.get("metadata_options")
    if options is None:
        return None, True   # the AMI's and the account's defaults decide; the endpoint is on
    options = options[0] if isinstance(options, list) and len(options) == 1 else options
    if not isinstance(options, dict):
        return None, None
    endpoint = options.get("http_endpoint", "enabled")
    if endpoint == "disabled":
        return False, False
    host: Tri = True if endpoint == "enabled" else None
    tokens, hops = options.get("http_tokens"), options.get("http_put_response_hop_limit")
    if tokens == "optional":
        return host, host
    if tokens == "required" and isinstance(hops, int) and not isinstance(hops, bool):
        return (host if hops > 1 else False), host
    return None, host


def _self_managed(ctx: LinkContext) -> dict[str, str]:
    """Self-managed nodes: launch templates of autoscaling groups tagged ``kubernetes.io/cluster/<name>``."""
    out: dict[str, str] = {}
    for asg in ctx.by_type.get("aws_autoscaling_group", ()):
        if not any(_cluster_tag(t) for key in ("tag", "tags") for t in items(asg.attributes.get(key))):
            continue
        for _, template in targets(ctx, asg, ("launch_template", "launch_template_specification"),
                                   ("aws_launch_template",)):
            out.setdefault(template, asg.address)
    return out


def _cluster_tag(tag: Any) -> bool:
    key = tag.get("key") if isinstance(tag, dict) else None
    parts = getattr(key, "parts", None)   # "kubernetes.io/cluster/${var.cluster_name}"
    text = key if isinstance(key, str) else (parts[0] if isinstance(parts, list) and parts and
                                             isinstance(parts[0], str) else "")
    return text.startswith(CLUSTER_TAG)


CLUSTER_TAG = "kubernetes.io/cluster/"



def _gke_metadata(ctx: LinkContext, pool: Resource) -> tuple[Tri, Tri]:
    config = _first(pool.attributes.get("node_config"))
    wmc = _first(config.get("workload_metadata_config")) if isinstance(config, dict) else {}
    mode = wmc.get("mode", wmc.get("node_metadata")) if isinstance(wmc, dict) else None
    if mode in ("GKE_METADATA", "GKE_METADATA_SERVER"):
        return False, True
    if isinstance(mode, str):
        return True, True
    if mode is not None or not isinstance(config, dict):
        return None, True
    clusters = [n for _, n in targets(ctx, pool, ("cluster",), ("google_container_cluster",))]
    if len(clusters) != 1:
        return None, True
    wi = ctx.nodes[clusters[0]]["resource"].attributes.get("workload_identity_config")
    if is_unknown(wi):
        return None, True
    return (False if wi else True), True


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if len(value) == 1 and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}
