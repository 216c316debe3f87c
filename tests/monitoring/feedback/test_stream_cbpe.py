"""The streamed CBPE (batches, bounded memory) agrees with the in-memory one on the same rows.

Generated, seeded data as in ``test_cbpe.py``: a logistic model, calibrated on a held-out set
(Platt below 5,000 test rows, isotonic from them), scoring covariate-shifted production rows.
The streamed path sees them in batches of 7,000; the tolerances are the ones its module states.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlops_ci.monitoring.feedback.calibration import fit_calibrator
from mlops_ci.monitoring.feedback.cbpe import estimate_accuracy, estimate_roc_auc
from mlops_ci.monitoring.feedback.stream_cbpe import (
    AUC_TOLERANCE,
    INTERVAL_TOLERANCE,
    StreamedEstimate,
)


def _rows(seed: int, test_rows: int, production_rows: int) -> tuple[Any, Any, Any]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def draw(rows: int, shift: float) -> tuple[Any, Any]:
        x = rng.normal(0.0, 1.0, (rows, 3))
        x[:, 0] += shift
        x[:, 1] -= shift / 2
        law = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 1.0 * x[:, 1] + 0.8 * x[:, 2] - 0.3)))
        return x, (rng.random(rows) < law).astype(int)

    rng = np.random.default_rng(seed)
    model = LogisticRegression().fit(*draw(3000, 0.0))
    x_test, y_test = draw(test_rows, 0.0)
    x_prod, _ = draw(production_rows, 0.8)
    calibrator = fit_calibrator(model.predict_proba(x_test)[:, 1], y_test)
    return calibrator, model.predict_proba(x_prod)[:, 1], model.predict(x_prod) == 1


@pytest.mark.parametrize(("seed", "test_rows", "production_rows", "method"), [
    (0, 1000, 50_000, "platt"), (1, 6000, 30_000, "isotonic"), (2, 800, 300, "platt"),
])
def test_streamed_estimates_match_the_in_memory_ones(
    seed: int, test_rows: int, production_rows: int, method: str
) -> None:
    calibrator, scores, predicted = _rows(seed, test_rows, production_rows)
    assert calibrator.method == method
    streamed = StreamedEstimate(calibrator)
    for start in range(0, production_rows, 7000):
        streamed.add(scores[start:start + 7000], predicted[start:start + 7000])
    assert streamed.rows == production_rows

    accuracy, streamed_accuracy = estimate_accuracy(calibrator, scores, predicted), \
        streamed.accuracy()
    for field in ("value", "low", "high"):
        assert getattr(streamed_accuracy, field) == pytest.approx(getattr(accuracy, field),
                                                                  abs=1e-9)
    auc, streamed_auc = estimate_roc_auc(calibrator, scores), streamed.roc_auc()
    assert auc.value is not None and streamed_auc.value is not None
    assert abs(streamed_auc.value - auc.value) <= AUC_TOLERANCE
    assert auc.low is not None and streamed_auc.low is not None
    assert auc.high is not None and streamed_auc.high is not None
    assert abs(streamed_auc.low - auc.low) <= INTERVAL_TOLERANCE
    assert abs(streamed_auc.high - auc.high) <= INTERVAL_TOLERANCE


def test_too_few_rows_or_one_class_give_no_estimate_and_say_why() -> None:
    calibrator, scores, predicted = _rows(0, 1000, 19)
    few = StreamedEstimate(calibrator)
    few.add(scores, predicted)
    assert few.accuracy().value is None and "at least 20" in str(few.roc_auc().undefined_reason)

    one_class = StreamedEstimate(calibrator)
    one_class.add([0.0] * 500, [False] * 500)
    assert one_class.roc_auc().value is None
    assert "one class" in str(one_class.roc_auc().undefined_reason)
