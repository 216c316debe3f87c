"""The smoke test's rows, read from the test set, for a model with or without ``data.columns``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.deploy.probe import rows_from_csv
from mlops_ci.errors import UserError
from mlops_ci.serving.columns import InputColumn

CSV = "radius,count,grade,target\n17.99,3,high,0\n,12,low,1\nnan,1e3,mid,1\n"


def test_without_a_schema_every_column_but_the_target_is_sent_numbers_as_numbers(
    tmp_path: Path,
) -> None:
    """A project without data.columns: the server takes the model's own feature names, so
    the rows hold the file's columns (never the target), typed as they read."""
    path = tmp_path / "test.csv"
    path.write_text(CSV, encoding="utf-8")

    rows = rows_from_csv(path, (), 3, exclude=("target",))

    assert rows == (
        {"radius": 17.99, "count": 3, "grade": "high"},
        {"radius": None, "count": 12, "grade": "low"},
        {"radius": "nan", "count": 1000.0, "grade": "mid"},  # never a non-finite JSON number
    )
    assert all(type(row["count"]) in (int, float) for row in rows)


def test_with_a_schema_only_its_columns_are_sent_typed_as_it_says(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text(CSV, encoding="utf-8")
    schema = (InputColumn("count", "FP64"), InputColumn("grade", "BYTES"))

    rows = rows_from_csv(path, schema, 2, exclude=("target",))

    assert rows == ({"count": 3.0, "grade": "high"}, {"count": 12.0, "grade": "low"})


def test_a_schema_column_the_file_lacks_is_named(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text(CSV, encoding="utf-8")

    with pytest.raises(UserError, match=r"test\.csv: no column\(s\) area for the smoke test"):
        rows_from_csv(path, (InputColumn("area", "FP64"),), 2)
