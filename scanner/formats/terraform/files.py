"""file(), fileexists() and templatefile(): files inside the scanned root read (never outside it, never executed), through the parse context.

A relative path is relative to the root module's directory, as Terraform
resolves it from its working directory (code writes ``"${path.module}/x"``
to mean its own directory). The target, with links resolved, must be a
regular file under the scanned root and at most ``MAX_BYTES``; anything else
is unknown, with an info diagnostic ``file-not-read`` saying why, once per
path. Files are read through the parse context, so a stored result notices when
one changes (scanner/rescan.py).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Optional

from ...discover import is_within
from ...model import Diagnostic, Unknown, is_unknown
from ...parse import ParseContext
from .values import Invalid

MAX_BYTES = 1 << 20
_MARKER = "RIGRAPH_TEMPLATE_END"


class FileAccess:
    """What ``file()`` may read for one root module: the scanned root, and the directory relative paths start from."""

    def __init__(self, ctx: ParseContext, root: str, cwd: str, diagnostics: list[Diagnostic], shown: str) -> None:
        self.ctx = ctx
        self.root = os.path.realpath(root)
        self.cwd = cwd
        self.diagnostics = diagnostics
        self.shown = shown  # the root module's directory as reports show it
        self._noted: set[str] = set()

    def read(self, path: Any) -> Any:
        """The text of ``path``, or Unknown (outside the root, not a regular file, too large), or Invalid (not UTF-8)."""
        if is_unknown(path):
            return Unknown("file() path not known")
        if not isinstance(path, str):
            return Invalid("file() path is not a string")
        target = os.path.realpath(os.path.join(self.cwd, path))
        if not is_within(target, self.root):
            return self._refuse(path, "lies outside the scanned root")
        kind = self.ctx.kind(target)
        if not kind:
            return Invalid(f"file({path!r}) does not exist")
        if kind != "file":
            return self._refuse(path, "is not a regular file")
        try:
            data = self.ctx.read(target, MAX_BYTES + 1)
        except OSError:
            return self._refuse(path, "cannot be read")
        if len(data) > MAX_BYTES:
            return self._refuse(path, f"is larger than {MAX_BYTES} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return Invalid(f"file({path!r}) is not UTF-8 text")

    def exists(self, path: Any) -> Any:
        """``fileexists()``: true or false for a path inside the root; unknown outside it."""
        if is_unknown(path) or not isinstance(path, str):
            return Unknown("fileexists() path not known")
        target = os.path.realpath(os.path.join(self.cwd, path))
        if not is_within(target, self.root):
            return self._refuse(path, "lies outside the scanned root")
        return self.ctx.kind(target) == "file"

    def _refuse(self, path: str, why: str) -> Unknown:
        if path not in self._noted:
            self._noted.add(path)
            self.diagnostics.append(Diagnostic(
                "file-not-read", f"{path!r} {why}: not read, its value is unknown", self.shown,
                level="info"))
        return Unknown(f"file {path!r} not read")


@lru_cache(maxsize=256)
def template_expr(text: str) -> Optional[tuple[Any, bool]]:
    """A template file's text as (template expression, whether it ends in a newline); None when it does not parse.

    Interpolations are kept; ``%{if}`` / ``%{for}`` directives are unknown
    parts (the literal text around them stays known).
    """
    from .syntax import parse_hcl

    marker = _MARKER
    while marker in text:
        marker += "_"
    body = text if text.endswith("\n") else text + "\n"
    parsed = parse_hcl(f"v = <<{marker}\n{body}{marker}\n".encode("utf-8"), "<template>")
    attr = parsed.attributes.get("v")
    return None if attr is None or parsed.diagnostics else (attr.expr, text.endswith("\n"))
