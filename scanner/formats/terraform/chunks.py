"""A large HCL file parsed by tree-sitter a range of top-level items at a time, so one tree is alive at once.

tree-sitter's tree costs ~120 bytes per source byte: a 4.3 MB file of
100,000 resources held 500 MB in one tree. Cut at line starts that begin a
top-level item (a name in the first column), each range is parsed with
``included_ranges`` (nodes keep their positions in the whole file) and
converted before the next is parsed. A cut inside a heredoc, a comment or a
bracket leaves its range unfinished, which tree-sitter reports as an error:
that range is then grown (doubling) until it parses cleanly or reaches the
end of the file, so an accepted cut always lies between two top-level items.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

CHUNK_BYTES = 256 * 1024  # ~30 MB of tree at a time
_READ = 65536
# The blocks a Terraform file holds at top level; nested blocks (ingress, rule ...) have other names.
_TOP = (b"resource", b"data", b"module", b"variable", b"output", b"locals", b"provider",
        b"terraform", b"moved", b"import", b"removed", b"check")


def next_cut(source: bytes, at: int) -> int:
    """The first line start at or after ``at`` that opens a top-level block; ``len(source)`` when none."""
    size = len(source)
    if at <= 0:
        return 0
    pos = at - 1
    while True:
        pos = source.find(b"\n", pos)
        if pos < 0 or pos + 1 >= size:
            return size
        line = source[pos + 1:pos + 12]
        if line.startswith(_TOP):
            word = line.split(None, 1)[0].split(b"{", 1)[0]
            if word in _TOP:
                return pos + 1
        pos += 1


def trees(source: bytes, make_parser: Callable[..., Any], budget: float,
          chunk: int = CHUNK_BYTES, start: int = 0, stop: int = -1) -> Iterator[tuple[Any, bool]]:
    """``(tree, finished)`` for consecutive ranges of ``source`` (from ``start``, a cut, up to ``stop``).

    ``finished`` is False once tree-sitter has spent ``budget`` seconds of CPU
    time (a loaded machine does not cut a parse short; the conversion between
    ranges is not charged). ``make_parser()`` is the shared parser for a whole file, ``make_parser(fresh=True)`` one for ranges.
    A range that does not parse cleanly grows up to ``stop`` (the end by default), no further.
    """
    import tree_sitter

    size = len(source) if stop < 0 else stop
    row = source.count(b"\n", 0, start)
    first = start
    parser = None
    while start < size or (start == first and size == first):
        end = size if size - start <= chunk else min(size, next_cut(source, start + chunk))
        while True:
            began = time.process_time()
            if start == 0 and end == len(source):
                tree, finished = _parse(make_parser(), source, began + budget)
            else:
                parser = parser or make_parser(fresh=True)
                end_row = row + source.count(b"\n", start, end)
                end_col = end - (source.rfind(b"\n", 0, end) + 1)
                parser.included_ranges = [tree_sitter.Range((row, 0), (end_row, end_col), start, end)]
                tree, finished = _parse(parser, source, began + budget)
            budget -= time.process_time() - began  # converting the trees is not charged
            if not finished or end >= size or not tree.root_node.has_error:
                break
            end = min(size, next_cut(source, start + 2 * (end - start)))
        yield tree, finished
        if not finished:
            return
        row += source.count(b"\n", start, end)
        start = end
        if size == first:
            return


def _parse(parser: Any, source: bytes, deadline: float) -> tuple[Any, bool]:
    """tree-sitter reads through the callback; ending the input there is how a parse is cut short."""
    cut = False

    def read(offset: int, _point: Any) -> bytes:
        nonlocal cut
        if offset < len(source) and time.process_time() > deadline:
            cut = True
            return b""
        return source[offset:offset + _READ]

    return parser.parse(read), not cut
