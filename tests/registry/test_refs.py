"""The for-each-ref parser fed in chunks, as ``RegistryStore`` reads git's output while it runs."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.registry.refs import FIELDS, parse_for_each_ref, parse_for_each_ref_chunks


def _record(name: str, kind: str = "tag", body: str = "", subject: str = "s") -> str:
    fields = [f"refs/tags/{name}", kind, "1700000000", "Tagger Näme", "<t@example.com>",
              "a" * 40, "commit", subject, body]
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
