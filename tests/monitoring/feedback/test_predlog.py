"""The prediction log: off by default, JSON Lines, rotated by size, read back defensively."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.monitoring.feedback.predlog import (
    PredictionLog,
    read_prediction_logs,
    records_for_batch,
)


def batch(first: int, rows: int) -> list:  # type: ignore[type-arg]
    return records_for_batch(
        model="churn", version="v1.0.0",
        ids=[f"C{first + i:06d}" for i in range(rows)],
        rows=[{"tenure_months": i, "region": "west"} for i in range(rows)],
        predictions=[i % 2 for i in range(rows)],
        probabilities=[[0.4, 0.6]] * rows, classes=[0, 1], clock=lambda: 1_795_000_000.25,
    )


def test_the_log_is_off_unless_the_environment_names_a_file(tmp_path: Path) -> None:
    assert PredictionLog.from_environ({}) is None
    log = PredictionLog.from_environ({"MLOPS_PREDICTION_LOG": str(tmp_path / "p.jsonl"),
                                      "MLOPS_PREDICTION_LOG_MAX_BYTES": "4096"})
    assert log is not None and log.max_bytes == 4096
    with pytest.raises(UserError, match="MLOPS_PREDICTION_LOG_MAX_BYTES"):
        PredictionLog.from_environ({"MLOPS_PREDICTION_LOG": "x", "MLOPS_PREDICTION_LOG_MAX_BYTES":
                                    "lots"})


def test_rotation_keeps_files_under_the_limit_and_drops_the_oldest(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "predictions.jsonl", max_bytes=2048, backups=2)
    for start in range(0, 200, 10):
        log.write(batch(start, 10))

    files = log.files()
    assert [p.name for p in files] == ["predictions.jsonl", "predictions.jsonl.1",
                                       "predictions.jsonl.2"]
    assert all(p.stat().st_size <= 2048 for p in files)
    read = read_prediction_logs(list(files))
    ids = sorted(r.id for r in read.records)
    assert ids[-1] == "C000199"  # the newest rows are kept
    assert "C000000" not in ids  # the oldest rotated away
    assert read.bad_lines == 0


def test_a_line_cut_short_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "predictions.jsonl"
    PredictionLog(path).write(batch(1, 2))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "C9", "time": "2026-11-18T0')

    read = read_prediction_logs([path], names=["logs/predictions.jsonl"])

    assert len(read.records) == 2
    assert read.records[0].probabilities == (0.4, 0.6)
    assert read.records[0].time == "2026-11-18T11:06:40.250Z"
    assert read.bad_lines == 1
    assert read.first_bad is not None and read.first_bad.startswith("logs/predictions.jsonl:3:")
