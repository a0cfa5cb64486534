"""Threagile models as whole systems: what a model leaves unknown, ids matched as older Threagile wrote them, two models of one scan kept apart."""

from __future__ import annotations

from typing import Any, Mapping

from ...model import Unknown

# Controls a Threagile model has no field for: unknown, never "absent" (absent reads as "not done").
UNEXPRESSED_CONTROLS = ("logging", "backups")
# Threagile's web access protocols: the traffic a WAF in front of an asset would filter
WEB_PROTOCOLS = {"http", "https", "ws", "wss", "reverse-proxy-web-protocol",
                 "reverse-proxy-web-protocol-encrypted"}


def _assets(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [a for a in (doc.get("technical_assets") or {}).values() if isinstance(a, Mapping)]


def mark_unknowns(native: dict[str, Any], doc: Mapping[str, Any]) -> None:
    """Set to ``Unknown`` the controls of each component that the Threagile model ``doc`` cannot state.

    Called after validation (an ``Unknown`` is no YAML value). External
    entities and out-of-scope assets are not judged for encryption at rest or
    a WAF: Threagile raises no risk on them.
    """
    no_web = public_without_web_links(native)
    called = {fl.get("to") for fl in native.get("flows") or []}
    not_ours = {a["id"] for a in _assets(doc)
                if a.get("out_of_scope") is True or a.get("type") == "external-entity"}
    for component in native.get("components") or []:
        controls = component.setdefault("controls", {})
        for key in UNEXPRESSED_CONTROLS:
            controls.setdefault(key, Unknown(f"Threagile models do not record {key}"))
        if component["id"] in not_ours:
            for key in ("encryption_at_rest", "waf"):
                controls[key] = Unknown("an external entity or an asset out of the model's scope")
        if component.get("exposure") == "public" and component["id"] not in called:
            # Threagile states authentication on communication links only: with no link coming in, who
            # calls an asset reachable from the internet, and how they authenticate, is not modelled
            controls.setdefault("authentication", Unknown(
                "Threagile states authentication on the links into an asset; none comes into this one"))
        if component["id"] in no_web and controls.get("waf") is not True:
            controls["waf"] = Unknown("no web traffic from the internet is modelled into it; "
                                      "Threagile states a WAF only as an asset in front of such links")


def public_without_web_links(native: Mapping[str, Any]) -> set[str]:
    """Public components that no internet client calls over a web protocol (``internet: true`` alone).

    Threagile records a WAF as an asset in front of web links; for an asset
    reachable from the internet with no such link (a cellular modem, a V2X
    receiver), whether a WAF would apply, or is there, is not in the model.
    """
    trust = {z["id"]: z["trust"] for z in native.get("zones") or []}
    zone = {c["id"]: c.get("zone") for c in native.get("components") or []}
    web_in = {fl["to"] for fl in native.get("flows") or []
              if trust.get(zone.get(fl["from"])) == 0 and fl.get("protocol") in WEB_PROTOCOLS}
    return {c["id"] for c in native.get("components") or []
            if c.get("exposure") == "public" and c["id"] not in web_in}


def match_inside_ids(doc: dict[str, Any]) -> None:
    """Resolve the lower-cased ids of ``technical_assets_inside`` to the asset ids as declared.

    Threagile lower-cases them and then looks them up as written, so a model
    that declares ``Innovera-WAF`` only works with older Threagile, which did
    not; riskgraph accepts it either way.
    """
    declared = {a["id"].lower(): a["id"] for _, a in (doc.get("technical_assets") or {}).items()
                if isinstance(a, Mapping) and isinstance(a.get("id"), str)}
    for _, b in (doc.get("trust_boundaries") or {}).items():
        inside = b.get("technical_assets_inside") if isinstance(b, Mapping) else None
        if isinstance(inside, list):
            b["technical_assets_inside"] = [declared.get(i, i) if isinstance(i, str) else i
                                            for i in inside]


def separate(native: dict[str, Any], suffix: str) -> None:
    """Append ``suffix`` to every id of the model and to every reference to one."""
    def own(ids: Any) -> Any:
        return [f"{i}{suffix}" for i in ids]

    for z in native.get("zones") or []:
        z["id"] += suffix
    for d in native.get("data") or []:
        d["id"] += suffix
    for c in native.get("components") or []:
        c["id"] += suffix
        if c.get("zone"):
            c["zone"] += suffix
        for key in ("stores", "processes"):
            if c.get(key):
                c[key] = own(c[key])
    for fl in native.get("flows") or []:
        fl["id"], fl["from"], fl["to"] = (f"{fl[k]}{suffix}" for k in ("id", "from", "to"))
        if fl.get("data"):
            fl["data"] = own(fl["data"])
