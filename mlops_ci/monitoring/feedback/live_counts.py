"""A classifier's live quality in bounded memory: its labelled rows counted, batch by batch.

``ClassCounts`` keeps what the metrics of ``mlops_ci.metrics`` need of the labelled rows of one
window, whatever their number, and gives the values ``metrics.compute`` gives on those rows:

- **confusion counts** (label x prediction): accuracy, balanced accuracy, precision, recall and
  f1 are the very scikit-learn calls of ``metrics``, on one row per distinct (label, prediction)
  pair weighted by its count (``sample_weight``). **Exact**: counts are whole numbers, exact in
  floating point, so the values are those of every row (tested equal within 1e-12).
- **log loss and Brier score**: running sums of each row's term, computed as scikit-learn
  computes it (log loss clips to [eps, 1 - eps]; labels meet their column in sorted order; the
  binary Brier score is halved as scikit-learn's is). **Exact** up to the order of additions.
- **ROC AUC and average precision** need the order of every score. Per class column, the rows'
  probability of that class is counted in ``BINS`` bins of equal width in log-odds (``score_
  bins``: from -18.42 to 18.42, so about 0.00056 wide in probability near 0.5 and far narrower
  near 0 and 1, where a confident model's scores crowd), all rows and the rows labelled that
  class apart; the metric is scikit-learn's on those counts, each bin one score, so rows sharing
  a bin tie as equal scores tie in scikit-learn (half a pair in ROC AUC); equal scores share a
  bin, so ties are as in memory. **Binned**: a ROC AUC moves by at most half the share of
  positive-negative pairs that share a bin (``auc_error_bound``). Stated tolerances, both
  ``AUC_TOLERANCE`` and ``AP_TOLERANCE`` 0.001 (``tests/monitoring/feedback/
  test_live_counts.py``, 20,000 rows of calibrated and of overconfident models: measured at
  most 0.00001 for ROC AUC and 0.00015 for average precision).

What scikit-learn refuses (probabilities above 1, labels that are no class of the model, ...)
is refused with its message, as in memory. Memory: the labels and predictions seen (the
classes), their confusion counts, and with probabilities 2 x classes x ``BINS`` counts (512 KB
for a binary classifier), whatever the rows.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from mlops_ci.metrics import MetricValue, Predictions, Undefined, compute
from mlops_ci.monitoring.feedback.sources import plain_label

BINS = 16_384
LOG_ODDS = 18.42  # a probability within 1e-8 of 0 or 1 counts in the first or last bin
AUC_TOLERANCE = 1e-3
AP_TOLERANCE = 1e-3
NO_PROBABILITIES = "no probabilities were recorded"
_CONFUSION = ("accuracy", "balanced_accuracy", "precision", "recall", "f1")


class ClassCounts:
    """Counts of one window's labelled rows of a classifier (see the module)."""

    def __init__(self, classes: Sequence[Any], *, scores: bool, bins: int = BINS) -> None:
        import numpy as np

        self.classes = tuple(classes)
        self.bins = bins
        self.rows = 0
        self.labels: dict[Any, int] = {}  # plain label -> its row of ``confusion``
        self.predictions: dict[Any, int] = {}  # plain prediction -> its column
        self.label_class: list[int] = []  # per label: the index of the equal class, or -1
        self.confusion = np.zeros((0, 0), dtype=np.int64)
        width = len(self.classes) if scores else 0
        self.scored = np.zeros((width, bins), dtype=np.int64)  # rows by bin of p(class)
        self.hits = np.zeros((width, bins), dtype=np.int64)  # rows labelled the class, by bin
        self.unscored = 0 if width else -1  # rows without probabilities (-1: not kept)
        self.log_loss = 0.0
        self.brier = np.zeros(width)  # binary: per positive column; else: all in [0]
        self.low = np.full(width, np.inf)
        self.high = np.full(width, -np.inf)
        self.sums_to_one = True
        self.finite = True
        self.sorted_column = _sorted_columns(self.classes)

    def add(self, labels: Any, predictions: Any, proba: Any = None) -> None:
        """Add one batch: labels, predictions and (rows x classes) probabilities, or None."""
        import numpy as np

        label_ids = self._ids(labels, self.labels, plain_label)
        predicted = self._ids(predictions, self.predictions, _plain)
        if not len(label_ids):
            return
        self.rows += len(label_ids)
        while len(self.label_class) < len(self.labels):
            self.label_class.append(_class_index(list(self.labels)[len(self.label_class)],
                                                 self.classes))
        shape = (len(self.labels), len(self.predictions))
        if self.confusion.shape != shape:
            grown = np.zeros(shape, dtype=np.int64)
            grown[:self.confusion.shape[0], :self.confusion.shape[1]] = self.confusion
            self.confusion = grown
        self.confusion += np.bincount(label_ids * shape[1] + predicted,
                                      minlength=shape[0] * shape[1]).reshape(shape)
        if self.unscored < 0:
            return
        if proba is None:
            self.unscored += len(label_ids)
            return
        self._add_scores(np.asarray(self.label_class, dtype=np.int64)[label_ids],
                         np.asarray(proba, dtype=float).reshape(len(label_ids), -1))

    def _add_scores(self, row_class: Any, p: Any) -> None:
        import numpy as np

        width = len(self.classes)
        if p.shape[1] != width or not np.isfinite(p).all():
            self.finite = False
            return
        self.low = np.minimum(self.low, p.min(axis=0))
        self.high = np.maximum(self.high, p.max(axis=0))
        self.sums_to_one &= bool(np.allclose(1, p.sum(axis=1)))
        cell = score_bins(p, self.bins)
        self.scored += np.bincount((cell + np.arange(width) * self.bins).ravel(),
                                   minlength=width * self.bins).reshape(width, self.bins)
        known = np.flatnonzero(row_class >= 0)
        classes = row_class[known]
        self.hits += np.bincount(classes * self.bins + cell[known, classes],
                                 minlength=width * self.bins).reshape(width, self.bins)
        eps = float(np.finfo(float).eps)
        if self.sorted_column is not None:
            column = np.asarray(self.sorted_column)[classes]
            self.log_loss += float(-np.log(np.clip(p[known, column], eps, 1 - eps)).sum())
        if width == 2:
            for positive in (0, 1):
                truth = (row_class == positive).astype(float)
                q = p[:, positive]
                self.brier[positive] += float(np.sum((1 - truth - (1 - q)) ** 2
                                                     + (truth - q) ** 2))
        elif self.sorted_column is not None:
            diff = -p[known]
            diff[np.arange(len(known)), np.asarray(self.sorted_column)[classes]] += 1.0
            self.brier[0] += float(np.sum(np.sum(diff ** 2, axis=1)))

    def _ids(self, values: Any, vocabulary: dict[Any, int], plain: Callable[[Any], Any]) -> Any:
        """Each value's id in ``vocabulary`` (new values added): a loop over distinct values."""
        import numpy as np
        import pandas as pd

        array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
        codes, uniques = pd.factorize(array, use_na_sentinel=False)
        ids = [vocabulary.setdefault(plain(value), len(vocabulary)) for value in uniques]
        return np.asarray(ids, dtype=np.int64)[codes] if len(codes) else np.zeros(0, np.int64)

    def values(self, names: Sequence[str], positive: int,
               proba_missing: str | None = None) -> tuple[MetricValue, ...]:
        """``metrics.compute(names, ...)`` of the rows counted, ``positive`` the binary index."""
        missing = proba_missing
        if missing is None and (self.unscored != 0 or not self.finite):
            missing = NO_PROBABILITIES
        return tuple(self._value(name, positive, missing) for name in names)

    def _value(self, name: str, positive: int, missing: str | None) -> MetricValue:
        import numpy as np

        if name in _CONFUSION:
            return compute((name,), self._pairs(positive))[0]
        if missing is not None:
            return compute((name,), Predictions(np.zeros(0), np.zeros(0), None, self.classes,
                                                missing or NO_PROBABILITIES))[0]
        if name in ("roc_auc", "average_precision") and len(self.classes) == 2:
            if name == "average_precision" and len(self.labels) > 2:
                return guarded(name, self._refuse_multiclass)  # as every row's shape says
            return compute((name,), self._binned(positive % 2))[0]
        if name == "roc_auc":
            return guarded(name, self._ovr_auc)
        if name == "average_precision":
            return guarded(name, self._present_ap)
        if name == "log_loss":
            return guarded(name, self._log_loss)
        return guarded(name, lambda: self._brier(positive % max(1, len(self.classes))))

    def _label_values(self) -> Any:
        """The labels seen, typed as in memory (``uniform``), in the order of their ids."""
        import numpy as np

        return uniform(np.asarray(list(self.labels), dtype=object))

    def _pairs(self, positive: int) -> Predictions:
        import numpy as np

        label_at, predicted_at = np.nonzero(self.confusion)
        labels = self._label_values()
        predictions = uniform(np.asarray(list(self.predictions), dtype=object))
        return Predictions(labels[label_at], predictions[predicted_at], None, self.classes,
                           None, positive, self.confusion[label_at, predicted_at].astype(float))

    def _binned(self, positive: int) -> Predictions:
        """One row per bin and side (the positive class or not), weighted by its rows.

        Every label seen comes once more with weight 0, so scikit-learn's checks see the labels
        the rows hold; rows of weight 0 count in no curve.
        """
        import numpy as np

        labels = self._label_values()
        hits = self.hits[positive]
        others = self.scored[positive] - hits
        kinds = np.asarray(self.label_class)
        positive_label = labels[np.flatnonzero(kinds == positive)[:1]]
        other_label = labels[np.flatnonzero(kinds != positive)[:1]]
        on, off = np.flatnonzero(hits), np.flatnonzero(others)
        truth = np.concatenate([np.repeat(positive_label, len(on)),
                                np.repeat(other_label, len(off)), labels])
        score = (np.concatenate([on, off, np.zeros(len(labels))]) + 0.5) / self.bins
        weight = np.concatenate([hits[on], others[off], np.zeros(len(labels))]).astype(float)
        proba = np.column_stack([1 - score, score] if positive else [score, 1 - score])
        return Predictions(truth, truth, proba, self.classes, None, positive, weight)

    def _column(self, column: int) -> tuple[Any, Any, Any]:
        """Class ``column`` one-vs-rest: truth, score and weight per bin and side."""
        import numpy as np

        hits = self.hits[column]
        others = self.scored[column] - hits
        on, off = np.flatnonzero(hits), np.flatnonzero(others)
        truth = np.concatenate([np.ones(len(on), dtype=bool), np.zeros(len(off), dtype=bool)])
        score = (np.concatenate([on, off]) + 0.5) / self.bins
        return truth, score, np.concatenate([hits[on], others[off]]).astype(float)

    def _two_labels(self, what: str) -> None:
        if len(self.labels) < 2:
            shown = ", ".join(repr(value) for value in self.labels) or "none"
            raise Undefined(f"the test set holds one class only ({shown}); {what} needs two")

    def _unknown_labels(self) -> set[Any]:
        labels = self._label_values()
        return {labels[i] for i, kind in enumerate(self.label_class) if kind < 0}

    def _ovr_auc(self) -> float:
        """``roc_auc_score(multi_class="ovr", labels=classes)``: the mean of each class's."""
        import numpy as np
        from sklearn.metrics import roc_auc_score

        self._two_labels("ROC AUC")
        if not self.sums_to_one:
            raise ValueError("Target scores need to be probabilities for multiclass roc_auc, "
                             "i.e. they should sum up to 1.0 over classes")
        if self.sorted_column != list(range(len(self.classes))):
            raise ValueError("Parameter 'labels' must be ordered")
        if self._unknown_labels():
            raise ValueError("'y_true' contains labels not in parameter 'labels'")
        scores = []
        for column in range(len(self.classes)):
            truth, score, weight = self._column(column)
            scores.append(roc_auc_score(truth, score, sample_weight=weight)
                          if truth.all() != truth.any() else np.nan)
        return float(np.average(scores))

    def _present_ap(self) -> float:
        """Average precision of each class present among the labels, averaged (macro)."""
        import numpy as np
        from sklearn.metrics import average_precision_score

        self._two_labels("average precision")
        scores = []
        for column in range(len(self.classes)):
            if self.hits[column].any():
                truth, score, weight = self._column(column)
                scores.append(average_precision_score(truth, score, sample_weight=weight))
        return float(np.average(scores))

    def _check_range(self, columns: Any, lower: str) -> None:
        high, low = float(self.high[columns].max()), float(self.low[columns].min())
        if high > 1:
            raise ValueError(f"y_prob contains values greater than 1: {high}")
        if low < 0:
            raise ValueError(f"y_prob contains values {lower} than 0: {low}")

    def _check_labels(self) -> None:
        unknown = self._unknown_labels()
        if unknown:
            raise ValueError(f"y_true contains values {unknown} not belonging to the passed "
                             f"labels {list(self.classes)}.")
        if self.sorted_column is None:
            raise TypeError("the model's classes cannot be ordered")

    def _refuse_multiclass(self) -> float:
        raise ValueError("`y_score` needs to be of shape `(n_samples, n_classes)`, since "
                         f"`y_true` contains multiple classes. Got `y_score.shape=({self.rows},)`.")

    def _log_loss(self) -> float:
        self._need_rows()
        self._check_range(slice(None), "lower")
        self._check_labels()
        return self.log_loss / self.rows

    def _need_rows(self) -> None:
        if not self.rows:
            raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 "
                             "is required.")

    def _brier(self, positive: int) -> float:
        self._need_rows()
        if len(self.classes) == 2:
            if len(self.labels) > 2:
                raise ValueError("The type of the target inferred from y_true is multiclass "
                                 "but should be binary according to the shape of y_prob.")
            self._check_range(positive, "less")
            return float(self.brier[positive] / self.rows * 0.5)
        self._check_range(slice(None), "lower")
        self._check_labels()
        return float(self.brier[0] / self.rows)

    def auc_error_bound(self, positive: int) -> float:
        """How far the binned ROC AUC of class ``positive`` can be from the exact one: half
        the share of positive-negative pairs whose scores share a bin."""
        hits = self.hits[positive].astype(float)
        others = self.scored[positive] - hits
        pairs = float(hits.sum() * others.sum())
        return 0.5 * float((hits * others).sum()) / pairs if pairs else 0.0


def guarded(name: str, function: Callable[[], float]) -> MetricValue:
    """``function``'s value as ``metrics.compute`` reports one: undefined with its reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = function()
    except Undefined as undefined:
        return MetricValue(name, None, str(undefined))
    except (ValueError, TypeError) as error:
        return MetricValue(name, None, f"scikit-learn cannot compute it: {error}")
    if not math.isfinite(value):
        return MetricValue(name, None, f"the result is not a finite number ({value})")
    return MetricValue(name, value)


def uniform(values: Any) -> Any:
    """An object array of plain numbers as a numeric array (sklearn wants one label type)."""
    import numpy as np

    array = np.asarray(values)
    if array.dtype == object and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in array
    ):
        return array.astype(float) if any(isinstance(v, float) for v in array) else \
            array.astype(np.int64)
    return array


def score_bins(proba: Any, bins: int = BINS) -> Any:
    """The bin of each probability: equal widths of its log-odds over [-LOG_ODDS, LOG_ODDS].

    Log-odds, not the probability itself, so that the scores of a confident model, crowded
    near 0 and 1, still fall into distinct bins: 0.00056 wide in probability near 0.5, 2e-7
    near 1e-4 of 0 or 1; below 1e-8 of them, one bin.
    """
    import numpy as np

    p = np.clip(proba, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        odds = np.log(p) - np.log1p(-p)
    cell = np.floor((np.clip(odds, -LOG_ODDS, LOG_ODDS) + LOG_ODDS) / (2 * LOG_ODDS) * bins)
    return np.minimum(cell.astype(np.int64), bins - 1)


def _class_index(label: Any, classes: Sequence[Any]) -> int:
    for index, value in enumerate(classes):
        try:
            if bool(label == value):
                return index
        except (TypeError, ValueError):
            continue
    return -1


def _sorted_columns(classes: Sequence[Any]) -> list[int] | None:
    """Each class's column as scikit-learn's ``LabelBinarizer`` orders them (sorted)."""
    try:
        ordered = sorted(range(len(classes)), key=lambda index: classes[index])
    except TypeError:
        return None
    return [ordered.index(index) for index in range(len(classes))]


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value
