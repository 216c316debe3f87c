"""The statistical drift methods, on numpy arrays.

Pure functions, no I/O. Numeric functions take *sorted*, finite float64 arrays (the caller
drops nulls, NaN and infinities, and reports them); categorical functions take counts aligned
on the union of categories. Every function is defined for every input it can receive:
empty inputs are the caller's job (a column with no values cannot be tested), constant inputs
give a defined value.

Conventions a caller may rely on:

- **PSI** bins come from the reference's quantiles (``DEFAULT_BINS`` equal-frequency bins,
  duplicate cut points merged; a constant reference gets three bins: below, at and above its
  value). A bin (or category) empty on one side would make ``ln(cur/ref)`` infinite, so shares
  of 0 are replaced by ``PSI_EPSILON`` (1e-4, as Evidently does) before the sum.
- **KS** is scipy's two-sample test (``method="auto"``: exact for small samples).
- **chi2** is the test of homogeneity on the 2 x K table of counts over the union of
  categories (a new or vanished category simply has a 0 cell), without Yates' correction.
- **Wasserstein** is the exact 1-D earth mover's distance divided by the reference's standard
  deviation, so 0.1 means "moved a tenth of a standard deviation". A constant reference has no
  spread: the distance is then 0 when the current sample equals it and infinite otherwise.
- **Jensen-Shannon** is the distance (square root of the divergence) with base-2 logarithms,
  so it lies in [0, 1]; numeric columns use the PSI bins.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]

DEFAULT_BINS = 10
PSI_EPSILON = 1e-4
_SAFE_MAGNITUDE = 1e150  # squares of larger values overflow float64


def quantile_cuts(sorted_reference: FloatArray, bins: int = DEFAULT_BINS) -> FloatArray:
    """Interior cut points of equal-frequency bins of the reference.

    Bin ``i`` holds ``cuts[i-1] <= x < cuts[i]`` (the first and last bins are open-ended), so
    ``len(cuts) + 1`` bins. Duplicate cuts (heavy ties) are merged. A constant reference gets
    the cuts ``[c, next float after c]``: below, exactly at, and above its value.
    """
    import numpy as np

    lowest, highest = float(sorted_reference[0]), float(sorted_reference[-1])
    if lowest == highest:
        return np.array([lowest, np.nextafter(lowest, math.inf)], dtype=np.float64)
    count = len(sorted_reference)
    positions = (np.arange(1, bins) * count) // bins
    cuts = np.unique(sorted_reference[positions])
    # a cut at the minimum would leave the first bin empty by construction
    return cuts[cuts > lowest]


def bin_counts(sorted_values: FloatArray, cuts: FloatArray) -> IntArray:
    """How many values fall in each bin of ``cuts`` (``len(cuts) + 1`` counts)."""
    import numpy as np

    edges = np.searchsorted(sorted_values, cuts, side="left")
    bounds = np.concatenate(([0], edges, [len(sorted_values)]))
    return np.diff(bounds).astype(np.int64)


def shares(counts: IntArray) -> FloatArray:
    """Counts as fractions of their total (all zeros when the total is 0)."""
    import numpy as np

    total = int(counts.sum())
    if total == 0:
        return np.zeros(len(counts), dtype=np.float64)
    return counts.astype(np.float64) / total


def psi(reference_counts: IntArray, current_counts: IntArray) -> float:
    """Population stability index of two count vectors over the same bins or categories."""
    import numpy as np

    expected = np.maximum(shares(reference_counts), PSI_EPSILON)
    actual = np.maximum(shares(current_counts), PSI_EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def jensen_shannon(reference_counts: IntArray, current_counts: IntArray) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of two count vectors."""
    import numpy as np

    p = shares(reference_counts)
    q = shares(current_counts)
    m = (p + q) / 2

    def kl_to_m(x: FloatArray) -> float:
        present = x > 0
        return float(np.sum(x[present] * np.log2(x[present] / m[present])))

    divergence = (kl_to_m(p) + kl_to_m(q)) / 2
    return math.sqrt(max(divergence, 0.0))


def ks_test(sorted_reference: FloatArray, sorted_current: FloatArray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (scipy, ``method="auto"``)."""
    import warnings

    from scipy import stats

    with warnings.catch_warnings():
        # "exact calculation unsuccessful, switching to asymp": scipy's own documented fallback
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ks_2samp(sorted_reference, sorted_current, method="auto")
    return float(result.statistic), float(result.pvalue)


def chi_square_test(reference_counts: IntArray, current_counts: IntArray) -> tuple[float, float]:
    """Chi-square test of homogeneity on the 2 x K table (K = categories seen on either side)."""
    import numpy as np

    table = np.vstack([reference_counts, current_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0  # one category on both sides: nothing can have moved
    from scipy import stats

    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def wasserstein(sorted_reference: FloatArray, sorted_current: FloatArray) -> float:
    """Exact 1-D Wasserstein distance of two sorted samples (equals scipy's).

    The integral of the distance between the two quantile functions, which are step
    functions with steps at ``i/n`` and ``j/m``. Equal sizes: the steps coincide and the
    distance is the mean gap between order statistics. Otherwise the steps, in integer units
    of ``1/(n*m)``, are merged by one sort and each segment weighs its width.
    """
    import numpy as np

    n, m = len(sorted_reference), len(sorted_current)
    if n == m:
        return float(np.mean(np.abs(sorted_reference - sorted_current)))
    if n * m >= 2**62:  # the integer grid would overflow: billions of rows on each side
        from scipy import stats

        return float(stats.wasserstein_distance(sorted_reference, sorted_current))
    steps = np.concatenate((np.arange(n, dtype=np.int64) * m, np.arange(m, dtype=np.int64) * n))
    steps.sort(kind="stable")  # two sorted runs: a linear merge
    widths = np.diff(steps, append=n * m)
    gaps = np.abs(sorted_reference[steps // m] - sorted_current[steps // n])
    return float(np.dot(gaps, widths)) / (n * m)


def normalised_wasserstein(sorted_reference: FloatArray, sorted_current: FloatArray) -> float:
    """Wasserstein distance divided by the reference's standard deviation (see module doc).

    The ratio does not change when both samples are scaled, so values near the float limit
    (1e308) are scaled down first instead of overflowing to an infinite spread.
    """
    import numpy as np

    largest = max(abs(float(sorted_reference[0])), abs(float(sorted_reference[-1])),
                  abs(float(sorted_current[0])), abs(float(sorted_current[-1])))
    if largest > _SAFE_MAGNITUDE:
        sorted_reference, sorted_current = sorted_reference / largest, sorted_current / largest
    distance = wasserstein(sorted_reference, sorted_current)
    spread = float(np.std(sorted_reference))
    if spread > 0:
        return distance / spread
    return 0.0 if distance == 0 else math.inf


def adjust_p_values(p_values: list[float], correction: str) -> list[float]:
    """Family-wise corrected p-values, in the input order.

    ``holm`` (step-down, uniformly more powerful than Bonferroni), ``bonferroni`` (``m * p``)
    or ``none``; results are capped at 1.
    """
    count = len(p_values)
    if correction == "none" or count == 0:
        return list(p_values)
    if correction == "bonferroni":
        return [min(1.0, p * count) for p in p_values]
    order = sorted(range(count), key=lambda index: p_values[index])
    adjusted = [0.0] * count
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
