"""Load policy files strictly: validate against the schema, compile, refuse anything wrong with its path."""

from __future__ import annotations

import contextlib
import difflib
import os
from typing import Any, Iterable, Mapping, Optional

from ..cache import ParseCache, scan_cache
from ..model import Policy, PolicyMeta, Severity, line_at
from ..yamlnodes import YamlProblem, iter_documents
from ..schemas import load_schema, validate
from . import cache as policy_cache
from .checkov import DialectError, is_checkov_document, translate, with_leaf_evidence
from .compiler import CompileError, Compiler, expand_types

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PolicyError(Exception):
    """A policy file that cannot be used; names the file, the path inside it and the line."""

    def __init__(self, file: str, where: str, message: str, line: Optional[int] = None) -> None:
        self.file, self.where, self.line, self.message = file, where, line, message
        loc = f"{file}:{line}" if line else file
        super().__init__(f"{loc}: policy refused: at {where or '(top level)'}: {message}")


def builtin_policy_dir() -> str:
    """Where the built-in policies are: inside the installed wheel, or the source checkout's ``policies/``."""
    shipped = os.path.join(_PACKAGE_DIR, "_policies")
    if os.path.isdir(shipped):
        return shipped
    return os.path.join(os.path.dirname(_PACKAGE_DIR), "policies")


def policy_files(directory: str) -> list[str]:
    """Every ``*.yaml`` / ``*.yml`` below ``directory``, sorted; its ``fixtures/`` (the `policies test` layout) excluded."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == directory and d == "fixtures"))
        found.extend(os.path.join(dirpath, n) for n in sorted(filenames)
                     if n.endswith((".yaml", ".yml")))
    return found


def load_policies(directories: Iterable[str] = (), *, builtin: bool = True,
                  only: Iterable[str] = (), skip: Iterable[str] = (),
                  parameters: Optional[Mapping[str, Mapping[str, Any]]] = None,
                  cache: bool = True) -> list[Policy]:
    """Load built-in and extra policies; raises :class:`PolicyError` on the first bad file.

    ``parameters`` overrides policy parameters: ``{"RG-AWS-001": {"admin_ports": [22]}}``.
    Duplicate ids are an error, never a silent replacement. With ``cache``,
    unchanged files that validated before skip parsing and schema validation
    (their documents are entries of the parse cache: :mod:`scanner.policy.cache`).
    """
    dirs = ([builtin_policy_dir()] if builtin else []) + list(directories)
    only_set, skip_set = set(only), set(skip)
    policies: dict[str, Policy] = {}
    with scan_cache() if cache else contextlib.nullcontext() as store:
        for directory in dirs:
            if not os.path.isdir(directory):
                raise PolicyError(directory, "", "policy directory does not exist")
            for path in policy_files(directory):
                policy = load_policy_file(path, (parameters or {}), store)
                if policy.id in policies:
                    raise PolicyError(path, "id", f"duplicate policy id {policy.id!r} "
                                      f"(also in {policies[policy.id].meta.source_path})")
                policies[policy.id] = policy
    _check_parameter_targets(parameters or {}, policies, complete=builtin)
    return [p for pid, p in sorted(policies.items())
            if (not only_set or pid in only_set) and pid not in skip_set]


def _check_parameter_targets(parameters: Mapping[str, Any], policies: Mapping[str, Policy],
                             complete: bool) -> None:
    """Configured parameters must reach a policy: a misspelt id is an error, not a silent no-op."""
    for pid in sorted(parameters):
        policy = policies.get(pid)
        if policy is None and complete:
            close = difflib.get_close_matches(pid, list(policies), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PolicyError("configuration", f"parameters.{pid}", f"no policy {pid!r}{hint}")
        if policy is not None and policy.meta.category == "checkov" and parameters[pid]:
            raise PolicyError("configuration", f"parameters.{pid}",
                              f"{pid} is a checkov-format policy; those take no parameters")


def load_policy_file(path: str, parameters: Mapping[str, Mapping[str, Any]] | None = None,
                     cache: Optional[ParseCache] = None) -> Policy:
    """Read, validate and compile one policy file (validated documents come from ``cache`` when unchanged)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise PolicyError(path, "", f"cannot read: {exc}") from None
    key, cached = policy_cache.lookup(cache, raw) if cache is not None else ("", None)
    if cached is not None:
        data, lines = cached
    else:
        data, lines = _read_document(path, raw)
    if is_checkov_document(data):
        policy = policy_from_checkov(data, lines, path)
    else:
        policy = policy_from_document(data, lines, path, parameters or {}, validated=cached is not None)
    if cache is not None and cached is None:
        policy_cache.store(cache, key, data, lines)
    return policy


def _read_document(path: str, raw: bytes) -> tuple[Any, dict[str, int]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(path, "", f"cannot read: {exc}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as reading in text mode did
    docs = list(iter_documents(text))
    if len(docs) != 1:
        raise PolicyError(path, "", "a policy file holds exactly one YAML document")
    doc = docs[0]
    if isinstance(doc, YamlProblem):
        raise PolicyError(path, "", doc.message, doc.line)
    return doc.value, doc.lines


def policy_from_checkov(data: Mapping[str, Any], lines: Mapping[str, int], path: str) -> Policy:
    """Translate and compile a policy written in checkov's YAML dialect."""
    try:
        meta, condition, leaves = translate(data, path)
        compiler = Compiler({})
        check = with_leaf_evidence(compiler.compile(condition),
                                   [(attribute, compiler.compile(leaf)) for attribute, leaf in leaves])
    except (DialectError, CompileError) as exc:
        dotted = exc.where.replace("[", ".").replace("]", "")
        raise PolicyError(path, exc.where, str(exc), _line(lines, dotted)) from None
    return Policy(meta=meta, check=check, on_unknown="pass",
                  condition={"all": [condition, *(leaf for _, leaf in leaves)]})


def policy_from_document(data: Any, lines: Mapping[str, int], path: str,
                         parameters: Mapping[str, Mapping[str, Any]], *, validated: bool = False) -> Policy:
    """Validate (unless ``validated`` already) and compile a parsed policy document."""
    if not validated:
        if isinstance(data, dict) and "condition" in data:
            _refuse_unknown_operators(data["condition"], "condition", lines, path)
        errors = validate(data, "policy.schema.json", lines)
        if errors:
            first = errors[0]
            raise PolicyError(path, first.path, first.message, first.line)
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem != data["id"]:
        raise PolicyError(path, "id", f"id {data['id']!r} does not match the file name {stem!r}",
                          lines.get("id"))
    declared = {k: v["default"] for k, v in (data.get("parameters") or {}).items()}
    overrides = dict(parameters.get(data["id"], {}))
    unknown = set(overrides) - set(declared)
    if unknown:
        raise PolicyError(path, "parameters", f"configuration sets undeclared parameters {sorted(unknown)}")
    declared.update(overrides)
    try:
        check = Compiler(declared).compile(data["condition"])
    except CompileError as exc:
        dotted = exc.where.replace("[", ".").replace("]", "")
        raise PolicyError(path, exc.where, str(exc), _line(lines, dotted)) from None
    frameworks = {k: tuple(str(x) for x in v) for k, v in (data.get("frameworks") or {}).items()}
    meta = PolicyMeta(
        id=data["id"], title=data["title"], severity=Severity(data["severity"]),
        description=data["description"].strip(), rationale=(data.get("rationale") or "").strip(),
        remediation=data["remediation"].strip(), references=tuple(data.get("references") or ()),
        frameworks=frameworks, cwe=tuple(data.get("cwe") or ()),
        resource_types=tuple(sorted(expand_types(data["resource"]))),
        checkov_ids=tuple(data.get("checkov") or ()), source_path=path,
        category=data.get("category") or os.path.basename(os.path.dirname(path)))
    return Policy(meta=meta, check=check, on_unknown=data.get("on_unknown", "pass"),
                  message=data.get("message") or "", secret=bool(data.get("secret")),
                  layer=data.get("layer") or "", condition=data["condition"])


def _line(lines: Mapping[str, int], dotted: str) -> Optional[int]:
    return line_at(lines, dotted) or None  # a policy file's lines start at 1



def attribute_operators() -> list[str]:
    """Every operator an attribute test may use, as the schema defines them."""
    props = load_schema("policy.schema.json")["$defs"]["attribute"]["properties"]
    return sorted(k for k in props if k not in ("path", "match"))


def _refuse_unknown_operators(node: Any, where: str, lines: Mapping[str, int], path: str) -> None:
    """Name a misspelt operator precisely; the schema's own message for it ("not valid under any") is vague."""
    if isinstance(node, list):
        for i, child in enumerate(node):
            _refuse_unknown_operators(child, f"{where}[{i}]", lines, path)
        return
    if not isinstance(node, dict):
        return
    if "path" in node:
        known = attribute_operators()
        for key in node:
            if key not in known and key not in ("path", "match"):
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
                dotted = f"{where}.{key}".replace("[", ".").replace("]", "")
                raise PolicyError(path, f"{where}.{key}", f"unknown operator {key!r}{hint}", _line(lines, dotted))
    for key, child in node.items():
        if isinstance(child, (dict, list)) and key not in ("in", "not_in", "equals", "not_equals",
                                                            "contains", "not_contains", "iam_statement"):
            _refuse_unknown_operators(child, f"{where}.{key}", lines, path)
