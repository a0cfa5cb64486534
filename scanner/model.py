"""The core types every stage passes to the next; no logic beyond trivial helpers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Callable, ClassVar, Mapping, Optional, TypeVar


class SecretNames(str):
    """Text holding the names of secrets in a secret store (an id, a name or an ARN the configuration gives
    a secret it reads or makes), not their values; ``names`` lists them.

    A password field that names the secret holding the password (a configuration file rendered with a
    Secrets Manager secret's id) holds a reference: credential detection never takes one of ``names``
    for a credential. Everything else reads it as the plain text it is.
    """

    names: frozenset[str]

    def __new__(cls, text: str, names: "frozenset[str] | set[str] | tuple[str, ...]") -> "SecretNames":
        made = super().__new__(cls, text)
        made.names = frozenset(names)
        return made

    def __reduce__(self) -> Any:
        return SecretNames, (str(self), tuple(sorted(self.names)))


class Unknown:
    """A value only known at apply time (or not resolvable statically).

    Unknown values are never guessed: a policy test over one is neither pass
    nor fail. ``reason`` says why, for evidence and debugging.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"<unknown{': ' + self.reason if self.reason else ''}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return hash(Unknown)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unknown, (self.reason,))


UNKNOWN = Unknown()
# The reason of the one element a `dynamic` block over an unknown collection becomes: how many blocks
# there are is unknown too, none included (an `exists` test on them is unknown, not true).
UNKNOWN_BLOCKS = "dynamic block over unknown collection"


def is_unknown(value: object) -> bool:
    """True when ``value`` is an :class:`Unknown`."""
    return isinstance(value, Unknown)


class Severity(str, Enum):
    """Finding severity, ordered from ``info`` to ``critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self.value]


_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Layer(str):
    """Which layer of the system a resource belongs to: the vocabulary its format reads into.

    Open, so a format's descriptor can bring a new one (``Layer("compose")``)
    without a change here; one object per name, so layers also compare with
    ``is``, after unpickling too. The built-in ones are the class attributes.
    """

    __slots__ = ()
    TERRAFORM: ClassVar[Layer]
    KUBERNETES: ClassVar[Layer]
    ARCHITECTURE: ClassVar[Layer]
    SPECIAL: ClassVar[Layer]  # the `internet` and `anyone` nodes
    _interned: ClassVar[dict[str, Layer]] = {}

    def __new__(cls, name: str) -> Layer:
        layer = cls._interned.get(name)
        if layer is None:
            layer = cls._interned[name] = super().__new__(cls, name)
        return layer

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return Layer, (self.value,)

    def __repr__(self) -> str:
        return f"Layer({self.value!r})"


Layer.TERRAFORM = Layer("terraform")
Layer.KUBERNETES = Layer("kubernetes")
Layer.ARCHITECTURE = Layer("architecture")
Layer.SPECIAL = Layer("special")


# The closed vocabulary of graph edge kinds (documented in docs/graph.md).
EDGE_KINDS: frozenset[str] = frozenset({
    "references",         # an expression in A names B
    "attached_to",        # A (rule, association, attachment) belongs to / is attached to B
    "allows_ingress_from",  # A (group, service, ingress) admits traffic from B (often `internet`)
    "exposes",            # `internet` -> a publicly exposed resource
    "routes_to",          # traffic passes from A to B (LB -> target group -> target; Ingress -> Service)
    "selects",            # A's selector matches B (Service -> workload, NetworkPolicy -> workload)
    "binds",              # binding -> role, binding -> subject
    "grants",             # a policy / role document grants permissions to principal B
    "bound_to",           # principal -> the role it holds (derived from bindings / attachments)
    "runs_as",            # workload -> service account / instance -> role
    "mounts",             # workload -> Secret / ConfigMap / volume
    "flows_to",           # architecture flow between components
    "stores",             # component -> data asset
    "in_zone",            # component -> zone
    "implemented_by",     # architecture element -> IaC / Kubernetes resource
    "can_access",         # role -> component
    "protected_by",       # resource -> WAF, public access block, encryption config ...
    "contains",           # parent -> child (module -> resource, zone -> subnet)
    "assumes",            # Kubernetes ServiceAccount -> cloud identity it can act as (IRSA, Workload Identity)
    "runs_on",            # Kubernetes workload -> node group whose instance metadata it may read
    "accesses",           # cloud identity -> data store its permissions open (S3, RDS, GCS, Azure Storage)
    # Kubernetes attack techniques (KubeHound's, docs/attack-paths.md): what a foothold lets an attacker take
    "escapes_to",         # workload -> the node its containers can break out to
    "steals_token",       # node / ServiceAccount -> a ServiceAccount whose token it can read
    "reads_secrets",      # ServiceAccount -> the Secrets of a namespace it may list
    "execs_into",         # ServiceAccount -> a workload it may exec / attach into
    "patches",            # ServiceAccount -> a workload whose pods it may rewrite
    "creates_pods",       # ServiceAccount -> the node / an account its new pods get
    "binds_role",         # ServiceAccount -> a role it may bind to itself (or escalate into)
    "impersonates",       # ServiceAccount -> an identity it may impersonate
})

INTERNET = "internet"
ANYONE = "anyone"

_T = TypeVar("_T")


def pickled_as_values(cls: type[_T]) -> type[_T]:
    """Pickle a frozen slotted dataclass as its class and field values, rebuilt by ``cls(*values)``.

    dataclasses' own ``__setstate__`` for slotted classes calls ``fields()`` for every object it
    loads: a stored report's 6,000 findings load in 0.013 s instead of 0.027 s, the 5k corpus's
    resources in 0.024 s instead of 0.034 s (best of 7; docs/performance.md).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[Any, ...]:
        return (cls, tuple(getattr(self, name) for name in names))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@pickled_as_values
@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A region of a scanned file; 1-based lines, path relative to the scan root."""

    path: str
    start_line: int
    end_line: int
    start_col: Optional[int] = None
    end_col: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.path}:{self.start_line}"


class Line(int):
    """A line number in another file than its resource's: a value a Kustomize patch set on a base object.

    It is an ``int`` everywhere lines are compared or printed; ``path`` (relative,
    like :attr:`Location.path`) is the file it belongs to, so a finding on the
    value points at the patch that set it.
    """

    path: str

    def __new__(cls, line: int, path: str) -> "Line":
        value = super().__new__(cls, line)
        value.path = path
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (Line, (int(self), self.path))


@pickled_as_values
@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file chosen by discovery, with the format that will parse it."""

    path: str          # absolute path on disk
    relpath: str       # path relative to the scan root, '/'-separated
    format: str        # key into scanner.formats.FORMATS
    root: str = ""     # the scan root it was found under


def line_at(lines: Mapping[str, int], path: str) -> Optional[int]:
    """The line of dotted ``path`` in ``lines``, or of its nearest ancestor; None when neither has one.

    The one lookup from a dotted path to a line: resources, schema errors and policy files use it.
    """
    while path:
        line = lines.get(path)
        if line is not None:
            return line
        cut = path.rfind(".")
        path = path[:cut] if cut > 0 else ""
    return None


@pickled_as_values
@dataclass(frozen=True, slots=True)
class Resource:
    """One node of the system: a Terraform resource, a Kubernetes object, an architecture element.

    ``attributes`` is the normalized value tree (dicts, lists, scalars,
    :class:`Unknown`). ``lines`` maps a dotted attribute path such as
    ``ingress.0.cidr_blocks.0`` to the 1-based line that defines it, so a
    finding can point at the offending line.
    """

    address: str
    kind: Layer
    type: str
    attributes: Mapping[str, Any]
    location: Location
    source: str = ""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    references: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    """(attribute path, referenced address) pairs found in expressions."""
    providers: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Provider name (``aws``) -> the version constraints in force where the resource is declared
    (the module's and its callers' ``required_providers``, the root's lock file), joined by commas."""
    planned: bool = field(default=False, compare=False, repr=False)
    """Read from a plan's values, where the provider has already filled in its defaults."""

    def line_of(self, path: str) -> int:
        """The line of ``path``, or of its nearest ancestor, or the resource's own line."""
        line = line_at(self.lines, path)
        return line if line is not None else self.own_line

    @property
    def own_line(self) -> int:
        """The line that made the resource: its first line, or (``$self``) the element of a module
        call's list or map argument that made this instance of a described module's resource."""
        return self.lines.get("$self", self.location.start_line)

    def path_of(self, line: int) -> str:
        """The file ``line`` (from :meth:`line_of`) belongs to: a :class:`Line`'s own, else the resource's."""
        return getattr(line, "path", None) or self.location.path


@pickled_as_values
@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with an input (not a finding): unparseable, skipped, unresolved."""

    code: str
    message: str
    path: str
    line: Optional[int] = None
    level: str = "error"  # error | warning | info

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message} [{self.code}]"


@pickled_as_values
@dataclass(frozen=True, slots=True)
class PathStep:
    """One hop of a graph path proving a finding."""

    address: str
    location: Optional[Location]
    edge: str = ""  # edge kind that led to this node ('' for the first)
    detail: str = ""  # what the edge stands for, when its kind alone does not say (attack techniques)


@dataclass(frozen=True)
class PolicyMeta:
    """Everything about a policy except its predicate: what reporters and docs read."""

    id: str
    title: str
    severity: Severity
    description: str = ""
    rationale: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    cwe: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    checkov_ids: tuple[str, ...] = ()
    source_path: str = ""
    category: str = ""


@dataclass(frozen=True)
class Policy:
    """Metadata plus a compiled predicate (see scanner.policy.compiler)."""

    meta: PolicyMeta
    check: Callable[..., Any] = field(compare=False, repr=False)
    on_unknown: str = "pass"
    message: str = ""
    secret: bool = False   # values this policy quotes are credentials: always masked
    layer: str = ""        # restrict to one layer (terraform | kubernetes | architecture)
    condition: Any = field(default=None, compare=False, repr=False)  # the tree it was compiled from

    @property
    def id(self) -> str:
        return self.meta.id


@pickled_as_values
@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is not counted: inline comment, annotation, baseline, config."""

    kind: str            # inSource | external
    reason: str
    source: str = ""     # where it was declared, e.g. "main.tf:12" or "baseline.json"
    expires: Optional[str] = None


@pickled_as_values
@dataclass(frozen=True, slots=True)
class Finding:
    """A policy violated by a resource, with the evidence that proves it."""

    policy_id: str
    severity: Severity
    resource: str
    location: Location
    message: str
    evidence: tuple[str, ...] = ()
    path: tuple[PathStep, ...] = ()
    related: tuple[Location, ...] = ()
    suppression: Optional[Suppression] = None
    block: Optional[Location] = None
    """The whole resource block: the context of ``location`` (SARIF ``contextRegion``, JSON ``block``)."""
    elements: tuple[Location, ...] = ()
    """Every other offending element of the resource (container, rule, statement), after ``location``;
    they belong to this one finding, so its fingerprint does not depend on them."""

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: policy, address and evidence paths."""
        key = "\x1f".join((self.policy_id, self.resource, *self.evidence,
                           *(s.address for s in self.path)))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None


@dataclass(frozen=True)
class Report:
    """What a scan returns and every reporter reads."""

    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    policies: tuple[PolicyMeta, ...]
    stats: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        """Findings that are not suppressed."""
        return tuple(f for f in self.findings if f.suppression is None)
