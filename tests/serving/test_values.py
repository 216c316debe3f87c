"""Every value a column cannot take is a 400 naming it, on every way in (OIP JSON, the binary
tensor extension, ``/predict``); ``/predict`` names every missing and unknown column as the
inference endpoint does. Each refusal is followed by a good request that succeeds."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator

import pytest

from mlops_ci.serving.app import ServingApp
from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import RunningServer, start_in_thread
from mlops_ci.serving.values import column_array, float_columns
from tests.serving.example import post_json, request, rows_of_test_set
from tests.serving.test_bad_requests import (
    INFER,
    assert_refused,
    assert_still_serves,
    binary_request,
    good_inputs,
    with_input,
)

HUGE = 10**400  # 401 digits


def predict_rows(**changes: object) -> list[dict[str, object]]:
    rows = rows_of_test_set(2)
    rows[0].update(changes)
    return rows


def assert_predict_serves(url: str) -> None:
    answer = post_json(url, "/predict", {"rows": rows_of_test_set(2)})
    assert answer.status == 200, answer.body


HUGE_INTEGERS = [
    ("FP64 input", with_input("monthly_charges", data=[HUGE, 1.5]),
     "input 'monthly_charges': an integer of 401 digits is too large for a 64-bit float (row 0)"),
    ("nullable FP64 input", with_input("total_charges", data=[None, -HUGE]),
     "input 'total_charges': an integer of 401 digits is too large for a 64-bit float (row 1)"),
    ("INT64 input", with_input("tenure_months", data=[1, HUGE]),
     "input 'tenure_months': an integer of 401 digits does not fit in 64 bits"),
    ("INT64 input just beyond", with_input("tenure_months", data=[2**63, 1]),
     "input 'tenure_months': 9223372036854775808 does not fit in 64 bits as INT64 takes them, "
     "from -9223372036854775808 to 9223372036854775807 (row 0)"),
]


@pytest.mark.parametrize(("body", "message"), [(b, m) for _, b, m in HUGE_INTEGERS],
                         ids=[name for name, _, _ in HUGE_INTEGERS])
def test_a_huge_integer_is_a_400_on_the_inference_endpoint(
    served: RunningServer, body: object, message: str
) -> None:
    assert_refused(post_json(served.url, INFER, body), 400, message)
    assert_still_serves(served.url)


@pytest.mark.parametrize(("column", "message"), [
    ("monthly_charges", "column 'monthly_charges': an integer of 401 digits is too large for "
     "a 64-bit float (row 0)"),
    ("total_charges", "column 'total_charges': an integer of 401 digits is too large"),
    ("tenure_months", "column 'tenure_months': an integer of 401 digits does not fit in 64 "
     "bits"),
])
def test_a_huge_integer_is_a_400_on_predict(
    served: RunningServer, column: str, message: str
) -> None:
    assert_refused(post_json(served.url, "/predict", {"rows": predict_rows(**{column: HUGE})}),
                   400, message)
    assert_predict_serves(served.url)


INFINITIES = [
    ("1e400 beside a null", b"[null, 1e400]"),
    ("-1e400 beside a null", b"[-1e400, null]"),
    ("1e400 alone", b"[1e400, 1.5]"),
    ("a decimal that overflows", b"[null, 17976931348623159" + b"0" * 300 + b".5]"),
]


@pytest.mark.parametrize("data", [d for _, d in INFINITIES], ids=[n for n, _ in INFINITIES])
def test_infinity_is_refused_however_it_is_spelled(served: RunningServer, data: bytes) -> None:
    body = json.dumps(with_input("total_charges", data=["DATA", "DATA"])).encode()
    body = body.replace(b'["DATA", "DATA"]', data)
    assert_refused(request(served.url, "POST", INFER, body), 400,
                   "input 'total_charges': a number is NaN, infinite or too large for a "
                   "64-bit float (row")
    rows = json.dumps({"rows": rows_of_test_set(2)}).encode()
    first = rows_of_test_set(2)[0]["total_charges"]
    rows = rows.replace(f'"total_charges": {first}'.encode(), b'"total_charges": 1e400')
    assert b"1e400" in rows
    assert_refused(request(served.url, "POST", "/predict", rows), 400,
                   "column 'total_charges': a number is NaN, infinite or too large")
    literal = body.replace(data, b"[null, Infinity]")
    assert_refused(request(served.url, "POST", INFER, literal), 400, "Infinity is not a number")
    assert_still_serves(served.url)


def binary_input(name: str, datatype: str, payload: bytes) -> tuple[bytes, dict[str, str]]:
    inputs = good_inputs()
    for tensor in inputs:
        if tensor["name"] == name:
            del tensor["data"]
            tensor["datatype"] = datatype
            tensor["parameters"] = {"binary_data_size": len(payload)}
    return binary_request({"inputs": inputs}, payload)


BINARY_VALUES = [
    ("UINT64 beyond INT64", binary_input("tenure_months", "UINT64",
                                         struct.pack("<2Q", 2**64 - 1, 3)),
     "input 'tenure_months': 18446744073709551615 does not fit in 64 bits as INT64 takes them"),
    ("FP64 infinity", binary_input("total_charges", "FP64", struct.pack("<2d", 1.0, 1e308 * 10)),
     "input 'total_charges': a number is NaN, infinite or too large for a 64-bit float (row 1)"),
    ("FP32 infinity", binary_input("monthly_charges", "FP32",
                                   struct.pack("<2f", float("-inf"), 2.0)),
     "input 'monthly_charges': a number is NaN, infinite or too large for a 64-bit float (row 0)"),
]


@pytest.mark.parametrize(("body", "message"), [(b, m) for _, b, m in BINARY_VALUES],
                         ids=[name for name, _, _ in BINARY_VALUES])
def test_a_binary_value_a_column_cannot_take_is_a_400(
    served: RunningServer, body: tuple[bytes, dict[str, str]], message: str
) -> None:
    assert_refused(request(served.url, "POST", INFER, body[0], body[1]), 400, message)
    assert_still_serves(served.url)


@pytest.fixture(scope="module")
def narrow(churn_predictor: Predictor) -> Iterator[RunningServer]:
    """The example model behind a schema of narrow, nullable types."""
    types = {"tenure_months": "INT16", "monthly_charges": "FP32", "support_calls": "UINT8",
             "total_charges": "FP16"}
    columns = [InputColumn(c.name, types.get(c.name, c.datatype), True)
               for c in churn_predictor.columns]
    predictor = Predictor("churn", None, churn_predictor.model, columns)
    server = start_in_thread(ServingApp(predictor))
    yield server
    server.stop()


NARROW = [
    ("tenure_months", [40_000, 1], "input 'tenure_months': 40000 does not fit in 16 bits as "
     "INT16 takes them, from -32768 to 32767 (row 0)"),
    ("tenure_months", [None, -40_000], "input 'tenure_months': -40000 does not fit in 16 bits"),
    ("support_calls", [1, -1], "input 'support_calls': -1 does not fit in 8 bits as UINT8 "
     "takes them, from 0 to 255 (row 1)"),
    ("monthly_charges", [1e39, 1.0], "input 'monthly_charges': a number is NaN, infinite or "
     "too large for a 32-bit float (row 0)"),
    ("total_charges", [None, 70_000], "input 'total_charges': a number is NaN, infinite or "
     "too large for a 16-bit float (row 1)"),
]


@pytest.mark.parametrize(("name", "data", "message"), NARROW,
                         ids=[f"{n}={d}" for n, d, _ in NARROW])
def test_a_value_beyond_a_narrow_type_is_a_400(
    narrow: RunningServer, name: str, data: list[object], message: str
) -> None:
    assert_refused(post_json(narrow.url, INFER, with_input(name, data=data)), 400, message)
    answer = post_json(narrow.url, INFER, {"inputs": good_inputs()})
    assert answer.status == 200, answer.body


@pytest.fixture(scope="module")
def untyped(churn_predictor: Predictor) -> Iterator[RunningServer]:
    """The example model without a schema: every column takes any JSON scalar."""
    server = start_in_thread(ServingApp(Predictor("churn", None, churn_predictor.model, ())))
    yield server
    server.stop()


def test_an_untyped_column_refuses_a_huge_integer_and_infinity(untyped: RunningServer) -> None:
    assert_refused(post_json(untyped.url, "/predict", {"rows": predict_rows(tenure_months=HUGE)}),
                   400, "column 'tenure_months': an integer of 401 digits is too large")
    body = json.dumps({"rows": predict_rows(tenure_months=12345)}).encode()
    body = body.replace(b"12345", b"1e400")
    assert_refused(request(untyped.url, "POST", "/predict", body), 400,
                   "column 'tenure_months': a number is NaN, infinite or too large")
    assert_predict_serves(untyped.url)


def test_predict_names_every_missing_column_with_its_rows(served: RunningServer) -> None:
    rows = rows_of_test_set(5)
    del rows[0]["contract"]
    for row in rows[2:]:
        del row["region"]
    assert_refused(post_json(served.url, "/predict", {"rows": rows}), 400,
                   "missing column(s): contract (rows[0]), region (rows[2] and 2 more)")
    assert_predict_serves(served.url)


def test_predict_refuses_every_unknown_column(served: RunningServer) -> None:
    rows = rows_of_test_set(2)
    rows[0]["rate_marraige"] = 3
    rows[1]["churned"] = 0
    answer = post_json(served.url, "/predict", {"rows": rows})
    assert_refused(answer, 400, "unknown columns 'rate_marraige', 'churned'; this model takes: "
                   "tenure_months, monthly_charges,")
    del rows[0]["tenure_months"]
    assert_refused(post_json(served.url, "/predict", {"rows": rows}), 400,
                   "unknown columns 'rate_marraige', 'churned'; missing column(s): "
                   "tenure_months (rows[0]); this model takes:")
    assert_predict_serves(served.url)


def test_the_inference_endpoint_names_every_unknown_input(served: RunningServer) -> None:
    inputs = good_inputs()
    inputs[0]["name"] = "tenure"
    inputs[1]["name"] = "charges"
    assert_refused(post_json(served.url, INFER, {"inputs": inputs}), 400,
                   "unknown inputs 'tenure', 'charges'; missing input(s): tenure_months, "
                   "monthly_charges; this model takes:")
    assert_still_serves(served.url)


@pytest.mark.parametrize(("change", "message"), [
    ({"tenure_months": "12"}, "column 'tenure_months' (INT64) takes integers, got integer, "
     "string values"),
    ({"tenure_months": None}, "column 'tenure_months' may not be null (row 0)"),
    ({"paperless": 1}, "column 'paperless' (BOOL) takes true or false, got "),
])
def test_predict_says_each_type_error_once(
    served: RunningServer, change: dict[str, object], message: str
) -> None:
    answer = post_json(served.url, "/predict", {"rows": predict_rows(**change)})
    assert_refused(answer, 400, message)
    name = next(iter(change))
    assert str(answer.body["error"]).count(name) == 1, answer.body
    assert_predict_serves(served.url)


def test_predict_takes_the_schemas_other_columns_and_does_not_feed_them(
    served: RunningServer, untyped: RunningServer
) -> None:
    with_ids = post_json(served.url, "/predict", {"rows": rows_of_test_set(5, with_ids=True)})
    assert with_ids.status == 200, with_ids.body
    without = post_json(served.url, "/predict", {"rows": rows_of_test_set(5)})
    assert with_ids.body == without.body
    # Without a schema, the model's inputs are all the server knows: the id is unknown.
    assert_refused(post_json(untyped.url, "/predict", {"rows": rows_of_test_set(2, with_ids=True)}),
                   400, "unknown column 'customer_id'; this model takes: tenure_months,")
    assert_predict_serves(untyped.url)


# One conversion for a whole matrix of numbers (values.float_columns)

MATRIX_COLUMNS = (InputColumn("a", "FP64", False), InputColumn("b", "FP32", False))


def test_a_matrix_of_numbers_is_converted_at_once_as_column_by_column() -> None:
    data: list[object] = [1, 2.5, -3, 4.25, 0, -0.0, 10**20, 1e-300]
    columns = float_columns(MATRIX_COLUMNS, data, 2)
    assert columns is not None
    for index, (column, array) in enumerate(zip(MATRIX_COLUMNS, columns, strict=True)):
        want = column_array(column, data[index::2], column.name)
        assert array.dtype == want.dtype and array.tobytes() == want.tobytes()


@pytest.mark.parametrize("bad", [None, True, "1", float("inf"), float("nan"), 10**400, 1e39])
def test_a_matrix_with_a_value_a_column_refuses_is_left_to_column_array(bad: object) -> None:
    # 1e39 fits the FP64 column, not the FP32 one: column_array says which
    assert float_columns(MATRIX_COLUMNS, [1.0, 2.0, 3.0, bad], 2) is None


def test_a_matrix_with_a_column_of_another_type_is_left_to_column_array() -> None:
    columns = (InputColumn("a", "FP64", False), InputColumn("n", "INT64", False))
    assert float_columns(columns, [1.0, 2, 3.0, 4], 2) is None
