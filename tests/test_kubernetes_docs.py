"""docs/kubernetes.md documents every derived attribute the Kubernetes parser and linkers write, and every edge kind they make."""

from __future__ import annotations

import os
import re

from conftest import ROOT

SOURCES = ("scanner/formats/kubernetes/parser.py", "scanner/formats/kubernetes/pod.py", "scanner/formats/kubernetes/link.py",
           "scanner/formats/kubernetes/rbac.py", "scanner/formats/kubernetes/objects.py",
           "scanner/formats/kubernetes/attacks.py", "scanner/formats/kubernetes/escapes.py")


def _read(path: str) -> str:
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def test_every_derived_attribute_is_documented():
    written = set()
    for path in SOURCES:
        written |= set(re.findall(r'"(\$[A-Za-z_]+)', _read(path)))
    assert {"$pod", "$containers", "$effective", "$image", "$permissions"} <= written
    docs = _read("docs/kubernetes.md")
    missing = [a for a in written if not re.search(r"[`.]" + re.escape(a) + r"[`.]", docs)]
    assert sorted(missing) == []


def test_every_edge_kind_made_is_documented():
    made = set()
    for path in SOURCES:
        made |= set(re.findall(r'add_edge\([^)]*?"([a-z_]+)"', _read(path), re.S))
    assert made == {"exposes", "selects", "routes_to", "runs_as", "mounts", "binds", "bound_to", "escapes_to",
                    "steals_token", "reads_secrets", "execs_into", "patches", "creates_pods", "binds_role",
                    "impersonates"}
    docs = _read("docs/kubernetes.md")
    assert sorted(k for k in made if f"| `{k}` |" not in docs and f"`{k}`," not in docs
                  and f", `{k}` |" not in docs) == []
