"""Prediction logs, measured in batches: live quality and estimates, bounded memory.

A prediction log (a file, a glob, a partitioned folder: ``monitor.feedback.prediction_log``
resolved as ``production_data`` is) in JSON Lines, as the server writes it, is read in batches
of records by ``log_lines`` (a line that is no record skipped and counted, as read whole); a
Parquet log holds one row per answer, in the JSON Lines record's fields: ``id``, ``time`` (a
timestamp, or ISO 8601 text), ``model``, ``version``, ``prediction`` and, for probability
metrics and the estimate, ``probabilities`` (a list of numbers) with ``classes`` (a list, one
per probability). A file without one of the
first five columns is an ``InputProblems`` naming the file and the column (exit 2). Rows
without a time or an id are skipped and counted, as unreadable JSON lines are.

Two passes read the columns in batches of ``BATCH_ROWS`` rows (memory holds one batch, and
pyarrow one row group's chunk of those columns):

1. ``model``, ``version`` and ``time``: the latest answer of the version in production, which
   ends window 0;
2. every column: each batch of that version's rows adds its scores to its window's
   ``StreamedEstimate`` (``stream_cbpe``) and is dropped. The labels are held in a dict by id
   (``join.latest_labels``): rows whose id is labelled (``pyarrow.compute.is_in``) keep their
   candidate serving per id, by the rules of ``join`` (a later serving may replace it, so the
   pairs are known only at the end); a row whose id has no label is counted and dropped.

At the end the label-serving pairs go, ``BATCH_ROWS`` at a time, to their window's counts
(``live_windows``), which ``check.assess_counted`` judges as ``assess`` judges rows: the live
metrics counted are exact, ROC AUC and average precision binned (``live_counts``).

Memory grows with the number of labels (each label, and the serving chosen for each labelled
id: its time, prediction and probabilities), not with the logged rows; the counts per window
have a fixed size. What differs from the in-memory join: an id served more than once is
counted in ``duplicate_served`` only when it is labelled (spotting repeats among 100 million
unlabelled ids would need them all in memory), so ``awaiting`` counts servings, not ids, of
unlabelled rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mlops_ci.config.model import ClassLabel, DataSpec, FeedbackSpec
from mlops_ci.data.stream import BATCH_ROWS, ParquetPart
from mlops_ci.errors import InputProblems, Problem, UserError
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.check import MAX_WINDOWS, FeedbackCheck, assess_counted
from mlops_ci.monitoring.feedback.join import JoinCounts, is_late, latest_labels
from mlops_ci.monitoring.feedback.live_counts import NO_PROBABILITIES
from mlops_ci.monitoring.feedback.live_windows import LabelledWindows
from mlops_ci.monitoring.feedback.log_lines import (
    BadLines,
    log_batches,
    open_log_parts,
)
from mlops_ci.monitoring.feedback.sources import NamedFile, read_labels
from mlops_ci.monitoring.feedback.stream_cbpe import StreamedEstimate

REQUIRED = ("id", "time", "model", "version", "prediction")
_DAY_US = 86_400 * 1_000_000


@dataclass(slots=True)
class _Serving:
    """The serving of one labelled id that its label answers, as far as read."""

    time: int | None  # microseconds since the epoch
    index: int
    prediction: Any
    proba: tuple[float, ...] | None
    servings: int = 1


def assess_parquet_log(
    spec: FeedbackSpec,
    data: DataSpec,
    *,
    model: str,
    version: str,
    logs: Sequence[NamedFile],
    labels: Sequence[NamedFile],
    metric_names: Sequence[str],
    registered: Mapping[str, float],
    calibrator: Calibrator | None,
    calibrator_note: str | None,
    positive_class: ClassLabel | None,
) -> FeedbackCheck:
    """Live quality and estimates of ``model`` ``version`` from Parquet logs (see module)."""
    import numpy as np
    import pyarrow.compute as pc

    parts = open_log_parts(logs)
    _check_columns(parts)
    with_proba = all("probabilities" in p.columns and "classes" in p.columns for p in parts)
    end = _window_end(parts, model, version)
    source = ", ".join(f.name for f in logs)
    if end is None:
        raise UserError(
            f"the prediction log ({source}) holds no prediction of {model} {version}",
            hint="check the log's model and version columns and monitor.feedback.prediction_log",
        )
    label_rows = read_labels(labels, data, spec)
    latest, duplicate_labels, conflicting = latest_labels(label_rows)
    label_ids = _id_array(list(latest))  # built once: the set every batch is matched against
    label_us = {i: _micros_of(label.time) for i, label in latest.items()}
    period = spec.window_days * _DAY_US
    sums: dict[int, StreamedEstimate] = {}
    chosen: dict[str, _Serving] = {}
    classes: tuple[Any, ...] | None = None
    consistent = with_proba
    served = skipped = other = unlabelled = 0
    bad_lines = BadLines()
    for part in parts:
        for batch in _batches(part, with_proba, bad=bad_lines):
            total, batch = _ours(batch, model, version)
            other += total - batch.num_rows
            ids, times = _ids(batch), _times(part, batch.column("time"))
            named = pc.fill_null(pc.greater(pc.utf8_length(ids), 0), False)
            keep = ~np.isnan(times) & named.to_numpy(zero_copy_only=False)
            skipped += len(keep) - int(keep.sum())
            served += int(keep.sum())
            windows = np.maximum(0, ((end - times[keep]) // period)).astype(np.int64)
            proba = None
            if consistent:
                proba, found = _probabilities(batch.filter(keep))
                classes = classes if classes is not None or found is None else found
                consistent = proba is not None and found in (None, classes)
            predictions = batch.column("prediction").filter(keep).to_numpy(zero_copy_only=False)
            if consistent and calibrator is not None and classes and len(classes) == 2 and \
                    calibrator.positive_class in classes and proba is not None:
                scores = proba[:, classes.index(calibrator.positive_class)]
                predicted = predictions == calibrator.positive_class
                for window in np.unique(windows[windows < MAX_WINDOWS]):
                    members = windows == window
                    sums.setdefault(int(window), StreamedEstimate(calibrator)).add(
                        scores[members], predicted[members])
            kept_ids = ids.filter(keep)
            labelled = pc.is_in(kept_ids, value_set=label_ids).to_numpy(
                zero_copy_only=False) if len(label_ids) else np.zeros(len(kept_ids), dtype=bool)
            unlabelled += int((~labelled).sum())
            kept_times = times[keep]
            for at in np.flatnonzero(labelled):
                row_id = kept_ids[int(at)].as_py()
                _choose(chosen, row_id, label_us[row_id], _Serving(
                    int(kept_times[at]), served - len(windows) + int(at), _plain(predictions[at]),
                    tuple(proba[at]) if proba is not None else None))
    end_time = datetime.fromtimestamp(end / 1e6, tz=UTC)
    pairs: list[tuple[_Serving, Any]] = []
    before = late = 0
    for row_id, serving in chosen.items():
        label, arrived = latest[row_id], label_us[row_id]
        if arrived is not None and serving.time is not None and arrived < serving.time:
            before += 1
            continue
        pairs.append((serving, label.value))
        late += is_late(_time(serving.time), label.time, end_time, spec.window_days)
    notes = [f"{skipped} logged row(s) without an id or a time skipped"] if skipped else []
    notes += [note for note in (bad_lines.note(),) if note]
    if other:
        notes.append(f"{other} logged prediction(s) of other models or versions of {model} "
                     "left out")
    if not consistent:
        notes.append("the log holds no consistent probabilities: probability metrics and the "
                     "estimate are not available")
    found = tuple(classes or ())
    scored = consistent and bool(found)
    labelled_rows = LabelledWindows(
        metric_names, found, limit=MAX_WINDOWS,
        realised=bool(spec.estimate and calibrator is not None and scored and len(found) == 2
                      and calibrator.positive_class in found))
    for start in range(0, len(pairs), BATCH_ROWS):
        chunk = pairs[start:start + BATCH_ROWS]
        times = np.asarray([serving.time for serving, _ in chunk], dtype=float)
        labelled_rows.add(
            np.maximum(0, (end - times) // period).astype(np.int64),
            _objects([value for _, value in chunk]),
            _objects([serving.prediction for serving, _ in chunk]),
            np.asarray([serving.proba for serving, _ in chunk], dtype=float).reshape(
                len(chunk), len(found)) if scored else None)
    return assess_counted(
        source, labelled_rows, proba_missing=None if scored else NO_PROBABILITIES, spec=spec,
        metric_names=metric_names, registered=registered, calibrator=calibrator,
        calibrator_note=calibrator_note, positive_class=positive_class, end=end_time,
        streamed=[(w, s.rows, s) for w, s in sorted(sums.items())],
        counts=JoinCounts(
            served=served, labels=len(label_rows), matched=len(pairs),
            awaiting=unlabelled + before,
            duplicate_served=sum(s.servings - 1 for s in chosen.values()),
            duplicate_labels=duplicate_labels, conflicting_labels=conflicting,
            unmatched_labels=len(latest) - len(chosen), label_before_prediction=before,
            late=late, missing_ids=sum(1 for label in label_rows if not label.id)),
        notes=tuple(notes))


def _check_columns(parts: Sequence[ParquetPart]) -> None:
    problems = [
        Problem(part.name, 1, 1, column,
                f"the prediction log's column {column!r} is missing",
                hint=f"a Parquet prediction log holds the columns {', '.join(REQUIRED)} "
                     "(and probabilities, classes)")
        for part in parts for column in REQUIRED if column not in part.columns
    ]
    if problems:
        raise InputProblems(problems, what=f"{problems[0].file} cannot be used as a prediction "
                                           "log")


def _batches(part: ParquetPart, with_proba: bool, columns: Sequence[str] | None = None,
             bad: BadLines | None = None) -> Any:
    wanted = list(columns or (*REQUIRED, *(("probabilities", "classes") if with_proba else ())))
    if part.format == "jsonl":
        return log_batches(part, wanted, BATCH_ROWS, bad)
    return _parquet_batches(part, wanted)


def _parquet_batches(part: ParquetPart, wanted: list[str]) -> Any:
    import pyarrow as pa
    from pyarrow import parquet as pq

    try:
        parquet = pq.ParquetFile(part.path, pre_buffer=False, buffer_size=1 << 20)
        yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{part.name}: not a readable Parquet file: {error}") from None


def _ours(batch: Any, model: str, version: str) -> tuple[int, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    mine = pc.and_kleene(pc.equal(pc.cast(batch.column("model"), pa.string()), model),
                         pc.equal(pc.cast(batch.column("version"), pa.string()), version))
    return batch.num_rows, batch.filter(pc.fill_null(mine, False))


def _window_end(parts: Sequence[ParquetPart], model: str, version: str) -> float | None:
    import numpy as np

    end = None
    for part in parts:
        for batch in _batches(part, False, ("model", "version", "time")):
            _, mine = _ours(batch, model, version)
            times = _times(part, mine.column("time"))
            if len(times) and not np.isnan(times).all():
                latest = float(np.nanmax(times))
                end = latest if end is None else max(end, latest)
    return end


def _times(part: ParquetPart, column: Any) -> Any:
    """Microseconds since the epoch, as floats (NaN where there is no time)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            stamps = pc.cast(column, pa.timestamp("us", tz="UTC"))
        elif pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            stamps = pc.cast(column, pa.timestamp("us"))  # naive times are read as UTC
        else:
            text = pc.cast(column, pa.string())
            try:
                stamps = pc.cast(text, pa.timestamp("us", tz="UTC"))
            except pa.ArrowInvalid:
                stamps = pc.cast(text, pa.timestamp("us"))
        micros = pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InputProblems([Problem(
            part.name, 1, part.columns.index("time") + 1, "time",
            f"column 'time' holds a value that is not an ISO 8601 time: {error}")],
            what=f"{part.name} cannot be used as a prediction log") from None
    return np.asarray(micros, dtype=float)


def _ids(batch: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(batch.column("id"), pa.string())


def _id_array(ids: Sequence[str]) -> Any:
    import pyarrow as pa

    return pa.array(ids, type=pa.string())


def _probabilities(batch: Any) -> tuple[Any, tuple[Any, ...] | None]:
    """Rows x classes probabilities and the classes, or (None, None) when inconsistent."""
    import numpy as np
    import pyarrow.compute as pc

    if not batch.num_rows:
        return np.zeros((0, 0)), None
    proba, labels = batch.column("probabilities"), batch.column("classes")
    if proba.null_count or labels.null_count:
        return None, None
    first = tuple(labels[0].as_py())
    width = len(first)
    lengths = pc.list_value_length(proba).to_numpy(zero_copy_only=False)
    names = pc.list_flatten(labels).to_numpy(zero_copy_only=False)
    if not width or (lengths != width).any() or len(names) != width * batch.num_rows or \
            not (names.reshape(-1, width) == np.asarray(first, dtype=object)).all():
        return None, None
    values = pc.list_flatten(proba).to_numpy(zero_copy_only=False).astype(float)
    if not np.isfinite(values).all():
        return None, None
    return values.reshape(-1, width), first


def _choose(chosen: dict[str, _Serving], row_id: str, label_time: int | None,
            serving: _Serving) -> None:
    """Keep the serving the label answers: the latest not after it, else the latest."""
    current = chosen.get(row_id)
    if current is None:
        chosen[row_id] = serving
        return

    def key(row: _Serving) -> tuple[bool, float, int]:
        fits = label_time is None or row.time is None or row.time <= label_time
        return (fits, float("-inf") if row.time is None else row.time, row.index)

    best = max(current, serving, key=key)
    best.servings = current.servings + 1
    chosen[row_id] = best


def _objects(values: list[Any]) -> Any:
    """``values`` as a one-dimensional object array, whatever they are."""
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _micros_of(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1_000_000)


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else datetime.fromtimestamp(micros / 1e6, tz=UTC)
