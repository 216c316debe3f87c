"""The evaluation's curves: computed from the same predictions as the metrics, for every model."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from mlops_ci.config.model import ModelSpec
from mlops_ci.metrics import Predictions
from mlops_ci.monitoring.feedback.calibration import fit_calibrator
from mlops_ci.stages.curves import GRID_POINTS, MAX_POINTS, evaluation_charts, with_calibration_map
from mlops_ci.stages.evaluate import evaluate_models
from mlops_ci.stages.results import CurveChart, TrainResult
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import EXAMPLE, runner_environ


def _binary(scores: np.ndarray, outcomes: np.ndarray) -> Predictions:
    proba = np.column_stack([1 - scores, scores])
    return Predictions(outcomes, (scores >= 0.5).astype(int), proba, (0, 1))


def _chart(charts: tuple[CurveChart, ...], kind: str) -> CurveChart:
    return next(chart for chart in charts if chart.kind == kind)


def _sample(rows: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 1, rows)
    return scores, (rng.uniform(0, 1, rows) < scores).astype(int)  # calibrated by design


def test_the_roc_curve_is_sklearns_on_a_grid_of_false_positive_rates() -> None:
    from sklearn.metrics import roc_auc_score, roc_curve

    scores, outcomes = _sample()
    roc = _chart(evaluation_charts("classification", {"candidate": _binary(scores, outcomes)}),
                 "roc")
    [candidate, chance] = roc.series
    assert len(roc.x) == GRID_POINTS and roc.x[0] == 0.0 and roc.x[-1] == 1.0
    assert chance.role == "reference" and chance.values == roc.x
    fpr, tpr, _ = roc_curve(outcomes, scores)
    assert candidate.values == pytest.approx(np.interp(roc.x, fpr, tpr), abs=1e-6)
    # the thinned curve still measures what the metric says, to a grid's width
    assert np.trapezoid(candidate.values, roc.x) == pytest.approx(
        roc_auc_score(outcomes, scores), abs=0.03)


def test_precision_recall_and_calibration_of_a_calibrated_model() -> None:
    scores, outcomes = _sample()
    charts = evaluation_charts("classification", {"candidate": _binary(scores, outcomes)})
    pr = _chart(charts, "precision_recall")
    [candidate, no_skill] = pr.series
    assert candidate.values[0] == 1.0  # some threshold has only positives above it
    assert all(a >= b - 1e-9 for a, b in zip(candidate.values, candidate.values[1:], strict=False))
    assert no_skill.values == (pytest.approx(outcomes.mean(), abs=1e-6),) * len(pr.x)
    calibration = _chart(charts, "calibration")
    assert calibration.x == pytest.approx([0.05 + 0.1 * i for i in range(10)])
    [observed, perfect] = calibration.series
    assert perfect.values == calibration.x
    assert observed.values == pytest.approx(calibration.x, abs=0.08)


def test_production_gets_its_own_line_and_a_model_without_probabilities_a_note() -> None:
    scores, outcomes = _sample()
    no_proba = Predictions(outcomes, (scores > 0.5).astype(int), None, (0, 1),
                           "the model (SVC) has no predict_proba")
    charts = evaluation_charts("classification", {
        "candidate": _binary(scores, outcomes),
        "production": _binary(np.clip(scores + 0.2, 0, 1), outcomes),
        "base": no_proba,
    })
    for chart in charts:
        assert [s.role for s in chart.series] == ["candidate", "production", "reference"]
        assert chart.series[0].values != chart.series[1].values
        assert chart.note == "base: the model (SVC) has no predict_proba"
        assert all(len(s.values) == len(chart.x) <= MAX_POINTS for s in chart.series)


def test_multiclass_models_get_no_curves() -> None:
    outcomes = np.array([0, 1, 2] * 10)
    proba = np.full((30, 3), 1 / 3)
    assert evaluation_charts("classification",
                             {"candidate": Predictions(outcomes, outcomes, proba, (0, 1, 2))}) == ()


def test_a_regressor_gets_predicted_against_actual_in_equal_count_bins() -> None:
    actual = np.arange(100, dtype=float)
    charts = evaluation_charts("regression", {
        "candidate": Predictions(actual, actual + 1.0),
        "production": Predictions(actual, np.full(100, 50.0)),
    })
    [chart] = charts
    assert chart.kind == "predicted_actual" and len(chart.x) == 20
    assert chart.x[0] == pytest.approx(2.0) and chart.x[-1] == pytest.approx(97.0)
    candidate, production, perfect = chart.series
    assert candidate.values == pytest.approx([x + 1 for x in chart.x])
    assert production.values == (50.0,) * 20
    assert perfect.values == chart.x


def test_the_calibration_chart_draws_the_map_estimates_rely_on() -> None:
    scores, outcomes = _sample()
    charts = evaluation_charts("classification", {"candidate": _binary(scores, outcomes)})
    calibrator = fit_calibrator(scores, outcomes, method="platt")
    drawn = _chart(with_calibration_map(charts, calibrator), "calibration")
    assert [s.role for s in drawn.series] == ["candidate", "calibration", "reference"]
    assert drawn.series[1].values == pytest.approx(calibrator.apply(list(drawn.x)), abs=1e-6)
    assert with_calibration_map(charts, None) == charts


def test_evaluate_models_carries_the_curves_of_candidate_and_production(
    tmp_path: Path, churn: ModelSpec, churn_trained: TrainResult
) -> None:
    import dataclasses

    from mlops_ci.config.model import Estimator

    worse = dataclasses.replace(churn, train=dataclasses.replace(
        churn.train, command=None, estimator=Estimator("sklearn.dummy.DummyClassifier", ())))
    production = train_model(worse, workspace=EXAMPLE, output_dir=tmp_path,
                             environ=runner_environ(), out=io.StringIO())
    evaluation = evaluate_models(churn, workspace=EXAMPLE, candidate=churn_trained.model_path,
                                 production=production.model_path, base=None)
    assert [chart.kind for chart in evaluation.charts] == ["roc", "precision_recall",
                                                             "calibration"]
    roc = _chart(evaluation.charts, "roc")
    candidate, dummy, _ = roc.series
    assert (candidate.role, dummy.role) == ("candidate", "production")
    auc = {row.name: row for row in evaluation.rows}["roc_auc"]
    assert np.trapezoid(candidate.values, roc.x) == pytest.approx(auc.candidate.value, abs=0.03)
    # the dummy scores every row alike: the chance diagonal, as its ROC AUC of 0.5 says
    assert dummy.values == pytest.approx(roc.x, abs=1e-6)
    assert evaluation.to_json()["charts"][0]["series"][1]["role"] == "production"
