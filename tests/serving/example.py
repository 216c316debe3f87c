"""The churn example's model, trained by its own train.py, and a thin JSON HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import ModelSpec
from mlops_ci.serving.columns import InputColumn, columns_from_specs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "mlops_ci" / "examples" / "churn"
TEST_CSV = EXAMPLE / "data" / "test.csv"
FEATURES = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "contract",
            "payment_method", "region", "paperless"]
ID_COLUMN = "customer_id"


def churn_spec() -> ModelSpec:
    return load_config(EXAMPLE / "mlops.yaml").model("churn")


def churn_columns(spec: ModelSpec) -> tuple[InputColumn, ...]:
    return columns_from_specs(spec.data.columns, exclude=(spec.data.target,))


def train_churn(output_dir: Path, *, seed: int = 42) -> Path:
    """Run the example's train.py into ``output_dir``; the model file's path."""
    environ = {**os.environ, "MLOPS_OUTPUT_DIR": str(output_dir), "MLOPS_SEED": str(seed)}
    subprocess.run([sys.executable, str(EXAMPLE / "train.py")], env=environ, check=True,
                   capture_output=True)
    return output_dir / "model.skops"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, object]
    raw: bytes


def request(url: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
    """One request on a fresh connection; the JSON answer (every answer of ours is JSON)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    assert response.getheader("Content-Type") == "application/json", raw[:200]
    return Answer(response.status, json.loads(raw) if raw else {}, raw)


def post_json(url: str, path: str, value: object) -> Answer:
    return request(url, "POST", path, json.dumps(value).encode(),
                   {"Content-Type": "application/json"})


def rows_of_test_set(count: int | None = None, *,
                     with_ids: bool = False) -> list[dict[str, object]]:
    """Rows of the example's test set as JSON values: the model's columns, and the id column
    with ``with_ids`` (the server refuses any other key)."""
    import pandas as pd

    table = pd.read_csv(TEST_CSV)[[ID_COLUMN, *FEATURES] if with_ids else FEATURES]
    if count is not None:
        table = table.head(count)
    rows: list[dict[str, object]] = json.loads(table.to_json(orient="records"))
    return rows
