"""Small builders for data tests: real files on disk, real pyarrow tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from mlops_ci.data.reader import Header, Table


def table(columns: Mapping[str, Sequence[object]], name: str = "memory.parquet") -> Table:
    """A Table from python or numpy columns, as the reader would return it."""
    arrow = pa.table({key: pa.array(values) for key, values in columns.items()})
    header = Header(Path(name), "parquet", tuple(columns))
    return Table(header, arrow.num_rows, arrow)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
