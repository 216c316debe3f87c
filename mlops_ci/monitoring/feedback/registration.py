"""At registration: calibrate the candidate on the held-out test set, for estimates later.

Called by the register stage for a model whose ``monitor.feedback`` asks for estimates
(``estimate``, the default). Only a binary classifier with ``predict_proba`` is calibrated;
for any other model ``None`` is returned with the reason, and the release simply holds no
``calibration.json``. The candidate is loaded through skops with ``evaluate.trusted_types``,
as evaluate loads it; the score calibrated is the probability of its last class.

A merge run calibrates twice, in evaluate (for the PR report) and in register (for the
release), into the same folder. The second call finds ``calibration.json`` with a key made of
the model file's and the test split's SHA-256 and the method, and reads it instead of loading
the model and fitting again; a different model file (a rerun fetches the registered one) or
test split fits anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.model import ModelSpec
from mlops_ci.data.dataset import read_split
from mlops_ci.digest import sha256_file
from mlops_ci.metrics import predict
from mlops_ci.modelio import load_model
from mlops_ci.monitoring.feedback.calibration import (
    CALIBRATION_FILE,
    Calibrator,
    Scalar,
    fit_calibrator,
    read_calibrator,
    write_calibrator,
)

CALIBRATION_KEY_FILE = "calibration.key"


@dataclass(frozen=True, slots=True)
class Calibration:
    calibrator: Calibrator | None
    path: Path | None  # the written calibration.json
    reason: str | None = None  # why there is none


def calibrate_candidate(
    model: ModelSpec, model_file: Path, workspace: Path, out_dir: Path
) -> Calibration:
    """Fit and write ``out_dir/calibration.json`` for ``model_file``, or say why not."""
    import numpy as np


    feedback = model.monitor.feedback if model.monitor is not None else None
    if feedback is None or not feedback.estimate:
        return Calibration(None, None, "monitor.feedback does not ask for estimates")
    if model.evaluate.task != "classification":
        return Calibration(None, None, "estimates are for binary classifiers")
    path = out_dir / CALIBRATION_FILE
    key_file = out_dir / CALIBRATION_KEY_FILE
    test_path = workspace / model.data.test
    key = _key(model_file, test_path, feedback.calibration)
    if key and path.is_file() and key_file.is_file() and key_file.read_text("utf-8") == key:
        return Calibration(read_calibrator(path), path)
    test = read_split(model.data, test_path, display=str(model.data.test))
    loaded = load_model(model_file, model.evaluate.trusted_types)
    predictions = predict(loaded, test.features, test.target, "classification")
    if predictions.proba is None or len(predictions.classes) != 2:
        return Calibration(None, None, predictions.proba_missing
                           or f"the model has {len(predictions.classes)} classes, not 2")
    positive = predictions.classes[-1]
    outcomes = (np.asarray(predictions.y_true) == positive).astype(int)
    calibrator = fit_calibrator(
        predictions.proba[:, 1], outcomes, method=feedback.calibration,
        positive_class=_plain(positive), classes=tuple(_plain(c) for c in predictions.classes),
        fitted_on=str(model.data.test),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    key_file.unlink(missing_ok=True)  # a key only ever names the file written after it
    write_calibrator(calibrator, path)
    if key:
        key_file.write_text(key, encoding="utf-8")
    return Calibration(calibrator, path)


def _key(model_file: Path, test_path: Path, method: str) -> str:
    """What a calibration was fitted from; empty when a file is missing (read_split then says
    which, precisely)."""
    if not (model_file.is_file() and test_path.is_file()):
        return ""
    return f"model {sha256_file(model_file)}\ntest {sha256_file(test_path)}\nmethod {method}\n"


def _plain(value: object) -> Scalar:
    item = getattr(value, "item", None)
    plain = item() if callable(item) else value
    return plain if isinstance(plain, str | int | float | bool) else str(plain)
