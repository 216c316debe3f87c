"""One column of a pyarrow table as the numbers the drift methods need.

Numeric columns become a *sorted* float64 numpy array of their finite values, with nulls,
NaN and infinities counted (not silently dropped: the drift result reports them).
Categorical columns become counts per category (pyarrow's hash ``value_counts``, which also
works directly on dictionary-encoded columns). No pandas anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_ci.config.model import DType
from mlops_ci.data.results import ColumnKind

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class NumericValues:
    sorted_finite: NDArray[np.float64]
    rows: int
    nulls: int  # nulls and NaN
    infinite: int


@dataclass(frozen=True, slots=True)
class CategoricalValues:
    counts: tuple[tuple[str, int], ...]  # (category, count), most frequent first
    rows: int
    nulls: int


ColumnValues = NumericValues | CategoricalValues


def kind_of_dtype(dtype: DType) -> ColumnKind | None:
    """Numeric or categorical for drift; None for dtypes drift does not compare (datetime)."""
    if dtype in ("int", "float"):
        return "numeric"
    if dtype in ("bool", "string", "category"):
        return "categorical"
    return None


def dtype_of_arrow(arrow_type: Any) -> DType | None:
    """The dtype pyarrow inferred for a column without a spec, or None if it has none."""
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_dictionary(arrow_type):
        return "category"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if pa.types.is_null(arrow_type):
        return "string"  # an all-null column: nothing to test, reported as such
    if pa.types.is_temporal(arrow_type):
        return "datetime"
    return None


def numeric_values(column: Any) -> NumericValues:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(column)
    nulls = column.null_count
    present = pc.drop_null(column) if nulls else column
    if not pa.types.is_float64(present.type):
        # unsafe: an int64 beyond 2**53 is rounded to the nearest float (a safe cast refuses
        # it), which no drift statistic can tell apart
        present = pc.cast(present, pa.float64(), safe=False)
    values = present.to_numpy()
    finite = np.isfinite(values)
    if finite.all():
        return NumericValues(np.sort(values), rows, nulls, 0)
    nan = int(np.isnan(values).sum())
    infinite = int(len(values) - finite.sum()) - nan
    return NumericValues(np.sort(values[finite]), rows, nulls + nan, infinite)


def categorical_values(column: Any) -> CategoricalValues:
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = len(column)
    nulls = column.null_count
    present = pc.drop_null(column) if nulls else column
    if pa.types.is_null(present.type) or len(present) == 0:
        return CategoricalValues((), rows, rows)
    counted = pc.value_counts(present)
    names = counted.field("values")
    if not pa.types.is_string(names.type):
        names = pc.cast(names, pa.string())
    pairs = zip(names.to_pylist(), counted.field("counts").to_pylist(), strict=True)
    ordered = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
    return CategoricalValues(tuple(ordered), rows, nulls)


def column_values(column: Any, kind: ColumnKind) -> ColumnValues:
    if kind == "numeric":
        return numeric_values(column)
    return categorical_values(column)
