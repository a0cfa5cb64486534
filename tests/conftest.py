"""Shared test helpers: the repository layout and a once-per-session policy load."""

from __future__ import annotations

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
POLICIES = os.path.join(ROOT, "policies")
SYSTEMS = os.path.join(FIXTURES, "systems")
SARIF_SCHEMA = os.path.join(os.path.dirname(ROOT), "shared", "schemas", "sarif-schema-2.1.0.json")


@pytest.fixture(scope="session", autouse=True)
def _session_cache_dir(tmp_path_factory):
    """The policy and parse caches of a test session live in its own directory, not the user's."""
    if "RISKGRAPH_CACHE_DIR" in os.environ:
        yield
        return
    patch = pytest.MonkeyPatch()
    patch.setenv("RISKGRAPH_CACHE_DIR", str(tmp_path_factory.mktemp("riskgraph-cache")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def builtin_policies():
    from scanner.policy import load_policies

    return {p.id: p for p in load_policies()}


# Set by .ci/run: a test needing an outside tool (checkov, chromium) fails instead of skipping.
REQUIRE_TOOLS = os.environ.get("RISKGRAPH_REQUIRE_TOOLS") == "1"


def need_tool(found: bool, what: str) -> None:
    """Skip (with the reason) when ``what`` is not installed; in CI (RISKGRAPH_REQUIRE_TOOLS=1) fail."""
    if found:
        return
    if REQUIRE_TOOLS:
        pytest.fail(f"{what} is not installed, and RISKGRAPH_REQUIRE_TOOLS=1 requires it")
    pytest.skip(f"{what} is not installed (.ci/run installs it)")


def parse_tree(path):
    """Discover and parse everything under ``path`` (a test's tmp_path) as a scan of it would: the ``Parsed``."""
    from scanner.discover import discover
    from scanner.parse import ParseOptions, parse_all

    return parse_all(discover([str(path)], base=str(path)).files, ParseOptions())
