"""Prediction logs in Parquet, streamed: the same answers as the JSON Lines log read whole.

One generated log (a logistic model's answers over 20 days, some rows of another version, some
ids served twice, labels for a part of the rows, some duplicated, conflicting, arriving before
their prediction, or for ids never served) is written both as JSON Lines and as a partitioned
Parquet folder; both go through ``monitor.feedback``'s code (``rows_from_log`` + ``assess``
against ``assess_log``) with the same labels and calibrator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import DataSpec, FeedbackSpec, Tolerance
from mlops_ci.errors import InputProblems
from mlops_ci.monitoring.feedback.calibration import Calibrator, fit_calibrator
from mlops_ci.monitoring.feedback.check import FeedbackCheck, assess
from mlops_ci.monitoring.feedback.live_counts import AUC_TOLERANCE as AUC_COUNTED
from mlops_ci.monitoring.feedback.sources import NamedFile, rows_from_log
from mlops_ci.monitoring.feedback.stream_cbpe import AUC_TOLERANCE, INTERVAL_TOLERANCE
from mlops_ci.monitoring.feedback.stream_log import assess_log
from mlops_ci.monitoring.production import resolve_files
from tests.monitoring.feedback.counted import allowed

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 11, 1, tzinfo=UTC)
SPEC = FeedbackSpec(prediction_log=("logs",), labels=("labels.csv",), id_column="id",
                    timestamp_column="arrived", window_days=7, min_rows=50,
                    tolerances=(Tolerance("accuracy", 0.05),))
DATA = DataSpec(train=Path("train.csv"), test=Path("test.csv"), target="churned",
                id_column="id")
METRICS = ("accuracy", "roc_auc", "f1", "log_loss", "precision", "recall", "balanced_accuracy",
           "brier_score", "average_precision")


def _model(seed: int) -> tuple[Calibrator, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)

    def draw(rows: int, shift: float) -> tuple[Any, Any]:
        x = rng.normal(shift, 1.0, rows)
        return x, (rng.random(rows) < 1 / (1 + np.exp(-1.6 * x))).astype(int)

    x_test, y_test = draw(2000, 0.0)
    score = 1 / (1 + np.exp(-1.2 * x_test))
    return fit_calibrator(score, y_test), draw


def _log(rows: int, seed: int = 0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Served records (JSON Lines fields) and label rows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(0.4, 1.0, rows)
    truth = (rng.random(rows) < 1 / (1 + np.exp(-1.6 * x))).astype(int)
    score = 1 / (1 + np.exp(-1.2 * x))
    seconds = rng.uniform(0, 20 * 86_400, rows)
    records = []
    for i in range(rows):
        served = START + timedelta(seconds=float(seconds[i]))
        records.append({
            "id": f"c{i}", "time": served.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "model": "churn", "version": "v0.9" if i % 50 == 7 else "v1.0",
            "prediction": int(score[i] >= 0.5),
            "probabilities": [1 - float(score[i]), float(score[i])], "classes": [0, 1],
        })
    labels = []
    for i in range(0, rows, 3):  # a third labelled, a day after being served
        arrived = START + timedelta(seconds=float(seconds[i]) + 86_400)
        labels.append({"id": f"c{i}", "churned": int(truth[i]),
                       "arrived": arrived.isoformat()})
    for i in range(0, rows, 300):  # served again an hour later: duplicate servings
        again = dict(records[i], time=(START + timedelta(seconds=float(seconds[i]) + 3600))
                     .strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        records.append(again)
    for i in range(3, rows, 600):  # labelled twice, the later label disagreeing
        arrived = START + timedelta(seconds=float(seconds[i]) + 2 * 86_400)
        labels.append({"id": f"c{i}", "churned": 1, "arrived": arrived.isoformat()})
        labels.append({"id": f"c{i}", "churned": 0,
                       "arrived": (arrived + timedelta(hours=1)).isoformat()})
    for i in range(5, rows, 900):  # a label that arrived before the prediction was made
        labels.append({"id": f"c{i}", "churned": 1,
                       "arrived": (START - timedelta(days=1)).isoformat()})
    labels += [{"id": f"gone{i}", "churned": 1, "arrived": START.isoformat()} for i in range(5)]
    records.append(dict(records[1], id=None))
    return records, labels


def _write(folder: Path, records: list[dict[str, Any]], labels: list[dict[str, Any]],
           parts: int = 3) -> None:
    import pandas as pd
    import pyarrow as pa
    from pyarrow import parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "predictions.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    pd.DataFrame(labels).to_csv(folder / "labels.csv", index=False)
    size = -(-len(records) // parts)
    for part in range(parts):
        chunk = records[part * size:(part + 1) * size]
        day = folder / "logs" / f"day={part}"
        day.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(chunk), day / "part-0.parquet",
                       row_group_size=10_000)


def _named(root: Path, patterns: tuple[str, ...]) -> tuple[NamedFile, ...]:
    return tuple(NamedFile(p, p.relative_to(root).as_posix())
                 for p in resolve_files(root, patterns))


def _both(root: Path, calibrator: Calibrator) -> tuple[FeedbackCheck, FeedbackCheck]:
    labels = _named(root, ("labels.csv",))
    common: dict[str, Any] = {"metric_names": METRICS, "registered": {"accuracy": 0.8},
                              "calibrator": calibrator, "positive_class": 1}
    whole = assess(rows_from_log(SPEC, DATA, model="churn", version="v1.0",
                                 logs=_named(root, ("predictions.jsonl",)), labels=labels),
                   spec=SPEC, **common)
    streamed = assess_log(SPEC, DATA, model="churn", version="v1.0",
                                  logs=_named(root, ("logs",)), labels=labels,
                                  calibrator_note=None, **common)
    return whole, streamed


def test_parquet_log_streamed_gives_the_json_lines_results(tmp_path: Path) -> None:
    calibrator, _ = _model(1)
    records, labels = _log(30_000)
    _write(tmp_path, records, labels)

    whole, streamed = _both(tmp_path, calibrator)

    assert streamed.live.rows == whole.live.rows > 1000
    assert streamed.live.window == whole.live.window
    for ours, theirs in zip(streamed.live.checks, whole.live.checks, strict=True):
        assert ours.name == theirs.name
        assert ours.live.value == pytest.approx(theirs.live.value,
                                                abs=allowed(ours.name, theirs.live.value))
        assert ours.dropped == theirs.dropped
    assert whole.counts is not None and streamed.counts is not None
    assert streamed.counts.to_json() == whole.counts.to_json()
    assert whole.counts.duplicate_served and whole.counts.label_before_prediction
    other_version = sum(1 for i in range(0, 30_000, 3) if i % 50 == 7)
    assert whole.counts.conflicting_labels
    assert whole.counts.unmatched_labels == 5 + other_version
    assert len(streamed.estimates) == len(whole.estimates) == 3
    for ours, theirs in zip(streamed.estimates, whole.estimates, strict=True):
        assert (ours.window, ours.rows, ours.labelled) == (theirs.window, theirs.rows,
                                                           theirs.labelled)
        assert ours.realised_accuracy == pytest.approx(theirs.realised_accuracy, abs=1e-12)
        assert ours.realised_roc_auc == pytest.approx(theirs.realised_roc_auc, abs=AUC_COUNTED)
        assert ours.accuracy.value == pytest.approx(theirs.accuracy.value, abs=1e-9)
        assert ours.accuracy.low == pytest.approx(theirs.accuracy.low, abs=1e-9)
        assert theirs.roc_auc.value is not None and ours.roc_auc.value is not None
        assert abs(ours.roc_auc.value - theirs.roc_auc.value) <= AUC_TOLERANCE
        assert theirs.roc_auc.low is not None and ours.roc_auc.low is not None
        assert abs(ours.roc_auc.low - theirs.roc_auc.low) <= INTERVAL_TOLERANCE
    assert any("other models or versions" in note for note in streamed.notes)


@pytest.mark.parametrize("column", ["id", "prediction"])
def test_a_parquet_log_without_a_column_names_the_file_and_the_column(
    tmp_path: Path, column: str
) -> None:
    calibrator, _ = _model(1)
    records, labels = _log(200)
    _write(tmp_path, [{k: v for k, v in r.items() if k != column} for r in records], labels)

    with pytest.raises(InputProblems) as raised:
        assess_log(SPEC, DATA, model="churn", version="v1.0",
                           logs=_named(tmp_path, ("logs",)),
                           labels=_named(tmp_path, ("labels.csv",)), metric_names=METRICS,
                           registered={}, calibrator=calibrator, calibrator_note=None,
                           positive_class=1)

    [problem, *_] = raised.value.problems
    assert problem.file == "logs/day=0/part-0.parquet"
    assert problem.path == column
    assert f"the prediction log's column {column!r} is missing" in problem.message


PEAK = """
import resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.monitoring.feedback.test_stream_log import SPEC, DATA, METRICS, _model, _named
from mlops_ci.monitoring.feedback.stream_log import assess_log
root = Path(sys.argv[1])
check = assess_log(SPEC, DATA, model="churn", version="v1.0",
    logs=_named(root, ("logs",)), labels=_named(root, ("labels.csv",)), metric_names=METRICS,
    registered={}, calibrator=_model(1)[0], calibrator_note=None, positive_class=1)
assert check.counts.served > 0 and check.estimates
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)
"""


def _big_log(root: Path, rows: int) -> None:
    """``rows`` served rows in row groups of 100,000, 2,000 labels (the same at any size)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from pyarrow import parquet as pq

    (root / "logs").mkdir(parents=True)
    rng = np.random.default_rng(0)
    with pq.ParquetWriter(root / "logs" / "part-0.parquet", pa.schema([
        ("id", pa.string()), ("time", pa.timestamp("ms", tz="UTC")), ("model", pa.string()),
        ("version", pa.string()), ("prediction", pa.int64()),
        ("probabilities", pa.list_(pa.float64())), ("classes", pa.list_(pa.int64())),
    ])) as writer:
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            score = rng.random(n)
            writer.write_table(pa.table({
                "id": pa.array([f"c{i}" for i in range(start, start + n)]),
                "time": pa.array((START.timestamp() * 1000 + rng.uniform(0, 14 * 86_400_000, n))
                                 .astype("int64"), pa.timestamp("ms", tz="UTC")),
                "model": pa.array(["churn"] * n), "version": pa.array(["v1.0"] * n),
                "prediction": pa.array((score >= 0.5).astype("int64")),
                "probabilities": pa.array(np.stack([1 - score, score], axis=1).tolist()),
                "classes": pa.array([[0, 1]] * n),
            }))
    pd.DataFrame({"id": [f"c{i}" for i in range(0, 20_000, 10)],
                  "churned": rng.integers(0, 2, 2000),
                  "arrived": (START + timedelta(days=20)).isoformat()}).to_csv(
        root / "labels.csv", index=False)


def _peak_mb(root: Path) -> int:
    environ = dict(os.environ, OMP_NUM_THREADS="1", ARROW_IO_THREADS="1",
                   PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PEAK, str(root), str(ROOT)],
                          capture_output=True, text=True, env=environ, check=False)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.split()[-1])


def test_memory_does_not_grow_with_the_logged_rows(tmp_path: Path) -> None:
    """200,000 logged answers, then 2,000,000: read whole, the second would take hundreds of
    MB more; streamed, the peak stays within 50 MB."""
    _big_log(tmp_path / "small", 200_000)
    small = _peak_mb(tmp_path / "small")
    _big_log(tmp_path / "large", 2_000_000)
    large = _peak_mb(tmp_path / "large")
    print(f"peak RSS: {small} MB at 200,000 logged rows, {large} MB at 2,000,000")
    assert large < small + 50, (small, large)
