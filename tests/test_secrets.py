"""Credential recognition (which shapes are flagged, which are not) and masking (never more than two characters shown)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from scanner.secrets import credential_kind, is_placeholder, mask, mask_in_text

# Fake credentials: right shape, never issued. Built by concatenation so this
# file itself does not trip secret scanners.
FLAGGED = [
    ("AKIA" + "IOSFODNN7EXAMPLQ", "AWS access key id"),
    ("aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...", "private key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...", "private key"),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOY...", "private key"),
    ("ghp_" + "a" * 20 + "B1c2D3e4F5g6H7i8J9k0", "GitHub token"),
    ("github_pat_" + "11ABCDEFG0" * 7, "GitHub token"),
    ("glpat-" + "x1Y2z3W4v5U6t7S8r9Q0", "GitLab token"),
    ("xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOp", "Slack token"),
    ("https://hooks.slack.com/services/" + "T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx", "Slack webhook"),
    ("AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "Google API key"),
    ('{"type": "service_account", "project_id": "p", "private_key": "..."}', "Google service account key"),
    ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + "A" * 86 + "==", "Azure storage account key"),
    ("sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc", "Stripe key"),
    ("npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "npm token"),
    ("SG." + "abcdefghij0123456789AB" + "." + "abcdefghij0123456789ABCDEFGHIJ0123456789abc", "SendGrid key"),
    ("eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "JWT"),
    ("postgres://app:" + "s3cr3tP4ss@db.internal:5432/app", "connection string with password"),
]

NOT_FLAGGED = [
    "", "short", "changeme", "${var.db_password}", "$(DB_PASSWORD)", "{{ .Values.password }}",
    "<your-token-here>", "REDACTED", "your_password_here", "placeholder",
    "arn:aws:iam::123456789012:role/app-role-with-long-name",
    "https://example.com/a/long/path?query=value",
    "123e4567-e89b-12d3-a456-426614174000",
    "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
    "5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
    "the quick brown fox jumps over the lazy dog",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "registry.example.com/shop/api:3.1.4",
    "eu-west-1",
    "--password=$(PGPASSWORD)", "Bearer ${TOKEN_FROM_ENVIRONMENT}",
    "ELBSecurityPolicy-TLS13-1-2-2021-06", "logs-{customer_id}-{yyyy.MM.dd}",
    # random-looking is not a format: such a value is a credential only where a credential name holds it
    "Zx9$qL2!vN7#rT4&mK8*pW3^", "iam:GetAccountPasswordPolicy", "ForAllValues:StringEquals",
]


@pytest.mark.parametrize("value,kind", FLAGGED, ids=[k for _, k in FLAGGED])
def test_credential_shapes_are_recognised(value, kind):
    assert credential_kind(value) == kind


@pytest.mark.parametrize("value", NOT_FLAGGED)
def test_ordinary_values_are_not_credentials(value):
    assert credential_kind(value) == ""


@pytest.mark.parametrize("value", ["changeme", "${var.x}", "<secret>", "{{ .Values.x }}", "xxxx", "***",
                                   "testtoken", "foobar_new", "dummy-secret", "Test Password", "fake.token",
                                   "secret-value"])
def test_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["password123", "testing1", "hunter2", "nanobar", "tokenizer", "sesame-open",
                                   "foobar_2024"])
def test_words_that_are_not_all_stand_ins_or_carry_digits_are_not_placeholders(value):
    assert not is_placeholder(value)


@given(st.text(min_size=0, max_size=200))
def test_mask_never_shows_more_than_two_characters(text):
    masked = mask(text)
    assert set(masked[2:]) <= {"*"}, "only the first two characters may be shown"
    assert masked[:2] in (text[:2], "**")
    if len(text) <= 6:
        assert masked == "******"


@pytest.mark.parametrize("value,_kind", [f for f in FLAGGED if f[1] != "high-entropy string"],
                         ids=[k for _, k in FLAGGED if k != "high-entropy string"])
def test_mask_in_text_hides_every_pattern_match(value, _kind):
    text = f"found: {value} (end)"
    masked = mask_in_text(text, [])
    for line in value.splitlines():
        if len(line) > 12:
            assert line not in masked


def test_mask_in_text_hides_listed_secrets_wherever_they_occur():
    assert mask_in_text("pw=hunter2-prod and again hunter2-prod", ["hunter2-prod"]) == \
        "pw=hu********** and again hu**********"
