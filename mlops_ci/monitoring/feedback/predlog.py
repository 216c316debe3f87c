"""Reading the prediction log back: every well-formed record, bad lines skipped and counted.

The server writes the log (its format, file names and rotation: ``serving.prediction_log``);
``mlops-ci monitor`` reads the files ``monitor.feedback.prediction_log`` names (rotated ones
included) so labels that arrive later can be joined by ``id`` to what was served. Reading never
trusts the file: a line that is not such an object (a crash mid-write leaves half a line) is
skipped and counted, with the first one's ``file:line`` for the report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mlops_ci.errors import UserError
from mlops_ci.serving.prediction_log import PredictionRecord


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
            record, why = parse_line(line)
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


def parse_line(line: str) -> tuple[PredictionRecord | None, str]:
    """One line as a record, or None and why it is not one (``read_prediction_logs``'s rule)."""
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
