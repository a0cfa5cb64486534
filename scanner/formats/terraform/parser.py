"""Terraform parser: `.tf` / `.tf.json` files and tfvars, resolved module by module."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Mapping, NamedTuple, Optional

from ...model import Diagnostic, Resource, SourceFile
from ...parse import ParseContext, ParseOptions, Parsed, Part
from ...textcodec import encoding, error_line
from .expressions import Scope, evaluate
from .files import FileAccess
from .jsonsyntax import parse_json_config
from .k8s_resources import assign_units
from .module import ModuleEvaluator, ModuleSource, group_blocks
from .plans import mismatch, plans_in, read_plan
from .requirements import locked, workspace
from .sources import is_local
from .syntax import Block, Call, HclFile, Traversal, parse_hcl

BINARY_SNIFF = 8192


def read_source(ctx: ParseContext, path: str, relpath: str,
                marked: bool = False) -> tuple[Optional[bytes], Optional[Diagnostic]]:
    """The bytes of a file, or a diagnostic saying why it cannot be used.

    Terraform reads its language as UTF-8 only; with ``marked`` (JSON), a
    byte-order mark may say the text is UTF-16 or UTF-32 (scanner/textcodec.py).
    """
    try:
        data = ctx.read(path)
    except OSError as exc:
        return None, Diagnostic("unreadable", f"cannot read file: {exc.strerror}", relpath)
    name = encoding(data) if marked else "utf-8"
    if name == "utf-8" and b"\0" in data[:BINARY_SNIFF]:
        return None, Diagnostic("binary-file", "file looks binary (NUL bytes); skipped", relpath)
    try:
        data.decode(name)
    except UnicodeDecodeError as exc:
        return None, Diagnostic("invalid-utf8", f"file is not valid {name.upper()}; skipped", relpath,
                                error_line(data, exc))
    return data, None


class _Loader:
    """Parses each `.tf` file once and groups a directory's files into a module."""

    def __init__(self, ctx: ParseContext, anchor_of: dict[str, str], diagnostics: list[Diagnostic],
                 base: str = "") -> None:
        self.ctx = ctx
        self.files: dict[str, HclFile] = {}
        self.modules: dict[str, Optional[ModuleSource]] = {}
        self.anchor_of = anchor_of  # directory (real) -> the relpath prefix to show
        self.base = base            # the directory relpaths are relative to
        self.known: dict[str, list[tuple[str, str]]] = {}  # real dir -> discovered (path, relpath)
        self.diagnostics = diagnostics
        self._real: dict[str, str] = {}
        self.files_of: dict[str, list[tuple[str, str]]] = {}  # real dir -> the files its module is made of
        self.asked: Optional[list[str]] = None  # while set: every module directory asked for (real)
        self.calls: dict[str, tuple[str, ...]] = {}  # directory -> the local modules it calls (_calls)

    def real(self, path: str) -> str:
        """``os.path.realpath(path)``, remembered: it costs an ``lstat`` per path component."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = os.path.realpath(path)
        return found

    def hcl(self, path: str, relpath: str) -> Optional[HclFile]:
        if path in self.files:
            return self.files[path]
        data, problem = read_source(self.ctx, path, relpath)
        if problem is not None:
            self.diagnostics.append(problem)
            self.files[path] = None  # type: ignore[assignment]
            return None
        source = data or b""
        name = _memo_name(path)
        if name != "hcl":
            tfvars = name == "tfvars-json"
            parsed = self.ctx.memo(name, source, lambda: _parse_json(source, relpath, tfvars), relpath)
        else:
            parsed = self.ctx.memo("hcl", source, lambda: parse_hcl(source, relpath, at_once=self.ctx.at_once), relpath,
                                   keep=lambda f: self.ctx.stable(f.diagnostics))
        self.diagnostics.extend(parsed.diagnostics)
        self.files[path] = parsed
        return parsed

    def module(self, directory: str) -> Optional[ModuleSource]:
        """The module in ``directory``: the files discovery chose there, else its plain `.tf` files.

        A directory the scan did not cover (a module outside the scanned
        root, a downloaded module) is listed directly, keeping regular files
        only: no symbolic links, pipes or devices.
        """
        real = self.real(directory)
        if self.asked is not None:
            self.asked.append(real)
        if real in self.modules:
            return self.modules[real]
        files = self.known.get(real)
        if files is None:
            files = [(os.path.join(real, n), _join(self.relative(real), n))
                     for n in _plain_tf_files(self.ctx, real)]
        self.files_of[real] = files
        parsed = [self.hcl(path, relpath) for path, relpath in files]
        src = (group_blocks(directory, real, [p for p in parsed if p is not None], self.diagnostics)
               if files else None)
        self.modules[real] = src
        return src

    def relative(self, real: str) -> str:
        """A directory no scanned file lives in (a module outside the scan, a downloaded module)."""
        if not self.base:
            return real
        return os.path.relpath(real, self.base).replace(os.sep, "/")


def _parse_json(data: bytes, relpath: str, tfvars: bool) -> HclFile:
    try:
        return parse_json_config(data.decode("utf-8", "replace"), relpath, tfvars=tfvars)
    except RecursionError:
        return HclFile(relpath, diagnostics=[Diagnostic(
            "json-too-deep", "JSON nested too deeply to read; skipped", relpath, 1)])


TF_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")


def _plain_tf_files(ctx: ParseContext, directory: str) -> list[str]:
    """Names of the regular (not linked, not special) Terraform files in ``directory``, as OpenTofu reads them."""
    names = [n for n in ctx.listdir(directory) if n.endswith(TF_SUFFIXES)]
    hidden = shadowed_by_tofu(names)
    return [n for n in names if n not in hidden]


def shadowed_by_tofu(names: list[str]) -> set[str]:
    """The names OpenTofu does not read: ``x.tf`` when ``x.tofu`` is beside it (``x.tf.json`` / ``x.tofu.json`` alike)."""
    present = set(names)
    return {n for n in names if tofu_name(n) in present}


def tofu_name(name: str) -> str:
    """``x.tofu`` for ``x.tf``, ``x.tofu.json`` for ``x.tf.json``; '' for any other name."""
    if name.endswith(".tf"):
        return name[:-3] + ".tofu"
    if name.endswith(".tf.json"):
        return name[:-8] + ".tofu.json"
    return ""




def _planned(directory: str, loader: "_Loader", out: Parsed) -> bool:
    """True when a scanned plan JSON beside the root module in ``directory`` is its plan (plans.py).

    The plan parser then reads this root (values from the plan, lines from
    the `.tf` files); an info diagnostic says which way each plan was taken.
    """
    real = loader.real(directory)
    here = plans_in(real, loader.ctx.options.plans)
    src = loader.module(directory)
    if not here or src is None:
        return False
    why = {p: mismatch(read_plan(p, loader.ctx.read), src) for p in here}
    owner = next((p for p in here if not why[p]), None)
    rel_dir = loader.anchor_of.get(real, loader.relative(real))
    for plan in here:
        if plan == owner:
            message = ("the plan of the .tf files beside it: their resources are read from this plan "
                       "(values), with lines from the .tf files")
        else:
            message = f"not the plan of the .tf files beside it ({why[plan]}): both are scanned"
        out.diagnostics.append(Diagnostic("plan-root", message, _join(rel_dir, os.path.basename(plan)),
                                          level="info"))
    return owner is not None


def _join(rel_dir: str, name: str) -> str:
    return name if rel_dir in ("", ".") else f"{rel_dir}/{name}"


def parse(files: list[SourceFile], ctx: ParseContext) -> Parsed:
    """Evaluate every root module found among ``files``, then any module directory no root instantiated.

    A directory called as a local module by another scanned directory is not
    a root; but when no evaluated caller creates an instance of it (a wrapper
    with ``for_each = {}``, a module only examples would call), it is still
    scanned on its own, with its defaults, so no code goes unchecked.
    Addresses are Terraform's, per root module; when two roots produce the
    same address, every address of those roots is prefixed with the root's
    directory (``examples/complete:aws_vpc.this``) so they stay distinct nodes.

    Each evaluated root is a :class:`~scanner.parse.Part` of the result,
    which :func:`reparse` can evaluate again alone after an edit.
    """
    out = Parsed()
    loader, tf_dirs, tfvars = load_files(ctx, files, out)
    instantiated: set[str] = set()
    results: list[tuple[str, list[Resource]]] = []
    records: list[RootResult] = []  # per result: what it read, instantiated and gave, and whether it stood alone
    pending = root_modules(loader, tf_dirs)
    rest = [d for d in sorted(tf_dirs) if d not in pending]
    planned = False
    while pending:
        for directory in pending:
            if loader.real(directory) in instantiated:
                continue
            if _planned(directory, loader, out):  # the plan parser reads this root
                evaluate_root(directory, loader, tfvars.get(directory, []), Parsed(), instantiated)
                planned = True
                continue
            result = _root(directory, loader, tfvars.get(directory, []), out)
            instantiated |= result.instantiated
            results.append((directory, result.resources))
            records.append(result)
        rest = [d for d in rest if loader.real(d) not in instantiated]
        pending = root_modules(loader, rest) or rest[:1]
        rest = [d for d in rest if d not in pending]
    merged, clashing = _distinct(results, loader)
    out.resources.extend(merged)
    if not planned:  # a plan's root is read by the plan parser too: no part stands alone
        out.parts = []
        start = 0
        for i, ((directory, resources), result) in enumerate(zip(results, records)):
            addresses = tuple(r.address for r in merged[start:start + len(resources)])
            start += len(resources)
            label = _label(directory, loader) if i in clashing else ""
            out.parts.append(Part(directory, addresses, result.reads, result.alone,
                                  (tuple(sorted(result.instantiated)), label, result.gave), _label(directory, loader)))
        out.state = {loader.real(d): _calls(loader, d) for d in tf_dirs}
    return out


def reparse(files: list[SourceFile], ctx: ParseContext, changed: Mapping[str, tuple[str, str]],
            parts: list[Part], state: Any) -> Optional[list[Optional[list[Resource]]]]:
    """``parts`` (roots of an earlier :func:`parse` of these files) evaluated again after the files
    ``changed`` (path -> fingerprints of its bytes before and now) were edited.

    None when an edit may change more than those roots: an edited file
    parses with a problem now or did before, a changed directory calls other
    local modules than it did (which directories are roots), a root gives
    other diagnostics than it gave, or instantiates other directories (which
    directories are scanned alone). Otherwise each part's resources, as
    :func:`parse` would give them; None for a part that read no file whose
    parse changed (an edit of comments or blanks parses the same: the stored
    parses of the file before and now have the same fingerprint).
    """
    out = Parsed()
    loader, _tf_dirs, tfvars = load_files(ctx, files, out)
    if not isinstance(state, dict):
        return None
    relpaths = {f.path: f.relpath for f in files}
    different: set[str] = set()
    for path, (was, now) in changed.items():
        same = _parses_the_same(loader, path, relpaths.get(path, path), was, now)
        if same is None:
            return None
        if not same:
            different.add(path)
    for directory in sorted({os.path.dirname(path) for path in different}):
        real = loader.real(directory)
        if real not in state or _calls(loader, directory) != state[real]:
            return None
    found: list[Optional[list[Resource]]] = []
    for part in parts:
        if part.reads.isdisjoint(different):
            found.append(None)
            continue
        instantiated, label, gave = part.detail
        # the scanned directories it reads are loaded first, as parse() loads them all before any
        # root: what loading them says is not this root's
        for directory in sorted({os.path.dirname(path) for path in part.reads}):
            if loader.real(directory) in loader.known:
                loader.module(directory)
        result = _root(part.key, loader, tfvars.get(part.key, []), out)
        if tuple(sorted(result.instantiated)) != instantiated or result.gave != gave or not result.alone:
            return None
        # a root whose addresses clashed with another's keeps its prefix: the caller checks the
        # addresses are the ones the part had, so the clash is the same
        found.append(_prefixed(result.resources, label) if label else result.resources)
    return found


def _parses_the_same(loader: _Loader, path: str, relpath: str, was: str, now: str) -> Optional[bool]:
    """Whether the file's bytes before (fingerprint ``was``) and now parse to equal syntax trees;
    None when either parse has a problem (its diagnostics belong to the whole parse) or is not stored."""
    name = _memo_name(path)
    parsed = loader.hcl(path, relpath)  # parsed now, and stored when it stands alone
    if parsed is None or parsed.diagnostics:
        return None
    before = loader.ctx.memo_print(name, was, relpath)
    if before is None:
        return None
    if before == loader.ctx.memo_print(name, now, relpath):
        return True  # the same tree as now, which has no problem: nothing is read back
    found, then = loader.ctx.memo_was(name, was, relpath)  # did the old one have problems the scan gave?
    return False if found and isinstance(then, HclFile) and not then.diagnostics else None


def _memo_name(path: str) -> str:
    """The memo a Terraform file's parse is stored under (:meth:`_Loader.hcl`)."""
    if path.endswith(".tfvars.json"):
        return "tfvars-json"
    if path.endswith(".json"):
        return "tf-json"
    return "hcl"


class RootResult(NamedTuple):
    """One root module's evaluation, and what a part of the parse records of it (scanner.parse.Part)."""

    resources: list[Resource]
    reads: frozenset[str]            # every file it read (reused or not)
    instantiated: frozenset[str]     # the module directories it instantiated (real)
    gave: tuple[Diagnostic, ...]     # the diagnostics it added
    alone: bool                      # it changed no diagnostic an earlier root gave


def _root(directory: str, loader: _Loader, var_files: list[SourceFile], out: Parsed) -> RootResult:
    """One root module's resources (evaluated, grouped into Kubernetes units), reused when nothing it read changed.

    A root's result is stored (in the parse cache) only when its evaluation
    stood alone: it gave or changed no diagnostic and loaded no module for the
    first time (roots share loaded modules, the diagnostics of a first load,
    and diagnostics that gather one file's blocks across roots). Beside
    it go the fingerprints of everything it read: each file of every module it
    used, its var files, and every read, listing and kind through the context
    (lock file, ``file()``, module manifests and descriptions). A later scan
    uses it when those fingerprints hold and every module it used is already
    loaded, and adds the module directories it instantiated, as evaluating it
    would (tests/test_warm_equals_cold.py holds such scans to a cold one).
    """
    ctx = loader.ctx
    key = _root_key(directory, loader, var_files)
    found, entry = ctx.recall(ROOT_MEMO, key)
    if found and _reusable(entry, loader):  # stored only when it gave no diagnostic
        reads_was, modules_was, resources, added = entry
        read = {o[1] for o, _ in reads_was if o[0] == "read"}
        read.update(path for files, _ in modules_was.values() for path, _ in files)
        return RootResult(list(resources), frozenset(read), frozenset(added), (), True)
    # diagnostics before: a root may also rewrite one of them (instances-unknown gathers one file's
    # blocks across roots), which stores nothing either
    before, loaded = list(out.diagnostics), len(loader.modules)
    asked: list[str] = []
    mine: set[str] = set()  # every module directory this root instantiates (evaluation only adds to it)
    loader.asked = asked
    try:
        with ctx.traced() as reads:
            roots_out = Parsed(diagnostics=out.diagnostics)
            evaluate_root(directory, loader, var_files, roots_out, mine)
            assign_units(roots_out.resources, _label(directory, loader), out.diagnostics)
    finally:
        loader.asked = None
    read = {f.path for f in var_files}
    read.update(os.path.abspath(p) for p in ctx.options.var_files)
    read.update(o[1] for o in reads if o[0] == "read")
    read.update(path for real in asked for path, _ in loader.files_of.get(real, []))
    # it stands alone when it only added diagnostics: changing one an earlier root gave
    # (instances-unknown gathers a file's blocks across roots) ties the two together
    alone = all(now is was for now, was in zip(out.diagnostics, before))
    gave = tuple(out.diagnostics[len(before):])
    if ctx.remembers and not gave and alone and len(loader.modules) == loaded:
        modules = {real: _module_print(real, loader) for real in dict.fromkeys(asked)}
        files = [("read", f.path, -1) for f in var_files] + [
            ("read", os.path.abspath(p), -1) for p in ctx.options.var_files]
        ctx.remember(ROOT_MEMO, key, (ctx.fingerprints([*files, *reads]), modules,
                                      roots_out.resources, sorted(mine)))
    return RootResult(roots_out.resources, frozenset(read), frozenset(mine), gave, alone)


ROOT_MEMO = "tf-root"


def _root_key(directory: str, loader: _Loader, var_files: list[SourceFile]) -> bytes:
    """What a root's evaluation depends on besides what it reads: where it is, how it is shown, the options."""
    options = loader.ctx.options
    real = loader.real(directory)
    return repr((real, _label(directory, loader), loader.base, loader.anchor_of.get(real),
                 [(f.path, f.relpath) for f in var_files], sorted(options.env.items()),
                 list(options.var_files), sorted(options.variables.items()),
                 list(options.module_descriptions))).encode("utf-8", "surrogateescape")


def _module_print(real: str, loader: _Loader) -> tuple[Any, ...]:
    """A loaded module directory as its evaluation saw it: the files it is made of, as shown, and their bytes."""
    files = loader.files_of.get(real, [])
    return (tuple(files), tuple(loader.ctx.fingerprints([("read", path, -1) for path, _ in files])))


def _reusable(entry: Any, loader: _Loader) -> bool:
    """A stored root result whose modules are loaded in this scan as they were, and whose reads are unchanged."""
    try:
        reads, modules, _, _ = entry
        return (all(real in loader.modules and _module_print(real, loader) == was
                    for real, was in modules.items())
                and loader.ctx.unchanged(reads))
    except (TypeError, ValueError):  # an entry of another shape: evaluate again
        return False


def _distinct(results: list[tuple[str, list[Resource]]], loader: "_Loader") -> tuple[list[Resource], set[int]]:
    """Every root's resources, prefixing the addresses of roots whose addresses collide (their indexes, second)."""
    owners: dict[str, int] = {}
    for i, (_, resources) in enumerate(results):
        for r in resources:
            owners.setdefault(r.address, i)
    clashing = {i for i, (_, resources) in enumerate(results)
                for r in resources if owners[r.address] != i}
    clashing |= {owners[r.address] for i in clashing for r in results[i][1]}
    merged: list[Resource] = []
    for i, (directory, resources) in enumerate(results):
        if i not in clashing:
            merged.extend(resources)
            continue
        merged.extend(_prefixed(resources, _label(directory, loader)))
    return merged, clashing


def _prefixed(resources: list[Resource], label: str) -> list[Resource]:
    """A root's resources with their addresses, and the addresses they refer to, under ``label:``."""
    return [replace(r, address=f"{label}:{r.address}",
                    references=tuple((p, f"{label}:{t}") for p, t in r.references))
            for r in resources]


def _label(directory: str, loader: "_Loader") -> str:
    """A root module's directory as results show it (``.`` for the scan root)."""
    return loader.anchor_of.get(directory) or loader.relative(loader.real(directory)) or "."


def load_files(ctx: ParseContext, files: list[SourceFile],
               out: Parsed) -> tuple[_Loader, list[str], dict[str, list[SourceFile]]]:
    """A loader for ``files`` and the directories holding Terraform code and tfvars."""
    anchor_of: dict[str, str] = {}
    tf_dirs: dict[str, None] = {}
    tfvars: dict[str, list[SourceFile]] = {}
    base = ""
    for f in files:
        real_dir = os.path.dirname(f.path)
        anchor_of[real_dir] = os.path.dirname(f.relpath)
        rel = f.relpath.replace("/", os.sep)
        if not base and f.path.endswith(rel):
            base = f.path[: len(f.path) - len(rel)].rstrip(os.sep) or os.sep
        if f.format == "tfvars":
            tfvars.setdefault(real_dir, []).append(f)
        else:
            tf_dirs[real_dir] = None
    loader = _Loader(ctx, anchor_of, out.diagnostics, base)
    for f in sorted(files, key=lambda f: f.relpath):
        if f.format == "terraform":
            loader.known.setdefault(loader.real(os.path.dirname(f.path)), []).append((f.path, f.relpath))
    for real_dir, known in loader.known.items():
        hidden = shadowed_by_tofu([os.path.basename(path) for path, _ in known])
        for path, relpath in known:
            if os.path.basename(path) in hidden:
                out.diagnostics.append(Diagnostic(
                    "tofu-shadowed", f"not read: {tofu_name(os.path.basename(path))} beside it "
                    "replaces it (OpenTofu)",
                    relpath, level="info"))
        loader.known[real_dir] = [(p, r) for p, r in known if os.path.basename(p) not in hidden]
    return loader, list(tf_dirs), tfvars


def root_modules(loader: _Loader, tf_dirs: list[str]) -> list[str]:
    """Directories with Terraform code that no other scanned directory calls as a local module."""
    called: set[str] = set()
    for directory in tf_dirs:
        called.update(_calls(loader, directory))
    return [d for d in sorted(tf_dirs) if loader.real(d) not in called
            and loader.module(d) is not None]


def _calls(loader: _Loader, directory: str) -> tuple[str, ...]:
    """The directories (real) that ``directory``'s module blocks call as local modules, in order (once per scan)."""
    found = loader.calls.get(directory)
    if found is not None:
        return found
    src = loader.module(directory)
    called: list[str] = []
    for block, _ in (src.modules if src else []):
        source = block.attributes.get("source")
        value = evaluate(source.expr, Scope({})) if source else None
        if is_local(value):
            called.append(loader.real(os.path.join(directory, str(value))))
    found = loader.calls[directory] = tuple(called)
    return found


def evaluate_root(directory: str, loader: _Loader, var_files: list[SourceFile],
                  out: Parsed, instantiated: Optional[set[str]] = None) -> None:
    """Evaluate one root module (and its children) into ``out``."""
    src = loader.module(directory)
    if src is None:
        return
    inputs = _root_variables(directory, var_files, loader.ctx.options, loader, src)
    shown = loader.anchor_of.get(loader.real(directory), loader.relative(loader.real(directory))) or "."
    base = loader.real(loader.base) if loader.base else ""
    inside = bool(base) and (loader.real(directory) + os.sep).startswith(base.rstrip(os.sep) + os.sep)
    files = FileAccess(loader.ctx, base if inside else directory, directory, out.diagnostics, shown)
    ModuleEvaluator(src, prefix="", inputs=inputs, load=loader.module, ctx=loader.ctx, files=files,
                    stack=(src.real,), out=out.resources,
                    diagnostics=out.diagnostics, root_dir=directory,
                    instantiated=instantiated, providers=locked(loader.ctx.read, directory),
                    descriptions=loader.ctx.options.module_descriptions,
                    workspace=workspace(loader.ctx.read, directory, loader.ctx.options.env)).run()


def _root_variables(directory: str, var_files: list[SourceFile], options: ParseOptions,
                    loader: _Loader, src: ModuleSource) -> dict[str, Any]:
    """Values for a root module's variables, in Terraform's order of precedence.

    Environment (``TF_VAR_x``), then ``terraform.tfvars``, ``terraform.tfvars.json``,
    ``*.auto.tfvars(.json)`` in name order, then ``--var-file`` and ``--var`` in
    the order given. Values given as raw strings (environment, ``--var``) are
    read as HCL when the variable's declared type is not a string, as Terraform does.
    """
    values: dict[str, Any] = {}
    for key, raw in options.env.items():
        if key.startswith("TF_VAR_"):
            values[key[7:]] = _raw_value(raw, src.variables.get(key[7:]))
    by_name = {os.path.basename(f.path): f for f in var_files}
    default = [by_name[n] for n in ("terraform.tfvars", "terraform.tfvars.json") if n in by_name]
    auto = sorted((f for f in var_files if f.relpath.endswith((".auto.tfvars", ".auto.tfvars.json"))),
                  key=lambda f: os.path.basename(f.path))
    for f in [*default, *auto]:
        values.update(_tfvars(f.path, f.relpath, loader))
    for path in options.var_files:
        values.update(_tfvars(os.path.abspath(path), path, loader))
    for name, raw in options.variables.items():
        values[name] = _raw_value(raw, src.variables.get(name))
    return values


def _raw_value(raw: str, declared: Optional[Block]) -> Any:
    """A ``--var`` / ``TF_VAR_`` string: kept as text for string (or untyped) variables, else read as HCL."""
    type_attr = declared.attributes.get("type") if declared is not None else None
    if type_attr is None:
        return raw
    t = type_attr.expr
    name = t.root if isinstance(t, Traversal) else t.name if isinstance(t, Call) else ""
    if name in ("string", ""):
        return raw
    parsed = parse_hcl(f"v = {raw}\n".encode("utf-8"), "<var>")
    attr = parsed.attributes.get("v")
    if attr is None or parsed.diagnostics:
        return raw
    return evaluate(attr.expr, Scope({}))


def _tfvars(path: str, relpath: str, loader: _Loader) -> dict[str, Any]:
    parsed = loader.hcl(path, relpath)
    if parsed is None:
        return {}
    if parsed.blocks:
        loader.diagnostics.append(Diagnostic(
            "tfvars-blocks", "variable files hold only assignments; blocks ignored",
            relpath, parsed.blocks[0].start_line, level="warning"))
    return {name: evaluate(attr.expr, Scope({})) for name, attr in parsed.attributes.items()}
