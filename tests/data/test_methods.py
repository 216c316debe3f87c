"""The statistical methods against hand-computed values and against scipy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlops_ci.data import methods


def counts(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_psi_of_a_hand_checked_case() -> None:
    # shares 0.5/0.5 -> 0.25/0.75: 0.25*ln2 + 0.25*ln1.5 = 0.25*1.0986123 = 0.2746531
    assert methods.psi(counts(50, 50), counts(25, 75)) == pytest.approx(0.2746531, abs=1e-7)


def test_psi_replaces_an_empty_bin_by_epsilon() -> None:
    # reference 1.0/0 -> 1.0/1e-4; current 0.5/0.5:
    # (0.5-1)ln(0.5) + (0.5-1e-4)ln(0.5/1e-4) = 0.3465736 + 0.4999*8.5171932 = 4.6043185
    assert methods.psi(counts(100, 0), counts(50, 50)) == pytest.approx(4.6043185, abs=1e-6)


def test_psi_of_identical_shares_is_zero() -> None:
    assert methods.psi(counts(10, 20, 30), counts(1, 2, 3)) == pytest.approx(0.0)


def test_quantile_cuts_make_equal_frequency_bins() -> None:
    reference = np.arange(1.0, 11.0)
    cuts = methods.quantile_cuts(reference, bins=5)
    assert cuts.tolist() == [3.0, 5.0, 7.0, 9.0]
    assert methods.bin_counts(reference, cuts).tolist() == [2, 2, 2, 2, 2]
    current = np.sort(np.array([0.0, 2.5, 3.0, 9.0, 100.0]))
    assert methods.bin_counts(current, cuts).tolist() == [2, 1, 0, 0, 2]


def test_a_constant_reference_gets_below_at_and_above_bins() -> None:
    cuts = methods.quantile_cuts(np.full(5, 7.0))
    assert methods.bin_counts(np.array([6.0, 7.0, 7.0, 8.0]), cuts).tolist() == [1, 2, 1]


def test_ks_statistic_and_p_value_match_an_exact_permutation_count() -> None:
    reference, current = [1.0, 2.0, 3.0, 4.0], [3.5, 4.5, 5.0, 6.0]
    statistic, p_value = methods.ks_test(np.array(reference), np.array(current))
    # by hand: at x=3 the reference CDF is 3/4, the current 0 -> D = 0.75
    assert statistic == pytest.approx(0.75)

    def d(a: list[float], b: list[float]) -> float:
        grid = sorted(a + b)
        return max(abs(sum(x <= g for x in a) / 4 - sum(x <= g for x in b) / 4) for g in grid)

    pooled = reference + current
    splits = list(itertools.combinations(range(8), 4))
    extreme = sum(
        d([pooled[i] for i in s], [pooled[i] for i in range(8) if i not in s]) >= 0.75 - 1e-12
        for s in splits
    )
    assert p_value == pytest.approx(extreme / len(splits))  # 8/70


def test_chi_square_of_a_hand_checked_table() -> None:
    # expected 15 in each cell: 4 * 5**2 / 15 = 6.6667, 1 degree of freedom
    statistic, p_value = methods.chi_square_test(counts(10, 20), counts(20, 10))
    assert statistic == pytest.approx(6.666667, abs=1e-6)
    assert p_value == pytest.approx(math.erfc(math.sqrt(6.666667 / 2)), rel=1e-6)


def test_chi_square_handles_new_categories_and_a_single_category() -> None:
    _, p_value = methods.chi_square_test(counts(50, 50, 0), counts(40, 40, 20))
    assert p_value < 0.001
    assert methods.chi_square_test(counts(30), counts(3)) == (0.0, 1.0)


def test_jensen_shannon_of_hand_checked_cases() -> None:
    assert methods.jensen_shannon(counts(1, 0), counts(0, 1)) == pytest.approx(1.0)
    # M = (.75, .25); KL(p|M) = 0.2075187, KL(q|M) = 0.4150375; sqrt(mean) = 0.5579230
    assert methods.jensen_shannon(counts(5, 5), counts(1, 0)) == pytest.approx(0.557923, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=2, max_size=8).flatmap(
    lambda a: st.tuples(st.just(a), st.lists(st.integers(0, 50), min_size=len(a),
                                             max_size=len(a)))
))
def test_jensen_shannon_equals_scipy(pair: tuple[list[int], list[int]]) -> None:
    left, right = pair
    if sum(left) == 0 or sum(right) == 0:
        return
    expected = jensenshannon(np.array(left, float), np.array(right, float), base=2)
    assert methods.jensen_shannon(counts(*left), counts(*right)) == pytest.approx(
        float(expected), abs=1e-9
    )


def test_wasserstein_of_a_shift_normalised_by_the_reference_std() -> None:
    reference = np.array([0.0, 1.0, 2.0, 3.0])
    current = np.array([1.0, 2.0, 3.0, 4.0])
    assert methods.wasserstein(reference, current) == pytest.approx(1.0)
    # std of 0..3 is sqrt(1.25) = 1.1180340
    assert methods.normalised_wasserstein(reference, current) == pytest.approx(0.8944272)


def test_wasserstein_of_a_constant_reference() -> None:
    constant = np.full(4, 2.0)
    assert methods.normalised_wasserstein(constant, np.full(3, 2.0)) == 0.0
    assert methods.normalised_wasserstein(constant, np.array([2.0, 3.0])) == math.inf


finite = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 1))


@settings(max_examples=80, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40), st.lists(finite, min_size=1, max_size=40))
def test_wasserstein_equals_scipy_with_ties_and_unequal_sizes(
    reference: list[float], current: list[float]
) -> None:
    ours = methods.wasserstein(np.sort(reference), np.sort(current))
    assert ours == pytest.approx(stats.wasserstein_distance(reference, current), rel=1e-9,
                                 abs=1e-6)


def test_holm_and_bonferroni_of_a_hand_checked_family() -> None:
    p_values = [0.01, 0.04, 0.03, 0.005]
    # holm: sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, max(0.06, 0.04*1)=0.06
    assert methods.adjust_p_values(p_values, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert methods.adjust_p_values(p_values, "bonferroni") == pytest.approx(
        [0.04, 0.16, 0.12, 0.02]
    )
    assert methods.adjust_p_values(p_values, "none") == p_values
    assert methods.adjust_p_values([0.6, 0.5], "bonferroni") == [1.0, 1.0]


def test_wasserstein_of_large_equal_and_unequal_samples_equals_scipy() -> None:
    rng = np.random.default_rng(3)
    reference = np.sort(rng.normal(size=20_000))
    for size in (20_000, 17_001):
        current = np.sort(rng.normal(size=size) * 1.2 + 0.1)
        assert methods.wasserstein(reference, current) == pytest.approx(
            stats.wasserstein_distance(reference, current), rel=1e-9
        )


def test_normalised_wasserstein_does_not_overflow_near_the_float_limit() -> None:
    reference = np.array([-1e308, 0.0, 1e308])
    current = np.array([-1e308, 1e308, 1e308])
    small = methods.normalised_wasserstein(reference / 1e300, current / 1e300)
    assert methods.normalised_wasserstein(reference, current) == pytest.approx(small)
    assert math.isfinite(small) and small > 0
