"""The drift stage says so when it has nothing to compare, through ``mlops-ci run``.

Measuring the training data against itself gives a table of zeros that can never flag
anything: the stage is skipped with that reason instead, until the data differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.commands.newuser import write_breast_cancer
from tests.commands.repos import git

TRIGGER = "  pull_request: [validate, drift, train, evaluate, report]"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cancer_project(root: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """``mlops-ci init`` on the breast cancer data, committed; a pull request checks its data."""
    repo = root / "cancer"
    write_breast_cancer(repo)
    write_breast_cancer(repo, "data/test.csv")
    git(repo, "init", "-q", "--initial-branch=main")
    assert run(capsys, "init", str(repo), "--model", "cancer")[0] == 0
    config = repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    assert TRIGGER in text
    config.write_text(text.replace(TRIGGER, "  pull_request: [validate, drift, report]"),
                      encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "mlops-ci init")
    return repo


def drift_line(out: str) -> str:
    lines = out.splitlines()
    return lines[lines.index("== [2/2] cancer: drift") + 1]


def test_drift_without_a_reference_is_skipped_as_the_data_against_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = cancer_project(tmp_path, capsys)
    config = repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("      reference: data/reference.csv", "      # no reference"),
                      encoding="utf-8")

    code, out, err = run(capsys, "run", "-c", str(config))

    assert code == 0, err
    assert drift_line(out).startswith(
        "skipped: nothing to compare: data.reference is not set, so the reference is the "
        "training data itself (data/train.csv)"
    )
    report = (repo / ".mlops/run/report.md").read_text(encoding="utf-8")
    assert "nothing to compare" in report


def test_drift_against_init_s_snapshot_waits_until_the_training_data_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = cancer_project(tmp_path, capsys)
    config = str(repo / "mlops.yaml")

    first = run(capsys, "run", "-c", config)
    train = repo / "data/train.csv"  # a pull request brings new rows
    write_breast_cancer(tmp_path / "more")
    lines = (tmp_path / "more/data/train.csv").read_text(encoding="utf-8").splitlines()[1:]
    with train.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines[:200]) + "\n")
    second = run(capsys, "run", "-c", config)

    assert first[0] == 0, first[2]
    assert drift_line(first[1]).startswith(
        "skipped: nothing to compare: the reference data (data/reference.csv) holds the same "
        "bytes as the training data (data/train.csv)"
    )
    assert second[0] == 0, second[2]
    assert "columns drifted" in drift_line(second[1])
