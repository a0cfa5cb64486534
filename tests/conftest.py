"""Shared test helpers: the repository layout and a once-per-session policy load."""

from __future__ import annotations

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
POLICIES = os.path.join(ROOT, "policies")
SYSTEMS = os.path.join(FIXTURES, "systems")
SARIF_SCHEMA = os.path.join(os.path.dirname(ROOT), "shared", "schemas", "sarif-schema-2.1.0.json")


@pytest.fixture(scope="session")
def builtin_policies():
    from scanner.policy import load_policies

    return {p.id: p for p in load_policies()}
