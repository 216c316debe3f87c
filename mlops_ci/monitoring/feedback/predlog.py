"""The prediction log: what the server answered, one JSON object per line, size-rotated.

Off by default. The model server turns it on when ``MLOPS_PREDICTION_LOG`` names a file (in a
container, a mounted volume); ``MLOPS_PREDICTION_LOG_MAX_BYTES`` (default 50 MB) and
``MLOPS_PREDICTION_LOG_BACKUPS`` (default 5) bound it: before a write would take the file past
the limit, ``predictions.jsonl`` becomes ``predictions.jsonl.1`` (``.1`` becomes ``.2``, ...,
the oldest is dropped), as Python's ``RotatingFileHandler`` does. One line per served row::

    {"id":"C006001","time":"2026-11-18T06:00:00.123Z","model":"churn","version":"v1.4.0",
     "inputs":{"tenure_months":23,...},"prediction":1,"probabilities":[0.31,0.69],"classes":[0,1]}

``id`` is the row's id column (or the request id and row number) so labels that arrive later can
be joined to what was served; ``mlops-ci monitor`` reads the files ``monitor.feedback.
prediction_log`` names (rotated ones included). Reading never trusts the file: a line that is
not such an object (a crash mid-write leaves half a line) is skipped and counted, with the first
one's ``file:line`` for the report.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mlops_ci.errors import UserError

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


@dataclass(frozen=True, slots=True)
class LogRead:
    records: tuple[PredictionRecord, ...]
    bad_lines: int = 0
    first_bad: str | None = None  # "file:line: why" of the first skipped line


def read_prediction_logs(paths: Sequence[Path], *, names: Sequence[str] | None = None) -> LogRead:
    """Every well-formed record of ``paths``; bad lines skipped and counted (never raises)."""
    records: list[PredictionRecord] = []
    bad = 0
    first: str | None = None
    shown = list(names) if names is not None else [str(path) for path in paths]
    for path, name in zip(paths, shown, strict=True):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as error:
            raise UserError(f"{name}: cannot read the prediction log: {error}") from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            record, why = _parse(line)
            if record is None:
                bad += 1
                first = first or f"{name}:{number}: {why}"
            else:
                records.append(record)
    return LogRead(tuple(records), bad, first)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (naive times are read as UTC), else None."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse(line: str) -> tuple[PredictionRecord | None, str]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None, "not JSON (a line cut short?)"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    row_id, stamp, model = value.get("id"), value.get("time"), value.get("model")
    if not isinstance(row_id, str | int) or isinstance(row_id, bool) or str(row_id) == "":
        return None, "no id"
    if not isinstance(stamp, str) or parse_time(stamp) is None:
        return None, "no ISO 8601 time"
    if not isinstance(model, str):
        return None, "no model name"
    version = value.get("version")
    proba = value.get("probabilities") or []
    classes = value.get("classes") or []
    inputs = value.get("inputs") or {}
    if not (isinstance(proba, list) and all(_finite(p) for p in proba)):
        return None, "probabilities must be finite numbers"
    if not isinstance(classes, list) or (proba and len(proba) != len(classes)):
        return None, "one probability per class is needed"
    if not isinstance(inputs, dict):
        return None, "inputs must be an object"
    prediction = value.get("prediction")
    if isinstance(prediction, list | dict):
        return None, "prediction must be a single value"
    return PredictionRecord(
        str(row_id), stamp, model, version if isinstance(version, str) else None, inputs,
        prediction, tuple(float(p) for p in proba),
        tuple(c for c in classes if not isinstance(c, list | dict)),
    ), ""


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
