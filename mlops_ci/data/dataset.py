"""A model's data file as a pandas DataFrame typed by its column schema (train and evaluate).

Built on ``mlops_ci.data.reader`` (pyarrow): declared dtypes are applied while reading and
values of the wrong type are a ``InputProblems`` naming file, column and line. The frame a
model sees: ``int``/``float`` columns numeric (an int column with empty cells becomes
float), ``bool`` columns real booleans (``true``/``false`` in CSV), ``category``/``string``
columns plain Python strings in ``object`` columns with ``NaN`` for empty cells (not pandas
``Categorical`` or ``StringDtype``, which scikit-learn's imputers reject), ``datetime``
columns pandas timestamps. Undeclared columns keep the type pyarrow infers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.config.model import DataSpec
from mlops_ci.data.reader import (
    Header,
    raise_for_bad_values,
    read_header,
    read_table,
    typed_table,
)
from mlops_ci.errors import InputProblems, Problem

_TEXT_DTYPES = ("category", "string")


@dataclass(frozen=True, slots=True)
class Frame:
    """One data file read for a model: its features and its target, split."""

    path: Path
    features: Any  # pandas DataFrame: every column but the target and the id column
    target: Any  # pandas Series


def read_frame(data: DataSpec, path: Path) -> Any:
    """Every column of the file at ``path`` as a DataFrame typed by ``data.columns``."""
    header = read_header(path, data.format)
    specs = {column.name: column for column in data.columns}
    table = read_table(header, header.columns, specs)
    raise_for_bad_values(table)
    return model_frame(data, table.arrow)


def typed_frame(data: DataSpec, header: Header, arrow: Any, *, first_row: int = 0) -> Any:
    """An Arrow table or batch of the file of ``header`` as ``read_frame`` gives it: typed by
    ``data.columns`` (wrong values an ``InputProblems``), then made a model's frame. The
    streamed feedback reads Parquet in batches through this, so each batch's frame is the
    whole file's rows of that batch (``first_row``: the rows before it, for the lines of bad
    values)."""
    import pyarrow as pa

    if isinstance(arrow, pa.RecordBatch):
        arrow = pa.Table.from_batches([arrow])
    dtypes = {c.name: c.dtype for c in data.columns if c.name in arrow.column_names}
    table = typed_table(header, arrow, dtypes, first_row=first_row)
    raise_for_bad_values(table)
    return model_frame(data, table.arrow)


def model_frame(data: DataSpec, arrow: Any) -> Any:
    """The pandas frame a model sees of a typed Arrow table (see the module)."""
    import numpy as np

    specs = {column.name: column for column in data.columns}
    frame = arrow.to_pandas()
    for name in arrow.column_names:
        spec = specs.get(name)
        column = frame[name]
        if spec is None:
            as_object = column.dtype.kind not in "biufcmM"
        else:
            as_object = spec.dtype in _TEXT_DTYPES or (
                spec.dtype == "bool" and column.dtype.kind != "b"  # a bool column with gaps
            )
        if as_object:
            frame[name] = column.astype(object).where(column.notna(), np.nan)
    return frame


def read_split(data: DataSpec, path: Path, *, display: str | None = None) -> Frame:
    """The file as features and target; the target must be present and have no empty cell."""
    frame = read_frame(data, path)
    name = display or str(path)
    if data.target not in frame.columns:
        raise InputProblems(
            [Problem(name, 1, 1, data.target, f"the target column {data.target!r} is missing")],
            what=f"{name} cannot be used",
        )
    target = frame[data.target]
    empty = target.isna().to_numpy().nonzero()[0]
    if len(empty):
        lines = ", ".join(str(int(row) + 2) for row in empty[:5])
        raise InputProblems(
            [Problem(name, int(empty[0]) + 2, _column_number(frame.columns, data.target),
                     data.target,
                     f"the target is empty in {len(empty)} row(s) (line(s) {lines})")],
            what=f"{name} cannot be used",
        )
    dropped = [data.target, *([data.id_column] if data.id_column else [])]
    features = frame.drop(columns=[c for c in dropped if c in frame.columns])
    return Frame(path, features, target)


def _column_number(columns: Sequence[str], name: str) -> int:
    return list(columns).index(name) + 1
