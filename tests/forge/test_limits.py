"""Shortening reports to GitHub's comment and summary limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.forge.limits import COMMENT_LIMIT, fit_comment, fit_summary


def table(rows: int, prefix: str = "f") -> str:
    body = "\n".join(f"| {prefix}_{i} | {i * 0.001:.3f} |" for i in range(rows))
    return f"| column | psi |\n|---|---|\n{body}"


def details(summary: str, size: int) -> str:
    return f"<details><summary>{summary}</summary>\n\n{'x' * size}\n\n</details>"


def test_short_report_is_unchanged() -> None:
    assert fit_comment("## Report\n\nall good") == "## Report\n\nall good"


def test_details_bodies_go_first_keeping_their_summaries_and_tables() -> None:
    text = "## Gates\n\n" + table(10) + "\n\n" + details("Raw logs", 70_000)
    fitted = fit_comment(text, full_report_url="https://example.test/run/1")
    assert len(fitted) <= COMMENT_LIMIT
    assert "<summary>Raw logs</summary>" in fitted
    assert table(10) in fitted
    assert "[the full report](https://example.test/run/1)" in fitted


def test_largest_details_block_is_folded_before_smaller_ones() -> None:
    text = details("small", 1_000) + "\n" + details("big", 70_000)
    fitted = fit_comment(text)
    assert "x" * 1_000 in fitted
    assert "x" * 2_000 not in fitted


def test_long_tables_lose_rows_and_say_how_many() -> None:
    text = "## Drift\n\n" + table(5_000) + "\n\nVerdict: drift"
    fitted = fit_comment(text)
    assert len(fitted) <= COMMENT_LIMIT
    assert "| f_0 |" in fitted
    assert "more rows not shown" in fitted
    assert "Verdict: drift" in fitted


def test_summary_limit_counts_bytes_not_characters() -> None:
    text = "é" * 600_000  # 1.2 MB in UTF-8, 600k characters
    fitted = fit_summary(text)
    assert len(fitted.encode()) <= 1_048_576
    assert len(fitted) < 600_000


def test_open_code_fence_is_closed_after_a_hard_cut() -> None:
    text = "```\n" + "\n".join("line" for _ in range(30_000))
    fitted = fit_comment(text)
    assert len(fitted) <= COMMENT_LIMIT
    assert fitted.count("```") % 2 == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=3_000),
            st.integers(0, 3_000).map(lambda n: table(n)),
            st.integers(0, 20_000).map(lambda n: details("d", n)),
        ),
        max_size=12,
    ),
    st.integers(200, 70_000),
)
def test_result_always_fits_whatever_the_input(parts: list[str], limit: int) -> None:
    text = "\n\n".join(parts)
    assert len(fit_comment(text, limit=limit)) <= limit
    assert len(fit_summary(text, limit=limit).encode()) <= limit
