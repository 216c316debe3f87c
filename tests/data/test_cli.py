"""``mlops-ci data validate`` and ``mlops-ci data drift`` through the real entry point."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.cli import main
from mlops_ci.config.model import DriftSpec
from mlops_ci.data.results import to_json
from mlops_ci.data.stream import open_parts
from mlops_ci.data.stream_drift import drift_stream
from tests.config.samples import MINIMAL

GOOD = "tenure,plan,churned\n" + "".join(f"{i % 7},{'basic' if i % 3 else 'pro'},{i % 2}\n"
                                          for i in range(40))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "data" / "test.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "mlops.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "train.py").write_text("", encoding="utf-8")  # the script MINIMAL's command runs
    return tmp_path


def test_validate_passes_on_clean_data(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "validate", "-c", str(workspace / "mlops.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.count("🟢 passed") == 2  # train and test


def test_validate_exits_1_on_findings_with_json(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = workspace / "bad.csv"
    bad.write_text("tenure,plan,churned\n-1,gold,0\n", encoding="utf-8")
    code = main(["data", "validate", "-c", str(workspace / "mlops.yaml"), str(bad), "--json"])
    assert code == 1
    payload = json.loads(capsys.readouterr().out)
    rules = [f["rule"] for f in payload["files"][0]["findings"]]
    assert payload["ok"] is False and rules == ["min", "allowed"]


def _write(path: Path, shift: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    rows = ["a,b,c"] + [
        f"{x:.6f},{y:.6f},{'p' if z < 0.5 else 'q'}"
        for x, y, z in zip(rng.normal(size=300) + shift, rng.normal(size=300),
                           rng.random(300), strict=True)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_drift_exits_0_without_drift_and_1_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = _write(tmp_path / "ref.csv", 0.0, 1)
    same = _write(tmp_path / "same.csv", 0.0, 2)
    moved = _write(tmp_path / "moved.csv", 3.0, 3)
    assert main(["data", "drift", "--reference", str(reference), "--current", str(same)]) == 0
    assert "🟢 no dataset drift" in capsys.readouterr().out
    args = ["data", "drift", "--reference", str(reference), "--current", str(moved),
            "--columns", "a", "b", "--method", "psi", "--threshold", "0.5", "--json"]
    assert main(args) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["drifted_columns"] == ["a"]
    assert [c["method"] for c in payload["columns"]] == ["psi", "psi"]
    assert payload["columns"][0]["threshold"] == 0.5


def test_drift_on_bad_input_exits_2_with_a_precise_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = _write(tmp_path / "ref.csv", 0.0, 1)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["data", "drift", "--reference", str(reference), "--current", str(empty)]) == 2
    err = capsys.readouterr().err
    assert f"error: {empty}: the file is empty (0 bytes)" in err
    assert "Traceback" not in err
    args = ["data", "drift", "--reference", str(reference), "--current", str(reference),
            "--columns", "nope"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{reference}:1:1: nope: drift column 'nope' is not in the file" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--threshold", "0"], "--threshold must be a number > 0, not 0.0"),
        (["--threshold", "nan"], "--threshold must be a number > 0, not nan"),
        (["--method", "ks", "--threshold", "5"], "--threshold 5 with ks: a p-value is at most 1"),
    ],
)
def test_drift_threshold_that_means_nothing_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    reference = _write(tmp_path / "ref.csv", 0.0, 1)
    args = ["data", "drift", "--reference", str(reference), "--current", str(reference)]
    assert main([*args, *options]) == 2
    assert f"error: {message}" in capsys.readouterr().err


def test_drift_with_a_config_uses_the_model_rules(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = workspace / "current.csv"
    current.write_text(GOOD.replace(",pro,", ",basic,"), encoding="utf-8")
    args = ["data", "drift", "-c", str(workspace / "mlops.yaml"), "--current", str(current),
            "--json"]
    code = main(args)
    payload = json.loads(capsys.readouterr().out)
    assert [c["column"] for c in payload["columns"]] == ["tenure", "plan"]  # target excluded
    assert payload["reference"].endswith("train.csv")
    assert code == 1 and payload["drifted_columns"] == ["plan"]


def test_the_module_entry_point_runs_drift(tmp_path: Path) -> None:
    reference = _write(tmp_path / "ref.csv", 0.0, 1)
    done = subprocess.run(
        [sys.executable, "-m", "mlops_ci", "data", "drift", "--reference", str(reference),
         "--current", str(reference), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["drifted"] is False


cells = st.one_of(
    st.sampled_from(["1", "2.5", "", "nan", "inf", "-inf", "x", '"a,b"', '"q""q"', "true"]),
    st.text(alphabet="01a ,\"'\n<|`", max_size=4),
)
raw = st.binary(max_size=6)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.lists(cells, min_size=2, max_size=2), max_size=6),
    st.lists(st.lists(cells, min_size=2, max_size=2), max_size=6),
    raw,
)
def test_drift_never_crashes_on_odd_csv_files(
    tmp_path: Path, reference_rows: list[list[str]], current_rows: list[list[str]], junk: bytes
) -> None:
    reference = tmp_path / "r.csv"
    current = tmp_path / "c.csv"
    reference.write_text("a,b\n" + "".join(f"{x},{y}\n" for x, y in reference_rows),
                         encoding="utf-8")
    current.write_bytes(b"a,b\n" + "".join(f"{x},{y}\n" for x, y in current_rows).encode()
                        + junk)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["data", "drift", "--reference", str(reference), "--current", str(current)],
                     stderr=err)
    assert code in (0, 1, 2), err.getvalue()
    assert "internal error" not in err.getvalue()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cells, min_size=3, max_size=3), max_size=6), raw)
def test_validate_never_crashes_on_odd_csv_files(
    workspace: Path, rows: list[list[str]], junk: bytes
) -> None:
    odd = workspace / "odd.csv"
    odd.write_bytes(b"tenure,plan,churned\n" + "".join(",".join(r) + "\n" for r in rows).encode()
                    + junk)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["data", "validate", "-c", str(workspace / "mlops.yaml"), str(odd)],
                    stderr=err)
    assert code in (0, 1, 2), err.getvalue()
    assert "internal error" not in err.getvalue()


HOSTILE_COLUMNS = ["<b>x</b>", "a|b", "*x*", "evil\x1b[31m\nred"]
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _write_hostile(path: Path, shift: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(200, len(HOSTILE_COLUMNS))) + shift
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HOSTILE_COLUMNS)
        writer.writerows([[f"{x:.5f}" for x in row] for row in values])
    return path


def test_drift_prints_hostile_column_names_readably_and_no_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = _write_hostile(tmp_path / "ref.csv", 0.0, 1)
    current = _write_hostile(tmp_path / "cur.csv", 3.0, 2)
    assert main(["data", "drift", "--reference", str(reference), "--current", str(current)]) == 1
    out = capsys.readouterr().out
    assert RAW_CONTROL.search(out) is None, repr(out)
    rows = out.splitlines()
    for shown in ["<b>x</b>", "a|b", "*x*", r"evil\x1b[31m\nred"]:
        assert any(row.startswith(shown + " ") and row.endswith("🔴 drift") for row in rows), out
    assert "&lt;" not in out and "\\|" not in out and "\\*" not in out and "###" not in out


def test_drift_json_keeps_hostile_column_names_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = _write_hostile(tmp_path / "ref.csv", 0.0, 1)
    current = _write_hostile(tmp_path / "cur.csv", 3.0, 2)
    args = ["data", "drift", "--reference", str(reference), "--current", str(current), "--json"]
    assert main(args) == 1
    out = capsys.readouterr().out
    # the current file is streamed (as in ``monitor``)
    expected = to_json(drift_stream(reference, open_parts([current]), DriftSpec()))
    assert out == json.dumps(expected, indent=2) + "\n"  # the JSON is to_json's, untouched
    assert [c["column"] for c in json.loads(out)["columns"]] == HOSTILE_COLUMNS
    assert RAW_CONTROL.search(out.replace("\n", "")) is None  # escaped as \u001b by JSON


def test_validate_prints_hostile_column_names_readably_and_no_control_characters(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = workspace / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tenure", "plan", "churned", *HOSTILE_COLUMNS])
        writer.writerow(["1", "gold\x1b[2J", "0", "1", "2", "3", "4"])
    code = main(["data", "validate", "-c", str(workspace / "mlops.yaml"), str(bad)])
    assert code == 1
    out = capsys.readouterr().out
    assert RAW_CONTROL.search(out) is None, repr(out)
    assert out.startswith(f"Data validation: {bad}: 🔴 5 errors\n")
    assert "column '<b>x</b>' is not in the schema" in out
    assert "column 'a|b' is not in the schema" in out and "column '*x*' is not" in out
    assert r"column 'evil\x1b[31m\nred' is not in the schema" in out
    assert r"'gold\x1b[2J' (line 2)" in out
    assert "&lt;" not in out and "\\|" not in out and "\\*" not in out
