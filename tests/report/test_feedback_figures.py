"""The wording both feedback renderers share, pinned byte for byte on a hostile check.

``report.feedback_figures`` holds what the section says; ``report.feedback`` lays it out as
markdown (issue, summary) and as text (terminal), each passing outside text through its rule.
The check below has markdown, HTML, an ANSI escape, a bidirectional override, line breaks and
workflow commands in every name it can hold, a relative tolerance, an unjudged and an
undefined metric, an estimate and an unestimated value, join counts, a note and a calibrator:
every branch of both renderers that writes text.
"""

from __future__ import annotations

from mlops_ci.config.model import Tolerance
from mlops_ci.metrics import MetricValue
from mlops_ci.monitoring.feedback.calibration import CalibrationQuality, Calibrator, Fit
from mlops_ci.monitoring.feedback.cbpe import Estimate
from mlops_ci.monitoring.feedback.check import FeedbackCheck, WindowEstimate
from mlops_ci.monitoring.feedback.join import JoinCounts
from mlops_ci.monitoring.feedback.live import LiveQuality, MetricCheck
from mlops_ci.report import feedback_figures as figures
from mlops_ci.report.feedback import feedback_markdown, feedback_text


def _hostile_check() -> FeedbackCheck:
    live = LiveQuality(
        rows=1234,
        min_rows=200,
        window="::error::w",
        checks=(
            MetricCheck("roc_auc", "a|b`*_\x1b[2J", 0.8, MetricValue("roc_auc", 0.6),
                        Tolerance("roc_auc", 0.1, relative=True)),
            MetricCheck("f1", "F1", None, MetricValue("f1", 0.5), None),
            MetricCheck("accuracy", "accuracy", 0.9,
                        MetricValue("accuracy", None, "##[add-mask]r\u202e"),
                        Tolerance("accuracy", 0.05)),
        ),
    )
    window = WindowEstimate("<i>w</i>", 12345, 10, Estimate("accuracy", 0.81234, 0.7, 0.9),
                            Estimate("roc_auc", None, undefined_reason="few\nrows"), 0.75)
    calibrator = Calibrator(Fit("platt"), (), 1, (0, 1),
                            CalibrationQuality(2000, 0.21, 0.12, 0.15, 0.03))
    return FeedbackCheck(
        source="<b>src</b>|x",
        live=live,
        estimates=(window,),
        estimate_note=None,
        counts=JoinCounts(served=5000, labels=3200, matched=3000, awaiting=2000),
        notes=("n\n::warning::x",),
        calibration=calibrator,
    )


MARKDOWN = (
    '### Live quality\n'
    '\n'
    'Labelled production rows from &lt;b&gt;src&lt;/b&gt;\\|x, window ::error::w: 🔴 live quality'
    ' dropped (roc\\_auc) on 1,234 labelled rows.\n'
    '\n'
    '| metric | at registration | live | change | allowed drop | verdict |\n'
    '|---|---|---|---|---|---|\n'
    '| a\\|b\\`\\*\\_ \\[2J | 0.8000 | 0.6000 | -0.2000 | 0.0800 (10%) | 🔴 drop |\n'
    '| F1 | – | 0.5000 | – | not judged | – |\n'
    '| accuracy | 0.9000 | undefined: \\#\\#\\[add-mask\\]r  | – | 0.0500 | – |\n'
    '\n'
    '- Labels joined by id: 3,000 of 5,000 served rows labelled, 2,000 awaiting a label; 3,200 '
    'label rows read.\n'
    '- Duplicates: 0 repeated servings (the one each label answers is kept), 0 repeated labels '
    '(the latest is kept; 0 id(s) with disagreeing labels).\n'
    '- Not joined: 0 label(s) for ids never served, 0 row(s) without an id, 0 label(s) older th'
    "an their prediction. Late: 0 label(s) arrived after their prediction's window closed and c"
    'ount in that window.\n'
    '\n'
    '> ⚠️ n ::warning::x\n'
    '\n'
    '#### Estimated performance before labels (an estimate, not a measurement)\n'
    '\n'
    "Expected from the model's calibrated confidence (CBPE), with 95% intervals; valid while th"
    'e meaning of the inputs holds (covariate shift), blind to concept drift, which only labels'
    ' reveal.\n'
    '\n'
    '| window | rows | estimated accuracy | estimated ROC AUC | labelled | realised accuracy | '
    'realised ROC AUC |\n'
    '|---|---|---|---|---|---|---|\n'
    '| &lt;i&gt;w&lt;/i&gt; | 12,345 | ≈ 0.812 [0.700, 0.900] | not estimated: few rows | 10 | '
    '0.750 | – |\n'
    '\n'
    'platt calibration on 2,000 test rows: Brier score 0.2100 → 0.1500, expected calibration er'
    'ror 0.1200 → 0.0300 \\(raw → calibrated, cross-fitted\\).\n'
)

TEXT = (
    'Live quality\n'
    'Labelled production rows from <b>src</b>|x, window \\x3a:error::w: 🔴 live quality dropped ('
    'roc_auc) on 1,234 labelled rows.\n'
    '\n'
    'metric         at registration    live                               change    allowed dro'
    'p    verdict\n'
    '-------------  -----------------  ---------------------------------  --------  -----------'
    '---  ---------\n'
    'a|b`*_\\x1b[2J  0.8000             0.6000                             -0.2000   0.0800 (10%'
    ')    🔴 drop\n'
    'F1             –                  0.5000                             –         not judged '
    '     –\n'
    'accuracy       0.9000             undefined: ##\\x5badd-mask]r\\u202e  –         0.0500     '
    '     –\n'
    '\n'
    '  - Labels joined by id: 3,000 of 5,000 served rows labelled, 2,000 awaiting a label; 3,20'
    '0 label rows read.\n'
    '  - Duplicates: 0 repeated servings (the one each label answers is kept), 0 repeated label'
    's (the latest is kept; 0 id(s) with disagreeing labels).\n'
    '  - Not joined: 0 label(s) for ids never served, 0 row(s) without an id, 0 label(s) older '
    "than their prediction. Late: 0 label(s) arrived after their prediction's window closed and"
    ' count in that window.\n'
    '\n'
    '  ⚠️ n\\n::warning::x\n'
    '\n'
    'Estimated performance before labels (an estimate, not a measurement)\n'
    '\n'
    "Expected from the model's calibrated confidence (CBPE), with 95% intervals; valid while th"
    'e meaning of the inputs holds (covariate shift), blind to concept drift, which only labels'
    ' reveal.\n'
    '\n'
    'window    rows    estimated accuracy      estimated ROC AUC         labelled    realised a'
    'ccuracy    realised ROC AUC\n'
    '--------  ------  ----------------------  ------------------------  ----------  ----------'
    '---------  ------------------\n'
    '<i>w</i>  12,345  ≈ 0.812 [0.700, 0.900]  not estimated: few\\nrows  10          0.750     '
    '           –\n'
    '\n'
    'platt calibration on 2,000 test rows: Brier score 0.2100 → 0.1500, expected calibration er'
    'ror 0.1200 → 0.0300 (raw → calibrated, cross-fitted).\n'
)


def test_markdown_of_a_hostile_check_is_exactly_the_pinned_section() -> None:
    assert feedback_markdown(_hostile_check()) == MARKDOWN


def test_text_of_a_hostile_check_is_exactly_the_pinned_section() -> None:
    assert feedback_text(_hostile_check()) == TEXT


def test_both_renderings_say_the_shared_sentences() -> None:
    check = _hostile_check()
    assert check.counts is not None
    text, markdown = feedback_text(check), feedback_markdown(check)

    for words in (figures.ESTIMATES_TITLE, figures.ESTIMATES_CAVEAT,
                  *figures.join_lines(check.counts),
                  "🔴 live quality dropped (roc", "≈ 0.812 [0.700, 0.900]", "0.0800 (10%)"):
        assert words in text and words in markdown
