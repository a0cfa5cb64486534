"""Kustomize patches on one object: the values they leave and the file and line each value points at."""

from __future__ import annotations

from scanner.formats.kubernetes.patch import json6902, strategic_merge
from scanner.yamlnodes import iter_documents

BASE = """\
spec:
  containers:
    - name: app
      image: app:1
      env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
    - name: sidecar
      image: proxy:1
  volumes:
    - name: cache
      emptyDir: {}
  hostPID: true
"""


def doc(text: str):
    d = next(iter_documents(text))
    return d.value, dict(d.lines)


def where(lines, path):
    line = lines.get(path)
    return None if line is None else (getattr(line, "path", "base.yaml"), int(line))


def test_strategic_merge_merges_named_items_deletes_and_replaces():
    target, lines = doc(BASE)
    patch, patch_lines = doc("""\
spec:
  containers:
    - name: app
      env:
        - {name: B, value: "3"}
        - {name: A, $patch: delete}
    - name: sidecar
      $patch: delete
  volumes:
    - $patch: replace
    - {name: data, hostPath: {path: /}}
  hostPID: null
""")
    strategic_merge(target, lines, patch, patch_lines, "patch.yaml")
    assert target == {"spec": {
        "containers": [{"name": "app", "image": "app:1", "env": [{"name": "B", "value": "3"}]}],
        "volumes": [{"name": "data", "hostPath": {"path": "/"}}]}}
    assert where(lines, "spec.containers.0.image") == ("base.yaml", 4)
    assert where(lines, "spec.containers.0.env.0.value") == ("patch.yaml", 5)   # B moved up when A went
    assert where(lines, "spec.containers.0.env.1") is None
    assert where(lines, "spec.containers.1") is None                            # the sidecar's lines are gone
    assert where(lines, "spec.volumes.0.hostPath.path") == ("patch.yaml", 11)
    assert where(lines, "spec.hostPID") is None


def test_json_patch_adds_replaces_removes_and_reports_what_it_cannot_apply():
    target, lines = doc(BASE)
    ops, op_lines = doc("""\
- {op: remove, path: /spec/containers/0}
- {op: replace, path: /spec/containers/0/image, value: "proxy:2"}
- {op: add, path: /spec/containers/-, value: {name: debug, image: busybox}}
- {op: copy, from: /spec/hostPID, path: /spec/hostIPC}
- {op: replace, path: /spec/missing/field, value: 1}
""")
    problems = json6902(target, lines, ops, op_lines, "ops.yaml")
    assert [c["name"] for c in target["spec"]["containers"]] == ["sidecar", "debug"]
    assert target["spec"]["containers"][0]["image"] == "proxy:2"
    assert where(lines, "spec.containers.0.image") == ("ops.yaml", 2)
    assert where(lines, "spec.containers.0.name") == ("base.yaml", 8)          # the sidecar, renumbered
    assert where(lines, "spec.containers.1.name") == ("ops.yaml", 3)
    assert problems == ["operation 3 (copy /spec/hostIPC) is not applied",
                        "operation 4: /spec/missing/field is not in the object"]
