"""Validate a data file against its column schema (``DataSpec``).

Every rule of the schema gives typed ``Finding`` values, never an exception: missing and
unexpected columns, values that are not of the column's dtype, nulls in non-nullable columns,
values below ``min`` / above ``max``, values outside ``allowed``, duplicates in ``unique``
columns, and the row-count bounds. Each finding counts the offending rows and keeps a few
examples with their lines. Warnings (they do not fail ``data validate``): a UTF-8 byte-order
mark (accepted), and a nullable column whose values are all null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from mlops_ci.config.model import ColumnSpec, DataSpec
from mlops_ci.data.reader import MAX_EXAMPLES, Header, Table, read_header, read_table
from mlops_ci.data.results import Finding, Rule, ValidationResult


def validate_file(path: Path, spec: DataSpec) -> ValidationResult:
    """Read only the columns the schema names (plus target and id) and validate them."""
    header = read_header(path, spec.format)
    findings = list(column_findings(header, spec))
    wanted = [c.name for c in spec.columns] + [spec.target]
    if spec.id_column is not None:
        wanted.append(spec.id_column)
    present = [name for name in dict.fromkeys(wanted) if name in set(header.columns)]
    table = read_table(header, present or [header.columns[0]], {c.name: c for c in spec.columns})
    findings += validate_table(table, spec)
    place: Literal["line", "row"] = "line" if header.format == "csv" else "row"
    return ValidationResult(header.name, table.rows, header.columns, tuple(findings), place)


def column_findings(header: Header, spec: DataSpec) -> list[Finding]:
    findings = []
    if header.bom:
        findings.append(
            Finding("bom", "warning", None, 0,
                    "the file starts with a UTF-8 byte-order mark (read as UTF-8)")
        )
    present = set(header.columns)
    declared = {c.name: c for c in spec.columns}
    roles = {spec.target: "target"}
    if spec.id_column is not None:
        roles.setdefault(spec.id_column, "id")
    for name in dict.fromkeys([*declared, *roles]):
        if name in present:
            continue
        role = f"{roles[name]} column" if name in roles else "column"
        dtype = f" ({declared[name].dtype})" if name in declared else ""
        findings.append(
            Finding("missing_column", "error", name, 1, f"{role} {name!r}{dtype} is missing")
        )
    if spec.columns and not spec.allow_extra_columns:
        for name in header.columns:
            if name not in declared and name not in roles:
                findings.append(
                    Finding("unexpected_column", "error", name, 1,
                            f"column {name!r} is not in the schema "
                            "(declare it, or set allow_extra_columns: true)")
                )
    return findings


def validate_table(table: Table, spec: DataSpec) -> list[Finding]:
    """Findings for the values of an already-read table (typed by the spec's dtypes)."""
    findings: list[Finding] = []
    for bad in table.bad_values:
        findings.append(
            Finding("dtype", "error", bad.column, bad.count,
                    f"{bad.count:,} value{'s' if bad.count != 1 else ''} not of type "
                    f"{bad.dtype}", bad.examples, bad.lines)
        )
    for column in spec.columns:
        if column.name in table.arrow.column_names:
            findings += _value_findings(table, column)
    findings += row_findings(table.rows, spec)
    return findings


def row_findings(rows: int, spec: DataSpec) -> list[Finding]:
    bounds = spec.rows
    if bounds.min is not None and rows < bounds.min:
        return [Finding("rows_min", "error", None, rows,
                        f"{rows:,} rows, fewer than the minimum {bounds.min:,}")]
    if bounds.max is not None and rows > bounds.max:
        return [Finding("rows_max", "error", None, rows,
                        f"{rows:,} rows, more than the maximum {bounds.max:,}")]
    return []


def _value_findings(table: Table, column: ColumnSpec) -> list[Finding]:
    import pyarrow as pa
    import pyarrow.compute as pc

    values = table.column(column.name)
    name = column.name
    findings: list[Finding] = []
    missing = pc.is_null(values, nan_is_null=True)
    for bad in table.bad_values:
        if bad.column == name:  # reported as dtype findings, not again as nulls
            missing = pc.and_(missing, pc.invert(bad.mask))
    null_count = _count(missing)
    if null_count and not column.nullable:
        findings.append(_finding(table, "null", name, missing,
                                 value_message("null", null_count, column), show=False))
    elif table.rows and null_count == table.rows:
        findings.append(Finding("all_null", "warning", name, null_count, "every value is null"))
    numeric = pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
    if numeric and column.min is not None:
        below = pc.less(values, _bound(values.type, math.ceil(column.min), column.min))
        findings += _if_any(table, "min", column, below)
    if numeric and column.max is not None:
        above = pc.greater(values, _bound(values.type, math.floor(column.max), column.max))
        findings += _if_any(table, "max", column, above)
    if column.allowed is not None:
        findings += _allowed(table, column, values)
    if column.unique:
        findings += duplicate_findings(name, values)
    return findings


def _bound(arrow_type: Any, whole: int, exact: float) -> Any:
    """A bound as a scalar of the column's type: pyarrow compares an int64 column with a
    float only after casting it to float, which fails beyond 2**53 (an int64 id column)."""
    import pyarrow as pa

    if not pa.types.is_integer(arrow_type):
        return pa.scalar(exact, pa.float64())
    return pa.scalar(min(max(whole, -(2**63)), 2**63 - 1), pa.int64())


def _allowed(table: Table, column: ColumnSpec, values: Any) -> list[Finding]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.allowed is None:
        return []
    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, pa.string())
    value_set = _value_set(column.allowed, values.type)
    outside = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=value_set)))
    return _if_any(table, "allowed", column, outside)


def _value_set(allowed: Sequence[str | int | float | bool], arrow_type: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return pa.array([v for v in allowed if isinstance(v, bool)], pa.bool_())
    if pa.types.is_integer(arrow_type):
        ints = [int(v) for v in allowed if isinstance(v, int | float) and float(v).is_integer()]
        return pa.array(ints, arrow_type)
    if pa.types.is_floating(arrow_type):
        return pa.array([float(v) for v in allowed if isinstance(v, int | float)], arrow_type)
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in allowed]
    return pa.array(texts, arrow_type)


def duplicate_findings(name: str, values: Any) -> list[Finding]:
    import pyarrow.compute as pc

    counted = pc.value_counts(pc.drop_null(values))
    counts = counted.field("counts")
    repeated = pc.greater(counts, 1)
    duplicated = counted.filter(repeated)
    if len(duplicated) == 0:
        return []
    extra = int(pc.sum(pc.subtract(duplicated.field("counts"), 1)).as_py())
    examples = tuple(str(v) for v in duplicated.field("values")[:MAX_EXAMPLES].to_pylist())
    return [
        Finding("unique", "error", name, extra,
                f"{extra:,} duplicate value{'s' if extra != 1 else ''} in a unique column "
                f"({len(duplicated):,} distinct values repeated)", examples)
    ]


def _count(mask: Any) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.cast(mask, "int64")).as_py() or 0)


def _if_any(table: Table, rule: Rule, column: ColumnSpec, mask: Any) -> list[Finding]:
    count = _count(mask)
    if not count:
        return []
    return [_finding(table, rule, column.name, mask, value_message(rule, count, column))]


def value_message(rule: Rule, count: int, column: ColumnSpec) -> str:
    """The message of a value rule's finding (``stream_validate`` merges batches by it)."""
    noun = "value" if count == 1 else "values"
    if rule == "dtype":
        return f"{count:,} {noun} not of type {column.dtype}"
    if rule == "null":
        return f"{count:,} null {noun} in a non-nullable column"
    if rule == "min":
        return f"{count:,} {noun} below the minimum {column.min:g}"
    if rule == "max":
        return f"{count:,} {noun} above the maximum {column.max:g}"
    listing = ", ".join(str(v) for v in (column.allowed or ())[:10])
    if len(column.allowed or ()) > 10:
        listing += ", ..."
    return f"{count:,} {noun} not in the allowed values [{listing}]"


def _finding(
    table: Table, rule: Rule, name: str, mask: Any, message: str, *, show: bool = True
) -> Finding:
    """A finding with the count of ``mask`` and the first few offending values and lines."""
    import numpy as np
    import pyarrow.compute as pc

    flags = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.flatnonzero(flags)[:MAX_EXAMPLES]
    column = table.column(name)
    examples = tuple(str(column[int(r)].as_py()) for r in rows) if show else ()
    offset = 2 if table.header.format == "csv" else 1
    lines = tuple(int(r) + offset for r in rows)
    return Finding(rule, "error", name, int(flags.sum()), message, examples, lines)
