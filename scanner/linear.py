"""Linear-time regular expressions: RE2 behind the few calls riskgraph makes, so no pattern can backtrack.

Python's ``re`` backtracks: ``x*x*x*x*y`` takes seconds on 100 ``x`` and
``(x+)(x+)(x+)y`` 35 s on 400, and no static check recognises every such
shape. RE2 (``google-re2``) runs in time linear in the text for every
pattern it accepts; it refuses the two features that need backtracking,
lookaround and backreferences, and those refusals are reported here in words
a policy author can act on.

The ``re2`` module's own ``search`` converts every match position back to
``str`` offsets in Python (about 25 µs a call on a short string, 20 times
``re``); a yes/no search here calls the compiled program directly (about
3 µs), and offsets are converted only when text is masked.
"""

from __future__ import annotations

from functools import lru_cache

from typing import Any, Callable, Iterable, Iterator

import re2

_OPTIONS = re2.Options()
_OPTIONS.never_capture = True  # only whole-match spans are ever used: lets RE2 use its DFA
_OPTIONS.log_errors = False
_UNANCHORED = re2._Anchor.UNANCHORED

# RE2's own words for what it refuses, and what to tell the author instead.
_REFUSALS = (
    (("(?=", "(?!", "(?<=", "(?<!"),
     "lookahead and lookbehind ((?=...), (?!...), (?<=...), (?<!...)) are not supported "
     "(regular expressions run on RE2, in linear time); test the opposite with `not_matches` "
     "or wrap the test in `not`"),
    (("\\1", "\\2", "\\3", "\\4", "\\5", "\\6", "\\7", "\\8", "\\9", "(?P="),
     "backreferences (\\1, (?P=name)) are not supported (regular expressions run on RE2, "
     "in linear time)"),
)


class Pattern:
    """A compiled pattern; ``search`` answers whether it occurs, ``spans`` where (``str`` offsets)."""

    __slots__ = ("pattern", "_program")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        translated = _translate(pattern)
        program = re2._re2.RE2(translated.encode("utf-8"), _OPTIONS)
        if not program.ok():
            raise ValueError(_explain(pattern, program.error()))
        self._program = program

    def __reduce__(self) -> tuple[object, ...]:
        return (Pattern, (self.pattern,))

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"

    def search(self, text: str) -> bool:
        """True when the pattern occurs anywhere in ``text``."""
        data = text.encode("utf-8", "surrogatepass")
        return self._program.Match(_UNANCHORED, data, 0, len(data))[0][0] != -1

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """The (start, end) ``str`` offsets of each non-overlapping occurrence, left to right."""
        data = text.encode("utf-8", "surrogatepass")
        ascii_only = len(data) == len(text)
        pos = 0
        done_bytes = done_chars = 0  # offsets converted so far: each byte is decoded once
        while pos <= len(data):
            start, end = self._program.Match(_UNANCHORED, data, pos, len(data))[0]
            if start == -1:
                return
            if ascii_only:
                yield start, end
            else:
                char_start = done_chars + _chars(data, done_bytes, start)
                char_end = char_start + _chars(data, start, end)
                done_bytes, done_chars = end, char_end
                yield char_start, char_end
            pos = end if end > start else end + 1

    def sub(self, replace: Callable[[str], str], text: str) -> str:
        """``text`` with each occurrence replaced by ``replace(occurrence)``."""
        out: list[str] = []
        last = 0
        for start, end in self.spans(text):
            out.append(text[last:start])
            out.append(replace(text[start:end]))
            last = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)


def capturing(pattern: str) -> Any:
    """A pattern with ``re``'s match API (``search``, ``finditer``, ``sub``, groups) on RE2.

    For Terraform's ``regex()`` / ``regexall()`` / ``replace()``, whose patterns
    come from the scanned code (Terraform itself runs them on Go's RE2, so the
    syntax is the right one). Slower per call than :class:`Pattern`; never
    backtracks. ValueError for a pattern RE2 refuses.
    """
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(_translate(pattern), options)
    except re2.error as exc:
        raise ValueError(_explain(pattern, str(exc))) from None


def _chars(data: bytes, start: int, end: int) -> int:
    """How many characters the UTF-8 bytes ``data[start:end]`` hold (continuation bytes do not count)."""
    return sum(1 for b in data[start:end] if b & 0xC0 != 0x80)


class PatternSet:
    """Several patterns searched in one pass: which of them occur in a text.

    ``patterns`` holds each one compiled on its own too, to find where the one
    :meth:`first` names occurs.
    """

    __slots__ = ("patterns", "_set")

    def __init__(self, patterns: Iterable[str]) -> None:
        # compiled one by one first: refused with a readable message before RE2::Set does without one
        self.patterns = tuple(Pattern(p) for p in patterns)
        self._set = re2.Set.SearchSet(_OPTIONS)
        for p in self.patterns:
            self._set.Add(_translate(p.pattern))
        self._set.Compile()

    def __reduce__(self) -> tuple[object, ...]:
        return (PatternSet, (tuple(p.pattern for p in self.patterns),))

    def first(self, text: str) -> int:
        """The index of the first pattern (in the order given) that occurs in ``text``, or -1."""
        found = self._set.Match(text.encode("utf-8", "surrogatepass"))
        return min(found) if found else -1


def _translate(pattern: str) -> str:
    r"""Python spellings RE2 writes differently: ``\Z`` (end of text) is RE2's ``\z``."""
    if "\\Z" not in pattern:
        return pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            pair = pattern[i:i + 2]
            out.append("\\z" if pair == "\\Z" else pair)
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _explain(pattern: str, error: str) -> str:
    for markers, message in _REFUSALS:
        if any(m in pattern for m in markers):
            return message
    return f"invalid regular expression: {error}"


def _glob(pattern: str, text: str) -> bool:
    """IAM-style wildcards: ``*`` any run of characters, ``?`` one character, everything else literal.

    Two pointers, resuming after the last ``*``: O(len(pattern) * len(text))
    at worst, whatever the pattern (patterns come from scanned files, so a
    regular expression with one ``.*`` per star could be made to backtrack).
    """
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, resume = p, t
            p += 1
        elif star >= 0:
            resume += 1
            p, t = star + 1, resume
        else:
            return False
    return all(ch == "*" for ch in pattern[p:])


# the same patterns and requests recur in every policy document of a scan; longer pairs are
# matched afresh: they rarely recur, and the cache would keep them alive
_remembered_glob = lru_cache(maxsize=8192)(_glob)
MAX_REMEMBERED_LENGTH = 512


def glob_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """Whether ``text`` matches the IAM-style wildcard ``pattern`` (linear time, see :func:`_glob`)."""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    return (_remembered_glob if len(pattern) + len(text) <= MAX_REMEMBERED_LENGTH else _glob)(pattern, text)

