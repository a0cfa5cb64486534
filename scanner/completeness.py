"""Whether a scan saw everything it was asked to: an error diagnostic marks a file, object or step it could not cover."""

from __future__ import annotations

from typing import Iterable

from .model import Diagnostic

# Error diagnostics that lose no coverage: a malformed suppression comment is ignored, so the
# finding it meant to hide is still reported.
COVERAGE_KEPT = ("suppression-",)


def gaps(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics that make a scan incomplete: every ``error`` but those in COVERAGE_KEPT."""
    return [d for d in diagnostics if d.level == "error" and not d.code.startswith(COVERAGE_KEPT)]


def summary(missing: list[Diagnostic]) -> str:
    """One line saying the scan is incomplete, how much and where it starts."""
    first = missing[0]
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    return f"scan incomplete: {first}{more}"
