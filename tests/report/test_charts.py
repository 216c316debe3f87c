"""The charts of the PR comment and the monitoring issue: what they show, their size, and that
GitHub's engine and Mermaid in a browser draw every one of them."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from mlops_ci.data.results import ColumnDriftResult
from mlops_ci.forge.limits import COMMENT_LIMIT
from mlops_ci.monitoring.history import HistoryEntry
from mlops_ci.report.curves import curves_markdown
from mlops_ci.report.drift_chart import MAX_BARS, MAX_RATIO, drift_chart_markdown, ratio
from mlops_ci.report.markdown import render_report
from mlops_ci.report.mermaid import MAX_POINTS
from mlops_ci.report.trend_chart import trend_charts_markdown
from mlops_ci.stages.results import CurveChart, Evaluation, EvaluationOutcome, Series
from tests.report import big_report as big
from tests.report.browser import draw
from tests.report.gfm import rendering_problems

_BLOCK = re.compile(r"```mermaid\n(.*?)\n```", re.DOTALL)


def _blocks(markdown: str) -> list[str]:
    return _BLOCK.findall(markdown)


def _plotted(block: str, kind: str) -> list[list[float]]:
    return [[float(v) for v in found.split(", ")]
            for found in re.findall(rf"^    {kind} \[(.*)\]$", block, re.MULTILINE)]


# size ---------------------------------------------------------------------------------------


def test_three_models_of_fifty_columns_fit_one_comment_with_every_chart() -> None:
    report = big.big_report()
    comment = render_report(report)

    blocks = _blocks(comment)
    # per classifier ROC, precision-recall, calibration and drift; the regressor's predicted
    # against actual and drift
    assert len(blocks) == 2 * 4 + 2
    assert len(comment) < COMMENT_LIMIT, len(comment)
    for block in blocks:
        assert len(block) < 2000
        for values in _plotted(block, "line") + _plotted(block, "bar"):
            assert len(values) <= MAX_POINTS


# evaluation curves -------------------------------------------------------------------------


def _evaluation(*charts: CurveChart, production: str = "v2.0.0", base: str = "v1.9.0",
                model: str = "churn") -> Evaluation:
    return Evaluation(model_name=model, task="classification", test_file="data/test.csv",
                      test_rows=10, models=(), rows=(), gates=(),
                      outcome=EvaluationOutcome.PASSED, notes=(), production_version=production,
                      base_version=base, charts=charts)


_GRID = tuple(i / 20 for i in range(21))
_ROC = CurveChart("roc", _GRID, (
    Series("candidate", "candidate", tuple(min(1.0, 2 * x) for x in _GRID)),
    Series("production", "production", tuple(min(1.0, 1.5 * x) for x in _GRID)),
    Series("base", "base", tuple(min(1.0, 1.5 * x) for x in _GRID)),
    Series("reference", "chance", _GRID),
))


def test_a_roc_chart_names_each_line_and_plots_every_point_in_percent() -> None:
    markdown = curves_markdown(_evaluation(_ROC))
    [block] = _blocks(markdown)
    assert 'x-axis "false positive rate (%)" 0 --> 100' in block
    assert 'y-axis "true positive rate" 0 --> 1' in block
    assert 'title "churn: ROC curve"' in block
    lines = _plotted(block, "line")
    assert len(lines) == 4 and all(len(line) == 21 for line in lines)
    assert lines[0][:3] == [0.0, 0.1, 0.2]
    assert ("<sub>Lines: 🔵 candidate · 🟠 production \\(v2.0.0\\) · 🟢 base \\(v1.9.0\\) · "
            "⚪ chance</sub>") in markdown
    assert "<details><summary>Numbers of the chart: churn: ROC curve</summary>" in markdown
    assert "| 0.05 | 0.1 | 0.075 | 0.075 | 0.05 |" in markdown
    assert rendering_problems(markdown) == []


def test_the_base_line_is_production_s_when_both_are_the_same_version() -> None:
    markdown = curves_markdown(_evaluation(_ROC, production="v2.0.0", base="v2.0.0"))
    [block] = _blocks(markdown)
    assert len(_plotted(block, "line")) == 3
    assert "🟠 production and base \\(v2.0.0\\) · ⚪ chance" in markdown


def test_a_chart_without_a_model_line_is_only_its_note() -> None:
    lonely = CurveChart("roc", _GRID, (Series("reference", "chance", _GRID),),
                        "candidate: the test set holds one class only")
    assert curves_markdown(_evaluation(lonely)) == (
        "No ROC curve for candidate: the test set holds one class only.\n")


def test_an_evaluation_shows_its_curves_after_its_gates() -> None:
    from mlops_ci.report.sections import evaluation_section

    section = evaluation_section(_evaluation(_ROC))
    assert section.index("Metrics on data/test.csv") < section.index("```mermaid")
    assert evaluation_section(_evaluation()).count("```mermaid") == 0


def test_a_hostile_model_name_is_inert_in_the_chart_title() -> None:
    [block] = _blocks(curves_markdown(_evaluation(_ROC, model='x"]\n%%{init}%% <b>')))
    title = next(line for line in block.splitlines() if line.startswith("    title"))
    assert title == "    title \"x') % %(init)% % ‹b›: ROC curve\""


# drift -------------------------------------------------------------------------------------


def _column(name: str, method: str, statistic: float, p_value: float | None = None,
            threshold: float = 0.2) -> ColumnDriftResult:
    p_method = method in ("ks", "chi2")
    drifted = (p_value or 1) < threshold if p_method else statistic >= threshold
    return ColumnDriftResult(
        column=name, kind="numeric", method=method,  # type: ignore[arg-type]
        method_reason="", threshold=threshold,
        verdict="drift" if drifted else "ok", statistic=statistic, p_value=p_value,
        adjusted_p_value=p_value, reference_values=10, current_values=10,
        null_share_reference=0, null_share_current=0)


@pytest.mark.parametrize(("column", "expected"), [
    (_column("a", "psi", 0.3), 1.5),
    (_column("a", "psi", 0.1), 0.5),
    (_column("a", "psi", math.inf), MAX_RATIO),
    (_column("a", "ks", 0.4, p_value=0.05, threshold=0.05), 1.0),
    (_column("a", "ks", 0.4, p_value=0.0005, threshold=0.05),
     math.log10(0.0005) / math.log10(0.05)),
    (_column("a", "chi2", 9.0, p_value=0.0, threshold=0.05), MAX_RATIO),
    (_column("a", "chi2", 0.1, p_value=1.0, threshold=0.05), 0.0),
])
def test_a_drift_bar_is_the_statistic_as_a_multiple_of_its_threshold(
    column: ColumnDriftResult, expected: float
) -> None:
    assert ratio(column) == pytest.approx(expected)


def test_the_drift_chart_shows_drifted_columns_first_then_the_nearest_drift() -> None:
    rng = __import__("numpy").random.default_rng(1)
    result = big.drift_result(rng)
    markdown = drift_chart_markdown(result)
    [block] = _blocks(markdown)
    [bars] = _plotted(block, "bar")
    [line] = _plotted(block, "line")
    assert len(bars) == MAX_BARS and line == [1.0] * MAX_BARS
    drifted = sum(c.drifted for c in result.columns)
    assert all(bar > 1 for bar in bars[:drifted]) and all(bar < 1 for bar in bars[drifted:])
    assert bars[drifted:] == sorted(bars[drifted:], reverse=True)
    assert block.splitlines()[1] == "xychart-beta horizontal"  # column names read upright
    assert f"(the {MAX_BARS} of {big.COLUMNS} nearest drift)" in block
    categories = re.search(r'x-axis "column [^"]*" \[(.*)\]', block)
    assert categories is not None
    assert '"a\') line (1"' in categories.group(1).split(", ")  # HOSTILE_NAMES[0], drifted
    assert rendering_problems(markdown) == []


def test_no_tested_column_no_drift_chart() -> None:
    result = big.drift_result(__import__("numpy").random.default_rng(1))
    untested = tuple(dataclasses.replace(c, statistic=None, verdict="untestable")
                     for c in result.columns)
    assert drift_chart_markdown(dataclasses.replace(result, columns=untested)) == ""


# the monitoring trend ----------------------------------------------------------------------


def _entry(index: int, share: float | None, live: float | None = None,
           estimate: float | None = None) -> HistoryEntry:
    return HistoryEntry(
        run_id=str(100 + index), at=f"2026-11-{1 + index // 24:02d}T{index % 24:02d}:00:00Z",
        version="v1.0.0", alert=False, drifted=False, share_drifted=share, drifted_count=0,
        drifted_columns=(), data_errors=0, rows=100,
        labelled_rows=None if live is None else 50,
        live=() if live is None else (("accuracy", live),),
        estimated=() if estimate is None else (("accuracy", estimate),))


def test_the_trend_draws_the_newest_runs_thinned_with_the_flagging_share() -> None:
    entries = [_entry(i, (i % 10) / 10) for i in range(50)]
    markdown = trend_charts_markdown(entries, share_threshold=0.3)
    [block] = _blocks(markdown)
    [bars] = _plotted(block, "bar")
    assert len(bars) == MAX_POINTS
    assert bars[0] == 0.0 and bars[-1] == 90.0  # the oldest and the newest run are kept
    assert _plotted(block, "line") == [[30.0] * MAX_POINTS]
    assert '"11-03 01:00"' in block  # the newest run's date
    assert "| 149 | 11-03 01:00 | 90 |" in markdown


def test_live_quality_and_estimates_get_a_chart_gaps_drawn_from_the_nearest_run() -> None:
    entries = [_entry(0, 0.0, estimate=0.8), _entry(1, None, live=0.7, estimate=0.75),
               _entry(2, 0.1, live=0.9)]
    markdown = trend_charts_markdown(entries)
    drift, quality = _blocks(markdown)
    assert _plotted(drift, "bar") == [[0.0, 0.0, 10.0]]
    assert _plotted(quality, "line") == [[0.7, 0.7, 0.9], [0.8, 0.75, 0.75]]
    assert "🔵 live accuracy · 🟢 ≈ accuracy" in markdown
    assert "| 100 | 11-01 00:00 | – | 0.8 |" in markdown
    assert "| 101 | 11-01 01:00 | – |" in markdown  # drift not measured: no share


def test_runs_recorded_in_the_same_minute_keep_distinct_labels() -> None:
    entries = [dataclasses.replace(_entry(0, 0.0), run_id=str(i)) for i in range(3)]
    [block] = _blocks(trend_charts_markdown(entries))
    assert '["11-01 00:00", "11-01 00:00 (2)", "11-01 00:00 (3)"]' in block


# as a reader sees it -----------------------------------------------------------------------


@pytest.mark.browser
def test_every_chart_of_the_largest_comment_draws_in_a_browser(tmp_path: Path) -> None:
    comment = render_report(big.big_report())
    drawn = draw(comment, tmp_path, "comment")
    assert len(drawn) == len(_blocks(comment)) == 10
    assert [d.problem for d in drawn] == [None] * len(drawn)
    assert {d.kind for d in drawn} == {"xychart"}
    assert any("a') line (1" in d.text for d in drawn)  # a hostile column name, as text
    assert (tmp_path / "comment.png").stat().st_size > 0


@pytest.mark.browser
def test_the_browser_check_sees_a_chart_mermaid_cannot_draw(tmp_path: Path) -> None:
    good = "```mermaid\nxychart-beta\n    title \"ok\"\n    line [1, 2]\n```\n"
    bad = "```mermaid\nxychart-beta\n    title \"broken\n    line [a, b]\n```\n"
    drawn = draw(f"{good}\ntext\n\n{bad}", tmp_path)
    assert drawn[0].problem is None
    assert drawn[1].problem is not None and drawn[1].problem.startswith("mermaid.parse: ")



def test_without_chromium_the_browser_tests_skip_and_under_ci_they_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.report.browser import require_browser

    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, no npm
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium on PATH"):
        require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_browser()
