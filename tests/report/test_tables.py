"""Terminal tables: our own layout is tabulate's ``simple`` one, byte for byte."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from mlops_ci.report.tables import text_table

# What names are made of: ASCII, accented Latin, Greek, Cyrillic, kana and CJK ideographs (wide).
# Zero-width marks and fillers are where wcwidth (tabulate's) and unicodedata (ours) differ.
_RANGES = [(0x20, 0x7E), (0xC0, 0x17F), (0x391, 0x3C9), (0x410, 0x44F), (0x3041, 0x30FA),
           (0x4E00, 0x9FFF)]
_ASSIGNED = ("L", "N", "P", "S", "Zs")
cells = st.text(
    st.one_of(*(st.characters(min_codepoint=a, max_codepoint=b, categories=_ASSIGNED)
                for a, b in _RANGES)),
    max_size=12,
).map(str.strip)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(lambda width: st.tuples(
    st.lists(cells, min_size=width, max_size=width),
    st.lists(st.lists(cells, min_size=width, max_size=width), max_size=6),
)))
def test_text_table_lays_out_as_tabulate_simple(table: tuple[list[str], list[list[str]]]) -> None:
    headers, rows = table
    expected = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    assert text_table(headers, rows) == expected


def test_wide_characters_count_two_columns() -> None:
    assert text_table(["名前", "v"], [["日本", "1"], ["ab", "22"]]).splitlines() == [
        "名前    v",
        "------  ---",
        "日本    1",
        "ab      22",
    ]
