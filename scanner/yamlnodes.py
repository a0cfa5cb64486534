"""YAML loading that keeps a line for every value, safely.

Values are built from libyaml's event stream with an explicit stack rather
than its recursive composer, which overflows the C stack on deeply nested
input. Aliases share the anchored value; their expanded size is charged to a
budget, so an alias bomb ("billion laughs") is refused instead of expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import yaml
from yaml.events import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingStartEvent,
                         ScalarEvent, SequenceStartEvent, StreamEndEvent)
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
# Plain scalars already resolved (keys and common values repeat across documents and files):
# resolving is a pure function of the text, and the regexes cost several times a dict lookup.
_PLAIN: dict[str, Any] = {}
_PLAIN_MAX_ENTRIES = 20_000
_PLAIN_MAX_LENGTH = 64


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
    """An open mapping or sequence: its value so far and where its children's lines go."""

    __slots__ = ("container", "is_list", "path", "prefix", "key", "key_line", "anchor",
                 "budget", "line")

    def __init__(self, container: Any, path: str, anchor: Optional[str], line: int,
                 budget: int) -> None:
        self.container = container
        self.is_list = type(container) is list
        self.path = path
        self.prefix = path + "." if path else ""
        self.key: Any = _NO_KEY
        self.key_line = line
        self.anchor = anchor
        self.budget = budget  # the budget before this value: what it used is its expanded size
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


def first_document(text: str) -> Document | YamlProblem | None:
    """The first document (or the problem that stopped it), reading no further; None when there is none."""
    return next(iter_documents(text), None)


def load_file(path: str) -> Any:
    """The value of the first document of a YAML data file of ours (None when it has none);
    a document that cannot be read raises ValueError naming ``path:line``."""
    with open(path, encoding="utf-8") as handle:
        doc = first_document(handle.read())
    if isinstance(doc, YamlProblem):
        raise ValueError(f"{path}:{doc.line}: {doc.message}")
    return doc.value if doc is not None else None


class _Limit(Exception):
    pass


def _documents(parser: Any) -> Iterator[Document]:
    get_event = parser.get_event
    while True:
        event = get_event()
        etype = type(event)
        if etype is DocumentStartEvent:
            yield _document(get_event, event.start_mark.line + 1)
        elif event is None or etype is StreamEndEvent:
            return


def _document(get_event: Callable[[], Any], doc_start: int) -> Document:
    """Read the events of one document, after its start, into a `Document`.

    The innermost open collection is kept in ``top`` and scalars are placed
    inline: this loop runs once per YAML value, so it avoids calls.
    """
    stack: list[_Frame] = []
    top: Optional[_Frame] = None
    anchors: dict[str, tuple[Any, int]] = {}
    lines: dict[str, int] = {}
    budget = MAX_VALUES
    root: Any = None
    while True:
        event = get_event()
        etype = type(event)
        if etype is ScalarEvent:
            line = event.start_mark.line + 1
            value = event.value
            if not event.style and event.implicit[0]:  # plain: YAML 1.1 implicit types apply
                known = _PLAIN.get(value, _PLAIN)  # the dict itself marks "not seen"
                value = _plain(value) if known is _PLAIN else known
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            budget -= 1
        elif etype is AliasEvent:
            line = event.start_mark.line + 1
            if event.anchor not in anchors:
                raise _Limit(f"YAML alias *{event.anchor} has no anchor", line)
            value, size = anchors[event.anchor]
            budget -= size
        elif etype is MappingStartEvent or etype is SequenceStartEvent:
            line = event.start_mark.line + 1
            if top is None:
                doc_start = line  # the document's first content line, not its `---`
            top = _open(stack, top, event, line, budget)
            budget -= 1
            if budget < 0:
                raise _Limit(f"YAML expands to more than {MAX_VALUES} values (alias bomb?)", line)
            continue
        elif etype is DocumentEndEvent:
            return Document(root, lines, doc_start, event.end_mark.line + 1)
        else:  # the end of a mapping or sequence
            frame = stack.pop()
            if frame.anchor:
                anchors[frame.anchor] = (frame.container, frame.budget - budget)
            top = _place_collection(stack, frame, lines)
            if top is None:
                root = frame.container
            continue
        if budget < 0:
            raise _Limit(f"YAML expands to more than {MAX_VALUES} values (alias bomb?)", line)
        if top is None:
            root, doc_start = value, line
        elif top.is_list:
            container = top.container
            path = f"{top.prefix}{len(container)}"
            container.append(value)
            if "\0" not in path:
                lines[path] = line
        elif top.key is _NO_KEY:  # a mapping key, held until its value arrives
            top.key = value if type(value) is str and value != "<<" else _key(value)
            top.key_line = line
        else:
            key = top.key
            top.key = _NO_KEY
            if key is _MERGE:
                _merge(top.container, value)
            else:
                top.container[key if type(key) is str else _key_text(key)] = value
                path = f"{top.prefix}{key}"
                if path and "\0" not in path:
                    lines[path] = top.key_line


def _open(stack: list[_Frame], top: Optional[_Frame], event: Any, line: int,
          budget: int) -> _Frame:
    """Push the mapping or sequence that ``event`` starts; it is the new innermost one."""
    if len(stack) >= MAX_DEPTH:
        raise _Limit(f"YAML nesting deeper than {MAX_DEPTH} levels", line)
    if top is None:
        path = ""
    elif top.is_list:
        path = f"{top.prefix}{len(top.container)}"
    elif top.key is _NO_KEY or top.key is _MERGE:
        path = "\0"  # a complex key or a merged mapping: read it, then drop it
    else:
        path = f"{top.prefix}{top.key}"
    frame = _Frame({} if type(event) is MappingStartEvent else [], path, event.anchor, line,
                   budget)
    stack.append(frame)
    return frame


def _place_collection(stack: list[_Frame], frame: _Frame,
                      lines: dict[str, int]) -> Optional[_Frame]:
    """Add a finished mapping or sequence to the collection that holds it, and return that one."""
    if not stack:
        return None
    top = stack[-1]
    path = frame.path
    if top.is_list:
        top.container.append(frame.container)
        if "\0" not in path:
            lines[path] = frame.line
    elif top.key is _NO_KEY:
        top.key = _key(frame.container)
        top.key_line = frame.line
    else:
        key = top.key
        top.key = _NO_KEY
        if key is _MERGE:
            _merge(top.container, frame.container)
        else:
            top.container[key if type(key) is str else _key_text(key)] = frame.container
            if path and "\0" not in path:
                lines[path] = top.key_line
    return top


def _key(value: Any) -> Any:
    """A mapping key as read; ``<<`` marks a merge, and a collection key becomes its text."""
    if value == "<<":
        return _MERGE
    return str(value) if isinstance(value, (dict, list)) else value


def _merge(container: dict[Any, Any], value: Any) -> None:
    """``<<: *anchor`` (or a list of them): copy the keys the mapping does not set itself."""
    for source in (value if isinstance(value, list) else [value]):
        if isinstance(source, dict):
            for k, v in source.items():
                container.setdefault(k, v)


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key)


def _plain(text: str) -> Any:
    """Resolve a plain scalar under YAML 1.1's implicit types, and remember short ones."""
    value = _construct(_RESOLVER.resolve(yaml.ScalarNode, text, (True, False)), text)
    # NaN is not remembered: one shared NaN object would compare equal to itself in containers.
    if len(text) <= _PLAIN_MAX_LENGTH and len(_PLAIN) < _PLAIN_MAX_ENTRIES and value == value:
        _PLAIN[text] = value
    return value


def _construct(tag: str, value: str) -> Any:
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
