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
   pairs are known only at the end); a row whose id has no label is counted and dropped. That
   join is ``stream_join.LabelJoin``, which ``stream_data_join`` uses too for ``feedback.data``
   joined to labels by id.

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
from typing import Any

from mlops_ci.config.model import ClassLabel, DataSpec, FeedbackSpec
from mlops_ci.data.stream import BATCH_ROWS, DataPart
from mlops_ci.errors import InputProblems, Problem, UserError
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.check import FeedbackCheck, assess_counted
from mlops_ci.monitoring.feedback.live_counts import NO_PROBABILITIES
from mlops_ci.monitoring.feedback.log_lines import (
    BadLines,
    log_batches,
    open_log_parts,
)
from mlops_ci.monitoring.feedback.sources import NamedFile, read_labels
from mlops_ci.monitoring.feedback.stream_cbpe import StreamedEstimate
from mlops_ci.monitoring.feedback.stream_join import (
    LabelJoin,
    add_estimates,
    moment_of,
    windows_of,
)

REQUIRED = ("id", "time", "model", "version", "prediction")


def assess_log(
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
    """Live quality and estimates of ``model`` ``version`` from its logs, read in batches (see
    module)."""
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
    join = LabelJoin(read_labels(labels, data, spec))
    sums: dict[int, StreamedEstimate] = {}
    classes: tuple[Any, ...] | None = None
    consistent = with_proba
    skipped = other = 0
    bad_lines = BadLines()
    for part in parts:
        for batch in _batches(part, with_proba, bad=bad_lines):
            total, batch = _ours(batch, model, version)
            other += total - batch.num_rows
            ids, times = _ids(batch), _times(part, batch.column("time"))
            named = pc.fill_null(pc.greater(pc.utf8_length(ids), 0), False)
            keep = ~np.isnan(times) & named.to_numpy(zero_copy_only=False)
            skipped += len(keep) - int(keep.sum())
            windows = windows_of(times[keep], end, spec.window_days)
            proba = None
            if consistent:
                proba, found = _probabilities(batch.filter(keep))
                classes = classes if classes is not None or found is None else found
                consistent = proba is not None and found in (None, classes)
            predictions = batch.column("prediction").filter(keep).to_numpy(zero_copy_only=False)
            add_estimates(sums, calibrator, classes or (), proba if consistent else None,
                          predictions, windows)
            join.add(ids.filter(keep), times[keep], predictions, proba if consistent else None)
    end_time = moment_of(end)
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
    labelled_rows, counts = join.finish(
        metric_names, found, scored=scored, end=end_time, window_days=spec.window_days,
        realised=bool(spec.estimate and calibrator is not None and scored and len(found) == 2
                      and calibrator.positive_class in found))
    return assess_counted(
        source, labelled_rows, proba_missing=None if scored else NO_PROBABILITIES, spec=spec,
        metric_names=metric_names, registered=registered, calibrator=calibrator,
        calibrator_note=calibrator_note, positive_class=positive_class, end=end_time,
        streamed=[(w, s.rows, s) for w, s in sorted(sums.items())], counts=counts,
        notes=tuple(notes))


def _check_columns(parts: Sequence[DataPart]) -> None:
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


def _batches(part: DataPart, with_proba: bool, columns: Sequence[str] | None = None,
             bad: BadLines | None = None) -> Any:
    wanted = list(columns or (*REQUIRED, *(("probabilities", "classes") if with_proba else ())))
    if part.format == "jsonl":
        return log_batches(part, wanted, BATCH_ROWS, bad)
    return _parquet_batches(part, wanted)


def _parquet_batches(part: DataPart, wanted: list[str]) -> Any:
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


def _window_end(parts: Sequence[DataPart], model: str, version: str) -> float | None:
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


def _times(part: DataPart, column: Any) -> Any:
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
