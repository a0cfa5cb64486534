"""Reporters: each a pure function ``render(report, **options) -> str`` of a `Report` (``chunks`` where it streams)."""

from __future__ import annotations

import importlib
from typing import Any, Iterator, Mapping

from ..model import PathStep, Report

REPORTERS: Mapping[str, str] = {
    "text": "scanner.report.text",
    "json": "scanner.report.json",
    "sarif": "scanner.report.sarif",
    "junit": "scanner.report.junit",
    "markdown": "scanner.report.markdown",
    "html": "scanner.report.html",
    "gitlab-sast": "scanner.report.gitlab_sast",
}


def render(report: Report, fmt: str, **options: Any) -> str:
    """Render ``report`` in format ``fmt`` (a key of :data:`REPORTERS`)."""
    if fmt not in REPORTERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(REPORTERS)}")
    return importlib.import_module(REPORTERS[fmt]).render(report, **options)


def pieces(report: Report, fmt: str, **options: Any) -> Iterator[str]:
    """The text of :func:`render` in pieces: a reporter's ``chunks(report, **options)`` where it has one.

    Written piece by piece (scanner/output.py), a report of hundreds of
    thousands of findings is never one string in memory.
    """
    if fmt not in REPORTERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(REPORTERS)}")
    module = importlib.import_module(REPORTERS[fmt])
    chunks = getattr(module, "chunks", None)
    return iter(chunks(report, **options) if chunks else (module.render(report, **options),))


def edge_label(step: PathStep) -> str:
    """The edge that led to ``step``, with what it stands for when its kind alone does not say:
    ``escapes_to [CE_PRIV_MOUNT]`` ('' for a path's first step)."""
    return f"{step.edge} [{step.detail}]" if step.detail else step.edge
