"""Streamed Parquet data (``data.stream``): the same findings and drift as the in-memory path.

The same rows go through both paths: the in-memory one reads one file holding them all, the
streamed one reads them as several files in batches. The tolerances asserted here are the ones
docs/monitoring.md states.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops_ci.config.model import ColumnSpec, DataSpec, DriftSpec, RowBounds
from mlops_ci.data.binned import GRID_POINTS
from mlops_ci.data.drift import drift_files
from mlops_ci.data.stream import BATCH_ROWS, open_parts
from mlops_ci.data.stream_drift import drift_stream
from mlops_ci.data.stream_validate import validate_part
from mlops_ci.data.validate import validate_file
from mlops_ci.errors import InputProblems

KS_TOLERANCE = 1 / GRID_POINTS  # the statistic; the p-value follows it (see p_close)
WASSERSTEIN_RELATIVE = 0.01


def frame(rows: int, seed: int, shift: float) -> pa.Table:
    rng = np.random.default_rng(seed)
    shares = [0.5, 0.3, 0.2] if shift == 0 else [0.42, 0.33, 0.25]
    return pa.table({
        "normal": rng.normal(shift, 1.0, rows),
        "skewed": rng.exponential(1.0 + shift, rows),
        "count": rng.poisson(3.0 + shift, rows),
        "plan": pa.array(rng.choice(["basic", "plus", "pro"], rows, p=shares))
        .dictionary_encode(),
        "active": rng.random(rows) < 0.6 + shift / 4,
    })


def split(table: pa.Table, folder: Path, parts: int) -> list[Path]:
    folder.mkdir()
    size = math.ceil(table.num_rows / parts)
    paths = []
    for index in range(parts):
        path = folder / f"part-{index}.parquet"
        pq.write_table(table.slice(index * size, size), path, row_group_size=7_000)
        paths.append(path)
    return paths


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    """A reference, the current rows as one file, and the same rows as three files."""
    reference = tmp_path / "reference.parquet"
    pq.write_table(frame(20_000, 1, 0.0), reference)
    current = frame(45_000, 2, 0.04)
    whole = tmp_path / "current.parquet"
    pq.write_table(current, whole)
    return reference, whole, split(current, tmp_path / "parts", 3)


def p_close(memory: float, streamed: float) -> bool:
    """P-values agree when they are within 0.01, or within 25% of each other when small."""
    return abs(memory - streamed) <= 0.01 or abs(memory - streamed) <= 0.25 * memory


@pytest.mark.parametrize("method", ["ks", "wasserstein", "psi", "jensenshannon", "chi2"])
def test_streamed_drift_matches_in_memory_within_tolerance(
    data: tuple[Path, Path, list[Path]], method: str
) -> None:
    reference, whole, parts = data
    spec = DriftSpec(method=method)  # type: ignore[arg-type]

    memory = drift_files(reference, whole, spec)
    streamed = drift_stream(reference, open_parts(parts), spec)

    assert streamed.streamed and not memory.streamed
    assert streamed.current_rows == memory.current_rows == 45_000
    assert [c.column for c in streamed.columns] == [c.column for c in memory.columns]
    for mem, stream in zip(memory.columns, streamed.columns, strict=True):
        assert (stream.method, stream.verdict) == (mem.method, mem.verdict), mem.column
        assert stream.current_values == mem.current_values
        assert stream.histogram == mem.histogram  # the PSI bins are counted exactly
        assert mem.statistic is not None and stream.statistic is not None
        if mem.method == "ks":
            assert abs(stream.statistic - mem.statistic) <= KS_TOLERANCE, mem.column
            assert mem.p_value is not None and stream.p_value is not None
            assert p_close(mem.p_value, stream.p_value), (mem.column, mem.p_value)
        elif mem.method == "wasserstein":
            assert stream.statistic == pytest.approx(mem.statistic, rel=WASSERSTEIN_RELATIVE)
        else:
            assert stream.statistic == pytest.approx(mem.statistic, rel=1e-9, abs=1e-12)
            if mem.p_value is None:
                assert stream.p_value is None
            else:
                assert stream.p_value == pytest.approx(mem.p_value, rel=1e-9, abs=1e-12)
    assert streamed.drifted_columns == memory.drifted_columns


def test_ks_is_exact_when_the_grid_holds_every_reference_value(
    data: tuple[Path, Path, list[Path]]
) -> None:
    reference, whole, parts = data
    spec = DriftSpec(method="ks", columns=("count",))

    memory = drift_files(reference, whole, spec).columns[0]
    streamed = drift_stream(reference, open_parts(parts), spec).columns[0]

    assert streamed.statistic == pytest.approx(memory.statistic, abs=1e-12)


def test_shifted_data_drifts_in_both_paths(tmp_path: Path) -> None:
    reference = tmp_path / "reference.parquet"
    pq.write_table(frame(5_000, 1, 0.0), reference)
    parts = split(frame(30_000, 3, 0.5), tmp_path / "parts", 2)
    union = tmp_path / "current.parquet"
    pq.write_table(pa.concat_tables(pq.read_table(p) for p in parts), union)
    spec = DriftSpec()

    memory = drift_files(reference, union, spec)
    streamed = drift_stream(reference, open_parts(parts), spec)

    assert memory.drifted and streamed.drifted
    assert streamed.drifted_columns == memory.drifted_columns
    assert {"normal", "skewed", "count", "active"} <= set(memory.drifted_columns)


SCHEMA = DataSpec(
    train=Path("train.parquet"), test=Path("test.parquet"), target="label",
    rows=RowBounds(min=10), columns=(
        ColumnSpec("id", "int", nullable=False, unique=True),
        ColumnSpec("amount", "float", nullable=False, min=0, max=100),
        ColumnSpec("plan", "category", allowed=("basic", "plus", "pro")),
        ColumnSpec("note", "string"),
        ColumnSpec("label", "int", allowed=(0, 1)),
    ),
)


def dirty(rows: int) -> pa.Table:
    """Rows breaking each value rule now and then, across batch boundaries."""
    rng = np.random.default_rng(5)
    ids = np.arange(rows)
    ids[rows - 3:] = ids[:3]  # three duplicates, the last rows repeating the first
    amount = rng.uniform(0, 100, rows)
    amount[::9_001] = -1.0
    amount[7::12_007] = 250.0
    amount[11::30_011] = np.nan
    plans = rng.choice(["basic", "plus", "pro", "gold"], rows, p=[0.5, 0.3, 0.19998, 0.00002])
    return pa.table({
        "id": ids,
        "amount": pa.array(amount, from_pandas=True),
        "plan": plans,
        "note": pa.nulls(rows, pa.string()),
        "label": rng.integers(0, 2, rows),
    })


def test_streamed_validation_equals_in_memory(tmp_path: Path) -> None:
    rows = BATCH_ROWS * 2 + 1_234  # three batches
    path = tmp_path / "live.parquet"
    pq.write_table(dirty(rows), path, row_group_size=20_000)

    memory = validate_file(path, SCHEMA)
    streamed = validate_part(open_parts([path])[0], SCHEMA)

    assert streamed.rows == memory.rows == rows
    found = sorted(streamed.findings, key=lambda f: (f.rule, f.column or ""))
    expected = sorted(memory.findings, key=lambda f: (f.rule, f.column or ""))
    assert found == expected
    assert {f.rule for f in found} == {"null", "min", "max", "allowed", "unique", "all_null"}


def test_parquet_column_of_another_type_than_declared_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "live.parquet"
    table = dirty(100).set_column(1, "amount", pa.array([f"{v}" for v in range(100)]))
    pq.write_table(table, path)

    with pytest.raises(InputProblems) as raised:
        validate_part(open_parts([path], ["live/2026-11-01.parquet"])[0], SCHEMA)

    [problem] = raised.value.problems
    assert (problem.file, problem.column, problem.path) == (
        "live/2026-11-01.parquet", 2, "amount")
    assert "column 'amount' is string in the file, but float is declared" in problem.message
