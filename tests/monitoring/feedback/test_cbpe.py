"""CBPE under covariate shift: the estimated accuracy's interval holds the realised accuracy.

Generated, seeded data: the label depends on the inputs through a fixed logistic law, the
production inputs are shifted away from the training ones (covariate shift, no concept drift).
A logistic model is trained, calibrated on a held-out set with the registration code path,
and its accuracy and ROC AUC on the shifted sample are estimated without labels.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlops_ci.monitoring.feedback.calibration import fit_calibrator
from mlops_ci.monitoring.feedback.cbpe import estimate_accuracy, estimate_roc_auc

SEEDS = 50


def _truth(x: Any) -> Any:
    import numpy as np

    return 1 / (1 + np.exp(-(1.5 * x[:, 0] - 1.0 * x[:, 1] + 0.8 * x[:, 2] - 0.3)))


def _draw(rng: Any, rows: int, shift: float) -> tuple[Any, Any]:

    x = rng.normal(0.0, 1.0, (rows, 3))
    x[:, 0] += shift
    x[:, 1] -= shift / 2
    return x, (rng.random(rows) < _truth(x)).astype(int)


@pytest.mark.slow
def test_estimated_accuracy_interval_holds_the_realised_accuracy_in_90_percent_of_seeds() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    accuracy_hits = auc_hits = 0
    for seed in range(SEEDS):
        import numpy as np

        rng = np.random.default_rng(seed)
        x_train, y_train = _draw(rng, 3000, 0.0)
        x_test, y_test = _draw(rng, 1000, 0.0)
        x_prod, y_prod = _draw(rng, 1000, 0.8)
        model = LogisticRegression().fit(x_train, y_train)
        calibrator = fit_calibrator(model.predict_proba(x_test)[:, 1], y_test)
        scores = model.predict_proba(x_prod)[:, 1]
        predicted = model.predict(x_prod)
        accuracy = estimate_accuracy(calibrator, scores, predicted == 1)
        auc = estimate_roc_auc(calibrator, scores)
        accuracy_hits += accuracy.contains(float((predicted == y_prod).mean()))
        auc_hits += auc.contains(float(roc_auc_score(y_prod, scores)))
    print(f"CBPE under covariate shift, {SEEDS} seeds: realised accuracy inside the estimated "
          f"95% interval in {accuracy_hits}/{SEEDS}, realised ROC AUC in {auc_hits}/{SEEDS}")
    assert accuracy_hits >= 0.9 * SEEDS
    assert auc_hits >= 0.85 * SEEDS


def test_too_few_rows_give_no_estimate_and_say_how_many() -> None:
    calibrator = fit_calibrator([0.1, 0.9] * 10, [0, 1] * 10)
    estimate = estimate_accuracy(calibrator, [0.2, 0.8, 0.7], [False, True, True])
    assert estimate.value is None
    assert estimate.undefined_reason is not None and "only 3 row(s)" in estimate.undefined_reason


def test_a_confident_well_calibrated_model_is_estimated_near_its_confidence() -> None:
    calibrator = fit_calibrator([0.05] * 50 + [0.95] * 50, [0] * 47 + [1] * 3 + [0] * 3 + [1] * 47)
    scores = [0.05] * 100 + [0.95] * 100
    estimate = estimate_accuracy(calibrator, scores, [False] * 100 + [True] * 100)
    assert estimate.value is not None and 0.9 < estimate.value < 0.97
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high
