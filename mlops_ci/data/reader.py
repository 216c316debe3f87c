"""Read CSV and Parquet data with pyarrow: only the columns asked for, typed by their spec.

What a caller may rely on:

- Parquet is read natively (only the requested columns); CSV with pyarrow's multithreaded
  reader, ``include_columns`` set to the requested columns and ``column_types`` from the
  ``ColumnSpec`` dtypes, so a 25-column file read for 3 columns parses 3.
- dtypes become Arrow types: int -> int64, float -> float64, bool -> bool, string -> string,
  category -> dictionary<int32, string>, datetime -> timestamp (ISO 8601). Without a spec,
  pyarrow infers the type.
- Encoding: CSV must be UTF-8. A UTF-8 byte-order mark is accepted transparently (and
  recorded in ``Header.bom``, which ``data validate`` reports as a warning); a UTF-16/32 mark
  or any invalid UTF-8 byte is a ``UserError`` naming the line, the byte within it and the
  file offset.
- Values that do not parse as their column's dtype do not stop the read: they become null in
  the table and are listed in ``Table.bad_values`` (count, a few examples and their lines).
  ``raise_for_bad_values`` turns them into an ``InputProblems`` for callers that need clean
  data (drift, training); ``data validate`` reports them as ``dtype`` findings.
- CSV line numbers assume no quoted field spans lines (line = data row + 1).
- Empty files, missing columns, duplicate header names, malformed rows and unreadable Parquet
  are ``UserError``/``InputProblems`` naming the file and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.config.model import ColumnSpec, DataFormat, DType
from mlops_ci.data.csvfile import csv_header, read_csv
from mlops_ci.errors import InputProblems, Problem, UserError

MAX_EXAMPLES = 5
_INT = r"^[+-]?\d+$"
_FLOAT = (
    r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?"
    r"|[iI]nf|INF|[iI]nfinity|INFINITY|nan|NaN|NAN)$"
)
_BOOL_TEXT = ("1", "0", "true", "false", "True", "False", "TRUE", "FALSE")


@dataclass(frozen=True, slots=True)
class Header:
    """The columns a data file holds, found without reading its rows."""

    path: Path
    format: DataFormat
    columns: tuple[str, ...]
    bom: bool = False

    @property
    def name(self) -> str:
        return str(self.path)


@dataclass(frozen=True, slots=True)
class BadValues:
    """Values of one column that are not of its declared dtype (read as null)."""

    column: str
    dtype: DType
    count: int
    examples: tuple[str, ...]
    lines: tuple[int, ...]  # file lines (CSV) or 1-based rows (Parquet) of the examples
    mask: Any = None  # pyarrow boolean ChunkedArray: True on the rows that did not parse


@dataclass(frozen=True, slots=True)
class Table:
    """The requested columns of one file as a pyarrow Table (typed ``Any``: pyarrow is untyped)."""

    header: Header
    rows: int
    arrow: Any
    bad_values: tuple[BadValues, ...] = ()

    def column(self, name: str) -> Any:
        """The column as a pyarrow ChunkedArray."""
        return self.arrow.column(name)


def data_format(path: Path, declared: DataFormat | None = None) -> DataFormat:
    """The format of ``path``: as declared, else by its extension."""
    if declared is not None:
        return declared
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".parquet", ".pq"):
        return "parquet"
    if ".csv" in suffixes[-2:] or ".tsv" in suffixes[-2:]:
        return "csv"
    raise UserError(
        f"{path}: cannot tell the data format from the file name",
        hint="name the file *.csv or *.parquet, or set data.format in mlops.yaml",
    )


def read_header(path: Path, declared: DataFormat | None = None) -> Header:
    """The header of a data file; raises ``UserError`` if it is missing, empty or unreadable."""
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a data file")
    fmt = data_format(path, declared)
    if not path.is_file():
        raise UserError(f"{path}: no such data file")
    if path.stat().st_size == 0:
        raise UserError(
            f"{path}: the file is empty (0 bytes)",
            hint="a data file needs at least a header line naming its columns",
        )
    if fmt == "parquet":
        return Header(path, fmt, _parquet_columns(path))
    columns, bom = csv_header(path)
    return Header(path, fmt, columns, bom)


def arrow_type(dtype: DType) -> Any:
    import pyarrow as pa

    types = {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string(),
        "category": pa.dictionary(pa.int32(), pa.string()),
        "datetime": pa.timestamp("us"),
    }
    return types[dtype]


def require_columns(header: Header, columns: Sequence[str], role: str = "required") -> None:
    """Raise ``InputProblems`` listing every column of ``columns`` the file lacks."""
    present = set(header.columns)
    missing = [name for name in columns if name not in present]
    if not missing:
        return
    listing = ", ".join(repr(name) for name in header.columns[:20])
    if len(header.columns) > 20:
        listing += ", ..."
    problems = [
        Problem(
            file=header.name,
            line=1,
            column=1,
            path=name,
            message=f"{role} column {name!r} is not in the file",
            hint=f"the file's columns are: {listing}",
        )
        for name in missing
    ]
    raise InputProblems(problems, what=f"{header.name} lacks {role} columns")


def read_table(
    header: Header, columns: Sequence[str], specs: Mapping[str, ColumnSpec] | None = None
) -> Table:
    """Read ``columns`` of the file, typed by ``specs`` (columns without a spec: inferred)."""
    require_columns(header, columns, "requested")
    wanted = list(dict.fromkeys(columns))
    dtypes = {name: spec.dtype for name, spec in (specs or {}).items() if name in wanted}
    if header.format == "parquet":
        arrow = _read_parquet(header, wanted)
    else:
        types = {n: arrow_type(d) for n, d in dtypes.items() if d != "datetime"}
        arrow = read_csv(header.path, header.columns, wanted, types)
    return typed_table(header, arrow, dtypes)


def raise_for_bad_values(table: Table) -> None:
    """``InputProblems`` naming every column with values that are not of its dtype."""
    if not table.bad_values:
        return
    problems = []
    for bad in table.bad_values:
        place = "line" if table.header.format == "csv" else "row"
        shown = ", ".join(
            f"{value!r} ({place} {line})"
            for value, line in zip(bad.examples, bad.lines, strict=True)
        )
        problems.append(
            Problem(
                file=table.header.name,
                line=bad.lines[0] if bad.lines and place == "line" else 1,
                column=table.header.columns.index(bad.column) + 1,
                path=bad.column,
                message=f"{bad.count} value{'s' if bad.count != 1 else ''} "
                f"{'are' if bad.count != 1 else 'is'} not {bad.dtype}: {shown}",
            )
        )
    raise InputProblems(problems, what=f"{table.header.name} has values of the wrong type")


# -- Parquet -----------------------------------------------------------------------------


def _parquet_columns(path: Path) -> tuple[str, ...]:
    import pyarrow as pa
    from pyarrow import parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise UserError(f"{path}: not a readable Parquet file: {error}") from None
    return tuple(schema.names)


def _read_parquet(header: Header, columns: list[str]) -> Any:
    """The columns, read through ``ParquetFile`` (no dataset layer, no pandas import)."""
    import pyarrow as pa
    from pyarrow import parquet as pq

    try:
        return pq.ParquetFile(header.path).read(columns=columns)
    except (pa.ArrowInvalid, OSError) as error:
        raise UserError(f"{header.name}: not a readable Parquet file: {error}") from None


def parquet_layout(header: Header) -> tuple[int, dict[str, Any]]:
    """Row count and Arrow type per column of a Parquet file, from its footer alone."""
    import pyarrow as pa
    from pyarrow import parquet as pq

    try:
        parquet = pq.ParquetFile(header.path)
    except (pa.ArrowInvalid, OSError) as error:
        raise UserError(f"{header.name}: not a readable Parquet file: {error}") from None
    schema = parquet.schema_arrow
    return parquet.metadata.num_rows, dict(zip(schema.names, schema.types, strict=True))


# -- typing columns ----------------------------------------------------------------------


def typed_table(
    header: Header, arrow: Any, dtypes: Mapping[str, DType], *, first_row: int = 0
) -> Table:
    """``arrow`` typed by ``dtypes``; ``first_row``: the rows of the file before it (a streamed
    batch), so that bad values are named by their line in the file."""
    bad_values: list[BadValues] = []
    for name, dtype in dtypes.items():
        index = arrow.schema.get_field_index(name)
        column, bad = _coerce_column(arrow.column(index), dtype)
        if bad is not None:
            bad_values.append(_describe_bad(header, name, dtype, arrow.column(index), bad,
                                            first_row))
        arrow = arrow.set_column(index, name, column)
    return Table(header, arrow.num_rows, arrow, tuple(bad_values))


def _coerce_column(column: Any, dtype: DType) -> tuple[Any, Any]:
    """The column as ``dtype``, and a boolean mask of values that could not be converted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    target = arrow_type(dtype)
    if column.type == target or (dtype == "datetime" and pa.types.is_timestamp(column.type)):
        return column, None
    if dtype == "string" and pa.types.is_dictionary(column.type):
        return pc.cast(column, pa.string()), None
    try:
        return pc.cast(column, target), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    bad = _unparseable(text, dtype)
    cleaned = pc.if_else(bad, pa.scalar(None, pa.string()), text)
    try:
        return pc.cast(cleaned, target), bad
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return cleaned, bad


def _unparseable(text: Any, dtype: DType) -> Any:
    """Mask of non-null text values that are not ``dtype`` (nulls are never unparseable)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if dtype == "int":
        good = pc.and_(pc.match_substring_regex(text, _INT), _in_int64_range(text))
    elif dtype == "float":
        good = pc.match_substring_regex(text, _FLOAT)
    elif dtype == "bool":
        good = pc.is_in(text, value_set=pa.array(_BOOL_TEXT))
    elif dtype == "datetime":
        good = pa.chunked_array([pa.array([_is_datetime(v) for v in text.to_pylist()])])
    else:
        good = pc.is_valid(text)
    return pc.and_(pc.is_valid(text), pc.invert(pc.fill_null(good, True)))


def _in_int64_range(text: Any) -> Any:
    """Mask of texts that are not integers too large for int64 (those with over 18 digits
    are checked one by one: they are rare, and the fast path stays vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.utf8_length(pc.utf8_ltrim(text, characters="+-0"))
    long = pc.fill_null(pc.greater(digits, 18), False)
    if not pc.any(long).as_py():
        return pc.invert(long)
    flags = [
        not is_long or _fits_int64(value)
        for value, is_long in zip(text.to_pylist(), long.to_pylist(), strict=True)
    ]
    return pa.chunked_array([pa.array(flags, pa.bool_())])


def _fits_int64(value: str) -> bool:
    if len(value) > 40:  # no int64 needs that many characters; int() refuses 4,300 digits
        return False
    try:
        return -(2**63) <= int(value) <= 2**63 - 1
    except ValueError:
        return False  # not an integer: the pattern refuses it anyway


def _is_datetime(value: str | None) -> bool | None:
    from datetime import datetime

    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _describe_bad(
    header: Header, name: str, dtype: DType, original: Any, bad: Any, first_row: int
) -> BadValues:
    import numpy as np
    import pyarrow.compute as pc

    mask = np.asarray(pc.fill_null(bad, False).to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.flatnonzero(mask)[:MAX_EXAMPLES]
    examples = tuple(str(original[int(row)].as_py()) for row in rows)
    offset = (2 if header.format == "csv" else 1) + first_row
    lines = tuple(int(r) + offset for r in rows)
    return BadValues(name, dtype, int(mask.sum()), examples, lines, pc.fill_null(bad, False))
