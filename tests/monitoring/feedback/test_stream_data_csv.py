"""``monitor.feedback.data`` in CSV, scored in batches: the results of the files read whole.

The rows, model and calibrator of ``test_stream_data`` written as CSV files; the streamed path
reads them in batches of 1,000 rows (``BATCH_ROWS`` made small).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_ci.errors import InputProblems
from mlops_ci.monitoring.feedback import stream_data
from mlops_ci.monitoring.feedback.check import assess
from mlops_ci.monitoring.feedback.live_counts import AUC_TOLERANCE
from mlops_ci.monitoring.feedback.sources import rows_from_data
from mlops_ci.monitoring.feedback.stream_data import assess_streamed_data, is_streamed_data
from tests.monitoring.feedback.counted import allowed
from tests.monitoring.feedback.test_stream_data import (
    DATA,
    METRICS,
    SPEC,
    _model,
    _named,
    _rows,
)


def _write_csv(root: Path, frame: Any, files: int = 2) -> list[Path]:
    folder = root / "production"
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(frame) // files)
    paths = []
    for part in range(files):
        path = folder / f"part-{part}.csv"
        frame.iloc[part * size:(part + 1) * size].to_csv(path, index=False)
        paths.append(path)
    return paths


def _assess(files: Any, model: Any, calibrator: Any) -> Any:
    return assess_streamed_data(SPEC, DATA, model_object=model, files=files, metric_names=METRICS,
                               registered={"accuracy": 0.8}, calibrator=calibrator,
                               calibrator_note=None, positive_class=1)


def test_csv_data_streamed_gives_the_results_of_the_files_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``x1`` is not declared: its first 3,000 rows hold whole numbers, so pyarrow's streaming
    reader alone would take it for an integer column and fail on the first fraction."""
    import numpy as np

    model, calibrator = _model()
    frame = _rows(12_000, 3, 0.3)
    frame["x1"] = frame["x1"].astype(object)
    frame.loc[:2_999, "x1"] = [round(v) for v in frame.loc[:2_999, "x1"]]
    _write_csv(tmp_path, frame)
    files = _named(tmp_path)
    assert is_streamed_data(files)
    whole_rows = rows_from_data(SPEC, DATA, model_object=model, files=files, labels=())
    whole = assess(whole_rows, spec=SPEC, metric_names=METRICS, registered={"accuracy": 0.8},
                   calibrator=calibrator, positive_class=1)
    monkeypatch.setattr(stream_data, "BATCH_ROWS", 1_000)

    streamed = _assess(files, model, calibrator)

    assert streamed.live.rows == whole.live.rows > 1_000
    for mine, theirs in zip(streamed.live.checks, whole.live.checks, strict=True):
        assert mine.live.value == pytest.approx(
            theirs.live.value, abs=allowed(mine.name, theirs.live.value)), mine.name
    assert [e.window for e in streamed.estimates] == [e.window for e in whole.estimates]
    for mine, theirs in zip(streamed.estimates, whole.estimates, strict=True):
        assert (mine.rows, mine.labelled) == (theirs.rows, theirs.labelled)
        assert mine.accuracy.value == pytest.approx(theirs.accuracy.value, abs=1e-9)
        assert mine.realised_roc_auc == pytest.approx(theirs.realised_roc_auc, abs=AUC_TOLERANCE)
    assert np.isfinite([e.roc_auc.value for e in streamed.estimates]).all()


def test_a_bad_cell_names_the_file_the_column_and_the_line_as_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, calibrator = _model()
    frame = _rows(4_000, 3, 0.3)
    frame["visits"] = frame["visits"].astype(object)
    frame.loc[2_345, "visits"] = "many"
    [path] = _write_csv(tmp_path, frame, files=1)
    files = _named(tmp_path)
    monkeypatch.setattr(stream_data, "BATCH_ROWS", 1_000)

    with pytest.raises(InputProblems) as streamed:
        _assess(files, model, calibrator)
    with pytest.raises(InputProblems) as whole:
        rows_from_data(SPEC, DATA, model_object=model, files=files, labels=())

    assert streamed.value.exit_code == 2
    assert [(p.file, p.line, p.column, p.path, p.message) for p in streamed.value.problems] == [
        (p.file, p.line, p.column, p.path, p.message) for p in whole.value.problems]
    [problem] = streamed.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 2_347, "visits")
    assert "'many' (line 2347)" in problem.message


def test_a_csv_file_without_a_model_column_names_the_file_and_the_column(
    tmp_path: Path,
) -> None:
    model, calibrator = _model()
    _write_csv(tmp_path, _rows(500, 3, 0.5).drop(columns=["visits"]))

    with pytest.raises(InputProblems) as raised:
        _assess(_named(tmp_path), model, calibrator)

    [problem, *_] = raised.value.problems
    assert (problem.file, problem.path) == ("production/part-0.csv", "visits")
    assert "the model's column 'visits' is missing" in problem.message
    assert raised.value.exit_code == 2
