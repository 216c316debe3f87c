"""A regressor's live quality in bounded memory: its labelled rows' errors summed, batch by batch.

``ErrorSums`` keeps, for the labelled rows of one window, what the regression metrics of
``mlops_ci.metrics`` need, whatever the rows:

- **exact** (up to the order of floating-point additions, tested within 1e-12): MAE, MSE and
  RMSE from the sums of absolute and squared errors; MAPE from the sum of ``|error| / max(|y|,
  eps)`` as scikit-learn computes it (undefined, with the count, when a target is 0); R² from
  the squared errors and the target's spread, merged batch by batch (Chan's parallel variance,
  stable where sums of ``y`` and ``y²`` would cancel). A target whose every value is equal has
  no R² (in memory a rounding of its variance may leave a meaningless value instead).
- **binned**: the median absolute error needs every error. The errors are counted in buckets
  of relative width ``2 * RELATIVE`` on a log scale (each bucket's value is within
  ``RELATIVE`` of all its errors, as in DDSketch) from ``SMALLEST`` to ``LARGEST``; below
  ``SMALLEST`` an error counts as 0, above ``LARGEST`` as ``LARGEST``. The median is read off
  the counts as ``numpy.median`` reads it off the sorted errors (the mean of the middle two
  when the rows are even), so it is within ``RELATIVE`` (0.1%) of the exact one, or within
  ``SMALLEST`` when it is smaller. Memory: about 21,000 counts per window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

from mlops_ci.metrics import MetricValue, Undefined
from mlops_ci.monitoring.feedback.live_counts import guarded

RELATIVE = 1e-3
SMALLEST = 1e-9
LARGEST = 1e9
_GAMMA = (1 + RELATIVE) / (1 - RELATIVE)
_FIRST = math.ceil(math.log(SMALLEST) / math.log(_GAMMA))
_LAST = math.ceil(math.log(LARGEST) / math.log(_GAMMA))


class ErrorSums:
    """Sums of one window's labelled rows of a regressor (see the module)."""

    def __init__(self) -> None:
        import numpy as np

        self.rows = 0
        self.absolute = 0.0
        self.squared = 0.0
        self.percentage = 0.0
        self.zeros = 0  # targets equal to 0: MAPE is undefined
        self.mean = 0.0  # of the targets
        self.spread = 0.0  # sum of squared deviations of the targets from their mean
        self.low = math.inf
        self.high = -math.inf
        self.buckets = np.zeros(_LAST - _FIRST + 2, dtype=np.int64)  # [0]: below SMALLEST
        self.problem: str | None = None  # why the values are not numbers

    def add(self, labels: Any, predictions: Any) -> None:
        """Add one batch of targets and predictions (numbers)."""
        import numpy as np

        try:
            y = np.asarray(labels, dtype=float)
            predicted = np.asarray(predictions, dtype=float)
        except (TypeError, ValueError) as problem:
            self.problem = f"scikit-learn cannot compute it: {problem}"
            self.rows += len(labels)
            return
        if not len(y):
            return
        if not (np.isfinite(y).all() and np.isfinite(predicted).all()):
            self.problem = "scikit-learn cannot compute it: Input contains NaN or infinity."
            self.rows += len(y)
            return
        error = predicted - y
        absolute = np.abs(error)
        self.absolute += float(absolute.sum())
        self.squared += float((error ** 2).sum())
        self.percentage += float((absolute / np.maximum(np.abs(y), np.finfo(float).eps)).sum())
        self.zeros += int(np.sum(y == 0.0))
        self.low, self.high = min(self.low, float(y.min())), max(self.high, float(y.max()))
        mean = float(y.mean())
        spread = float(((y - mean) ** 2).sum())
        rows = self.rows + len(y)
        delta = mean - self.mean
        self.spread += spread + delta * delta * self.rows * len(y) / rows
        self.mean += delta * len(y) / rows
        self.rows = rows
        with np.errstate(divide="ignore"):
            index = np.ceil(np.log(absolute) / math.log(_GAMMA))
        index = np.where(absolute < SMALLEST, 0, np.clip(index, _FIRST, _LAST) - _FIRST + 1)
        self.buckets += np.bincount(index.astype(np.int64), minlength=len(self.buckets))

    def values(self, names: Sequence[str]) -> tuple[MetricValue, ...]:
        """``metrics.compute(names, ...)`` of the rows summed."""
        return tuple(guarded(name, partial(self._value, name)) for name in names)

    def _value(self, name: str) -> float:
        if self.problem is not None:
            raise ValueError(self.problem.removeprefix("scikit-learn cannot compute it: "))
        if not self.rows:
            raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 "
                             "is required.")
        if name == "mae":
            return self.absolute / self.rows
        if name == "mse":
            return self.squared / self.rows
        if name == "rmse":
            return math.sqrt(self.squared / self.rows)
        if name == "r2":
            if self.rows < 2 or self.low == self.high or self.spread == 0.0:
                raise Undefined("the test target is constant; R² compares against its variance")
            return 1 - self.squared / self.spread
        if name == "mape":
            if self.zeros:
                raise Undefined(f"the test target is 0 in {self.zeros} row(s); a percentage "
                                "of 0 is undefined")
            return self.percentage / self.rows
        if name == "median_ae":
            return self.median_absolute_error()
        raise ValueError(f"{name} is not a regression metric")

    def median_absolute_error(self) -> float:
        """``numpy.median`` of the absolute errors, read off the buckets (see the module)."""
        import numpy as np

        ranks = np.cumsum(self.buckets)
        middle = sorted({(self.rows - 1) // 2, self.rows // 2})
        values = [_bucket_value(int(np.searchsorted(ranks, rank, side="right")))
                  for rank in middle]
        return float(np.mean(values))


def _bucket_value(bucket: int) -> float:
    if bucket == 0:
        return 0.0
    return 2 * _GAMMA ** (bucket - 1 + _FIRST) / (_GAMMA + 1)
