"""Streamed live quality holds no labelled row: 2,000,000 labelled rows in a bounded peak.

``tracemalloc`` traces what Python and numpy allocate (pyarrow's own buffers are not traced,
and are one batch anyway), so the peak is the same from one run to the next, unlike the
process's RSS. Holding the labelled rows (label, prediction, probabilities, time: what the
streamed path did before the counts) takes over 100 MB at this size; counted, the peak is one
batch and the counts.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from mlops_ci.config.model import DataSpec, FeedbackSpec
from mlops_ci.monitoring.feedback.sources import NamedFile
from mlops_ci.monitoring.feedback.stream_data import assess_streamed_data

ROWS = 2_000_000
PEAK_MB = 40
SPEC = FeedbackSpec(data=("production.parquet",), min_rows=100, estimate=False)
DATA = DataSpec(train=Path("train.csv"), test=Path("test.csv"), target="churned")
METRICS = ("accuracy", "f1", "roc_auc", "log_loss", "brier_score", "average_precision")


def _write(path: Path) -> Any:
    """``ROWS`` rows, every one labelled, in row groups of 100,000; the model scoring them."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from pyarrow import parquet as pq
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    schema = pa.schema([("x1", pa.float64()), ("x2", pa.float64()), ("churned", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for _ in range(0, ROWS, 100_000):
            x1, x2 = rng.normal(0.0, 1.0, (2, 100_000))
            churned = (rng.random(100_000) < 1 / (1 + np.exp(-1.5 * x1 + x2))).astype(float)
            writer.write_table(pa.table({"x1": x1, "x2": x2, "churned": churned}))
    train = pd.DataFrame({"x1": rng.normal(0.0, 1.0, 2000), "x2": rng.normal(0.0, 1.0, 2000)})
    target = (rng.random(2000) < 1 / (1 + np.exp(-1.5 * train["x1"] + train["x2"]))).astype(int)
    return LogisticRegression().fit(train, target)


def test_memory_does_not_grow_with_the_labelled_rows(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "production.parquet"
    model = _write(path)

    tracemalloc.start()
    try:
        check = assess_streamed_data(
            SPEC, DATA, model_object=model, files=(NamedFile(path, "production.parquet"),),
            metric_names=METRICS, registered={}, calibrator=None, calibrator_note=None,
            positive_class=1)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()

    print(f"traced peak: {peak:.1f} MB for {ROWS:,} labelled rows")
    assert check.live.rows == ROWS
    assert all(c.live.defined for c in check.live.checks)
    assert peak < PEAK_MB, peak


def test_memory_of_data_joined_by_id_grows_with_the_labels_not_the_rows(tmp_path: Path) -> None:
    """1,000,000 rows with an id, 2,000 of them labelled from a label file: read whole, the ids
    and the join's servings alone take over 100 MB; streamed, the peak is one batch, the labels
    and the serving chosen for each labelled id."""
    import tracemalloc

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from pyarrow import parquet as pq

    from mlops_ci.monitoring.feedback.stream_data_join import assess_joined_data

    rows = 1_000_000
    path = tmp_path / "production.parquet"
    model = _write(path)
    table = pq.read_table(path).slice(0, rows).drop_columns(["churned"])
    table = table.append_column("id", pa.array([f"c{i}" for i in range(rows)]))
    pq.write_table(table, path, row_group_size=100_000)
    del table
    rng = np.random.default_rng(1)
    pd.DataFrame({"id": [f"c{i}" for i in range(0, rows, rows // 2000)],
                  "churned": rng.integers(0, 2, 2000)}).to_csv(tmp_path / "labels.csv",
                                                              index=False)
    spec = replace(SPEC, labels=("labels.csv",), id_column="id")

    tracemalloc.start()
    try:
        check = assess_joined_data(
            spec, DATA, model_object=model, files=(NamedFile(path, "production.parquet"),),
            labels=(NamedFile(tmp_path / "labels.csv", "labels.csv"),), metric_names=METRICS,
            registered={}, calibrator=None, calibrator_note=None, positive_class=1)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()

    print(f"traced peak: {peak:.1f} MB for {rows:,} rows joined to 2,000 labels")
    assert check.counts is not None
    assert (check.counts.served, check.counts.matched) == (rows, 2000)
    assert check.counts.awaiting == rows - 2000
    assert check.live.rows == 2000
    assert peak < PEAK_MB, peak
