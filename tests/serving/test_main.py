"""``python -m mlops_ci.serving`` as a process: workers, readiness line, clean stop, refusals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_ci.config.model import ModelSpec
from mlops_ci.modelio import save_model
from mlops_ci.serving.columns import write_columns
from tests.serving.example import churn_columns, post_json, request, rows_of_test_set


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
