"""Threagile's vocabulary as riskgraph reads it: every technology (and its aliases) as a component type, and what each value means here.

The technology names and aliases are those of Threagile's built-in
technology list (``pkg/types/technologies.yaml``); each is mapped to the
component type whose policies fit it. A model may name several technologies
(``technology:`` and the ``technologies:`` list): the asset takes the type of
the first that maps to a specific type, and a WAF among them makes it a WAF.
"""

from __future__ import annotations

from typing import Any, Iterable

# Every built-in Threagile technology -> riskgraph component type.
TECHNOLOGY_TYPES = {
    "ai": "service", "application-server": "web_frontend", "artifact-registry": "object_storage",
    "batch-processing": "worker", "big-data-platform": "database", "block-storage": "object_storage",
    "browser": "client", "build-pipeline": "service", "client-system": "client", "cli": "client",
    "cms": "web_frontend", "code-inspection-platform": "service", "container-platform": "service",
    "data-lake": "object_storage", "database": "database", "desktop": "client",
    "devops-client": "client", "ejb": "service", "erp": "service", "event-listener": "worker",
    "file-server": "object_storage", "function": "function", "gateway": "gateway",
    "hsm": "secret_store", "identity-provider": "identity_provider",
    "identity-store-database": "database", "identity-store-ldap": "identity_provider",
    "ids": "service", "iot-device": "client", "ips": "gateway", "ldap-server": "identity_provider",
    "library": "service", "load-balancer": "load_balancer", "local-file-system": "object_storage",
    "mail-server": "service", "mainframe": "service", "message-queue": "queue",
    "mobile-app": "mobile_app", "monitoring": "log_store", "report-engine": "service",
    "reverse-proxy": "gateway", "scheduler": "worker", "search-engine": "search_index",
    "search-index": "search_index", "service-mesh": "gateway", "service-registry": "service",
    "sourcecode-repository": "service", "stream-processing": "worker", "task": "worker",
    "tool": "client", "unknown-technology": "service", "vault": "secret_store", "waf": "waf",
    "web-application": "web_frontend", "web-server": "web_frontend",
    "web-service-rest": "api", "web-service-soap": "api",
}
# Threagile's aliases -> the technology they name.
ALIASES = {
    "artificial-intelligence": "ai", "machine-learning": "ai", "deep-learning": "ai",
    "neural-network": "ai", "ml": "ai", "dl": "ai", "app-server": "application-server",
    "big-data": "big-data-platform", "san": "block-storage", "web-browser": "browser",
    "ci": "build-pipeline", "continuous-integration": "build-pipeline", "client": "client-system",
    "command-line": "cli", "command-line-tool": "cli", "command-line-interface": "cli",
    "content-management-system": "cms", "code-inspection": "code-inspection-platform",
    "code-analysis": "code-inspection-platform", "container": "container-platform",
    "docker": "container-platform", "kubernetes": "container-platform", "db": "database",
    "desktop-system": "desktop", "enterprise-java-beans": "ejb",
    "enterprise-resource-planning": "erp", "file-storage": "file-server",
    "hardware-security-module": "hsm", "idp": "identity-provider",
    "identity-store": "identity-store-database", "intrusion-detection-system": "ids",
    "iot": "iot-device", "intrusion-prevention-system": "ips", "ldap": "ldap-server",
    "lb": "load-balancer", "local-storage": "local-file-system", "email-server": "mail-server",
    "mq": "message-queue", "siem": "monitoring", "reporting": "report-engine", "cron": "scheduler",
    "service-discovery": "service-registry", "git": "sourcecode-repository", "job": "task",
    "utility": "tool", "unknown": "unknown-technology", "hashicorp-vault": "vault",
    "web-application-firewall": "waf", "web-app": "web-application", "rest-api": "web-service-rest",
    "soap-api": "web-service-soap",
}
GENERIC_TYPES = ("service",)
STORE_TYPES = {"database", "object_storage", "search_index", "queue", "secret_store", "log_store",
               "cache"}
# Threagile's confidentiality levels, lowest first: public < internal < restricted < confidential
# < strictly-confidential. `restricted` is "internal, with restricted access": still internal.
CONFIDENTIALITY = {"public": "public", "internal": "internal", "restricted": "internal",
                   "confidential": "confidential", "strictly-confidential": "secret"}


def technologies(asset: Any) -> list[str]:
    """The asset's technologies, each resolved to its Threagile name (aliases followed), in order."""
    names = []
    if isinstance(asset.get("technology"), str) and asset["technology"]:
        names.append(asset["technology"])
    names.extend(t for t in asset.get("technologies") or [] if isinstance(t, str) and t)
    return list(dict.fromkeys(ALIASES.get(n.lower(), n.lower()) for n in names))


def unknown_technologies(names: Iterable[str]) -> list[str]:
    """The names that are neither a built-in technology nor an alias of one."""
    return [n for n in names if n not in TECHNOLOGY_TYPES]


def component_type(names: list[str], asset_type: Any) -> str:
    """The component type of an asset with these technologies and Threagile ``type``."""
    types = [TECHNOLOGY_TYPES.get(n, "service") for n in names]
    if "waf" in types:
        ctype = "waf"
    else:
        ctype = next((t for t in types if t not in GENERIC_TYPES), "service")
    if asset_type == "datastore" and ctype not in STORE_TYPES:
        ctype = "database"
    if asset_type == "external-entity" and ctype == "service":
        ctype = "external_service"
    return ctype
