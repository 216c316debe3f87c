"""A tensor's numbers read by numpy equal json.loads's, and every other request is left to the
generic path, which then answers as it always did."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from mlops_ci.serving.app import ServingApp
from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.decode import decode_infer, decode_numbers_infer, parse_json
from mlops_ci.serving.json_cost import DecodeBudget
from mlops_ci.serving.numbers import BYTES_PER_NUMBER, parse_numbers, take_numbers
from mlops_ci.serving.predictor import Predictor

LIMIT = DecodeBudget(0).limit
COLUMNS = tuple(InputColumn(f"x{index}", "FP64", False) for index in range(4))


def generic(text: bytes) -> bytes:
    """The float64 bytes json.loads and the generic path give for a list's contents."""
    return np.asarray(json.loads(b"[" + text + b"]"), dtype=np.float64).tobytes()


short_number = st.builds(
    lambda sign, whole, fraction: f"{sign}{whole}{fraction}",
    st.sampled_from(["", "-"]),
    st.integers(0, 999).map(str),
    st.one_of(st.just(""), st.integers(0, 99).map(lambda n: f".{n}"),
              st.integers(0, 9).map(lambda n: f".{n:02d}")),
)  # at most 7 characters: MEAN_LENGTH


@given(st.lists(short_number, min_size=1, max_size=50), st.sampled_from([",", ", "]))
def test_short_numbers_are_read_as_json_reads_them(numbers: list[str], separator: str) -> None:
    text = separator.join(numbers).encode()
    parsed = parse_numbers(text)
    assert parsed is not None
    assert parsed.tobytes() == generic(text)  # the same bits: -0.0 stays -0.0, -0 is 0.0


def test_numbers_of_up_to_ten_characters_are_read_among_shorter_ones() -> None:
    text = b"-12345.678,9876543210,0.00012345,1,2,3"
    parsed = parse_numbers(text)
    assert parsed is not None
    assert parsed.tobytes() == generic(text)


def test_negative_zeros_keep_jsons_types() -> None:
    parsed = parse_numbers(b"-0,-0.0,0.0,-0.5")
    assert parsed is not None
    assert np.signbit(parsed).tolist() == [False, True, False, True]


@pytest.mark.parametrize("text", [
    b"01", b"1.", b".5", b"-", b"-.5", b"1,,2", b"1,2,", b",1", b"1.2.3", b"--1", b"1-2",
    b"", b"NaN", b"Infinity", b"1 ,2", b"1,  2", b"[1]", b'"1"', b"true", b"null",
])
def test_what_is_not_a_simple_number_list_is_left_to_json(text: bytes) -> None:
    assert parse_numbers(text) is None


@pytest.mark.parametrize("text", [b"1e5", b"1E-3", b"0.00000001", b"12345678901",
                                  b"123456.7890,1234567.890"])
def test_valid_numbers_outside_the_simple_form_are_left_to_json(text: bytes) -> None:
    json.loads(b"[" + text + b"]")  # valid JSON
    assert parse_numbers(text) is None


def body_of(rows: int, data: str, **tensor: object) -> bytes:
    entry = {"name": "input-0", "shape": [rows, 4], "datatype": "FP64", **tensor}
    text = json.dumps({"inputs": [{**entry, "data": "@"}], "outputs": [{"name": "predict"}]})
    return text.replace('"@"', data).encode()


def test_take_numbers_empties_the_data_list_and_reads_it() -> None:
    taken = take_numbers(body_of(2, "[5.1, 3.5, 1.4, 0.2, 4.9, 3.0, 1.4, -0.2]"), LIMIT)
    assert taken is not None
    rest, numbers = taken
    assert json.loads(rest)["inputs"][0]["data"] == []
    assert numbers.tolist() == [5.1, 3.5, 1.4, 0.2, 4.9, 3.0, 1.4, -0.2]


def test_a_list_that_could_take_more_memory_than_the_budget_is_not_taken() -> None:
    body = body_of(1, "[0, 0, 0, 0]")
    assert take_numbers(body, 4 * BYTES_PER_NUMBER) is not None
    assert take_numbers(body, 4 * BYTES_PER_NUMBER - 1) is None


def test_a_dense_five_mebibyte_list_is_left_to_the_generic_path() -> None:
    data = "[" + ",".join(["0"] * (2_600_000)) + "]"  # 5 MiB of one-digit numbers
    body = body_of(650_000, data)
    assert take_numbers(body, DecodeBudget(len(body)).limit) is None


@pytest.mark.parametrize("body", [
    body_of(2, "[[5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2]]"),  # nested rows
    body_of(1, "[5.1, 3.5, 1.4, 0.2]", id="a\\u0041"),  # an escape somewhere
    body_of(1, "[5.1, 3.5, 1.4, 0.2]", parameters={"data": 1}),  # two "data" keys
    b'{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "x"data": [1,2,3,4]}]}',
    body_of(1, "[]"),
])
def test_other_bodies_are_not_taken(body: bytes) -> None:
    assert take_numbers(body, LIMIT) is None


@pytest.fixture(scope="module")
def app() -> ServingApp:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 4)).round(2)
    model = LogisticRegression().fit(features, (features[:, 0] + features[:, 2] > 0))
    predictor = Predictor("m", None, model, COLUMNS)
    predictor.enable_fused()
    return ServingApp(predictor)


def rows_text(rows: np.ndarray, separator: str = ", ") -> str:
    return "[" + separator.join(f"{value:.2f}" for value in rows.ravel()) + "]"


def test_a_numbers_request_is_decoded_as_the_generic_path_decodes_it() -> None:
    rows = np.random.default_rng(1).normal(size=(50, 4))
    body = body_of(50, rows_text(rows), id="r-1")
    taken = take_numbers(body, LIMIT)
    assert taken is not None
    fast = decode_numbers_infer(parse_json(taken[0]), taken[1], COLUMNS)
    slow = decode_infer(parse_json(body), COLUMNS)
    assert fast is not None
    assert (fast.rows, fast.request_id, fast.outputs) == (slow.rows, slow.request_id,
                                                          slow.outputs)
    for have, want in zip(fast.arrays, slow.arrays, strict=True):
        assert have.tobytes() == want.tobytes()


def test_a_numbers_request_for_integer_columns_is_not_read_by_numpy() -> None:
    body = body_of(1, "[1, 2, 3, 4]")
    taken = take_numbers(body, LIMIT)
    assert taken is not None
    integers = tuple(InputColumn(c.name, "INT64", False) for c in COLUMNS)
    assert decode_numbers_infer(parse_json(taken[0]), taken[1], integers) is None


@pytest.mark.parametrize("variant", [
    {},  # a good request
    {"shape": [49, 4]},  # too many values for the shape
    {"shape": [50, 3]},  # not the model's width
    {"datatype": "BYTES"},
    {"datatype": "INT64"},
    {"outputs": [{"name": "nope"}]},
])
def test_answers_equal_the_generic_paths_answers(app: ServingApp,
                                                 variant: dict[str, object]) -> None:
    rows = np.random.default_rng(2).normal(size=(50, 4))
    outputs = variant.pop("outputs", [{"name": "predict"}])
    tensor = {"name": "input-0", "shape": [50, 4], "datatype": "FP64", **variant}
    fast = json.dumps({"inputs": [{**tensor, "data": "@"}], "outputs": outputs}).replace(
        '"@"', rows_text(rows)).encode()
    slow = fast.replace(b", ", b" , ")  # spaces before commas: not the simple form
    assert take_numbers(fast, LIMIT) is not None and take_numbers(slow, LIMIT) is None
    have = app.handle("POST", "/v2/models/m/infer", fast)
    want = app.handle("POST", "/v2/models/m/infer", slow)
    assert (have.status, have.body) == (want.status, want.body)


@pytest.mark.parametrize("value", ["1e400", "NaN", "-Infinity", "\"5\"", "null", "true",
                                   "1" * 400, "1.0e5"])
def test_a_bad_or_unusual_value_gets_the_generic_answer(app: ServingApp, value: str) -> None:
    body = body_of(1, f"[0.5, {value}, 0.25, 1.5]")
    assert take_numbers(body, LIMIT) is None
    answer = app.handle("POST", "/v2/models/m/infer", body)
    if value == "1.0e5":
        assert answer.status == 200
        return
    assert answer.status == 400, answer.body
