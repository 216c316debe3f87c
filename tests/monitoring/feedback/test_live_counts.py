"""Live quality counted in batches (``live_counts``, ``live_errors``) against ``metrics.compute``.

Random labelled rows go through ``metrics.compute`` on every row (what ``assess`` does in
memory) and through the accumulators in batches: the counted metrics are equal within 1e-12,
the binned ones within their stated tolerance, and an undefined metric says the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from mlops_ci.metrics import METRICS, MetricValue, Predictions, compute, metric_names
from mlops_ci.monitoring.feedback.live_counts import AUC_TOLERANCE, ClassCounts, uniform
from mlops_ci.monitoring.feedback.live_errors import ErrorSums
from mlops_ci.monitoring.feedback.live_windows import LabelledWindow
from tests.monitoring.feedback.counted import allowed

CLASSIFICATION = metric_names("classification")
REGRESSION = metric_names("regression")


def _classified(rows: int, classes: Sequence[Any], seed: int, *, noise: float = 1.0) -> Any:
    """Labels, predictions and probabilities of a plausible classifier (some rows wrong)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(classes), rows)
    logits = rng.normal(0, noise, (rows, len(classes)))
    logits[np.arange(rows), truth] += 1.2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.asarray([classes[i] for i in truth], dtype=object)
    predictions = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    return labels, predictions, proba


def _counted(classes: Sequence[Any], labels: Any, predictions: Any, proba: Any,
             batches: Sequence[int]) -> ClassCounts:
    counts = ClassCounts(classes, scores=True)
    start = 0
    for size in batches:
        stop = start + size
        counts.add(labels[start:stop], predictions[start:stop],
                   None if proba is None else proba[start:stop])
        start = stop
    counts.add(labels[start:], predictions[start:], None if proba is None else proba[start:])
    return counts


def _in_memory(names: Sequence[str], labels: Any, predictions: Any, proba: Any,
               classes: Sequence[Any], positive: int) -> tuple[MetricValue, ...]:
    """What ``assess`` computes on every row."""
    return compute(names, Predictions(uniform(labels), uniform(predictions), proba,
                                      tuple(classes),
                                      None if proba is not None else "no probabilities were "
                                                                     "recorded", positive))


def _assert_same(counted: Sequence[MetricValue], exact: Sequence[MetricValue]) -> None:
    assert [value.name for value in counted] == [value.name for value in exact]
    for mine, theirs in zip(counted, exact, strict=True):
        assert mine.undefined_reason == theirs.undefined_reason, mine.name
        if theirs.value is None:
            assert mine.value is None, mine.name
            continue
        assert mine.value == pytest.approx(theirs.value,
                                           abs=allowed(mine.name, theirs.value)), mine.name


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("positive", [0, 1])
def test_binary_metrics_counted_in_batches_are_the_metrics_of_every_row(
    seed: int, positive: int
) -> None:
    labels, predictions, proba = _classified(20_000, (0, 1), seed)
    counts = _counted((0, 1), labels, predictions, proba, [1, 999, 7_000, 3_000])

    exact = _in_memory(CLASSIFICATION, labels, predictions, proba, (0, 1), positive)
    counted = counts.values(CLASSIFICATION, positive)

    _assert_same(counted, exact)
    assert all(value.defined for value in counted)
    exact_auc = next(v.value for v in exact if v.name == "roc_auc")
    counted_auc = next(v.value for v in counted if v.name == "roc_auc")
    assert exact_auc is not None and counted_auc is not None
    assert abs(counted_auc - exact_auc) <= counts.auc_error_bound(positive) <= AUC_TOLERANCE


@pytest.mark.parametrize("noise", [2.5, 4.0])
def test_an_overconfident_models_crowded_scores_stay_within_the_tolerance(noise: float) -> None:
    """Scores crowd near 0 and 1 (hundreds within 1e-4 of them): log-odds bins part them."""
    import numpy as np

    labels, predictions, proba = _classified(20_000, (0, 1), 9, noise=noise)
    assert int(np.sum(proba[:, 1] > 0.9999)) > 100
    counts = _counted((0, 1), labels, predictions, proba, [8_000])

    _assert_same(counts.values(CLASSIFICATION, 1),
                 _in_memory(CLASSIFICATION, labels, predictions, proba, (0, 1), 1))
    assert counts.auc_error_bound(1) <= AUC_TOLERANCE


def test_tied_scores_tie_as_in_memory() -> None:
    """Scores of two decimals (many rows each): every distinct score has its own bin, so the
    binned ROC AUC and average precision are the exact ones, ties counted as scikit-learn's."""
    import numpy as np

    labels, predictions, proba = _classified(10_000, (0, 1), 10)
    proba = np.round(proba, 2)
    counts = _counted((0, 1), labels, predictions, proba, [2_500])
    names = ("roc_auc", "average_precision")

    for mine, theirs in zip(counts.values(names, 1),
                            _in_memory(names, labels, predictions, proba, (0, 1), 1), strict=True):
        assert mine.value == pytest.approx(theirs.value, abs=1e-12), mine.name


@pytest.mark.parametrize("seed", [3, 4])
def test_multiclass_metrics_counted_in_batches_are_the_metrics_of_every_row(seed: int) -> None:
    classes = ("bronze", "gold", "silver")
    labels, predictions, proba = _classified(15_000, classes, seed, noise=1.5)
    counts = _counted(classes, labels, predictions, proba, [5_000, 1, 4_321])

    counted = counts.values(CLASSIFICATION, -1)

    _assert_same(counted, _in_memory(CLASSIFICATION, labels, predictions, proba, classes, -1))
    assert all(value.defined for value in counted)


def test_many_batches_count_what_one_batch_counts() -> None:
    labels, predictions, proba = _classified(9_000, ("no", "yes"), 5)
    one = _counted(("no", "yes"), labels, predictions, proba, [])
    many = _counted(("no", "yes"), labels, predictions, proba, [1, 2, 3, 1_000, 4_000])

    for mine, theirs in zip(many.values(CLASSIFICATION, 1), one.values(CLASSIFICATION, 1),
                            strict=True):
        assert mine.value == pytest.approx(theirs.value, abs=1e-12), mine.name
    assert (many.confusion == one.confusion).all()
    assert (many.hits == one.hits).all() and (many.scored == one.scored).all()


def test_labels_of_one_class_leave_the_same_metrics_undefined_as_in_memory() -> None:
    import numpy as np

    labels, predictions, proba = _classified(3_000, (0, 1), 6)
    labels = np.ones(len(labels), dtype=object)
    counts = _counted((0, 1), labels, predictions, proba, [1_000])

    counted = counts.values(CLASSIFICATION, 1)

    _assert_same(counted, _in_memory(CLASSIFICATION, labels, predictions, proba, (0, 1), 1))
    undefined = {value.name for value in counted if not value.defined}
    assert {"roc_auc", "average_precision", "balanced_accuracy"} >= undefined >= {"roc_auc"}


def test_a_label_the_model_does_not_know_is_refused_as_in_memory() -> None:
    labels, predictions, proba = _classified(3_000, (0, 1), 7)
    labels[::100] = 2
    counts = _counted((0, 1), labels, predictions, proba, [1_500])

    counted = counts.values(CLASSIFICATION, 1)

    _assert_same(counted, _in_memory(CLASSIFICATION, labels, predictions, proba, (0, 1), 1))
    assert not next(v for v in counted if v.name == "log_loss").defined


def test_without_probabilities_probability_metrics_say_why_as_in_memory() -> None:
    labels, predictions, _ = _classified(2_000, (0, 1), 8)
    counts = _counted((0, 1), labels, predictions, None, [500])

    counted = counts.values(CLASSIFICATION, 1)

    _assert_same(counted, _in_memory(CLASSIFICATION, labels, predictions, None, (0, 1), 1))
    assert {v.name for v in counted if not v.defined} == {
        name for name in CLASSIFICATION if METRICS[name].needs_proba}


def test_an_empty_window_counts_no_row_and_computes_nothing_defined() -> None:
    window = LabelledWindow(CLASSIFICATION, (0, 1))
    window.add(uniform([]), uniform([]), None)

    assert window.rows == 0
    assert not any(value.defined for value in window.values(CLASSIFICATION, 1, None))
    assert not any(value.defined for value in LabelledWindow(REGRESSION, ()).values(
        REGRESSION, -1, None))


def _regressed(rows: int, seed: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    truth = 1_000.0 + rng.gamma(2.0, 30.0, rows)  # far from 0: y and y² sums would cancel
    return truth, truth + rng.normal(0, 12.0, rows)


@pytest.mark.parametrize("seed", [0, 1])
def test_regression_metrics_summed_in_batches_are_the_metrics_of_every_row(seed: int) -> None:
    truth, predicted = _regressed(30_001, seed)
    window = LabelledWindow(REGRESSION, ())
    for start in range(0, len(truth), 4_096):
        window.add(truth[start:start + 4_096], predicted[start:start + 4_096])

    counted = window.values(REGRESSION, -1, None)

    _assert_same(counted, compute(REGRESSION, Predictions(truth, predicted)))
    assert all(value.defined for value in counted)


def test_the_median_absolute_error_of_an_even_count_is_read_between_the_middle_two() -> None:
    import numpy as np

    sums = ErrorSums()
    sums.add(np.zeros(4), np.asarray([1.0, 2.0, 10.0, 1e-12]))

    assert sums.median_absolute_error() == pytest.approx(1.5, rel=1e-3)


def test_a_constant_or_zero_target_leaves_r2_and_mape_undefined_as_in_memory() -> None:
    import numpy as np

    truth = np.asarray([0.0, 0.0, 0.0, 0.0])
    predicted = np.asarray([0.5, -0.5, 1.0, 0.0])
    sums = ErrorSums()
    sums.add(truth[:1], predicted[:1])
    sums.add(truth[1:], predicted[1:])

    counted = sums.values(REGRESSION)

    _assert_same(counted, compute(REGRESSION, Predictions(truth, predicted)))
    assert {v.name for v in counted if not v.defined} == {"r2", "mape"}
