"""Our server through a real Open Inference Protocol client: tritonclient's HTTP client, which
speaks the same REST paths to Triton, KServe and MLServer."""

from __future__ import annotations

from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import RunningServer
from tests.serving.example import TEST_CSV
from tests.serving.test_http import DATATYPES, FEATURES

NUMPY_TYPES = {"INT64": np.int64, "FP64": np.float64, "BOOL": np.bool_, "BYTES": np.object_}


def client_for(served: RunningServer) -> triton.InferenceServerClient:
    return triton.InferenceServerClient(url=urlsplit(served.url).netloc)


def infer_inputs(table: pd.DataFrame, *, binary: bool = False) -> list[triton.InferInput]:
    inputs = []
    for name in FEATURES:
        datatype = DATATYPES[name]
        tensor = triton.InferInput(name, [len(table)], datatype)
        values = table[name].to_numpy(dtype=NUMPY_TYPES[datatype])
        tensor.set_data_from_numpy(values, binary_data=binary)
        inputs.append(tensor)
    return inputs


def test_health_and_metadata_through_tritonclient(served: RunningServer) -> None:
    client = client_for(served)
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("churn")
    assert client.is_model_ready("churn", model_version="v1.0.0")
    metadata = client.get_model_metadata("churn")
    assert [i["name"] for i in metadata["inputs"]] == FEATURES
    assert [o["name"] for o in metadata["outputs"]] == ["predict", "predict_proba"]


def test_tritonclient_infer_equals_local_predictions(
    served: RunningServer, churn_predictor: Predictor
) -> None:
    table = pd.read_csv(TEST_CSV).dropna(subset=FEATURES)
    client = client_for(served)
    result = client.infer(
        "churn", infer_inputs(table), request_id="batch-7",
        outputs=[triton.InferRequestedOutput("predict", binary_data=False),
                 triton.InferRequestedOutput("predict_proba", binary_data=False)],
    )
    expected = churn_predictor.model.predict(table[FEATURES])
    probabilities = churn_predictor.model.predict_proba(table[FEATURES])
    assert np.array_equal(result.as_numpy("predict"), expected)
    assert np.array_equal(result.as_numpy("predict_proba").reshape(probabilities.shape),
                          probabilities)
    assert result.get_response()["id"] == "batch-7"


def test_tritonclient_one_row_at_a_time(served: RunningServer, churn_predictor: Predictor) -> None:
    table = pd.read_csv(TEST_CSV).dropna(subset=FEATURES).head(25)
    client = client_for(served)
    for index in range(len(table)):
        row = table.iloc[[index]]
        result = client.infer("churn", infer_inputs(row))
        assert result.as_numpy("predict").tolist() == \
            churn_predictor.model.predict(row[FEATURES]).tolist()


def test_unknown_model_is_an_exception_naming_it(served: RunningServer) -> None:
    table = pd.read_csv(TEST_CSV).head(2)
    client = client_for(served)
    with pytest.raises(InferenceServerException) as raised:
        client.infer("fraud", infer_inputs(table))
    assert raised.value.status() == "404"
    assert "unknown model 'fraud'" in raised.value.message()
    assert client.infer("churn", infer_inputs(table)).as_numpy("predict") is not None


def test_binary_tensor_extension_gives_the_same_predictions(
    served: RunningServer, churn_predictor: Predictor
) -> None:
    table = pd.read_csv(TEST_CSV).dropna(subset=FEATURES).head(200)
    client = client_for(served)
    result = client.infer("churn", infer_inputs(table, binary=True),
                          outputs=[triton.InferRequestedOutput("predict_proba")])
    probabilities = churn_predictor.model.predict_proba(table[FEATURES])
    assert np.array_equal(result.as_numpy("predict_proba").reshape(probabilities.shape),
                          probabilities)


def test_binary_nan_is_refused_like_json_nan(served: RunningServer) -> None:
    table = pd.read_csv(TEST_CSV).dropna(subset=FEATURES).head(2).copy()
    table["monthly_charges"] = [np.nan, 1.0]
    client = client_for(served)
    with pytest.raises(InferenceServerException) as raised:
        client.infer("churn", infer_inputs(table, binary=True))
    assert raised.value.status() == "400"
    assert "input 'monthly_charges': a number is NaN" in raised.value.message()
    good = pd.read_csv(TEST_CSV).dropna(subset=FEATURES).head(2)
    assert client.infer("churn", infer_inputs(good, binary=True)).as_numpy("predict").shape == (2,)
