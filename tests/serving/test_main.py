"""``python -m mlops_ci.serving`` as a process: workers, readiness line, clean stop, refusals."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from mlops_ci.config.model import ModelSpec
from mlops_ci.modelio import load_model, save_model
from mlops_ci.serving.columns import InputColumn, write_columns
from tests.serving.example import churn_columns, post_json, request, rows_of_test_set
from tests.serving.test_fused import sklearn_outputs
from tests.serving.test_http import FEATURES


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlops_ci.serving", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_two_workers_serve_and_stop_on_sigterm(
    churn_model_file: Path, churn: ModelSpec, tmp_path: Path
) -> None:
    columns = tmp_path / "columns.json"
    write_columns(churn_columns(churn), columns)
    started = time.monotonic()
    process = start(["--model", str(churn_model_file), "--name", "churn", "--workers", "2",
                     "--trusted-type", "numpy.dtype", "--columns-json", str(columns)])
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        ready_seconds = time.monotonic() - started
        assert line.startswith("serving churn on http://127.0.0.1:"), process.stderr.read()
        url = line.split()[3]
        assert request(url, "GET", "/v2/health/ready").status == 200
        for _ in range(10):
            answer = post_json(url, "/predict", {"rows": rows_of_test_set(3)})
            assert answer.status == 200, answer.body
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 2
        assert ready_seconds < 30
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not [child for child in children if Path(f"/proc/{child}").exists()]


def test_a_model_that_is_not_skops_exits_2_naming_the_file(tmp_path: Path) -> None:
    bogus = tmp_path / "model.skops"
    bogus.write_bytes(b"\x80\x04not a zip")
    process = start(["--model", str(bogus), "--name", "churn"])
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    assert f"{bogus}: not a skops model file (it starts like a Python pickle" in err
    assert "Traceback" not in err


class Opaque:
    """A user's own class: a type neither skops nor mlops-ci trusts by default."""


def test_an_untrusted_type_is_refused_before_loading(tmp_path: Path) -> None:
    model = tmp_path / "model.skops"
    save_model(Opaque(), model)
    process = start(["--model", str(model), "--name", "churn"])
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert ("does not trust: tests.serving.test_main.Opaque (trusted only when listed in "
            "evaluate.trusted_types)") in err


def test_the_scikit_learn_model_serves_with_no_trusted_type(
    churn_model_file: Path, churn: ModelSpec, tmp_path: Path
) -> None:
    columns = tmp_path / "columns.json"
    write_columns(churn_columns(churn), columns)
    process = start(["--model", str(churn_model_file), "--name", "churn", "--workers", "1",
                     "--columns-json", str(columns)])
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving churn on http://127.0.0.1:"), process.stderr.read()
        assert post_json(line.split()[3], "/predict", {"rows": rows_of_test_set(2)}).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_the_prediction_path_is_announced_on_stderr(
    churn_model_file: Path, churn: ModelSpec, tmp_path: Path
) -> None:
    columns = tmp_path / "columns.json"
    write_columns(churn_columns(churn), columns)
    process = start(["--model", str(churn_model_file), "--name", "churn", "--workers", "1",
                     "--trusted-type", "numpy.dtype", "--columns-json", str(columns)])
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3]
        assert post_json(url, "/predict", {"rows": rows_of_test_set(2)}).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "mlops-ci serving: fused: ColumnTransformer -> LogisticRegression (fused)" in err


# The compiled form (serving.compiled): written by --compile-only, started from without
# scikit-learn


HEAVY = re.compile(r"^import time:.*\|\s+(sklearn|skops|scipy|pandas)(?:\.|$)", re.MULTILINE)


def compile_only(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlops_ci.serving", *args, "--compile-only"],
                          capture_output=True, text=True, timeout=120, check=False)


def test_compile_only_writes_the_compiled_form_beside_the_model(
    churn_model_file: Path, churn: ModelSpec, tmp_path: Path
) -> None:
    model = tmp_path / "model.skops"
    shutil.copyfile(churn_model_file, model)
    columns = tmp_path / "columns.json"
    write_columns(churn_columns(churn), columns)

    done = compile_only("--model", str(model), "--columns-json", str(columns))

    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"compiled {model} into {model}.fused.npz (ColumnTransformer -> "
                           "LogisticRegression (fused))\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "columns.json", "model.skops", "model.skops.fused.npz"]


def test_compile_only_of_a_model_it_does_not_cover_writes_nothing_and_exits_0(
    tmp_path: Path
) -> None:
    model = tmp_path / "model.skops"
    save_model(RandomForestClassifier(n_estimators=2, random_state=0).fit(
        np.arange(8.0).reshape(4, 2), [0, 1, 0, 1]), model)
    columns = tmp_path / "columns.json"
    write_columns([InputColumn("a", "FP64"), InputColumn("b", "FP64")], columns)

    done = compile_only("--model", str(model), "--columns-json", str(columns))

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"no compiled form for {model}: not a scikit-learn Pipeline")
    assert not (tmp_path / "model.skops.fused.npz").exists()


def test_compile_only_of_a_file_that_is_not_skops_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "model.skops"
    bogus.write_bytes(b"\x80\x04not a zip")
    done = compile_only("--model", str(bogus))
    assert done.returncode == 2
    assert f"{bogus}: not a skops model file" in done.stderr
    assert "Traceback" not in done.stderr


def test_serving_without_a_name_exits_2(tmp_path: Path) -> None:
    process = start(["--model", str(tmp_path / "model.skops")])
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "the following arguments are required: --name" in err


def test_a_server_started_from_the_compiled_form_imports_scikit_learn_only_when_needed(
    churn_model_file: Path, churn: ModelSpec, tmp_path: Path
) -> None:
    model = tmp_path / "model.skops"
    shutil.copyfile(churn_model_file, model)
    columns = tmp_path / "columns.json"
    write_columns(churn_columns(churn), columns)
    assert compile_only("--model", str(model), "--columns-json", str(columns)).returncode == 0
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "mlops_ci.serving", "--host", "127.0.0.1",
             "--port", "0", "--model", str(model), "--columns-json", str(columns), "--name",
             "churn", "--workers", "1"], stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving churn on http://127.0.0.1:"), stderr.read_text()[-3000:]
        url = line.split()[3]
        sklearn_model = load_model(churn_model_file, [])
        rows = rows_of_test_set(50)
        answer = post_json(url, "/predict", {"rows": rows})
        assert answer.status == 200, answer.body
        want = sklearn_outputs(sklearn_model, rows, FEATURES)
        assert answer.body["predictions"] == want["predict"].tolist()  # type: ignore[attr-defined]
        assert answer.body["probabilities"] == want["predict_proba"].tolist()  # type: ignore[attr-defined]
        log = stderr.read_text()
        assert "mlops-ci serving: fused: ColumnTransformer -> LogisticRegression (fused), " \
            "compiled ahead of time" in log
        assert "import time:" in log and HEAVY.findall(log) == []

        rows[3]["payment_method"] = None  # a null in a one-hot column: the model itself
        answer = post_json(url, "/predict", {"rows": rows})
        assert answer.status == 200, answer.body
        want = sklearn_outputs(sklearn_model, rows, FEATURES)
        assert answer.body["predictions"] == want["predict"].tolist()  # type: ignore[attr-defined]
        assert answer.body["probabilities"] == want["predict_proba"].tolist()  # type: ignore[attr-defined]
        log = stderr.read_text()
        assert f"mlops-ci serving: loading {model} for a request the compiled form does not " \
            "cover" in log
        assert {"sklearn", "skops"} <= set(HEAVY.findall(log))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_a_damaged_compiled_file_is_ignored_with_one_line_and_the_model_serves(
    churn_model_file: Path, churn: ModelSpec, tmp_path: Path
) -> None:
    model = tmp_path / "model.skops"
    shutil.copyfile(churn_model_file, model)
    columns = tmp_path / "columns.json"
    write_columns(churn_columns(churn), columns)
    (tmp_path / "model.skops.fused.npz").write_bytes(b"PK\x03\x04 cut short")
    process = start(["--model", str(model), "--name", "churn", "--workers", "1",
                     "--columns-json", str(columns)])
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving churn on http://127.0.0.1:"), process.stderr.read()
        assert post_json(line.split()[3], "/predict", {"rows": rows_of_test_set(2)}).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    ignored = [line for line in err.splitlines() if "ignoring" in line]
    assert ignored == [f"mlops-ci serving: ignoring {model}.fused.npz: not a readable .npz "
                       "archive: BadZipFile: File is not a zip file; loading the model"]
    assert "mlops-ci serving: fused: ColumnTransformer -> LogisticRegression (fused)\n" in err
