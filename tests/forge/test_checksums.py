"""``SHA256SUMS`` text and the choice of the hash that vouches for a fetched asset."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlops_ci.errors import UserError
from mlops_ci.forge.checksums import (
    Expected,
    check_sha256,
    expected_hash,
    parse_sha256sums,
    render_sha256sums,
    verified_sums,
)

A = "a" * 64
B = "B" * 64


def test_sha256sum_text_binary_and_bsd_lines_are_read() -> None:
    text = f"{A}  model.skops\r\n{B} *metrics.json\nSHA256 (card.md) = {A}\n# comment\n\n"

    assert parse_sha256sums(text, "SHA256SUMS") == {
        "model.skops": A,
        "metrics.json": B.lower(),
        "card.md": A,
    }


def test_names_keep_spaces_and_lose_a_leading_dot_slash() -> None:
    assert parse_sha256sums(f"{A}  ./my model.skops\n", "s") == {"my model.skops": A}


def test_a_name_listed_twice_with_other_hashes_is_refused_with_its_line() -> None:
    with pytest.raises(UserError, match=r"SHA256SUMS: line 2: 'm' is listed twice"):
        parse_sha256sums(f"{A}  m\n{B}  m\n", "SHA256SUMS")


def test_render_is_read_back_unchanged() -> None:
    digests = {"model.skops": A, "z.json": B.lower(), "with space.md": A}

    assert parse_sha256sums(render_sha256sums(digests), "s") == digests
    assert render_sha256sums(digests).splitlines()[0] == f"{A}  model.skops"


def test_render_refuses_a_name_that_would_break_the_format() -> None:
    with pytest.raises(UserError, match="cannot be listed"):
        render_sha256sums({"evil\nname": A})


@given(st.text(max_size=400))
def test_any_text_parses_or_is_a_user_error(text: str) -> None:
    try:
        sums = parse_sha256sums(text, "s")
    except UserError:
        return
    assert all(len(digest) == 64 for digest in sums.values())


def test_the_strongest_witness_wins() -> None:
    sums = {"m": B.lower()}

    assert expected_hash("m", A, sums, A) == Expected(A, "expected")
    assert expected_hash("m", None, sums, A) == Expected(B.lower(), "SHA256SUMS")
    assert expected_hash("other", None, sums, A) == Expected(A, "digest")
    assert expected_hash("m", None, None, None) is None


def test_sha256_is_normalised_or_refused() -> None:
    assert check_sha256(f" sha256:{B} ") == B.lower()
    with pytest.raises(UserError, match="'12' is not 64 hex digits"):
        check_sha256("12")


def test_a_checksum_file_that_is_not_what_was_uploaded_is_refused() -> None:
    data = f"{A}  m\n".encode()

    assert verified_sums(data, hashlib.sha256(data).hexdigest(), "s") == {"m": A}
    with pytest.raises(UserError, match="s has sha256"):
        verified_sums(data, B, "s")
    with pytest.raises(UserError, match="not UTF-8"):
        verified_sums(b"\xff\xfe", None, "s")
