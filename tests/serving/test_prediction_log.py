"""The prediction log: off by default, JSON Lines rotated by size, each answered row with its
id, read back as ``mlops-ci monitor`` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.monitoring.feedback.predlog import read_prediction_logs
from mlops_ci.serving.app import ServingApp
from mlops_ci.serving.prediction_log import (
    PredictionLog,
    PredictionRecord,
    ServedLog,
    records_for_batch,
)
from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import RunningServer, start_in_thread
from tests.serving.example import post_json, rows_of_test_set
from tests.serving.test_bad_requests import good_inputs
from tests.serving.test_http import FEATURES

INFER = "/v2/models/churn/infer"
FIXED_TIME = 1_795_000_000.5


def batch(first: int, rows: int) -> list[PredictionRecord]:
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


@pytest.fixture
def logged(churn_predictor: Predictor, tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    path = tmp_path / "logs" / "predictions.jsonl"
    log = ServedLog(PredictionLog(path), churn_predictor, clock=lambda: FIXED_TIME)
    server = start_in_thread(ServingApp(churn_predictor, id_column="customer_id",
                                        prediction_log=log))
    yield server, path
    server.stop()


def test_predict_rows_are_logged_with_their_ids_inputs_and_answers(
    logged: tuple[RunningServer, Path],
) -> None:
    server, path = logged
    rows = rows_of_test_set(3, with_ids=True)
    rows[1]["total_charges"] = None
    answer = post_json(server.url, "/predict", {"rows": rows})
    assert answer.status == 200, answer.body
    read = read_prediction_logs([path])
    assert read.bad_lines == 0
    assert [r.id for r in read.records] == [str(row["customer_id"]) for row in rows]
    assert [r.prediction for r in read.records] == answer.body["predictions"]
    assert [list(r.probabilities) for r in read.records] == answer.body["probabilities"]
    first = read.records[0]
    assert first.inputs == {name: rows[0][name] for name in FEATURES}
    assert read.records[1].inputs["total_charges"] is None  # not NaN: the line stays JSON
    assert (first.model, first.version, first.classes) == ("churn", "v1.0.0", (0, 1))
    assert first.time == "2026-11-18T11:06:40.500Z"


def test_infer_takes_ids_from_the_id_input_and_does_not_feed_it_to_the_model(
    logged: tuple[RunningServer, Path],
) -> None:
    server, path = logged
    ids = {"name": "customer_id", "shape": [2], "datatype": "BYTES", "data": ["A-1", "A-2"]}
    answer = post_json(server.url, INFER, {"inputs": [*good_inputs(), ids],
                                           "outputs": [{"name": "predict_proba"}]})
    assert answer.status == 200, answer.body
    assert [o["name"] for o in answer.body["outputs"]] == ["predict_proba"]
    records = read_prediction_logs([path]).records
    assert [r.id for r in records] == ["A-1", "A-2"]
    assert all(r.prediction in (0, 1) for r in records)  # logged though not asked for


def test_without_ids_a_row_is_named_by_the_request_id_and_its_number(
    logged: tuple[RunningServer, Path],
) -> None:
    server, path = logged
    answer = post_json(server.url, INFER, {"id": "req-9", "inputs": good_inputs()})
    assert answer.status == 200, answer.body
    assert [r.id for r in read_prediction_logs([path]).records] == ["req-9:0", "req-9:1"]


def test_ids_of_the_wrong_length_are_a_400(logged: tuple[RunningServer, Path]) -> None:
    server, path = logged
    ids = {"name": "customer_id", "shape": [1], "datatype": "BYTES", "data": ["A-1"]}
    answer = post_json(server.url, INFER, {"inputs": [*good_inputs(), ids]})
    assert answer.status == 400
    assert "has 1 values for 2 rows" in answer.body["error"]
    assert not path.exists()  # a refused request is not logged


def test_a_log_that_cannot_be_written_does_not_stop_serving(
    churn_predictor: Predictor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    log = ServedLog(PredictionLog(blocked / "predictions.jsonl"), churn_predictor)
    server = start_in_thread(ServingApp(churn_predictor, prediction_log=log))
    try:
        for _ in range(3):
            assert post_json(server.url, INFER, {"inputs": good_inputs()}).status == 200
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert err.count("cannot write the prediction log") == 1
    assert "serving goes on without it" in err


def test_the_environment_turns_the_log_on_for_the_server_process(
    churn_model_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "predictions.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "mlops_ci.serving", "--host", "127.0.0.1", "--port", "0",
         "--model", str(churn_model_file), "--name", "churn", "--workers", "1",
         "--trusted-type", "numpy.dtype", "--id-column", "customer_id"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MLOPS_PREDICTION_LOG": str(path)},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3]
        rows = rows_of_test_set(2, with_ids=True)
        assert post_json(url, "/predict", {"rows": rows}).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert f"prediction log {path}" in err
    assert [r.id for r in read_prediction_logs([path]).records] == \
        [str(row["customer_id"]) for row in rows]
