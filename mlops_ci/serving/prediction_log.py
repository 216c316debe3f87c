"""The prediction log: what the server answered, one JSON object per line, size-rotated.

Off by default. The model server turns it on when ``MLOPS_PREDICTION_LOG`` names a file (in a
container, a mounted volume); ``MLOPS_PREDICTION_LOG_MAX_BYTES`` (default 50 MB) and
``MLOPS_PREDICTION_LOG_BACKUPS`` (default 5) bound it: before a write would take the file past
the limit, ``predictions.jsonl`` becomes ``predictions.jsonl.1`` (``.1`` becomes ``.2``, ...,
the oldest is dropped), as Python's ``RotatingFileHandler`` does. One line per served row::

    {"id":"C006001","time":"2026-11-18T06:00:00.123Z","model":"churn","version":"v1.4.0",
     "inputs":{"tenure_months":23,...},"prediction":1,"probabilities":[0.31,0.69],"classes":[0,1]}

This module holds the format (``PredictionRecord``) and the writers (``PredictionLog`` appends
and rotates, ``ServedLog`` turns answered requests into records); ``monitoring.feedback.predlog``
reads the files back for ``mlops-ci monitor``.

``id`` is the row's value in the id column (``--id-column``: a ``/predict`` row's key, or an OIP
input of that name, which is then not fed to the model), so labels that arrive later can be
joined to what was served; without one, the request's id (the OIP ``id``, else a random one) and
the row's number: ``REQUEST:ROW``. Inputs are logged as the model got them, a missing value as
``null``.

Serving comes first: a log that cannot be written is said once on stderr, and the answers go
on. Worker processes append to the same file, each line in one write; rotation is decided by
each process on its own, so with several workers a rotated file may end up a little over
the limit.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_ci.errors import UserError

if TYPE_CHECKING:
    from mlops_ci.serving.decode import Batch
    from mlops_ci.serving.predictor import Output, Predictor

ENV_PATH = "MLOPS_PREDICTION_LOG"
ENV_MAX_BYTES = "MLOPS_PREDICTION_LOG_MAX_BYTES"
ENV_BACKUPS = "MLOPS_PREDICTION_LOG_BACKUPS"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_BACKUPS = 5
JsonScalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One served row, as written to the log and read back from it."""

    id: str
    time: str  # UTC, ISO 8601 with milliseconds and a Z
    model: str
    version: str | None
    inputs: Mapping[str, JsonScalar]
    prediction: JsonScalar
    probabilities: tuple[float, ...] = ()  # in the order of ``classes``; empty: none
    classes: tuple[JsonScalar, ...] = ()

    def to_line(self) -> str:
        value = {
            "id": self.id, "time": self.time, "model": self.model, "version": self.version,
            "inputs": dict(self.inputs), "prediction": self.prediction,
            "probabilities": list(self.probabilities), "classes": list(self.classes),
        }
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                          default=_plain) + "\n"


def utc_stamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class PredictionLog:
    """Appends records to a JSON Lines file, rotating it by size. Safe across threads."""

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 backups: int = DEFAULT_BACKUPS) -> None:
        if max_bytes < 1024:
            raise UserError(f"{ENV_MAX_BYTES} must be at least 1024, got {max_bytes}")
        if backups < 0:
            raise UserError(f"{ENV_BACKUPS} must be 0 or more, got {backups}")
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> PredictionLog | None:
        """The log ``MLOPS_PREDICTION_LOG`` asks for, or ``None`` (the default: no log)."""
        where = environ.get(ENV_PATH, "").strip()
        if not where:
            return None
        return cls(Path(where), max_bytes=_int(environ, ENV_MAX_BYTES, DEFAULT_MAX_BYTES),
                   backups=_int(environ, ENV_BACKUPS, DEFAULT_BACKUPS))

    def write(self, records: Sequence[PredictionRecord]) -> None:
        """Append ``records`` (one request's rows stay together in one file)."""
        if not records:
            return
        data = "".join(record.to_line() for record in records).encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if size and size + len(data) > self.max_bytes:
                self._rotate()
            with self.path.open("ab") as handle:
                handle.write(data)

    def files(self) -> tuple[Path, ...]:
        """The log and its rotated files that exist, newest first."""
        names = [self.path] + [self._backup(n) for n in range(1, self.backups + 1)]
        return tuple(path for path in names if path.exists())

    def _backup(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{number}")

    def _rotate(self) -> None:
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        self._backup(self.backups).unlink(missing_ok=True)
        for number in range(self.backups - 1, 0, -1):
            if self._backup(number).exists():
                self._backup(number).replace(self._backup(number + 1))
        self.path.replace(self._backup(1))


def records_for_batch(
    *,
    model: str,
    version: str | None,
    ids: Sequence[str],
    rows: Sequence[Mapping[str, JsonScalar]],
    predictions: Sequence[JsonScalar],
    probabilities: Sequence[Sequence[float]] | None = None,
    classes: Sequence[JsonScalar] = (),
    clock: Callable[[], float] = time.time,
) -> list[PredictionRecord]:
    """The records of one answered request: one per row, all stamped with one time."""
    stamp = utc_stamp(clock())
    out = []
    for index, (row_id, row, prediction) in enumerate(zip(ids, rows, predictions, strict=True)):
        proba = tuple(float(v) for v in probabilities[index]) if probabilities is not None else ()
        out.append(PredictionRecord(str(row_id), stamp, model, version, row, _plain(prediction),
                                    proba, tuple(_plain(c) for c in classes)))
    return out


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
    """numpy scalars as Python ones; NaN as None (JSON has no NaN)."""
    item = getattr(value, "item", None)
    plain = item() if callable(item) else value
    if isinstance(plain, float) and not math.isfinite(plain):
        return None
    if plain is None or isinstance(plain, str | int | float | bool):
        return plain
    return str(plain)


def _int(environ: Mapping[str, str], key: str, default: int) -> int:
    text = environ.get(key, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise UserError(f"{key} must be a whole number, got {text!r}") from None
