"""The server holds: slow clients are cut at the request deadline, connections beyond the cap
are refused at once, and decoding a request takes at most ``DECODED_FACTOR`` times its body.
Each refusal is followed by a good request that succeeds."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mlops_ci.serving.app import MAX_BODY_BYTES, ServingApp
from mlops_ci.serving.json_cost import DECODED_FACTOR
from mlops_ci.serving.limits import ServerLimits
from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import RunningServer, start_in_thread
from tests.serving.example import post_json, request, rows_of_test_set
from tests.serving.test_bad_requests import INFER, assert_refused, assert_still_serves, good_inputs

DEADLINE = 1.0


@pytest.fixture
def strict(churn_predictor: Predictor) -> Iterator[RunningServer]:
    server = start_in_thread(ServingApp(churn_predictor),
                             limits=ServerLimits(max_connections=4, request_deadline=DEADLINE))
    yield server
    server.stop()


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def assert_answered_within(sock: socket.socket, started: float, status: bytes,
                           seconds: float) -> bytes:
    reply = read_until_closed(sock)
    elapsed = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 " + status + b" "), reply[:200]
    assert elapsed < seconds, elapsed
    return reply


def test_slow_clients_are_answered_408_at_the_deadline(strict: RunningServer) -> None:
    started = time.monotonic()
    clients = [connect(strict.url) for _ in range(3)]
    for sock in clients:
        sock.sendall(b"POST /pred")  # 10 bytes, then nothing
    for sock in clients:
        reply = assert_answered_within(sock, started, b"408", DEADLINE + 1.5)
        assert b"did not arrive within 1 s" in reply
        sock.close()
    assert time.monotonic() - started >= DEADLINE
    assert_still_serves(strict.url)


def test_a_client_dribbling_its_body_is_cut_at_the_deadline_not_per_read(
    strict: RunningServer,
) -> None:
    body = json.dumps({"inputs": good_inputs()}).encode()
    started = time.monotonic()
    with connect(strict.url) as sock:
        sock.sendall(b"POST " + INFER.encode() + b" HTTP/1.1\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n")
        for byte in body[:12]:  # a byte every 0.2 s: each read is quick, the whole is not
            time.sleep(0.2)
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
        assert_answered_within(sock, started, b"408", DEADLINE + 1.5)
    assert_still_serves(strict.url)


def test_a_prediction_past_the_deadline_is_answered_503(churn_predictor: Predictor) -> None:
    import pandas as pd
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    wait = FunctionTransformer(_slowly).fit(pd.DataFrame(rows_of_test_set(5)))
    slow = Pipeline([("wait", wait), ("model", churn_predictor.model)])
    predictor = Predictor("churn", None, slow, churn_predictor.columns)
    patient = start_in_thread(ServingApp(predictor))
    hasty = start_in_thread(ServingApp(predictor), limits=ServerLimits(request_deadline=0.5))
    try:
        assert post_json(patient.url, INFER, {"inputs": good_inputs()}).status == 200
        started = time.monotonic()
        answer = post_json(hasty.url, INFER, {"inputs": good_inputs()})
        assert_refused(answer, 503, "the answer took longer than the request deadline of 0.5 s")
        assert time.monotonic() - started < 1.5
    finally:
        patient.stop()
        hasty.stop()


def _slowly(table: object) -> object:
    time.sleep(1.0)  # past the deadline, within its grace: the 503 can still be written
    return table


def test_connections_beyond_the_cap_are_refused_at_once(strict: RunningServer) -> None:
    held = [connect(strict.url) for _ in range(4)]
    time.sleep(0.2)  # the server has accepted them
    started = time.monotonic()
    with connect(strict.url) as extra:
        reply = assert_answered_within(extra, started, b"503", 0.5)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"Retry-After: 1" in head
    assert json.loads(body)["error"] == ("this server already serves 4 connections, its "
                                         "limit; retry shortly")
    for sock in held:
        sock.close()
    deadline = time.monotonic() + 2
    while request(strict.url, "GET", "/v2/health/ready").status != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert_still_serves(strict.url)


def test_idle_connections_hold_no_slot_past_the_deadline(strict: RunningServer) -> None:
    held = [connect(strict.url) for _ in range(4)]  # they send nothing
    time.sleep(DEADLINE + 1.0)
    for sock in held:
        assert sock.recv(65536).startswith(b"HTTP/1.1 408 ")
        sock.close()
    assert_still_serves(strict.url)


@pytest.mark.slow
def test_the_deadline_and_the_cap_are_read_from_the_environment(
    churn_model_file: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "mlops_ci.serving", "--host", "127.0.0.1", "--port", "0",
               "--model", str(churn_model_file), "--name", "churn", "--workers", "1",
               "--trusted-type", "numpy.dtype"]
    bad = subprocess.run(command, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "MLOPS_SERVING_REQUEST_DEADLINE": "soon"})
    assert bad.returncode == 2
    assert "MLOPS_SERVING_REQUEST_DEADLINE='soon': expected a positive number of seconds" \
        in bad.stderr
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MLOPS_SERVING_REQUEST_DEADLINE": "0.8",
             "MLOPS_SERVING_MAX_CONNECTIONS": "2"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3]
        started = time.monotonic()
        slow = [connect(url) for _ in range(2)]
        for sock in slow:
            sock.sendall(b"GET /v2/he")
        time.sleep(0.2)
        with connect(url) as extra:
            assert read_until_closed(extra).startswith(b"HTTP/1.1 503 ")
        for sock in slow:
            assert_answered_within(sock, started, b"408", 0.8 + 1.5)
            sock.close()
        time.sleep(0.2)
        assert post_json(url, "/predict", {"rows": rows_of_test_set(2)}).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def dense(unit: bytes, prefix: bytes, suffix: bytes) -> bytes:
    count = (MAX_BODY_BYTES - len(prefix) - len(suffix)) // (len(unit) + 1)
    return prefix + b",".join([unit] * count) + suffix


def big_rows() -> bytes:
    rows = [json.dumps(row).encode() for row in rows_of_test_set(1000)]
    count = MAX_BODY_BYTES // (max(map(len, rows)) + 1) - 1
    return b'{"rows": [' + b",".join(rows[i % len(rows)] for i in range(count)) + b"]}"


def big_inputs() -> bytes:
    inputs = good_inputs(1000)
    for tensor in inputs:
        tensor["data"] = tensor["data"] * 75
        tensor["shape"] = [75_000]
    return json.dumps({"inputs": inputs}).encode()


ONE_INPUT = b'{"inputs": [{"name": "region", "shape": [1], "datatype": "BYTES", "data": ['
BODIES = [
    ("empty rows", "/predict", lambda: dense(b"{}", b'{"rows": [', b"]}"), 413),
    ("rows of one key", "/predict", lambda: dense(b'{"a":1}', b'{"rows": [', b"]}"), 413),
    ("empty lists", INFER, lambda: dense(b"[]", ONE_INPUT, b"]}]}"), 413),
    ("short strings", INFER, lambda: dense(b'"ab"', ONE_INPUT, b"]}]}"), 400),
    ("good rows", "/predict", big_rows, 200),
    ("good tensors", INFER, big_inputs, 200),
]


@pytest.mark.parametrize(("path", "make", "status"), [(p, m, s) for _, p, m, s in BODIES],
                         ids=[name for name, _, _, _ in BODIES])
def test_a_request_takes_at_most_the_documented_multiple_of_its_body(
    served: RunningServer, path: str, make: object, status: int
) -> None:
    body = make()  # type: ignore[operator]
    assert MAX_BODY_BYTES * 0.8 < len(body) <= MAX_BODY_BYTES
    gc.collect()
    tracemalloc.start()
    try:
        answer = request(served.url, "POST", path, body, timeout=120)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status == status, answer.body
    assert peak <= DECODED_FACTOR * len(body), f"{peak / len(body):.1f} times the body"
    if status == 413:
        assert "too dense to decode" in str(answer.body["error"])
        assert peak <= 3 * len(body), f"{peak / len(body):.1f} times the body"  # one scan
    assert_still_serves(served.url)


def test_dense_binary_values_are_refused_before_they_become_python_numbers(
    served: RunningServer,
) -> None:
    count = (MAX_BODY_BYTES - 4096) // 2  # INT16: 2 bytes a value, 36 once a Python int
    head = json.dumps({"inputs": [{"name": "tenure_months", "shape": [count],
                                   "datatype": "INT16",
                                   "parameters": {"binary_data_size": 2 * count}}]}).encode()
    body = head + bytes(range(256)) * (2 * count // 256) + bytes(2 * count % 256)
    gc.collect()
    tracemalloc.start()
    try:
        answer = request(served.url, "POST", INFER, body,
                         {"Inference-Header-Content-Length": str(len(head))}, timeout=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_refused(answer, 413, "too dense to decode: inputs[0] would take about")
    assert peak <= 3 * len(body), f"{peak / len(body):.1f} times the body"
    assert_still_serves(served.url)
