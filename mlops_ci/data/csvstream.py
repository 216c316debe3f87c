"""CSV read in batches (``pyarrow.csv.open_csv``), typed as the whole-file read types it.

What a caller may rely on:

- Memory holds a few blocks of the file (``block_bytes``: 16 bytes a row of a batch, 1 MiB
  for 65,536 rows; pyarrow reads a few blocks ahead), at least
  16 KiB) and the batches cut from it, whatever the file's size.
- A column given an Arrow type (the declared dtypes, as ``reader.read_table`` gives them to
  ``read_csv``) is converted by pyarrow's CSV converter, exactly as the whole-file read does.
  When a block holds a value that does not convert, the read starts again after the rows
  already yielded, with that column as text from there on: the caller types each batch with
  ``reader.typed_table`` (which finds the bad values and their lines), as the whole-file read
  types a column it had to read as text.
- A column without a type takes the type the whole-file read infers, found by
  ``infer_types`` over the whole file first: pyarrow's streaming reader infers each column
  from the first block alone, so a column of integers whose floats come later would fail,
  or, read as text, stop being a number. ``infer_types`` starts from the first block's type
  and widens it as pyarrow's whole-file read does (integer, then float, then text; a
  boolean or time column that meets another value becomes text).
- Invalid UTF-8 and malformed rows are a ``UserError`` naming the line
  (``csvfile.raise_not_utf8`` and ``csvfile.csv_parse_error``, the whole-file read's own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops_ci.data.csvfile import csv_parse_error, failing_column, raise_not_utf8
from mlops_ci.errors import UserError

_MIN_BLOCK = 1 << 14
_MAX_BLOCK = 1 << 24
_BYTES_PER_ROW = 16
_COLUMN_INDEX = re.compile(r"In CSV column #(\d+)")


def block_bytes(batch_rows: int) -> int:
    """The bytes pyarrow reads at a time for batches of ``batch_rows`` rows."""
    return max(_MIN_BLOCK, min(_MAX_BLOCK, batch_rows * _BYTES_PER_ROW))


def count_rows(path: Path, header: Sequence[str], batch_rows: int) -> int:
    """The data rows of the file, read in batches (one column, as text)."""
    import pyarrow as pa

    if not header:
        return 0
    types = {header[0]: pa.string()}
    return sum(batch.num_rows for batch in csv_batches(path, header, [header[0]], types,
                                                         batch_rows))


def csv_batches(
    path: Path,
    header: Sequence[str],
    columns: Sequence[str],
    types: Mapping[str, Any],
    batch_rows: int,
) -> Iterator[Any]:
    """``columns`` of the CSV file as RecordBatches of at most ``batch_rows`` rows, in order
    (see the module for the types)."""
    import pyarrow as pa

    as_text: set[str] = set()
    done = 0
    while True:
        wanted = {name: pa.string() if name in as_text else kind for name, kind in types.items()
                  if name in columns}
        skip = done
        try:
            for batch in _reader(path, columns, wanted, batch_rows):
                if skip >= batch.num_rows:
                    skip -= batch.num_rows
                    continue
                batch, skip = batch.slice(skip), 0
                for start in range(0, batch.num_rows, batch_rows):
                    piece = batch.slice(start, batch_rows)
                    yield piece
                    done += piece.num_rows
            return
        except pa.ArrowInvalid as error:
            failing = _failure(path, header, str(error), wanted, as_text)
            as_text.add(failing)
        except OSError as error:
            raise not_readable(path, error) from None


def infer_types(
    path: Path, header: Sequence[str], columns: Sequence[str], batch_rows: int
) -> dict[str, Any]:
    """The Arrow type of each of ``columns`` over the whole file (see the module)."""
    import pyarrow as pa

    if not columns:
        return {}
    fixed: dict[str, Any] = {}
    found: dict[str, Any] = {}
    while True:
        try:
            reader = _reader(path, columns, fixed, batch_rows)
            found = dict(zip(reader.schema.names, reader.schema.types, strict=True))
            for _ in reader:
                pass
        except pa.ArrowInvalid as error:
            message = str(error)
            if "UTF8" in message or "UTF-8" in message:
                raise_not_utf8(path)
            match = _COLUMN_INDEX.search(message)
            if "conversion error" not in message or match is None:
                raise csv_parse_error(path, len(header), message) from None
            name = header[int(match.group(1))]
            fixed[name] = _wider(fixed.get(name, found.get(name)))
            continue
        except OSError as error:
            raise not_readable(path, error) from None
        types = {name: fixed.get(name, found[name]) for name in columns}
        if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in types.values()):
            raise_not_utf8(path)  # pyarrow infers "binary" for text that is not UTF-8
        return types


def _wider(arrow_type: Any) -> Any:
    """The next type pyarrow's whole-file inference tries after ``arrow_type`` failed."""
    import pyarrow as pa

    if arrow_type is None or pa.types.is_null(arrow_type):
        return pa.int64()
    if pa.types.is_integer(arrow_type):
        return pa.float64()
    return pa.string()


def _reader(path: Path, columns: Sequence[str], types: Mapping[str, Any],
            batch_rows: int) -> Any:
    from pyarrow import csv as pacsv

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=block_bytes(batch_rows)),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(types),
            include_columns=list(columns),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _failure(path: Path, header: Sequence[str], message: str, types: Mapping[str, Any],
             as_text: set[str]) -> str:
    """The typed column a conversion error is about (to read as text from there), or the
    ``UserError`` of invalid UTF-8 or a malformed row."""
    if "UTF8" in message or "UTF-8" in message:
        raise_not_utf8(path)
    failing = failing_column(message, header, types, as_text)
    if failing is None:
        raise csv_parse_error(path, len(header), message)
    return failing


def not_readable(path: Path, error: Exception) -> UserError:
    return UserError(f"{path}: cannot read the file: {error}")
