"""The calibrator: fitted on test scores, kept as plain JSON, refused when it is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.monitoring.feedback.calibration import (
    expected_calibration_error,
    fit_calibrator,
    read_calibrator,
    write_calibrator,
)


def _overconfident(rows: int) -> tuple[list[float], list[int]]:
    import numpy as np

    rng = np.random.default_rng(3)
    truth = rng.uniform(0.05, 0.95, rows)
    outcomes = (rng.random(rows) < truth).astype(int)
    raw = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))  # log-odds tripled
    return raw.tolist(), outcomes.tolist()


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_repairs_an_overconfident_model_and_survives_json(
    tmp_path: Path, method: str
) -> None:
    scores, outcomes = _overconfident(2000)
    calibrator = fit_calibrator(scores, outcomes, method=method)  # type: ignore[arg-type]

    assert calibrator.quality.ece < calibrator.quality.ece_raw / 2
    assert calibrator.quality.brier < calibrator.quality.brier_raw
    path = tmp_path / "calibration.json"
    write_calibrator(calibrator, path)
    again = read_calibrator(path)
    assert again.method == method and len(again.replicates) == len(calibrator.replicates)
    assert again.apply([0.2, 0.9]).round(4).tolist() == calibrator.apply([0.2, 0.9]).round(
        4).tolist()
    assert expected_calibration_error(again.apply(scores), outcomes) < 0.05


def test_a_file_that_is_not_a_calibrator_is_a_user_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"schema": 1, "method": "pickle"}), encoding="utf-8")
    with pytest.raises(UserError, match=r"calibration\.json of release churn@v1\.0\.0"):
        read_calibrator(path, display="calibration.json of release churn@v1.0.0")
