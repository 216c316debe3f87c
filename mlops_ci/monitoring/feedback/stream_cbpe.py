"""CBPE in batches: expected accuracy and ROC AUC of any number of rows in bounded memory.

``cbpe`` estimates from all the scores at once (ROC AUC draws labels for every row). Here each
batch is added to running sums and dropped, so 100 million rows take the memory of one batch:

- **accuracy** is a mean: the running sums of ``c_i`` and ``c_i (1 - c_i)``, and one sum per
  calibrator replicate, give exactly the estimate and interval ``cbpe.estimate_accuracy``
  gives (up to the order of floating-point additions);
- **ROC AUC** needs the order of all scores. The scores (the model's probability of the
  positive class, in [0, 1]) are counted in ``BINS`` equal-width bins; per bin and per
  calibrator replicate the sum of ``p_i`` (expected positives) is kept: ``BINS x (replicates
  + 1)`` numbers, whatever the rows. Calibration keeps the scores' order, so binning the scores
  bins the calibrated probabilities too. Each of ``DRAWS`` draws takes the next replicate and
  draws each bin's positives from a binomial law (the bin's rows, their mean probability),
  which is the draw of ``cbpe`` when a bin holds one row and near it otherwise (scores in one
  bin are within 1/4,096 of each other); its AUC is computed from the binned counts, rows
  sharing a bin counted as ties (half a pair). The estimate is the draws' mean, the interval
  their 2.5% and 97.5% quantiles, as in ``cbpe``.

Tolerance (``tests/monitoring/feedback/test_stream_cbpe.py``, same rows through both paths):
accuracy and its interval within 1e-9; the ROC AUC estimate within ``AUC_TOLERANCE`` and its
interval bounds within ``INTERVAL_TOLERANCE``. Ties inside a bin move the AUC by at most the
share of positive-negative pairs in one bin (below 1/1,000 unless most rows share a score).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.cbpe import DRAWS, MIN_ROWS, Z_95, Estimate, too_few

if TYPE_CHECKING:
    import numpy.typing as npt

BINS = 4096
AUC_TOLERANCE = 0.003
INTERVAL_TOLERANCE = 0.01


class StreamedEstimate:
    """Running sums for the accuracy and ROC AUC estimates of one window (see the module)."""

    def __init__(self, calibrator: Calibrator, *, bins: int = BINS) -> None:
        import numpy as np

        self.calibrator = calibrator
        self.bins = bins
        self.fits = calibrator.replicates or (calibrator.fit,)
        self.rows = 0
        self.right = 0.0
        self.right_variance = 0.0
        self.expected_positives = 0.0
        self.replicate_right = np.zeros(len(calibrator.replicates))
        self.count = np.zeros(bins)
        self.positives = np.zeros((len(self.fits), bins))

    def add(self, scores: npt.ArrayLike, predicted_positive: npt.ArrayLike) -> None:
        """Add one batch: the positive-class scores and whether each row predicted it."""
        import numpy as np

        s = np.asarray(scores, dtype=float)
        predicted = np.asarray(predicted_positive, dtype=bool)
        if not len(s):
            return
        self.rows += len(s)
        p = self.calibrator.apply(s)
        self.expected_positives += float(p.sum())
        right = np.where(predicted, p, 1.0 - p)
        self.right += float(right.sum())
        self.right_variance += float(np.sum(right * (1.0 - right)))
        for k, fit in enumerate(self.calibrator.replicates):
            q = fit.apply(s)
            self.replicate_right[k] += float(np.where(predicted, q, 1.0 - q).sum())
        cell = np.clip((s * self.bins).astype(np.int64), 0, self.bins - 1)
        self.count += np.bincount(cell, minlength=self.bins)
        for k, fit in enumerate(self.fits):
            q = p if fit is self.calibrator.fit else fit.apply(s)
            self.positives[k] += np.bincount(cell, weights=q, minlength=self.bins)

    def accuracy(self) -> Estimate:
        import numpy as np

        if self.rows < MIN_ROWS:
            return Estimate("accuracy", None, undefined_reason=too_few(self.rows))
        value = self.right / self.rows
        variance = self.right_variance / self.rows ** 2
        if self.calibrator.replicates:
            variance += float(np.var(self.replicate_right / self.rows))
        spread = Z_95 * math.sqrt(variance)
        return Estimate("accuracy", value, max(0.0, value - spread), min(1.0, value + spread))

    def roc_auc(self, *, draws: int = DRAWS, seed: int = 0) -> Estimate:
        import numpy as np

        if self.rows < MIN_ROWS:
            return Estimate("roc_auc", None, undefined_reason=too_few(self.rows))
        if min(self.expected_positives, self.rows - self.expected_positives) < 1.0:
            return Estimate("roc_auc", None, undefined_reason=(
                "the model expects almost every row to be of one class; ROC AUC needs both"))
        rng = np.random.default_rng(seed)
        which = np.arange(draws) % len(self.fits)
        count = self.count.astype(np.int64)
        share = np.divide(self.positives[which], self.count,
                          out=np.zeros_like(self.positives[which]), where=self.count > 0)
        positives = rng.binomial(count, np.clip(share, 0.0, 1.0)).astype(float)
        sample = _binned_auc(positives, self.count - positives)
        sample = sample[np.isfinite(sample)]
        if len(sample) < draws // 2:
            return Estimate("roc_auc", None,
                            undefined_reason="too few rows of either class expected")
        low, high = np.quantile(sample, [0.025, 0.975])
        return Estimate("roc_auc", float(sample.mean()), float(low), float(high))


def _binned_auc(positives: Any, negatives: Any) -> Any:
    """ROC AUC of each row (a draw) of per-bin counts, bins in score order, ties half."""
    import numpy as np

    below = np.cumsum(negatives, axis=1) - negatives  # negatives in lower bins
    pairs = np.sum(positives * (below + 0.5 * negatives), axis=1)
    total = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, pairs / np.where(total > 0, total, 1.0), np.nan)
