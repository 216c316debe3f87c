"""The model server over real HTTP: OIP health, metadata and inference, and /predict."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import RunningServer
from tests.serving.example import TEST_CSV, post_json, request, rows_of_test_set

FEATURES = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "contract",
            "payment_method", "region", "paperless"]
DATATYPES = {"tenure_months": "INT64", "monthly_charges": "FP64", "total_charges": "FP64",
             "support_calls": "INT64", "contract": "BYTES", "payment_method": "BYTES",
             "region": "BYTES", "paperless": "BOOL"}


def column_tensors(table: pd.DataFrame) -> list[dict[str, object]]:
    tensors = []
    for name in FEATURES:
        values = table[name].astype(object).where(table[name].notna(), None).tolist()
        tensors.append({"name": name, "shape": [len(table)], "datatype": DATATYPES[name],
                        "data": values})
    return tensors


def test_health_paths_answer_live_and_ready(served: RunningServer) -> None:
    assert request(served.url, "GET", "/v2/health/live").body == {"live": True}
    assert request(served.url, "GET", "/v2/health/ready").body == {"ready": True}
    assert request(served.url, "GET", "/v2/models/churn/ready").body == {
        "name": "churn", "ready": True}


def test_metadata_lists_inputs_in_model_order_with_datatypes(served: RunningServer) -> None:
    answer = request(served.url, "GET", "/v2/models/churn")
    assert answer.status == 200
    inputs = answer.body["inputs"]
    assert isinstance(inputs, list)
    assert [(i["name"], i["datatype"], i["shape"]) for i in inputs] == [
        (name, DATATYPES[name], [-1]) for name in FEATURES]
    assert answer.body["versions"] == ["v1.0.0"]
    assert [o["name"] for o in answer.body["outputs"]] == ["predict", "predict_proba"]


def test_infer_equals_local_predictions_on_the_whole_test_set(
    served: RunningServer, churn_predictor: Predictor
) -> None:
    table = pd.read_csv(TEST_CSV)
    answer = post_json(served.url, "/v2/models/churn/infer",
                       {"id": "r1", "inputs": column_tensors(table)})
    assert answer.status == 200, answer.body
    outputs = {o["name"]: o for o in answer.body["outputs"]}
    features = table[FEATURES]
    expected = churn_predictor.model.predict(features)
    assert outputs["predict"]["shape"] == [len(table)]
    assert outputs["predict"]["data"] == expected.tolist()
    probabilities = np.asarray(outputs["predict_proba"]["data"]).reshape(len(table), 2)
    assert np.array_equal(probabilities, churn_predictor.model.predict_proba(features))
    assert answer.body["id"] == "r1"
    assert answer.body["model_version"] == "v1.0.0"


def test_infer_accepts_one_2d_bytes_tensor_of_all_columns(
    served: RunningServer, churn_predictor: Predictor
) -> None:
    table = pd.read_csv(TEST_CSV).head(20)
    rows = [[row[name] for name in FEATURES] for row in rows_of_test_set(20)]
    answer = post_json(served.url, "/v2/models/churn/versions/v1.0.0/infer", {"inputs": [
        {"name": "input-0", "shape": [20, len(FEATURES)], "datatype": "BYTES", "data": rows}]})
    assert answer.status == 200, answer.body
    predict = answer.body["outputs"][0]
    assert predict["data"] == churn_predictor.model.predict(table[FEATURES]).tolist()


def test_infer_returns_only_the_requested_output(served: RunningServer) -> None:
    table = pd.read_csv(TEST_CSV).head(3)
    answer = post_json(served.url, "/v2/models/churn/infer", {
        "inputs": column_tensors(table), "outputs": [{"name": "predict_proba"}]})
    assert [o["name"] for o in answer.body["outputs"]] == ["predict_proba"]
    assert answer.body["outputs"][0]["shape"] == [3, 2]


def test_predict_takes_rows_and_a_bare_list(
    served: RunningServer, churn_predictor: Predictor
) -> None:
    rows = rows_of_test_set(50)
    expected = churn_predictor.model.predict(pd.read_csv(TEST_CSV).head(50)[FEATURES]).tolist()
    for body in ({"rows": rows}, rows):
        answer = post_json(served.url, "/predict", body)
        assert answer.status == 200, answer.body
        assert answer.body["predictions"] == expected
        assert answer.body["classes"] == [0, 1]
        assert len(answer.body["probabilities"]) == 50


def test_null_in_a_nullable_column_is_a_missing_value_for_the_imputer(
    served: RunningServer,
) -> None:
    row = rows_of_test_set(1)[0] | {"total_charges": None}
    answer = post_json(served.url, "/predict", {"rows": [row]})
    assert answer.status == 200, answer.body
    assert answer.body["predictions"] in ([0], [1])


def test_keep_alive_connection_serves_many_requests(served: RunningServer) -> None:
    parts = urlsplit(served.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for _ in range(20):
            connection.request("GET", "/v2/health/ready")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
    finally:
        connection.close()
