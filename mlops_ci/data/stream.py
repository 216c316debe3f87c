"""Parquet data read in batches, so that no measurement holds all its rows.

What a caller may rely on:

- ``open_parts`` reads only the footers of the files: their rows, columns and types. A column
  whose Parquet type is not the declared ``dtype`` (``data.columns`` in mlops.yaml, or, for a
  column without a declaration, the type read from the reference data) is an ``InputProblems``
  naming the file and the column, before any row is read: a Parquet file states its types,
  so a mismatch is a broken export, not a stray value. Accepted: ``int`` any integer type;
  ``float`` any integer, floating or decimal type; ``bool`` boolean; ``string`` and
  ``category`` text, plain or dictionary-encoded; ``datetime`` timestamps and dates; an
  all-null column matches any dtype.
- Several files are one dataset: they must hold the same columns (in any order).
- ``column_batches`` yields one column of a file in arrays of at most ``BATCH_ROWS`` rows,
  through ``ParquetFile.iter_batches``: memory holds one batch and pyarrow one row group's
  chunk of that column, whatever the number of rows. Measurements go column by column (each
  rule and statistic is per column), which reads each column's bytes once, as Parquet lays
  them out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.config.model import DType
from mlops_ci.data.reader import Header
from mlops_ci.errors import InputProblems, Problem, UserError

BATCH_ROWS = 1 << 16
_READ_BUFFER = 1 << 20

_EXPECTED = {
    "int": "an integer type",
    "float": "a numeric type",
    "bool": "boolean",
    "string": "text (string or dictionary)",
    "category": "text (string or dictionary)",
    "datetime": "a timestamp or date",
}


@dataclass(frozen=True, slots=True)
class ParquetPart:
    """One Parquet file of a streamed dataset, from its footer."""

    path: Path
    name: str  # as reports show it
    rows: int
    columns: tuple[str, ...]
    types: tuple[Any, ...]  # pyarrow types, one per column

    @property
    def header(self) -> Header:
        return Header(self.path, "parquet", self.columns)

    def type_of(self, column: str) -> Any:
        return self.types[self.columns.index(column)]


def open_parts(
    paths: Sequence[Path], names: Sequence[str] | None = None
) -> tuple[ParquetPart, ...]:
    """The footers of ``paths`` (shown as ``names``); one set of columns across them."""
    import pyarrow as pa
    from pyarrow import parquet as pq

    shown = list(names) if names is not None else [str(path) for path in paths]
    parts = []
    for path, name in zip(paths, shown, strict=True):
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as error:
            raise UserError(f"{name}: not a readable Parquet file: {error}") from None
        schema = parquet.schema_arrow
        parts.append(ParquetPart(path, name, parquet.metadata.num_rows, tuple(schema.names),
                                 tuple(schema.types)))
    if not parts:
        raise UserError("no Parquet file to read")
    first = parts[0]
    for part in parts[1:]:
        if set(part.columns) != set(first.columns):
            lacking = [c for c in first.columns if c not in part.columns]
            extra = [c for c in part.columns if c not in first.columns]
            what = (f"lacks {', '.join(map(repr, lacking))}" if lacking
                    else f"adds {', '.join(map(repr, extra))}")
            raise UserError(
                f"{part.name}: its columns differ from {first.name}'s: it {what}",
                hint="files compared together must hold the same columns",
            )
    return tuple(parts)


def check_types(parts: Sequence[ParquetPart], dtypes: Mapping[str, DType],
                *, declared: str = "declared in data.columns") -> None:
    """``InputProblems`` naming each file and column whose type is not its ``dtype``."""
    problems = []
    for part in parts:
        for name, dtype in dtypes.items():
            if name not in part.columns:
                continue
            found = part.type_of(name)
            if not type_matches(dtype, found):
                problems.append(Problem(
                    part.name, 1, part.columns.index(name) + 1, name,
                    f"column {name!r} is {found} in the file, but {dtype} is {declared} "
                    f"({_EXPECTED[dtype]})",
                    hint="write the column with its declared type, or change its dtype",
                ))
    if problems:
        files = sorted({problem.file for problem in problems})
        raise InputProblems(problems, what=f"{', '.join(files)}: columns of another type "
                                           "than declared")


def type_matches(dtype: DType, arrow_type: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_null(arrow_type):
        return True
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if dtype == "int":
        return bool(pa.types.is_integer(arrow_type))
    if dtype == "float":
        return bool(pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
                    or pa.types.is_decimal(arrow_type))
    if dtype == "bool":
        return bool(pa.types.is_boolean(arrow_type))
    if dtype in ("string", "category"):
        return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))
    return bool(pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type))


def column_batches(part: ParquetPart, column: str) -> Iterator[Any]:
    """One column of one file as pyarrow arrays of at most ``BATCH_ROWS`` rows, in order.

    One column at a time: pyarrow decodes a row group's chunk of the columns it is asked for
    before slicing it into batches, so asking for one column holds one column chunk (8 MB per
    million numbers) instead of a whole row group.
    """
    import pyarrow as pa
    from pyarrow import parquet as pq

    try:
        # a buffered stream without pre-buffering: pre-buffered column chunks were kept, and
        # peak memory grew by about 6 MB per million rows
        parquet = pq.ParquetFile(part.path, pre_buffer=False, buffer_size=_READ_BUFFER)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[column]):
            yield batch.column(0)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{part.name}: not a readable Parquet file: {error}") from None
