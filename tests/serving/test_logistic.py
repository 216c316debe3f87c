"""The numpy-only LogisticRegression outputs equal scipy's and scikit-learn's bit for bit."""

from __future__ import annotations

import numpy as np
from scipy.special import expit as scipy_expit
from sklearn.utils.extmath import softmax as sklearn_softmax

from mlops_ci.serving.logistic import expit, softmax


def test_expit_equals_scipys_bit_for_bit_over_the_whole_range() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.normal(0, 5, 200_000), rng.uniform(-800, 800, 50_000),
        np.array([0.0, -0.0, 709.7, -709.7, 710.0, -710.0, -745.2, 1e308, -1e308, np.inf,
                  -np.inf, np.nan]),
    ])
    want = scipy_expit(values)
    got = expit(values.copy())
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


def test_softmax_equals_scikit_learns_bit_for_bit() -> None:
    scores = np.random.default_rng(1).normal(0, 30, (5_000, 4))
    want = sklearn_softmax(scores.copy(), copy=False)
    got = softmax(scores.copy())
    assert got.tobytes() == want.tobytes()
