"""``monitor.feedback.data`` in Parquet or CSV, scored in batches: estimates in bounded memory.

When every ``feedback.data`` file is Parquet or CSV (``is_streamed_data``) and no
``feedback.labels`` are joined (the label is the rows' own target column), the files are read
in batches of ``BATCH_ROWS`` rows (``data.stream.record_batches``: ``ParquetFile.iter_batches``,
or ``pyarrow.csv.open_csv`` with each column typed as the whole-file read types it) instead of
whole:

1. the footers (CSV: the header lines) first: a column the production model was fitted on
   (``feature_names_in_``) or the ``timestamp_column`` missing from a file is an
   ``InputProblems`` naming the file and the column (exit 2), before any row is scored;
2. with a ``timestamp_column``, one pass over that column alone finds the latest time, which
   ends window 0;
3. each batch is typed as ``read_frame`` types the whole file (``dataset.typed_frame``),
   scored with the model (``metrics.predict``, as in memory) and dropped: its scores go to its
   window's ``StreamedEstimate`` (``stream_cbpe``, tolerance documented there), and its
   labelled rows (target filled in) to their window's counts (``live_windows``): confusion
   counts, sums of log loss and Brier terms, binned scores. No row is kept.

At the end ``check.assess_counted`` judges the counts as ``assess`` judges rows in memory: the
live metrics counted are exact, ROC AUC and average precision binned (``live_counts``, its
tolerance), the estimates within ``stream_cbpe``'s tolerance. Memory does not grow with the
rows, scored or labelled: one batch, and per window counts of a fixed size (they grow with the
classes). With ``feedback.labels`` (a join by id), ``stream_data_join`` reads the files in the
same batches (``check_columns``, ``window_end``, ``frames``) and joins them as a prediction log
is joined.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from mlops_ci.config.model import ClassLabel, DataSpec, FeedbackSpec
from mlops_ci.data.dataset import typed_frame
from mlops_ci.data.stream import BATCH_ROWS, DataPart, open_parts, record_batches
from mlops_ci.errors import InputProblems, Problem
from mlops_ci.metrics import predict
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.check import MAX_WINDOWS, FeedbackCheck, assess_counted
from mlops_ci.monitoring.feedback.join import window_of
from mlops_ci.monitoring.feedback.live_counts import NO_PROBABILITIES
from mlops_ci.monitoring.feedback.live_windows import LabelledWindows
from mlops_ci.monitoring.feedback.predlog import parse_time
from mlops_ci.monitoring.feedback.sources import NamedFile, id_column_of, present
from mlops_ci.monitoring.feedback.stream_cbpe import StreamedEstimate
from mlops_ci.monitoring.feedback.stream_join import add_estimates

STREAMED_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv")


def is_streamed_data(files: Sequence[NamedFile]) -> bool:
    """True when ``files`` are all Parquet or CSV: read in batches, here when their own target
    is the label, by ``stream_data_join`` when ``feedback.labels`` are joined by id."""
    return bool(files) and all(
        f.path.suffix.lower() in STREAMED_SUFFIXES for f in files)


def assess_streamed_data(
    spec: FeedbackSpec,
    data: DataSpec,
    *,
    model_object: object,
    files: Sequence[NamedFile],
    metric_names: Sequence[str],
    registered: Mapping[str, float],
    calibrator: Calibrator | None,
    calibrator_note: str | None,
    positive_class: ClassLabel | None,
) -> FeedbackCheck:
    """Live quality and estimates of the rows of ``files`` scored with ``model_object``."""
    import numpy as np

    parts = open_parts([f.path for f in files], [f.name for f in files], data.format)
    check_columns(parts, model_object, spec.timestamp_column)
    end = window_end(parts, spec.timestamp_column, data)
    drop = [c for c in (data.target, data.id_column, id_column_of(spec, data),
                        spec.timestamp_column) if c]
    sums: dict[int, StreamedEstimate] = {}
    labelled_rows: LabelledWindows | None = None
    scoring = Scoring()
    for frame, scored in scoring.frames(parts, data, model_object, drop):
        classes = scored.classes
        windows = np.zeros(len(frame), dtype=int)  # without times, all rows are one window
        if spec.timestamp_column:
            windows = np.asarray([
                window_of(parse_time(str(v)) if present(v) else None, end, spec.window_days)
                for v in frame[spec.timestamp_column]], dtype=int)
        add_estimates(sums, calibrator, classes, scored.proba, scored.y_pred, windows)
        if data.target not in frame.columns:
            continue
        if labelled_rows is None:
            realised = (spec.estimate and calibrator is not None and len(classes) == 2
                        and calibrator.positive_class in classes)
            labelled_rows = LabelledWindows(metric_names, classes, realised=realised,
                                            limit=MAX_WINDOWS)
        target = frame[data.target]
        labelled = np.flatnonzero(target.notna().to_numpy())
        labelled_rows.add(windows[labelled], target.to_numpy(dtype=object)[labelled],
                          np.asarray(scored.y_pred)[labelled],
                          None if scored.proba is None else scored.proba[labelled])
    return assess_counted(
        ", ".join(f.name for f in files),
        labelled_rows or LabelledWindows(metric_names, scoring.classes, realised=False,
                                         limit=MAX_WINDOWS),
        proba_missing=None if scoring.has_proba else NO_PROBABILITIES, spec=spec,
        metric_names=metric_names, registered=registered, calibrator=calibrator,
        calibrator_note=calibrator_note, positive_class=positive_class, end=end,
        streamed=[(w, s.rows, s) for w, s in sorted(sums.items())], notes=scoring.notes)


class Scoring:
    """The rows of parts, batch by batch, scored with the model; what the batches said of the
    model's outputs (its classes, whether every batch had probabilities, and why not)."""

    def __init__(self) -> None:
        self.classes: tuple[Any, ...] = ()
        self.notes: tuple[str, ...] = ()
        self.has_proba = True

    def frames(self, parts: Sequence[DataPart], data: DataSpec, model_object: object,
               drop: Sequence[str]) -> Iterator[tuple[Any, Any]]:
        """Each batch of ``parts`` typed as read whole (``frames``) with its ``predict``ion,
        the columns in ``drop`` left out of the features."""
        import numpy as np

        left_out = list(dict.fromkeys(drop))
        for part in parts:
            for frame in frames(part, data):
                features = frame.drop(columns=[c for c in left_out if c in frame.columns])
                scored = predict(model_object, features, np.zeros(len(frame)), "classification")
                self.classes = scored.classes
                if scored.proba is None:
                    self.has_proba = False
                    self.notes = (scored.proba_missing,) if scored.proba_missing else ()
                yield frame, scored


def check_columns(parts: Sequence[DataPart], model: object, timestamp: str | None,
                  id_column: str | None = None) -> None:
    """Each column the rows need, in every file's footer or header, else ``InputProblems``."""
    names = getattr(model, "feature_names_in_", None)
    wanted = [str(name) for name in names] if names is not None else []
    problems = [
        Problem(part.name, 1, 1, column, f"the model's column {column!r} is missing",
                hint="the production rows must hold every column the model was trained on")
        for part in parts for column in wanted if column not in part.columns
    ]
    if timestamp:
        problems += [
            Problem(part.name, 1, 1, timestamp, f"monitor.feedback.timestamp_column "
                                                f"{timestamp!r} is missing")
            for part in parts if timestamp not in part.columns
        ]
    if id_column:
        problems += [
            Problem(part.name, 1, 1, id_column,
                    f"the id column joining the labels {id_column!r} is missing")
            for part in parts if id_column not in part.columns
        ]
    if problems:
        raise InputProblems(problems, what=f"{problems[0].file} cannot be used as feedback")


def window_end(parts: Sequence[DataPart], timestamp: str | None,
                data: DataSpec) -> datetime | None:
    """The latest time of the ``timestamp`` column (one pass over it alone), which ends window
    0; None without one."""
    if not timestamp:
        return None
    end = None
    for part in parts:
        for batch in _batches(part, [timestamp], data):
            for value in batch.column(0).to_pandas():
                moment = parse_time(str(value)) if present(value) else None
                if moment is not None and (end is None or moment > end):
                    end = moment
    return end


def frames(part: DataPart, data: DataSpec) -> Iterator[Any]:
    """The batches of ``part`` as pandas frames typed as ``read_frame`` types the file."""
    first_row = 0
    for batch in _batches(part, None, data):
        yield typed_frame(data, part.header, batch, first_row=first_row)
        first_row += batch.num_rows


def _batches(part: DataPart, columns: list[str] | None, data: DataSpec) -> Iterator[Any]:
    return record_batches(part, columns, {c.name: c.dtype for c in data.columns}, BATCH_ROWS)
