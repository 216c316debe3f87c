"""Score a trained churn model by hand: what a user runs without mlops-ci.

    MLOPS_OUTPUT_DIR=out python evaluate.py

Reads ``model.skops`` from ``MLOPS_MODEL_DIR`` (default: ``MLOPS_OUTPUT_DIR``), scores
``MLOPS_TEST_DATA`` (default: data/test.csv) and writes a flat, DVC-style ``metrics.json``
(``{"accuracy": 0.81, "roc_auc": 0.86, ...}``) into ``MLOPS_OUTPUT_DIR`` (default: out/).
The model is loaded with skops and an explicit trusted-type list, never with pickle: a file
holding any other type is refused. The JSON is strict: a metric that is not a finite number
stops the script instead of being written as NaN.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline

HERE = Path(__file__).resolve().parent
MODEL_FILE = "model.skops"
METRICS_FILE = "metrics.json"
ID_COLUMN = "customer_id"
# Types train.py's pipeline holds beyond what skops trusts by default: SimpleImputer keeps the
# fitted numpy dtype, which skops rebuilds from an empty array (no code runs).
TRUSTED_TYPES = ("numpy.dtype",)


@dataclass(frozen=True, slots=True)
class EvaluateInputs:
    model_path: Path
    test_data: Path
    target: str
    output_dir: Path


def read_inputs(environ: Mapping[str, str] = os.environ) -> EvaluateInputs:
    """The run's inputs from the environment, with the example's defaults."""
    output_dir = HERE / environ.get("MLOPS_OUTPUT_DIR", "out")
    model_dir = HERE / environ["MLOPS_MODEL_DIR"] if "MLOPS_MODEL_DIR" in environ else output_dir
    return EvaluateInputs(
        model_path=model_dir / MODEL_FILE,
        test_data=HERE / environ.get("MLOPS_TEST_DATA", "data/test.csv"),
        target=environ.get("MLOPS_TARGET", "churned"),
        output_dir=output_dir,
    )


def load_model(path: Path) -> Pipeline:
    """Load ``path`` with skops, refusing any type outside ``TRUSTED_TYPES``."""
    if not path.is_file():
        raise SystemExit(f"evaluate.py: no model at {path}; run train.py first")
    unexpected = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if unexpected:
        raise SystemExit(
            f"evaluate.py: {path} holds types this script does not trust: {', '.join(unexpected)}"
        )
    return sio.load(path, trusted=list(TRUSTED_TYPES))


def score(model: Pipeline, table: pd.DataFrame, target: str) -> dict[str, float]:
    """Classification metrics of ``model`` on ``table``, rounded to 6 places, all finite."""
    labels = table[target]
    features = table.drop(columns=[target, ID_COLUMN], errors="ignore")
    churn_probability = model.predict_proba(features)[:, 1]
    predicted = model.predict(features)
    metrics = {
        "accuracy": accuracy_score(labels, predicted),
        "f1": f1_score(labels, predicted),
        "precision": precision_score(labels, predicted, zero_division=0),
        "recall": recall_score(labels, predicted),
        "roc_auc": roc_auc_score(labels, churn_probability),
        "log_loss": log_loss(labels, churn_probability),
    }
    rounded = {name: round(float(value), 6) for name, value in metrics.items()}
    not_finite = [name for name, value in rounded.items() if not math.isfinite(value)]
    if not_finite:
        raise SystemExit(f"evaluate.py: metric(s) not finite: {', '.join(not_finite)}")
    return rounded


def main() -> int:
    inputs = read_inputs()
    model = load_model(inputs.model_path)
    table = pd.read_csv(inputs.test_data)
    if inputs.target not in table.columns:
        raise SystemExit(f"evaluate.py: {inputs.test_data} has no column {inputs.target!r}")
    metrics = score(model, table, inputs.target)
    inputs.output_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = inputs.output_dir / METRICS_FILE
    metrics_path.write_text(json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    summary = ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())
    print(f"{inputs.test_data.name}: {summary}")
    print(f"wrote {metrics_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
