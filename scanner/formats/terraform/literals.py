"""Long literal text set aside before tree-sitter sees a file, and put back as the AST is built.

tree-sitter-hcl makes a node of almost every character of a string
literal: a 4 MB literal cost 5.7 s of parsing and 730 MB of tree. A run of
at least ``LONG`` bytes on one line that holds none of the bytes that end
or open something in a template (quote, backslash, ``$``, ``%``, braces)
is replaced by a short marker (blanks at its ends stay: tree-sitter leaves
them out of the node); lines are unchanged, so every line number
stays right. The converter puts the text back wherever a marker shows up
(:func:`restore`). A file whose shrunk text does not parse cleanly (a
marker where an identifier stood, say) is parsed again as written.
"""

from __future__ import annotations

LONG = 4096
MARK = "\ue000"  # a private-use character; files that hold one are parsed as written
_MARK_BYTES = MARK.encode("utf-8")
_BREAKS = bytes.maketrans(b'"\\$%{}\r', b"\n" * 7)


def shrink(source: bytes) -> tuple[bytes, list[str]]:
    """``source`` with each long literal run replaced by ``MARK<n>MARK``, and the runs (decoded)."""
    if len(source) < LONG or _MARK_BYTES in source:
        return source, []
    lines = source.split(b"\n")
    if max(map(len, lines)) < LONG:
        return source, []
    runs: list[str] = []
    for i, line in enumerate(lines):
        if len(line) >= LONG:
            lines[i] = _shrink_line(line, runs)
    return (b"\n".join(lines), runs) if runs else (source, [])


def _shrink_line(line: bytes, runs: list[str]) -> bytes:
    out: list[bytes] = []
    pos = last = 0
    for piece in line.translate(_BREAKS).split(b"\n"):
        if len(piece) >= LONG:
            # blanks at either end stay: tree-sitter-hcl leaves them out of a literal's node
            start = pos + len(piece) - len(piece.lstrip(b" \t"))
            end = pos + len(piece.rstrip(b" \t"))
            if end - start >= LONG:
                out.append(line[last:start])
                out.append(b"%s%d%s" % (_MARK_BYTES, len(runs), _MARK_BYTES))
                runs.append(line[start:end].decode("utf-8", "replace"))
                last = end
        pos += len(piece) + 1
    out.append(line[last:])
    return b"".join(out)


def restore(text: str, runs: list[str]) -> str:
    """``text`` with every marker replaced by the run it stands for."""
    parts = text.split(MARK)
    return "".join(runs[int(p)] if i % 2 else p for i, p in enumerate(parts))
