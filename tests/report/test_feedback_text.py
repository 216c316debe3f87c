"""The feedback section as terminal text: the markdown's content, names as they are, inert.

``feedback_markdown`` renders the same check for the issue; here nothing is escaped for
markdown, and nothing reaches the terminal that it or the Actions runner would act on.
"""

from __future__ import annotations

import re

from mlops_ci.config.model import Tolerance
from mlops_ci.metrics import MetricValue
from mlops_ci.monitoring.feedback.cbpe import Estimate
from mlops_ci.monitoring.feedback.check import FeedbackCheck, WindowEstimate
from mlops_ci.monitoring.feedback.join import JoinCounts
from mlops_ci.monitoring.feedback.live import LiveQuality, MetricCheck
from mlops_ci.report.feedback import feedback_markdown, feedback_text

RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


def _assert_terminal_safe(text: str) -> None:
    assert RAW.search(text) is None, repr(text)
    assert not any(line.lstrip().startswith("::") for line in text.splitlines()), text
    assert "##[" not in text


def _check(*, rows: int = 300) -> FeedbackCheck:
    """A live drop of ROC AUC, an undefined accuracy, one estimated window; hostile names."""
    live = LiveQuality(
        rows=rows,
        min_rows=200,
        window="##[add-mask]window",
        checks=(
            MetricCheck("roc_auc", "ROC AUC", 0.8, MetricValue("roc_auc", 0.7),
                        Tolerance("roc_auc", 0.03)),
            MetricCheck("accuracy", "accuracy", 0.9,
                        MetricValue("accuracy", None, "one class \x1b[31monly"), None),
        ) if rows >= 200 else (),
    )
    window = WindowEstimate("::error::week", 120, 0, Estimate("accuracy", 0.8, 0.75, 0.85),
                            Estimate("roc_auc", None, undefined_reason="too few\nrows"))
    return FeedbackCheck(
        source="<b>labels</b>.csv",
        live=live,
        estimates=(window,),
        estimate_note=None,
        counts=JoinCounts(served=500, labels=320, matched=300, awaiting=200),
        notes=("labels after\n::warning::the window",),
    )


def test_feedback_text_shows_names_as_they_are_and_nothing_raw() -> None:
    text = feedback_text(_check())

    _assert_terminal_safe(text)
    assert (
        r"Labelled production rows from <b>labels</b>.csv, window ##\x5badd-mask]window: "
        "🔴 live quality dropped (roc_auc) on 300 labelled rows." in text
    )
    assert "undefined: one class \\x1b[31monly" in text
    assert r"  ⚠️ labels after\n::warning::the window" in text
    rows = text.splitlines()
    [roc] = [row for row in rows if row.startswith("ROC AUC ")]
    assert roc.split() == ["ROC", "AUC", "0.8000", "0.7000", "-0.1000", "0.0300", "🔴", "drop"]
    [week] = [row for row in rows if row.startswith(r"\x3a:error::week ")]
    assert "≈ 0.800 [0.750, 0.850]" in week and r"not estimated: too few\nrows" in week
    assert "  - Labels joined by id: 300 of 500 served rows labelled" in text
    assert "&lt;" not in text and "\\_" not in text and "|" not in text and "#### " not in text


def test_feedback_text_says_what_the_markdown_says() -> None:
    check = _check(rows=50)
    text, markdown = feedback_text(check), feedback_markdown(check)

    for words in ("live quality not judged: 50 labelled row(s), 200 needed",
                  "Only 50 labelled row(s) in", "are needed for a stable metric",
                  "Estimated performance before labels (an estimate, not a measurement)",
                  "Expected from the model's calibrated confidence (CBPE)"):
        assert words in text and words in markdown


def test_feedback_that_could_not_be_measured_is_one_line_with_the_reason() -> None:
    check = FeedbackCheck.not_measured("labels.csv", "no model\x1b[2J file", 200)

    assert feedback_text(check) == "Live quality: ⚪ live quality not measured: no model" \
        "\\x1b[2J file.\n"
