"""Train the churn model: the script a user of mlops-ci writes for ``train.command``.

mlops-ci runs it with these environment variables (each has a default, so
``python train.py`` works by hand from any directory):

    MLOPS_TRAIN_DATA   CSV to fit on                      (default: data/train.csv)
    MLOPS_TEST_DATA    held-out CSV; mlops-ci evaluates   (default: data/test.csv)
                       on it, so training never reads it
    MLOPS_TARGET       the target column                  (default: churned)
    MLOPS_OUTPUT_DIR   where model.skops and params.json  (default: out/)
                       are written
    MLOPS_SEED         random seed                        (default: 42)
    MLOPS_MODEL_NAME   the model's name in mlops.yaml     (default: churn)

Relative defaults are resolved against this script's directory. The model is saved with
``skops.io.dump``, never pickle, and its only type outside skops' default trust list is
``numpy.dtype`` (see README.md).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
ID_COLUMN = "customer_id"
NUMERIC = ("tenure_months", "monthly_charges", "total_charges", "support_calls")
CATEGORICAL = ("contract", "payment_method", "region")
BOOLEAN = ("paperless",)
HYPERPARAMETERS = {"C": 1.0, "max_iter": 1000, "solver": "lbfgs"}
MODEL_FILE = "model.skops"
PARAMS_FILE = "params.json"


@dataclass(frozen=True, slots=True)
class TrainInputs:
    train_data: Path
    test_data: Path
    target: str
    output_dir: Path
    seed: int
    model_name: str


def read_inputs(environ: Mapping[str, str] = os.environ) -> TrainInputs:
    """The run's inputs from mlops-ci's environment variables, or the example's defaults."""

    def path(name: str, default: str) -> Path:
        return HERE / environ.get(name, default)  # an absolute value replaces HERE

    seed_text = environ.get("MLOPS_SEED", "42")
    try:
        seed = int(seed_text)
    except ValueError:
        raise SystemExit(f"train.py: MLOPS_SEED must be an integer, got {seed_text!r}") from None
    return TrainInputs(
        train_data=path("MLOPS_TRAIN_DATA", "data/train.csv"),
        test_data=path("MLOPS_TEST_DATA", "data/test.csv"),
        target=environ.get("MLOPS_TARGET", "churned"),
        output_dir=path("MLOPS_OUTPUT_DIR", "out"),
        seed=seed,
        model_name=environ.get("MLOPS_MODEL_NAME", "churn"),
    )


def build_pipeline(seed: int) -> Pipeline:
    """Impute and scale numbers, one-hot encode categories, 0/1 the flags, then a logistic fit.

    Every step is a scikit-learn estimator skops trusts by default (the imputer's fitted
    ``numpy.dtype`` is the one extra type to trust); unseen categories in production data
    are ignored rather than failing the prediction.
    """
    features = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                list(NUMERIC),
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL)),
            ("boolean", OneHotEncoder(drop="if_binary", handle_unknown="ignore"), list(BOOLEAN)),
        ]
    )
    classifier = LogisticRegression(random_state=seed, **HYPERPARAMETERS)
    return Pipeline([("features", features), ("classifier", classifier)])


def load_table(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    table = pd.read_csv(path)
    missing = sorted({target, *NUMERIC, *CATEGORICAL, *BOOLEAN} - set(table.columns))
    if missing:
        raise SystemExit(f"train.py: {path} lacks the column(s) {', '.join(missing)}")
    return table.drop(columns=[target, ID_COLUMN], errors="ignore"), table[target]


def main() -> int:
    inputs = read_inputs()
    started = time.perf_counter()
    features, labels = load_table(inputs.train_data, inputs.target)
    model = build_pipeline(inputs.seed).fit(features, labels)
    train_auc = roc_auc_score(labels, model.predict_proba(features)[:, 1])

    inputs.output_dir.mkdir(parents=True, exist_ok=True)
    model_path = inputs.output_dir / MODEL_FILE
    sio.dump(model, model_path)
    params = {
        "model": inputs.model_name,
        "estimator": "sklearn.linear_model.LogisticRegression",
        "seed": inputs.seed,
        "target": inputs.target,
        "features": {"numeric": NUMERIC, "categorical": CATEGORICAL, "boolean": BOOLEAN},
        **HYPERPARAMETERS,
    }
    (inputs.output_dir / PARAMS_FILE).write_text(json.dumps(params, indent=2) + "\n")

    print(
        f"trained {inputs.model_name} on {len(labels):,} rows of {inputs.train_data.name} "
        f"in {time.perf_counter() - started:.2f}s (train ROC AUC {train_auc:.3f})"
    )
    print(f"wrote {model_path}; {inputs.test_data.name} is left for evaluation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
