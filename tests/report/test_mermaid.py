"""Mermaid charts as text: the escaper, the numbers, the thinning, the block itself."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlops_ci.report.mermaid import (
    Axis,
    Plot,
    caption,
    chart_block,
    mermaid_text,
    number,
    thin,
    xychart,
)

# What could end a quoted label, start a statement, a comment, a directive, an entity or HTML
# in Mermaid, or close the markdown fence around it.
_ACTIVE = re.compile(r'["\[\]{}<>#;`\n\r\\|&]|%%')

HOSTILE = [
    'a"] \n    line [1, 2',
    "%%{init: {'theme': 'dark'}}%%",
    "x%%y",
    "<img src=x onerror=alert(1)>",
    "#quot; #35; &amp;",
    "```\n# heading",
    "a;b\r\nc",
    "tab\there\u2028sep",
    "",
    "   ",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_label_is_inert_in_mermaid(text: str) -> None:
    escaped = mermaid_text(text)
    assert _ACTIVE.search(escaped) is None, escaped
    assert escaped and escaped == escaped.strip()


@given(st.text(max_size=200))
def test_any_label_is_inert_single_line_and_bounded(text: str) -> None:
    escaped = mermaid_text(text, limit=30)
    assert _ACTIVE.search(escaped) is None
    assert not any(char.isspace() and char != " " for char in escaped)
    assert 1 <= len(escaped) <= 30


def test_plain_names_stay_readable() -> None:
    assert mermaid_text("monthly_charges") == "monthly_charges"
    assert mermaid_text("ROC curve (v1.2.0)") == "ROC curve (v1.2.0)"
    assert mermaid_text('say "hi" [now]') == "say 'hi' (now)"
    assert mermaid_text("x" * 50, limit=10) == "x" * 9 + "…"


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (-0.0, "0"), (1.0, "1"), (0.25, "0.25"), (0.123456, "0.1235"),
    (1e-7, "0"), (-3.5, "-3.5"), (123456.789, "123456.789"), (float("nan"), "0"),
    (float("inf"), "0"),
])
def test_numbers_are_plain_decimals_the_grammar_reads(value: float, text: str) -> None:
    assert number(value) == text
    assert re.fullmatch(r"-?\d+(\.\d+)?", number(value))


@pytest.mark.parametrize(("count", "most"), [(0, 30), (5, 30), (30, 30), (31, 30), (500, 20)])
def test_thinning_keeps_at_most_n_evenly_spread_with_both_ends(count: int, most: int) -> None:
    kept = thin(count, most)
    assert len(kept) == min(count, most)
    assert kept == sorted(set(kept))
    if count:
        assert kept[0] == 0 and kept[-1] == count - 1
    if count > most:
        gaps = [b - a for a, b in itertools.pairwise(kept)]
        assert max(gaps) - min(gaps) <= 1


def test_a_chart_is_a_fenced_block_with_title_axes_colours_and_plots() -> None:
    plots = [Plot("bar", "blue", "share", (1.0, 2.5)), Plot("line", "red", "limit", (2.0, 2.0))]
    block = xychart('drift "per" column', Axis("column", categories=("a]b", "c")),
                    Axis("value", 0, 3), plots)
    assert block.splitlines() == [
        "```mermaid",
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f6feb, #cf222e"}}}}%%',
        "xychart-beta",
        "    title \"drift 'per' column\"",
        '    x-axis "column" ["a)b", "c"]',
        '    y-axis "value" 0 --> 3',
        "    bar [1, 2.5]",
        "    line [2, 2]",
        "```",
    ]
    assert caption(plots) == "<sub>Bars and lines: 🔵 share · 🔴 limit</sub>"


def test_every_chart_is_followed_by_its_numbers_in_a_collapsed_table() -> None:
    plots = [Plot("line", "blue", "candidate", (0.0, 1.0))]
    block = chart_block("ROC", Axis("x", 0, 100), Axis("y", 0, 1), plots,
                        ["x", "candidate"], [["0", "0"], ["1", "1"]])
    chart, rest = block.split("\n```\n", 1)
    assert "xychart-beta" in chart
    assert rest.index("<sub>Lines: 🔵 candidate</sub>") < rest.index(
        "<details><summary>Numbers of the chart: ROC</summary>")
    assert "| x | candidate |\n| --- | --- |\n| 0 | 0 |\n| 1 | 1 |" in rest
