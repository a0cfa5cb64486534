"""The built-in library as a whole: ids, files, fixtures, generated docs and OWASP coverage."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from scanner.policy.docs import OWASP_2021, read_policy_data, render_docs
from scanner.policy.loader import builtin_policy_dir, policy_files

# not imported from conftest: tests/bench has a conftest module of the same name
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

ID_PATTERN = re.compile(r"^RG-[A-Z0-9]{2,8}-[0-9]{3}$")
MIN_PER_OWASP_CATEGORY = 3
FILES = policy_files(builtin_policy_dir())
DOCS_DIR = os.path.join(ROOT, "docs", "policies")


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def test_every_file_name_is_a_well_formed_unique_id(builtin_policies):
    stems = [_stem(p) for p in FILES]
    assert [s for s in stems if not ID_PATTERN.match(s)] == []
    assert sorted(stems) == sorted(set(stems)), "two files share an id"
    assert sorted(builtin_policies) == sorted(stems), "every file loads, under its own name as id"


@pytest.mark.parametrize("path", FILES, ids=_stem)
def test_policy_has_both_fixtures_and_expected_failures(path):
    folder = os.path.join(FIXTURES, _stem(path))
    for sub in ("fail", "pass"):
        assert os.path.isdir(os.path.join(folder, sub)) and os.listdir(os.path.join(folder, sub)), \
            f"missing or empty fixtures/{_stem(path)}/{sub}/"
    with open(os.path.join(folder, "expected.yaml"), encoding="utf-8") as handle:
        expected = yaml.safe_load(handle)
    assert expected["fail"] and all({"resource", "file", "line"} <= set(e) for e in expected["fail"])


def test_every_fixture_folder_belongs_to_a_policy():
    policies = {_stem(p) for p in FILES}
    orphans = [d for d in os.listdir(FIXTURES) if d.startswith("RG-") and d not in policies]
    assert orphans == []


def test_every_policy_maps_to_an_owasp_2021_category(builtin_policies):
    missing = [pid for pid, p in builtin_policies.items() if not p.meta.frameworks.get("owasp-top10-2021")]
    assert missing == []


@pytest.mark.parametrize("data", read_policy_data(builtin_policy_dir()), ids=lambda d: d["id"])
def test_every_policy_carries_its_full_metadata(data):
    """Rationale, references, CWE, both OWASP editions and a failing and a passing example."""
    missing = [k for k in ("rationale", "references", "cwe") if not data.get(k)]
    missing += [f"frameworks.{k}" for k in ("owasp-top10-2021", "owasp-top10-2025")
                if not (data.get("frameworks") or {}).get(k)]
    missing += [f"examples.{k}" for k in ("fail", "pass") if not (data.get("examples") or {}).get(k)]
    assert missing == []


def test_every_owasp_2021_category_is_covered(builtin_policies):
    short = {}
    for code in OWASP_2021:
        covering = [pid for pid, p in builtin_policies.items()
                    if code in p.meta.frameworks.get("owasp-top10-2021", ())]
        if len(covering) < MIN_PER_OWASP_CATEGORY:
            short[code] = covering
    assert short == {}, f"categories with fewer than {MIN_PER_OWASP_CATEGORY} policies: {short}"


def test_generated_policy_docs_are_up_to_date():
    pages = render_docs(builtin_policy_dir())
    on_disk = {}
    if os.path.isdir(DOCS_DIR):
        for name in os.listdir(DOCS_DIR):
            if name.endswith(".md"):
                with open(os.path.join(DOCS_DIR, name), encoding="utf-8") as handle:
                    on_disk[name] = handle.read()
    stale = sorted(n for n in set(pages) | set(on_disk) if pages.get(n) != on_disk.get(n))
    assert stale == [], "docs/policies is stale; run `python -m scanner.policy.docs`"
