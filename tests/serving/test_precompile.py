"""Compiling a model ahead of time, and a predictor started from the compiled form: the same
answers as the model, the model itself loaded only (and once) when a request needs it, and a
compiled file that does not stand for the model ignored."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from mlops_ci.errors import UserError
from mlops_ci.modelio import load_model, save_model
from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.compiled import (
    compiled_path,
    encode,
    library_versions,
    read_compiled,
    write_compiled,
)
from mlops_ci.serving.decode import decode_rows
from mlops_ci.serving.precompile import compile_model
from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.values import RequestError
from tests.serving.example import TEST_CSV, rows_of_test_set
from tests.serving.test_fused import NUMERIC, SCHEMA, assert_bitwise_equal, sklearn_outputs
from tests.serving.test_http import FEATURES

TRUSTED = ["numpy.dtype"]


def compiled_churn(churn_model_file: Path, schema: Sequence[InputColumn], folder: Path) -> Path:
    """A copy of the example's model in ``folder``, compiled beside it."""
    model = folder / "model.skops"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(churn_model_file, model)
    done = compile_model(model, TRUSTED, schema)
    assert done.written == compiled_path(model), done.reason
    assert done.reason == "ColumnTransformer -> LogisticRegression (fused)"
    return model


def answers(predictor: Predictor, rows: list[dict[str, object]]) -> dict[str, object]:
    batch = decode_rows({"rows": rows}, predictor.columns)
    return {output.name: output.array for output in predictor.predict(batch)}


def started(model: Path, schema: Sequence[InputColumn],
            trusted: Sequence[str] = TRUSTED) -> tuple[Predictor, list[str]]:
    notes: list[str] = []
    predictor = Predictor.load("churn", model, trusted, schema, note=notes.append)
    return predictor, notes


def test_the_pipeline_starts_from_its_compiled_form_with_the_models_answers(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
) -> None:
    model = compiled_churn(churn_model_file, churn_columns_schema, tmp_path)
    predictor, notes = started(model, churn_columns_schema)
    assert predictor.fast_path == (
        "fused: ColumnTransformer -> LogisticRegression (fused), compiled ahead of time")
    assert notes == []
    assert predictor.classes == (0, 1) and predictor.predict_datatype == "INT64"
    assert predictor.columns == tuple(c for c in churn_columns_schema if c.name != "customer_id")
    assert predictor.unused_columns == ("customer_id",)  # rows may carry the ids
    sklearn_model = load_model(churn_model_file, TRUSTED)
    rows = rows_of_test_set()
    assert_bitwise_equal(answers(predictor, rows), sklearn_outputs(sklearn_model, rows, FEATURES))
    for row in rows[:40]:
        assert_bitwise_equal(answers(predictor, [row]),
                             sklearn_outputs(sklearn_model, [row], FEATURES))
    assert notes == []  # the model itself was never needed


@pytest.mark.parametrize("labels", ["integers", "strings"])
@pytest.mark.parametrize("classes", [2, 3])
def test_a_plain_logistic_regression_starts_from_its_compiled_form_with_its_answers(
    tmp_path: Path, classes: int, labels: str,
) -> None:
    table = pd.read_csv(TEST_CSV)
    numbers = table[NUMERIC].fillna(0).to_numpy()
    target = np.arange(len(table)) % classes
    if labels == "strings":
        target = np.array(["low", "mid", "high"])[target]
    model = LogisticRegression(max_iter=1000).fit(numbers, target)
    save_model(model, tmp_path / "model.skops")
    done = compile_model(tmp_path / "model.skops", [], SCHEMA[:4])
    assert done.written is not None, done.reason

    predictor, _ = started(tmp_path / "model.skops", SCHEMA[:4], [])

    assert predictor.fast_path.endswith("compiled ahead of time")
    rows = [{name: 1.5 if row[name] is None else row[name] for name in NUMERIC}
            for row in rows_of_test_set(300)]
    for chunk in (rows, rows[:1], rows[7:8]):
        matrix = np.ascontiguousarray(pd.DataFrame(chunk)[NUMERIC].to_numpy(dtype=np.float64))
        assert_bitwise_equal(answers(predictor, chunk),
                             {"predict": model.predict(matrix),
                              "predict_proba": model.predict_proba(matrix)})


def test_a_scaled_logistic_regression_on_named_columns_starts_compiled_with_its_answers(
    tmp_path: Path,
) -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    table = pd.read_csv(TEST_CSV)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    model.fit(table[NUMERIC], table["churned"])  # a DataFrame: the matrix is column-major
    save_model(model, tmp_path / "model.skops")
    done = compile_model(tmp_path / "model.skops", [], SCHEMA[:4])
    assert done.written is not None, done.reason

    predictor, notes = started(tmp_path / "model.skops", SCHEMA[:4], [])

    assert predictor.fast_path == ("fused: SimpleImputer -> StandardScaler -> "
                                   "LogisticRegression (fused), compiled ahead of time")
    rows = [{name: row[name] for name in NUMERIC} for row in rows_of_test_set(300)]
    for chunk in (rows, rows[:1], rows[7:8]):
        assert_bitwise_equal(answers(predictor, chunk), sklearn_outputs(model, chunk, NUMERIC))
    assert notes == []


def test_a_model_the_compiled_form_does_not_cover_gets_none_and_loses_a_stale_one(
    tmp_path: Path,
) -> None:
    numbers = pd.read_csv(TEST_CSV)[NUMERIC].fillna(0).to_numpy()
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(
        numbers, np.arange(len(numbers)) % 2)
    save_model(model, tmp_path / "model.skops")
    compiled_path(tmp_path / "model.skops").write_bytes(b"left from an earlier model")

    done = compile_model(tmp_path / "model.skops", [], SCHEMA[:4])

    assert done.written is None
    assert done.reason.startswith("not a scikit-learn Pipeline")
    assert not compiled_path(tmp_path / "model.skops").exists()


def test_a_request_the_compiled_form_does_not_cover_loads_the_model_once(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
) -> None:
    model = compiled_churn(churn_model_file, churn_columns_schema, tmp_path)
    compiled = read_compiled(compiled_path(model))
    loads: list[float] = []

    def loader() -> object:
        loads.append(time.monotonic())
        time.sleep(0.3)  # slow enough that every thread asks while it loads
        return load_model(model, TRUSTED)

    predictor = Predictor.from_compiled("churn", None, compiled, churn_columns_schema, loader)
    rows = rows_of_test_set(4)
    rows[1]["contract"] = None  # a null in a one-hot column: scikit-learn's own path
    results: list[dict[str, object]] = []
    threads = [threading.Thread(target=lambda: results.append(answers(predictor, rows)))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(loads) == 1
    assert len(results) == 6
    want = sklearn_outputs(load_model(churn_model_file, TRUSTED), rows, FEATURES)
    for result in results:
        assert_bitwise_equal(result, want)


def test_a_model_that_cannot_be_loaded_later_is_a_500_and_is_not_retried(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
) -> None:
    model = compiled_churn(churn_model_file, churn_columns_schema, tmp_path)
    predictor, notes = started(model, churn_columns_schema)
    model.write_bytes(b"\x80\x04 replaced by a pickle")
    rows = rows_of_test_set(2)
    assert answers(predictor, rows)["predict"] is not None  # the compiled form still answers
    rows[0]["region"] = None
    for _ in range(2):
        with pytest.raises(RequestError) as refused:
            answers(predictor, rows)
        assert refused.value.status == 500
        assert refused.value.message == (f"the model could not be loaded: {model}: the model "
                                         "file changed since the server started")
    assert notes == [f"loading {model} for a request the compiled form does not cover"]


def test_a_compiled_file_of_another_model_is_ignored(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
) -> None:
    compiled_churn(churn_model_file, churn_columns_schema, tmp_path / "a")
    other = tmp_path / "b" / "model.skops"
    other.parent.mkdir()
    numbers = pd.read_csv(TEST_CSV)
    save_model(LogisticRegression().fit(numbers[FEATURES[:2]], numbers["churned"]), other)
    shutil.copyfile(compiled_path(tmp_path / "a" / "model.skops"), compiled_path(other))

    predictor, notes = started(other, churn_columns_schema)

    assert [note.split(": it was")[0] for note in notes] == [
        f"ignoring {compiled_path(other)}"]
    assert "it was compiled from another model file" in notes[0]
    assert notes[0].endswith("; loading the model")
    assert predictor.fast_path == "fused: LogisticRegression (fused)"  # the model's own
    assert [column.name for column in predictor.columns] == FEATURES[:2]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_compiled_file_is_ignored(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
    damage: str,
) -> None:
    model = compiled_churn(churn_model_file, churn_columns_schema, tmp_path)
    path = compiled_path(model)
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x80\x04junk" * 40,
                      "empty": b""}[damage])

    predictor, notes = started(model, churn_columns_schema)

    assert len(notes) == 1 and notes[0].startswith(f"ignoring {path}: not a readable .npz")
    assert predictor.fast_path == "fused: ColumnTransformer -> LogisticRegression (fused)"
    rows = rows_of_test_set(20)
    assert_bitwise_equal(answers(predictor, rows),
                         sklearn_outputs(predictor.model, rows, FEATURES))


def test_a_compiled_file_for_other_columns_or_libraries_is_ignored(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
) -> None:
    model = compiled_churn(churn_model_file, churn_columns_schema, tmp_path)
    schema = (*churn_columns_schema, InputColumn("customer_id", "BYTES"))
    _, notes = started(model, schema)
    assert notes == [f"ignoring {compiled_path(model)}: it was compiled for another columns "
                     "schema; loading the model"]

    compiled = read_compiled(compiled_path(model))
    versions = {**library_versions(), "numpy": "1.0.0"}
    write_compiled(encode(replace(compiled, versions=versions)), compiled_path(model))
    predictor, notes = started(model, churn_columns_schema)
    assert notes[0].endswith(f"it was checked with numpy 1.0.0, this is "
                             f"{library_versions()['numpy']}; loading the model")
    assert not predictor.fast_path.endswith("compiled ahead of time")


def test_the_trust_check_holds_on_the_compiled_path(
    churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...], tmp_path: Path,
) -> None:
    model = compiled_churn(churn_model_file, churn_columns_schema, tmp_path)
    with pytest.raises(UserError, match="never trusts them"):
        started(model, churn_columns_schema, ["os.system"])
    compiled = read_compiled(compiled_path(model))
    write_compiled(encode(replace(compiled, untrusted_types=("acme.Secret",))),
                   compiled_path(model))
    with pytest.raises(UserError, match=r"does not trust: acme\.Secret"):
        started(model, churn_columns_schema)


def test_a_model_that_is_not_skops_is_refused_by_the_compile(tmp_path: Path) -> None:
    (tmp_path / "model.skops").write_bytes(b"\x80\x04 a pickle")
    with pytest.raises(UserError, match="not a skops model file"):
        compile_model(tmp_path / "model.skops", [], SCHEMA[:4])
    assert not compiled_path(tmp_path / "model.skops").exists()
