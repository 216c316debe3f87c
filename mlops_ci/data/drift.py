"""Drift of each column between reference and current data, and the dataset's verdict.

The rules a user can check (documented in the README's drift section):

- **Which method.** A per-column override (``drift.overrides``) wins, then the global
  ``drift.method`` (the CLI's ``--method``), then ``auto``: numeric columns get KS when the
  reference has at most ``large_sample`` rows and normalised Wasserstein above; categorical,
  bool and string columns get chi-square, and Jensen-Shannon above (Evidently's rule past
  1,000 rows). A global KS or Wasserstein does not apply to categorical columns, which then
  keep ``auto``. Each result says which rule chose its method.
- **Thresholds.** Per-column override, then ``drift.threshold``, then the method's default:
  PSI 0.2, Wasserstein 0.1, Jensen-Shannon 0.1 (drift when the statistic is >= it); KS and
  chi-square 0.05 (drift when the p-value, *after* the family-wise correction over all
  p-value columns, is < it).
- **Verdict.** The dataset drifts when any ``key_columns`` column drifted, or when the share
  of drifted columns among those that could be tested is >= ``share``.
- **Nulls, NaN, infinities** are excluded from the test and reported; a change of the null
  share of at least one point is noted; a side with no values left makes the column
  untestable (not counted in the share).
- **Sampling** only when ``drift.sample`` asks, seeded, and recorded in the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.config.model import ColumnSpec, DataFormat, DriftMethod, DriftSpec, DType
from mlops_ci.data import methods
from mlops_ci.data.comparison import compare_values
from mlops_ci.data.reader import (
    Header,
    Table,
    parquet_layout,
    raise_for_bad_values,
    read_header,
    read_table,
    require_columns,
)
from mlops_ci.data.results import (
    ColumnDriftResult,
    ColumnKind,
    ConcreteMethod,
    DriftResult,
    Sampled,
    Verdict,
    method_default_threshold,
)
from mlops_ci.data.values import column_values, dtype_of_arrow, kind_of_dtype
from mlops_ci.errors import UserError

_NUMERIC_ONLY = frozenset({"ks", "wasserstein"})


@dataclass(frozen=True, slots=True)
class MethodChoice:
    method: ConcreteMethod
    threshold: float
    reason: str


def choose_method(
    column: str, kind: ColumnKind, reference_rows: int, spec: DriftSpec
) -> MethodChoice:
    """The method and threshold for one column, and the rule that chose them."""
    override = next((o for o in spec.overrides if o.column == column), None)
    method: DriftMethod = spec.method
    reason = f"method {spec.method} (set for all columns)"
    if override is not None and override.method is not None:
        method, reason = override.method, f"override for this column: {override.method}"
        if kind == "categorical" and method in _NUMERIC_ONLY:
            raise UserError(
                f"drift override for column {column!r}: {method} needs a numeric column, "
                f"and {column!r} is categorical",
                hint="use chi2, psi or jensenshannon for categorical columns",
            )
    elif method in _NUMERIC_ONLY and kind == "categorical":
        method = "auto"
    if method == "auto":
        method, reason = _auto(kind, reference_rows, spec.large_sample)
        if spec.method in _NUMERIC_ONLY:
            reason += f" ({spec.method} applies to numeric columns only)"
    concrete: ConcreteMethod = method
    threshold = spec.threshold if spec.threshold is not None else None
    if override is not None and override.threshold is not None:
        threshold = override.threshold
    if threshold is None:
        threshold = method_default_threshold(concrete)
    return MethodChoice(concrete, threshold, reason)


def _auto(kind: ColumnKind, rows: int, large: int) -> tuple[ConcreteMethod, str]:
    large_method: ConcreteMethod = "wasserstein" if kind == "numeric" else "jensenshannon"
    small_method: ConcreteMethod = "ks" if kind == "numeric" else "chi2"
    if rows > large:
        return large_method, f"auto: {kind}, {rows:,} rows > {large:,} -> {large_method}"
    return small_method, f"auto: {kind}, {rows:,} rows <= {large:,} -> {small_method}"


def drift_files(
    reference: Path,
    current: Path,
    spec: DriftSpec,
    *,
    column_specs: Sequence[ColumnSpec] = (),
    exclude: Sequence[str] = (),
    data_format: DataFormat | None = None,
) -> DriftResult:
    """Read both files (only the compared columns) and measure drift.

    Columns compared: ``spec.columns`` if set, else every reference column except
    ``exclude`` (the target and id column); columns on one side only are skipped and listed.
    Columns without a spec take the type pyarrow infers from the reference, and the current
    file is read with those same types, so a stray value is reported with its line. Parquet
    files are read one column at a time, so memory holds two columns, not two tables.
    """
    reference_header = read_header(reference, data_format)
    current_header = read_header(current, data_format)
    names, skipped = select_columns(reference_header, current_header, spec, exclude)
    specs = {s.name: s for s in column_specs if s.name in names}
    if reference_header.format == current_header.format == "parquet":
        return _drift_parquet(reference_header, current_header, names, specs, spec, skipped)
    reference_table = read_table(reference_header, names, specs)
    raise_for_bad_values(reference_table)
    types = {name: reference_table.column(name).type for name in names}
    dtypes, kinds = column_kinds(names, specs, types, skipped)
    current_specs = {name: ColumnSpec(name=name, dtype=dtype) for name, dtype in dtypes.items()}
    current_table = read_table(current_header, list(kinds), current_specs)
    raise_for_bad_values(current_table)
    return drift_tables(reference_table, current_table, spec, kinds, skipped=tuple(skipped))


def _drift_parquet(
    reference: Header,
    current: Header,
    names: list[str],
    specs: dict[str, ColumnSpec],
    spec: DriftSpec,
    skipped: list[tuple[str, str]],
) -> DriftResult:
    reference_rows, types = parquet_layout(reference)
    current_rows, _ = parquet_layout(current)
    dtypes, kinds = column_kinds(names, specs, types, skipped)

    def reader(header: Header) -> Callable[[str], Any]:
        def read(name: str) -> Any:
            one = read_table(header, [name], {name: ColumnSpec(name=name, dtype=dtypes[name])})
            raise_for_bad_values(one)
            return one.column(name)

        return read

    return _drift(
        (reference.name, reference_rows, reader(reference)),
        (current.name, current_rows, reader(current)),
        spec,
        kinds,
        tuple(skipped),
    )


def column_kinds(
    names: list[str],
    specs: dict[str, ColumnSpec],
    arrow_types: dict[str, Any],
    skipped: list[tuple[str, str]],
) -> tuple[dict[str, DType], dict[str, ColumnKind]]:
    """The dtype of each column (spec, else inferred) and the kind drift compares it as."""
    dtypes: dict[str, DType] = {}
    kinds: dict[str, ColumnKind] = {}
    for name in names:
        dtype = specs[name].dtype if name in specs else dtype_of_arrow(arrow_types[name])
        if name not in specs and dtype == "int":
            dtype = "float"  # inferred, not declared: a current "2.5" is a number, not an error
        kind = kind_of_dtype(dtype) if dtype is not None else None
        if dtype is None or kind is None:
            why = "datetime columns are not compared" if dtype == "datetime" else (
                "its type cannot be compared"
            )
            skipped.append((name, why))
            continue
        dtypes[name] = dtype
        kinds[name] = kind
    return dtypes, kinds


def select_columns(
    reference: Header, current: Header, spec: DriftSpec, exclude: Sequence[str]
) -> tuple[list[str], list[tuple[str, str]]]:

    if spec.columns is not None:
        require_columns(reference, spec.columns, "drift")
        require_columns(current, spec.columns, "drift")
        names = list(dict.fromkeys(spec.columns))
        skipped: list[tuple[str, str]] = []
    else:
        in_current = set(current.columns)
        candidates = [name for name in reference.columns if name not in set(exclude)]
        names = [name for name in candidates if name in in_current]
        skipped = [(name, "not in the current data") for name in candidates
                   if name not in in_current]
        in_reference = set(reference.columns)
        skipped += [(name, "not in the reference data") for name in current.columns
                    if name not in in_reference and name not in set(exclude)]
    for key in spec.key_columns:
        if key not in names:
            raise UserError(
                f"drift key column {key!r} is not among the compared columns",
                hint="key_columns must name columns present in both files",
            )
    if not names:
        raise UserError(
            f"no column to compare between {reference.name} and {current.name}",
            hint="the two files share no feature column",
        )
    return names, skipped


def drift_tables(
    reference: Table,
    current: Table,
    spec: DriftSpec,
    kinds: dict[str, ColumnKind],
    *,
    skipped: tuple[tuple[str, str], ...] = (),
) -> DriftResult:
    """Measure drift on already-read tables; ``kinds`` names the columns to compare."""
    return _drift(
        (reference.header.name, reference.rows, reference.column),
        (current.header.name, current.rows, current.column),
        spec,
        kinds,
        skipped,
    )


Side = tuple[str, int, Callable[[str], Any]]  # file name, rows, column reader


def _drift(
    reference: Side,
    current: Side,
    spec: DriftSpec,
    kinds: dict[str, ColumnKind],
    skipped: tuple[tuple[str, str], ...],
) -> DriftResult:
    (reference_name, reference_rows, read_reference) = reference
    (current_name, current_rows, read_current) = current
    for name, rows, side in ((reference_name, reference_rows, "reference"),
                             (current_name, current_rows, "current")):
        if rows == 0:
            raise UserError(f"{name}: the {side} data has a header but no rows")
    sampled = None
    reference_take = current_take = None
    if spec.sample is not None:
        reference_take = sample_rows(reference_rows, spec.sample.rows, spec.sample.seed)
        current_take = sample_rows(current_rows, spec.sample.rows, spec.sample.seed + 1)
        sampled = Sampled(spec.sample.rows, spec.sample.seed, reference_rows, current_rows)
    compared_rows = len(reference_take) if reference_take is not None else reference_rows
    choices = {name: choose_method(name, kind, compared_rows, spec) for name, kind in kinds.items()}

    def measure(name: str) -> ColumnDriftResult:
        kind, choice = kinds[name], choices[name]
        before = column_values(_take(read_reference(name), reference_take), kind)
        after = column_values(_take(read_current(name), current_take), kind)
        return compare_values(
            name, kind, choice.method, choice.threshold, choice.reason, before, after
        )

    # one column pair in memory at a time (threads over columns measured no faster on 2
    # cores, and held a pair per thread)
    measured = [measure(name) for name in kinds]
    columns = correct_p_values(measured, spec.p_value_correction)
    return dataset_verdict(reference, current, columns, spec, sampled, skipped)


def sample_rows(total: int, rows: int, seed: int) -> Any:
    """Sorted row indices of a seeded sample without replacement, or None to keep all."""
    import numpy as np

    if total <= rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(total, size=rows, replace=False))


def _take(column: Any, rows: Any) -> Any:
    return column if rows is None else column.take(rows)


def correct_p_values(
    columns: list[ColumnDriftResult], correction: str
) -> tuple[ColumnDriftResult, ...]:
    """Apply the family-wise correction to the p-value columns and decide their verdicts."""
    from dataclasses import replace

    tested = [i for i, c in enumerate(columns) if c.p_value is not None]
    adjusted = methods.adjust_p_values([columns[i].p_value or 0.0 for i in tested], correction)
    out = list(columns)
    for index, p_value in zip(tested, adjusted, strict=True):
        column = columns[index]
        verdict: Verdict = "drift" if p_value < column.threshold else "ok"
        out[index] = replace(column, adjusted_p_value=p_value, verdict=verdict)
    return tuple(out)


def dataset_verdict(
    reference: Side,
    current: Side,
    columns: tuple[ColumnDriftResult, ...],
    spec: DriftSpec,
    sampled: Sampled | None,
    skipped: tuple[tuple[str, str], ...],
) -> DriftResult:
    tested = [c for c in columns if c.verdict != "untestable"]
    drifted = [c for c in tested if c.drifted]
    share = len(drifted) / len(tested) if tested else 0.0
    keys = [c.column for c in drifted if c.column in spec.key_columns]
    counted = f"{len(drifted)} of {len(tested)} columns drifted ({share:.0%}"
    if keys:
        names = ", ".join(repr(k) for k in keys)
        is_drift, reason = True, f"key column {names} drifted; {counted})"
    elif not tested:
        is_drift, reason = False, "no column could be tested"
    elif share >= spec.share:
        is_drift, reason = True, (
            f"{counted}, at or above the {spec.share:.0%} share that flags the dataset)")
    else:
        is_drift, reason = False, (
            f"{counted}, below the {spec.share:.0%} share that flags the dataset); "
            "no key column drifted")
    return DriftResult(
        reference=reference[0],
        current=current[0],
        reference_rows=reference[1],
        current_rows=current[1],
        columns=columns,
        drifted=is_drift,
        reason=reason,
        share_drifted=share,
        share_threshold=spec.share,
        key_columns=spec.key_columns,
        correction=spec.p_value_correction,
        sampled=sampled,
        skipped=skipped,
    )
