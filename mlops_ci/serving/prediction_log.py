"""The server's side of the prediction log (``feedback.predlog``): one record per served row.

On when ``MLOPS_PREDICTION_LOG`` names a file (size and rotation: see ``feedback.predlog``),
off by default. A row's id is its value in the id column (``--id-column``: a ``/predict`` row's
key, or an OIP input of that name, which is then not fed to the model); without one, the
request's id (the OIP ``id``, else a random one) and the row's number: ``REQUEST:ROW``. Inputs
are logged as the model got them, a missing value as ``null``.

Serving comes first: a log that cannot be written is said once on stderr, and the answers go
on. Worker processes append to the same file, each line in one write; rotation is decided by
each process on its own, so with several workers a rotated file may end up a little over
the limit.
"""

from __future__ import annotations

import math
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mlops_ci.serving.decode import Batch

if TYPE_CHECKING:
    from mlops_ci.monitoring.feedback.predlog import JsonScalar, PredictionLog
    from mlops_ci.serving.predictor import Output, Predictor


class ServedLog:
    """Writes the rows of answered requests to one ``PredictionLog``."""

    def __init__(self, log: PredictionLog, predictor: Predictor,
                 clock: Callable[[], float] = time.time) -> None:
        self.log = log
        self.predictor = predictor
        self.clock = clock
        self._failed = False

    def record(self, batch: Batch, outputs: Sequence[Output]) -> None:
        """Log each row of ``batch`` with its prediction (and probabilities, if any)."""
        from mlops_ci.monitoring.feedback.predlog import records_for_batch

        by_name = {output.name: output.array for output in outputs}
        predictions = by_name["predict"].tolist()
        probabilities = by_name["predict_proba"].tolist() if "predict_proba" in by_name else None
        request = batch.request_id or uuid.uuid4().hex
        given = batch.ids or (None,) * batch.rows
        ids = [row_id if row_id is not None else f"{request}:{row}"
               for row, row_id in enumerate(given)]
        names = [column.name for column in self.predictor.columns]
        columns = [[_plain(v) for v in array.tolist()] for array in batch.arrays]
        rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
        records = records_for_batch(
            model=self.predictor.name, version=self.predictor.version, ids=ids, rows=rows,
            predictions=predictions, probabilities=probabilities,
            classes=[_plain(c) for c in self.predictor.classes or ()], clock=self.clock,
        )
        try:
            self.log.write(records)
        except (OSError, ValueError) as error:
            if not self._failed:
                self._failed = True
                sys.stderr.write(f"mlops-ci serving: cannot write the prediction log "
                                 f"{self.log.path}: {error}; serving goes on without it\n")


def _plain(value: object) -> JsonScalar:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
