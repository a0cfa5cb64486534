"""Terraform JSON syntax (`.tf.json`, `.tfvars.json`) mapped onto the same Block / Attribute / Expr AST as HCL.

Strings are templates: ``"${var.x}"`` is parsed by the HCL parser, so a JSON
file means exactly what the equivalent `.tf` means. JSON cannot tell a nested
block from an attribute holding an object without the provider schema, so:
an array of objects is read as repeated blocks (the value is the same list of
objects either way); a single object is a block when its key is a well-known
block name (``ingress``, ``statement``, ``dynamic``...), otherwise an attribute.
Keys named ``//`` are comments, as in Terraform.
"""

from __future__ import annotations

from typing import Any, Union

from ...model import Diagnostic
from .jsonlines import JsonError, Positions, loads
from .syntax import Attribute, Block, Expr, HclFile, Lit, ObjectE, Opaque, TupleE, parse_hcl

# Nested block names that are usually written as a single JSON object.
KNOWN_BLOCKS = frozenset({
    "dynamic", "content", "lifecycle", "provisioner", "connection", "ingress", "egress",
    "statement", "principals", "not_principals", "condition", "versioning", "logging",
    "server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default",
    "inline_policy", "root_block_device", "ebs_block_device", "metadata_options", "vpc_config",
    "encryption_config", "default_action", "access_logs", "network_rules", "security_rule",
    "site_config", "identity", "settings", "ip_configuration", "authorized_networks",
    "backup_configuration", "allow", "deny", "master_auth", "private_cluster_config",
    "filter", "route", "origin", "default_cache_behavior", "viewer_certificate", "tags_all_block",
})
# Top-level block types: how many labels each takes.
LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1,
          "terraform": 0, "locals": 0, "moved": 0, "import": 0, "check": 1, "removed": 0}
LITERAL_KEYS = frozenset({"type", "description", "source", "version"})


def parse_json_config(text: str, path: str, *, tfvars: bool = False) -> HclFile:
    """Parse a `.tf.json` (or `.tfvars.json` with ``tfvars=True``) file into an :class:`HclFile`."""
    result = HclFile(path)
    try:
        value, pos = loads(text)
    except JsonError as exc:
        result.diagnostics.append(Diagnostic("json-syntax", f"JSON syntax error: {exc}", path, exc.line))
        return result
    if not isinstance(value, dict):
        result.diagnostics.append(Diagnostic(
            "json-syntax", "Terraform JSON must be an object at the top level", path, 1))
        return result
    conv = _Converter(pos, path, result.diagnostics)
    if tfvars:
        for key, v in value.items():
            line = pos.key_line(value, key)
            result.attributes[key] = Attribute(key, conv.literal(v, line), line, line)
        return result
    for btype, content in value.items():
        if btype == "//":
            continue
        if btype not in LABELS:
            result.diagnostics.append(Diagnostic(
                "tf-json-unknown-block", f"unknown top-level key {btype!r}; ignored", path,
                pos.key_line(value, btype), level="warning"))
            continue
        line = pos.key_line(value, btype)
        result.blocks.extend(conv.labelled(btype, [], content, LABELS[btype], line))
    return result


class _Converter:
    """Turns decoded JSON values with their positions into blocks and expressions."""

    def __init__(self, pos: Positions, path: str, diagnostics: list[Diagnostic]) -> None:
        self.pos = pos
        self.path = path
        self.diagnostics = diagnostics

    def labelled(self, btype: str, labels: list[str], content: Any, remaining: int,
                 line: int) -> list[Block]:
        """Blocks of ``btype`` under ``remaining`` levels of label objects (arrays allowed at each level)."""
        if isinstance(content, list):
            return [b for i, item in enumerate(content)
                    for b in self.labelled(btype, labels, item, remaining,
                                           self.pos.item_line(content, i, line))]
        if not isinstance(content, dict):
            self.diagnostics.append(Diagnostic(
                "tf-json-shape", f"{btype} {' '.join(labels)}: expected an object", self.path, line))
            return []
        if remaining == 0:
            return [self.body(btype, labels, content, self.pos.line(content, line))]
        blocks: list[Block] = []
        for key, sub in content.items():
            if key == "//":
                continue
            blocks.extend(self.labelled(btype, [*labels, key], sub, remaining - 1,
                                        self.pos.key_line(content, key, line)))
        return blocks

    def body(self, btype: str, labels: list[str], obj: dict[str, Any], start: int) -> Block:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        end = start
        for key, v in obj.items():
            if key == "//":
                continue
            line = self.pos.key_line(obj, key, start)
            end = max(end, line)
            if btype == "variable" and key == "default" or key in LITERAL_KEYS and btype in (
                    "variable", "module", "output"):
                attributes[key] = Attribute(key, self.literal(v, line), line, line)
            elif key == "dynamic" and isinstance(v, dict):
                blocks.extend(self.labelled("dynamic", [], v, 1, line))
            elif self._is_block(key, v) and btype != "locals":
                items = v if isinstance(v, list) else [v]
                for i, item in enumerate(items):
                    item_line = self.pos.line(item, self.pos.item_line(v, i, line)) \
                        if isinstance(v, list) else self.pos.line(item, line)
                    blocks.append(self.body(key, [], item, item_line))
            else:
                attributes[key] = Attribute(key, self.expr(v, line), line, line)
        return Block(btype, labels, attributes, blocks, start, end)

    @staticmethod
    def _is_block(key: str, v: Any) -> bool:
        if isinstance(v, list):
            return bool(v) and all(isinstance(x, dict) for x in v) and key not in ("tags",)
        return isinstance(v, dict) and key in KNOWN_BLOCKS

    def expr(self, v: Any, line: int) -> Expr:
        """A JSON value as an expression: strings are templates."""
        if isinstance(v, str):
            return self.template(v, line) if ("${" in v or "%{" in v) else Lit(v, line)
        if isinstance(v, list):
            return TupleE([self.expr(x, self.pos.item_line(v, i, line)) for i, x in enumerate(v)],
                          line)
        if isinstance(v, dict):
            items: list[tuple[Expr, Expr]] = []
            for k, x in v.items():
                kl = self.pos.key_line(v, k, line)
                items.append((self.expr(k, kl), self.expr(x, kl)))
            return ObjectE(items, self.pos.line(v, line))
        return Lit(v, line)

    def literal(self, v: Any, line: int) -> Expr:
        """A JSON value taken literally (variable defaults, tfvars values)."""
        if isinstance(v, list):
            return TupleE([self.literal(x, self.pos.item_line(v, i, line)) for i, x in enumerate(v)],
                          line)
        if isinstance(v, dict):
            return ObjectE([(Lit(k, line), self.literal(x, self.pos.key_line(v, k, line)))
                            for k, x in v.items()], self.pos.line(v, line))
        return Lit(v, line)

    def template(self, text: str, line: int) -> Expr:
        """Parse a JSON string as an HCL template, with every node on the string's line."""
        parsed = parse_hcl(f'v = "{_quoted(text)}"\n'.encode("utf-8"), self.path)
        attr = parsed.attributes.get("v")
        if attr is None or parsed.diagnostics:
            self.diagnostics.append(Diagnostic(
                "tf-json-template", "cannot parse this string template; value left unknown",
                self.path, line, level="warning"))
            return Opaque("unparseable template", line)
        return _relined(attr.expr, line)


_ESCAPE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _quoted(text: str) -> str:
    """The body of an HCL quoted template meaning ``text``: literal parts escaped, ``${...}`` kept verbatim."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i:i + 3])
            i += 3
        elif text.startswith(("${", "%{"), i):
            end = _closing_brace(text, i + 2)
            out.append(text[i:end])
            i = end
        else:
            out.append(_ESCAPE.get(text[i], text[i]))
            i += 1
    return "".join(out)


def _closing_brace(text: str, i: int) -> int:
    """Index just past the ``}`` closing an interpolation opened before ``i`` (quotes and nesting respected)."""
    depth, quote = 1, False
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _relined(expr: Any, line: int) -> Any:
    """Set ``line`` on every node of an expression parsed from a one-line snippet."""
    stack: list[Union[Expr, list, tuple]] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Expr):
            node.line = line
            for cls in type(node).__mro__:
                for slot in getattr(cls, "__slots__", ()):
                    if slot != "line":
                        stack.append(getattr(node, slot))
        elif isinstance(node, (list, tuple)):
            stack.extend(x for x in node if isinstance(x, (Expr, list, tuple)))
    return expr
