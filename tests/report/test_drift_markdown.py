"""Rendering: compact tables, charts, and hostile names rendered inert."""

from __future__ import annotations

import html
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from mlops_ci.config.model import DriftSpec
from mlops_ci.data.drift import drift_tables
from mlops_ci.data.results import Finding, Histogram, ValidationResult
from mlops_ci.report.chart import bar, histogram_lines
from mlops_ci.report.drift import render_drift_markdown
from mlops_ci.report.escape import code_block, escape_markdown
from mlops_ci.report.validation import render_validation_markdown
from tests.data.helpers import table

HOSTILE = '<img src=x onerror=alert(1)>|`code`|**b** _i_ [l](http://e) @octocat #1\n# h <!--'
GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _render(markdown: str) -> str:
    return str(GFM.render(markdown))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaped_text_renders_as_exactly_that_text(text: str) -> None:
    rendered = _render("x " + escape_markdown(text))
    inner = re.fullmatch(r"<p>(.*)</p>\n", rendered, flags=re.DOTALL)
    assert inner is not None, rendered
    assert "<" not in inner.group(1).replace("&lt;", "")  # no tag of any kind
    expected = re.sub(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]", " ",
                      "x " + text).rstrip()
    expected = expected.replace("\x00", "\ufffd").replace("@", "@\u200b")  # no mention
    assert html.unescape(inner.group(1)) == re.sub(r" +$", "", expected.replace("\x00", " "))


def test_bidirectional_overrides_cannot_reorder_a_name() -> None:
    """A right-to-left override would make ``evil\u202egpj.exe`` read as ``evilexe.jpg``."""
    escaped = escape_markdown("evil\u202egpj.exe \u2066x\u2069 \u200fy \x9bz")

    assert escaped == "evil gpj.exe  x   y  z"


def test_a_hostile_column_name_renders_as_inert_text_in_the_drift_table() -> None:
    reference = table({HOSTILE: [1.0, 2.0, 3.0, 4.0] * 10, "b": [1.0] * 40})
    current = table({HOSTILE: [9.0, 8.0, 7.0, 9.5] * 10, "b": [1.0] * 40})
    kinds = {HOSTILE: "numeric", "b": "numeric"}
    result = drift_tables(reference, current, DriftSpec(), kinds)  # type: ignore[arg-type]
    markdown = render_drift_markdown(result)
    rendered = _render(markdown)
    assert "<img" not in rendered and "<a " not in rendered and "<strong>b</strong>" not in rendered
    assert "<em>" not in rendered and "<!--" not in rendered and "<h1>" not in rendered
    assert "<code>code</code>" not in rendered
    assert rendered.count("<tr>") == 3  # header + 2 columns: the pipes did not split cells
    assert all(row.count("<td>") == 5 for row in re.findall(r"<tr>.*?</tr>", rendered, re.S)
               if "<td>" in row)
    assert "&amp;#8203;octocat" not in markdown and "@&#8203;octocat" in markdown


def test_the_drift_table_shows_method_statistic_threshold_and_verdict() -> None:
    reference = table({"x": [1.0, 2.0, 3.0, 4.0] * 10})
    current = table({"x": [5.0, 6.0, 7.0, 8.0] * 10})
    result = drift_tables(reference, current, DriftSpec(), {"x": "numeric"})
    markdown = render_drift_markdown(result)
    (row,) = [line for line in markdown.splitlines() if line.startswith("| x ")]
    assert re.fullmatch(r"\| x +\| ks +\| 1 \(p [0-9.e-]+\) +\| p < 0\.05 +\| 🔴 drift +\|", row)
    assert "p < 0.05" in markdown and "🔴 drift" in markdown
    assert "auto: numeric, 40 rows &lt;= 1,000 -&gt; ks" in markdown
    assert "```text" in markdown  # the chart of the drifted column


def test_a_bar_uses_eighth_blocks() -> None:
    assert bar(1.0, 1.0, width=4) == "████"
    assert bar(0.5, 1.0, width=3) == "█▌"
    assert bar(0.0, 1.0) == ""


def test_a_chart_label_cannot_break_the_fence_or_the_lines() -> None:
    histogram = Histogram(("a```\nb",), (0.5,), (0.25,))
    lines = histogram_lines(histogram)
    assert len(lines) == 2 and lines[1].startswith("a``` b")
    block = code_block("\n".join(lines))
    assert block.startswith("````\n") and block.endswith("\n````")
    assert _render(block).count("<pre>") == 1


def test_validation_table_escapes_values_and_names_lines() -> None:
    result = ValidationResult("t.csv", 3, ("plan",), (
        Finding("allowed", "error", "plan|x", 2, "2 values not allowed", ("<b>gold</b>", "x"),
                (2, 3)),
    ))
    markdown = render_validation_markdown(result)
    assert "Data validation: t.csv: 🔴 1 error" in markdown
    assert "&lt;b&gt;gold&lt;/b&gt;" in markdown and "(line 2)" in markdown
    assert "plan\\|x" in markdown
    assert "<b>" not in _render(markdown)


def test_rendering_is_pure(tmp_path: Path) -> None:
    result = ValidationResult(str(tmp_path / "t.csv"), 0, (), ())
    assert render_validation_markdown(result) == render_validation_markdown(result)


def test_a_long_table_is_cut_after_drifted_columns_first() -> None:
    names = [f"x{i}" for i in range(6)]
    reference = table({n: [1.0, 2.0, 3.0, 4.0] * 10 for n in names})
    current = table({n: [1.0, 2.0, 3.0, 4.0] * 10 for n in names} | {"x5": [9.0] * 40})
    result = drift_tables(reference, current, DriftSpec(), dict.fromkeys(names, "numeric"))
    markdown = render_drift_markdown(result, max_rows=2)
    rows = [line for line in markdown.splitlines() if line.startswith("| x")]
    assert rows[0].startswith("| x5 ") and len(rows) == 2
    assert "…and 4 more columns without drift." in markdown


def test_markdown_draws_the_histograms_of_the_first_drifted_columns_and_counts_the_rest() -> None:
    import dataclasses

    from mlops_ci.report.drift import MAX_HISTOGRAMS, render_drift_text
    from tests.report.big_report import drift_result

    result = drift_result(__import__("numpy").random.default_rng(0))
    drifted = [c for c in result.columns if c.drifted and c.histogram is not None]
    assert len(drifted) == MAX_HISTOGRAMS + 5
    markdown = render_drift_markdown(result)
    assert markdown.count("```text") == MAX_HISTOGRAMS
    assert "…and the histograms of 5 more drifted columns: `mlops-ci data drift` prints them all." \
        in markdown
    assert render_drift_text(result).count("Chart of ") == MAX_HISTOGRAMS + 5  # the terminal: all
    few = dataclasses.replace(result, columns=result.columns[:10])
    assert "more drifted column" not in render_drift_markdown(few)
