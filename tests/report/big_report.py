"""A report as large as the issue asks the comment to hold: 3 models, 50 columns each.

Each model has a validation, a drift result over 50 columns (mixed methods, long and hostile
names, some columns drifted with their histograms) and an evaluation against production and
the base branch with every curve: two binary classifiers (with the calibration map of their
estimates) and a regressor. The curves are computed by ``stages.curves`` from generated
predictions, as the evaluate stage computes them.
"""

from __future__ import annotations

import numpy as np

from mlops_ci.config.model import StageName
from mlops_ci.data.results import (
    ColumnDriftResult,
    DriftResult,
    Finding,
    Histogram,
    ValidationResult,
)
from mlops_ci.metrics import MetricValue, Predictions
from mlops_ci.monitoring.feedback.calibration import fit_calibrator
from mlops_ci.report.model import Report, RunInfo, build_report
from mlops_ci.stages.base import StageResult, Status
from mlops_ci.stages.curves import evaluation_charts, with_calibration_map
from mlops_ci.stages.results import Evaluation, EvaluationOutcome, MetricRow

COLUMNS = 50
MODELS = ("churn", "upsell", "lifetime_value")
DRIFTED_EVERY = 5  # one column in five drifted
HOSTILE_NAMES = ('a"] \n  line [1', "%%{init: {}}%%", "<b>x</b> #quot;", "`tick` ; |pipe|")


def column_names() -> list[str]:
    names = [f"feature_{index:02d}_with_a_rather_long_descriptive_name" for index in range(
        COLUMNS - len(HOSTILE_NAMES))]
    return [*HOSTILE_NAMES, *names]


def _column(index: int, name: str, rng: np.random.Generator) -> ColumnDriftResult:
    method = ("psi", "ks", "chi2", "wasserstein", "jensenshannon")[(index + index // 5) % 5]
    p_value_method = method in ("ks", "chi2")
    drifted = index % DRIFTED_EVERY == 0
    threshold = 0.05 if p_value_method else 0.2
    if p_value_method:
        p_value = 1e-9 if drifted else float(rng.uniform(0.1, 1))
        statistic = float(rng.uniform(0, 1))
    else:
        p_value = None
        statistic = 0.5 if drifted else float(rng.uniform(0, 0.15))
    bins = 10
    labels = tuple(f"[{b * 10}, {b * 10 + 10})" for b in range(bins))
    share = tuple(1 / bins for _ in range(bins))
    moved = tuple(float(v) for v in rng.dirichlet(np.ones(bins)))
    return ColumnDriftResult(
        column=name, kind="numeric" if index % 2 else "categorical", method=method,
        method_reason=f"auto: {method}", threshold=threshold,
        verdict="drift" if drifted else "ok", statistic=statistic, p_value=p_value,
        adjusted_p_value=p_value, reference_values=1000, current_values=1000,
        null_share_reference=0.0, null_share_current=0.0,
        histogram=Histogram(labels, share, moved) if drifted else None,
    )


def drift_result(rng: np.random.Generator) -> DriftResult:
    columns = tuple(_column(i, name, rng) for i, name in enumerate(column_names()))
    drifted = sum(c.drifted for c in columns)
    return DriftResult(
        reference="data/reference.csv", current="data/train.csv", reference_rows=1000,
        current_rows=1000, columns=columns, drifted=drifted / len(columns) >= 0.3,
        reason=f"{drifted} of {len(columns)} columns drifted", share_drifted=drifted / len(columns),
        share_threshold=0.3, key_columns=(), correction="holm",
    )


def _classification(model: str, rng: np.random.Generator) -> Evaluation:
    scores = rng.uniform(0, 1, 2000)
    outcomes = (rng.uniform(0, 1, 2000) < scores).astype(int)

    def predictions(noise: float) -> Predictions:
        noisy = np.clip(scores + rng.normal(0, noise, len(scores)), 0, 1)
        return Predictions(outcomes, (noisy > 0.5).astype(int),
                           np.column_stack([1 - noisy, noisy]), (0, 1))

    charts = evaluation_charts("classification", {
        "candidate": predictions(0.1), "production": predictions(0.2), "base": predictions(0.3)})
    charts = with_calibration_map(charts, fit_calibrator(scores, outcomes, method="platt"))
    return _evaluation(model, "classification", charts, ["accuracy", "roc_auc", "log_loss"])


def _regression(model: str, rng: np.random.Generator) -> Evaluation:
    actual = rng.normal(100, 30, 2000)
    charts = evaluation_charts("regression", {
        role: Predictions(actual, actual + rng.normal(0, noise, len(actual)))
        for role, noise in (("candidate", 5.0), ("production", 10.0), ("base", 15.0))})
    return _evaluation(model, "regression", charts, ["mae", "rmse", "r2"])


def _evaluation(model: str, task: str, charts: tuple[object, ...], names: list[str]) -> Evaluation:
    rows = tuple(MetricRow(name, name, "higher", MetricValue(name, 0.8123),
                           MetricValue(name, 0.7987), MetricValue(name, 0.7912))
                 for name in names)
    return Evaluation(
        model_name=model, task=task, test_file="data/test.csv",  # type: ignore[arg-type]
        test_rows=2000, models=(), rows=rows, gates=(), outcome=EvaluationOutcome.PASSED,
        notes=(), production_version="v1.4.0", base_version="v1.3.2",
        class_count=2 if task == "classification" else 0,
        charts=charts,  # type: ignore[arg-type]
    )


def big_report(seed: int = 0) -> Report:
    rng = np.random.default_rng(seed)
    results: list[StageResult] = []
    for model in MODELS:
        finding = Finding("null", "warning", HOSTILE_NAMES[0], 3, "3 empty values")
        validation = ValidationResult("data/train.csv", 1000, tuple(column_names()), (finding,))
        drift = drift_result(rng)
        evaluation = (_regression if model == "lifetime_value" else _classification)(model, rng)
        results += [
            StageResult(StageName.VALIDATE, model, Status.PASSED, "1 file", detail=(validation,)),
            StageResult(StageName.DRIFT, model, Status.WARNING, drift.reason, detail=drift),
            StageResult(StageName.EVALUATE, model, Status.PASSED, "gates passed",
                        detail=evaluation),
        ]
    run = RunInfo(event="pull_request #12", ref="retrain", sha="a" * 40, config_id="ci",
                  title="Retrain every model")
    return build_report(run, results)
