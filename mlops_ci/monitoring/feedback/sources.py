"""The labelled and unlabelled production rows of one model, with what the model said about them.

Two sources, chosen by ``monitor.feedback``:

- ``prediction_log``: what the server actually answered (``predlog``), for the version in
  production (rows of other versions are counted, not used), joined by id to ``labels``;
- ``data``: production rows scored here with the production model (loaded through skops with
  its trusted types). Their target, where filled in, is the label; with ``labels`` the target
  comes from those files instead, joined by id. (Parquet or CSV ``data`` is scored in
  batches instead: by ``stream_data`` without ``labels``, by ``stream_data_join`` with them; a
  log, JSON Lines or Parquet, is read by ``stream_log``.)

Files are read with the model's column schema (``stages.dataset``), so a bad value is an
``InputProblems`` naming file, line and column; a missing id, target or timestamp column is one
too, at line 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_ci.config.model import DataSpec, FeedbackSpec
from mlops_ci.data.dataset import read_frame
from mlops_ci.errors import InputProblems, Problem, UserError
from mlops_ci.metrics import predict
from mlops_ci.monitoring.feedback.join import JoinCounts, Label, Served, join_labels
from mlops_ci.monitoring.feedback.predlog import parse_time, read_prediction_logs

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class NamedFile:
    path: Path
    name: str  # as reports show it (workspace-relative)


@dataclass(frozen=True, slots=True)
class ScoredRows:
    """Production rows with the model's answers; ``labelled`` pairs row index and label."""

    source: str
    y_pred: Any  # numpy array, one per row
    proba: Any  # numpy array rows x classes, or None
    classes: tuple[Any, ...]
    times: tuple[datetime | None, ...]
    labelled: tuple[tuple[int, Scalar], ...]
    counts: JoinCounts | None = None  # set when labels were joined by id
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.times)


def id_column_of(spec: FeedbackSpec, data: DataSpec) -> str | None:
    return spec.id_column or data.id_column


def rows_from_log(
    spec: FeedbackSpec,
    data: DataSpec,
    *,
    model: str,
    version: str,
    logs: Sequence[NamedFile],
    labels: Sequence[NamedFile],
) -> ScoredRows:
    """The logged answers of ``model`` ``version``, joined by id to the ``labels`` files."""
    import numpy as np

    read = read_prediction_logs([f.path for f in logs], names=[f.name for f in logs])
    notes: list[str] = []
    if read.bad_lines:
        notes.append(f"{read.bad_lines} unreadable prediction log line(s) skipped "
                     f"(first: {read.first_bad})")
    ours = [r for r in read.records if r.model == model]
    served = [r for r in ours if r.version == version]
    if len(ours) > len(served):
        notes.append(f"{len(ours) - len(served)} logged prediction(s) of other versions of "
                     f"{model} left out")
    if not served:
        raise UserError(
            f"the prediction log ({', '.join(f.name for f in logs)}) holds no prediction of "
            f"{model} {version}",
            hint="check MLOPS_PREDICTION_LOG on the server and monitor.feedback.prediction_log",
        )
    classes = served[-1].classes
    has_proba = all(len(r.probabilities) == len(classes) and r.classes == classes and classes
                    for r in served)
    proba = np.asarray([r.probabilities for r in served], dtype=float) if has_proba else None
    if not has_proba:
        notes.append("the log holds no consistent probabilities: probability metrics and the "
                     "estimate are not available")
    rows = [Served(r.id, parse_time(r.time), index) for index, r in enumerate(served)]
    label_rows = read_labels(labels, data, spec)
    joined = join_labels(rows, label_rows, window_days=spec.window_days)
    return ScoredRows(
        source=", ".join(f.name for f in logs),
        y_pred=np.asarray([r.prediction for r in served], dtype=object),
        proba=proba,
        classes=tuple(classes),
        times=tuple(row.time for row in rows),
        labelled=joined.labelled,
        counts=joined.counts,
        notes=tuple(notes),
    )


def rows_from_data(
    spec: FeedbackSpec,
    data: DataSpec,
    *,
    model_object: object,
    files: Sequence[NamedFile],
    labels: Sequence[NamedFile],
) -> ScoredRows:
    """The ``files`` scored with ``model_object``; labels from their target or ``labels``."""
    import numpy as np
    import pandas as pd


    id_column = id_column_of(spec, data)
    frames = []
    for named in files:
        frame = read_frame(data, named.path)
        if labels and id_column not in frame.columns:
            raise _missing(named.name, id_column or "", "the id column joining the labels")
        if spec.timestamp_column and spec.timestamp_column not in frame.columns:
            raise _missing(named.name, spec.timestamp_column, "monitor.feedback.timestamp_column")
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    drop = [c for c in (data.target, data.id_column, id_column, spec.timestamp_column)
            if c and c in table.columns]
    features = table.drop(columns=list(dict.fromkeys(drop)))
    target = table[data.target] if data.target in table.columns else None
    predictions = predict(model_object, features, np.zeros(len(table)), "classification")
    times = tuple(
        parse_time(str(value)) if present(value) else None
        for value in (table[spec.timestamp_column] if spec.timestamp_column
                      else [None] * len(table))
    )
    counts = None
    if labels:
        ids = [row_id_text(value) for value in table[id_column]]
        served = [Served(row_id, time, i) for i, (row_id, time) in enumerate(zip(ids, times,
                                                                                strict=True))]
        joined = join_labels(served, read_labels(labels, data, spec),
                             window_days=spec.window_days)
        labelled, counts = joined.labelled, joined.counts
    elif target is not None:
        labelled = tuple((i, plain_label(v)) for i, v in enumerate(target) if present(v))
    else:
        labelled = ()
    return ScoredRows(
        source=", ".join(f.name for f in files),
        y_pred=predictions.y_pred,
        proba=predictions.proba,
        classes=predictions.classes,
        times=times,
        labelled=labelled,
        counts=counts,
        notes=(predictions.proba_missing,) if predictions.proba_missing else (),
    )


def read_labels(files: Sequence[NamedFile], data: DataSpec, spec: FeedbackSpec) -> list[Label]:
    """Every label row of ``files``: id, target value, arrival time (when the column is set)."""

    id_column = id_column_of(spec, data)
    if files and id_column is None:
        raise UserError(
            "monitor.feedback.labels needs an id column to join them by",
            hint="set monitor.feedback.id_column or data.id_column",
        )
    out: list[Label] = []
    for named in files:
        frame = read_frame(data, named.path)
        for column, what in ((id_column, "the id column"), (data.target, "the target column")):
            if column not in frame.columns:
                raise _missing(named.name, column or "", what)
        stamps = (frame[spec.timestamp_column] if spec.timestamp_column
                  and spec.timestamp_column in frame.columns else [None] * len(frame))
        for row_id, value, stamp in zip(frame[id_column], frame[data.target], stamps,
                                        strict=True):
            if not present(value):
                continue
            out.append(Label(
                row_id_text(row_id), plain_label(value),
                parse_time(str(stamp)) if present(stamp) else None, len(out),
            ))
    return out


def _missing(name: str, column: str, what: str) -> InputProblems:
    return InputProblems(
        [Problem(name, 1, 1, column, f"{what} {column!r} is missing")],
        what=f"{name} cannot be used as feedback",
    )


def present(value: object) -> bool:
    """Whether a cell holds a value: not None, NaN or NaT."""
    if value is None:
        return False
    try:
        return not bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return True


def row_id_text(value: object) -> str | None:
    """A cell of an id column as the text ids are joined by, None when it holds none. Whole
    floats read as ints: a numeric id column with an empty cell is read as floats (``5.0``),
    and must still meet the ``5`` of a file without gaps."""
    return str(plain_label(value)) if present(value) else None


def plain_label(value: object) -> Scalar:
    """A cell as a plain label: numpy scalars unwrapped, whole floats as ints."""
    item = getattr(value, "item", None)
    plain = item() if callable(item) else value
    if isinstance(plain, float) and plain.is_integer():
        return int(plain)  # an int target read as float because of empty cells
    if isinstance(plain, str | int | float | bool):
        return plain
    return str(plain)
