"""Deployment units: objects are joined only with what is deployed with them (kustomizations, charts, directories)."""

from __future__ import annotations

import json
import os

from conftest import FIXTURES, parse_tree
from scanner.config import load_config
from scanner.discover import discover
from scanner.graph import LinkContext, build_graph, resource_of
from scanner import api
from scanner.api import scan
from scanner.model import is_unknown
from scanner.parse import ParseOptions, parse_all

UNITS = os.path.join(FIXTURES, "cases", "kubernetes", "units")


def load(folder: str, units=()):
    path = os.path.normpath(os.path.join(UNITS, folder))
    found = discover([path], base=path)
    parsed = parse_all(found.files, ParseOptions(kubernetes_units=units))
    diagnostics = sorted((d.path, d.line, d.code, d.level) for d in parsed.diagnostics)
    return build_graph(parsed.resources), diagnostics


def edges(graph, kind: str) -> set[tuple[str, str]]:
    return {(s, t) for s, t, k in graph.edges(keys=True) if k == kind}


def units_of(graph) -> dict[str, str]:
    return {n: r.attributes.get("$unit") for n in graph.nodes
            if (r := resource_of(graph, n)) is not None and r.source == "kubernetes"}


SHOP = "@examples/shop"
ALT = "@examples/shop/all-in-one"


def test_directories_are_units_and_clashing_units_are_qualified():
    graph, diagnostics = load(".", ())
    assert diagnostics == [
        ("chart/templates/deployment.yaml", 4, "helm-template", "info"),   # a chart's template: not guessed
        ("kustomize/stray/kustomization.yaml", 4, "kustomize-remote", "info"),
        ("kustomize/stray/kustomization.yaml", 5, "kustomize-missing", "warning"),
        ("kustomize/stray/kustomization.yaml", 6, "kustomize-partial", "info"),   # namePrefix
        ("kustomize/stray/kustomization.yaml", 8, "kustomize-patch", "warning"),  # targets nothing
    ]
    units = units_of(graph)
    # shop/ and shop/all-in-one/ declare the same objects: both are qualified; lab/ is not
    assert units[f"k8s:apps/Deployment/default/web{SHOP}"] == "examples/shop"
    assert units[f"k8s:apps/Deployment/default/web{ALT}"] == "examples/shop/all-in-one"
    assert units[f"k8s:networking.k8s.io/NetworkPolicy/default/web-ingress{SHOP}"] == "examples/shop"
    assert units["k8s:apps/Deployment/default/scratch"] == "examples/lab"
    # a chart's plain files (crds/, templates without actions) are one unit
    assert units["k8s:apiextensions.k8s.io/CustomResourceDefinition/widgets.acme.io"] == "chart"
    assert units["k8s:core/ServiceAccount/default/widgets"] == "chart"
    assert units["k8s:core/ServiceAccount/default/db"] == "chart"  # charts/db/: a subchart


def test_objects_are_joined_only_within_their_unit():
    graph, _ = load(".", ())
    assert edges(graph, "selects") == {
        (f"k8s:core/Service/default/web{SHOP}", f"k8s:apps/Deployment/default/web{SHOP}"),
        (f"k8s:networking.k8s.io/NetworkPolicy/default/web-ingress{SHOP}",
         f"k8s:apps/Deployment/default/web{SHOP}"),
        (f"k8s:core/Service/default/web{ALT}", f"k8s:apps/Deployment/default/web{ALT}"),
        ("k8s:core/Service/prod/app", "k8s:apps/Deployment/prod/app"),          # kustomize/overlays/prod
        ("k8s:core/Service/default/app", "k8s:apps/Deployment/default/app"),    # kustomize/overlays/dev
    }
    # lab/ makes its default account cluster-admin; shop's pods run as their own unit's default account
    runs_as = edges(graph, "runs_as")
    assert (f"k8s:apps/Deployment/default/web{SHOP}", f"k8s:core/ServiceAccount/default/default{SHOP}") in runs_as
    assert ("k8s:apps/Deployment/default/scratch", "k8s:core/ServiceAccount/default/default") in runs_as
    assert resource_of(graph, f"k8s:apps/Deployment/default/web{SHOP}").attributes["$permissions"] == []
    scratch = resource_of(graph, "k8s:apps/Deployment/default/scratch").attributes["$permissions"]
    assert {p["role"] for p in scratch} == {"k8s:rbac.authorization.k8s.io/ClusterRole/cluster-admin"}
    # tools/ binds a ClusterRole only lab/ declares: unresolved there, never lab's rules
    role = "k8s:rbac.authorization.k8s.io/ClusterRole/lab-reader"
    tools = resource_of(graph, "k8s:core/ServiceAccount/default/tools")
    assert (tools.attributes["$permissions"], tools.attributes["$unresolved_roles"]) == ([], [role])
    assert [s for s, t in edges(graph, "binds") if t == role] == []
    assert [s for s, t in edges(graph, "bound_to") if t == role] == []


def test_a_configured_unit_joins_directories():
    shop, lab = (os.path.join(UNITS, "examples", d) for d in ("shop", "lab"))
    graph, diagnostics = load("examples", (("shop-and-lab", (shop, lab)),))
    assert units_of(graph)["k8s:apps/Deployment/default/scratch"] == "shop-and-lab"
    assert ("k8s:core/Service/default/web", "k8s:apps/Deployment/default/scratch") in edges(graph, "selects")
    assert ("k8s:core/Service/default/web", "k8s:apps/Deployment/default/web") in edges(graph, "selects")
    # shop/all-in-one/ lies under shop/: one unit now, so its copies are duplicates
    assert diagnostics == [("shop/all-in-one/web.yaml", 2, "duplicate-object", "warning")]


def test_configuration_declares_units(tmp_path):
    config = tmp_path / ".riskgraph.yaml"
    config.write_text("kubernetes:\n  units:\n    - {name: shop, paths: [a, b/c]}\n    - paths: [d]\n")
    assert load_config(str(config)).kubernetes_units == (
        ("shop", (str(tmp_path / "a"), str(tmp_path / "b" / "c"))), ("", (str(tmp_path / "d"),)))


def test_kustomize_overlays_build_their_base_with_patches():
    graph, _ = load("kustomize")
    prod = resource_of(graph, "k8s:apps/Deployment/prod/app")
    dev = resource_of(graph, "k8s:apps/Deployment/default/app")
    # the base is built into each overlay, never on its own; the patch file is not an object
    assert sorted(units_of(graph).items()) == [
        ("k8s:apps/Deployment/default/app", "overlays/dev"), ("k8s:apps/Deployment/prod/app", "overlays/prod"),
        ("k8s:core/ConfigMap/prod/settings", "overlays/prod"), ("k8s:core/Secret/prod/db", "overlays/prod"),
        ("k8s:core/Service/default/app", "overlays/dev"), ("k8s:core/Service/prod/app", "overlays/prod")]
    containers = prod.attributes["$containers"]
    assert [c["name"] for c in containers] == ["app"]  # JSON patch removed the sidecar
    assert containers[0]["image"] == "app:2.1"         # images: newTag
    assert containers[0]["$effective"]["privileged"] is True
    assert prod.attributes["$pod"]["hostNetwork"] is True
    # each value points at the line that set it, in the file that set it
    where = {p: (prod.path_of(prod.line_of(p)), prod.line_of(p)) for p in (
        "$containers.0.$effective.privileged", "$containers.0.image", "$pod.hostNetwork",
        "metadata.namespace", "$containers.0.name")}
    assert where == {
        "$containers.0.$effective.privileged": ("overlays/prod/privileged.yaml", 11),
        "$containers.0.image": ("overlays/prod/kustomization.yaml", 7),
        "$pod.hostNetwork": ("overlays/prod/kustomization.yaml", 15),  # the JSON patch's value
        "metadata.namespace": ("overlays/prod/kustomization.yaml", 3),
        "$containers.0.name": ("base/app.yaml", 11),  # the merge key the patch repeats
    }
    assert prod.location.path == "base/app.yaml"
    # the dev overlay's copy is untouched by prod's patches
    assert [c["name"] for c in dev.attributes["$containers"]] == ["app", "sidecar"]
    assert dev.attributes["$containers"][0]["$effective"]["privileged"] is False


def test_a_plain_address_names_the_object_in_every_unit():
    graph, _ = load(".", ())
    resources = [r for n in graph.nodes if (r := resource_of(graph, n)) is not None]
    ctx = LinkContext(graph, resources)
    assert sorted(ctx.resolve("k8s:core/Service/default/web")) == [
        f"k8s:core/Service/default/web{SHOP}", f"k8s:core/Service/default/web{ALT}"]
    assert ctx.resolve("k8s:apps/Deployment/default/scratch") == ["k8s:apps/Deployment/default/scratch"]


def test_kustomize_generators_make_configmaps_and_secrets_with_their_lines():
    graph, _ = load("kustomize")
    settings = resource_of(graph, "k8s:core/ConfigMap/prod/settings")
    secret = resource_of(graph, "k8s:core/Secret/prod/db")
    assert settings.attributes["data"] == {"mode": "production", "DB_HOST": "db.internal", "DB_USER": "app"}
    assert secret.attributes["stringData"] == {"password": "hunter2-but-longer\n"}
    where = {(r.type, p): (r.path_of(r.line_of(p)), r.line_of(p)) for r, p in (
        (settings, "data.mode"), (settings, "data.DB_USER"), (settings, "$entries.1.value"),
        (secret, "stringData.password"), (secret, "metadata.name"))}
    assert where == {
        ("ConfigMap", "data.mode"): ("overlays/prod/settings-patch.yaml", 6),  # the patch's value wins
        ("ConfigMap", "data.DB_USER"): ("overlays/prod/settings.env", 3),
        ("ConfigMap", "$entries.1.value"): ("overlays/prod/settings.env", 2),
        ("Secret", "stringData.password"): ("overlays/prod/db-password.txt", 1),
        ("Secret", "metadata.name"): ("overlays/prod/kustomization.yaml", 26),
    }
    assert secret.location.path == "overlays/prod/kustomization.yaml"


def test_kustomize_reads_nothing_outside_a_kustomization_and_survives_cycles():
    graph, diagnostics = load("../kustomize-outside")
    assert diagnostics == [
        ("app/kustomization.yaml", 1, "kustomize-cycle", "warning"),     # app -> loop -> app
        ("app/kustomization.yaml", 4, "kustomize-outside", "warning"),   # resources: ../shared.yaml
        ("app/kustomization.yaml", 8, "kustomize-outside", "warning"),   # secretGenerator: ../private.key
        ("app/kustomization.yaml", 10, "kustomize-outside", "warning"),  # patches: ../shared.yaml
    ]
    stolen = resource_of(graph, "k8s:core/Secret/default/stolen")
    assert stolen.attributes["stringData"] == {}
    # the file outside is still scanned as what it is: a manifest of the scan root's unit
    assert units_of(graph)["k8s:core/ConfigMap/default/shared"] == "."


def test_a_malformed_kustomization_is_reported_field_by_field_never_a_crash():
    graph, diagnostics = load("../kustomize-malformed")
    assert diagnostics == [
        ("kustomization.yaml", 3, "kustomize-input", "warning"),     # resources: 5
        ("kustomization.yaml", 4, "kustomize-input", "warning"),     # patches: "x"
        ("kustomization.yaml", 5, "kustomize-input", "warning"),     # patchesStrategicMerge entries
        ("kustomization.yaml", 5, "kustomize-missing", "warning"),   # nope.yaml
        ("kustomization.yaml", 6, "kustomize-missing", "warning"),   # path: x
        ("kustomization.yaml", 6, "kustomize-patch", "warning"),     # a JSON patch without a target
        ("kustomization.yaml", 7, "kustomize-input", "warning"),     # images entries
        ("kustomization.yaml", 8, "kustomize-input", "warning"),     # namespace: [x]
        ("kustomization.yaml", 11, "kustomize-input", "warning"),    # literal 1
        ("kustomization.yaml", 11, "kustomize-input", "warning"),    # literal without =
        ("kustomization.yaml", 12, "kustomize-input", "warning"),    # files: [3]
        ("kustomization.yaml", 13, "kustomize-input", "warning"),    # components entries
    ]
    assert resource_of(graph, "k8s:core/ConfigMap/default/c").attributes["data"] == {"a": "b"}


def test_unknown_values_in_objects_are_never_guessed_into_accounts():
    from scanner.model import UNKNOWN, Layer, Location, Resource

    def obj(address, kind, attributes):
        return Resource(address=address, kind=Layer.KUBERNETES, type=kind, location=Location("x.yaml", 1, 1),
                        source="kubernetes", attributes={**attributes, "$unit": "."})

    pod = obj("k8s:core/Pod/default/p", "Pod", {"spec": {"serviceAccountName": UNKNOWN},
                                                "$pod": {"serviceAccountName": UNKNOWN}})
    binding = obj("k8s:rbac.authorization.k8s.io/RoleBinding/default/b", "RoleBinding", {
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": UNKNOWN}, {"kind": "ServiceAccount", "name": 7}]})
    service = obj("k8s:core/Service/default/s", "Service", {"spec": {"type": UNKNOWN, "selector": UNKNOWN}})
    graph = build_graph([pod, binding, service])
    accounts = sorted(n for n in graph.nodes if "/ServiceAccount/" in n)
    assert accounts == ["k8s:core/ServiceAccount/default/7"]  # the numeric name is a name; the unknown one is not
    assert edges(graph, "runs_as") == set() and edges(graph, "exposes") == set()


def test_the_command_reads_units_from_the_configuration(tmp_path, capsys):
    import shutil

    from scanner.cli import main

    root = tmp_path / "repo"
    shutil.copytree(os.path.join(UNITS, "examples"), root)
    (root / ".git").mkdir()

    def isolated_scratch() -> bool:
        main(["scan", str(root), "--only", "RG-K8S-039", "--format", "json", "--no-cache"])
        found = json.loads(capsys.readouterr().out)["findings"]
        return not any(f["resource"].startswith("k8s:apps/Deployment/default/scratch") for f in found)

    assert not isolated_scratch()  # lab/ alone: nothing selects its pods
    (root / ".riskgraph.yaml").write_text("kubernetes:\n  units:\n    - {name: demo, paths: [shop, lab]}\n")
    assert isolated_scratch()      # joined with shop/: shop's NetworkPolicy selects app=web pods


def test_a_kustomization_is_found_by_its_name_without_apiversion_or_kind(tmp_path):
    """A bare overlay (only kustomization.yaml, no apiVersion/kind) is built, not skipped as unrecognised."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - {name: app, image: app:1.0}\n")
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [app.yaml]\n")
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text("namespace: live\nresources: [../base]\n")
    found = discover([str(tmp_path)], base=str(tmp_path))
    assert sorted((f.relpath, f.format) for f in found.files) == [
        ("base/app.yaml", "kubernetes"), ("base/kustomization.yaml", "kubernetes"),
        ("overlay/kustomization.yaml", "kubernetes")]
    graph = build_graph(parse_all(found.files, ParseOptions()).resources)
    assert units_of(graph) == {"k8s:apps/Deployment/live/app": "overlay"}


def test_a_delete_patch_removes_the_object_from_its_overlay(tmp_path):
    """`$patch: delete` (strategic merge, as a file or inline with a target) takes the object out of that build."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "all.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - {name: redis, image: redis:7}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: cache}\nspec: {selector: {app: cache}}\n")
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [all.yaml]\n")
    (tmp_path / "managed").mkdir()
    (tmp_path / "managed" / "no-cache.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache}\n$patch: delete\n")
    (tmp_path / "managed" / "kustomization.yaml").write_text(
        "resources: [../base]\npatchesStrategicMerge: [no-cache.yaml]\npatches:\n"
        "  - target: {kind: Service, name: cache}\n    patch: |\n      apiVersion: v1\n      kind: Service\n"
        "      metadata: {name: cache}\n      $patch: delete\n")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "kustomization.yaml").write_text("resources: [../base]\n")
    parsed = parse_tree(tmp_path)
    assert [(d.code, d.path) for d in parsed.diagnostics if d.level != "info"] == []
    assert units_of(build_graph(parsed.resources)) == {
        "k8s:apps/Deployment/default/cache": "local", "k8s:core/Service/default/cache": "local"}


def test_a_file_that_only_redeclares_objects_differently_is_an_alternative():
    # pod.yaml and pod_priv.yaml are two ways to run web: the privileged one is its own unit and
    # reported; pod_copy.yaml repeats pod.yaml unchanged and z-debug.yaml also declares a new object,
    # so both stay in the directory's unit and their copies of web are ignored as duplicates
    from scanner.api import scan

    path = os.path.join(FIXTURES, "cases", "kubernetes", "alternatives")
    report = scan([path], base=path, only=["RG-K8S-002"])
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.findings] == [
        ("k8s:core/Pod/default/web@pod_priv.yaml", "pod_priv.yaml", 10)]
    assert sorted((d.path, d.line, d.code) for d in report.diagnostics) == [
        ("pod_copy.yaml", 1, "duplicate-object"), ("z-debug.yaml", 1, "duplicate-object")]
    graph, _ = load(os.path.join("..", "alternatives"))
    assert sorted(units_of(graph).items()) == [
        ("k8s:core/Pod/default/tools@.", "."), ("k8s:core/Pod/default/web@.", "."),
        ("k8s:core/Pod/default/web@pod_priv.yaml", "pod_priv.yaml")]


def test_images_skaffold_builds_are_tagged_at_deploy_time():
    """An image naming a skaffold artifact (config in the manifest's directory or above) has an unknown tag."""
    folder = os.path.join(FIXTURES, "cases", "kubernetes", "skaffold")
    report = scan([folder], base=folder, only=["RG-K8S-036", "RG-K8S-037"])
    assert sorted((f.policy_id, f.location.path, f.location.start_line) for f in report.findings) == [
        ("RG-K8S-036", "app/web.yaml", 12), ("RG-K8S-037", "app/web.yaml", 12)]     # envoy, not shop-web
    assert [(d.code, d.path, d.level) for d in report.diagnostics] == [("skaffold-config", "skaffold.yaml", "info")]


def test_images_a_skaffold_profile_builds_are_tagged_at_deploy_time_too(tmp_path):
    """A profile's own `build.artifacts` count (bank-of-anthos's loadgenerator, built only under profiles)."""
    (tmp_path / "skaffold.yaml").write_text(
        "apiVersion: skaffold/v4beta11\nkind: Config\nprofiles:\n  - name: development\n    build:\n"
        "      artifacts:\n        - {image: loadgenerator, context: .}\n")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "loadgenerator.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: loadgenerator}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - {name: main, image: loadgenerator}\n"
        "        - {name: proxy, image: envoyproxy/envoy}\n")
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-K8S-036"])
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.findings] == [
        ("k8s:apps/Deployment/default/loadgenerator", "k8s/loadgenerator.yaml", 9)]   # the proxy only


def test_a_targeted_patch_keeps_the_names_of_the_objects_it_selects(tmp_path):
    """Kustomize ignores a targeted patch's own name and namespace: `name: all` patches carts and ui, renaming neither.

    Found held out (eks-workshop-v2's `metadata.name: all`, bank-of-anthos's `ignored-by-kustomize`): the
    patched objects were reported under the placeholder's name.
    """
    (tmp_path / "app.yaml").write_text("".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {n}, namespace: shop}}\nspec:\n"
        f"  template:\n    spec:\n      containers:\n        - {{name: {n}, image: 'shop/{n}:1.0'}}\n"
        for n in ("carts", "ui")))
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [app.yaml]\npatches:\n  - target: {kind: Deployment}\n    patch: |\n"
        "      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: all, namespace: elsewhere}\n"
        "      spec:\n        template:\n          spec:\n            hostNetwork: true\n")
    parsed = parse_tree(tmp_path)
    assert {r.address: r.attributes["spec"]["template"]["spec"].get("hostNetwork") for r in parsed.resources} == {
        "k8s:apps/Deployment/shop/carts": True, "k8s:apps/Deployment/shop/ui": True}


def test_a_json_patch_adds_missing_maps_and_replaces_missing_keys_as_kustomize_does(tmp_path):
    """`add` makes the maps on its path, `replace` of a missing key adds it; `remove` of one is reported.

    Found held out (bank-of-anthos: an annotation added to a ServiceAccount without annotations, a
    StatefulSet's serviceAccount replaced where none was written): `kustomize build` applies both.
    """
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: bank}\n---\n"
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - {name: db, image: 'postgres:16.2'}\n")
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [app.yaml]\npatches:\n"
        "  - target: {kind: ServiceAccount}\n    patch: |\n"
        "      - {op: add, path: /metadata/annotations/iam.gke.io~1gcp-service-account, value: bank@p.iam}\n"
        "  - target: {kind: StatefulSet}\n    patch: |\n"
        "      - {op: replace, path: /spec/template/spec/serviceAccount, value: bank}\n"
        "      - {op: remove, path: /spec/template/spec/hostNetwork}\n")
    parsed = parse_tree(tmp_path)
    got = {r.type: r.attributes for r in parsed.resources}
    assert got["ServiceAccount"]["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": "bank@p.iam"}
    assert got["StatefulSet"]["spec"]["template"]["spec"]["serviceAccount"] == "bank"
    assert [(d.code, d.message) for d in parsed.diagnostics if d.level == "warning"] == [
        ("kustomize-patch", "operation 1: /spec/template/spec/hostNetwork is not in the object; not applied")]


def test_a_file_commented_out_of_its_kustomization_is_not_deployed(tmp_path):
    """`# - role.yaml` in the kustomization beside it: taken out on purpose (kubeflow's profiles RBAC, a
    scaffold patch); an info diagnostic names it. A file the kustomization never mentions still joins
    its unit: a workshop applies such files by hand."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {}}}\nspec:\n  template:\n"
                  "    spec:\n      containers:\n        - {{name: app, image: app:1.0}}\n")
    (tmp_path / "app.yaml").write_text(deployment.format("app"))
    (tmp_path / "role.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: manager-role}\n"
        "rules:\n  - {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n")
    (tmp_path / "manager_image_patch.yaml").write_text(deployment.format("app"))
    (tmp_path / "by-hand.yaml").write_text(deployment.format("by-hand"))
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n  - app.yaml\n#  - role.yaml\npatches:\n#- path: manager_image_patch.yaml\n")
    found = discover([str(tmp_path)], base=str(tmp_path))
    parsed = parse_all(found.files, ParseOptions())
    assert sorted(r.address for r in parsed.resources) == [
        "k8s:apps/Deployment/default/app", "k8s:apps/Deployment/default/by-hand"]
    assert sorted((d.code, d.path, d.level) for d in parsed.diagnostics if d.code == "kustomize-unlisted") == [
        ("kustomize-unlisted", "manager_image_patch.yaml", "info"), ("kustomize-unlisted", "role.yaml", "info")]


def test_a_namespace_units_network_policy_makes_isolation_unknown_in_other_units(tmp_path):
    """Kubeflow: common/kubeflow-namespace creates namespace kubeflow with a policy selecting every pod;
    each app's unit deploys into it. Whether both go to one cluster the files do not say, so RG-K8S-039
    is undetermined there, while a policy of a unit that does not create the namespace (the sock shop's
    optional add-on) leaves a workload of another unit reported."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {0}, namespace: {1}}}\nspec:\n"
                  "  template:\n    metadata: {{labels: {{app: {0}}}}}\n    spec:\n"
                  "      containers:\n        - {{name: app, image: app:1.0}}\n")
    policy = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: same-ns, namespace: {0}}}\n"
              "spec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n")
    for unit, files in {
        "namespace": {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeflow}\n",
                      "policy.yaml": policy.format("kubeflow")},
        "app": {"app.yaml": deployment.format("app", "kubeflow")},
        "shop": {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
                 "shop.yaml": deployment.format("front", "shop")},
        "shop-policies": {"policy.yaml": policy.format("shop")},
    }.items():
        (tmp_path / unit).mkdir()
        for name, text in files.items():
            (tmp_path / unit / name).write_text(text)
    report = scan([str(tmp_path)], only=["RG-K8S-039"], base=str(tmp_path))
    assert [(f.resource, f.location.path, f.location.start_line) for f in report.findings] == [
        ("k8s:apps/Deployment/shop/front", "shop/shop.yaml", 1)]
    assert report.stats["undetermined"] == 1   # app's: kubeflow's own policy, from another unit
    isolation = {address: data["resource"].attributes["$network_isolation"]
                 for address, data in api.load_graph([str(tmp_path)], base=str(tmp_path)).nodes(data=True)
                 if data.get("resource") is not None and data["resource"].type == "Deployment"}
    assert set(isolation) == {"k8s:apps/Deployment/kubeflow/app", "k8s:apps/Deployment/shop/front"}
    assert is_unknown(isolation["k8s:apps/Deployment/kubeflow/app"]["ingress"])
    assert isolation["k8s:apps/Deployment/kubeflow/app"]["egress"] is False   # the policy restricts ingress only
    assert isolation["k8s:apps/Deployment/shop/front"] == {"ingress": False, "egress": False}


def test_an_overlays_patch_names_the_namespace_its_base_replaced(tmp_path):
    """Kustomize matches a patch against an object's earlier ids: Kueue's overlays patch the manager
    `namespace: system` after their base set `namespace: kueue-system` (round 15); both kinds of patch apply."""
    base, overlay = tmp_path / "default", tmp_path / "dev"
    base.mkdir()
    overlay.mkdir()
    (base / "manager.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: manager, namespace: system}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - {name: manager, image: 'kueue:0.9', args: [--a]}\n")
    (base / "kustomization.yaml").write_text("namespace: kueue-system\nresources: [manager.yaml]\n")
    (overlay / "kustomization.yaml").write_text(
        "resources: [../default]\npatches:\n"
        "  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n"
        "      metadata: {name: manager, namespace: system}\n"
        "      spec:\n        template:\n          spec:\n            hostNetwork: true\n"
        "  - target: {kind: Deployment, name: manager, namespace: system}\n    patch: |\n"
        "      - {op: add, path: /spec/template/spec/containers/0/args/-, value: --zap-devel}\n"
        "  - target: {kind: Deployment, name: manager, namespace: elsewhere}\n    patch: |\n"
        "      - {op: add, path: /spec/template/spec/hostPID, value: true}\n")
    parsed = parse_tree(overlay)
    (manager,) = parsed.resources
    spec = manager.attributes["spec"]["template"]["spec"]
    assert manager.address == "k8s:apps/Deployment/kueue-system/manager"
    assert (spec.get("hostNetwork"), spec["containers"][0]["args"], spec.get("hostPID")) == (
        True, ["--a", "--zap-devel"], None)
    assert [(d.code, d.line) for d in parsed.diagnostics if d.level == "warning"] == [("kustomize-patch", 14)]


def test_a_kustomizations_namespace_names_the_namespace_object_it_deploys(tmp_path):
    """kustomize's namespace transformer renames a Namespace object the kustomization deploys (its default
    field specs include `metadata/name` of kind Namespace): kubebuilder's `system` is built as the project's
    namespace (round 19: OpenTelemetry's operator)."""
    (tmp_path / "manager.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: system, labels: {control-plane: manager}}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: manager, namespace: system}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - {name: manager, image: 'op:1.0'}\n")
    (tmp_path / "kustomization.yaml").write_text("namespace: op-system\nresources: [manager.yaml]\n")
    parsed = parse_tree(tmp_path)
    assert sorted(r.address for r in parsed.resources) == [
        "k8s:apps/Deployment/op-system/manager", "k8s:core/Namespace/op-system"]
    namespace = next(r for r in parsed.resources if r.type == "Namespace")
    assert "namespace" not in namespace.attributes["metadata"]
    assert (namespace.lines["metadata.name"], namespace.lines["metadata.name"].path) == (1, "kustomization.yaml")
