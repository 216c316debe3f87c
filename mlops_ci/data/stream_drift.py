"""Drift of Parquet or CSV data streamed in batches against a reference held in memory.

The same rules as ``drift`` (columns, methods, thresholds, correction, verdict, sampling with
the same seeded rows), measured in memory that does not grow with the current data's rows:
numeric columns are summarised on a grid of the reference (``binned``: PSI and Jensen-Shannon
exact, KS and Wasserstein within the bounds documented there), categorical columns are counted
exactly per category (memory grows with the categories, not the rows). The current Parquet
files' column types are checked against the declared dtypes first (``stream.check_types``);
each batch of a CSV file is typed as the whole-file read types it, and a value of the wrong
type is an ``InputProblems`` naming the file, the column and its line (the first batch holding
one stops the measurement: its count is that batch's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_ci.config.model import ColumnSpec, DataFormat, DriftSpec, DType
from mlops_ci.data.binned import BinnedNumeric
from mlops_ci.data.comparison import compare_values
from mlops_ci.data.drift import (
    choose_method,
    column_kinds,
    correct_p_values,
    dataset_verdict,
    sample_rows,
    select_columns,
)
from mlops_ci.data.reader import (
    Header,
    parquet_layout,
    raise_for_bad_values,
    read_header,
    read_table,
    typed_table,
)
from mlops_ci.data.results import ColumnDriftResult, ColumnKind, DriftResult, Sampled
from mlops_ci.data.stream import DataPart, check_types, column_batches, record_batches
from mlops_ci.data.values import CategoricalValues, NumericValues, column_values
from mlops_ci.errors import UserError


@dataclass(slots=True)
class CategoryCounts:
    """Exact counts per category of one column of a stream."""

    rows: int = 0
    nulls: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, column: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.rows += len(column)
        self.nulls += column.null_count
        present = pc.drop_null(column) if column.null_count else column
        if pa.types.is_null(present.type) or len(present) == 0:
            return
        counted = pc.value_counts(present)
        names = counted.field("values")
        if pa.types.is_dictionary(names.type):
            names = names.dictionary_decode()
        if not pa.types.is_string(names.type):
            names = pc.cast(names, pa.string())
        for name, count in zip(names.to_pylist(), counted.field("counts").to_pylist(),
                               strict=True):
            self.counts[name] = self.counts.get(name, 0) + count

    def values(self) -> CategoricalValues:
        ordered = sorted(self.counts.items(), key=lambda pair: (-pair[1], pair[0]))
        if not ordered:
            return CategoricalValues((), self.rows, self.rows)
        return CategoricalValues(tuple(ordered), self.rows, self.nulls)


def drift_stream(
    reference: Path,
    parts: Sequence[DataPart],
    spec: DriftSpec,
    *,
    column_specs: Sequence[ColumnSpec] = (),
    exclude: Sequence[str] = (),
    data_format: DataFormat | None = None,
    current_name: str | None = None,
) -> DriftResult:
    """Drift of the ``parts`` (one dataset) against the ``reference`` file."""
    reference_header = read_header(reference, data_format)
    names, skipped = select_columns(reference_header, parts[0].header, spec, exclude)
    specs = {s.name: s for s in column_specs if s.name in names}
    reference_rows, types, read_reference = _reference_reader(reference_header, names, specs)
    dtypes, kinds = column_kinds(names, specs, types, skipped)
    declared = {name: dtypes[name] for name in kinds if name in specs}
    check_types(parts, declared)
    check_types(parts, {name: dtypes[name] for name in kinds if name not in specs},
                declared=f"the type of the reference {reference_header.name}")
    current_rows = sum(part.rows for part in parts)
    shown = current_name or ", ".join(part.name for part in parts)
    for name, rows, side in ((reference_header.name, reference_rows, "reference"),
                             (shown, current_rows, "current")):
        if rows == 0:
            raise UserError(f"{name}: the {side} data has a header but no rows")
    reference_take = current_take = None
    sampled = None
    if spec.sample is not None:
        reference_take = sample_rows(reference_rows, spec.sample.rows, spec.sample.seed)
        current_take = sample_rows(current_rows, spec.sample.rows, spec.sample.seed + 1)
        sampled = Sampled(spec.sample.rows, spec.sample.seed, reference_rows,
                          current_rows)
    compared = len(reference_take) if reference_take is not None else reference_rows
    def reference_values(name: str, kind: ColumnKind) -> NumericValues | CategoricalValues:
        return column_values(_take(read_reference(name, dtypes[name]), reference_take), kind)

    def compare(name: str, kind: ColumnKind, before: NumericValues | CategoricalValues,
                summary: BinnedNumeric | CategoryCounts) -> ColumnDriftResult:
        after = summary.values() if isinstance(summary, CategoryCounts) else summary
        choice = choose_method(name, kind, compared, spec)
        return compare_values(name, kind, choice.method, choice.threshold, choice.reason,
                              before, after)

    measured = []
    if all(part.format == "parquet" for part in parts):
        for name, kind in kinds.items():  # one column pair in memory at a time
            before = reference_values(name, kind)
            summary = _summary(before)
            base = 0
            for part in parts:
                _count_column(part, name, summary, current_take, base)
                base += part.rows
            measured.append(compare(name, kind, before, summary))
    else:
        # a CSV file is parsed once for every column: the summaries first (the reference read
        # one column at a time), then one pass over the current data, then the comparisons
        summaries = {name: _summary(reference_values(name, kind)) for name, kind in kinds.items()}
        base = 0
        for part in parts:
            if part.format == "csv":
                _count_csv(part, {name: dtypes[name] for name in kinds}, summaries,
                           current_take, base)
            else:
                for name, summary in summaries.items():
                    _count_column(part, name, summary, current_take, base)
            base += part.rows
        measured = [compare(name, kind, reference_values(name, kind), summaries[name])
                    for name, kind in kinds.items()]
    columns = correct_p_values(measured, spec.p_value_correction)
    result = dataset_verdict(
        (reference_header.name, reference_rows, _unused),
        (shown, current_rows, _unused),
        columns, spec, sampled, tuple(skipped),
    )
    return dataclasses.replace(result, streamed=True)


ColumnReader = Callable[[str, DType], Any]


def _reference_reader(
    header: Header, names: list[str], specs: dict[str, ColumnSpec]
) -> tuple[int, dict[str, Any], ColumnReader]:
    """Rows, Arrow types and a column reader of the reference: a Parquet reference is read one
    column at a time (as ``drift`` does), a CSV one whole."""
    if header.format == "parquet":
        rows, types = parquet_layout(header)

        def read_column(name: str, dtype: DType) -> Any:
            one = read_table(header, [name], {name: ColumnSpec(name=name, dtype=dtype)})
            raise_for_bad_values(one)
            return one.column(name)

        return rows, {name: types[name] for name in names}, read_column
    table = read_table(header, names, specs)
    raise_for_bad_values(table)
    return table.rows, {name: table.column(name).type for name in names}, (
        lambda name, _dtype: table.column(name))


def _take(column: Any, rows: Any) -> Any:
    return column if rows is None else column.take(rows)


def _summary(values: NumericValues | CategoricalValues) -> BinnedNumeric | CategoryCounts:
    import numpy as np

    if isinstance(values, CategoricalValues):
        return CategoryCounts()
    reference = values.sorted_finite if len(values.sorted_finite) else np.zeros(1)
    return BinnedNumeric.for_reference(reference)


def _count_column(part: DataPart, name: str, summary: BinnedNumeric | CategoryCounts, take: Any,
                  base: int) -> None:
    """Feed every batch of column ``name`` of a Parquet part to ``summary`` (``take``: sorted
    row numbers of the dataset to keep, when sampling; ``base``: the part's first row)."""
    offset = base
    for batch in column_batches(part, name):
        size = len(batch)
        summary.add(_sampled(batch, take, offset))
        offset += size


def _count_csv(part: DataPart, dtypes: dict[str, DType],
               summaries: dict[str, BinnedNumeric | CategoryCounts], take: Any,
               base: int) -> None:
    """Feed every batch of a CSV part, typed as the whole-file read types it, to the
    ``summaries``; a value of the wrong type is an ``InputProblems`` naming its line."""
    import pyarrow as pa

    lines = 0  # the rows of this file before the batch
    for batch in record_batches(part, list(summaries), dtypes):
        typed = typed_table(part.header, pa.Table.from_batches([batch]), dtypes,
                            first_row=lines)
        raise_for_bad_values(typed)
        for name, summary in summaries.items():
            summary.add(_sampled(typed.column(name), take, base + lines))
        lines += batch.num_rows


def _sampled(column: Any, take: Any, offset: int) -> Any:
    """The rows of ``column`` (rows ``offset`` on of the dataset) that ``take`` keeps."""
    import numpy as np

    if take is None:
        return column
    low, high = np.searchsorted(take, [offset, offset + len(column)])
    return column.take(take[low:high] - offset)


def _unused(name: str) -> Any:  # pragma: no cover - the verdict reads names and rows only
    raise AssertionError(name)
