"""GCP IAM members known in part: ``$member_suffixes`` holds the known text that ends each member, at the member's line."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import load

CASE = os.path.join(FIXTURES, "cases", "terraform", "gcp_members")


def _resources():
    return {r.address: r for r in load([CASE], base=CASE).resources}


def test_the_known_end_of_an_interpolated_member():
    r = _resources()["google_project_iam_member.interpolated"]
    assert r.attributes["$member_suffixes"] == ["-compute@developer.gserviceaccount.com"]
    assert r.lines["$member_suffixes.0"] == 13


def test_members_that_end_unknown_contribute_nothing():
    r = _resources()["google_folder_iam_binding.mixed"]
    assert r.attributes["$member_suffixes"] == ["user:ana@example.com", "@example.com"]
    assert [r.lines["$member_suffixes.0"], r.lines["$member_suffixes.1"]] == [20, 22]


def test_an_unknown_member_and_other_types_get_none():
    resources = _resources()
    assert "$member_suffixes" not in resources["google_project_iam_member.unknown"].attributes
    assert "$member_suffixes" not in resources["google_storage_bucket_iam_member.other_type"].attributes
