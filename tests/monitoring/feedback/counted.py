"""How far a live metric counted in batches may be from the one computed on every row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from mlops_ci.monitoring.feedback.live_counts import AP_TOLERANCE, AUC_TOLERANCE
from mlops_ci.monitoring.feedback.live_errors import RELATIVE, SMALLEST

EXACT = 1e-12


def allowed(name: str, exact: float | None) -> float:
    """The stated tolerance of ``name`` (binned metrics), else 1e-12 (relative beyond 1)."""
    if name == "roc_auc":
        return AUC_TOLERANCE
    if name == "average_precision":
        return AP_TOLERANCE
    if name == "median_ae":
        return RELATIVE * abs(exact or 0.0) + SMALLEST
    return EXACT * max(1.0, abs(exact or 0.0))


def assert_live_close(counted: Sequence[Any], exact: Sequence[Any]) -> None:
    """The live metrics of two checks' JSON: the same names, values within ``allowed``."""
    assert [m["metric"] for m in counted] == [m["metric"] for m in exact]
    for mine, theirs in zip(counted, exact, strict=True):
        assert mine["undefined"] == theirs["undefined"], mine["metric"]
        assert mine["live"] == pytest.approx(
            theirs["live"], abs=allowed(mine["metric"], theirs["live"])), mine["metric"]
