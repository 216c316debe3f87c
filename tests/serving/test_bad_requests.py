"""Every bad request gets a 4xx with an OIP error body naming the problem; the server keeps
answering good requests afterwards. Never a 500, never a crash."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.serving.app import MAX_BODY_BYTES
from mlops_ci.serving.server import RunningServer
from tests.serving.example import Answer, post_json, request, rows_of_test_set

INFER = "/v2/models/churn/infer"


def good_inputs(rows: int = 2) -> list[dict[str, object]]:
    table = rows_of_test_set(rows)
    types = {"tenure_months": "INT64", "monthly_charges": "FP64", "total_charges": "FP64",
             "support_calls": "INT64", "contract": "BYTES", "payment_method": "BYTES",
             "region": "BYTES", "paperless": "BOOL"}
    return [{"name": name, "shape": [rows], "datatype": datatype,
             "data": [row[name] for row in table]} for name, datatype in types.items()]


def with_input(target: str, **changes: object) -> dict[str, object]:
    inputs = good_inputs()
    for tensor in inputs:
        if tensor["name"] == target:
            tensor.update(changes)
    return {"inputs": inputs}


def without_input(name: str) -> dict[str, object]:
    return {"inputs": [t for t in good_inputs() if t["name"] != name]}


def assert_still_serves(url: str) -> None:
    answer = post_json(url, INFER, {"inputs": good_inputs()})
    assert answer.status == 200, answer.body
    assert [o["name"] for o in answer.body["outputs"]] == ["predict", "predict_proba"]


def assert_refused(answer: Answer, status: int, fragment: str) -> None:
    assert answer.status == status, answer.body
    assert set(answer.body) == {"error"}
    message = answer.body["error"]
    assert isinstance(message, str)
    assert fragment in message, message


BAD_JSON_BODIES = [
    ("wrong input name", with_input("region", name="regoin"), "unknown input 'regoin'"),
    ("missing input", without_input("contract"), "missing input(s): contract"),
    ("wrong shape", with_input("tenure_months", shape=[3]), "holds 3 values but data has 2"),
    ("2-d shape per column", with_input("tenure_months", shape=[1, 2]), "shape [1, 2]"),
    ("rows differ", with_input("tenure_months", shape=[1], data=[3]),
     "2 rows, but input 'tenure_months' has 1"),
    ("wrong datatype", with_input("contract", datatype="FP64"),
     "datatype FP64, but the model takes BYTES"),
    ("unknown datatype", with_input("contract", datatype="STRING"), "not an Open Inference"),
    ("strings where numbers belong", with_input("monthly_charges", data=["1", "2"]),
     "takes numbers, got string values"),
    ("bool for int", with_input("tenure_months", data=[True, False]),
     "takes integers, got boolean values"),
    ("null in a non-nullable column", with_input("tenure_months", data=[None, 3]),
     "may not be null"),
    ("int overflow", with_input("tenure_months", data=[2**70, 1]), "does not fit in 64 bits"),
    ("no rows", {"inputs": [{**t, "shape": [0], "data": []} for t in good_inputs()]},
     "input 'tenure_months': shape [0] holds no rows"),
    ("no rows in a 2-d tensor", {"inputs": [
        {"name": "x", "shape": [0, 8], "datatype": "BYTES", "data": []}]}, "holds no rows"),
    ("input given twice", {"inputs": [*good_inputs(), good_inputs()[0]]}, "given twice"),
    ("inputs not a list", {"inputs": {"a": 1}}, "non-empty list"),
    ("no inputs", {"inputs": []}, "non-empty list"),
    ("not an object", [1, 2], "JSON object"),
    ("tensor not an object", {"inputs": [3]}, "inputs[0]"),
    ("nested objects in data", with_input("contract", data=[{"a": 1}, {"b": 2}]),
     "object values"),
    ("unknown output", {"inputs": good_inputs(), "outputs": [{"name": "decision"}]},
     "unknown output 'decision'"),
    ("2-d tensor of wrong width", {"inputs": [
        {"name": "x", "shape": [1, 3], "datatype": "BYTES", "data": [[1, 2, 3]]}]},
     "takes 8 columns"),
]


@pytest.mark.parametrize(("body", "fragment"), [(b, f) for _, b, f in BAD_JSON_BODIES],
                         ids=[name for name, _, _ in BAD_JSON_BODIES])
def test_bad_inference_request_is_a_400_naming_the_problem(
    served: RunningServer, body: object, fragment: str
) -> None:
    assert_refused(post_json(served.url, INFER, body), 400, fragment)
    assert_still_serves(served.url)


RAW_BODIES = [
    ("non-JSON", b"inputs=1", "not JSON"),
    ("empty body", b"", "body is empty"),
    ("whitespace body", b"  \n", "body is empty"),
    ("NaN", b'{"inputs": [{"name": "monthly_charges", "shape": [1], "datatype": "FP64", '
     b'"data": [NaN]}]}', "NaN"),
    ("Infinity", b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", '
     b'"data": [Infinity]}]}', "Infinity"),
    ("-Infinity", b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", '
     b'"data": [-Infinity]}]}', "-Infinity"),
    ("not UTF-8", b'{"inputs": "\xff\xfe"}', "not"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("body", "fragment"), [(b, f) for _, b, f in RAW_BODIES],
                         ids=[name for name, _, _ in RAW_BODIES])
def test_unparseable_body_is_a_400(served: RunningServer, body: bytes, fragment: str) -> None:
    assert_refused(request(served.url, "POST", INFER, body), 400, fragment)
    assert_refused(request(served.url, "POST", "/predict", body), 400, fragment)
    assert_still_serves(served.url)


def test_number_beyond_float_range_is_refused(served: RunningServer) -> None:
    inputs = good_inputs()
    body = json.dumps({"inputs": inputs}).replace("118.11", "1e400").encode()
    assert b"1e400" in body
    assert_refused(request(served.url, "POST", INFER, body), 400, "too large for a 64-bit float")
    assert_still_serves(served.url)


def test_ten_megabyte_body_is_refused_with_413_before_it_is_read(served: RunningServer) -> None:
    body = b'{"inputs": [' + b" " * (10 * 1024 * 1024) + b"]}"
    answer = request(served.url, "POST", INFER, body)
    assert_refused(answer, 413, f"the limit is {MAX_BODY_BYTES:,}")
    assert_still_serves(served.url)


def test_ten_megabyte_rows_body_is_refused_too(served: RunningServer) -> None:
    body = json.dumps({"rows": rows_of_test_set(1) * 60_000}).encode()
    assert len(body) > 10 * 1024 * 1024
    assert_refused(request(served.url, "POST", "/predict", body), 413, "bytes; the limit is")
    assert_still_serves(served.url)


def test_a_body_just_under_the_limit_is_read_and_answered(served: RunningServer) -> None:
    body = json.dumps({"inputs": good_inputs()}).encode()
    padded = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    answer = request(served.url, "POST", INFER, padded)
    assert answer.status == 200, answer.body


def binary_request(json_part: dict[str, object], binary: bytes,
                   header: str | None = None) -> tuple[bytes, dict[str, str]]:
    head = json.dumps(json_part).encode()
    return head + binary, {"Inference-Header-Content-Length": header or str(len(head))}


def binary_inputs(region_size: int) -> dict[str, object]:
    inputs = good_inputs()
    for tensor in inputs:
        if tensor["name"] == "region":
            del tensor["data"]
            tensor["parameters"] = {"binary_data_size": region_size}
    return {"inputs": inputs}


def bytes_elements(*values: bytes) -> bytes:
    return b"".join(len(v).to_bytes(4, "little") + v for v in values)


BINARY_BODIES = [
    ("header not a number", binary_request({"inputs": []}, b"", "many"),
     "Inference-Header-Content-Length is 'many'"),
    ("header past the body", binary_request({"inputs": []}, b"", "9999"),
     "between 1 and the body's"),
    ("size past the end", binary_request(binary_inputs(100), bytes_elements(b"north")),
     "binary_data_size 100 runs past the end of the body (9 bytes left)"),
    ("bytes left over", binary_request(binary_inputs(9), bytes_elements(b"north", b"south")),
     "the body has 9 bytes after the binary inputs"),
    ("element past its data", binary_request(binary_inputs(9), b"\xff\x00\x00\x00north"),
     "a BYTES element of 255 bytes runs past its data"),
    ("not UTF-8", binary_request(binary_inputs(15), bytes_elements(b"north", b"\xff\xfe")),
     "inputs[6]: element 1 is not UTF-8 text"),
    ("negative size", binary_request(binary_inputs(-1), b""), "non-negative integer"),
]


@pytest.mark.parametrize(("body", "fragment"),
                         [(b, f) for _, b, f in BINARY_BODIES],
                         ids=[name for name, _, _ in BINARY_BODIES])
def test_bad_binary_tensor_request_is_a_400(
    served: RunningServer, body: tuple[bytes, dict[str, str]], fragment: str
) -> None:
    assert_refused(request(served.url, "POST", INFER, body[0], body[1]), 400, fragment)
    assert_still_serves(served.url)


def test_binary_bytes_input_answers_as_its_json_form(served: RunningServer) -> None:
    regions = bytes_elements(*(str(row["region"]).encode() for row in rows_of_test_set(2)))
    body, headers = binary_request(binary_inputs(len(regions)), regions)
    answer = request(served.url, "POST", INFER, body, headers)
    assert answer.status == 200, answer.body
    as_json = post_json(served.url, INFER, {"inputs": good_inputs()})
    assert answer.body["outputs"] == as_json.body["outputs"]


def test_unknown_model_and_version_are_404(served: RunningServer) -> None:
    assert_refused(post_json(served.url, "/v2/models/fraud/infer", {"inputs": good_inputs()}),
                   404, "unknown model 'fraud'")
    assert_refused(request(served.url, "GET", "/v2/models/fraud"), 404, "unknown model")
    assert_refused(post_json(served.url, "/v2/models/churn/versions/v9/infer",
                             {"inputs": good_inputs()}), 404, "unknown version 'v9'")
    assert_refused(request(served.url, "GET", "/nothing"), 404, "no such path")
    assert_still_serves(served.url)


def test_wrong_method_is_405(served: RunningServer) -> None:
    assert_refused(request(served.url, "GET", INFER), 405, "use POST")
    assert_refused(request(served.url, "DELETE", "/v2/health/ready"), 405, "use GET")
    assert_refused(request(served.url, "BREW", "/predict"), 405, "")
    assert_still_serves(served.url)


def test_post_without_content_length_is_411(served: RunningServer) -> None:
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"2\r\n{}\r\n0\r\n\r\n")
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 411 ")
    assert b'"error"' in reply
    assert_still_serves(served.url)


def test_garbage_request_line_is_a_json_400(served: RunningServer) -> None:
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert reply.endswith(b"}")
    assert_still_serves(served.url)


def raw_exchange(url: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection; everything the server answers until it closes."""
    parts = urlsplit(url)
    chunks = []
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


MALFORMED_HEADS = [
    ("HTTP/2 request line", b"GET /v2/health/live HTTP/2.0\r\n\r\n", b"400", b"HTTP/1.1"),
    ("HTTP/0.9 request line", b"GET /v2/health/live\r\n\r\n", b"400", b"bad request line"),
    ("header without colon", b"GET /v2 HTTP/1.1\r\nHost x\r\n\r\n", b"400",
     b"malformed header"),
    ("header line too long", b"GET /v2 HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", b"431",
     b"longer than"),
    ("too many headers", b"GET /v2 HTTP/1.1\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", b"431",
     b"more than 100 headers"),
    ("negative length", b"POST /predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"400",
     b"invalid Content-Length"),
]


@pytest.mark.parametrize(("data", "status", "fragment"),
                         [(d, s, f) for _, d, s, f in MALFORMED_HEADS],
                         ids=[name for name, _, _, _ in MALFORMED_HEADS])
def test_malformed_request_head_is_a_json_4xx(
    served: RunningServer, data: bytes, status: bytes, fragment: bytes
) -> None:
    reply = raw_exchange(served.url, data)
    assert reply.startswith(b"HTTP/1.1 " + status + b" "), reply[:200]
    head, _, body = reply.partition(b"\r\n\r\n")
    assert fragment in json.loads(body)["error"].encode()
    assert b"Connection: close" in head
    assert_still_serves(served.url)


def test_http_1_0_and_header_names_in_any_case(served: RunningServer) -> None:
    body = json.dumps({"inputs": good_inputs()}).encode()
    reply = raw_exchange(served.url, b"POST " + INFER.encode() + b" HTTP/1.0\r\n"
                         b"cOnTeNt-LeNgTh: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
    assert b"Connection: close" in reply.partition(b"\r\n\r\n")[0]  # HTTP/1.0: one request


def test_expect_100_continue_is_answered_before_the_body(served: RunningServer) -> None:
    body = json.dumps({"inputs": good_inputs()}).encode()
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST " + INFER.encode() + b" HTTP/1.1\r\nExpect: 100-continue\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_expect_100_continue_over_the_limit_gets_413_before_sending(
    served: RunningServer,
) -> None:
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST " + INFER.encode() + b" HTTP/1.1\r\nExpect: 100-continue\r\n"
                     b"Content-Length: " + str(10 * 1024 * 1024).encode() + b"\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)  # the body is never sent
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:100]
    assert_still_serves(served.url)


def test_predict_rows_name_the_row_and_column(served: RunningServer) -> None:
    rows = rows_of_test_set(3)
    del rows[2]["region"]
    assert_refused(post_json(served.url, "/predict", {"rows": rows}), 400,
                   "missing column(s): region (rows[2])")
    assert_refused(post_json(served.url, "/predict", {"rows": [1]}), 400, "rows[0]")
    assert_refused(post_json(served.url, "/predict", {"rows": []}), 400, "with a row")
    assert_still_serves(served.url)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["inputs", "name", "shape", "datatype", "data",
                                       "rows", "outputs", "tenure_months"]), children,
                      max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values)
def test_any_json_body_gets_an_answer_below_500(served: RunningServer, body: object) -> None:
    for path in (INFER, "/predict"):
        answer = request(served.url, "POST", path, json.dumps(body).encode())
        assert answer.status < 500, answer.body


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.binary(max_size=64), sizes=st.lists(st.integers(-2, 80), max_size=3),
       header_delta=st.integers(-3, 3))
def test_any_binary_tensor_body_gets_an_answer_below_500(
    served: RunningServer, tail: bytes, sizes: list[int], header_delta: int
) -> None:
    inputs = [{"name": name, "shape": [2], "datatype": datatype,
               "parameters": {"binary_data_size": size}}
              for size, (name, datatype) in zip(sizes, [("region", "BYTES"),
                                                        ("monthly_charges", "FP64"),
                                                        ("paperless", "BOOL")], strict=False)]
    head = json.dumps({"inputs": inputs}).encode()
    headers = {"Inference-Header-Content-Length": str(len(head) + header_delta)}
    answer = request(served.url, "POST", INFER, head + tail, headers)
    assert answer.status < 500, answer.body
