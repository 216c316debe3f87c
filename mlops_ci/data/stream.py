"""Parquet and CSV data read in batches, so that no measurement holds all its rows.

What a caller may rely on:

- ``open_parts`` reads only what states a file's columns: a Parquet file's footer (its rows,
  columns and types), a CSV file's header line (``csvfile.csv_header``: byte-order mark,
  duplicate names) and its rows, counted in one pass over its first column. A Parquet column
  whose type is not the declared ``dtype`` (``data.columns`` in mlops.yaml, or, for a column
  without a declaration, the type read from the reference data) is an ``InputProblems`` naming
  the file and the column, before any row is read: a Parquet file states its types, so a
  mismatch is a broken export, not a stray value. Accepted: ``int`` any integer type;
  ``float`` any integer, floating or decimal type; ``bool`` boolean; ``string`` and
  ``category`` text, plain or dictionary-encoded; ``datetime`` timestamps and dates; an
  all-null column matches any dtype. A CSV file states no types: its values are typed batch
  by batch as the whole-file read types them (``csvstream``), and a bad value is an
  ``InputProblems`` naming the file, the column and the line, as in memory.
- Several files are one dataset: they must hold the same columns (in any order). Parquet and
  CSV files may be mixed; each is read by its own reader.
- ``column_batches`` yields one column of a file in arrays of at most ``BATCH_ROWS`` rows
  (Parquet: ``ParquetFile.iter_batches``; CSV: ``csvstream.csv_batches``): memory holds one
  batch and pyarrow one row group's chunk (one block of a CSV file) of that column, whatever
  the number of rows. Measurements go column by column (each rule and statistic is per
  column), which reads each Parquet column's bytes once, as Parquet lays them out; a CSV file
  is parsed once per column measured. ``record_batches`` yields several columns at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlops_ci.config.model import DataFormat, DType
from mlops_ci.data.csvfile import csv_header
from mlops_ci.data.csvstream import count_rows, csv_batches, infer_types
from mlops_ci.data.reader import Header, arrow_type
from mlops_ci.data.reader import data_format as format_of
from mlops_ci.errors import InputProblems, Problem, UserError

BATCH_ROWS = 1 << 16
PartFormat = Literal["parquet", "csv", "jsonl"]  # JSON Lines: prediction logs (their reader)
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
class DataPart:
    """One file of a streamed dataset: a Parquet file from its footer, a CSV file from its
    header line and a count of its rows."""

    path: Path
    name: str  # as reports show it
    rows: int
    columns: tuple[str, ...]
    types: tuple[Any, ...]  # pyarrow types, one per column (Parquet; empty for CSV)
    format: PartFormat = "parquet"
    bom: bool = False  # a CSV file starting with a UTF-8 byte-order mark

    @property
    def header(self) -> Header:
        fmt: DataFormat = "csv" if self.format == "csv" else "parquet"
        return Header(self.path, fmt, self.columns, self.bom)

    def type_of(self, column: str) -> Any:
        return self.types[self.columns.index(column)]


def open_parts(
    paths: Sequence[Path], names: Sequence[str] | None = None,
    data_format: DataFormat | None = None,
) -> tuple[DataPart, ...]:
    """The footers or headers of ``paths`` (shown as ``names``; their format as declared, else
    by their extension); one set of columns across them."""
    shown = list(names) if names is not None else [str(path) for path in paths]
    parts = [_open_part(path, name, format_of(path, data_format))
             for path, name in zip(paths, shown, strict=True)]
    if not parts:
        raise UserError("no data file to read")
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


def _open_part(path: Path, name: str, fmt: DataFormat) -> DataPart:
    import pyarrow as pa
    from pyarrow import parquet as pq

    if fmt == "csv":
        if not path.is_file() or path.stat().st_size == 0:
            raise UserError(f"{name}: the file is empty (0 bytes)" if path.is_file()
                            else f"{name}: no such data file")
        columns, bom = csv_header(path)
        return DataPart(path, name, count_rows(path, columns, BATCH_ROWS), columns, (), "csv",
                        bom)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{name}: not a readable Parquet file: {error}") from None
    schema = parquet.schema_arrow
    return DataPart(path, name, parquet.metadata.num_rows, tuple(schema.names),
                    tuple(schema.types))


def check_types(parts: Sequence[DataPart], dtypes: Mapping[str, DType],
                *, declared: str = "declared in data.columns") -> None:
    """``InputProblems`` naming each file and column whose type is not its ``dtype``."""
    problems = []
    for part in parts:
        if part.format != "parquet":
            continue  # CSV states no types: its values are typed batch by batch
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


def column_batches(part: DataPart, column: str, dtype: DType | None = None) -> Iterator[Any]:
    """One column of one file as pyarrow arrays of at most ``BATCH_ROWS`` rows, in order; a
    CSV column read as the whole-file read reads it with ``dtype`` (type each batch with
    ``reader.typed_table``).

    One column at a time: pyarrow decodes a row group's chunk of the columns it is asked for
    before slicing it into batches, so asking for one column holds one column chunk (8 MB per
    million numbers) instead of a whole row group.
    """
    import pyarrow as pa
    from pyarrow import parquet as pq

    if part.format == "csv":
        dtypes = {column: dtype} if dtype is not None else {}
        for batch in record_batches(part, [column], dtypes):
            yield batch.column(0)
        return
    try:
        # a buffered stream without pre-buffering: pre-buffered column chunks were kept, and
        # peak memory grew by about 6 MB per million rows
        parquet = pq.ParquetFile(part.path, pre_buffer=False, buffer_size=_READ_BUFFER)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[column]):
            yield batch.column(0)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{part.name}: not a readable Parquet file: {error}") from None


def record_batches(
    part: DataPart,
    columns: Sequence[str] | None,
    dtypes: Mapping[str, DType],
    batch_rows: int | None = None,
) -> Iterator[Any]:
    """``columns`` (None: all) of one file as RecordBatches of at most ``batch_rows`` rows
    (default ``BATCH_ROWS``), in order. A CSV file's columns are read with the Arrow type of
    their ``dtypes`` entry, the others (and datetime columns) with the type pyarrow infers
    from the whole file (``csvstream``), so the batches are those of the whole-file read, cut;
    type each with ``reader.typed_table`` or ``dataset.typed_frame``."""
    import pyarrow as pa
    from pyarrow import parquet as pq

    size = batch_rows if batch_rows is not None else BATCH_ROWS
    wanted = list(columns) if columns is not None else list(part.columns)
    if not wanted:
        return  # no column asked (pyarrow would read them all)
    if part.format == "csv":
        types = {name: arrow_type(dtypes[name]) for name in wanted
                 if name in dtypes and dtypes[name] != "datetime"}
        types |= infer_types(part.path, part.columns,
                             [name for name in wanted if name not in types], size)
        yield from csv_batches(part.path, part.columns, wanted, types, size)
        return
    try:
        parquet = pq.ParquetFile(part.path, pre_buffer=False, buffer_size=_READ_BUFFER)
        yield from parquet.iter_batches(batch_size=size, columns=wanted)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{part.name}: not a readable Parquet file: {error}") from None
