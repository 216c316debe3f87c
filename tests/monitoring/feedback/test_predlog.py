"""The prediction log read back defensively: a line cut short is skipped and named."""

from __future__ import annotations

from pathlib import Path

from mlops_ci.monitoring.feedback.predlog import read_prediction_logs
from mlops_ci.serving.prediction_log import PredictionLog
from tests.serving.test_prediction_log import batch


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
