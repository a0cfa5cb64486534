"""Attribute operators, one table per operator: (value, operand) -> True / False / None (unknown)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, strategies as st

from scanner.model import UNKNOWN
from scanner.policy.iam import iam_statement, pattern_covers
from scanner.linear import Pattern
from scanner.policy.operators import OPERATORS, compile_regex


@pytest.mark.parametrize("op, value, operand, want", [
    ("equals", "true", True, True), ("equals", True, "true", True), ("equals", False, "TRUE", False),
    ("equals", 22, "22", True), ("equals", "x", "y", False),
    ("not_equals", "x", "y", True),
    ("in", "tcp", ["tcp", "udp"], True), ("not_in", "icmp", ["tcp", "udp"], True),
    ("contains", ["a", "b"], "b", True), ("contains", "public-read", "public", True),
    ("contains", ["a", UNKNOWN], "b", None), ("not_contains", ["a"], "b", True),
    ("gt", "8", 7, True), ("gte", 7, 7, True), ("lt", 6, 7, True), ("lte", 8, 7, False),
    ("gt", "many", 7, False),
    ("length_equals", [], 0, True), ("length_gt", ["a", "b", "c", "d"], 3, True),
    ("length_gte", "abc", 3, True), ("length_lt", {"a": 1}, 2, True), ("length_lte", "abcd", 3, False),
    ("length_gt", 12345, 3, False),
    ("is_public_cidr", "0.0.0.0/0", True, True), ("is_public_cidr", "10.0.0.0/8", True, False),
    ("cidr_contains", "10.0.0.0/8", "10.1.2.3", True), ("cidr_contains", "10.0.0.0/8", ["192.168.0.0/16", "10.4.0.0/16"], True),
    ("cidr_contains", "10.1.0.0/16", "10.0.0.0/8", False), ("cidr_contains", "not-a-cidr", "10.0.0.1", False),
    ("cidr_contains", "::/0", "10.0.0.1", False),
    ("cidr_overlaps", "10.1.0.0/16", ["10.0.0.0/8"], True), ("cidr_overlaps", "10.1.0.0/16", "10.2.0.0/16", False),
    ("ports_overlap", {"from_port": 20, "to_port": 25}, [22], True),
    ("ports_overlap", {"from_port": 80, "to_port": 80}, [22, "3300-3400"], False),
    ("ports_overlap", {"from_port": UNKNOWN, "to_port": 22}, [22], None),
])
def test_operator(op, value, operand, want):
    assert OPERATORS[op](value, operand) is want


@pytest.mark.parametrize("op, value, pattern, want", [
    ("matches", "arn:aws:iam::123:root", r":root$", True),
    ("matches", True, "True", False),
    ("not_matches", "abc", "^a", False),
    ("matches", "a" * 200_000 + "b", "ab$", True),  # long values are searched: RE2 is linear
    ("not_matches", "a" * 200_000, "b", True),
    ("matches", "m4.xlarge", r"(?i)\AM4\.XLARGE\Z", True),  # Python's \Z is RE2's \z
    ("matches", "m4.xlarge\n", r"\Am4\.xlarge\Z", False),
    ("matches", "héllo wörld", r"w.rld$", True),
])
def test_regex_operator(op, value, pattern, want):
    assert OPERATORS[op](value, compile_regex(pattern)) is want


@pytest.mark.parametrize("pattern, message", [
    (r"^(?!ENC\[)\S", "lookahead and lookbehind"), (r"(?=a)b", "lookahead and lookbehind"),
    (r"(?<=a)b", "lookahead and lookbehind"), (r"(?<!a)b", "lookahead and lookbehind"),
    (r"(a)\1", "backreferences"), (r"(?P<n>a)(?P=n)", "backreferences"),
    ("a" * 1001, "longer than 1000"), ("(unclosed", "invalid regular expression"),
    ("[z-a]", "invalid regular expression"),
])
def test_regex_the_linear_engine_cannot_run_is_refused_with_a_reason(pattern, message):
    with pytest.raises(ValueError) as err:
        compile_regex(pattern)
    assert message in str(err.value)


# Shapes that backtrack catastrophically in Python's `re` (several are not caught by any
# static check): each now runs over 100,000 hostile characters in well under a second.
@pytest.mark.parametrize("pattern, hostile, found", [
    (r"(a+)+$", "a" * 100_000 + "!", False), (r"(a|ab)*c", "ab" * 50_000, False),
    (r"(x|)+y", "x" * 100_000, False), (r"x*x*x*x*y", "x" * 100_000, False),
    (r"(x+)(x+)(x+)y", "x" * 100_000, False), (r"(.*a){20}", "a" * 100_000, True),
    (r"(\w+\s?)*$", "word " * 20_000 + "!", True),  # the empty match at the end
    (r"^(a+)+\d{3}$", "a" * 100_000, False),
])
def test_backtracking_shapes_run_in_linear_time(pattern, hostile, found):
    compiled = compile_regex(pattern)
    started = time.perf_counter()
    result = compiled.search(hostile)
    assert time.perf_counter() - started < 0.5
    assert result is found  # fast, and still the answer `re` gives on short text


@pytest.mark.parametrize("pattern", [
    r"^arn:aws:iam::\d{12}:role/[\w+=,.@-]+$", "(ab|cd)*", r":latest$|^[^:@]+$", r"(a+)?", r"(a+){1}",
    r"\A(?:acme-[a-z-]+)", r"(?i)\Am4\.xlarge\Z", r"[(]a+[)]+", r"\(a+\)+", r"^(https?|ftp)://",
    r"(\d{1,3}\.){3}\d{1,3}", r"(?i)(ab|cd)+x", r"(?P<name>a+)"])
def test_ordinary_regex_compiles(pattern):
    assert isinstance(compile_regex(pattern), Pattern)


@pytest.mark.parametrize("pattern, text, spans", [
    ("ab", "xxabyyab", [(2, 4), (6, 8)]),
    ("é+", "aééb é", [(1, 3), (5, 6)]),   # str offsets, not UTF-8 byte offsets
    ("x*", "ab", [(0, 0), (1, 1), (2, 2)]),
])
def test_spans_are_str_offsets(pattern, text, spans):
    assert list(Pattern(pattern).spans(text)) == spans


@pytest.mark.parametrize("pattern, request_, ignore_case, want", [
    ("*", "iam:PassRole", True, True),
    ("s3:*", "s3:GetObject", True, True),
    ("S3:get*", "s3:GetObject", True, True),
    ("s3:Get*", "s3:*", True, False),
    ("s3:*", "s3:*", True, True),
    ("s3:GetObjec?", "s3:GetObject", True, True),
    ("ec2:*", "s3:GetObject", True, False),
    ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/key", False, False),
    ("arn:aws:s3:::b[1]", "arn:aws:s3:::b[1]", False, True),
])
def test_iam_pattern_covers(pattern, request_, ignore_case, want):
    assert pattern_covers(pattern, request_, ignore_case=ignore_case) is want


ADMIN = {"actions": ["*"], "resources": ["*"]}


@pytest.mark.parametrize("statement, spec, want", [
    ({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}, ADMIN, True),
    ({"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}, ADMIN, False),
    ({"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}, {**ADMIN, "effect": "Deny"}, True),
    ({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}, ADMIN, False),
    ({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}, {"actions": ["s3:GetObject"]}, True),
    ({"Effect": "Allow", "Action": ["S3:Get*"], "Resource": ["*"]}, {"actions": ["s3:getobject"]}, True),
    # NotAction: everything except iam -> grants s3, not iam
    ({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}, {"actions": ["s3:GetObject"]}, True),
    ({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}, {"actions": ["iam:PassRole"]}, False),
    # NotResource: every resource except the listed ones
    ({"Effect": "Allow", "Action": ["*"], "NotResource": ["arn:aws:s3:::logs"]},
     {"actions": ["*"], "resources": ["arn:aws:s3:::data"]}, True),
    ({"Effect": "Allow", "Action": ["*"], "NotResource": ["arn:aws:s3:::logs"]},
     {"actions": ["*"], "resources": ["arn:aws:s3:::logs"]}, False),
    ({"Effect": "Allow", "Action": ["*"], "Resource": ["*"], "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
     {**ADMIN, "unconditional": True}, False),
    ({"Effect": "Allow", "Action": [UNKNOWN], "Resource": ["*"]}, ADMIN, None),
    ({"Effect": UNKNOWN, "Action": ["*"], "Resource": ["*"]}, ADMIN, None),
    ({"Effect": "Allow", "Action": [UNKNOWN, "*"], "Resource": ["*"]}, ADMIN, True),
    ("not a statement", ADMIN, False),
    # principals (resource and trust policies)
    ({"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": ["*"]},
     {"actions": ["s3:GetObject"], "principals": ["*"]}, True),
    ({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["sts:AssumeRole"]},
     {"actions": ["sts:AssumeRole"], "principals": ["*"]}, True),
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["sts:AssumeRole"]},
     {"actions": ["sts:AssumeRole"], "principals": ["*"]}, False),
    ({"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]},
     {"actions": ["sts:AssumeRole"], "principals": ["ec2.amazonaws.com"]}, True),
    ({"Effect": "Allow", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": ["s3:*"]},
     {"actions": ["s3:GetObject"], "principals": ["*"]}, True),
    ({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}, {"actions": ["s3:GetObject"], "principals": ["*"]}, False),
    ({"Effect": "Allow", "Principal": UNKNOWN, "Action": ["s3:*"]}, {"actions": ["s3:GetObject"], "principals": ["*"]}, None),
])
def test_iam_statement(statement, spec, want):
    assert iam_statement(statement, spec) is want


# -- properties of IAM wildcard coverage ---------------------------------------

_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)
_action = st.builds(lambda s, a: f"{s}:{a}", _name, _name)


@given(_action)
def test_star_covers_every_action(action):
    assert pattern_covers("*", action, ignore_case=True)


@given(_action)
def test_service_wildcard_covers_its_own_actions_only(action):
    service = action.split(":")[0]
    assert pattern_covers(f"{service.upper()}:*", action, ignore_case=True)
    assert not pattern_covers(f"{service}x:*", action, ignore_case=True)


@given(_action, _action)
def test_a_literal_pattern_covers_only_itself(pattern, action):
    assert pattern_covers(pattern, action, ignore_case=True) == (pattern.lower() == action.lower())


@given(_action, st.integers(min_value=0, max_value=12))
def test_a_prefix_wildcard_covers_longer_names(action, cut):
    prefix = action[:len(action.split(":")[0]) + 1 + cut]
    assert pattern_covers(prefix + "*", action, ignore_case=True)


def test_hostile_iam_patterns_match_in_linear_time():
    import time

    pattern = "*a" * 40 + "*b"
    start = time.perf_counter()
    assert not pattern_covers(pattern, "a" * 200, ignore_case=True)
    assert pattern_covers(pattern, "a" * 200 + "b", ignore_case=True)
    assert time.perf_counter() - start < 0.5


@given(st.text(alphabet="ab*?", max_size=8), st.text(alphabet="ab", max_size=10))
def test_iam_glob_agrees_with_a_regex_translation(pattern, text):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert pattern_covers(pattern, text, ignore_case=False) == (re.fullmatch(regex, text, re.S) is not None)
