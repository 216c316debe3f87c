"""One feedback measurement: live quality on the latest window, and estimates per window.

``assess`` takes the scored rows (``sources``), the metrics recorded at registration and the
release's calibrator, and gives a ``FeedbackCheck``: the live metrics judged against their
tolerances on the labelled rows of the latest window (all rows without times), and for a binary
classifier with probabilities, the estimated accuracy and ROC AUC of each window (the latest
``MAX_WINDOWS``), beside the realised values where that window has enough labels.
``assess_counted`` gives the same ``FeedbackCheck`` from labelled rows counted per window as
they streamed by (``live_windows``) instead of held: the streamed sources use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlops_ci.config.model import ClassLabel, FeedbackSpec
from mlops_ci.metrics import Predictions, compute, positive_index
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.cbpe import Estimate, estimate_accuracy, estimate_roc_auc
from mlops_ci.monitoring.feedback.join import JoinCounts, window_of
from mlops_ci.monitoring.feedback.live import LiveQuality, judge_live
from mlops_ci.monitoring.feedback.live_counts import NO_PROBABILITIES, uniform
from mlops_ci.monitoring.feedback.live_windows import REALISED, LabelledWindows
from mlops_ci.monitoring.feedback.sources import ScoredRows
from mlops_ci.monitoring.feedback.stream_cbpe import StreamedEstimate

MAX_WINDOWS = 6
ALL_ROWS = "all rows"


@dataclass(frozen=True, slots=True)
class WindowEstimate:
    """Estimated (never measured) accuracy and ROC AUC of one window, with realised values."""

    window: str
    rows: int
    labelled: int
    accuracy: Estimate
    roc_auc: Estimate
    realised_accuracy: float | None = None  # when the window has min_rows labels
    realised_roc_auc: float | None = None

    def to_json(self) -> dict[str, object]:
        return {"window": self.window, "rows": self.rows, "labelled": self.labelled,
                "estimated": True, "accuracy": self.accuracy.to_json(),
                "roc_auc": self.roc_auc.to_json(), "realised_accuracy": self.realised_accuracy,
                "realised_roc_auc": self.realised_roc_auc}


@dataclass(frozen=True, slots=True)
class FeedbackCheck:
    source: str
    live: LiveQuality
    estimates: tuple[WindowEstimate, ...]  # newest window first
    estimate_note: str | None  # why there is no estimate, when there is none
    counts: JoinCounts | None
    notes: tuple[str, ...] = ()
    calibration: Calibrator | None = None
    unavailable: str | None = None  # why nothing could be measured (e.g. no model to score)

    @classmethod
    def not_measured(cls, source: str, reason: str, min_rows: int) -> FeedbackCheck:
        return cls(source, LiveQuality(0, min_rows, ALL_ROWS, ()), (), reason, None,
                   unavailable=reason)

    @property
    def dropped(self) -> bool:
        return self.live.dropped

    def to_json(self) -> dict[str, object]:
        quality = self.calibration.quality if self.calibration else None
        return {
            "source": self.source,
            "live": self.live.to_json(),
            "estimates": [estimate.to_json() for estimate in self.estimates],
            "estimate_note": self.estimate_note,
            "join": self.counts.to_json() if self.counts else None,
            "calibration": None if quality is None else {
                "method": self.calibration.method if self.calibration else None,
                "brier": quality.brier, "ece": quality.ece, "rows": quality.rows},
            "notes": list(self.notes),
            "unavailable": self.unavailable,
        }


def assess(
    rows: ScoredRows,
    *,
    spec: FeedbackSpec,
    metric_names: Sequence[str],
    registered: Mapping[str, float],
    calibrator: Calibrator | None,
    calibrator_note: str | None = None,
    positive_class: ClassLabel | None = None,
) -> FeedbackCheck:
    """Judge live quality on the latest window; estimate every recent window (see module).

    Binary metrics treat ``positive_class`` (``evaluate.positive_class``) as positive, as
    evaluate did for the registered values.
    """
    import numpy as np

    end = max((t for t in rows.times if t is not None), default=None)
    windows = np.asarray([window_of(t, end, spec.window_days) for t in rows.times], dtype=int)
    label_index = np.asarray([index for index, _ in rows.labelled], dtype=int)
    label_values = np.asarray([value for _, value in rows.labelled], dtype=object)

    def predictions(members: Any) -> Predictions:
        chosen = label_index[members]
        proba = rows.proba[chosen] if rows.proba is not None else None
        truth = uniform(label_values[members])
        return Predictions(truth, uniform(rows.y_pred[chosen]), proba, rows.classes,
                           None if proba is not None else NO_PROBABILITIES, positive)

    positive = -1
    if positive_class is not None and len(rows.classes) == 2:
        positive = positive_index(rows.classes, positive_class)

    latest = windows[label_index] == 0 if len(label_index) else np.zeros(0, dtype=bool)
    count = int(latest.sum())
    values = compute(metric_names, predictions(latest)) if count >= spec.min_rows else ()
    live = judge_live(values, registered, spec.tolerances, rows=count, min_rows=spec.min_rows,
                      window=_window_name(0, end, spec.window_days))
    estimates: tuple[WindowEstimate, ...] = ()
    note = calibrator_note if calibrator is None else \
        cannot_estimate(rows.classes, rows.proba is not None, calibrator)
    if not spec.estimate:
        note = "estimation is off (monitor.feedback.estimate: false)"
    elif note is None and calibrator is not None:
        positive = rows.classes.index(calibrator.positive_class)
        scores = rows.proba[:, positive]
        found = []
        for window in range(min(MAX_WINDOWS, int(windows.max()) + 1 if len(windows) else 0)):
            members = windows == window
            if not members.any():
                continue
            in_window = windows[label_index] == window if len(label_index) else latest
            labelled = int(in_window.sum())
            realised: dict[str, float | None] = {"accuracy": None, "roc_auc": None}
            if labelled >= spec.min_rows:
                for value in compute(REALISED, predictions(in_window)):
                    realised[value.name] = value.value
            predicted_positive = uniform(rows.y_pred[members]) == calibrator.positive_class
            found.append(WindowEstimate(
                window=_window_name(window, end, spec.window_days),
                rows=int(members.sum()),
                labelled=labelled,
                accuracy=estimate_accuracy(calibrator, scores[members], predicted_positive),
                roc_auc=estimate_roc_auc(calibrator, scores[members]),
                realised_accuracy=realised["accuracy"],
                realised_roc_auc=realised["roc_auc"],
            ))
        estimates = tuple(found)
    return FeedbackCheck(rows.source, live, estimates, note, rows.counts, rows.notes,
                         calibrator)


def assess_counted(
    source: str,
    labelled: LabelledWindows,
    *,
    proba_missing: str | None,
    spec: FeedbackSpec,
    metric_names: Sequence[str],
    registered: Mapping[str, float],
    calibrator: Calibrator | None,
    calibrator_note: str | None,
    positive_class: ClassLabel | None,
    end: datetime | None,
    streamed: Sequence[tuple[int, int, StreamedEstimate]],
    counts: JoinCounts | None = None,
    notes: tuple[str, ...] = (),
) -> FeedbackCheck:
    """``assess``'s check from labelled rows counted per window (``live_windows``).

    ``proba_missing`` says why there are no probabilities (None when every row has them);
    ``streamed`` holds the estimates' sums per window, as for ``assess``.
    """
    classes = labelled.classes
    positive = -1
    if positive_class is not None and len(classes) == 2:
        positive = positive_index(classes, positive_class)
    latest = labelled.rows(0)
    values = (labelled.window(0).values(metric_names, positive, proba_missing)
              if latest >= spec.min_rows else ())
    live = judge_live(values, registered, spec.tolerances, rows=latest, min_rows=spec.min_rows,
                      window=_window_name(0, end, spec.window_days))
    estimates: list[WindowEstimate] = []
    note = calibrator_note if calibrator is None else \
        cannot_estimate(classes, proba_missing is None, calibrator)
    if not spec.estimate:
        note = "estimation is off (monitor.feedback.estimate: false)"
    elif note is None and calibrator is not None:
        positive = classes.index(calibrator.positive_class)
        for window in sorted(w for w, rows, _ in streamed if rows and w < MAX_WINDOWS):
            count = labelled.rows(window)
            realised: dict[str, float | None] = dict.fromkeys(REALISED)
            if count >= spec.min_rows:
                for value in labelled.window(window).values(REALISED, positive, proba_missing):
                    realised[value.name] = value.value
            sums = next(s for w, _, s in streamed if w == window)
            estimates.append(WindowEstimate(
                window=_window_name(window, end, spec.window_days), rows=sums.rows,
                labelled=count, accuracy=sums.accuracy(), roc_auc=sums.roc_auc(),
                realised_accuracy=realised["accuracy"], realised_roc_auc=realised["roc_auc"]))
    return FeedbackCheck(source, live, tuple(estimates), note, counts, notes, calibrator)


def cannot_estimate(classes: Sequence[Any], has_proba: bool, calibrator: Calibrator
                    ) -> str | None:
    """Why a model's performance cannot be estimated with ``calibrator``; None when it can."""
    if len(classes) != 2:
        return "the estimate is for binary classifiers; this model has " \
               f"{len(classes)} classes"
    if not has_proba:
        return "the model gives no probabilities, so its performance cannot be estimated"
    if calibrator.positive_class not in classes:
        return (f"the calibrator's positive class {calibrator.positive_class!r} is not one of "
                f"the model's classes")
    return None


def _window_name(window: int, end: datetime | None, days: int) -> str:
    if end is None:
        return ALL_ROWS
    stop = end - timedelta(days=days) * window
    start = stop - timedelta(days=days)
    return f"{start:%Y-%m-%d %H:%M} – {stop:%Y-%m-%d %H:%M} UTC"
