"""CSV specifics: the header line, the pyarrow read, and precise encoding and row errors.

The header is parsed by Python's csv module from the first bytes only (quoted names with
commas work); a UTF-8 byte-order mark is skipped and reported, UTF-16/32 marks are refused.
Invalid UTF-8 is located by a streaming scan (1 MiB chunks, a character split across chunks
is carried over), run only after pyarrow reported a problem, so valid files pay nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from mlops_ci.errors import InputProblems, Problem, UserError

_HEADER_CHUNK = 1 << 16
_SCAN_CHUNK = 1 << 20
_COLUMN_INDEX = re.compile(r"In CSV column #(\d+)")


def csv_header(path: Path) -> tuple[tuple[str, ...], bool]:
    with path.open("rb") as raw:
        head = raw.read(_HEADER_CHUNK)
        while b"\n" not in head:
            more = raw.read(_HEADER_CHUNK)
            if not more:
                break
            head += more
    for mark, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                       (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if head.startswith(mark):
            raise UserError(
                f"{path}: the file is {name} encoded (byte-order mark {mark.hex(' ')})",
                hint="save it as UTF-8",
            )
    bom = head.startswith(codecs.BOM_UTF8)
    text = head[len(codecs.BOM_UTF8) if bom else 0:].decode("utf-8", errors="surrogateescape")
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as error:
        raise UserError(f"{path}:1: the header line is not valid CSV: {error}") from None
    if first is None or not any(name.strip() for name in first):
        raise UserError(
            f"{path}:1: the header line is empty",
            hint="the first line must name the columns, separated by commas",
        )
    if any(_has_surrogates(name) for name in first):
        raise_not_utf8(path)
    seen: dict[str, int] = {}
    problems = []
    for index, name in enumerate(first, start=1):
        if name in seen:
            problems.append(
                Problem(str(path), 1, index, name,
                        f"column {name!r} appears twice in the header (fields {seen[name]} "
                        f"and {index})")
            )
        seen.setdefault(name, index)
    if problems:
        raise InputProblems(problems, what=f"{path} has a malformed header")
    return tuple(first), bom


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def read_csv(
    path: Path, header: Sequence[str], columns: Sequence[str], types: Mapping[str, Any]
) -> Any:
    """The ``columns`` of the CSV file as a pyarrow Table, typed by ``types`` (Arrow types).

    A column whose values do not all convert is read again as text (the caller finds the bad
    values); invalid UTF-8 and malformed rows raise ``UserError`` with their line.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    as_text: set[str] = set()
    while True:
        convert = pacsv.ConvertOptions(
            column_types={n: pa.string() if n in as_text else t for n, t in types.items()},
            include_columns=list(columns),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        try:
            arrow = pacsv.read_csv(path, convert_options=convert)
        except pa.ArrowInvalid as error:
            message = str(error)
            if "UTF8" in message or "UTF-8" in message:
                raise_not_utf8(path)
            failing = failing_column(message, header, types, as_text)
            if failing is None:
                raise csv_parse_error(path, len(header), message) from None
            as_text.add(failing)
            continue
        # pyarrow infers "binary" for an untyped column that is not valid UTF-8
        if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in arrow.schema.types):
            raise_not_utf8(path)
        return arrow


def failing_column(
    message: str, header: Sequence[str], types: Mapping[str, Any], as_text: set[str]
) -> str | None:
    """The typed column a conversion error is about, if it can still be read as text."""
    if "conversion error" not in message:
        return None
    match = _COLUMN_INDEX.search(message)
    if match and int(match.group(1)) < len(header):
        name = header[int(match.group(1))]
        if name in types and name not in as_text:
            return name
    untried = [name for name in types if name not in as_text]
    return untried[0] if untried else None


def csv_parse_error(path: Path, expected: int, message: str) -> UserError:
    """A malformed-row error with its line, found by Python's csv module (error path only)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as text:
        reader = csv.reader(text)
        start = 1  # the line the current record starts on (a quoted field may span lines)
        try:
            for row in reader:
                if len(row) != expected and row:
                    return UserError(
                        f"{path}:{start}: expected {expected} fields as in "
                        f"the header, found {len(row)}",
                        hint="quote values that contain commas",
                    )
                start = reader.line_num + 1
        except csv.Error as error:
            hint = None
            if reader.line_num > start:
                hint = (f"the record starting on line {start} runs on to line "
                        f"{reader.line_num}: is a quote left open?")
            return UserError(f"{path}:{start}: not valid CSV: {error}", hint=hint)
    return UserError(f"{path}: cannot read the file: {message}")


def raise_not_utf8(path: Path) -> NoReturn:
    """Find the first invalid UTF-8 byte (streaming) and raise a ``UserError`` naming it."""
    line, last_newline, base, carry = 1, -1, 0, b""
    with path.open("rb") as raw:
        while True:
            chunk = raw.read(_SCAN_CHUNK)
            data = carry + chunk
            try:
                _, consumed = codecs.utf_8_decode(data, "strict", not chunk)
            except UnicodeDecodeError as error:
                offset = base + error.start
                before = data[: error.start]
                newline = before.rfind(b"\n")
                line += before.count(b"\n")
                column = offset - (base + newline if newline >= 0 else last_newline)
                raise UserError(
                    f"{path}:{line}:{column}: the file is not valid UTF-8: byte "
                    f"0x{data[error.start]:02X} at offset {offset} (line {line}, byte "
                    f"{column} of the line)",
                    hint="save the file as UTF-8 (0xE9 is 'é' in Latin-1/Windows-1252)",
                ) from None
            done = data[:consumed]
            newline = done.rfind(b"\n")
            if newline >= 0:
                last_newline = base + newline
            line += done.count(b"\n")
            base += consumed
            carry = data[consumed:]
            if not chunk:
                break
    raise UserError(f"{path}: the file is not valid UTF-8")
