"""The compiled form's file: what it holds, what it refuses to hold, and damaged bytes."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.digest import sha256_file
from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.compiled import (
    FORMAT_VERSION,
    Compiled,
    CompiledUnusable,
    NotCompilable,
    compiled_path,
    decode,
    encode,
    library_versions,
    read_compiled,
)
from mlops_ci.serving.fused import FusedPipeline, NumericBlock
from mlops_ci.serving.logistic import LogisticHead
from mlops_ci.serving.precompile import compile_model
from tests.serving.test_fused import SCHEMA

COLUMNS = SCHEMA[:2]


def plain(classes: object) -> Compiled:
    """A two-column LogisticRegression's compiled form with class labels ``classes``."""
    labels = classes if isinstance(classes, np.ndarray) else np.asarray(classes)
    rows = 1 if labels.size <= 2 else labels.size
    head = LogisticHead(np.arange(rows * 2, dtype=np.float64).reshape(rows, 2) / 7,
                        np.linspace(-1, 1, rows), labels)
    fused = FusedPipeline((NumericBlock(0, (0, 1), None, None, None),), 2, head.heads(),
                          "LogisticRegression (fused)", head)
    return Compiled("ab" * 32, COLUMNS, COLUMNS, ("numpy.dtype",), library_versions(), fused)


@pytest.fixture(scope="module")
def churn_compiled(churn_model_file: Path, churn_columns_schema: tuple[InputColumn, ...],
                   tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The compiled file of (a copy of) the example's pipeline."""
    model = tmp_path_factory.mktemp("compiled") / "model.skops"
    model.write_bytes(churn_model_file.read_bytes())
    done = compile_model(model, ["numpy.dtype"], churn_columns_schema)
    assert done.written == compiled_path(model), done.reason
    return done.written.read_bytes()


def test_the_file_is_numpy_arrays_and_json_metadata_with_no_pickle(
    churn_compiled: bytes, churn_model_file: Path,
) -> None:
    with np.load(io.BytesIO(churn_compiled), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    assert not [name for name, array in arrays.items() if array.dtype.kind == "O"]
    document = json.loads(bytes(arrays["metadata"]).decode("ascii"))
    assert document["format"] == "mlops-ci-fused"
    assert document["format_version"] == FORMAT_VERSION
    assert document["model_sha256"] == sha256_file(churn_model_file)
    assert document["untrusted_types"] == ["numpy.dtype"]
    assert [block["kind"] for block in document["blocks"]] == ["numeric", "one-hot", "one-hot"]
    assert document["blocks"][1]["categories"][0] == ["month-to-month", "one-year", "two-year"]


def test_the_example_pipeline_reads_back_as_it_was_compiled(
    churn_compiled: bytes, churn_columns_schema: tuple[InputColumn, ...],
) -> None:
    compiled = decode(churn_compiled)
    assert compiled.schema == churn_columns_schema
    assert compiled.fused.description == "ColumnTransformer -> LogisticRegression (fused)"
    assert compiled.fused.logistic is not None
    assert compiled.fused.logistic.classes.tolist() == [0, 1]
    assert set(compiled.fused.heads) == {"predict", "predict_proba"}


@pytest.mark.parametrize("labels", [
    np.array(["no", "yes"]),  # a unicode array
    np.array(["bronze", "gold", "silver"], dtype=object),  # str objects, as pandas gives
    np.array([False, True]),
    np.array([0.5, 1.5, 2.5]),
    np.array([-3, 7], dtype=np.int32),
])
def test_class_labels_of_plain_types_round_trip_with_their_dtype(labels: object) -> None:
    compiled = plain(labels)
    back = decode(encode(compiled))
    assert back.fused.logistic is not None
    got = back.fused.logistic.classes
    assert got.dtype == labels.dtype  # type: ignore[attr-defined]
    assert got.tolist() == labels.tolist()  # type: ignore[attr-defined]
    matrix = np.array([[1.0, -2.0], [0.25, 3.0]])
    for name in ("predict", "predict_proba"):
        want = compiled.fused.heads[name](matrix)
        have = back.fused.heads[name](matrix)
        assert have.dtype == want.dtype and have.tolist() == want.tolist(), name
        if have.dtype != object:  # the same bits, not just ==
            assert have.tobytes() == want.tobytes(), name


def objects(*values: object) -> np.ndarray:  # type: ignore[type-arg]
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@pytest.mark.parametrize(("labels", "refusal"), [
    (np.array([b"no", b"yes"]), "class labels of dtype |S3"),
    (objects("a", ("b",)), "types other than str, int, float and bool"),
    (objects(np.int64(1), np.int64(2)), "types other than"),
    (np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"), "dtype datetime64"),
])
def test_class_labels_of_other_types_are_not_compiled(labels: object, refusal: str) -> None:
    with pytest.raises(NotCompilable) as refused:
        encode(plain(labels))
    assert refusal in str(refused.value)


def test_a_non_finite_float_label_is_not_compiled() -> None:
    with pytest.raises(NotCompilable, match="NaN or infinite"):
        encode(plain(objects(1.0, np.inf)))


def test_heads_that_call_scikit_learn_are_not_compiled() -> None:
    compiled = plain(np.array([0, 1]))
    fused = replace(compiled.fused, logistic=None, description="ColumnTransformer -> Ridge")
    with pytest.raises(NotCompilable, match=r"\(ColumnTransformer -> Ridge\) runs through "):
        encode(replace(compiled, fused=fused))


def test_the_file_says_why_it_does_not_stand_for_a_model() -> None:
    compiled = decode(encode(plain(np.array([0, 1]))))
    versions = library_versions()
    assert compiled.mismatch("ab" * 32, COLUMNS, versions) is None
    assert "another model file (sha256 abababababab..., the model's is cdcdcdcdcdcd...)" in str(
        compiled.mismatch("cd" * 32, COLUMNS, versions))
    assert compiled.mismatch("ab" * 32, SCHEMA[:3], versions) == (
        "it was compiled for another columns schema")
    other = {**versions, "scikit-learn": "0.1"}
    assert compiled.mismatch("ab" * 32, COLUMNS, other) == (
        f"it was checked with scikit-learn {versions['scikit-learn']}, this is 0.1")


def damaged(data: bytes, member: str, change: dict[str, object]) -> bytes:
    """``data`` with its metadata changed (the archive itself intact)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    document = json.loads(bytes(arrays[member]).decode("ascii")) | change
    arrays[member] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(("change", "reason"), [
    ({"format_version": FORMAT_VERSION + 1}, f"format version {FORMAT_VERSION + 1}"),
    ({"format": "other"}, "not a mlops-ci-fused file"),
    ({"width": 3}, "coef is float64 (1, 2), not float64 (1, 3)"),
    ({"blocks": [{"kind": "numeric", "start": 1, "inputs": [0, 1], "fill": False,
                  "mean": False, "scale": False}]}, "do not tile the feature matrix"),
    ({"blocks": []}, "widths do not add up"),
    ({"blocks": [{"kind": "numeric", "start": 0, "inputs": [0, 5], "fill": False,
                  "mean": False, "scale": False}]}, "5 is not an integer in [0, 2)"),
    ({"head": {"kind": "tree", "classes": {}}}, "an unknown head 'tree'"),
    ({"blocks": "nonsense"}, "damaged: "),
])
def test_metadata_that_does_not_hold_together_is_unusable(
    change: dict[str, object], reason: str
) -> None:
    data = damaged(encode(plain(np.array([0, 1]))), "metadata", change)
    with pytest.raises(CompiledUnusable) as unusable:
        decode(data)
    assert reason in str(unusable.value)


def test_an_archive_holding_a_pickle_is_unusable_without_unpickling() -> None:
    buffer = io.BytesIO()
    np.savez(buffer, metadata=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(CompiledUnusable, match="allow_pickle=False"):
        decode(buffer.getvalue())


@pytest.mark.parametrize("data", [b"", b"\x80\x04 a pickle", b"PK\x03\x04 cut short",
                                  np.lib.format.MAGIC_PREFIX + b"\x01\x00"])
def test_bytes_that_are_not_an_archive_are_unusable(data: bytes) -> None:
    with pytest.raises(CompiledUnusable):
        decode(data)


def test_a_missing_member_is_unusable() -> None:
    data = encode(plain(np.array([0, 1])))
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            if name != "coef.npy":
                target.writestr(name, source.read(name))
    with pytest.raises(CompiledUnusable, match="KeyError"):
        decode(buffer.getvalue())


VALID = encode(plain(np.array(["no", "yes"])))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(0, len(VALID) - 1), value=st.integers(0, 255),
       cut=st.integers(0, len(VALID)))
def test_damaged_bytes_are_read_back_or_refused_never_raised(
    position: int, value: int, cut: int
) -> None:
    data = bytearray(VALID)
    data[position] = value
    for candidate in (bytes(data), VALID[:cut]):
        try:
            compiled = decode(candidate)
        except CompiledUnusable:
            continue
        assert compiled.fused.width == 2


def test_read_compiled_names_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CompiledUnusable, match="cannot be read"):
        read_compiled(tmp_path / "absent.fused.npz")
