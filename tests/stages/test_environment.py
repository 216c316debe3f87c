"""The environment record of a version: what the tag's evidence and the model card say."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from mlops_ci import __version__
from mlops_ci.stages.environment import environment_record
from mlops_ci.stages.results import TrainResult

TRAINED = TrainResult(
    model_name="m", model_path=Path("model.skops"), sha256="0" * 64, method="command",
    command=("python", "train.py"), image=None, estimator=None, seed=1, params=(),
    data_files=(), git_sha=None, duration_seconds=1.0, versions=(), untrusted_types=(),
    metadata_path=Path("metadata.json"),
)


def _nothing(environ: object) -> None:
    return None


def test_python_mlops_ci_and_the_scientific_stack_in_a_fixed_order() -> None:
    record = environment_record(TRAINED, {}, detect_image=_nothing)
    assert [name for name, _ in record] == ["python", "mlops-ci", "scikit-learn", "numpy",
                                            "scipy", "pandas", "skops"]
    assert dict(record)["python"] == ".".join(map(str, sys.version_info[:3]))
    assert dict(record)["mlops-ci"] == __version__


def test_a_boosting_library_is_recorded_when_the_model_holds_its_types() -> None:
    uses = dataclasses.replace(TRAINED, untrusted_types=("xgboost.sklearn.XGBClassifier",
                                                         "numpy.dtype"))
    record = dict(environment_record(uses, {}, detect_image=_nothing))
    assert "xgboost" in record and "lightgbm" not in record


def test_the_declared_image_wins_over_detection_and_a_training_image_is_named() -> None:
    container = dataclasses.replace(TRAINED, method="container", image="python:3.12-slim")
    declared = {"MLOPS_IMAGE_DIGEST": "ghcr.io/o/mlops-ci@sha256:" + "1" * 64}

    record = dict(environment_record(container, declared, detect_image=lambda _: "sha256:2"))
    detected = dict(environment_record(TRAINED, {}, detect_image=lambda _: "sha256:" + "2" * 64))

    assert record["image"] == declared["MLOPS_IMAGE_DIGEST"]
    assert record["training image"] == "python:3.12-slim"
    assert detected["image"] == "sha256:" + "2" * 64
