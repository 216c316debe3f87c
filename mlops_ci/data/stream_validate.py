"""Validate a Parquet file against its column schema in batches, in memory that does not grow.

The rules and the findings are those of ``validate`` (the same wording, counts and examples):
each batch is typed and checked, and the findings of a rule on a column are merged over the
batches (counts summed, the first examples kept with their rows in the file). Three rules see
the whole file: the row bounds (from the footer's row count), ``all_null`` (every batch all
null), and ``unique``, which is exact over the first ``UNIQUE_ROWS`` (1,000,000) rows of the
file and, past them, a warning says the rest was not checked: finding duplicates among a
hundred million ids needs them all, which is what streaming avoids. A column of another
Parquet type than declared is a ``UserError`` before any row is read (``stream.check_types``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from mlops_ci.config.model import DataSpec, RowBounds
from mlops_ci.data.reader import MAX_EXAMPLES, typed_table
from mlops_ci.data.results import Finding, Rule, ValidationResult
from mlops_ci.data.stream import ParquetPart, batches, check_types
from mlops_ci.data.validate import (
    column_findings,
    duplicate_findings,
    row_findings,
    validate_table,
    value_message,
)

UNIQUE_ROWS = 1_000_000


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


def validate_part(part: ParquetPart, spec: DataSpec) -> ValidationResult:
    """The findings of ``validate.validate_file`` for one Parquet file, read in batches."""
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
    offset = 0
    for batch in batches(part, list(declared)) if declared else ():
        table = typed_table(header, pa.Table.from_batches([batch]), dtypes)
        for finding in validate_table(table, per_batch):
            key = (finding.rule, finding.column)
            merged.setdefault(key, _Merged(finding)).add(finding, offset)
        if offset < UNIQUE_ROWS:
            for name, chunks in kept.items():
                chunks.append(table.column(name).slice(0, UNIQUE_ROWS - offset))
        offset += batch.num_rows
    for (rule, column_name), found in merged.items():
        if rule == "all_null" and found.count != part.rows:
            continue
        if column_name is None:  # value rules always name their column
            continue
        column = declared[column_name]
        message = found.first.message if rule == "all_null" else value_message(
            rule, found.count, column)
        findings.append(Finding(rule, found.first.severity, column_name, found.count, message,
                                tuple(found.examples), tuple(found.lines)))
    for name, chunks in kept.items():
        findings += _unique(name, chunks, part.rows)
    findings += row_findings(part.rows, spec)
    return ValidationResult(part.name, part.rows, part.columns, tuple(findings), "row")


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
