"""Validation of a data file against the column schema: one rule per test."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mlops_ci.config.model import ColumnSpec, DataSpec, RowBounds
from mlops_ci.data.results import Finding
from mlops_ci.data.validate import validate_file
from tests.data.helpers import write_csv

COLUMNS = (
    ColumnSpec("id", "string", nullable=False, unique=True),
    ColumnSpec("age", "int", nullable=False, min=0, max=120),
    ColumnSpec("plan", "category", allowed=("basic", "pro")),
    ColumnSpec("churned", "int", nullable=False, allowed=(0, 1)),
)


def spec(**changes: object) -> DataSpec:
    base: dict[str, object] = {
        "train": Path("train.csv"), "test": Path("test.csv"), "target": "churned",
        "columns": COLUMNS,
    }
    base.update(changes)
    return DataSpec(**base)  # type: ignore[arg-type]


def findings(tmp_path: Path, text: str, **changes: object) -> list[Finding]:
    path = write_csv(tmp_path / "train.csv", text)
    return list(validate_file(path, spec(**changes)).findings)


def test_a_clean_file_has_no_findings(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "id,age,plan,churned\na,30,basic,0\nb,40,pro,1\n")
    result = validate_file(path, spec())
    assert result.ok and result.findings == () and result.rows == 2


def test_missing_and_unexpected_columns(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,extra\na,1,basic,9\n")
    assert [(f.rule, f.column, f.message) for f in found] == [
        ("missing_column", "churned", "target column 'churned' (int) is missing"),
        ("unexpected_column", "extra", "column 'extra' is not in the schema "
         "(declare it, or set allow_extra_columns: true)"),
    ]


def test_extra_columns_are_fine_when_allowed(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,churned,extra\na,1,basic,0,9\n",
                     allow_extra_columns=True)
    assert found == []


def test_a_value_of_the_wrong_type_is_one_dtype_finding_not_also_a_null(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,churned\na,30,basic,0\nb,old,pro,1\nc,x,pro,1\n")
    assert found == [
        Finding("dtype", "error", "age", 2, "2 values not of type int", ("old", "x"), (3, 4))
    ]


def test_nulls_in_a_non_nullable_column(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,churned\na,,basic,0\nb,3,pro,1\nc,,pro,1\n")
    assert found == [Finding("null", "error", "age", 2,
                             "2 null values in a non-nullable column", (), (2, 4))]


def test_values_out_of_range(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,churned\na,-1,basic,0\nb,121,pro,1\nc,200,pro,1\n")
    assert [(f.rule, f.count, f.examples, f.lines) for f in found] == [
        ("min", 1, ("-1",), (2,)),
        ("max", 2, ("121", "200"), (3, 4)),
    ]
    assert found[0].message == "1 value below the minimum 0"


def test_values_outside_the_allowed_set(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,churned\na,1,gold,0\nb,2,pro,2\nc,3,,1\n")
    assert [(f.rule, f.column, f.examples) for f in found] == [
        ("allowed", "plan", ("gold",)),
        ("allowed", "churned", ("2",)),
    ]
    assert found[0].message == "1 value not in the allowed values [basic, pro]"


def test_duplicates_in_a_unique_column(tmp_path: Path) -> None:
    found = findings(tmp_path, "id,age,plan,churned\na,1,pro,0\na,2,pro,0\na,3,pro,1\nb,4,pro,0\n")
    assert [(f.rule, f.count, f.examples) for f in found] == [("unique", 2, ("a",))]


def test_row_count_bounds(tmp_path: Path) -> None:
    text = "id,age,plan,churned\na,1,pro,0\n"
    assert [f.message for f in findings(tmp_path, text, rows=RowBounds(min=100))] == [
        "1 rows, fewer than the minimum 100"
    ]
    assert [f.rule for f in findings(tmp_path, text, rows=RowBounds(max=0))] == ["rows_max"]


def test_a_byte_order_mark_and_an_all_null_column_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfid,age,plan,churned\na,1,,0\n")
    result = validate_file(path, spec())
    assert [(f.rule, f.severity) for f in result.findings] == [
        ("bom", "warning"), ("all_null", "warning")
    ]
    assert result.ok


def test_parquet_findings_count_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "age": [5, -3], "plan": ["pro", "pro"],
                             "churned": [0, 1]}), path)
    result = validate_file(path, spec())
    assert [(f.rule, f.lines) for f in result.findings] == [("min", (2,))]
    assert result.place == "row"


def test_bounds_on_int64_values_beyond_float_precision(tmp_path: Path) -> None:
    rows = f"a,{2**63 - 1},basic,0\nb,{-(2**63)},basic,1\nc,{2**60},pro,0\nd,120,pro,1\n"
    found = findings(tmp_path, "id,age,plan,churned\n" + rows)
    assert [(f.rule, f.count, f.examples) for f in found] == [
        ("min", 1, (str(-(2**63)),)),
        ("max", 2, (str(2**63 - 1), str(2**60))),
    ]


def test_a_fractional_bound_on_an_int_column_keeps_its_meaning(tmp_path: Path) -> None:
    columns = (*COLUMNS[:1], ColumnSpec("age", "int", min=0.5, max=119.5), *COLUMNS[2:])
    found = findings(tmp_path, "id,age,plan,churned\na,0,basic,0\nb,1,pro,1\nc,120,pro,0\n",
                     columns=columns)
    assert [(f.rule, f.examples) for f in found] == [("min", ("0",)), ("max", ("120",))]
