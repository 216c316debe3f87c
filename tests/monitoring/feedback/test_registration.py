"""calibrate_candidate: fitted once per model file and test split, reused by the second caller.

A merge run calibrates in evaluate (the PR report) and again in register (the release) into
the same folder; the second call must read what the first wrote, and a different model file
must be fitted anew.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_ci.digest import sha256_file
from mlops_ci.monitoring.feedback.calibration import CALIBRATION_FILE
from mlops_ci.monitoring.feedback.registration import CALIBRATION_KEY_FILE, calibrate_candidate
from tests.serving.example import EXAMPLE, churn_spec, train_churn


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two trainings of the example: skops files differ in bytes even for the same model."""
    return (train_churn(tmp_path_factory.mktemp("seed-42")),
            train_churn(tmp_path_factory.mktemp("seed-7"), seed=7))


def test_the_second_call_reads_the_calibrator_the_first_wrote(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, folder = churn_spec(), tmp_path / "calibration"
    first = calibrate_candidate(spec, model_files[0], EXAMPLE, folder)
    assert first.path is not None and first.calibrator is not None
    written = first.path.stat().st_mtime_ns

    second = calibrate_candidate(spec, model_files[0], EXAMPLE, folder)

    assert second.path == first.path
    assert first.path.stat().st_mtime_ns == written
    assert second.calibrator == first.calibrator


def test_another_model_file_is_fitted_anew(model_files: tuple[Path, Path], tmp_path: Path) -> None:
    spec, folder = churn_spec(), tmp_path / "calibration"
    first = calibrate_candidate(spec, model_files[0], EXAMPLE, folder)
    assert first.path is not None
    written = first.path.stat().st_mtime_ns

    other = calibrate_candidate(spec, model_files[1], EXAMPLE, folder)

    assert other.calibrator is not None and other.path == first.path
    assert first.path.stat().st_mtime_ns != written
    key = (folder / CALIBRATION_KEY_FILE).read_text()
    assert f"model {sha256_file(model_files[1])}\n" in key
    assert sha256_file(model_files[0]) not in key


def test_a_calibration_without_its_key_is_not_trusted(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """A calibration.json from elsewhere (or a run cut off between the two writes) is refitted."""
    spec, folder = churn_spec(), tmp_path / "calibration"
    folder.mkdir()
    (folder / CALIBRATION_FILE).write_text('{"not": "a calibrator"}')

    fitted = calibrate_candidate(spec, model_files[0], EXAMPLE, folder)

    assert fitted.calibrator is not None
    assert "not" not in json.loads((folder / CALIBRATION_FILE).read_text())
    assert (folder / CALIBRATION_KEY_FILE).is_file()
