"""Numeric drift of data too large for memory: exact counts on a fixed grid of the reference.

The reference fits in memory (it is the training data, or a sample of it); the current data is
streamed in batches and never held whole. Each numeric column of the current data is summarised
on a grid fixed by the reference before the first batch arrives:

- the **grid** is every distinct reference value when there are at most ``GRID_POINTS`` (4096)
  of them, else the reference's ``GRID_POINTS`` quantiles (plus its minimum); either way it
  spans the reference from its minimum to its maximum;
- per grid cell the summary keeps exact counts: values in the cell, values equal to its upper
  point, and the sum of each value's gap to that point (above the last point: the gap to it);
  plus nulls, NaN, infinities, minimum and maximum. The ``methods.quantile_cuts`` PSI cut
  points are grid points too, so the PSI bins' counts follow from the cells'.

Memory is fixed by the grid (a few arrays of 4097 numbers per column), whatever the rows.
What the summary gives, against the in-memory statistics of ``methods``:

- **PSI and Jensen-Shannon**: exact (the PSI bins are the reference's, counted exactly).
- **KS statistic**: both CDFs are known exactly at every grid point and just below it, so the
  statistic taken there is exact when the grid holds every reference value; with quantiles it
  may miss at most the reference mass strictly inside one cell, under 1/4096 = 0.00025 (a
  quantile cell holds n/4096 reference values), never more. The p-value is scipy's
  asymptotic two-sample formula (what ``ks_2samp`` uses at these sizes) on the statistic.
- **Wasserstein**: the integral of ``|F_ref - F_cur|``, per cell from the exact integrals of
  both CDFs over it (the gap sums make them exact); exact unless the two CDFs cross inside a
  cell, where the cell contributes the absolute value of its net difference (a lower bound).
  Below the reference's minimum and above its maximum it is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_ci.data import methods

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

GRID_POINTS = 4096


def reference_grid(
    sorted_reference: NDArray[np.float64], cuts: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The grid points of a sorted, finite, non-empty reference (see module doc), with the
    PSI ``cuts`` added so that the PSI bins follow from the grid's counts."""
    import numpy as np

    first = np.empty(len(sorted_reference), dtype=bool)
    first[0] = True
    np.not_equal(sorted_reference[1:], sorted_reference[:-1], out=first[1:])
    distinct = sorted_reference[first]
    if len(distinct) > GRID_POINTS:
        count = len(sorted_reference)
        positions = (np.arange(1, GRID_POINTS + 1) * count) // GRID_POINTS - 1
        distinct = np.unique(np.concatenate(([sorted_reference[0]], sorted_reference[positions])))
    return np.union1d(distinct, cuts)


@dataclass(slots=True)
class BinnedNumeric:
    """One numeric column of a stream, summarised on a reference grid (see module doc)."""

    grid: Any  # float64 grid points, ascending
    cuts: Any  # the PSI bins' interior cut points (``methods.quantile_cuts``)
    rows: int = 0
    nulls: int = 0  # nulls and NaN
    infinite: int = 0
    finite: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    cells: Any = None  # int64 counts per cell: (-inf, g0], (g0, g1], ..., (g_last, inf)
    equal: Any = None  # int64 counts of values equal to each grid point
    gaps: Any = None  # float64 sum of |upper point - value| per cell (last: value - g_last)

    @classmethod
    def for_reference(cls, sorted_reference: NDArray[np.float64]) -> BinnedNumeric:
        import numpy as np

        cuts = methods.quantile_cuts(sorted_reference)
        grid = reference_grid(sorted_reference, cuts)
        size = len(grid) + 1
        return cls(grid, cuts, cells=np.zeros(size, np.int64), equal=np.zeros(size, np.int64),
                   gaps=np.zeros(size, np.float64))

    @property
    def bins(self) -> NDArray[np.int64]:
        """Counts per PSI bin (``cuts[i-1] <= x < cuts[i]``), from the grid's counts: each
        cut is a grid point, and the values below it are those up to the point before it."""
        import numpy as np

        at = np.searchsorted(self.grid, self.cuts)
        below = self.cells.cumsum()[at] - self.equal[at]
        bounds = np.concatenate(([0], below, [self.finite]))
        return np.diff(bounds).astype(np.int64)

    def add(self, column: Any) -> None:
        """Count one batch of a column (a pyarrow Array or ChunkedArray of numbers)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        self.rows += len(column)
        self.nulls += column.null_count
        present = pc.drop_null(column) if column.null_count else column
        if not pa.types.is_float64(present.type):
            present = pc.cast(present, pa.float64(), safe=False)  # as ``values.numeric_values``
        values = np.asarray(present.to_numpy(zero_copy_only=False), dtype=np.float64)
        finite = np.isfinite(values)
        if not finite.all():
            nan = int(np.isnan(values).sum())
            self.nulls += nan
            self.infinite += int(len(values) - finite.sum()) - nan
            values = values[finite]
        if not len(values):
            return
        self.add_finite(values)

    def add_finite(self, values: NDArray[np.float64]) -> None:
        """Count finite values: sorted once, then cut at the grid points (cheaper than looking
        each value up in the grid)."""
        import numpy as np

        ordered = np.sort(values)
        cells, equal, gaps = cells_of_sorted(ordered, self.grid)
        self.finite += len(ordered)
        self.minimum = min(self.minimum, float(ordered[0]))
        self.maximum = max(self.maximum, float(ordered[-1]))
        self.cells += cells
        self.equal += equal
        self.gaps += gaps

    # -- statistics against the reference -------------------------------------------------

    def cdf_at_grid(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The current CDF at each grid point, and just below it."""
        at = self.cells.cumsum()[:-1] / self.finite
        below = at - self.equal[:-1] / self.finite
        return at, below

    def ks(self, sorted_reference: NDArray[np.float64]) -> tuple[float, float]:
        """KS statistic and asymptotic p-value against the reference (see module doc)."""
        import numpy as np
        from scipy import stats

        n = len(sorted_reference)
        reference_at = np.searchsorted(sorted_reference, self.grid, side="right") / n
        reference_below = np.searchsorted(sorted_reference, self.grid, side="left") / n
        current_at, current_below = self.cdf_at_grid()
        statistic = float(max(np.max(np.abs(reference_at - current_at)),
                              np.max(np.abs(reference_below - current_below))))
        effective = round(n * self.finite / (n + self.finite))
        p_value = float(stats.kstwo.sf(statistic, max(effective, 1)))
        return statistic, min(max(p_value, 0.0), 1.0)

    def wasserstein(self, sorted_reference: NDArray[np.float64]) -> float:
        """The 1-D Wasserstein distance to the reference (see module doc)."""
        return cell_distance(self.reference_cells(sorted_reference), self)

    def reference_cells(self, sorted_reference: NDArray[np.float64]) -> BinnedNumeric:
        """The reference summarised on this grid, from its prefix sums (it is sorted)."""

        n = len(sorted_reference)
        cells, equal, gaps = cells_of_sorted(sorted_reference, self.grid)
        reference = BinnedNumeric(self.grid, self.cuts, rows=n, finite=n, cells=cells,
                                  equal=equal, gaps=gaps)
        reference.minimum, reference.maximum = float(sorted_reference[0]), float(
            sorted_reference[-1])
        return reference

    def normalised_wasserstein(self, sorted_reference: NDArray[np.float64]) -> float:
        """``wasserstein`` divided by the reference's standard deviation (as ``methods``)."""
        import numpy as np

        distance = self.wasserstein(sorted_reference)
        spread = float(np.std(sorted_reference))
        if spread > 0:
            return distance / spread
        return 0.0 if distance == 0 else math.inf


def cells_of_sorted(
    ordered: NDArray[np.float64], grid: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Counts per cell, counts equal to each grid point, and gap sums (see ``BinnedNumeric``)
    of sorted values, from their positions at the grid points and their prefix sums."""
    import numpy as np

    total = len(ordered)
    upto = np.searchsorted(ordered, grid, side="right")
    below = np.searchsorted(ordered, grid, side="left")
    bounds = np.concatenate(([0], upto, [total]))
    sums = np.concatenate(([0.0], np.cumsum(ordered)))
    cells = np.diff(bounds).astype(np.int64)
    inside = sums[bounds[1:]] - sums[bounds[:-1]]
    upper = np.concatenate((grid, [grid[-1]]))
    gaps = np.abs(cells * upper - inside)
    equal = np.concatenate((upto - below, [0])).astype(np.int64)
    return cells, equal, gaps


def cell_distance(reference: BinnedNumeric, current: BinnedNumeric) -> float:
    """``∫|F_ref - F_cur|`` from two summaries on the same grid (see module doc)."""
    import numpy as np

    grid = reference.grid
    widths = np.diff(grid)
    ref_before = reference.cells.cumsum() / reference.finite  # CDF at the top of each cell
    cur_before = current.cells.cumsum() / current.finite
    # ∫ F over (g[j-1], g[j]] = F(g[j-1]) * width + (sum of gaps of the cell's values) / total
    ref_inside = ref_before[:-2] * widths + reference.gaps[1:-1] / reference.finite
    cur_inside = cur_before[:-2] * widths + current.gaps[1:-1] / current.finite
    below = current.gaps[0] / current.finite - reference.gaps[0] / reference.finite
    above = current.gaps[-1] / current.finite - reference.gaps[-1] / reference.finite
    return float(abs(below) + np.sum(np.abs(ref_inside - cur_inside)) + abs(above))
