"""The for-each-ref parser fed in chunks, as ``RegistryStore`` reads git's output while it runs,
and the listing it gives the read commands' cache."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.registry.refs import (
    FIELDS,
    FORMAT,
    LISTING,
    RefsParser,
    parse_for_each_ref,
    parse_for_each_ref_chunks,
)
from tests.registry.gitutil import commits, git


def _record(name: str, kind: str = "tag", body: str = "", subject: str = "s") -> str:
    fields = [f"refs/tags/{name}", "f" * 40, kind, "1700000000", "Tagger Näme",
              "<t@example.com>", "a" * 40, "commit", subject, body]
    assert len(fields) == len(FIELDS)
    return "\0".join(fields) + "\0\n"


OUTPUT = "".join([
    _record("churn@v1.0.0", body="evidence: {\"auc\": 0.9}\nmultiple\nlines"),
    _record("churn#production#1", subject="Assigning stage production — ✓"),
    _record("churn@v1.1.0", kind="commit"),  # lightweight
    _record("not-a-registry-tag"),
    _record("fraud@v0.1.0", body="\nstarts with a newline\0".replace("\0", "")),
    _record("dir/path=fraud#staging#2", body="日本語のメッセージ"),
])


def test_chunks_of_one_byte_give_what_the_whole_text_gives() -> None:
    data = OUTPUT.encode()
    assert parse_for_each_ref_chunks(data[i : i + 1] for i in range(len(data))) == (
        parse_for_each_ref(OUTPUT)
    )
    records, lightweight = parse_for_each_ref(OUTPUT)
    assert [r.name for r in records] == [
        "churn@v1.0.0", "churn#production#1", "fraud@v0.1.0", "dir/path=fraud#staging#2"
    ]
    assert lightweight == ["churn@v1.1.0"]
    assert records[0].body.endswith("multiple\nlines")
    assert records[1].tagger == "Tagger Näme"
    assert records[3].body == "日本語のメッセージ"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(OUTPUT.encode())), max_size=12))
def test_any_split_of_the_output_parses_the_same(cuts: list[int]) -> None:
    data = OUTPUT.encode()
    points = [0, *sorted(cuts), len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(points)]
    assert parse_for_each_ref_chunks(chunks) == parse_for_each_ref(OUTPUT)


def test_invalid_utf8_is_replaced_as_a_whole_decode_would() -> None:
    data = _record("churn@v1.0.0", body="x").encode().replace(b"x", b"\xff\xfe")
    records, _ = parse_for_each_ref_chunks([data[:-5], data[-5:]])
    assert records[0].body == "\ufffd\ufffd"


def test_the_listing_is_what_git_prints_for_the_listing_format(repo: Path) -> None:
    """The cache's key of a first read comes from its own output: it must be byte for byte
    what the cheap listing of a later read prints, or the cache would never be used."""
    first, second, _ = commits(repo)
    git(repo, "tag", "-a", "-m", "Registering", "churn@v1.0.0", first)
    git(repo, "tag", "-a", "-m", "x\n\nbody\nlines", "churn#production#1", second)
    git(repo, "tag", "lightweight@v1.0.0", second)
    git(repo, "tag", "-a", "-m", "not ours", "release-1", first)
    output = subprocess.run(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags/"],
                            cwd=repo, capture_output=True, check=True).stdout
    listing = subprocess.run(["git", "for-each-ref", f"--format={LISTING}", "refs/tags/"],
                             cwd=repo, capture_output=True, check=True).stdout
    parser = RefsParser()
    for start in range(0, len(output), 7):  # in chunks that cut fields and records
        parser.feed(output[start : start + 7])
    parser.close()

    assert parser.listing.encode() == listing
    assert listing.count(b"\n") == 4
    assert RefsParser().listing == ""  # no tags: git prints nothing
