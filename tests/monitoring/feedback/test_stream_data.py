"""``monitor.feedback.data`` in Parquet, scored in batches: the results of the files read whole.

A real scikit-learn pipeline (a category one-hot encoded, numbers, fitted on a DataFrame so it
records its columns) scores production rows over 20 days, a part of them labelled by their own
target. The same Parquet files go through ``rows_from_data`` + ``assess`` (read whole) and
``assess_streamed_data`` (in batches of 1,000 rows here, so each file is many batches).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import ColumnSpec, DataSpec, FeedbackSpec, Tolerance
from mlops_ci.errors import InputProblems
from mlops_ci.monitoring.feedback import stream_data
from mlops_ci.monitoring.feedback.calibration import Calibrator, fit_calibrator
from mlops_ci.monitoring.feedback.check import assess
from mlops_ci.monitoring.feedback.live_counts import AUC_TOLERANCE as AUC_COUNTED
from mlops_ci.monitoring.feedback.sources import NamedFile, rows_from_data
from mlops_ci.monitoring.feedback.stream_cbpe import AUC_TOLERANCE, INTERVAL_TOLERANCE
from mlops_ci.monitoring.feedback.stream_data import assess_streamed_data, is_streamed_data
from mlops_ci.monitoring.production import resolve_files
from tests.monitoring.feedback.counted import assert_live_close

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 11, 1, tzinfo=UTC)
SPEC = FeedbackSpec(data=("production",), timestamp_column="seen", window_days=7,
                    min_rows=50, tolerances=(Tolerance("accuracy", 0.05),))
DATA = DataSpec(train=Path("train.csv"), test=Path("test.csv"), target="churned",
                id_column="id", columns=(ColumnSpec("plan", "category"),
                                         ColumnSpec("visits", "int")))
METRICS = ("accuracy", "roc_auc", "f1", "precision", "recall", "log_loss", "balanced_accuracy",
           "brier_score", "average_precision")


def _rows(rows: int, seed: int, labelled: float) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x1 = rng.normal(0.3, 1.0, rows)
    plan = rng.choice(["basic", "pro", "team"], rows)
    visits = rng.integers(0, 20, rows)
    logit = 1.4 * x1 + (plan == "pro") * 0.8 - 0.05 * visits
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(float)
    churned[rng.random(rows) >= labelled] = np.nan
    seen = pd.Series(pd.to_datetime(START.timestamp() + rng.uniform(0, 20 * 86_400, rows),
                                    unit="s", utc=True))
    return pd.DataFrame({"id": [f"c{i}" for i in range(rows)], "x1": x1, "plan": plan,
                         "visits": visits, "seen": seen, "churned": churned})


def _model() -> tuple[Any, Calibrator]:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    train = _rows(3000, 1, 1.0)
    features = train[["x1", "plan", "visits"]]
    model = make_pipeline(
        ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                          remainder="passthrough"),
        LogisticRegression(),
    ).fit(features, train["churned"].astype(int))
    test = _rows(2000, 2, 1.0)
    score = model.predict_proba(test[["x1", "plan", "visits"]])[:, 1]
    return model, fit_calibrator(score, test["churned"].astype(int).to_numpy())


def _write(root: Path, frame: Any, files: int = 2) -> None:
    import pyarrow as pa
    from pyarrow import parquet as pq

    folder = root / "production"
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(frame) // files)
    for part in range(files):
        chunk = frame.iloc[part * size:(part + 1) * size]
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False),
                       folder / f"part-{part}.parquet", row_group_size=5_000)


def _named(root: Path) -> tuple[NamedFile, ...]:
    return tuple(NamedFile(p, p.relative_to(root).as_posix())
                 for p in resolve_files(root, ("production",)))


def test_parquet_data_streamed_gives_the_results_of_the_files_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    model, calibrator = _model()
    _write(tmp_path, _rows(24_000, 3, 0.3))
    files = _named(tmp_path)
    assert is_streamed_data(files)
    common: dict[str, Any] = {"metric_names": METRICS, "registered": {"accuracy": 0.8},
                              "calibrator": calibrator, "positive_class": 1}
    whole_rows = rows_from_data(SPEC, DATA, model_object=model, files=files, labels=())
    whole = assess(whole_rows, spec=SPEC, **common)
    monkeypatch.setattr(stream_data, "BATCH_ROWS", 1_000)
    streamed = assess_streamed_data(SPEC, DATA, model_object=model, files=files,
                                   calibrator_note=None, **common)

    # the labelled rows' predictions, scored in batches, are the whole files' ones
    labelled = [index for index, _ in whole_rows.labelled]
    assert streamed.live.rows == whole.live.rows > 1000
    assert [c.name for c in streamed.live.checks] == list(METRICS)
    assert_live_close(streamed.to_json()["live"]["metrics"], whole.to_json()["live"]["metrics"])
    assert whole.live.value("accuracy") is not None
    assert len(labelled) > 7000
    assert [e.window for e in streamed.estimates] == [e.window for e in whole.estimates]
    assert len(whole.estimates) == 3
    for mine, theirs in zip(streamed.estimates, whole.estimates, strict=True):
        assert (mine.rows, mine.labelled) == (theirs.rows, theirs.labelled)
        assert mine.realised_accuracy == pytest.approx(theirs.realised_accuracy, abs=1e-12)
        assert mine.realised_roc_auc == pytest.approx(theirs.realised_roc_auc, abs=AUC_COUNTED)
        assert mine.accuracy.value == pytest.approx(theirs.accuracy.value, abs=1e-9)
        assert mine.accuracy.low == pytest.approx(theirs.accuracy.low, abs=1e-9)
        assert mine.roc_auc.value == pytest.approx(theirs.roc_auc.value, abs=AUC_TOLERANCE)
        assert mine.roc_auc.low == pytest.approx(theirs.roc_auc.low, abs=INTERVAL_TOLERANCE)
        assert mine.roc_auc.high == pytest.approx(theirs.roc_auc.high, abs=INTERVAL_TOLERANCE)
    assert np.isfinite([e.roc_auc.value for e in streamed.estimates]).all()


def test_batches_are_typed_and_scored_as_the_whole_file(tmp_path: Path) -> None:
    """Every row's prediction and probabilities, batch by batch, are the whole file's."""
    import numpy as np
    from pyarrow import parquet as pq

    from mlops_ci.data.dataset import read_frame, typed_frame
    from mlops_ci.data.reader import read_header
    from mlops_ci.metrics import predict

    model, _ = _model()
    frame = _rows(5_000, 4, 0.5)
    frame.loc[::7, "plan"] = None  # gaps in a category column: NaN for the model, both ways
    _write(tmp_path, frame, files=1)
    path = tmp_path / "production" / "part-0.parquet"
    whole = read_frame(DATA, path)
    columns = ["x1", "plan", "visits"]
    expected = predict(model, whole[columns], np.zeros(len(whole)), "classification")
    header = read_header(path, DATA.format)
    batches = [typed_frame(DATA, header, b)
               for b in pq.ParquetFile(path).iter_batches(batch_size=700)]
    got = [predict(model, b[columns], np.zeros(len(b)), "classification") for b in batches]
    assert [str(t) for t in whole.dtypes] == [str(t) for t in batches[0].dtypes]
    assert (np.concatenate([g.y_pred for g in got]) == expected.y_pred).all()
    assert (np.concatenate([g.proba for g in got]) == expected.proba).all()


def test_a_parquet_file_without_a_model_column_names_the_file_and_the_column(
    tmp_path: Path,
) -> None:
    model, calibrator = _model()
    _write(tmp_path, _rows(500, 3, 0.5).drop(columns=["visits"]))

    with pytest.raises(InputProblems) as raised:
        assess_streamed_data(SPEC, DATA, model_object=model, files=_named(tmp_path),
                            metric_names=METRICS, registered={}, calibrator=calibrator,
                            calibrator_note=None, positive_class=1)

    [problem, *_] = raised.value.problems
    assert problem.file == "production/part-0.parquet"
    assert problem.path == "visits"
    assert "the model's column 'visits' is missing" in problem.message
    assert raised.value.exit_code == 2


PEAK = """
import pickle, resource, sys
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.monitoring.feedback.test_stream_data import SPEC, DATA, METRICS, _named
from mlops_ci.monitoring.feedback.stream_data import assess_streamed_data
root = Path(sys.argv[1])
model, calibrator = pickle.loads((root / "model.pkl").read_bytes())
check = assess_streamed_data(replace(SPEC, timestamp_column=None), DATA, model_object=model,
    files=_named(root), metric_names=METRICS, registered={}, calibrator=calibrator,
    calibrator_note=None, positive_class=1)
assert check.live.rows == 2000 and check.estimates and check.estimates[0].roc_auc.value
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)
"""


def _big(root: Path, rows: int, model: Any) -> None:
    """``rows`` production rows in row groups of 100,000; 2,000 labelled (evenly) at any size."""
    import pickle

    import numpy as np
    import pyarrow as pa
    from pyarrow import parquet as pq

    (root / "production").mkdir(parents=True)
    (root / "model.pkl").write_bytes(pickle.dumps(model))
    rng = np.random.default_rng(0)
    with pq.ParquetWriter(root / "production" / "part-0.parquet", pa.schema([
        ("id", pa.string()), ("x1", pa.float64()), ("plan", pa.string()),
        ("visits", pa.int64()), ("churned", pa.float64()),
    ])) as writer:
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            churned = rng.integers(0, 2, n).astype(float)
            # spread over every batch, so a batch kept alive by its labelled rows shows
            churned[np.arange(start, start + n) % (rows // 2000) != 0] = np.nan
            writer.write_table(pa.table({
                "id": pa.array([f"c{i}" for i in range(start, start + n)]),
                "x1": rng.normal(0.0, 1.0, n),
                "plan": pa.array(rng.choice(["basic", "pro", "team"], n)),
                "visits": rng.integers(0, 20, n), "churned": churned,
            }))


def _peak_mb(root: Path) -> int:
    environ = dict(os.environ, OMP_NUM_THREADS="1", ARROW_IO_THREADS="1",
                   PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PEAK, str(root), str(ROOT)],
                          capture_output=True, text=True, env=environ, check=False)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.split()[-1])


def test_memory_does_not_grow_with_the_scored_rows(tmp_path: Path) -> None:
    """200,000 production rows, then 2,000,000: read whole, the second would take hundreds
    of MB more; streamed, the peak stays within 50 MB."""
    model = _model()
    _big(tmp_path / "small", 200_000, model)
    small = _peak_mb(tmp_path / "small")
    _big(tmp_path / "large", 2_000_000, model)
    large = _peak_mb(tmp_path / "large")
    print(f"peak RSS: {small} MB at 200,000 production rows, {large} MB at 2,000,000")
    assert large < small + 50, (small, large)


def test_a_regressors_streamed_live_quality_is_the_files_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A regressor's labelled rows summed in batches: MAE, MSE, RMSE, R², MAPE equal, the
    median absolute error within its stated relative tolerance."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from mlops_ci.metrics import metric_names

    frame = _rows(12_000, 4, 0.4)
    frame["churned"] = 500.0 + 40 * frame["x1"] + np.where(frame["churned"].isna(), np.nan,
                                                           frame["visits"] * 3.0)
    model = LinearRegression().fit(frame[["x1", "visits"]].iloc[:3000],
                                   500.0 + 40 * frame["x1"].iloc[:3000])
    _write(tmp_path, frame.drop(columns=["plan"]))
    files = _named(tmp_path)
    spec = replace(SPEC, tolerances=(Tolerance("mae", 1.0),))
    data = replace(DATA, columns=(ColumnSpec("visits", "int"),))
    common: dict[str, Any] = {"metric_names": metric_names("regression"),
                              "registered": {"mae": 20.0}, "calibrator": None,
                              "positive_class": None}
    whole = assess(rows_from_data(spec, data, model_object=model, files=files, labels=()),
                   spec=spec, calibrator_note="none", **common)
    monkeypatch.setattr(stream_data, "BATCH_ROWS", 1_000)
    streamed = assess_streamed_data(spec, data, model_object=model, files=files,
                                   calibrator_note="none", **common)

    assert streamed.live.rows == whole.live.rows > 1000
    assert all(check.live.defined for check in whole.live.checks)
    assert_live_close(streamed.to_json()["live"]["metrics"], whole.to_json()["live"]["metrics"])
    assert streamed.live.dropped == whole.live.dropped is True
