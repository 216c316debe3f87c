"""Join labels that arrive late to the rows that were served, by id; count everything odd.

Pure: values in, values out. The rules, which the report states with their counts:

- A served row or label without an id cannot be joined: counted as ``missing_ids``, left out.
- An id labelled more than once keeps its latest label (by arrival time when known, else the
  last in file order); the others are ``duplicate_labels``, and ids whose labels disagree are
  also ``conflicting_labels`` (a correction, or a data problem worth a look).
- An id served more than once is judged on the latest serving not after its label (the
  prediction the label answers); the other servings are ``duplicate_served`` and are neither
  labelled nor waiting.
- A label whose id was never served (rotated out of the log, or a typo) is an
  ``unmatched_label``: its id is missing from what was served.
- A label that arrived before its prediction was made cannot be about it: counted as
  ``label_before_prediction``; the row waits for a proper label.
- A label that arrived after its prediction's window closed is ``late`` but still counts, in
  the window of the prediction: quality belongs to when the model answered, not to when the
  truth was known.
- A served row without a label is ``awaiting`` one: the performance estimate covers it.

Windows are ``window_days`` long and end at the latest serving time: window 0 is the most
recent, 1 the one before, and so on. Without times every row is in window 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Served:
    """A row the model answered: its id, when, and where it is in its source."""

    id: str | None
    time: datetime | None
    index: int


@dataclass(frozen=True, slots=True)
class Label:
    id: str | None
    value: Scalar
    time: datetime | None  # when the label arrived, when known
    order: int  # position in the label files, for "latest" without times


@dataclass(frozen=True, slots=True)
class JoinCounts:
    served: int = 0
    labels: int = 0
    matched: int = 0
    awaiting: int = 0
    duplicate_served: int = 0
    duplicate_labels: int = 0
    conflicting_labels: int = 0
    unmatched_labels: int = 0
    label_before_prediction: int = 0
    late: int = 0
    missing_ids: int = 0

    def to_json(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Joined:
    labelled: tuple[tuple[int, Scalar], ...]  # (served index, label), in served order
    unlabelled: tuple[int, ...]  # served indexes awaiting a label
    counts: JoinCounts


def window_of(time: datetime | None, end: datetime | None, days: int) -> int:
    """0 for the latest window (ending at ``end``), 1 for the one before, ...; 0 without times."""
    if time is None or end is None:
        return 0
    return max(0, int((end - time) / timedelta(days=days)))


def window_end(served: Sequence[Served]) -> datetime | None:
    times = [row.time for row in served if row.time is not None]
    return max(times) if times else None


def join_labels(served: Sequence[Served], labels: Sequence[Label], *, window_days: int) -> Joined:
    """Pair each served row with its label by id (see the module docstring for the rules)."""
    missing = sum(1 for row in served if not row.id) + sum(1 for label in labels if not label.id)
    latest_label, duplicate_labels, conflicting = latest_labels(labels)
    servings: dict[str, list[Served]] = {}
    for row in served:
        if row.id:
            servings.setdefault(row.id, []).append(row)
    end = window_end(served)
    labelled: list[tuple[int, Scalar]] = []
    unlabelled: list[int] = []
    duplicate_served = before = late = 0
    for row_id, rows in servings.items():
        found = latest_label.get(row_id)
        chosen = _answered(rows, found)
        duplicate_served += len(rows) - 1
        if found is None:
            unlabelled.append(chosen.index)
        elif found.time is not None and chosen.time is not None and found.time < chosen.time:
            before += 1
            unlabelled.append(chosen.index)
        else:
            labelled.append((chosen.index, found.value))
            if _is_late(chosen.time, found.time, end, window_days):
                late += 1
    counts = JoinCounts(
        served=len(served),
        labels=len(labels),
        matched=len(labelled),
        awaiting=len(unlabelled),
        duplicate_served=duplicate_served,
        duplicate_labels=duplicate_labels,
        conflicting_labels=conflicting,
        unmatched_labels=sum(1 for row_id in latest_label if row_id not in servings),
        label_before_prediction=before,
        late=late,
        missing_ids=missing,
    )
    return Joined(tuple(sorted(labelled, key=lambda pair: pair[0])), tuple(sorted(unlabelled)),
                  counts)


def latest_labels(labels: Sequence[Label]) -> tuple[dict[str, Label], int, int]:
    """The latest label of each id, how many labels it replaced, how many ids disagree."""
    latest_label: dict[str, Label] = {}
    values: dict[str, set[Scalar]] = {}
    duplicate_labels = 0
    for label in labels:
        if not label.id:
            continue
        values.setdefault(label.id, set()).add(label.value)
        current = latest_label.get(label.id)
        if current is None:
            latest_label[label.id] = label
            continue
        duplicate_labels += 1
        if _label_key(label) >= _label_key(current):
            latest_label[label.id] = label
    return latest_label, duplicate_labels, sum(1 for found in values.values() if len(found) > 1)


def is_late(
    predicted: datetime | None, arrived: datetime | None, end: datetime | None, days: int
) -> bool:
    return _is_late(predicted, arrived, end, days)


def _label_key(label: Label) -> tuple[float, int]:
    return (label.time.timestamp() if label.time is not None else float("-inf"), label.order)


def _answered(rows: Sequence[Served], label: Label | None) -> Served:
    """The serving a label answers: the latest not after the label, else the latest."""
    def key(row: Served) -> tuple[float, int]:
        return (row.time.timestamp() if row.time is not None else float("-inf"), row.index)

    if label is not None and label.time is not None:
        earlier = [row for row in rows if row.time is None or row.time <= label.time]
        if earlier:
            return max(earlier, key=key)
    return max(rows, key=key)


def _is_late(
    predicted: datetime | None, arrived: datetime | None, end: datetime | None, days: int
) -> bool:
    if predicted is None or arrived is None or end is None:
        return False
    window = window_of(predicted, end, days)
    if window == 0:  # the latest window is still open
        return False
    closes = end - timedelta(days=days) * window
    return arrived > closes
