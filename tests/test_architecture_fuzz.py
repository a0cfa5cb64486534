"""Arbitrary architecture and Threagile documents never crash the parsers: they become resources or diagnostics."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.graph import build_graph
from scanner.model import SourceFile
from scanner.parse import ParseContext, ParseOptions
from scanner.formats.architecture import parser as architecture, threagile

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 12),
                    st.sampled_from(["api", "db", "dmz", "*", "pii", "public", "admin", "https",
                                     "aws_db_instance.db", "", "x y"]))
KEYS = st.sampled_from(["id", "type", "zone", "trust", "stores", "processes", "from", "to",
                        "data", "tls", "exposure", "controls", "implemented_by", "access",
                        "component", "level", "kind", "members", "region", "allowed_regions",
                        "classification", "target", "technology", "communication_links",
                        "technical_assets_inside", "data_assets_stored", "internet", "tags"])
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
ARCH = st.fixed_dictionaries({}, optional={
    s: st.lists(st.dictionaries(KEYS, VALUES, max_size=5), max_size=3)
    for s in ("zones", "components", "data", "flows", "roles")})
THREAGILE = st.fixed_dictionaries({}, optional={
    s: st.dictionaries(st.sampled_from(["A", "B", "C"]), st.dictionaries(KEYS, VALUES, max_size=5),
                       max_size=3)
    for s in ("technical_assets", "data_assets", "trust_boundaries")})


def _run(tmp_path, module, doc):
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    parsed = module.parse([SourceFile(str(path), "model.yaml", "x")], ParseContext(ParseOptions()))
    refused = [d for d in parsed.diagnostics if d.code in ("architecture-invalid", "yaml-syntax")]
    assert not (parsed.resources and refused), "a refused file yields no elements"
    for d in parsed.diagnostics:      # or a note on a model that is read (or not: Threagile output)
        assert d.path == "model.yaml" and (d in refused or d.code in (
            "threagile-output", "threagile-technology", "threagile-legacy-spelling"))
    for r in parsed.resources:
        assert r.address.startswith("arch:") and r.location.start_line >= 1
    build_graph(parsed.resources)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=ARCH)
def test_architecture_never_crashes(tmp_path, doc):
    _run(tmp_path, architecture, {**doc, "components": doc.get("components", [])})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=THREAGILE)
def test_threagile_never_crashes(tmp_path, doc):
    _run(tmp_path, threagile, doc)
