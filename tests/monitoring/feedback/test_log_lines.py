"""Prediction logs in JSON Lines, streamed (``log_lines`` into ``stream_log``): the results of
the log read whole (``rows_from_log`` + ``assess``), in batches of 1,000 records here.

The log of ``test_stream_log`` (duplicates, conflicting labels, another version, a record
without an id), with a line cut short and a line that is no object added, and rotated into two
files as the server rotates it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlops_ci.data.stream import DataPart
from mlops_ci.errors import UserError
from mlops_ci.monitoring.feedback import stream_log
from mlops_ci.monitoring.feedback.check import assess
from mlops_ci.monitoring.feedback.log_lines import LOG_COLUMNS, BadLines, log_batches
from mlops_ci.monitoring.feedback.sources import rows_from_log
from mlops_ci.monitoring.feedback.stream_cbpe import AUC_TOLERANCE
from mlops_ci.monitoring.feedback.stream_log import assess_log
from tests.monitoring.feedback.counted import allowed
from tests.monitoring.feedback.test_stream_log import (
    DATA,
    METRICS,
    SPEC,
    _log,
    _model,
    _named,
    _write,
)


def _write_rotated(root: Path, records: list[dict[str, Any]],
                   labels: list[dict[str, Any]]) -> None:
    """The records as ``logs/predictions.jsonl.1`` (older) and ``logs/predictions.jsonl``."""
    folder = root / "logs"
    folder.mkdir(parents=True)
    lines = [json.dumps(r) + "\n" for r in records]
    lines.insert(1_234, lines[1_234][:40] + "\n")  # a crash mid-write: half a line
    lines.insert(20_000, "[1, 2, 3]\r\n")
    half = len(lines) // 2
    (folder / "predictions.jsonl.1").write_text("".join(lines[:half]), encoding="utf-8")
    (folder / "predictions.jsonl").write_text("".join(lines[half:]).rstrip("\n"),
                                              encoding="utf-8")  # the last line unfinished
    pd.DataFrame(labels).to_csv(root / "labels.csv", index=False)


def _checks(root: Path) -> tuple[Any, Any]:
    calibrator, _ = _model(1)
    logs = _named(root, ("logs/predictions.jsonl.1", "logs/predictions.jsonl"))
    labels = _named(root, ("labels.csv",))
    common: dict[str, Any] = {"metric_names": METRICS, "registered": {"accuracy": 0.8},
                              "calibrator": calibrator, "positive_class": 1}
    whole = assess(rows_from_log(SPEC, DATA, model="churn", version="v1.0", logs=logs,
                                 labels=labels), spec=SPEC, **common)
    streamed = assess_log(SPEC, DATA, model="churn", version="v1.0", logs=logs,
                                  labels=labels, calibrator_note=None, **common)
    return whole, streamed


def test_json_lines_log_streamed_gives_the_whole_file_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, labels = _log(30_000)
    _write_rotated(tmp_path, records, labels)
    monkeypatch.setattr(stream_log, "BATCH_ROWS", 1_000)

    whole, streamed = _checks(tmp_path)

    assert streamed.live.rows == whole.live.rows > 1_000
    assert streamed.live.window == whole.live.window
    for ours, theirs in zip(streamed.live.checks, whole.live.checks, strict=True):
        assert (ours.name, ours.dropped) == (theirs.name, theirs.dropped)
        assert ours.live.value == pytest.approx(
            theirs.live.value, abs=allowed(ours.name, theirs.live.value))
    assert whole.counts is not None and streamed.counts is not None
    assert streamed.counts.to_json() == whole.counts.to_json()
    assert len(streamed.estimates) == len(whole.estimates) == 3
    for ours, theirs in zip(streamed.estimates, whole.estimates, strict=True):
        assert (ours.window, ours.rows, ours.labelled) == (theirs.window, theirs.rows,
                                                           theirs.labelled)
        assert ours.accuracy.value == pytest.approx(theirs.accuracy.value, abs=1e-9)
        assert theirs.roc_auc.value is not None and ours.roc_auc.value is not None
        assert abs(ours.roc_auc.value - theirs.roc_auc.value) <= AUC_TOLERANCE
    # the lines that are no records: skipped and counted, the first named by file and line
    [note] = [n for n in whole.notes if "unreadable" in n]
    assert note in streamed.notes
    # the files are read in name order; "[1, 2, 3]" is line 20,001 of 30,103, the second
    # file's 20,001 - 15,051 = 4,950th
    assert note == ("3 unreadable prediction log line(s) skipped (first: "
                    "logs/predictions.jsonl:4950: not a JSON object)")


def test_records_are_cut_into_batches_with_the_lines_of_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "predictions.jsonl"
    good = {"id": "a", "time": "2026-11-01T00:00:00Z", "model": "m", "version": "v1",
            "prediction": "yes", "probabilities": [0.2, 0.8], "classes": ["no", "yes"]}
    lines = [json.dumps(dict(good, id=f"r{i}")) for i in range(25)]
    lines[6] = '{"id": "x", "time": "yesterday", "model": "m"}'
    lines[17] = ""
    path.write_text("\r\n".join(lines), encoding="utf-8")
    bad = BadLines()

    batches = list(log_batches(DataPart(path, "logs/p.jsonl", 25, LOG_COLUMNS, (), "jsonl"),
                               LOG_COLUMNS, 10, bad))

    assert [b.num_rows for b in batches] == [10, 10, 3]
    assert batches[0].schema.names == list(LOG_COLUMNS)
    assert batches[2].column("id").to_pylist()[-1] == "r24"
    assert batches[0].column("classes")[0].as_py() == ["no", "yes"]
    assert (bad.count, bad.first) == (1, "logs/p.jsonl:7: no ISO 8601 time")


def test_a_log_mixing_parquet_and_json_lines_is_refused(tmp_path: Path) -> None:
    records, labels = _log(300)
    _write(tmp_path, records, labels)
    (tmp_path / "logs" / "late.jsonl").write_text(json.dumps(records[0]) + "\n",
                                                  encoding="utf-8")
    calibrator, _ = _model(1)

    with pytest.raises(UserError) as raised:
        assess_log(SPEC, DATA, model="churn", version="v1.0",
                           logs=_named(tmp_path, ("logs", "logs/late.jsonl")),
                           labels=_named(tmp_path, ("labels.csv",)), metric_names=METRICS,
                           registered={}, calibrator=calibrator, calibrator_note=None,
                           positive_class=1)

    assert raised.value.message.startswith("logs/late.jsonl: the prediction log mixes Parquet "
                                           "(logs/day=0/part-0.parquet) with another format")
