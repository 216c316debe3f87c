"""The model server's routes as a pure function: (method, path, body) in, ``Response`` out.

Paths (Open Inference Protocol REST, as KServe and Seldon's MLServer answer them):

==========================================  ======  ===========================================
``/v2/health/live``                          GET     200 ``{"live": true}``
``/v2/health/ready``                         GET     200 ``{"ready": true}`` (the model is loaded)
``/v2``                                      GET     server metadata
``/v2/models/NAME[/versions/V]``             GET     model metadata: inputs, outputs
``/v2/models/NAME[/versions/V]/ready``       GET     200 ``{"name": NAME, "ready": true}``
``/v2/models/NAME[/versions/V]/infer``       POST    inference (see ``decode.decode_infer``)
``/predict``                                 POST    ``{"rows": [{column: value}, ...]}``
==========================================  ======  ===========================================

Every refusal is a 4xx with the OIP error body ``{"error": "..."}``; nothing a client sends
makes this module raise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from mlops_ci.serving.binary import parse_binary_request
from mlops_ci.serving.decode import (
    Batch,
    decode_infer,
    decode_numbers_infer,
    decode_rows,
    parse_json,
)
from mlops_ci.serving.json_cost import DecodeBudget
from mlops_ci.serving.numbers import take_numbers
from mlops_ci.serving.prediction_log import ServedLog
from mlops_ci.serving.predictor import Output, Predictor
from mlops_ci.serving.values import RequestError

MAX_BODY_BYTES = 5 * 1024 * 1024
"""Request bodies over this many bytes are refused with 413 before being read."""

SERVER_NAME = "mlops-ci"


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes


def _json(status: int, value: object) -> Response:
    return Response(status, json.dumps(value, separators=(",", ":")).encode())


def error_response(status: int, message: str) -> Response:
    return Response(status, json.dumps({"error": message}).encode())


class ServingApp:
    """Routes requests for one ``Predictor``.

    ``id_column``: the column holding each row's id (``serving.prediction_log``); a request
    may send it, and it is not fed to the model. ``prediction_log``: where answered rows are
    logged (None: nowhere, the default).
    """

    def __init__(self, predictor: Predictor, *, id_column: str | None = None,
                 prediction_log: ServedLog | None = None) -> None:
        self.predictor = predictor
        self.id_column = id_column
        self.prediction_log = prediction_log
        self._model_prefix = "/v2/models/"
        self._metadata = _json(200, self._metadata_value())

    def handle(
        self, method: str, target: str, body: bytes, *, json_length: str | None = None
    ) -> Response:
        """The answer to one request. ``json_length``: the ``Inference-Header-Content-Length``
        header of a request in the binary tensor form (``serving.binary``), if it has one."""
        path = target.split("?", 1)[0]
        try:
            return self._route(method, path, body, json_length)
        except RequestError as error:
            return error_response(error.status, error.message)

    def _route(self, method: str, path: str, body: bytes, json_length: str | None) -> Response:
        if path.startswith(self._model_prefix):
            return self._model_route(method, path[len(self._model_prefix):], body, json_length)
        if path == "/predict":
            _allow(method, "POST")
            batch = decode_rows(parse_json(body), self.predictor.columns, self.id_column,
                                unused=self.predictor.unused_columns)
            return self._rows_response(self._predict(batch))
        if path in ("/v2/health/live", "/v2/health/ready", "/v2", "/v2/"):
            _allow(method, "GET")
            if path == "/v2/health/live":
                return _json(200, {"live": True})
            if path == "/v2/health/ready":
                return _json(200, {"ready": True})
            return _json(200, {"name": SERVER_NAME, "version": _version(), "extensions": []})
        raise RequestError(404, f"no such path {path[:80]!r}")

    def _model_route(
        self, method: str, rest: str, body: bytes, json_length: str | None
    ) -> Response:
        parts = rest.split("/")
        name = parts[0]
        predictor = self.predictor
        if name != predictor.name:
            raise RequestError(
                404, f"unknown model {name[:80]!r}; this server serves {predictor.name!r}"
            )
        tail = parts[1:]
        if len(tail) >= 2 and tail[0] == "versions":
            if predictor.version is not None and tail[1] != predictor.version:
                raise RequestError(
                    404, f"unknown version {tail[1][:80]!r} of model {name!r}; this server "
                    f"serves {predictor.version!r}"
                )
            tail = tail[2:]
        if not tail or tail == [""]:
            _allow(method, "GET")
            return self._metadata
        if tail == ["ready"]:
            _allow(method, "GET")
            return _json(200, {"name": name, "ready": True})
        if tail == ["infer"]:
            _allow(method, "POST")
            batch = None if json_length is not None else _numbers_batch(body, predictor)
            if batch is None:
                payload = (parse_json(body) if json_length is None
                           else parse_binary_request(body, json_length))
                batch = decode_infer(payload, predictor.columns, self.id_column)
            outputs = self._predict(batch)
            return self._infer_response(outputs, batch.request_id)
        raise RequestError(404, f"no such path under model {name!r}")

    def _predict(self, batch: Batch) -> tuple[Output, ...]:
        if self.prediction_log is None:
            return self.predictor.predict(batch)
        wanted = self.predictor.wanted_outputs(batch)
        outputs = self.predictor.predict(replace(batch, outputs=None))  # the log takes all
        self.prediction_log.record(batch, outputs)
        by_name = {output.name: output for output in outputs}
        return tuple(by_name[name] for name in wanted)

    def _infer_response(self, outputs: tuple[Output, ...], request_id: str | None) -> Response:
        value: dict[str, Any] = {"model_name": self.predictor.name}
        if self.predictor.version is not None:
            value["model_version"] = self.predictor.version
        if request_id is not None:
            value["id"] = request_id
        value["outputs"] = [
            {
                "name": output.name,
                "shape": list(output.shape),
                "datatype": output.datatype,
                "data": output.array.ravel().tolist(),
            }
            for output in outputs
        ]
        return _encode(value)

    def _rows_response(self, outputs: tuple[Output, ...]) -> Response:
        value: dict[str, Any] = {"model_name": self.predictor.name}
        if self.predictor.version is not None:
            value["model_version"] = self.predictor.version
        for output in outputs:
            key = "predictions" if output.name == "predict" else "probabilities"
            value[key] = output.array.tolist()
        if self.predictor.classes is not None:
            value["classes"] = list(self.predictor.classes)
        return _encode(value)

    def _metadata_value(self) -> dict[str, Any]:
        predictor = self.predictor
        outputs: list[dict[str, Any]] = [
            {"name": "predict", "datatype": predictor.predict_datatype, "shape": [-1]}
        ]
        if predictor.classes is not None:
            labels = [str(c) for c in predictor.classes]
            outputs[0]["parameters"] = {"classes": labels}
            outputs.append(
                {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(labels)]}
            )
        return {
            "name": predictor.name,
            "versions": [] if predictor.version is None else [predictor.version],
            "platform": "sklearn",
            "inputs": [
                {
                    "name": column.name,
                    "datatype": column.datatype or "BYTES",
                    "shape": [-1],
                    "parameters": {"nullable": column.nullable},
                }
                for column in predictor.columns
            ],
            "outputs": outputs,
        }


def _numbers_batch(body: bytes, predictor: Predictor) -> Batch | None:
    """The batch of a request of one tensor of numbers, its numbers read by numpy
    (``serving.numbers``); None: decode the body the generic way (any error included, so that
    its message is the generic path's)."""
    budget = DecodeBudget(len(body))
    taken = take_numbers(body, budget.limit)
    if taken is None:
        return None
    rest, numbers = taken
    try:
        payload = parse_json(rest, budget)
        return decode_numbers_infer(payload, numbers, predictor.columns)
    except RequestError:
        return None


def _encode(value: dict[str, Any]) -> Response:
    try:
        return Response(200, json.dumps(value, separators=(",", ":"), allow_nan=False).encode())
    except ValueError:
        raise RequestError(422, "the model's output holds NaN or infinity") from None


def _allow(method: str, allowed: str) -> None:
    if method != allowed and not (allowed == "GET" and method == "HEAD"):
        raise RequestError(405, f"{method} is not allowed here; use {allowed}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlops-ci")
    except PackageNotFoundError:
        return "0"
