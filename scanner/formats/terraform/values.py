"""What the evaluator tells apart beyond plain values: errors, sets, and Terraform's own conversions."""

from __future__ import annotations

from typing import Any

from ...model import Unknown, is_unknown


class Invalid(Unknown):
    """An expression Terraform itself would reject: a missing key or index, a failing function, a bad operand.

    Everywhere it is just unknown (a policy never guesses over it); only
    ``try()`` and ``can()`` tell it apart, because an error is exactly what
    they turn into their fallback or ``false``, while a value known only at
    apply time leaves them unknown too.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Invalid, (self.reason,))


def has_invalid(v: Any) -> bool:
    """True when ``v`` is, or holds at any depth, an :class:`Invalid`."""
    if isinstance(v, Invalid):
        return True
    if isinstance(v, dict):
        return any(has_invalid(x) for x in v.values())
    if isinstance(v, list):
        return any(has_invalid(x) for x in v)
    return False


def tostr(v: Any) -> str:
    """Terraform's string conversion of a primitive."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        return ""
    return str(v)


def to_bool(v: Any) -> bool:
    """Terraform's conversion to bool: a bool, or the string "true" / "1" / "false" / "0"; anything else is an error."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v in ("true", "false", "1", "0"):
        return v in ("true", "1")
    raise TypeError(f"{v!r} is not a bool")


def to_number(v: Any) -> Any:
    """Terraform's conversion to number: a number, or its string form ("8", "0.5", "1e3"); a bool or other string is an error."""
    if isinstance(v, bool):
        raise TypeError(f"{v!r} is not a number")
    if isinstance(v, str):
        return float(v) if any(c in v for c in ".eE") else int(v)
    return v


def has_unknown(v: Any) -> bool:
    """True when ``v`` is, or holds at any depth, an :class:`Unknown`."""
    if is_unknown(v):
        return True
    if isinstance(v, dict):
        return any(has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(has_unknown(x) for x in v)
    return False


class TfSet(list):
    """A Terraform set (``toset()``, ``setunion()``, a ``set(...)`` variable): a list whose keys are its values.

    Iterated by ``for`` or a ``dynamic`` block, an element's key is the
    element itself, as Terraform gives it, not its position.
    """

    __slots__ = ()


def pairs_of(coll: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs of a collection as ``for`` and ``dynamic`` see them."""
    if isinstance(coll, dict):
        return list(coll.items())
    if isinstance(coll, TfSet):
        return [(v, v) for v in coll]
    return list(enumerate(coll))
