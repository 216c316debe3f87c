"""Labelled rows counted per window as they stream by: what live quality and realised values need.

The streamed sources (``stream_data``, ``stream_log``) feed each batch of labelled rows (label,
prediction, probabilities, window) to ``LabelledWindows``, which adds them to their window's
accumulator and keeps nothing else: ``live_counts.ClassCounts`` for a classifier's metrics,
``live_errors.ErrorSums`` for a regressor's. The latest window (0) counts what every metric of
``evaluate.metrics`` needs; the older windows, when the estimate is given, what the realised
accuracy and ROC AUC need; windows from ``limit`` on are not kept. Memory grows with the
windows and the classes, not with the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlops_ci.metrics import MetricValue, metric
from mlops_ci.monitoring.feedback.live_counts import ClassCounts
from mlops_ci.monitoring.feedback.live_errors import ErrorSums

REALISED = ("accuracy", "roc_auc")


class LabelledWindow:
    """The labelled rows of one window, counted for the metrics ``names``."""

    def __init__(self, names: Sequence[str], classes: Sequence[Any]) -> None:
        tasks = {metric(name).task for name in names}
        scores = any(metric(name).needs_proba for name in names)
        self.rows = 0
        self.counts = ClassCounts(classes, scores=scores) if "classification" in tasks else None
        self.errors = ErrorSums() if "regression" in tasks else None

    def add(self, labels: Any, predictions: Any, proba: Any = None) -> None:
        """Add one batch (numpy arrays; ``proba`` rows x classes, or None)."""
        self.rows += len(labels)
        if self.counts is not None:
            self.counts.add(labels, predictions, proba)
        if self.errors is not None:
            self.errors.add(labels, predictions)

    def values(self, names: Sequence[str], positive: int,
               proba_missing: str | None) -> tuple[MetricValue, ...]:
        """``metrics.compute(names, ...)`` of the rows added; ``positive``: the binary index."""
        found: list[MetricValue] = []
        for name in names:
            if metric(name).task == "regression":
                found += (self.errors or ErrorSums()).values((name,))
            else:
                counts = self.counts or ClassCounts((), scores=False)
                found += counts.values((name,), positive, proba_missing)
        return tuple(found)


class LabelledWindows:
    """One ``LabelledWindow`` per window below ``limit``, made when its first row arrives."""

    def __init__(self, metric_names: Sequence[str], classes: Sequence[Any], *,
                 realised: bool, limit: int) -> None:
        extra = REALISED if realised else ()
        self.latest = tuple(dict.fromkeys((*metric_names, *extra)))
        self.older = extra
        self.classes = tuple(classes)
        self.limit = limit
        self.windows: dict[int, LabelledWindow] = {}

    def add(self, windows: Any, labels: Any, predictions: Any, proba: Any = None) -> None:
        """Add one batch of labelled rows, each with its window (numpy arrays)."""
        import numpy as np

        windows = np.asarray(windows)
        for window in np.unique(windows[windows < self.limit]):
            members = windows == window
            self.window(int(window)).add(labels[members], predictions[members],
                                         None if proba is None else proba[members])

    def window(self, window: int) -> LabelledWindow:
        if window not in self.windows:
            names = self.latest if window == 0 else self.older
            self.windows[window] = LabelledWindow(names, self.classes)
        return self.windows[window]

    def rows(self, window: int) -> int:
        found = self.windows.get(window)
        return found.rows if found is not None else 0
