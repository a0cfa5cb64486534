"""Export the joined graph as Mermaid, Graphviz DOT, GraphML or JSON: addresses, types, layers and typed edges.

Only structure leaves the process (address, type, layer, file:line, edge
kind): attribute values are never exported, so no secret can leak.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Mapping
from xml.etree import ElementTree as ET

FORMATS = ("mermaid", "dot", "graphml", "json")


def _nodes(graph: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for node in sorted(graph.nodes):
        resource = graph.nodes[node].get("resource")
        if resource is None:
            yield node, {"type": node, "layer": "special", "location": ""}
        else:
            yield node, {"type": resource.type, "layer": resource.kind.value,
                         "location": str(resource.location)}


def _edges(graph: Any) -> list[tuple[str, str, str]]:
    return sorted((s, t, str(d.get("kind", k))) for s, t, k, d in graph.edges(keys=True, data=True))


def _used(graph: Any) -> set[str]:
    """Nodes worth drawing: every resource, and special nodes only when connected."""
    return {n for n in graph.nodes if graph.nodes[n].get("resource") is not None or graph.degree(n)}


def to_mermaid(graph: Any) -> str:
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    used = _used(graph)
    for i, (node, data) in enumerate(n for n in _nodes(graph) if n[0] in used):
        ids[node] = f"n{i}"
        label = node.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
        shape = f'(("{label}"))' if data["layer"] == "special" else f'["{label}"]'
        lines.append(f"  n{i}{shape}")
    for s, t, kind in _edges(graph):
        lines.append(f"  {ids[s]} -- {kind} --> {ids[t]}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Any) -> str:
    shapes = {"special": "doublecircle", "terraform": "box", "kubernetes": "component",
              "architecture": "ellipse"}
    lines = ["digraph riskgraph {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    used = _used(graph)
    for node, data in _nodes(graph):
        if node in used:
            lines.append(f"  {_dot_quote(node)} [shape={shapes.get(data['layer'], 'box')}, "
                         f"tooltip={_dot_quote(data['type'] + ' ' + data['location'])}];")
    for s, t, kind in _edges(graph):
        lines.append(f"  {_dot_quote(s)} -> {_dot_quote(t)} [label={_dot_quote(kind)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_graphml(graph: Any) -> str:
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", xmlns=ns)
    for key, target in (("type", "node"), ("layer", "node"), ("location", "node"), ("kind", "edge")):
        ET.SubElement(root, "key", {"id": key, "for": target, "attr.name": key, "attr.type": "string"})
    g = ET.SubElement(root, "graph", id="riskgraph", edgedefault="directed")
    for node, data in _nodes(graph):
        el = ET.SubElement(g, "node", id=node)
        for key in ("type", "layer", "location"):
            ET.SubElement(el, "data", key=key).text = data[key]
    for i, (s, t, kind) in enumerate(_edges(graph)):
        el = ET.SubElement(g, "edge", id=f"e{i}", source=s, target=t)
        ET.SubElement(el, "data", key="kind").text = kind
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_json(graph: Any) -> str:
    doc = {"nodes": [{"id": n, **d} for n, d in _nodes(graph)],
           "edges": [{"source": s, "target": t, "kind": k} for s, t, k in _edges(graph)]}
    return json.dumps(doc, indent=2) + "\n"


EXPORTERS: Mapping[str, Callable[[Any], str]] = {
    "mermaid": to_mermaid, "dot": to_dot, "graphml": to_graphml, "json": to_json}


def export(graph: Any, fmt: str) -> str:
    """The graph in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown graph format {fmt!r}; choose from {', '.join(FORMATS)}")
    return EXPORTERS[fmt](graph)
