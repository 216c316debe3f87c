"""A fitted ``LogisticRegression``'s outputs computed with numpy alone.

``LogisticHead`` holds the three arrays the outputs need (``coef``, ``intercept``,
``classes``) and performs the operations scikit-learn's own ``decision_function``,
``predict`` and ``predict_proba`` perform, in the same order, so that the results are the
same bits: the matrix product with ``coef.T`` plus ``intercept``; for two classes the
logistic function as ``scipy.special.expit`` computes it (``1 / (1 + exp(-x))`` with the C
library's ``exp``, which is also what ``math.exp`` calls; numpy's own ``exp`` may differ in the
last bit on CPUs where it has a vectorised kernel), for more the softmax of
``sklearn.utils.extmath``. Neither scipy nor scikit-learn is imported: a server started from
a compiled model (``serving.compiled``) answers without them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Array = Any  # numpy arrays (typed loosely: numpy is imported lazily)


@dataclass(frozen=True, slots=True)
class LogisticHead:
    """``coef`` (classes or 1, features), ``intercept`` (classes or 1), ``classes``."""

    coef: Array
    intercept: Array
    classes: Array

    @property
    def binary(self) -> bool:
        return int(self.classes.size) <= 2

    def heads(self) -> dict[str, Callable[[Array], Array]]:
        """``predict`` and ``predict_proba`` of a feature matrix."""
        return {"predict": self.predict, "predict_proba": self.predict_proba}

    def decision(self, matrix: Array) -> Array:
        scores = matrix @ self.coef.T + self.intercept
        return scores.reshape(-1) if scores.shape[1] == 1 else scores

    def predict(self, matrix: Array) -> Array:
        import numpy as np

        scores = self.decision(matrix)
        indices = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes.take(indices, axis=0)

    def predict_proba(self, matrix: Array) -> Array:
        import numpy as np

        scores = self.decision(matrix)
        if not self.binary:
            return softmax(scores)
        positive = expit(scores)
        return np.stack([1 - positive, positive], axis=1)


def expit(values: Array) -> Array:
    """``scipy.special.expit`` of a 1-D float64 array, bit for bit."""
    import numpy as np

    exps = np.fromiter((_exp(-value) for value in values.tolist()), dtype=np.float64,
                       count=values.shape[0])
    exps += 1.0
    return np.divide(1.0, exps, out=exps)


def _exp(value: float) -> float:
    try:
        return math.exp(value)
    except OverflowError:  # C's exp gives infinity, and expit 0.0
        return math.inf


def softmax(scores: Array) -> Array:
    """``sklearn.utils.extmath.softmax(scores, copy=False)``: the same steps."""
    import numpy as np

    scores -= scores.max(axis=1).reshape((-1, 1))
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1).reshape((-1, 1))
    return scores
