"""Terraform modules: variables, locals, count/for_each and local child modules evaluated into `Resource`s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ...model import UNKNOWN, Diagnostic, Layer, Location, Resource, SecretNames, Unknown
from ...parse import ParseContext
from .body import META_ARGUMENTS, BodyReader
from .configuration import configuration_resources
from .decoders import decode
from .expand import expand
from .files import FileAccess
from .expressions import NON_RESOURCE_ROOTS, LazyMapping, Scope, apply_steps, evaluate
from .values import tostr
from .k8s_resources import as_kubernetes
from .refs import RefTracer, direct_address
from .requirements import declared, merge
from .sources import module_directory
from .syntax import Block, Expr, HclFile, Traversal
from .types import Type, convert, parse_type

_MISSING = object()



@dataclass
class ModuleSource:
    """The blocks of one module directory, grouped by kind."""

    directory: str
    real: str  # ``directory`` with symbolic links resolved
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Expr, str]] = field(default_factory=dict)
    resources: list[tuple[Block, str]] = field(default_factory=list)
    providers: list[tuple[Block, str]] = field(default_factory=list)
    data: list[tuple[Block, str]] = field(default_factory=list)
    modules: list[tuple[Block, str]] = field(default_factory=list)
    outputs: dict[str, tuple[Expr, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # evaluated variable defaults (constants)
    types: dict[str, Optional[Type]] = field(default_factory=dict)  # parsed variable type constraints
    terraform: list[Block] = field(default_factory=list)  # `terraform {}` blocks (required_providers)
    # a described registry module: (address, prefix) -> the address with its submodule path (described.py)
    rename: Optional[Callable[[str, str], str]] = None


def group_blocks(directory: str, real: str, files: list[HclFile],
                 problems: list[Diagnostic]) -> ModuleSource:
    """Sort a directory's top-level blocks into variables, locals, resources, data, modules, outputs.

    A name declared twice (Terraform refuses the module) keeps its first
    declaration in file order; each later one is an error diagnostic naming
    both places. Override files are not merged: a warning says so.
    """
    src = ModuleSource(directory, real)
    first: dict[str, tuple[str, int]] = {}
    for f in files:
        if is_override_file(f.path):
            problems.append(Diagnostic(
                "override-file", "Terraform override file: merging overrides is not supported, "
                "so its blocks are ignored and the blocks they override are scanned as written",
                f.path, 1, level="warning"))
            continue
        for b in f.blocks:
            if _duplicate(b, f.path, first, problems):
                continue
            if b.type == "variable" and b.labels:
                src.variables[b.labels[0]] = b
            elif b.type == "locals":
                for name, attr in b.attributes.items():
                    if not _declared_again(f"local.{name}", f.path, attr.line, first, problems):
                        src.locals[name] = (attr.expr, f.path)
            elif b.type == "resource" and len(b.labels) >= 2:
                src.resources.append((b, f.path))
            elif b.type == "provider" and b.labels:
                src.providers.append((b, f.path))
            elif b.type == "data" and len(b.labels) >= 2:
                src.data.append((b, f.path))
            elif b.type == "module" and b.labels:
                src.modules.append((b, f.path))
            elif b.type == "output" and b.labels and "value" in b.attributes:
                src.outputs[b.labels[0]] = (b.attributes["value"].expr, f.path)
            elif b.type == "terraform":
                src.terraform.append(b)
    return src


_DECLARED = {"resource": "{0}.{1}", "data": "data.{0}.{1}", "module": "module.{0}",
             "variable": "variable {0!r}", "output": "output {0!r}"}


def _duplicate(block: Block, path: str, first: dict[str, tuple[str, int]],
               problems: list[Diagnostic]) -> bool:
    """True (and an error diagnostic) when ``block`` declares a name an earlier block of the module declared."""
    form = _DECLARED.get(block.type)
    if form is None or len(block.labels) < form.count("{"):
        return False
    return _declared_again(form.format(*block.labels), path, block.start_line, first, problems)


def _declared_again(name: str, path: str, line: int, first: dict[str, tuple[str, int]],
                    problems: list[Diagnostic]) -> bool:
    where = first.setdefault(name, (path, line))
    if where == (path, line):
        return False
    problems.append(Diagnostic(
        "duplicate-declaration", f"{name} is declared twice in this module (first at "
        f"{where[0]}:{where[1]}); Terraform refuses this; this declaration is ignored", path, line))
    return True


def is_override_file(path: str) -> bool:
    """``override.tf``, ``x_override.tf`` (and ``.tf.json``, ``.tofu``, ``.tofu.json``): Terraform merges these into other blocks."""
    name = path.rsplit("/", 1)[-1]
    for suffix in (".tf.json", ".tofu.json", ".tf", ".tofu"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem == "override" or stem.endswith("_override")
    return False


LoadModule = Callable[[str], Optional[ModuleSource]]


@dataclass
class Instance:
    """One evaluated instance of a resource or data block."""

    suffix: str           # "", "[0]" or '["key"]'
    key: Any              # None, the count index or the for_each key
    attributes: dict[str, Any]
    lines: dict[str, int]
    references: list[tuple[str, str]]


# The arguments that name a secret of a secret store (its id, name or ARN), per resource or data type:
# a reference to one of them gives a secret's name, which is no credential wherever it is put.
SECRET_STORE_NAMES: dict[str, frozenset[str]] = {
    "aws_secretsmanager_secret": frozenset({"name", "arn", "id"}),
    "aws_secretsmanager_secret_version": frozenset({"secret_id", "arn", "id"}),
    "aws_ssm_parameter": frozenset({"name", "arn", "id"}),
    "azurerm_key_vault_secret": frozenset({"name", "id", "versionless_id", "resource_id"}),
    "google_secret_manager_secret": frozenset({"secret_id", "name", "id"}),
    "google_secret_manager_secret_version": frozenset({"secret", "name", "id"}),
}


def _named_secret(type_: str, steps: tuple, value: Any) -> Any:
    """``value`` as a :class:`SecretNames` when it is the id, name or ARN of a secret-store block."""
    attrs = SECRET_STORE_NAMES.get(type_)
    if (attrs is None or not isinstance(value, str) or not steps or steps[-1][0] != "attr"
            or steps[-1][1] not in attrs or any(kind != "index" for kind, _ in steps[:-1])):
        return value
    return SecretNames(value, {value})  # an instance's (data.x.y[0].secret_id) as much as the one's


class ModuleEvaluator:
    """Evaluates one instance of a module (root or child) into resources.

    Resources, data sources and child modules are evaluated on first use and
    cached, so an expression may name ``aws_s3_bucket.b.bucket`` or
    ``module.db.endpoint`` wherever it appears; each is evaluated once.
    """

    def __init__(self, src: ModuleSource, *, prefix: str, inputs: dict[str, Any],
                 load: LoadModule, ctx: ParseContext, stack: tuple[str, ...], out: list[Resource],
                 diagnostics: list[Diagnostic], root_dir: str, key: str = "",
                 instantiated: Optional[set[str]] = None,
                 input_refs: Optional[dict[str, list[str]]] = None,
                 budget: Optional[list[int]] = None,
                 providers: Optional[dict[str, str]] = None, descriptions: tuple[str, ...] = (),
                 files: Optional[FileAccess] = None, workspace: Any = UNKNOWN) -> None:
        self.src = src
        self.workspace = workspace  # terraform.workspace (requirements.workspace): the root's, in every module
        # provider version constraints in force here: the callers' and this module's own
        self.providers = merge(providers or {}, declared(src.terraform, src.providers))
        self.refs = RefTracer(prefix, src.locals, input_refs or {}, self._output_refs, src.rename)
        self._children: dict[str, list["ModuleEvaluator"]] = {}
        self._output_ref_cache: dict[str, Optional[list[str]]] = {}
        self.instantiated = instantiated if instantiated is not None else set()
        self.instantiated.add(src.real)
        self.prefix = prefix
        self.load = load
        self.ctx = ctx  # the parse context: modules.json, module descriptions
        self.stack = stack
        self.out = out
        self.diagnostics = diagnostics
        self.root_dir = root_dir
        self.key = key  # dotted module key ("" for the root), as in modules.json
        self.descriptions = descriptions  # the user's module description directories (registry.py)
        self.blocks: dict[str, tuple[Block, str, str]] = {}
        for mode, group in (("resource", src.resources), ("data", src.data)):
            for block, path in group:
                name = f"{'data.' if mode == 'data' else ''}{block.labels[0]}.{block.labels[1]}"
                self.blocks.setdefault(name, (block, path, mode))
        self.module_blocks = {b.labels[0]: (b, p) for b, p in src.modules}
        self._evaluated: dict[str, Optional[list[Instance]]] = {}
        self._module_outputs: dict[str, Any] = {}
        self._active: set[str] = set()
        self.locals = LazyMapping(self._local, set(src.locals))
        self.scope = Scope({
            "var": self._variables(inputs),
            "local": self.locals,
            "path": {"module": src.directory, "root": root_dir, "cwd": root_dir},
            "terraform": {"workspace": workspace},
        }, resolve=self._resolve, budget=budget, files=files)

    def _variables(self, inputs: dict[str, Any]) -> LazyMapping:
        """``var``: the caller's inputs, else each variable's default (evaluated once per module source).

        Either is converted to the variable's declared ``type``, with
        ``optional()`` attribute defaults filled in, as Terraform does.
        """
        def value(name: str) -> Any:
            block = self.src.variables[name]
            if name not in self.src.types:
                type_attr = block.attributes.get("type")
                self.src.types[name] = parse_type(type_attr.expr if type_attr is not None else None)
            nullable = block.attributes.get("nullable")
            given = inputs.get(name, _MISSING)
            if given is None and nullable is not None and evaluate(nullable.expr, Scope({})) is False:
                given = _MISSING
            if given is not _MISSING:
                return convert(given, self.src.types[name])
            if name not in self.src.defaults:
                default = block.attributes.get("default")
                self.src.defaults[name] = (convert(evaluate(default.expr, Scope({})), self.src.types[name])
                                           if default is not None else Unknown(f"var.{name} has no value"))
            return self.src.defaults[name]
        return LazyMapping(value, set(self.src.variables))

    def _local(self, name: str) -> Any:
        return evaluate(self.src.locals[name][0], self.scope)

    def _resolve(self, root: str, steps: tuple, scope: Scope) -> Any:
        names = []
        for kind, arg in steps[:2]:
            if kind != "attr":
                break
            names.append(arg)
        if root == "module" and names:
            return apply_steps(self._module_value(names[0]), steps[1:], scope)
        if root == "data" and len(names) == 2:
            value = apply_steps(self._block_value(f"data.{names[0]}.{names[1]}"), steps[2:], scope)
            return _named_secret(names[0], steps[2:], value)
        if root not in NON_RESOURCE_ROOTS and names:
            value = apply_steps(self._block_value(f"{root}.{names[0]}"), steps[1:], scope)
            return _named_secret(root, steps[1:], value)
        return Unknown(f"{root} is not known before apply")

    def _block_value(self, name: str) -> Any:
        """The value a reference to a resource or data block sees: its configured arguments.

        Computed attributes (``id``, ``arn``...) are absent from the
        configuration and so stay unknown when indexed.
        """
        instances = self.instances(name)
        if instances is None:
            return Unknown(f"{name} is not known before apply")
        block = self.blocks[name][0]
        if not instances:
            return [] if "count" in block.attributes else {}
        if "count" in block.attributes and instances[0].suffix:
            return [i.attributes for i in instances]
        if "for_each" in block.attributes and instances[0].suffix:
            return {tostr(i.key): i.attributes for i in instances}
        if "count" in block.attributes or "for_each" in block.attributes:
            return Unknown(f"instances of {name} are not known")
        return instances[0].attributes

    def run(self) -> None:
        """Evaluate every child module, resource and data source, and emit the resources."""
        for name in self.module_blocks:
            self._module_value(name)
        for name, (block, path, mode) in self.blocks.items():
            base = self.prefix + name if self.src.rename is None else self.src.rename(self.prefix + name, self.prefix)
            for inst in self.instances(name) or []:
                self.out.append(as_kubernetes(Resource(
                    address=base + inst.suffix, kind=Layer.TERRAFORM, type=block.labels[0],
                    attributes=inst.attributes,
                    location=Location(path, block.start_line, block.end_line),
                    source="terraform" if mode == "resource" else "terraform.data",
                    lines=inst.lines, references=tuple(inst.references), providers=self.providers),
                    block, self.diagnostics))
        self.out.extend(configuration_resources(self.src.providers, self.src.locals, self.scope,
                                                self.prefix, self.refs))

    # -- resources ---------------------------------------------------------

    def _instances(self, block: Block, path: str) -> list[tuple[str, Any, Scope]]:
        """(address suffix, key, scope) per instance after count / for_each; [] when count is 0."""
        return expand(block, self.scope, path, self.diagnostics, len(self.out))

    def instances(self, name: str) -> Optional[list[Instance]]:
        """The evaluated instances of ``type.name`` / ``data.type.name`` (cached; None inside a cycle)."""
        if name in self._evaluated:
            return self._evaluated[name]
        if name not in self.blocks or name in self._active:
            return None
        block, path, _ = self.blocks[name]
        self._active.add(name)
        try:
            found: list[Instance] = []
            for suffix, key, scope in self._instances(block, path):
                reader = BodyReader(self.refs)
                attrs = reader.body(block, scope, "")
                decode(block.labels[0], attrs, reader.lines)
                found.append(Instance(suffix, key, attrs, reader.lines, reader.references))
        finally:
            self._active.discard(name)
        self._evaluated[name] = found
        return found

    # -- child modules -----------------------------------------------------

    def _module_value(self, name: str) -> Any:
        """The outputs of child module ``name`` (a list / map of them under count / for_each)."""
        if name in self._module_outputs:
            return self._module_outputs[name]
        if name not in self.module_blocks or ("module." + name) in self._active:
            return Unknown(f"module.{name} is not known")
        self._active.add("module." + name)
        try:
            value = self._module(*self.module_blocks[name])
        finally:
            self._active.discard("module." + name)
        self._module_outputs[name] = value
        return value

    def _output_refs(self, name: str, output: str, index: Any = None) -> Optional[list[str]]:
        """The addresses output ``output`` of child module ``name`` is made of (None if not known).

        An output that is a resource itself (``value = aws_x.this``) indexed by
        a literal key (``module.net.subnets["europe-west1/app"]``) is that instance.
        """
        key = f"{name}.{output}.{index!r}"
        if key not in self._output_ref_cache:
            self._module_value(name)
            children = self._children.get(name)
            found: list[str] = []
            for sub in children or ():
                if output in sub.src.outputs:
                    expr = sub.src.outputs[output][0]
                    whole = (isinstance(expr, Traversal) and len(expr.steps) == 1
                             and direct_address(expr, "") is not None)
                    addresses = sub.refs.addresses(expr)
                    if whole and len(addresses) == 1 and isinstance(index, (str, int)) and not isinstance(index, bool):
                        addresses = [addresses[0] + (f'["{index}"]' if isinstance(index, str) else f"[{index}]")]
                    found.extend(addresses)
            self._output_ref_cache[key] = list(dict.fromkeys(found)) if children else None
        return self._output_ref_cache[key]

    def output_value(self, name: str) -> Any:
        """The value of this module's output ``name`` (what ``module.<name>.<output>`` reads)."""
        return evaluate(self.src.outputs[name][0], self.scope)

    def _module(self, block: Block, path: str) -> Any:
        name = block.labels[0]
        source_attr = block.attributes.get("source")
        source = evaluate(source_attr.expr, self.scope) if source_attr else None
        line = block.start_line
        key = f"{self.key}.{name}" if self.key else name
        directory = module_directory(source, self.src.directory, self.root_dir, key, self.ctx.read)
        if directory is None:
            return self._described(block, path, source)
        child = self.load(directory)  # a module on the stack is already loaded: no new diagnostics
        if child is not None and child.real in self.stack:
            self.diagnostics.append(Diagnostic(
                "module-cycle", f"module {name!r} includes itself (via {source}); not expanded",
                path, line))
            return Unknown(f"module.{name} includes itself")
        if child is None:
            self.diagnostics.append(Diagnostic(
                "module-missing", f"module {name!r} source {source} has no .tf files", path, line))
            return Unknown(f"module.{name} has no code")
        return self._call(block, path, child, key, {})

    def _described(self, block: Block, path: str, source: Any) -> Any:
        """A remote module not on disk: evaluated from its description (registry.py), else not scanned."""
        from .described import place_at_call
        from .registry import find

        name = block.labels[0]
        version_attr = block.attributes.get("version")
        version = evaluate(version_attr.expr, self.scope) if version_attr else None
        match = find(self.ctx, source, version, self.descriptions, self.diagnostics)
        if match is None:
            self.diagnostics.append(Diagnostic(
                "module-not-local", f"module {name!r} source {source!r} is not a local path, "
                "is not downloaded in .terraform/modules and has no module description; "
                "its resources are not scanned", path, block.start_line, level="info"))
            return Unknown(f"module.{name} is not on disk")
        first, first_diagnostic = len(self.out), len(self.diagnostics)
        key = f"{self.key}.{name}" if self.key else name
        value = self._call(block, path, match.description.module, key, match.source.inputs,
                           match.source.within)
        self.out[first:] = place_at_call(match.description, block, path, self.out[first:],
                                         self.diagnostics, first_diagnostic)
        self.diagnostics.append(Diagnostic(
            "module-described", f"module {name!r} source {source!r} is not downloaded: evaluated from "
            f"the module description {match.description.path} ({match.note}); findings point at "
            "the call's arguments", path, block.start_line, level="info"))
        return value

    def _call(self, block: Block, path: str, child: ModuleSource, key: str,
              presets: dict[str, Any], within: str = "") -> Any:
        """Evaluate every instance of a module call into resources; its outputs as the caller sees them."""
        name = block.labels[0]
        outputs: dict[str, Any] = {}
        input_refs = {k: self.refs.addresses(a.expr) for k, a in block.attributes.items()
                      if k not in META_ARGUMENTS and k not in ("source", "version")}
        children = self._children.setdefault(name, [])
        for suffix, inst_key, scope in self._instances(block, path):
            inputs = dict(presets)  # a named submodule's defaults; the caller's inputs win
            inputs.update({k: evaluate(a.expr, scope) for k, a in block.attributes.items()
                           if k not in META_ARGUMENTS and k not in ("source", "version")})
            sub = ModuleEvaluator(child, prefix=f"{self.prefix}module.{name}{suffix}.{within}",
                                  inputs=inputs, load=self.load, ctx=self.ctx, stack=self.stack + (child.real,),
                                  out=self.out, diagnostics=self.diagnostics,
                                  root_dir=self.root_dir, key=key, instantiated=self.instantiated,
                                  input_refs=input_refs, budget=self.scope.budget,
                                  providers=self.providers, descriptions=self.descriptions,
                                  files=self.scope.files, workspace=self.workspace)
            children.append(sub)
            sub.run()
            outputs[tostr(inst_key) if suffix else ""] = LazyMapping(
                sub.output_value, set(child.outputs))
        if "count" in block.attributes and "" not in outputs:
            return [outputs[k] for k in outputs]
        if "for_each" in block.attributes and "" not in outputs:
            return outputs
        return outputs.get("", Unknown(f"module.{name} instances are not known"))
