"""The bundled churn example: its data is reproducible and honours mlops.yaml, its scripts work.

The example's scripts run as real subprocesses, the way mlops-ci and a user run them.
Heavy libraries are imported inside the tests so collecting the suite stays fast.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops_ci" / "examples" / "churn"
DATA = EXAMPLE / "data"
SEED = "42"


def _config() -> dict[str, Any]:
    config = yaml.safe_load((EXAMPLE / "mlops.yaml").read_text())
    model: dict[str, Any] = config["models"]["churn"]
    return model


def _data_files() -> list[Path]:
    """Every CSV the example ships: those mlops.yaml names plus the drift-free production file."""
    model = _config()
    named = [model["data"][role] for role in ("train", "test", "reference")]
    named += model["monitor"]["production_data"]
    return [EXAMPLE / name for name in [*named, "data/production_clean.csv"]]


def _run(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE / script)],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _train_env(output_dir: Path) -> dict[str, str]:
    model = _config()
    return {
        "MLOPS_TRAIN_DATA": str(EXAMPLE / model["data"]["train"]),
        "MLOPS_TEST_DATA": str(EXAMPLE / model["data"]["test"]),
        "MLOPS_TARGET": model["data"]["target"],
        "MLOPS_OUTPUT_DIR": str(output_dir),
        "MLOPS_SEED": SEED,
        "MLOPS_MODEL_NAME": "churn",
    }


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run train.py once, from an unrelated working directory, into a fresh output dir."""
    output_dir = tmp_path_factory.mktemp("train") / "out"
    result = _run("train.py", _train_env(output_dir), cwd=tmp_path_factory.mktemp("cwd"))
    assert result.returncode == 0, result.stderr
    return output_dir


# ---- data ------------------------------------------------------------------------------


def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    regenerated = sorted(path.name for path in tmp_path.glob("*.csv"))
    assert regenerated == sorted(path.name for path in DATA.glob("*.csv"))
    for name in regenerated:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_committed_data_is_small_and_complete() -> None:
    files = _data_files()
    assert all(path.is_file() for path in files)
    assert sorted(files) == sorted(DATA.glob("*.csv"))
    assert sum(path.stat().st_size for path in files) < 1_000_000


@pytest.mark.parametrize("path", _data_files(), ids=lambda path: path.name)
def test_data_honours_the_column_contract(path: Path) -> None:
    import pandas as pd

    data_spec = _config()["data"]
    columns: dict[str, dict[str, Any]] = data_spec["columns"]
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)

    assert list(table.columns) == list(columns)
    assert len(table) >= data_spec["rows"]["min"]
    for name, spec in columns.items():
        values = table[name]
        where = f"{path.name}:{name}"
        if spec["dtype"] == "int":
            assert pd.api.types.is_integer_dtype(values), where
        elif spec["dtype"] == "float":
            assert pd.api.types.is_float_dtype(values), where
            assert raw[name].str.fullmatch(r"(\d+\.\d\d)?").all(), where
        elif spec["dtype"] == "bool":
            assert set(raw[name]) == {"true", "false"}, where
            assert pd.api.types.is_bool_dtype(values), where
        else:  # string and category
            assert values.map(type).eq(str).all(), where
        if not spec.get("nullable", True):
            assert values.notna().all(), where
        if spec.get("unique"):
            assert values.is_unique, where
        if "allowed" in spec:
            assert set(values.dropna()) <= set(spec["allowed"]), where
            assert len(set(values)) == len(spec["allowed"]), f"{where}: every value occurs"
        if "min" in spec:
            assert values.min() >= spec["min"], where
        if "max" in spec:
            assert values.max() <= spec["max"], where
    assert table["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert 0.01 <= table["total_charges"].isna().mean() <= 0.03  # the documented ~2% gaps


def test_customer_ids_never_repeat_across_files() -> None:
    import pandas as pd

    ids = pd.concat([pd.read_csv(path, usecols=["customer_id"]) for path in _data_files()])
    assert ids["customer_id"].is_unique


def test_production_sample_drifts_where_the_generator_says() -> None:
    import pandas as pd
    from scipy.stats import chi2_contingency, ks_2samp

    reference = pd.read_csv(DATA / "reference.csv")
    production = pd.read_csv(DATA / "production.csv")

    assert ks_2samp(reference["monthly_charges"], production["monthly_charges"]).pvalue < 1e-6
    assert ks_2samp(reference["support_calls"], production["support_calls"]).pvalue < 1e-6
    contracts = pd.crosstab(
        pd.concat([reference["contract"], production["contract"]]),
        ["reference"] * len(reference) + ["production"] * len(production),
    )
    assert chi2_contingency(contracts).pvalue < 1e-6
    shift = production["monthly_charges"].median() / reference["monthly_charges"].median()
    assert 1.10 < shift < 1.20
    assert (production["contract"] == "month-to-month").mean() > (
        reference["contract"] == "month-to-month"
    ).mean() + 0.1


@pytest.mark.parametrize("column", ["tenure_months", "total_charges"])
def test_drifted_sample_leaves_other_numeric_columns_alone(column: str) -> None:
    import pandas as pd
    from scipy.stats import ks_2samp

    reference = pd.read_csv(DATA / "reference.csv")[column].dropna()
    production = pd.read_csv(DATA / "production.csv")[column].dropna()
    assert ks_2samp(reference, production).pvalue > 0.01


@pytest.mark.parametrize(
    "column", ["tenure_months", "monthly_charges", "total_charges", "support_calls"]
)
def test_clean_production_sample_does_not_drift(column: str) -> None:
    import pandas as pd
    from scipy.stats import ks_2samp

    reference = pd.read_csv(DATA / "reference.csv")[column].dropna()
    clean = pd.read_csv(DATA / "production_clean.csv")[column].dropna()
    assert ks_2samp(reference, clean).pvalue > 0.01


# ---- train.py and evaluate.py ------------------------------------------------------------


def test_train_writes_a_model_loadable_with_its_reported_untrusted_types(trained: Path) -> None:
    import pandas as pd
    import skops.io as sio
    from sklearn.metrics import roc_auc_score

    model_path = trained / "model.skops"
    untrusted = sio.get_untrusted_types(file=model_path)
    model = sio.load(model_path, trusted=untrusted)
    test = pd.read_csv(DATA / "test.csv")
    features = test.drop(columns=["customer_id", "churned"])
    auc = roc_auc_score(test["churned"], model.predict_proba(features)[:, 1])
    assert 0.75 <= auc <= 0.95


def test_train_with_the_same_seed_predicts_identically(trained: Path, tmp_path: Path) -> None:
    """The file's bytes differ between runs (skops names arrays by object id); predictions don't."""
    import numpy as np
    import pandas as pd
    import skops.io as sio

    result = _run("train.py", _train_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    test = pd.read_csv(DATA / "test.csv")
    first, second = (
        sio.load(path, trusted=["numpy.dtype"]).predict_proba(test)
        for path in (trained / "model.skops", tmp_path / "model.skops")
    )
    np.testing.assert_array_equal(first, second)


def test_readme_lists_exactly_the_untrusted_types(trained: Path) -> None:
    import skops.io as sio

    readme = (EXAMPLE / "README.md").read_text()
    section = re.search(r"<!-- untrusted-types -->(.*?)<!-- /untrusted-types -->", readme, re.S)
    assert section is not None, "README.md lacks the untrusted-types section"
    documented = re.findall(r"^- `([\w.]+)`", section.group(1), re.M)
    assert documented == sorted(sio.get_untrusted_types(file=trained / "model.skops"))


def test_train_records_its_hyperparameters(trained: Path) -> None:
    params = json.loads((trained / "params.json").read_text())
    assert params["seed"] == int(SEED)
    assert params["model"] == "churn"
    assert params["target"] == "churned"


def test_train_rejects_a_seed_that_is_not_an_integer(tmp_path: Path) -> None:
    result = _run("train.py", {**_train_env(tmp_path), "MLOPS_SEED": "forty-two"}, cwd=tmp_path)
    assert result.returncode != 0
    assert "MLOPS_SEED must be an integer, got 'forty-two'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "model.skops").exists()


def test_evaluate_writes_strict_flat_json_metrics(trained: Path, tmp_path: Path) -> None:
    env = {
        "MLOPS_MODEL_DIR": str(trained),
        "MLOPS_OUTPUT_DIR": str(tmp_path),
        "MLOPS_TEST_DATA": str(DATA / "test.csv"),
    }
    result = _run("evaluate.py", env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    metrics = json.loads((tmp_path / "metrics.json").read_text(), parse_constant=_reject_constant)
    assert set(metrics) == {"accuracy", "f1", "precision", "recall", "roc_auc", "log_loss"}
    assert all(type(value) is float and math.isfinite(value) for value in metrics.values())
    assert 0.75 <= metrics["roc_auc"] <= 0.95
    assert 0.0 < metrics["log_loss"] < math.log(2)


def test_evaluate_refuses_a_model_holding_an_unexpected_type(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    sio.dump(FunctionTransformer(func=math.sqrt), tmp_path / "model.skops")
    env = {"MLOPS_MODEL_DIR": str(tmp_path), "MLOPS_OUTPUT_DIR": str(tmp_path)}
    result = _run("evaluate.py", env, cwd=tmp_path)
    assert result.returncode != 0
    assert "does not trust: math.sqrt" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "metrics.json").exists()
