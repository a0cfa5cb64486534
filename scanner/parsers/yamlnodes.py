"""YAML loading that keeps a line for every value, safely.

Values are built from libyaml's event stream with an explicit stack rather
than its recursive composer, which overflows the C stack on deeply nested
input. Aliases share the anchored value; their expanded size is charged to a
budget, so an alias bomb ("billion laughs") is refused instead of expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional

import yaml
from yaml.resolver import Resolver

try:
    from yaml.cyaml import CParser as _Parser  # yaml itself does not export CParser
except ImportError:  # pragma: no cover - libyaml missing
    from yaml.parser import Parser as _ParserBase
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _ParserBase):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _ParserBase.__init__(self)

MAX_VALUES = 1_000_000   # values per document, aliases counted expanded
MAX_DEPTH = 512

_RESOLVER = Resolver()
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


@dataclass
class Document:
    """One YAML document as plain values, with the line of each dotted path."""

    value: Any
    lines: dict[str, int]
    start_line: int
    end_line: int


@dataclass
class YamlProblem:
    """Why the rest of a YAML stream could not be read."""

    message: str
    line: Optional[int]


class _Frame:
    __slots__ = ("container", "path", "key", "key_line", "anchor", "size", "line")

    def __init__(self, container: Any, path: str, anchor: Optional[str], line: int) -> None:
        self.container = container
        self.path = path
        self.key: Any = _NO_KEY
        self.key_line = line
        self.anchor = anchor
        self.size = 1
        self.line = line


_NO_KEY = object()
_MERGE = object()


def iter_documents(text: str) -> Iterator[Document | YamlProblem]:
    """Yield each document; a syntax error or a limit yields a `YamlProblem` and stops."""
    parser = _Parser(text)
    try:
        yield from _documents(parser)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        yield YamlProblem(f"YAML syntax error: {exc.problem or exc.context}",
                          mark.line + 1 if mark else None)
    except yaml.YAMLError as exc:
        yield YamlProblem(f"YAML error: {exc}", None)
    except _Limit as exc:
        yield YamlProblem(exc.args[0], exc.args[1])
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose:
            dispose()


class _Limit(Exception):
    pass


def _documents(parser: Any) -> Iterator[Document]:
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    lines: dict[str, int] = {}
    budget = MAX_VALUES
    doc_start = 1
    root: Any = None
    while True:
        event = parser.get_event()
        if event is None:
            return
        etype = type(event)
        if etype is yaml.DocumentStartEvent:
            stack, anchors, lines, budget, root = [], {}, {}, MAX_VALUES, None
            doc_start = event.start_mark.line + 1
            continue
        if etype is yaml.DocumentEndEvent:
            yield Document(root, lines, doc_start, event.end_mark.line + 1)
            continue
        if etype is yaml.StreamEndEvent:
            return
        if etype in (yaml.StreamStartEvent,):
            continue
        line = event.start_mark.line + 1
        if not stack and root is None:
            doc_start = line  # the document's first content line, not its `---`
        if etype is yaml.MappingStartEvent or etype is yaml.SequenceStartEvent:
            if len(stack) >= MAX_DEPTH:
                raise _Limit(f"YAML nesting deeper than {MAX_DEPTH} levels", line)
            path = _child_path(stack)
            if path is None:  # a complex (mapping or sequence) key: read it, then drop it
                path = "\0"
            frame = _Frame({} if etype is yaml.MappingStartEvent else [], path, event.anchor, line)
            stack.append(frame)
            budget -= 1
            if budget < 0:
                raise _Limit(f"YAML expands to more than {MAX_VALUES} values (alias bomb?)", line)
            continue
        if etype is yaml.MappingEndEvent or etype is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame.anchor:
                anchors[frame.anchor] = (frame.container, frame.size)
            if stack:
                stack[-1].size += frame.size
            root = _place(stack, frame.container, frame.path, frame.line, lines, root)
            continue
        if etype is yaml.ScalarEvent:
            value = _scalar(event)
            size = 1
            if event.anchor:
                anchors[event.anchor] = (value, 1)
        elif etype is yaml.AliasEvent:
            if event.anchor not in anchors:
                raise _Limit(f"YAML alias *{event.anchor} has no anchor", line)
            value, size = anchors[event.anchor]
        else:
            continue
        budget -= size
        if budget < 0:
            raise _Limit(f"YAML expands to more than {MAX_VALUES} values (alias bomb?)", line)
        if stack:
            stack[-1].size += size
        path = _child_path(stack)
        root = _place(stack, value, path, line, lines, root)


def _child_path(stack: list[_Frame]) -> Optional[str]:
    """The dotted path of the value about to be added, or None while reading a mapping key."""
    if not stack:
        return ""
    top = stack[-1]
    prefix = top.path + "." if top.path else ""
    if isinstance(top.container, list):
        return f"{prefix}{len(top.container)}"
    if top.key is _NO_KEY:
        return None
    if top.key is _MERGE:
        return "\0"
    return f"{prefix}{top.key}"


def _place(stack: list[_Frame], value: Any, path: Optional[str], line: int,
           lines: dict[str, int], root: Any) -> Any:
    if not stack:
        return value
    top = stack[-1]
    container = top.container
    if isinstance(container, list):
        container.append(value)
        if path and "\0" not in path:
            lines[path] = line
        return root
    if top.key is _NO_KEY:
        if isinstance(value, (dict, list)):
            value = str(value)
        top.key = _MERGE if value == "<<" and path is None else value
        top.key_line = line
        return root
    key = top.key
    top.key = _NO_KEY
    if key is _MERGE:
        for source in (value if isinstance(value, list) else [value]):
            if isinstance(source, dict):
                for k, v in source.items():
                    container.setdefault(k, v)
        return root
    key = key if isinstance(key, str) else _key_text(key)
    container[key] = value
    if path and "\0" not in path:
        lines[path] = top.key_line
    return root


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key)


def _scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    if event.style or not event.implicit[0]:
        if event.tag in (None, "!", "tag:yaml.org,2002:str") or event.style:
            return value
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == "tag:yaml.org,2002:int":
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:bool":
        return _BOOL.get(value.lower(), value)
    if tag == "tag:yaml.org,2002:null":
        return None
    return value
