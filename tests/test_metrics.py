"""Metrics: the schema's names, their directions, real values, and 'undefined' instead of NaN."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.errors import UserError
from mlops_ci.metrics import METRICS, Predictions, compute, direction, metric_names, predict

SCHEMA = Path(__file__).resolve().parents[1] / "mlops_ci" / "schema" / "mlops.schema.json"


def _binary(y_true: list[int], y_pred: list[int], p1: list[float]) -> Predictions:
    import numpy as np

    proba = np.array([[1 - p, p] for p in p1])
    return Predictions(np.array(y_true), np.array(y_pred), proba, (0, 1))


def _values(names: list[str], p: Predictions) -> dict[str, float | None]:
    return {v.name: v.value for v in compute(names, p)}


def test_every_schema_metric_is_known_with_its_task() -> None:
    defs = json.loads(SCHEMA.read_text())["$defs"]
    assert set(metric_names("classification")) == set(defs["classificationMetric"]["enum"])
    assert set(metric_names("regression")) == set(defs["regressionMetric"]["enum"])
    assert set(METRICS) == set(defs["metric"]["enum"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [("roc_auc", "higher"), ("accuracy", "higher"), ("r2", "higher"), ("log_loss", "lower"),
     ("brier_score", "lower"), ("mae", "lower"), ("rmse", "lower"), ("mape", "lower")],
)
def test_direction(name: str, expected: str) -> None:
    assert direction(name) == expected


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(UserError) as caught:
        direction("auc")
    assert "roc_auc" in (caught.value.hint or "")


def test_binary_values_match_hand_computation() -> None:
    p = _binary([0, 0, 1, 1], [0, 1, 1, 1], [0.1, 0.6, 0.7, 0.9])
    got = _values(["accuracy", "precision", "recall", "f1", "roc_auc", "brier_score"], p)
    assert got["accuracy"] == pytest.approx(0.75)
    assert got["precision"] == pytest.approx(2 / 3)
    assert got["recall"] == pytest.approx(1.0)
    assert got["f1"] == pytest.approx(0.8)
    assert got["roc_auc"] == pytest.approx(1.0)
    assert got["brier_score"] == pytest.approx((0.01 + 0.36 + 0.09 + 0.01) / 4)


def test_log_loss_matches_its_definition() -> None:
    p = _binary([0, 1], [0, 1], [0.2, 0.9])
    expected = -(math.log(0.8) + math.log(0.9)) / 2
    assert _values(["log_loss"], p)["log_loss"] == pytest.approx(expected)


def test_roc_auc_on_one_class_is_undefined_with_the_reason() -> None:
    p = _binary([0, 0, 0], [0, 1, 0], [0.1, 0.6, 0.2])
    roc, ap = compute(["roc_auc", "average_precision"], p)
    assert roc.value is None and not roc.defined
    assert roc.undefined_reason == "the test set holds one class only (0); ROC AUC needs two"
    assert ap.value is None


def test_precision_without_predicted_positives_is_undefined_not_zero() -> None:
    (value,) = compute(["precision"], _binary([0, 1], [0, 0], [0.1, 0.2]))
    assert value.value is None
    assert "predicts no positive" in (value.undefined_reason or "")


def test_string_labels_take_the_last_class_as_positive() -> None:
    import numpy as np

    p = Predictions(np.array(["no", "yes", "yes"]), np.array(["no", "yes", "no"]),
                    np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), ("no", "yes"))
    got = _values(["precision", "recall", "roc_auc", "average_precision"], p)
    assert got["precision"] == pytest.approx(1.0)
    assert got["recall"] == pytest.approx(0.5)
    assert got["roc_auc"] == pytest.approx(1.0)


def test_multiclass_metrics_are_macro_and_one_vs_rest() -> None:
    import numpy as np

    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    p = Predictions(y, proba.argmax(axis=1), proba, (0, 1, 2))
    got = _values(["f1", "roc_auc", "log_loss", "brier_score", "average_precision"], p)
    assert got["f1"] == pytest.approx(1.0)
    assert got["roc_auc"] == pytest.approx(1.0)
    assert all(v is not None and math.isfinite(v) for v in got.values())


def test_a_model_without_predict_proba_makes_probability_metrics_undefined() -> None:
    import numpy as np
    from sklearn.linear_model import RidgeClassifier

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    p = predict(RidgeClassifier().fit(x, y), x, y, "classification")
    accuracy, log_loss = compute(["accuracy", "log_loss"], p)
    assert accuracy.value == 1.0
    assert log_loss.value is None
    assert log_loss.undefined_reason == (
        "the model (RidgeClassifier) has no predict_proba; Log loss needs them")


def test_regression_values() -> None:
    import numpy as np

    p = Predictions(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]))
    got = _values(["mae", "mse", "rmse", "median_ae", "mape", "r2"], p)
    assert got["mae"] == pytest.approx(1.0)
    assert got["mse"] == pytest.approx(5 / 3)
    assert got["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert got["median_ae"] == pytest.approx(1.0)
    assert got["mape"] == pytest.approx((0 + 0.5 + 0.5) / 3)
    assert got["r2"] == pytest.approx(1 - 5 / (np.var([1.0, 2.0, 4.0]) * 3))


def test_r2_on_a_constant_target_and_mape_on_zeros_are_undefined() -> None:
    import numpy as np

    r2, mape = compute(["r2", "mape"], Predictions(np.array([0.0, 0.0]), np.array([1.0, 0.0])))
    assert r2.value is None and "constant" in (r2.undefined_reason or "")
    assert mape.value is None and "0 in 2 row(s)" in (mape.undefined_reason or "")


def test_a_model_that_fails_on_the_data_is_a_user_error() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
    with pytest.raises(UserError, match="failed to predict on the test data"):
        predict(model, np.array([[0.0, 1.0]]), np.array([0]), "classification")


def test_a_model_fitted_on_some_of_the_columns_is_given_those_in_its_order() -> None:
    """A user's script that trains on a subset: the test set's other columns are not fed to it
    (the model server does the same), in the order the model was fitted with."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    train = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0],
                          "unused": [9.0, 9.0, 9.0, 9.0]})
    model = LogisticRegression().fit(train[["b", "a"]], [0, 0, 1, 1])

    result = predict(model, train, [0, 0, 1, 1], "classification")

    assert list(result.y_pred) == list(model.predict(train[["b", "a"]]))


def test_a_model_missing_one_of_its_columns_is_a_user_error_naming_it() -> None:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    train = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(train, [0, 0, 1, 1])

    with pytest.raises(UserError, match=r"(?s)failed to predict on the test data.*missing:\n- b"):
        predict(model, train[["a"]], [0, 0, 1, 1], "classification")


_labels = st.lists(st.integers(0, 2), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(y_true=_labels, y_pred=_labels, seed=st.integers(0, 2**16))
def test_classification_metrics_are_never_nan(y_true: list[int], y_pred: list[int],
                                              seed: int) -> None:
    import numpy as np

    size = min(len(y_true), len(y_pred))
    rng = np.random.default_rng(seed)
    proba: Any = rng.dirichlet(np.ones(3), size=size)
    p = Predictions(np.array(y_true[:size]), np.array(y_pred[:size]), proba, (0, 1, 2))
    for value in compute(metric_names("classification"), p):
        assert (value.value is None) != (value.undefined_reason is None)
        assert value.value is None or math.isfinite(value.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1,
                max_size=12))
def test_regression_metrics_are_never_nan(pairs: list[tuple[float, float]]) -> None:
    import numpy as np

    p = Predictions(np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]))
    for value in compute(metric_names("regression"), p):
        assert value.value is None or math.isfinite(value.value)
