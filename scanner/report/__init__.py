"""Reporters: each a pure function ``render(report, **options) -> str`` of a `Report`."""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from ..model import Report

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
