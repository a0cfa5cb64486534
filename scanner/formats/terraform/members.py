"""GCP IAM members known in part: ``$member_suffixes``, the known text that ends each ``member`` / ``members`` entry.

``member = "serviceAccount:${google_project.p.number}-compute@developer.gserviceaccount.com"``
is not known before apply, but how it ends is: it names the project's
Compute Engine default service account whatever the number. Each entry of a
GCP IAM grant contributes the text after its last unknown interpolation (the
whole value when it is known); an entry that ends with an unknown part, or
is unknown altogether, contributes nothing. A suffix proves what a member
ends with, never what it does not: policies test it with ``matches``
anchored at ``$``, never with ``not_matches``.
"""

from __future__ import annotations

from typing import Any, Optional

from ...model import is_unknown
from .expressions import PartialTemplate

IAM_TYPES = frozenset(f"google_{scope}_iam_{kind}" for scope in ("project", "folder", "organization")
                      for kind in ("member", "binding"))


def add_member_suffixes(type_: str, attrs: dict[str, Any], lines: dict[str, int]) -> None:
    """Set ``$member_suffixes`` on a project, folder or organization IAM member or binding."""
    if type_ not in IAM_TYPES:
        return
    entries = [(attrs["member"], lines.get("member", 0))] if "member" in attrs else []
    if isinstance(attrs.get("members"), list):
        at = lines.get("members", 0)
        entries.extend((m, lines.get(f"members.{i}", at)) for i, m in enumerate(attrs["members"]))
    found = [(s, line) for s, line in ((_suffix(v), line) for v, line in entries) if s]
    if found:
        attrs["$member_suffixes"] = [s for s, _ in found]
        lines["$member_suffixes"] = found[0][1]
        for i, (_, line) in enumerate(found):
            lines[f"$member_suffixes.{i}"] = line


def _suffix(value: Any) -> Optional[str]:
    """The known text after the last unknown part of ``value`` (all of it when known); None when none is known."""
    if isinstance(value, str):
        return value
    if not isinstance(value, PartialTemplate):
        return None
    tail: list[str] = []
    for part in reversed(value.parts):
        if is_unknown(part) or not isinstance(part, str):
            break
        tail.append(part)
    return "".join(reversed(tail)) or None
