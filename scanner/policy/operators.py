"""Attribute operators: each takes (value, operand) and answers True, False or None (unknown)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Optional

from ..graph.cidr import admits_internet, network
from ..linear import Pattern
from ..model import is_unknown
from ..credentials import assignments, entry_of, literal_credential
from ..secrets import looks_like_secret
from .iam import iam_statement

Tri = Optional[bool]
Operator = Callable[[Any, Any], Tri]


def _num(v: Any) -> Optional[float]:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _compare(fn: Callable[[float, float], bool]) -> Operator:
    def op(value: Any, operand: Any) -> Tri:
        a, b = _num(value), _num(operand)
        if a is None or b is None:
            return False
        return fn(a, b)
    return op


def _equals(value: Any, operand: Any) -> Tri:
    if isinstance(operand, bool) or isinstance(value, bool):
        # booleans compare with their string spellings either way round: "true" == true
        return bool(_as_bool(value) == _as_bool(operand))
    if isinstance(operand, (int, float)) and isinstance(value, str):
        return _num(value) == operand
    if isinstance(operand, str) and isinstance(value, (int, float)):
        return str(value) == operand
    return value == operand


def _as_bool(v: Any) -> Any:
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return v


def _contains(value: Any, operand: Any) -> Tri:
    if isinstance(value, str):
        return isinstance(operand, str) and operand in value
    if isinstance(value, dict):
        return operand in value
    if isinstance(value, list):
        if any(is_unknown(v) for v in value) and operand not in value:
            return None
        return operand in value
    return False


def _matches(value: Any, pattern: Any) -> Tri:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return False
    return bool(pattern.search(str(value)))  # linear in the value's length (RE2)


def _not_matches(value: Any, pattern: Any) -> Tri:
    result = _matches(value, pattern)
    return None if result is None else not result


def _length(fn: Callable[[int, float], bool]) -> Operator:
    """A comparison of the length of a string, list or map (other values have no length)."""
    def op(value: Any, operand: Any) -> Tri:
        if not isinstance(value, (str, list, dict)) or _num(operand) is None:
            return False
        return fn(len(value), float(operand))
    return op


def _operand_networks(operand: Any) -> list[Any]:
    items = operand if isinstance(operand, list) else [operand]
    return [n for n in (network(x) if isinstance(x, str) else None for x in items) if n is not None]


def _cidr_contains(value: Any, operand: Any) -> Tri:
    """The value's network includes one of the operand's addresses or networks entirely."""
    net = network(value) if isinstance(value, str) else None
    if net is None:
        return False
    return any(o.version == net.version and o.subnet_of(net) for o in _operand_networks(operand))


def _cidr_overlaps(value: Any, operand: Any) -> Tri:
    """The value's network shares at least one address with one of the operand's networks."""
    net = network(value) if isinstance(value, str) else None
    if net is None:
        return False
    return any(o.version == net.version and o.overlaps(net) for o in _operand_networks(operand))


def parse_port_range(value: Any) -> Optional[tuple[int, int]]:
    """A port or range as (low, high): 22, "22", "20-25", "*", {from_port, to_port}, {port, endPort}."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, str):
        text = value.strip()
        if text in ("*", "any", "Any"):
            return (0, 65535)
        if "-" in text:
            low, _, high = text.partition("-")
            if low.strip().isdigit() and high.strip().isdigit():
                return (int(low), int(high))
            return None
        return (int(text), int(text)) if text.isdigit() else None
    if isinstance(value, dict):
        first = value.get("from_port", value.get("port"))
        last = value.get("to_port", value.get("endPort", first))
        if isinstance(first, int) and isinstance(last, int):
            if first == 0 and last in (0, 65535) and str(value.get("protocol")) in ("-1", "all"):
                return (0, 65535)
            return (first, last) if last >= first else (first, first)
        if isinstance(value.get("port_range"), str):
            return parse_port_range(value["port_range"])
    return None


def _ports_overlap(value: Any, ports: Any) -> Tri:
    if isinstance(value, dict) and any(is_unknown(value.get(k)) for k in ("from_port", "to_port", "port")):
        return None
    rng = parse_port_range(value)
    if rng is None:
        return False
    for p in ports:
        other = parse_port_range(p)
        if other and other[0] <= rng[1] and rng[0] <= other[1]:
            return True
    return False


# Longer strings are not kept by the caches of answers (they rarely recur, and would stay alive).
MAX_REMEMBERED_LENGTH = 512


@lru_cache(maxsize=8192)
def _string_is_secret(text: str) -> bool:
    return looks_like_secret(text)


def _is_secret(value: Any, want: Any) -> Tri:
    # `**` feeds every string of every resource through two dozen patterns; the same short
    # strings (regions, names, tags) recur across resources, so recent answers are remembered
    remembered = type(value) is str and len(value) <= MAX_REMEMBERED_LENGTH
    return (_string_is_secret(value) if remembered else looks_like_secret(value)) == want


def _is_credential(value: Any, want: Any) -> Tri:
    """A {name|key, value} entry, or text, that gives a credential name a literal; or a known format."""
    if isinstance(value, dict):
        if value.get("$identifier") is True:  # a user or key id beside its secret key (scanner/formats/kubernetes/pod.py)
            return not want
        entry = entry_of(value)
        literal = entry[1] if entry else value.get("value")
        if is_unknown(literal):
            return None
        found = (entry is not None and literal_credential(*entry)) or looks_like_secret(literal)
    elif isinstance(value, str):
        found = looks_like_secret(value) or next(assignments(value), None) is not None
    else:
        found = False
    return found == want


OPERATORS: dict[str, Operator] = {
    "equals": _equals,
    "not_equals": lambda v, o: not _equals(v, o),
    "in": lambda v, o: any(_equals(v, x) for x in o),
    "not_in": lambda v, o: not any(_equals(v, x) for x in o),
    "contains": _contains,
    "not_contains": lambda v, o: (lambda r: None if r is None else not r)(_contains(v, o)),
    "matches": _matches,
    "not_matches": _not_matches,
    "gt": _compare(lambda a, b: a > b),
    "gte": _compare(lambda a, b: a >= b),
    "lt": _compare(lambda a, b: a < b),
    "lte": _compare(lambda a, b: a <= b),
    "length_equals": _length(lambda n, b: n == b),
    "length_gt": _length(lambda n, b: n > b),
    "length_gte": _length(lambda n, b: n >= b),
    "length_lt": _length(lambda n, b: n < b),
    "length_lte": _length(lambda n, b: n <= b),
    "is_public_cidr": lambda v, o: admits_internet(v) == o,
    "cidr_contains": _cidr_contains,
    "cidr_overlaps": _cidr_overlaps,
    "ports_overlap": _ports_overlap,
    "iam_statement": iam_statement,
    "is_secret": _is_secret,
    "is_credential": _is_credential,
}

# Operators whose operand is a compiled regular expression.
REGEX_OPERATORS = frozenset({"matches", "not_matches"})
# Operators whose operand is one or more addresses / CIDRs, checked at load.
CIDR_OPERATORS = frozenset({"cidr_contains", "cidr_overlaps"})
# Operators that need no value (handled by the compiler, not called with one).
STRUCTURAL_OPERATORS = frozenset({"exists", "some", "every"})

MAX_REGEX_LENGTH = 1000


def compile_regex(pattern: str) -> Pattern:
    """Compile a policy regex for RE2 (linear time); ValueError says why one is refused."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ValueError(f"regular expression longer than {MAX_REGEX_LENGTH} characters")
    return Pattern(pattern)
