"""Threagile models as Threagile reads them: ``includes:`` merged in, enum values in any case, each path's file and line kept.

Threagile resolves an include relative to the file that names it, merges a
section entry named in two files key by key (lists joined, differing values
refused) and matches enum values without regard to case; current Threagile
spells two values ``end-user-...`` where older models wrote ``enduser-...``.
Each file is checked against ``threagile.schema.json`` on its own, so a
problem is reported in the file and at the line that holds it. A file that
cannot be included (missing, unreadable, outside the scanned folder, nested
more than 32 deep, a cycle) is reported at the line of its ``includes:``
entry. Unlike Threagile, a cycle is reported instead of recursing forever.
"""

from __future__ import annotations

import copy
import os
import posixpath
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional

from ...parse import ParseContext
from ...discover import is_within
from ...model import SourceFile
from ...textcodec import decode, encoding
from ...schemas import SchemaError, load_schema, validate
from ...yamlnodes import Document, YamlProblem, first_document

SCHEMA = "threagile.schema.json"
MAX_INCLUDE_BYTES = 5 * 1024 * 1024          # the largest file discovery reads
MAX_INCLUDE_DEPTH = 32                       # files including files, from the model's own file
MERGED = ("title", "data_assets", "technical_assets", "trust_boundaries",   # what riskgraph reads
          "shared_runtimes")
SPELLINGS = {"enduser-identity-propagation": "end-user-identity-propagation",
             "data-with-enduser-individual-key": "data-with-end-user-individual-key"}
Origin = tuple[str, int]                     # (relpath, line)


@dataclass
class Problem:
    """Why the model is refused: in which file, where inside it and at which line."""

    relpath: str
    error: SchemaError


@dataclass
class Model:
    """A Threagile model merged from its file and every file it includes."""

    relpath: str
    ctx: ParseContext = field(repr=False, compare=False)  # how included files are read
    value: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)   # dotted path -> (file, line)
    reads: set[str] = field(default_factory=set)                # real paths it is made of
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)          # read, but worth an info diagnostic
    versioned: bool = False                                     # its own file has threagile_version


def load_model(ctx: ParseContext, f: SourceFile, doc: Document) -> Model:
    """The model of ``f`` with its includes; ``problems`` lists every reason to refuse it."""
    model = Model(f.relpath, ctx, versioned=isinstance(doc.value, Mapping)
                  and "threagile_version" in doc.value)
    top = f.root if ctx.kind(f.root) == "dir" else os.path.dirname(f.root or f.path)
    _add(model, f.path, f.relpath, doc.value, doc.lines, [(f.path, f.relpath)],
         os.path.realpath(top))
    return model


# Keys only in the model Threagile writes after its analysis (parsed-model.yaml / .json).
OUTPUT_KEYS = ("generated_risks_by_category", "built_in_risk_categories",
               "incoming_technical_communication_links_mapped_by_target_id",
               "direct_containing_trust_boundary_mapped_by_technical_asset_id")


def written_by_threagile(doc: Any) -> str:
    """The first key that only a model Threagile wrote has ("" for a model written for Threagile).

    Threagile's parsed model also writes each asset's links as a list and its
    technologies as objects, where an input model has a mapping and names.
    """
    if not isinstance(doc, Mapping):
        return ""
    found = next((k for k in OUTPUT_KEYS if k in doc), "")
    assets = doc.get("technical_assets")
    for a in (assets.values() if isinstance(assets, Mapping) else ()):
        if found or not isinstance(a, Mapping):
            continue
        links = a.get("communication_links")
        if isinstance(links, list) and any(isinstance(k, Mapping) and "target_id" in k
                                           for k in links):
            found = "communication_links as a list"
        elif any(isinstance(t, Mapping) for t in a.get("technologies") or []
                 if isinstance(a.get("technologies"), list)):
            found = "technologies as objects"
    return found


def roots(loaded: list[tuple[SourceFile, int, Model]]) -> list[tuple[SourceFile, int, Model]]:
    """The models no other scanned model includes (a fragment is read as part of its includer).

    Of two files that include each other, one with ``threagile_version`` is the
    model and the other its fragment; when both or neither have it, both are
    kept, so their cycle is reported.
    """
    return [(f, line, m) for f, line, m in loaded
            if not any(other is not m and f.path in other.reads
                       and (g.path not in m.reads or (other.versioned and not m.versioned))
                       for g, _, other in loaded)]


def _add(model: Model, path: str, relpath: str, value: Any, lines: Mapping[str, int],
         stack: list[tuple[str, str]], top: str) -> None:
    """Check one file, merge it into ``model``, then the files it includes, in their order."""
    model.reads.add(path)
    if value is None:
        return
    model.notes.extend(Problem(relpath, SchemaError(path, message, lines.get(path)))
                       for path, message in legacy_spellings(value))
    value = normalised(value)
    errors = validate(value, SCHEMA, lines)
    model.problems.extend(Problem(relpath, e) for e in errors)
    if errors or not isinstance(value, Mapping):
        return
    for key in MERGED:
        if value.get(key) is not None:
            _merge(model, model.value, key, value[key], key, relpath, lines)
    for j, name in enumerate(value.get("includes") or []):
        where = f"includes.{j}"

        def problem(message: str, _where: str = where) -> None:
            model.problems.append(Problem(relpath, SchemaError(_where, message, lines.get(_where))))

        _include(model, path, relpath, name, stack, top, problem)


def _include(model: Model, includer: str, includer_rel: str, name: str,
             stack: list[tuple[str, str]], top: str, problem: Callable[[str], None]) -> None:
    target = os.path.realpath(os.path.join(os.path.dirname(includer), name))
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(includer_rel),
                                            name.replace(os.sep, "/")))
    if not is_within(target, top):
        return problem(f"{name!r} is outside the scanned folder; not read (scan a folder that "
                       "holds the whole model)")
    reals = [real for real, _ in stack]
    if len(stack) > MAX_INCLUDE_DEPTH:
        return problem(f"{name!r} not read: includes nest deeper than {MAX_INCLUDE_DEPTH} files")
    if target in reals:
        chain = " -> ".join(shown for _, shown in stack[reals.index(target):])
        return problem(f"{name!r} closes a cycle of includes ({chain} -> {rel})")
    if target in model.reads:
        return  # already merged through another include: merging it twice changes nothing
    loaded = _read(model.ctx, target)
    if isinstance(loaded, str):
        return problem(f"{name!r} {loaded}")
    if isinstance(loaded, YamlProblem):
        model.reads.add(target)
        model.problems.append(Problem(rel, SchemaError("", loaded.message, loaded.line)))
        return None
    if loaded is not None and not isinstance(loaded.value, (Mapping, type(None))):
        return problem(f"{name!r} is not a YAML mapping")
    if loaded is None:
        model.reads.add(target)
        return None
    _add(model, target, rel, loaded.value, loaded.lines, stack + [(target, rel)], top)
    return None


def _read(ctx: ParseContext, path: str) -> Document | YamlProblem | str | None:
    """The first YAML document of an included file, or why it cannot be read (a sentence)."""
    kind = ctx.kind(path)
    if kind != "file":
        return "is not a regular file; not read" if kind else "cannot be read: No such file or directory"
    try:
        data = ctx.read(path, MAX_INCLUDE_BYTES + 1)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if len(data) > MAX_INCLUDE_BYTES:
        return f"is larger than {MAX_INCLUDE_BYTES // (1024 * 1024)} MiB; not read"
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return f"is not valid {encoding(data).upper()}; not read"
    return first_document(text)


def _merge(model: Model, container: dict[str, Any], key: str, new: Any, path: str,
           relpath: str, lines: Mapping[str, int]) -> None:
    """Merge ``new`` (from ``relpath``) into ``container[key]`` as Threagile merges includes."""
    have = container.get(key)
    if have is None or have == "":
        container[key] = copy.deepcopy(new)
        _adopt(model.origins, new, path, path, relpath, lines)
    elif isinstance(have, dict) and isinstance(new, Mapping):
        for k, v in new.items():
            _merge(model, have, k, v, f"{path}.{k}", relpath, lines)
    elif isinstance(have, list) and isinstance(new, list):
        present = {repr(item) for item in have}
        for j, item in enumerate(new):
            if repr(item) not in present:
                present.add(repr(item))
                _adopt(model.origins, item, f"{path}.{j}", f"{path}.{len(have)}", relpath, lines)
                have.append(copy.deepcopy(item))
    elif isinstance(have, bool) and isinstance(new, bool):
        container[key] = have or new                      # a flag set in either file is set
    elif new not in (None, "") and not _same(have, new):
        first = model.origins.get(path)
        where = f" in {first[0]} line {first[1]}" if first else ""
        model.problems.append(Problem(relpath, SchemaError(
            path, f"{new!r} conflicts with {have!r}{where}", lines.get(path))))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b)


def _adopt(origins: dict[str, Origin], value: Any, src: str, dst: str, relpath: str,
           lines: Mapping[str, int]) -> None:
    """Record the file and line of ``value`` and everything inside it, now at ``dst``."""
    line = lines.get(src)
    if line is not None:
        origins.setdefault(dst, (relpath, line))
    if isinstance(value, Mapping):
        for k, v in value.items():
            _adopt(origins, v, f"{src}.{k}", f"{dst}.{k}", relpath, lines)
    elif isinstance(value, list):
        for j, v in enumerate(value):
            _adopt(origins, v, f"{src}.{j}", f"{dst}.{j}", relpath, lines)


def legacy_spellings(doc: Any) -> list[tuple[str, str]]:
    """(path, message) for each value written in a spelling current Threagile renamed."""
    found = []
    assets = doc.get("technical_assets") if isinstance(doc, Mapping) else None
    for name, a in (assets.items() if isinstance(assets, Mapping) else ()):
        if not isinstance(a, Mapping):
            continue
        values = [(f"technical_assets.{name}.encryption", a.get("encryption"))]
        links = a.get("communication_links")
        for link_name, link in (links.items() if isinstance(links, Mapping) else ()):
            if isinstance(link, Mapping):
                values.append((f"technical_assets.{name}.communication_links.{link_name}"
                               ".authorization", link.get("authorization")))
        for path, value in values:
            if isinstance(value, str) and value.lower() in SPELLINGS:
                found.append((path, f"{value!r} is the older spelling of "
                                    f"{SPELLINGS[value.lower()]!r}; read as that"))
    return found


def normalised(doc: Any) -> Any:
    """A copy of ``doc`` with enum values in Threagile's case and current spelling.

    A value that matches no accepted value is left as written, so the schema
    error quotes it. Protocols and technologies (no enum here) are lower-cased,
    and so are the ids in ``technical_assets_inside``, as Threagile does.
    """
    if not isinstance(doc, Mapping):
        return doc
    out = dict(doc)
    for section, fix in (("data_assets", _fix_data), ("technical_assets", _fix_asset),
                         ("trust_boundaries", _fix_boundary)):
        entries = doc.get(section)
        if isinstance(entries, Mapping):
            out[section] = {k: fix(dict(v)) if isinstance(v, Mapping) else v
                            for k, v in entries.items()}
    return out


def _fix_data(d: dict[str, Any]) -> dict[str, Any]:
    for key in ("confidentiality", "integrity", "availability"):
        _enum(d, key, "data_asset")
    return d


def _fix_asset(a: dict[str, Any]) -> dict[str, Any]:
    for key in ("type", "encryption", "confidentiality", "integrity", "availability"):
        _enum(a, key, "technical_asset")
    _lower(a, "technology")
    links = a.get("communication_links")
    if isinstance(links, Mapping):
        a["communication_links"] = {k: _fix_link(dict(v)) if isinstance(v, Mapping) else v
                                    for k, v in links.items()}
    return a


def _fix_link(link: dict[str, Any]) -> dict[str, Any]:
    for key in ("authentication", "authorization"):
        _enum(link, key, "link")
    _lower(link, "protocol")
    return link


def _fix_boundary(b: dict[str, Any]) -> dict[str, Any]:
    _enum(b, "type", "trust_boundary")
    inside = b.get("technical_assets_inside")
    if isinstance(inside, list):
        b["technical_assets_inside"] = [i.lower() if isinstance(i, str) else i for i in inside]
    return b


def _lower(element: dict[str, Any], key: str) -> None:
    if isinstance(element.get(key), str):
        element[key] = element[key].lower()


def _enum(element: dict[str, Any], key: str, definition: str) -> None:
    value = element.get(key)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _accepted(definition, key):
            element[key] = SPELLINGS.get(lowered, lowered)


@lru_cache(maxsize=None)
def _accepted(definition: str, key: str) -> frozenset[str]:
    """The values ``threagile.schema.json`` accepts for ``key`` of a ``definition``."""
    defs = load_schema(SCHEMA)["$defs"]
    prop: Optional[Mapping[str, Any]] = defs[definition]["properties"][key]
    while prop is not None and "$ref" in prop:
        prop = defs[prop["$ref"].rsplit("/", 1)[1]]
    return frozenset((prop or {}).get("enum", ()))
