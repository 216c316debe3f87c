"""Servings joined to labels by id, batch by batch: what ``stream_log`` and ``stream_data_join``
share.

``LabelJoin`` holds the labels in a dict by id (``join.latest_labels``) and, as batches of
servings (rows the model answered, each with an id) go by, keeps for each labelled id the
serving its label answers by the rules of ``join`` (the latest serving not after the label, else
the latest; a later batch may replace it, so the pairs are known only at the end). A serving
whose id has no label is counted and dropped. ``finish`` pairs labels and servings (a label that
arrived before its serving leaves the row awaiting; one that arrived after its window closed is
``late``) and counts them per window (``live_windows``), ``BATCH_ROWS`` pairs at a time.

Times are microseconds since the epoch, as floats in batches (NaN: no time, window 0, as
``join.window_of`` puts a row without a time), converted exactly (``micros_of``, ``moment_of``)
so that a label that arrives at the very microsecond of its serving answers it, as in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_ci.data.stream import BATCH_ROWS
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.check import MAX_WINDOWS
from mlops_ci.monitoring.feedback.join import JoinCounts, Label, is_late, latest_labels
from mlops_ci.monitoring.feedback.live_windows import LabelledWindows
from mlops_ci.monitoring.feedback.stream_cbpe import StreamedEstimate

DAY_US = 86_400 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(slots=True)
class Serving:
    """The serving of one labelled id that its label answers, as far as read."""

    time: int | None  # microseconds since the epoch
    index: int
    prediction: Any
    proba: tuple[float, ...] | None
    servings: int = 1


class LabelJoin:
    """The labels of a streamed source and the serving each labelled id's label answers."""

    def __init__(self, label_rows: Sequence[Label]) -> None:
        import pyarrow as pa

        self.labels = len(label_rows)
        self.labels_without_id = sum(1 for label in label_rows if not label.id)
        self.latest, self.duplicate_labels, self.conflicting = latest_labels(label_rows)
        self._ids = pa.array(list(self.latest), type=pa.string())  # matched by every batch
        self._arrived = {i: micros_of(label.time) for i, label in self.latest.items()}
        self.chosen: dict[str, Serving] = {}
        self.served = 0  # servings offered (each with an id)
        self.unlabelled = 0  # servings whose id has no label

    def add(self, ids: Any, times: Any, predictions: Any, proba: Any | None) -> None:
        """One batch of servings: ``ids`` a pyarrow string array (no empty id), ``times``
        microseconds as floats (NaN: no time), ``predictions`` one a row, ``proba`` rows x
        classes or None."""
        import numpy as np
        import pyarrow.compute as pc

        labelled = pc.is_in(ids, value_set=self._ids).to_numpy(zero_copy_only=False) \
            if len(self._ids) else np.zeros(len(ids), dtype=bool)
        self.unlabelled += int((~labelled).sum())
        first = self.served
        self.served += len(ids)
        for at in np.flatnonzero(labelled):
            row_id = ids[int(at)].as_py()
            time = float(times[at])
            _choose(self.chosen, row_id, self._arrived[row_id], Serving(
                None if time != time else int(time), first + int(at), _plain(predictions[at]),
                tuple(float(p) for p in proba[at]) if proba is not None else None))

    def finish(
        self,
        metric_names: Sequence[str],
        classes: tuple[Any, ...],
        *,
        scored: bool,
        realised: bool,
        end: datetime | None,
        window_days: int,
        served: int | None = None,
        missing_ids: int = 0,
    ) -> tuple[LabelledWindows, JoinCounts]:
        """The pairs counted per window, and the join's counts. ``served`` (default: the
        servings added) and ``missing_ids`` (beside the labels without an id) are the
        caller's: a log skips its rows without an id, ``feedback.data`` counts them."""
        import numpy as np

        pairs: list[tuple[Serving, Any]] = []
        before = late = 0
        for row_id, serving in self.chosen.items():
            label, arrived = self.latest[row_id], self._arrived[row_id]
            if arrived is not None and serving.time is not None and arrived < serving.time:
                before += 1
                continue
            pairs.append((serving, label.value))
            late += is_late(moment_of(serving.time), label.time, end, window_days)
        rows = LabelledWindows(metric_names, classes, realised=realised, limit=MAX_WINDOWS)
        end_us = micros_of(end)
        for start in range(0, len(pairs), BATCH_ROWS):
            chunk = pairs[start:start + BATCH_ROWS]
            times = np.asarray([np.nan if s.time is None else s.time for s, _ in chunk],
                               dtype=float)
            rows.add(
                windows_of(times, end_us, window_days),
                objects([value for _, value in chunk]),
                objects([serving.prediction for serving, _ in chunk]),
                np.asarray([serving.proba for serving, _ in chunk], dtype=float).reshape(
                    len(chunk), len(classes)) if scored else None)
        counts = JoinCounts(
            served=self.served if served is None else served, labels=self.labels,
            matched=len(pairs), awaiting=self.unlabelled + before,
            duplicate_served=sum(s.servings - 1 for s in self.chosen.values()),
            duplicate_labels=self.duplicate_labels, conflicting_labels=self.conflicting,
            unmatched_labels=len(self.latest) - len(self.chosen),
            label_before_prediction=before, late=late,
            missing_ids=self.labels_without_id + missing_ids)
        return rows, counts


def add_estimates(sums: dict[int, StreamedEstimate], calibrator: Calibrator | None,
                  classes: Sequence[Any], proba: Any | None, predictions: Any,
                  windows: Any) -> None:
    """One batch's scores to its windows' ``StreamedEstimate``s (a binary classifier with
    probabilities and the calibrator's positive class; nothing otherwise)."""
    import numpy as np

    if calibrator is None or proba is None or len(classes) != 2 or \
            calibrator.positive_class not in classes:
        return
    scores = proba[:, list(classes).index(calibrator.positive_class)]
    predicted = np.asarray(predictions) == calibrator.positive_class
    for window in np.unique(windows[windows < MAX_WINDOWS]):
        members = windows == window
        sums.setdefault(int(window), StreamedEstimate(calibrator)).add(
            scores[members], predicted[members])


def windows_of(times: Any, end: float | None, days: int) -> Any:
    """``join.window_of`` of microsecond times (floats, NaN: no time, window 0)."""
    import numpy as np

    if end is None:
        return np.zeros(len(times), dtype=np.int64)
    known = ~np.isnan(times)
    out = np.zeros(len(times), dtype=np.int64)
    out[known] = np.maximum(0, (end - times[known]) // (days * DAY_US)).astype(np.int64)
    return out


def micros_of(moment: datetime | None) -> int | None:
    """``moment`` in whole microseconds since the epoch, exactly."""
    return None if moment is None else (moment - _EPOCH) // _MICRO


def moment_of(micros: float | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=int(micros))


def objects(values: list[Any]) -> Any:
    """``values`` as a one-dimensional object array, whatever they are."""
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _choose(chosen: dict[str, Serving], row_id: str, label_time: int | None,
            serving: Serving) -> None:
    """Keep the serving the label answers: the latest not after it, else the latest."""
    current = chosen.get(row_id)
    if current is None:
        chosen[row_id] = serving
        return

    def key(row: Serving) -> tuple[bool, float, int]:
        fits = label_time is None or row.time is None or row.time <= label_time
        return (fits, float("-inf") if row.time is None else row.time, row.index)

    best = max(current, serving, key=key)
    best.servings = current.servings + 1
    chosen[row_id] = best


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value
