"""One column compared: reference values vs current values with the chosen method.

Returns a ``ColumnDriftResult`` with the statistic, the histogram for the chart and the
notes a reader needs (null shares, excluded infinities, constant or empty sides, new and
vanished categories). For p-value methods the verdict is provisional: ``drift`` applies the
family-wise correction over all columns and decides it.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from mlops_ci.data import methods
from mlops_ci.data.binned import BinnedNumeric
from mlops_ci.data.results import (
    ColumnDriftResult,
    ColumnKind,
    ConcreteMethod,
    Histogram,
    Verdict,
)
from mlops_ci.data.values import CategoricalValues, ColumnValues, NumericValues

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MAX_CHART_CATEGORIES = 8
NULL_SHARE_NOTE = 0.01  # a change of the null share by at least this much is noted
_SHOWN_CATEGORIES = 3


def compare_values(
    column: str,
    kind: ColumnKind,
    method: ConcreteMethod,
    threshold: float,
    reason: str,
    reference: ColumnValues,
    current: ColumnValues | BinnedNumeric,
) -> ColumnDriftResult:
    """``current`` may be a streamed summary (``binned``) of a numeric column."""
    notes = _null_notes(reference, current)
    reference_count, current_count = _value_count(reference), _value_count(current)
    statistic: float | None = None
    p_value: float | None = None
    histogram: Histogram | None = None
    empty = [side for side, count in (("reference", reference_count),
                                      ("current", current_count)) if count == 0]
    if empty:
        all_null = all(_is_all_null(v) for v in (reference, current) if _value_count(v) == 0)
        why = "all values null" if all_null else "no values"
        notes.append(f"{why} in {' and '.join(empty)}: cannot test")
        verdict: Verdict = "untestable"
    else:
        if isinstance(reference, NumericValues) and isinstance(
                current, NumericValues | BinnedNumeric):
            statistic, p_value, histogram = _numeric(method, reference, current, notes)
        elif isinstance(reference, CategoricalValues) and isinstance(current, CategoricalValues):
            statistic, p_value, histogram = _categorical(method, reference, current, notes)
        else:  # pragma: no cover - both sides are read with the same kind
            raise TypeError("reference and current values of different kinds")
        if p_value is None:
            verdict = "drift" if statistic >= threshold else "ok"
        else:
            verdict = "drift" if p_value < threshold else "ok"  # provisional, see module doc
    return ColumnDriftResult(
        column=column,
        kind=kind,
        method=method,
        method_reason=reason,
        threshold=threshold,
        verdict=verdict,
        statistic=statistic,
        p_value=p_value,
        adjusted_p_value=None,
        reference_values=reference_count,
        current_values=current_count,
        null_share_reference=_null_share(reference),
        null_share_current=_null_share(current),
        notes=tuple(notes),
        histogram=histogram,
    )


def _value_count(values: ColumnValues | BinnedNumeric) -> int:
    if isinstance(values, BinnedNumeric):
        return values.finite
    if isinstance(values, NumericValues):
        return len(values.sorted_finite)
    return sum(count for _, count in values.counts)


def _null_share(values: ColumnValues | BinnedNumeric) -> float:
    return values.nulls / values.rows if values.rows else 0.0


def _is_all_null(values: ColumnValues | BinnedNumeric) -> bool:
    return values.rows > 0 and values.nulls == values.rows


def _null_notes(
    reference: ColumnValues, current: ColumnValues | BinnedNumeric
) -> list[str]:
    notes = []
    before, after = _null_share(reference), _null_share(current)
    if abs(after - before) >= NULL_SHARE_NOTE:
        notes.append(f"null share changed: {before:.1%} in reference, {after:.1%} in current")
    for side, values in (("reference", reference), ("current", current)):
        if isinstance(values, NumericValues | BinnedNumeric) and values.infinite:
            noun = "value" if values.infinite == 1 else "values"
            notes.append(f"{values.infinite:,} infinite {noun} in {side} excluded")
    return notes


def _numeric(
    method: ConcreteMethod,
    reference: NumericValues,
    current: NumericValues | BinnedNumeric,
    notes: list[str],
) -> tuple[float, float | None, Histogram]:
    ref = reference.sorted_finite
    if ref[0] == ref[-1]:
        notes.append(f"constant in reference ({float(ref[0]):g})")
    cuts = methods.quantile_cuts(ref)
    reference_counts = methods.bin_counts(ref, cuts)
    if isinstance(current, BinnedNumeric):
        if current.minimum == current.maximum:
            notes.append(f"constant in current ({current.minimum:g})")
        current_counts = current.bins
    else:
        cur = current.sorted_finite
        if cur[0] == cur[-1]:
            notes.append(f"constant in current ({float(cur[0]):g})")
        current_counts = methods.bin_counts(cur, cuts)
    histogram = Histogram(
        _bin_labels(cuts),
        tuple(float(s) for s in methods.shares(reference_counts)),
        tuple(float(s) for s in methods.shares(current_counts)),
    )
    if method == "ks":
        if isinstance(current, BinnedNumeric):
            statistic, p_value = current.ks(ref)
        else:
            statistic, p_value = methods.ks_test(ref, current.sorted_finite)
        return statistic, p_value, histogram
    if method == "wasserstein":
        if isinstance(current, BinnedNumeric):
            return current.normalised_wasserstein(ref), None, histogram
        return methods.normalised_wasserstein(ref, current.sorted_finite), None, histogram
    return (*_on_counts(method, reference_counts, current_counts), histogram)


def _categorical(
    method: ConcreteMethod,
    reference: CategoricalValues,
    current: CategoricalValues,
    notes: list[str],
) -> tuple[float, float | None, Histogram]:
    import numpy as np

    reference_counts = dict(reference.counts)
    current_counts = dict(current.counts)
    categories = [name for name, _ in reference.counts]
    new = [name for name, _ in current.counts if name not in reference_counts]
    gone = [name for name in categories if name not in current_counts]
    categories += new
    if new:
        notes.append(f"new in current: {_some(new)}")
    if gone:
        notes.append(f"missing in current: {_some(gone)}")
    ref = np.array([reference_counts.get(c, 0) for c in categories], dtype=np.int64)
    cur = np.array([current_counts.get(c, 0) for c in categories], dtype=np.int64)
    histogram = _category_histogram(categories, ref, cur)
    return (*_on_counts(method, ref, cur), histogram)


def _on_counts(
    method: ConcreteMethod, reference: NDArray[np.int64], current: NDArray[np.int64]
) -> tuple[float, float | None]:
    """Statistic and (chi2 only) p-value of a method that works on bin or category counts."""
    if method == "psi":
        return methods.psi(reference, current), None
    if method == "jensenshannon":
        return methods.jensen_shannon(reference, current), None
    if method == "chi2":
        return methods.chi_square_test(reference, current)
    raise ValueError(f"{method} does not work on counts")


def _some(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_SHOWN_CATEGORIES])
    extra = len(names) - _SHOWN_CATEGORIES
    return shown + (f" and {extra:,} more" if extra > 0 else "")


def _bin_labels(cuts: NDArray[np.float64]) -> tuple[str, ...]:
    import numpy as np

    values = [float(c) for c in cuts]
    labels = [f"< {values[0]:.4g}"]
    for low, high in itertools.pairwise(values):
        single = high == float(np.nextafter(low, math.inf))  # a constant reference's bin
        labels.append(f"= {low:.4g}" if single else f"[{low:.4g}, {high:.4g})")
    last = values[-1]
    if len(values) > 1 and labels[-1].startswith("="):
        labels.append(f"> {values[-2]:.4g}")
    else:
        labels.append(f">= {last:.4g}")
    return tuple(labels)


def _category_histogram(
    categories: list[str], reference: NDArray[np.int64], current: NDArray[np.int64]
) -> Histogram:
    ref_shares, cur_shares = methods.shares(reference), methods.shares(current)
    order = sorted(range(len(categories)),
                   key=lambda i: -max(ref_shares[i], cur_shares[i]))
    shown = order[:MAX_CHART_CATEGORIES]
    labels = [categories[i] for i in shown]
    ref_list = [float(ref_shares[i]) for i in shown]
    cur_list = [float(cur_shares[i]) for i in shown]
    rest = order[MAX_CHART_CATEGORIES:]
    if rest:
        labels.append(f"({len(rest):,} others)")
        ref_list.append(float(sum(ref_shares[i] for i in rest)))
        cur_list.append(float(sum(cur_shares[i] for i in rest)))
    return Histogram(tuple(labels), tuple(ref_list), tuple(cur_list))
