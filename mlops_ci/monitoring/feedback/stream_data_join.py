"""``monitor.feedback.data`` joined to ``feedback.labels`` by id, scored in batches.

When every ``feedback.data`` file is Parquet or CSV and ``feedback.labels`` are set, the files
are read as ``stream_data`` reads them (the footers or header lines first: a missing model
column, ``timestamp_column`` or id column is an ``InputProblems`` naming the file and the
column, exit 2, before any row is scored; one pass over the timestamp column for the latest
time, which ends window 0), and each batch, typed as the whole-file read types it, is scored
with the production model. Each scored batch is then what a prediction log's batch is to
``stream_log``: ids, times, predictions and probabilities, handed to the same
``stream_join.LabelJoin`` (labels held by id; the serving each labelled id's label answers kept
by the rules of ``join``; unlabelled rows counted and dropped), and its scores go to its
window's ``StreamedEstimate``. ``check.assess_counted`` judges the counts at the end.

As in the whole-file read (``sources.rows_from_data`` + ``join.join_labels``): a row without a
time is in window 0 and still joined; a row without an id is counted in ``served`` and
``missing_ids``, scored for the estimate and not joined. What differs is ``stream_log``'s
documented difference: an id scored more than once is counted in ``duplicate_served`` only
when it is labelled, so ``awaiting`` counts rows, not ids, of unlabelled rows. Memory grows
with the number of labels, not with the data rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlops_ci.config.model import ClassLabel, DataSpec, FeedbackSpec
from mlops_ci.data.stream import open_parts
from mlops_ci.errors import UserError
from mlops_ci.monitoring.feedback.calibration import Calibrator
from mlops_ci.monitoring.feedback.check import FeedbackCheck, assess_counted
from mlops_ci.monitoring.feedback.live_counts import NO_PROBABILITIES
from mlops_ci.monitoring.feedback.predlog import parse_time
from mlops_ci.monitoring.feedback.sources import (
    NamedFile,
    id_column_of,
    present,
    read_labels,
    row_id_text,
)
from mlops_ci.monitoring.feedback.stream_cbpe import StreamedEstimate
from mlops_ci.monitoring.feedback.stream_data import Scoring, check_columns, window_end
from mlops_ci.monitoring.feedback.stream_join import (
    LabelJoin,
    add_estimates,
    micros_of,
    windows_of,
)


def assess_joined_data(
    spec: FeedbackSpec,
    data: DataSpec,
    *,
    model_object: object,
    files: Sequence[NamedFile],
    labels: Sequence[NamedFile],
    metric_names: Sequence[str],
    registered: Mapping[str, float],
    calibrator: Calibrator | None,
    calibrator_note: str | None,
    positive_class: ClassLabel | None,
) -> FeedbackCheck:
    """Live quality and estimates of the rows of ``files`` scored with ``model_object`` and
    joined by id to ``labels`` (see module)."""
    import numpy as np
    import pyarrow as pa

    id_column = id_column_of(spec, data)
    if id_column is None:
        raise UserError(
            "monitor.feedback.labels needs an id column to join them by",
            hint="set monitor.feedback.id_column or data.id_column",
        )
    parts = open_parts([f.path for f in files], [f.name for f in files], data.format)
    check_columns(parts, model_object, spec.timestamp_column, id_column)
    join = LabelJoin(read_labels(labels, data, spec))
    end = window_end(parts, spec.timestamp_column, data)
    end_us = micros_of(end)
    drop = [c for c in (data.target, data.id_column, id_column, spec.timestamp_column) if c]
    sums: dict[int, StreamedEstimate] = {}
    rows = without_id = 0
    scoring = Scoring()
    for frame, scored in scoring.frames(parts, data, model_object, drop):
        times = np.full(len(frame), np.nan)
        if spec.timestamp_column:
            times = np.asarray([_micros(v) for v in frame[spec.timestamp_column]],
                               dtype=float)
        predictions = np.asarray(scored.y_pred)
        add_estimates(sums, calibrator, scored.classes, scored.proba, predictions,
                      windows_of(times, end_us, spec.window_days))
        ids = [row_id_text(v) or "" for v in frame[id_column]]
        named = np.asarray([bool(i) for i in ids], dtype=bool)
        rows += len(frame)
        without_id += len(frame) - int(named.sum())
        join.add(pa.array([i for i in ids if i], type=pa.string()), times[named],
                 predictions[named], None if scored.proba is None else scored.proba[named])
    classes = scoring.classes
    labelled_rows, counts = join.finish(
        metric_names, classes, scored=scoring.has_proba, end=end,
        window_days=spec.window_days, served=rows, missing_ids=without_id,
        realised=bool(spec.estimate and calibrator is not None and scoring.has_proba
                      and len(classes) == 2 and calibrator.positive_class in classes))
    return assess_counted(
        ", ".join(f.name for f in files), labelled_rows,
        proba_missing=None if scoring.has_proba else NO_PROBABILITIES, spec=spec,
        metric_names=metric_names, registered=registered, calibrator=calibrator,
        calibrator_note=calibrator_note, positive_class=positive_class, end=end,
        streamed=[(w, s.rows, s) for w, s in sorted(sums.items())], counts=counts,
        notes=scoring.notes)


def _micros(value: object) -> float:
    """A timestamp cell as microseconds since the epoch, NaN when it holds no time."""
    moment = parse_time(str(value)) if present(value) else None
    found = micros_of(moment)
    return float("nan") if found is None else float(found)
