"""Validate a Parquet or CSV file against its column schema in batches, in bounded memory.

The rules and the findings are those of ``validate`` (the same wording, counts and examples):
each batch is typed and checked, and the findings of a rule on a column are merged over the
batches (counts summed, the first examples kept with their rows in the file). Three rules see
the whole file: the row bounds (from the footer's row count), ``all_null`` (every batch all
null), and ``unique``, which is exact over the first ``UNIQUE_ROWS`` (200,000) rows of the
file and, past them, a warning says the rest was not checked: finding duplicates among a
hundred million ids needs them all, which is what streaming avoids. A column of another
Parquet type than declared is a ``UserError`` before any row is read (``stream.check_types``);
a CSV file's bad values are ``dtype`` findings with their lines, as in memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from mlops_ci.config.model import DataSpec, DType, RowBounds
from mlops_ci.data.reader import MAX_EXAMPLES, typed_table
from mlops_ci.data.results import Finding, Rule, ValidationResult
from mlops_ci.data.stream import DataPart, check_types, column_batches, record_batches
from mlops_ci.data.validate import (
    column_findings,
    duplicate_findings,
    row_findings,
    validate_table,
    value_message,
)

UNIQUE_ROWS = 200_000
_ORDER: tuple[Rule, ...] = ("dtype", "null", "all_null", "min", "max", "allowed")


@dataclass(slots=True)
class _Merged:
    """One rule on one column, over the batches seen so far."""

    first: Finding
    count: int = 0
    examples: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def add(self, finding: Finding, offset: int) -> None:
        self.count += finding.count
        room = MAX_EXAMPLES - len(self.examples)
        self.examples += finding.examples[:room]
        room = MAX_EXAMPLES - len(self.lines)
        self.lines += [line + offset for line in finding.lines[:room]]


def validate_part(part: DataPart, spec: DataSpec) -> ValidationResult:
    """The findings of ``validate.validate_file`` for one file, read in batches."""
    import pyarrow as pa

    header = part.header
    declared = {column.name: column for column in spec.columns if column.name in part.columns}
    check_types([part], {name: column.dtype for name, column in declared.items()})
    findings = column_findings(header, spec)
    per_batch = dataclasses.replace(
        spec, rows=RowBounds(),
        columns=tuple(dataclasses.replace(c, unique=False) for c in spec.columns),
    )
    dtypes = {name: column.dtype for name, column in declared.items()}
    merged: dict[tuple[Rule, str | None], _Merged] = {}
    kept: dict[str, list[Any]] = {name: [] for name, c in declared.items() if c.unique}
    for name, offset, batch in _pieces(part, dtypes):
        table = typed_table(header, pa.table({name: batch}), {name: dtypes[name]})
        for finding in validate_table(table, per_batch):
            key = (finding.rule, finding.column)
            merged.setdefault(key, _Merged(finding)).add(finding, offset)
        if name in kept and offset < UNIQUE_ROWS:
            # a copy: a slice would keep the whole decoded batch (and its chunk) alive
            first = table.column(name).slice(0, UNIQUE_ROWS - offset).combine_chunks()
            kept[name].append(pa.concat_arrays([first]))
    for name in declared:  # in the order and wording of ``validate``
        for (rule, column_name), found in sorted(merged.items(),
                                                 key=lambda item: _ORDER.index(item[0][0])):
            if column_name != name or (rule == "all_null" and found.count != part.rows):
                continue
            message = found.first.message if rule == "all_null" else value_message(
                rule, found.count, declared[name])
            findings.append(Finding(rule, found.first.severity, name, found.count, message,
                                    tuple(found.examples), tuple(found.lines)))
        if name in kept:
            findings += _unique(name, kept[name], part.rows)
    findings += row_findings(part.rows, spec)
    place: Literal["line", "row"] = "line" if part.format == "csv" else "row"
    return ValidationResult(part.name, part.rows, part.columns, tuple(findings), place)


def _pieces(part: DataPart, dtypes: dict[str, DType]) -> Iterator[tuple[str, int, Any]]:
    """Each column's batches with the rows before them: a Parquet file column after column (as
    Parquet lays them out), a CSV file batch after batch (parsed once for every column)."""
    if part.format == "parquet":
        for name in dtypes:
            offset = 0
            for batch in column_batches(part, name):
                yield name, offset, batch
                offset += len(batch)
        return
    offset = 0
    for rows in record_batches(part, list(dtypes), dtypes):
        for name in dtypes:
            yield name, offset, rows.column(name)
        offset += rows.num_rows


def _unique(name: str, chunks: list[Any], rows: int) -> list[Finding]:
    import pyarrow as pa

    if not chunks:
        return []
    found = duplicate_findings(name, pa.chunked_array(chunks))
    if rows > UNIQUE_ROWS:
        found.append(Finding(
            "unique", "warning", name, rows - UNIQUE_ROWS,
            f"uniqueness checked on the first {UNIQUE_ROWS:,} rows only; the other "
            f"{rows - UNIQUE_ROWS:,} were not compared (a streamed file)"))
    return found
