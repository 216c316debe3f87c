"""Prediction logs in JSON Lines read in batches, as the columns of a Parquet log.

The server writes JSON Lines (``serving.prediction_log``); ``stream_log`` measures a log in
batches of RecordBatches holding the columns of a Parquet log (``LOG_COLUMNS``). This module
turns a JSON Lines file into those batches, so one pipeline measures both:

- the file is read in chunks of 1 MiB and cut at newlines (memory holds a chunk, the longest
  line, and one batch of records), each line decoded as UTF-8 (a bad byte replaced);
- each line is judged by ``predlog.parse_line``, the rule of the whole-file read: a line that
  is not such a record (a crash mid-write leaves half a line) is skipped and counted in a
  ``BadLines`` tally with the first one's ``file:line: why``, as ``read_prediction_logs``
  does (blank lines are neither records nor counted);
- a record's columns: ``id``, ``model`` and ``version`` as text, ``time`` a UTC timestamp
  (``predlog.parse_time``'s reading of it), ``prediction`` as pyarrow reads the batch's values
  (as text when a batch mixes kinds, such as numbers and words), ``probabilities`` a list of
  numbers and ``classes`` a list (both null when the record has none).

A log of Parquet files and JSON Lines files together is a ``UserError``: a log is written in
one format (``log_format``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlops_ci.data.stream import DataPart, open_parts
from mlops_ci.errors import UserError
from mlops_ci.monitoring.feedback.predlog import parse_line, parse_time
from mlops_ci.monitoring.feedback.sources import NamedFile
from mlops_ci.serving.prediction_log import PredictionRecord

LOG_COLUMNS = ("id", "time", "model", "version", "prediction", "probabilities", "classes")
PARQUET_SUFFIXES = (".parquet", ".pq")
_CHUNK = 1 << 20


@dataclass(slots=True)
class BadLines:
    """The lines of a log that are not records, as far as read."""

    count: int = 0
    first: str | None = None  # "file:line: why" of the first one

    def add(self, name: str, line: int, why: str) -> None:
        self.count += 1
        self.first = self.first or f"{name}:{line}: {why}"

    def note(self) -> str | None:
        """The report's note, worded as the whole-file read words it; None without any."""
        if not self.count:
            return None
        return f"{self.count} unreadable prediction log line(s) skipped (first: {self.first})"


def log_format(logs: Sequence[NamedFile]) -> Literal["parquet", "jsonl"]:
    """Parquet when every file is Parquet, JSON Lines when none is; a mix is a ``UserError``."""
    parquet = [f for f in logs if f.path.suffix.lower() in PARQUET_SUFFIXES]
    if parquet and len(parquet) != len(logs):
        other = next(f for f in logs if f not in parquet)
        raise UserError(f"{other.name}: the prediction log mixes Parquet ({parquet[0].name}) "
                        "with another format", hint="write every log file in one format")
    return "parquet" if parquet else "jsonl"


def open_log_parts(logs: Sequence[NamedFile]) -> tuple[DataPart, ...]:
    """The log's files as parts of one dataset (Parquet: their footers; JSON Lines: the
    columns every record has, and the file's lines as its rows)."""
    if log_format(logs) == "parquet":
        return open_parts([f.path for f in logs], [f.name for f in logs], "parquet")
    return tuple(DataPart(f.path, f.name, _count_lines(f), LOG_COLUMNS, (), "jsonl")
                 for f in logs)


def log_batches(
    part: DataPart, columns: Sequence[str], batch_rows: int, bad: BadLines | None = None
) -> Iterator[Any]:
    """The records of a JSON Lines file as RecordBatches of ``columns`` (of ``LOG_COLUMNS``),
    at most ``batch_rows`` records each; lines that are not records counted in ``bad``."""
    records: list[PredictionRecord] = []
    for number, line in _lines(part):
        if not line.strip():
            continue
        record, why = parse_line(line)
        if record is None:
            if bad is not None:
                bad.add(part.name, number, why)
            continue
        records.append(record)
        if len(records) == batch_rows:
            yield _batch(records, columns)
            records = []
    if records:
        yield _batch(records, columns)


def _lines(part: DataPart) -> Iterator[tuple[int, str]]:
    """Each line of the file with its number (1-based), cut at ``\\n``, in bounded memory."""
    number = 0
    carry = b""
    try:
        with part.path.open("rb") as raw:
            while chunk := raw.read(_CHUNK):
                pieces = (carry + chunk).split(b"\n")
                carry = pieces.pop()
                for piece in pieces:
                    number += 1
                    yield number, piece.decode("utf-8", errors="replace").rstrip("\r")
    except OSError as error:
        raise UserError(f"{part.name}: cannot read the prediction log: {error}") from None
    if carry:
        yield number + 1, carry.decode("utf-8", errors="replace").rstrip("\r")


def _count_lines(named: NamedFile) -> int:
    lines = 0
    last = b"\n"
    try:
        with named.path.open("rb") as raw:
            while chunk := raw.read(_CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError as error:
        raise UserError(f"{named.name}: cannot read the prediction log: {error}") from None
    return lines + (last != b"\n")


def _batch(records: Sequence[PredictionRecord], columns: Sequence[str]) -> Any:
    import pyarrow as pa

    makers = {
        "id": lambda: pa.array([r.id for r in records], pa.string()),
        "time": lambda: pa.array([parse_time(r.time) for r in records],
                                 pa.timestamp("us", tz="UTC")),
        "model": lambda: pa.array([r.model for r in records], pa.string()),
        "version": lambda: pa.array([r.version for r in records], pa.string()),
        "prediction": lambda: _values([r.prediction for r in records]),
        "probabilities": lambda: pa.array(
            [list(r.probabilities) or None for r in records], pa.list_(pa.float64())),
        "classes": lambda: _lists([list(r.classes) or None for r in records]),
    }
    return pa.record_batch([makers[name]() for name in columns], names=list(columns))


def _values(values: list[Any]) -> Any:
    """One column of JSON scalars: as pyarrow reads them, else (mixed kinds) as text."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _lists(values: list[list[Any] | None]) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else [str(x) for x in v] for v in values],
                        pa.list_(pa.string()))
