"""The curves of an evaluation, computed beside its metrics from the same predictions.

``evaluation_charts`` turns each model's predictions on the test set (candidate, production,
base: one test set for all) into ``CurveChart`` values the report draws. What a caller may
rely on:

- Every chart has at most ``MAX_POINTS`` points per line, all lines on the same ``x`` points
  (a chart's line in Mermaid is a list of values over a shared axis), every value finite.
- A binary classifier with probabilities gets a ROC curve (true positive rate at each of
  ``GRID_POINTS`` false positive rates from 0 to 1, linear between scikit-learn's
  ``roc_curve`` points as its ROC AUC is), a precision-recall curve (the best
  precision at each recall or more, ``precision_recall_curve``, with the share of positives as
  the no-skill line) and a calibration curve (the share of positives observed in each of
  ``CALIBRATION_BINS`` equal-width probability bins, ``calibration_curve``; an empty bin takes
  the value between its neighbours). A model without probabilities, or a test set with one
  class, gets no line, and the chart's ``note`` says why.
- A regressor gets predicted against actual: the test rows sorted by their actual value into
  up to ``REGRESSION_BINS`` equal-count bins, the mean prediction of each model per bin, and
  the bins' mean actual value as the perfect line.
- Multiclass classifiers get no curves (their metrics are averaged over classes).

scikit-learn and numpy are imported inside the functions: this module is on the run's path.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlops_ci.config.model import Task
from mlops_ci.metrics import Predictions
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.stages.results import CurveChart, Role, Series

if TYPE_CHECKING:
    import numpy.typing as npt

GRID_POINTS = 21  # 0, 0.05, ..., 1
CALIBRATION_BINS = 10
REGRESSION_BINS = 20
MAX_POINTS = 30


def evaluation_charts(
    task: Task, predictions: Mapping[Role, Predictions]
) -> tuple[CurveChart, ...]:
    """The charts of the models in ``predictions`` (candidate first), each line named by its
    role (the report adds the version)."""
    if "candidate" not in predictions:
        return ()
    if task == "regression":
        return (_predicted_actual(predictions),)
    if len(predictions["candidate"].classes) != 2:
        return ()
    return (_roc(predictions), _precision_recall(predictions), _calibration(predictions))


def _grid(points: int, start: float = 0.0, stop: float = 1.0) -> tuple[float, ...]:
    return tuple(round(start + (stop - start) * i / (points - 1), 6) for i in range(points))


def _scored(p: Predictions) -> tuple[npt.NDArray[Any], npt.NDArray[Any]] | str:
    """Outcomes (1 for the positive class) and positive-class scores, or why there are none."""
    import numpy as np

    if p.proba is None:
        return p.proba_missing or "the model gives no probabilities"
    outcomes = (np.asarray(p.y_true) == p.classes[p.positive_index]).astype(int)
    if len(np.unique(outcomes)) < 2:
        return "the test set holds one class only"
    return outcomes, np.asarray(p.proba, dtype=float)[:, p.positive_index]


def _lines(predictions: Mapping[Role, Predictions], curve: Any) -> tuple[list[Series], str]:
    """A line per model from ``curve(outcomes, scores)``, and why a model has none."""
    lines: list[Series] = []
    missing: list[str] = []
    for role, p in predictions.items():
        scored = _scored(p)
        if isinstance(scored, str):
            missing.append(f"{role}: {scored}")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = curve(*scored)
        lines.append(Series(role, role, tuple(_finite(v) for v in values)))
    return lines, "; ".join(missing)


def _roc(predictions: Mapping[Role, Predictions]) -> CurveChart:
    import numpy as np

    grid = _grid(GRID_POINTS)

    def curve(outcomes: Any, scores: Any) -> list[float]:
        from sklearn.metrics import roc_curve

        fpr, tpr, _ = roc_curve(outcomes, scores)
        # Linear between operating points, as the ROC AUC's trapezoids (tied scores draw a
        # diagonal); at a false positive rate shared by several points, the highest.
        return [float(v) for v in np.interp(grid, fpr, tpr)]

    lines, note = _lines(predictions, curve)
    chance = Series("reference", "chance", grid)
    return CurveChart("roc", grid, (*lines, chance), note)


def _precision_recall(predictions: Mapping[Role, Predictions]) -> CurveChart:
    import numpy as np

    grid = _grid(GRID_POINTS)

    def curve(outcomes: Any, scores: Any) -> list[float]:
        from sklearn.metrics import precision_recall_curve

        precision, recall, _ = precision_recall_curve(outcomes, scores)
        return [float(np.max(precision[recall >= level])) for level in grid]

    lines, note = _lines(predictions, curve)
    share = _positive_share(predictions["candidate"])
    no_skill = () if share is None else (Series("reference", "no skill", (share,) * len(grid)),)
    return CurveChart("precision_recall", grid, (*lines, *no_skill), note)


def _positive_share(p: Predictions) -> float | None:
    import numpy as np

    if not p.classes:
        return None
    return float(np.mean(np.asarray(p.y_true) == p.classes[p.positive_index]))


def _calibration(predictions: Mapping[Role, Predictions]) -> CurveChart:
    import numpy as np

    width = 1 / CALIBRATION_BINS
    centres = _grid(CALIBRATION_BINS, width / 2, 1 - width / 2)

    def curve(outcomes: Any, scores: Any) -> list[float]:
        from sklearn.calibration import calibration_curve

        observed, predicted = calibration_curve(
            outcomes, scores, n_bins=CALIBRATION_BINS, strategy="uniform"
        )
        return [float(v) for v in np.interp(centres, predicted, observed)]

    lines, note = _lines(predictions, curve)
    perfect = Series("reference", "perfect calibration", centres)
    return CurveChart("calibration", centres, (*lines, perfect), note)


def with_calibration_map(
    charts: Sequence[CurveChart], calibrator: Calibrator | None
) -> tuple[CurveChart, ...]:
    """``charts`` with the map performance estimates apply to the candidate's scores (the
    calibrator registration fits, ``monitoring.feedback``) drawn in the calibration chart."""
    if calibrator is None:
        return tuple(charts)
    out = []
    for chart in charts:
        if chart.kind == "calibration":
            calibrated = calibrator.apply(list(chart.x))
            line = Series("calibration", "calibration map",
                          tuple(_finite(float(v)) for v in calibrated))
            models = [s for s in chart.series if s.role != "reference"]
            references = [s for s in chart.series if s.role == "reference"]
            chart = CurveChart(chart.kind, chart.x, (*models, line, *references), chart.note)
        out.append(chart)
    return tuple(out)


def _predicted_actual(predictions: Mapping[Role, Predictions]) -> CurveChart:
    import numpy as np

    actual = np.asarray(predictions["candidate"].y_true, dtype=float)
    order = np.argsort(actual, kind="stable")
    bins = [b for b in np.array_split(order, min(REGRESSION_BINS, len(actual))) if len(b)]
    x = tuple(_finite(float(np.mean(actual[b]))) for b in bins)
    lines = [
        Series(role, role,
               tuple(_finite(float(np.mean(np.asarray(p.y_pred, dtype=float)[b])))
                     for b in bins))
        for role, p in predictions.items()
    ]
    return CurveChart("predicted_actual", x, (*lines, Series("reference", "perfect", x)))


def _finite(value: float) -> float:
    number = float(value)
    return round(number, 6) if math.isfinite(number) else 0.0
