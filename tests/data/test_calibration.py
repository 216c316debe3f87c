"""False-positive level and power of the drift verdicts, over many seeds.

Same-distribution data must be flagged at the configured level (binomial tolerance), the
family-wise correction must hold the dataset's false-alarm rate near alpha, and shifted data
must be caught.
"""

from __future__ import annotations

import math

import numpy as np

from mlops_ci.config.model import DriftSpec
from mlops_ci.data.drift import drift_tables
from tests.data.helpers import table

SEEDS = 200
COLUMNS = 10
ROWS = 200


def _runs(spec: DriftSpec, shift: float = 0.0, seeds: int = SEEDS) -> tuple[int, int, int]:
    """(flagged columns, datasets flagged, columns tested) over ``seeds`` runs."""
    flagged_columns = flagged_datasets = tested = 0
    names = [f"x{i}" for i in range(COLUMNS)]
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        reference = table({n: rng.normal(size=ROWS) for n in names})
        current = table({n: rng.normal(size=ROWS) + shift for n in names})
        result = drift_tables(reference, current, spec, dict.fromkeys(names, "numeric"))
        flagged_columns += len(result.drifted_columns)
        flagged_datasets += bool(result.drifted_columns)
        tested += len(result.columns)
    return flagged_columns, flagged_datasets, tested


def _within_binomial(count: int, trials: int, rate: float, sigmas: float = 4.0) -> bool:
    spread = sigmas * math.sqrt(trials * rate * (1 - rate))
    return abs(count - trials * rate) <= spread


def test_uncorrected_ks_flags_columns_at_the_nominal_rate() -> None:
    spec = DriftSpec(method="ks", p_value_correction="none")
    flagged, _, tested = _runs(spec)
    assert tested == SEEDS * COLUMNS
    assert _within_binomial(flagged, tested, 0.05), f"{flagged} of {tested} flagged"


def test_holm_keeps_the_dataset_false_alarm_rate_near_alpha() -> None:
    _, datasets, _ = _runs(DriftSpec(method="ks", p_value_correction="holm"))
    # family-wise error <= 0.05: at most 0.05 + 3 standard errors of 200 runs
    assert datasets / SEEDS <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / SEEDS), datasets
    uncorrected = _runs(DriftSpec(method="ks", p_value_correction="none"))[1]
    assert datasets < uncorrected  # ~40% of uncorrected runs flag some column


def test_bonferroni_is_at_least_as_strict_as_holm() -> None:
    holm = _runs(DriftSpec(method="ks", p_value_correction="holm"), seeds=60)[0]
    bonferroni = _runs(DriftSpec(method="ks", p_value_correction="bonferroni"), seeds=60)[0]
    assert bonferroni <= holm


def test_a_half_sigma_shift_is_detected_by_ks_after_correction() -> None:
    flagged, datasets, tested = _runs(DriftSpec(method="ks"), shift=0.5, seeds=30)
    assert flagged / tested >= 0.9
    assert datasets == 30


def test_chi_square_flags_same_distribution_categoricals_at_the_nominal_rate() -> None:
    names = [f"c{i}" for i in range(5)]
    spec = DriftSpec(method="chi2", p_value_correction="none")
    flagged = 0
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        levels = np.array(["a", "b", "c", "d"])
        p = [0.4, 0.3, 0.2, 0.1]
        reference = table({n: levels[rng.choice(4, ROWS, p=p)] for n in names})
        current = table({n: levels[rng.choice(4, ROWS, p=p)] for n in names})
        result = drift_tables(reference, current, spec, dict.fromkeys(names, "categorical"))
        flagged += len(result.drifted_columns)
    assert _within_binomial(flagged, SEEDS * len(names), 0.05), flagged


def test_large_samples_use_distances_that_ignore_noise_but_catch_shifts() -> None:
    rng = np.random.default_rng(7)
    rows = 20_000
    levels = np.array(["a", "b", "c"])
    reference = table({
        "same": rng.normal(size=rows), "moved": rng.normal(size=rows),
        "cat_same": levels[rng.choice(3, rows, p=[0.5, 0.3, 0.2])],
        "cat_moved": levels[rng.choice(3, rows, p=[0.5, 0.3, 0.2])],
    })
    current = table({
        "same": rng.normal(size=rows), "moved": rng.normal(size=rows) + 0.3,
        "cat_same": levels[rng.choice(3, rows, p=[0.5, 0.3, 0.2])],
        "cat_moved": levels[rng.choice(3, rows, p=[0.2, 0.3, 0.5])],
    })
    kinds = {"same": "numeric", "moved": "numeric", "cat_same": "categorical",
             "cat_moved": "categorical"}
    result = drift_tables(reference, current, DriftSpec(), kinds)  # type: ignore[arg-type]
    assert [c.method for c in result.columns] == [
        "wasserstein", "wasserstein", "jensenshannon", "jensenshannon"
    ]
    assert result.drifted_columns == ("moved", "cat_moved")
