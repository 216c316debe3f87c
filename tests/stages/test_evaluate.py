"""evaluate_models: candidate vs production vs base on one test set, gates, metrics.json."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import Estimator, Gate, ModelSpec
from mlops_ci.errors import UserError
from mlops_ci.gates import GateStatus
from mlops_ci.metrics_file import read_metrics, write_metrics
from mlops_ci.modelio import load_model, save_model
from mlops_ci.stages.evaluate import evaluate_models
from mlops_ci.stages.results import EvaluationOutcome, TrainResult
from mlops_ci.stages.train import train_model
from tests.stages.workspaces import EXAMPLE, runner_environ, tiny_workspace


def _with_estimator(model: ModelSpec, class_path: str, *params: tuple[str, object]) -> ModelSpec:
    spec = dataclasses.replace(model.train, command=None,
                               estimator=Estimator(class_path, tuple(params)))
    return dataclasses.replace(model, train=spec)


@pytest.fixture(scope="module")
def dummy_candidate(tmp_path_factory: pytest.TempPathFactory, churn: ModelSpec) -> TrainResult:
    """A worse candidate: always predicts the majority class with its prior probability."""
    model = _with_estimator(churn, "sklearn.dummy.DummyClassifier")
    return train_model(model, workspace=EXAMPLE, output_dir=tmp_path_factory.mktemp("dummy"),
                       environ=runner_environ(), out=io.StringIO())


def test_a_candidate_is_compared_with_production_and_base(
    churn: ModelSpec, churn_trained: TrainResult, dummy_candidate: TrainResult
) -> None:
    evaluation = evaluate_models(churn, workspace=EXAMPLE, candidate=churn_trained.model_path,
                                 production=dummy_candidate.model_path,
                                 base=churn_trained.model_path)
    assert evaluation.test_rows == 1000
    assert [row.name for row in evaluation.rows] == ["accuracy", "f1", "roc_auc", "log_loss"]
    by_name = {row.name: row for row in evaluation.rows}
    assert by_name["roc_auc"].candidate.value == pytest.approx(0.86614, abs=1e-5)
    assert by_name["roc_auc"].production is not None
    assert by_name["roc_auc"].production.value == pytest.approx(0.5)
    assert by_name["roc_auc"].delta_production == pytest.approx(0.36614, abs=1e-5)
    assert by_name["roc_auc"].delta_base == 0.0
    assert by_name["log_loss"].direction == "lower"
    assert [m.role for m in evaluation.models] == ["candidate", "production", "base"]
    assert [v.status for v in evaluation.gates] == [GateStatus.PASSED] * 3
    assert evaluation.outcome is EvaluationOutcome.PASSED
    # the dummy predicts no churner at all: recall 0, so f1 0 (not undefined)
    assert by_name["f1"].production is not None and by_name["f1"].production.value == 0.0


def test_a_worse_candidate_fails_the_gate_a_good_one_passes(
    churn: ModelSpec, churn_trained: TrainResult, dummy_candidate: TrainResult
) -> None:
    worse = evaluate_models(churn, workspace=EXAMPLE, candidate=dummy_candidate.model_path,
                            production=churn_trained.model_path, base=None)
    floor, regression, base_gate = worse.gates
    assert floor.status is GateStatus.FAILED
    assert floor.explanation == "roc_auc 0.5 < 0.7"
    assert regression.status is GateStatus.FAILED
    assert regression.threshold == pytest.approx(0.86614 - 0.02, abs=1e-5)
    assert base_gate.status is GateStatus.SKIPPED
    assert worse.outcome is EvaluationOutcome.FAILED and worse.outcome.fails_run

    report_only = dataclasses.replace(
        churn, evaluate=dataclasses.replace(churn.evaluate, report_only=True))
    lenient = evaluate_models(report_only, workspace=EXAMPLE,
                              candidate=dummy_candidate.model_path,
                              production=churn_trained.model_path, base=None)
    assert lenient.outcome is EvaluationOutcome.PASSED_REPORT_ONLY
    assert not lenient.outcome.fails_run


def test_without_production_its_gates_are_skipped_and_noted(
    churn: ModelSpec, churn_trained: TrainResult
) -> None:
    evaluation = evaluate_models(churn, workspace=EXAMPLE, candidate=churn_trained.model_path,
                                 production=None, base=None)
    production_gate = evaluation.gates[1]
    assert production_gate.status is GateStatus.SKIPPED
    assert production_gate.explanation == "no model in production yet"
    assert "no model in production yet: comparisons with production are skipped" in (
        evaluation.notes)
    assert evaluation.outcome is EvaluationOutcome.PASSED
    assert all(row.production is None and row.delta_production is None
               for row in evaluation.rows)
    assert evaluation.values("production") == ()
    json.dumps(evaluation.to_json(), allow_nan=False)


class Passthrough:
    """A user's own step: a type neither skops nor mlops-ci trusts by default."""

    def fit(self, x: Any, y: Any = None) -> Passthrough:
        return self

    def transform(self, x: Any) -> Any:
        return x


def test_every_model_is_loaded_with_the_trusted_list(
    tmp_path: Path, churn: ModelSpec, churn_trained: TrainResult
) -> None:
    from sklearn.pipeline import Pipeline

    own = tmp_path / "own.skops"
    trained = load_model(churn_trained.model_path, ())  # scikit-learn's own: no list needed
    save_model(Pipeline([("own", Passthrough()), ("model", trained)]), own)
    untrusting = dataclasses.replace(
        churn, evaluate=dataclasses.replace(churn.evaluate, trusted_types=()))
    with pytest.raises(UserError) as caught:
        evaluate_models(untrusting, workspace=EXAMPLE, candidate=own,
                        production=None, base=None)
    assert caught.value.message.startswith("the candidate model: ")
    assert "tests.stages.test_evaluate.Passthrough" in caught.value.message
    # the caller may add types (e.g. listed in a release's metadata)
    evaluation = evaluate_models(
        untrusting, workspace=EXAMPLE, candidate=own, production=None, base=None,
        trusted_types=["tests.stages.test_evaluate.Passthrough"])
    assert evaluation.outcome is EvaluationOutcome.PASSED


def test_a_broken_production_model_is_an_error_not_a_skipped_gate(
    tmp_path: Path, churn: ModelSpec, churn_trained: TrainResult
) -> None:
    broken = tmp_path / "production.skops"
    broken.write_bytes(b"\x80\x04junk")
    with pytest.raises(UserError, match=r"error: the production model: .*pickle"):
        evaluate_models(churn, workspace=EXAMPLE, candidate=churn_trained.model_path,
                        production=broken, base=None)


def test_a_one_class_test_set_leaves_roc_auc_out_of_metrics_json(tmp_path: Path) -> None:
    one_class = "x,colour,flag,y\n0.1,red,true,0\n0.2,blue,false,0\n0.4,red,true,0\n"
    model = tiny_workspace(tmp_path, "estimator: {class: sklearn.linear_model.LogisticRegression}",
                           test_csv=one_class)
    trained = train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                          environ=runner_environ(), out=io.StringIO())
    evaluation = evaluate_models(model, workspace=tmp_path, candidate=trained.model_path,
                                 production=None, base=None)
    roc_auc = evaluation.rows[1].candidate
    assert roc_auc.value is None
    assert roc_auc.undefined_reason == (
        "the test set holds one class only (0); ROC AUC needs two")
    path = tmp_path / "metrics.json"
    write_metrics(path, evaluation.values("candidate"))
    assert "NaN" not in path.read_text()
    assert read_metrics(path) == {"accuracy": 1.0}


def test_gate_metrics_missing_from_the_list_are_computed_too(tmp_path: Path) -> None:
    model = tiny_workspace(
        tmp_path, "estimator: {class: sklearn.linear_model.LogisticRegression}",
        evaluate="task: classification\nmetrics: [accuracy]\ntrusted_types: [numpy.dtype]\n",
    )
    model = dataclasses.replace(model, evaluate=dataclasses.replace(
        model.evaluate, gates=(Gate("brier_score", max=0.3),)))
    trained = train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                          environ=runner_environ(), out=io.StringIO())
    evaluation = evaluate_models(model, workspace=tmp_path, candidate=trained.model_path,
                                 production=None, base=None)
    assert [row.name for row in evaluation.rows] == ["accuracy", "brier_score"]
    assert evaluation.gates[0].value == evaluation.rows[1].candidate.value


def test_a_regression_model_is_scored_with_lower_is_better_gates(tmp_path: Path) -> None:
    rows = [f"{i},{'a' if i % 2 else 'b'},{3 * i + (i % 2)}\n" for i in range(40)]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("x,kind,y\n" + "".join(rows))
    (tmp_path / "data" / "test.csv").write_text("x,kind,y\n" + "".join(rows[::3]))
    (tmp_path / "mlops.yaml").write_text(
        "version: 1\nmodels:\n  price:\n    data: {train: data/train.csv, test: data/test.csv,"
        " target: y}\n    train:\n      estimator: {class: sklearn.linear_model.Ridge}\n"
        "    evaluate:\n      task: regression\n      metrics: [mae, rmse, r2]\n"
        "      trusted_types: [numpy.dtype]\n"
        "      gates:\n        - {metric: mae, max: 1.0}\n"
        "        - {metric: rmse, against: production, max_regression: 0.1, relative: true}\n")
    from mlops_ci.config.loader import load_config

    model = load_config(tmp_path / "mlops.yaml").model("price")
    trained = train_model(model, workspace=tmp_path, output_dir=tmp_path / "out",
                          environ=runner_environ(), out=io.StringIO())
    worse = tmp_path / "worse.skops"
    import pandas as pd
    from sklearn.dummy import DummyRegressor

    frame = pd.read_csv(tmp_path / "data" / "train.csv")
    save_model(DummyRegressor().fit(frame[["x"]], frame["y"]), worse)
    evaluation = evaluate_models(model, workspace=tmp_path, candidate=trained.model_path,
                                 production=worse, base=None)
    mae_gate, rmse_gate = evaluation.gates
    assert mae_gate.status is GateStatus.PASSED, mae_gate.explanation
    assert rmse_gate.comparison == "<="
    assert rmse_gate.status is GateStatus.PASSED
    assert rmse_gate.delta is not None and rmse_gate.delta < 0  # better means lower
