"""The Terraform built-in functions that matter in security-relevant arguments, evaluated statically."""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Callable

from ...linear import capturing
from ...model import Unknown, is_unknown
from .values import Invalid, TfSet, has_invalid, has_unknown, to_bool, to_number, tostr


class UnknownArg(Exception):
    """Raised inside a function when an argument it needs is not known."""


def _known(*values: Any) -> None:
    for v in values:
        if has_unknown(v):
            raise UnknownArg()


class EncodedUnknown(Unknown):
    """The result of ``jsonencode()`` over a value with unknown leaves.

    The string itself is unknown (policies never guess it), but the structure
    that would be encoded is kept in ``decoded`` so IAM documents still
    normalise: their known statements are tested, the unknown leaves stay
    :class:`Unknown`. ``jsondecode()`` of it gives the structure back.
    """

    __slots__ = ("decoded",)

    def __init__(self, decoded: Any, reason: str = "jsonencode() of a partly unknown value") -> None:
        super().__init__(reason)
        self.decoded = decoded

    def __reduce__(self) -> tuple[Any, ...]:
        return (EncodedUnknown, (self.decoded, self.reason))


def _jsonencode(v: Any) -> Any:
    if has_unknown(v):
        return EncodedUnknown(v)
    return json.dumps(v, separators=(",", ":"))


def _jsondecode(s: Any) -> Any:
    if isinstance(s, EncodedUnknown):
        return s.decoded
    _known(s)
    return json.loads(s)


def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for item in lists:
        if is_unknown(item):
            raise UnknownArg()
        out.extend(item)
    return out


def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if is_unknown(m):
            raise UnknownArg()
        if m is not None:
            out.update(m)
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    _known(key)
    if is_unknown(m):
        raise UnknownArg()
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise KeyError(key)


def _format(fmt: Any, *args: Any) -> Any:
    _known(fmt, *args)
    out: list[str] = []
    i, n = 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            j = i + 1
            while j < len(fmt) and fmt[j] in "+-# 0123456789.":
                j += 1
            verb = fmt[j] if j < len(fmt) else ""
            if verb == "%":
                out.append("%")
            else:
                arg = args[n]
                n += 1
                out.append(json.dumps(arg) if verb == "q" else tostr(arg) if verb in "sv" else
                           str(int(arg)) if verb == "d" else tostr(arg))
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> Any:
    _known(prefix, newbits, netnum)
    net = ipaddress.ip_network(prefix, strict=False)
    new_prefix = net.prefixlen + int(newbits)
    size = 2 ** (net.max_prefixlen - new_prefix)
    first = int(net.network_address) + int(netnum) * size
    return str(ipaddress.ip_network((first, new_prefix)))


def _cidrhost(prefix: Any, hostnum: Any) -> Any:
    _known(prefix, hostnum)
    net = ipaddress.ip_network(prefix, strict=False)
    return str(net.network_address + int(hostnum))


def _tolist(v: Any) -> Any:
    if is_unknown(v):
        raise UnknownArg()
    return list(v.values()) if isinstance(v, dict) else list(v)


def _toset(v: Any) -> Any:
    if is_unknown(v):
        raise UnknownArg()
    out: list[Any] = []
    seen: set[Any] = set()
    for item in v:
        try:
            key = (type(item), item)
            if key in seen:
                continue
            seen.add(key)
        except TypeError:  # an unhashable element (a map or list): compare by value
            if item in out:
                continue
        out.append(item)
    return TfSet(out)


def _coalesce(*vals: Any) -> Any:
    for v in vals:
        if is_unknown(v):
            raise UnknownArg()
        if v is not None and v != "":
            return v
    raise ValueError("no non-null argument")


def _element(lst: Any, idx: Any) -> Any:
    _known(idx)
    if is_unknown(lst):
        raise UnknownArg()
    return lst[int(idx) % len(lst)]


def _try(*vals: Any) -> Any:
    """The first argument that is not an error; unknown as soon as one is not known before apply.

    As in Terraform, an argument that depends on an unknown value makes the
    whole result unknown: it might succeed or fail once known, so neither it
    nor a later fallback may be taken.
    """
    for v in vals:
        if has_invalid(v):
            continue
        if has_unknown(v):
            return v if is_unknown(v) else Unknown("try() over a value not known before apply")
        return v
    return Invalid("no try() argument could be evaluated")


def _can(v: Any) -> Any:
    """``can()``: false for an error, unknown for a value known only at apply time, else true."""
    if has_invalid(v):
        return False
    if has_unknown(v):
        return Unknown("can() over a value not known before apply")
    return True


def _flatten(v: Any) -> Any:
    if is_unknown(v):
        raise UnknownArg()
    out: list[Any] = []
    for item in v:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _substr(s: Any, offset: Any, length: Any) -> Any:
    _known(s, offset, length)
    start = int(offset)
    return s[start:] if int(length) < 0 else s[start:start + int(length)]


def _setunion(*sets: Any) -> Any:
    _known(*sets)
    return _toset([x for s in sets for x in s])


def _keys_known(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For functions that only need a map's keys (values may stay unknown)."""
    def wrapped(m: Any, *rest: Any) -> Any:
        if is_unknown(m) or not isinstance(m, dict):
            raise UnknownArg()
        _known(*rest)
        return fn(m, *rest)
    return wrapped


MAX_RANGE = 100_000


def _range(*args: Any) -> list[int]:
    """Terraform's range(), refusing (as unknown) lists too long to be configuration."""
    r = range(*(int(x) for x in args))
    if len(r) > MAX_RANGE:
        raise ValueError("range too long")
    return list(r)


def _regex(pattern: str, s: str) -> Any:
    """Terraform's regex(): the match, or its groups (a list, or a map for named groups)."""
    m = capturing(pattern).search(s)  # RE2, as Terraform: a pattern in scanned code cannot hang the scan
    if m is None:
        raise ValueError("no match")
    if m.groupdict():
        return m.groupdict()
    return list(m.groups()) if m.groups() else m.group(0)


def _regexall(pattern: str, s: str) -> list[Any]:
    """Terraform's regexall(): every match, each shaped as regex() shapes one (RE2, as regex())."""
    out: list[Any] = []
    for m in capturing(pattern).finditer(s):
        out.append(m.groupdict() if m.groupdict() else list(m.groups()) if m.groups() else m.group(0))
    return out


def _replace(s: str, old: str, new: str) -> str:
    """Terraform's replace(): ``old`` in slashes is a regular expression, ``$1`` / ``${name}`` its groups."""
    import re

    if len(old) >= 2 and old.startswith("/") and old.endswith("/"):
        template = re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)",
                          lambda m: "$" if m.group(0) == "$$" else f"\\g<{m.group(1) or m.group(2)}>",
                          new.replace("\\", "\\\\"))
        return capturing(old[1:-1]).sub(template, s)  # RE2: the pattern comes from the scanned code
    return s.replace(old, new)


def _one(lst: list[Any]) -> Any:
    if len(lst) > 1:
        raise ValueError("one() of more than one element")
    return lst[0] if lst else None


def _tostring(v: Any) -> str:
    if isinstance(v, (dict, list)):
        raise TypeError("tostring() of a collection")
    return tostr(v)


def _transpose(m: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in sorted(m):
        for v in m[k]:
            out.setdefault(v, []).append(k)
    return out


def _coalescelist(*lists: Any) -> Any:
    """The first non-empty list; unknown as soon as a list before it is not known."""
    for lst in lists:
        if is_unknown(lst):
            raise UnknownArg()
        if not isinstance(lst, list):
            raise TypeError("coalescelist() takes lists")
        if lst:
            return lst
    raise ValueError("no non-empty list")


def _all_any(want: bool) -> Callable[[Any], Any]:
    """``alltrue`` (want False) / ``anytrue`` (want True): decided by one known element, else unknown."""
    def fn(lst: Any) -> Any:
        if is_unknown(lst):
            raise UnknownArg()
        unknown = False
        for item in lst:
            if is_unknown(item):
                unknown = True
            elif to_bool(item) is want:
                return want
        if unknown:
            raise UnknownArg()
        return not want
    return fn


def _title(s: str) -> str:
    """Terraform's title(): the first letter of each word upper-cased, the rest left as written."""
    out, after_letter = [], False
    for ch in s:
        out.append(ch if after_letter else ch.upper())
        after_letter = ch.isalnum()
    return "".join(out)


def _text(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A function of strings: numbers and bools given to it become strings first, as Terraform converts them."""
    def wrapped(*args: Any) -> Any:
        _known(*args)
        return fn(*(tostr(a) if isinstance(a, (bool, int, float)) else a for a in args))
    return wrapped


def _simple(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        _known(*args)
        return fn(*args)
    return wrapped


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "concat": _concat,
    "merge": _merge,
    "lookup": _lookup,
    "format": _format,
    "cidrsubnet": _cidrsubnet,
    "cidrhost": _cidrhost,
    "tolist": _tolist,
    "toset": _toset,
    "tomap": _simple(dict),
    "tostring": _simple(lambda v: None if v is None else _tostring(v)),
    "tonumber": _simple(lambda v: None if v is None else to_number(v)),
    "tobool": _simple(lambda v: None if v is None else to_bool(v)),
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "alltrue": _all_any(False),
    "anytrue": _all_any(True),
    "strcontains": _text(lambda s, sub: sub in s),
    "trim": _text(lambda s, chars: s.strip(chars)),
    "element": _element,
    "try": _try,
    "flatten": _flatten,
    "lower": _text(lambda s: s.lower()),
    "upper": _text(lambda s: s.upper()),
    "title": _text(_title),
    "trimspace": _text(lambda s: s.strip()),
    "join": _simple(lambda sep, lst: sep.join(tostr(x) for x in lst)),
    "split": _text(lambda sep, s: s.split(sep)),
    "replace": _text(lambda s, a, b: _replace(s, a, b)),
    "length": _simple(len),
    "keys": _keys_known(lambda m: sorted(m)),
    "substr": _substr,
    "setunion": _setunion,
    "startswith": _text(lambda s, p: s.startswith(p)),
    "endswith": _text(lambda s, p: s.endswith(p)),
    "trimprefix": _text(lambda s, p: s[len(p):] if s.startswith(p) else s),
    "trimsuffix": _text(lambda s, p: s[:-len(p)] if p and s.endswith(p) else s),
    "formatlist": _simple(lambda fmt, *lists: [_format(fmt, *row) for row in zip(*lists)]),
    "range": _simple(lambda *a: _range(*a)),
    "reverse": _simple(lambda lst: list(reversed(lst))),
    "sort": _simple(lambda lst: sorted(lst, key=tostr)),
    "slice": _simple(lambda lst, a, b: lst[int(a):int(b)]),
    "index": _simple(lambda lst, v: lst.index(v)),
    "chunklist": _simple(lambda lst, n: [lst[i:i + int(n)] for i in range(0, len(lst), int(n))]),
    "sum": _simple(sum),
    "ceil": _simple(lambda v: -int(-v // 1)),
    "floor": _simple(lambda v: int(v // 1)),
    "regex": _text(lambda pattern, s: _regex(pattern, s)),
    "regexall": _text(lambda pattern, s: _regexall(pattern, s)),
    "base64encode": _text(lambda s: __import__("base64").b64encode(s.encode()).decode()),
    "base64decode": _simple(lambda s: __import__("base64").b64decode(s).decode("utf-8", "replace")),
    "cidrnetmask": _simple(lambda p: str(ipaddress.ip_network(p, strict=False).netmask)),
    "nonsensitive": lambda v: v,
    "sensitive": lambda v: v,
    "transpose": _simple(lambda m: _transpose(m)),
    "values": _simple(lambda m: [m[k] for k in sorted(m)]),
    "contains": _simple(lambda lst, v: v in lst),
    "distinct": lambda v: list(_toset(v)),
    "compact": _simple(lambda lst: [x for x in lst if x not in (None, "")]),
    "min": _simple(lambda *a: min(a)),
    "max": _simple(lambda *a: max(a)),
    "abs": _simple(abs),
    "zipmap": _simple(lambda k, v: dict(zip(k, v))),
    "can": _can,
    "one": _simple(lambda lst: _one(lst)),
}

# Functions that take errors in their arguments as input rather than failing with them.
ERROR_AWARE = frozenset({"try", "can"})

__all__ = ["ERROR_AWARE", "FUNCTIONS", "EncodedUnknown", "UnknownArg", "Unknown"]
