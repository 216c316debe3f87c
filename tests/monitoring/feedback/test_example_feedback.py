"""The example end to end: register (with the calibrator), promote, then monitor feedback.

A real push run of the example (train.py, evaluate, register into the local outbox), a real
promotion tag, then ``mlops-ci monitor`` on the example's labelled production samples:

- ``feedback/flipped.csv``: the same customers as ``labelled.csv`` (so the same features, and
  no drift), the churn label of the ``west`` region flipped: live quality drops, the one issue
  opens with the live metrics and their trend;
- ``feedback/labelled.csv``: unchanged labels: live quality holds, the issue closes.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.commands.monitor import MonitorRequest, monitor
from mlops_ci.commands.run import RunRequest, execute
from mlops_ci.monitoring.history import parse_history
from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import EXAMPLE, example_repo, git
from tests.monitoring.feedback.counted import assert_live_close

FEEDBACK = Path("data") / "feedback"


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example registered by a push run (outbox forge) and promoted to production."""
    root = tmp_path_factory.mktemp("registered")
    repo = example_repo(root)
    head = git(repo, "rev-parse", "HEAD")
    event = root / "push.json"
    event.write_text(json.dumps({
        "ref": "refs/heads/main", "before": "0" * 40, "after": head,
        "repository": {"full_name": "octo/churn", "default_branch": "main"},
        "sender": {"login": "alice"},
    }), encoding="utf-8")
    environ = {"PATH": "/usr/bin:/bin", "GITHUB_EVENT_NAME": "push",
               "GITHUB_EVENT_PATH": str(event), "GITHUB_SHA": head, "GITHUB_RUN_ID": "100"}
    log = io.StringIO()
    outcome = execute(RunRequest(config=repo / "mlops.yaml"), environ=environ, out=log)
    assert outcome.exit_code == 0, log.getvalue()
    RegistryStore(repo, remote="origin").promote("churn", "v0.1.0", "production")
    shutil.copyfile(repo / "data" / "production_clean.csv", repo / "data" / "production.csv")
    return repo


@pytest.fixture
def repo(registered: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "churn"
    shutil.copytree(registered, copy, symlinks=True)
    return copy


def feedback_sample(repo: Path, name: str) -> None:
    """Make the monitored feedback file (``labelled.csv``) a copy of the example's ``name``."""
    source = EXAMPLE / FEEDBACK / name
    shutil.copyfile(source, repo / FEEDBACK / "labelled.csv")


def run_monitor(repo: Path, run_id: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = monitor(MonitorRequest(config=repo / "mlops.yaml", json=True),
                   environ={"GITHUB_RUN_ID": run_id}, out=out, remote=None)
    result: dict[str, Any] = json.loads(out.getvalue())["models"][0]
    return code, result


def outbox_issue(repo: Path) -> dict[str, Any]:
    [path] = (repo / ".mlops" / "outbox" / "issues").glob("*.json")
    issue: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return issue


def test_the_release_holds_the_calibrator_and_the_card_shows_its_quality(registered: Path) -> None:
    [release] = (registered / ".mlops" / "outbox" / "releases").iterdir()
    names = sorted(p.name for p in release.rglob("*") if p.is_file())
    assert "calibration.json" in names
    calibration = json.loads(next(release.rglob("calibration.json")).read_text(encoding="utf-8"))
    assert calibration["method"] == "platt" and calibration["fitted_on"] == "data/test.csv"
    assert 0 < calibration["quality"]["ece"] < 0.1
    card = next(release.rglob("model-card.md")).read_text(encoding="utf-8")
    assert "## Calibration" in card and "expected calibration error" in card
    sums = next(release.rglob("SHA256SUMS")).read_text(encoding="utf-8")
    assert "calibration.json" in sums


def test_flipped_labels_of_one_segment_drop_live_quality_without_drift(repo: Path) -> None:
    feedback_sample(repo, "flipped.csv")
    shutil.copyfile(repo / FEEDBACK / "labelled.csv", repo / "data" / "production.csv")

    code, result = run_monitor(repo, "301")

    assert code == 1
    assert result["drifted"] is False  # the features are the unchanged population
    live = result["feedback"]["live"]
    assert live["rows"] == 1000 and live["dropped"] is True
    dropped = {m["metric"] for m in live["metrics"] if m["dropped"]}
    assert dropped == {"accuracy", "roc_auc"}
    issue = outbox_issue(repo)
    assert issue["state"] == "open"
    assert issue["title"] == "Live quality dropped for churn v0.1.0 in production"
    assert issue["labels"] == ["mlops", "quality"]  # a quality drop is not drift
    assert "🟢 no drift" in issue["body"] and "🔴 live quality dropped" in issue["body"]
    assert "estimated accuracy" in issue["body"] and "≈ 0." in issue["body"]
    [entry] = parse_history(issue["body"]).entries
    assert entry.quality_dropped and entry.labelled_rows == 1000
    assert dict(entry.live)["roc_auc"] < 0.75


def test_unchanged_labels_pass_and_close_the_issue(repo: Path) -> None:
    feedback_sample(repo, "flipped.csv")
    assert run_monitor(repo, "401")[0] == 1
    feedback_sample(repo, "labelled.csv")

    code, result = run_monitor(repo, "402")

    assert code == 0
    assert result["feedback"]["live"]["dropped"] is False
    issue = outbox_issue(repo)
    assert issue["state"] == "closed"
    entries = parse_history(issue["body"]).entries
    assert [e.run_id for e in entries] == ["401", "402"]
    assert [e.quality_dropped for e in entries] == [True, False]
    assert "Live roc\\_auc, oldest to newest" in issue["body"]


def test_too_few_labelled_rows_are_counted_and_not_judged(repo: Path) -> None:
    flipped = (repo / FEEDBACK / "flipped.csv").read_text(encoding="utf-8").splitlines()
    (repo / FEEDBACK / "labelled.csv").write_text("\n".join(flipped[:51]) + "\n",
                                                  encoding="utf-8")

    code, result = run_monitor(repo, "501")

    assert code == 0  # 50 flipped rows prove nothing yet
    live = result["feedback"]["live"]
    assert (live["rows"], live["enough"], live["metrics"]) == (50, False, [])


def test_the_terminal_shows_live_quality_as_plain_text(repo: Path) -> None:
    feedback_sample(repo, "flipped.csv")
    out = io.StringIO()

    code = monitor(MonitorRequest(config=repo / "mlops.yaml"), environ={"GITHUB_RUN_ID": "601"},
                   out=out, remote=None)

    text = out.getvalue()
    assert code == 1
    assert "🔴 live quality dropped (" in text and " on 1,000 labelled rows." in text
    assert "Estimated performance before labels (an estimate, not a measurement)" in text
    assert "≈ 0." in text and "platt calibration on " in text
    assert "###" not in text and "|---" not in text and "\\_" not in text


def parquet_log(repo: Path, *, drop: str | None = None) -> None:
    """The example's labelled rows as answered by the released model, logged as Parquet (two
    parts of a folder ``logs``), and the feedback pointed at it with the same file as labels."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import parquet as pq

    from mlops_ci.config.loader import load_config
    from mlops_ci.data.dataset import read_frame
    from mlops_ci.metrics import predict
    from mlops_ci.modelio import load_model

    [spec] = load_config(repo / "mlops.yaml").models
    frame = read_frame(spec.data, repo / FEEDBACK / "labelled.csv")
    model = load_model(next((repo / ".mlops" / "outbox" / "releases").glob(
        "churn@v0.1.0/assets/model.skops")), spec.evaluate.trusted_types)
    answers = predict(model, frame.drop(columns=[spec.data.target, "customer_id"]),
                      np.zeros(len(frame)), "classification")
    table = pa.table({
        "id": frame["customer_id"].astype(str), "time": [f"2026-11-20T{h % 24:02d}:00:00Z"
                                                        for h in range(len(frame))],
        "model": ["churn"] * len(frame), "version": ["v0.1.0"] * len(frame),
        "prediction": [v.item() for v in answers.y_pred],
        "probabilities": answers.proba.tolist(),
        "classes": [[c.item() if hasattr(c, "item") else c for c in answers.classes]] * len(frame),
    })
    if drop:
        table = table.drop_columns([drop])
    (repo / "logs" / "day=1").mkdir(parents=True)
    (repo / "logs" / "day=2").mkdir()
    half = len(frame) // 2
    pq.write_table(table.slice(0, half), repo / "logs" / "day=1" / "part-0.parquet")
    pq.write_table(table.slice(half), repo / "logs" / "day=2" / "part-0.parquet")
    config = repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    old = "data: [data/feedback/labelled.csv]"
    assert old in text
    config.write_text(text.replace(old, "prediction_log: [logs]\n        labels: "
                                        "[data/feedback/labelled.csv]"), encoding="utf-8")


def test_a_parquet_prediction_log_gives_the_live_quality_of_the_scored_rows(repo: Path) -> None:
    feedback_sample(repo, "flipped.csv")
    _, scored = run_monitor(repo, "401")
    parquet_log(repo)

    code, logged = run_monitor(repo, "402")

    assert code == 1
    ours, theirs = logged["feedback"]["live"], scored["feedback"]["live"]
    assert ours["rows"] == theirs["rows"] >= 200
    assert_live_close(ours["metrics"], theirs["metrics"])
    assert ours["dropped"] and theirs["dropped"]
    assert logged["feedback"]["join"]["matched"] == theirs["rows"]


def test_a_parquet_prediction_log_without_its_id_column_exits_2_naming_file_and_column(
    repo: Path,
) -> None:
    from mlops_ci.cli import main

    parquet_log(repo, drop="id")
    err = io.StringIO()
    code = main(["monitor", "-c", str(repo / "mlops.yaml"), "--dry-run"], stderr=err)

    assert code == 2, err.getvalue()
    assert "logs/day=1/part-0.parquet:1:1: id: the prediction log's column 'id' is missing" \
        in err.getvalue()
    assert "Traceback" not in err.getvalue()


def parquet_data(repo: Path, *, drop: str | None = None) -> None:
    """The monitored labelled rows as a Parquet file, which ``feedback.data`` then names."""
    from pyarrow import csv
    from pyarrow import parquet as pq

    table = csv.read_csv(repo / FEEDBACK / "labelled.csv")
    if drop:
        table = table.drop_columns([drop])
    pq.write_table(table, repo / FEEDBACK / "labelled.parquet", row_group_size=100)
    config = repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    old = "data: [data/feedback/labelled.csv]"
    assert old in text
    config.write_text(text.replace(old, "data: [data/feedback/labelled.parquet]"),
                      encoding="utf-8")


def test_parquet_feedback_data_streamed_gives_the_live_quality_of_the_csv(repo: Path) -> None:
    feedback_sample(repo, "flipped.csv")
    _, whole = run_monitor(repo, "501")
    parquet_data(repo)

    code, streamed = run_monitor(repo, "502")

    assert code == 1
    ours, theirs = streamed["feedback"]["live"], whole["feedback"]["live"]
    assert streamed["feedback"]["source"] == "data/feedback/labelled.parquet"
    assert ours["rows"] == theirs["rows"] >= 200
    assert_live_close(ours["metrics"], theirs["metrics"])
    assert ours["dropped"] and theirs["dropped"]


def test_parquet_feedback_data_without_a_model_column_exits_2_naming_file_and_column(
    repo: Path,
) -> None:
    from mlops_ci.cli import main

    parquet_data(repo, drop="tenure_months")
    err = io.StringIO()
    code = main(["monitor", "-c", str(repo / "mlops.yaml"), "--dry-run"], stderr=err)

    assert code == 2, err.getvalue()
    assert ("data/feedback/labelled.parquet:1:1: tenure_months: the model's column "
            "'tenure_months' is missing") in err.getvalue()
    assert "Traceback" not in err.getvalue()


def joined_data(repo: Path, *, drop: str | None = None) -> None:
    """``feedback.data`` the monitored rows (without ``drop``), their labels joined by
    ``customer_id`` from a copy of them, ``labels.csv``."""
    import pandas as pd

    shutil.copyfile(repo / FEEDBACK / "labelled.csv", repo / FEEDBACK / "labels.csv")
    if drop:
        rows = pd.read_csv(repo / FEEDBACK / "labelled.csv", dtype=str, keep_default_na=False)
        rows.drop(columns=[drop]).to_csv(repo / FEEDBACK / "labelled.csv", index=False)
    config = repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    old = "data: [data/feedback/labelled.csv]"
    assert old in text
    config.write_text(text.replace(old, old + "\n        labels: [data/feedback/labels.csv]"),
                      encoding="utf-8")


def test_feedback_data_joined_to_labels_by_id_is_streamed_not_read_whole(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_ci.monitoring.feedback import measure

    feedback_sample(repo, "flipped.csv")
    _, own_target = run_monitor(repo, "701")
    joined_data(repo)

    def read_whole(*_: Any, **__: Any) -> Any:
        raise AssertionError("feedback.data joined by id was read whole")

    monkeypatch.setattr(measure, "rows_from_data", read_whole)
    code, joined = run_monitor(repo, "702")

    assert code == 1
    ours, theirs = joined["feedback"]["live"], own_target["feedback"]["live"]
    assert ours["rows"] == theirs["rows"] == joined["feedback"]["join"]["matched"] >= 200
    assert_live_close(ours["metrics"], theirs["metrics"])
    assert ours["dropped"] and theirs["dropped"]


def test_feedback_data_without_the_id_column_joining_labels_exits_2_naming_file_and_column(
    repo: Path,
) -> None:
    from mlops_ci.cli import main

    joined_data(repo, drop="customer_id")
    err = io.StringIO()
    code = main(["monitor", "-c", str(repo / "mlops.yaml"), "--dry-run"], stderr=err)

    assert code == 2, err.getvalue()
    assert ("data/feedback/labelled.csv:1:1: customer_id: the id column joining the labels "
            "'customer_id' is missing") in err.getvalue()
    assert "Traceback" not in err.getvalue()
