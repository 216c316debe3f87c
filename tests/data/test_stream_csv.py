"""Streamed CSV data (``data.stream`` over ``data.csvstream``): the in-memory results, in batches.

The same CSV file goes through both paths: the in-memory one reads it whole, the streamed one
in batches of 1,000 rows (``BATCH_ROWS`` made small, so that every test crosses batches).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlops_ci.config.model import ColumnSpec, DataSpec, DriftSpec, RowBounds
from mlops_ci.data import stream
from mlops_ci.data.dataset import read_frame, typed_frame
from mlops_ci.data.drift import drift_files
from mlops_ci.data.reader import read_header
from mlops_ci.data.stream import open_parts, record_batches
from mlops_ci.data.stream_drift import drift_stream
from mlops_ci.data.stream_validate import validate_part
from mlops_ci.data.validate import validate_file
from mlops_ci.errors import InputProblems, UserError
from tests.data.test_stream import KS_TOLERANCE, WASSERSTEIN_RELATIVE, dirty, frame, p_close

BATCH = 1_000


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "BATCH_ROWS", BATCH)


def write_csv(table: pa.Table, path: Path) -> Path:
    pacsv.write_csv(table, path)
    return path


@pytest.mark.parametrize("method", ["ks", "wasserstein", "psi", "jensenshannon", "chi2"])
def test_streamed_csv_drift_matches_the_whole_file_within_tolerance(
    tmp_path: Path, method: str
) -> None:
    reference = write_csv(frame(8_000, 1, 0.0), tmp_path / "reference.csv")
    current = write_csv(frame(12_500, 2, 0.04), tmp_path / "current.csv")
    spec = DriftSpec(method=method)  # type: ignore[arg-type]

    memory = drift_files(reference, current, spec)
    streamed = drift_stream(reference, open_parts([current]), spec)

    assert streamed.current_rows == memory.current_rows == 12_500
    for mem, got in zip(memory.columns, streamed.columns, strict=True):
        assert (got.column, got.method, got.verdict) == (mem.column, mem.method, mem.verdict)
        assert got.current_values == mem.current_values
        assert got.histogram == mem.histogram
        assert mem.statistic is not None and got.statistic is not None
        if method == "ks" and mem.column in ("normal", "skewed"):
            assert abs(got.statistic - mem.statistic) <= KS_TOLERANCE, mem.column
            assert mem.p_value is not None and got.p_value is not None
            assert p_close(mem.p_value, got.p_value)
        elif method == "wasserstein" and mem.column in ("normal", "skewed"):
            assert got.statistic == pytest.approx(mem.statistic, rel=WASSERSTEIN_RELATIVE)
        elif method not in ("ks", "wasserstein"):
            assert got.statistic == pytest.approx(mem.statistic, rel=1e-9, abs=1e-12)
    assert streamed.drifted_columns == memory.drifted_columns


def test_csv_and_parquet_of_the_same_rows_stream_to_the_same_drift(tmp_path: Path) -> None:
    reference = write_csv(frame(5_000, 1, 0.0), tmp_path / "reference.csv")
    rows = frame(9_000, 3, 0.2)
    as_csv = write_csv(rows, tmp_path / "current.csv")
    as_parquet = tmp_path / "current.parquet"
    pq.write_table(rows.set_column(3, "plan", rows.column("plan").cast(pa.string())), as_parquet)

    from_csv = drift_stream(reference, open_parts([as_csv]), DriftSpec())
    from_parquet = drift_stream(reference, open_parts([as_parquet]), DriftSpec())

    assert [c.column for c in from_csv.columns] == [c.column for c in from_parquet.columns]
    for got, expected in zip(from_csv.columns, from_parquet.columns, strict=True):
        assert got.current_values == expected.current_values
        assert got.statistic == pytest.approx(expected.statistic, rel=1e-12)


SCHEMA = DataSpec(
    train=Path("train.csv"), test=Path("test.csv"), target="label",
    rows=RowBounds(min=10), columns=(
        ColumnSpec("id", "int", nullable=False, unique=True),
        ColumnSpec("amount", "float", nullable=False, min=0, max=100),
        ColumnSpec("plan", "category", allowed=("basic", "plus", "pro")),
        ColumnSpec("note", "string"),
        ColumnSpec("label", "int", allowed=(0, 1)),
    ),
)


def test_streamed_csv_validation_equals_the_whole_file(tmp_path: Path) -> None:
    rows = 4_321
    table = dirty(rows)
    amount = table.column("amount").to_pylist()
    text = [("12.5x" if at in (17, 2_500) else "" if v is None else str(v))
            for at, v in enumerate(amount)]
    path = write_csv(table.set_column(1, "amount", pa.array(text)), tmp_path / "live.csv")

    memory = validate_file(path, SCHEMA)
    streamed = validate_part(open_parts([path])[0], SCHEMA)

    assert streamed.rows == memory.rows == rows and streamed.place == memory.place == "line"
    key = lambda f: (f.rule, f.column or "")  # noqa: E731
    assert sorted(streamed.findings, key=key) == sorted(memory.findings, key=key)
    dtype = next(f for f in streamed.findings if f.rule == "dtype")
    assert (dtype.column, dtype.count, dtype.lines) == ("amount", 2, (19, 2_502))


def test_an_int_looking_first_block_then_floats_is_read_as_floats(tmp_path: Path) -> None:
    """pyarrow's streaming reader infers a column from its first block: an undeclared column
    of integers whose first float comes 9,000 rows later must still be float, as read whole;
    and one whose first text comes late must be text."""
    values = [str(i) for i in range(9_000)] + ["2.5"] + [str(i) for i in range(500)]
    words = [str(i) for i in range(9_300)] + ["n/a-ish"] + ["7"] * 200
    path = write_csv(pa.table({"x": values, "y": words}), tmp_path / "late.csv")
    whole = pacsv.read_csv(path)
    part = open_parts([path])[0]

    batches = list(record_batches(part, None, {}))

    assert len(batches) > 9
    assert {b.schema for b in batches} == {whole.schema}
    assert whole.schema.field("x").type == pa.float64()
    assert whole.schema.field("y").type == pa.string()
    assert pa.Table.from_batches(batches).equals(whole)


def test_a_declared_int_column_with_a_late_float_is_a_bad_value_on_its_line(
    tmp_path: Path
) -> None:
    ids = [str(i) for i in range(6_000)]
    ids[5_432] = "5432.5"
    path = write_csv(pa.table({"id": ids, "amount": ["1.0"] * 6_000}), tmp_path / "ids.csv")
    spec = DataSpec(train=path, test=path, target="label",
                    columns=(ColumnSpec("id", "int"), ColumnSpec("amount", "float")))

    streamed = validate_part(open_parts([path])[0], spec)
    memory = validate_file(path, spec)

    assert streamed.findings == memory.findings
    [finding] = [f for f in streamed.findings if f.rule == "dtype"]
    assert finding.lines == (5_434,) and finding.examples == ("5432.5",)


def test_a_bad_cell_stops_streamed_drift_naming_file_column_and_line(tmp_path: Path) -> None:
    reference = write_csv(frame(3_000, 1, 0.0), tmp_path / "reference.csv")
    rows = frame(5_000, 2, 0.0)
    normal = [str(v) for v in rows.column("normal").to_pylist()]
    normal[3_210] = "twelve"
    current = write_csv(rows.set_column(0, "normal", pa.array(normal)), tmp_path / "cur.csv")

    with pytest.raises(InputProblems) as streamed:
        drift_stream(reference, open_parts([current]), DriftSpec())
    with pytest.raises(InputProblems) as memory:
        drift_files(reference, current, DriftSpec())

    [problem] = streamed.value.problems
    [expected] = memory.value.problems
    assert (problem.file, problem.line, problem.column, problem.path) == (
        str(current), 3_212, 1, "normal")
    assert (problem.file, problem.line, problem.column, problem.path) == (
        expected.file, expected.line, expected.column, expected.path)
    assert problem.message == expected.message == "1 value is not float: 'twelve' (line 3212)"


def test_a_malformed_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    lines = ["a,b"] + [f"{i},{i}" for i in range(3_000)]
    lines[2_001] = "1,2,3"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(UserError) as raised:
        list(record_batches(open_parts([path])[0], ["a"], {"a": "int"}))

    assert f"{path}:2002: expected 2 fields as in the header, found 3" in raised.value.message


def test_frames_of_streamed_batches_are_the_whole_file_frame(tmp_path: Path) -> None:
    table = dirty(3_500)
    path = write_csv(table, tmp_path / "rows.csv")
    spec = DataSpec(train=path, test=path, target="label",
                    columns=(ColumnSpec("plan", "category"), ColumnSpec("note", "string"),
                             ColumnSpec("label", "int")))
    whole = read_frame(spec, path)
    header = read_header(path)
    part = open_parts([path])[0]
    pieces, offset = [], 0
    for batch in record_batches(part, None, {c.name: c.dtype for c in spec.columns}):
        pieces.append(typed_frame(spec, header, batch, first_row=offset))
        offset += batch.num_rows

    pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), whole)

