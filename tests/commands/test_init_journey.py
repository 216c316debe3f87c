"""A new user's first hour with ``mlops-ci init``, on scikit-learn's breast cancer data.

The workflows land where GitHub reads them (the repository's root) naming the config's path;
``--target`` without data still leaves a config ``validate`` accepts once the data is there;
and the drift baseline is a snapshot of the training data, not the training data itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from mlops_ci.cli import main
from tests.commands.newuser import write_breast_cancer
from tests.commands.repos import git


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository: the user's project before ``init``."""
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "--initial-branch=main")
    return path


def mlops_steps(workflow: Path) -> list[dict[str, object]]:
    """Every step of ``workflow`` that runs the mlops-ci action."""
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values()
    return [step for job in jobs for step in job["steps"]
            if str(step.get("uses", "")).startswith("mlops-ci/")]


def test_init_in_a_subfolder_writes_the_workflows_at_the_repository_root(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = repo / "ml"
    write_breast_cancer(folder)
    write_breast_cancer(folder, "data/test.csv")

    code, out, err = run(capsys, "init", str(folder), "--model", "cancer")

    assert (code, err) == (0, "")
    workflows = repo / ".github" / "workflows"
    assert not (folder / ".github").exists()
    steps = mlops_steps(workflows / "mlops.yml") + mlops_steps(workflows / "mlops-report.yml")
    assert len(steps) == 5
    assert {step["with"]["config"] for step in steps} == {"ml/mlops.yaml"}  # type: ignore[index]
    report_jobs = yaml.safe_load((workflows / "mlops-report.yml").read_text("utf-8"))["jobs"]
    download = report_jobs["report"]["steps"][1]
    assert download["with"]["path"] == "ml/.mlops/report-artifact"  # where the run reads it
    assert f"at the repository's root {repo}, where GitHub reads workflows" in out
    assert "they run `config: ml/mlops.yaml`" in out
    # the path the action joins to the workspace is the config init wrote
    assert run(capsys, "validate", "-c", str(repo / "ml/mlops.yaml"))[0] == 0


def test_init_at_the_root_names_mlops_yaml_as_before(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(repo))

    assert code == 0
    steps = mlops_steps(repo / ".github/workflows/mlops.yml")
    assert {step["with"]["config"] for step in steps} == {"mlops.yaml"}  # type: ignore[index]
    assert "at the repository's root" not in out


def test_init_outside_a_repository_says_where_github_needs_the_workflows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above
    folder = tmp_path / "ml"

    code, out, _ = run(capsys, "init", str(folder))

    assert code == 0
    assert (folder / ".github/workflows/mlops.yml").is_file()
    assert "this folder is not in a git repository" in out
    assert "GitHub reads workflows only from .github/workflows at the repository's root" in out


def test_init_with_a_target_and_no_data_declares_that_target_as_a_placeholder(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(repo), "--model", "cancer", "--target", "y")
    assert code == 0
    assert "data.columns holds placeholders (the target 'y'" in out
    # the user brings their data, with the target named as they said
    write_breast_cancer(repo, target="y")
    write_breast_cancer(repo, "data/test.csv", target="y")

    code, out, err = run(capsys, "validate", "-c", str(repo / "mlops.yaml"))

    assert (code, err) == (0, "")
    assert "is valid: 1 model (cancer)" in out


def test_init_snapshots_the_training_data_as_the_drift_reference(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = write_breast_cancer(repo)

    code, out, _ = run(capsys, "init", str(repo), "--model", "cancer")

    assert code == 0
    config = yaml.safe_load((repo / "mlops.yaml").read_text(encoding="utf-8"))
    assert config["models"]["cancer"]["data"]["reference"] == "data/reference.csv"
    assert (repo / "data/reference.csv").read_bytes() == train.read_bytes()
    assert f"wrote {repo / 'data/reference.csv'}: a copy of {train}, the drift baseline " \
        "(data.reference); commit it" in out


def test_init_uses_a_reference_file_that_is_there_and_never_overwrites_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_breast_cancer(repo)
    (repo / "data/reference.csv").write_text("mine\n", encoding="utf-8")

    code, out, _ = run(capsys, "init", str(repo), "--model", "cancer", "--force")

    assert code == 0
    assert (repo / "data/reference.csv").read_text(encoding="utf-8") == "mine\n"
    assert "reference: data/reference.csv" in (repo / "mlops.yaml").read_text(encoding="utf-8")
    assert "drift is measured against data/reference.csv" in out


def test_a_large_training_file_gives_a_seeded_sample_in_file_order(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 50_123
    (repo / "data").mkdir()
    (repo / "data/train.csv").write_text(
        "x,label\n" + "".join(f"{i},{i % 2}\n" for i in range(rows)), encoding="utf-8"
    )

    code, out, _ = run(capsys, "init", str(repo))

    assert code == 0
    with (repo / "data/reference.csv").open(newline="", encoding="utf-8") as handle:
        sample = list(csv.reader(handle))
    numbers = [int(row[0]) for row in sample[1:]]
    assert sample[0] == ["x", "label"]
    assert len(numbers) == 50_000 and numbers == sorted(set(numbers))
    assert "a sample of 50,000 of the 50,123 rows of" in out


def test_init_without_a_training_script_lets_mlops_ci_fit_an_estimator(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_breast_cancer(repo)
    write_breast_cancer(repo, "data/test.csv")

    assert run(capsys, "init", str(repo), "--model", "cancer")[0] == 0

    train = yaml.safe_load((repo / "mlops.yaml").read_text("utf-8"))["models"]["cancer"]["train"]
    assert train["estimator"]["class"] == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert "command" not in train  # it names a train.py that is not there: left as a comment
    assert run(capsys, "validate", "-c", str(repo / "mlops.yaml"))[0] == 0


def test_init_beside_a_training_script_runs_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_breast_cancer(repo)
    write_breast_cancer(repo, "data/test.csv")
    (repo / "train.py").write_text("print('training')\n", encoding="utf-8")

    assert run(capsys, "init", str(repo), "--model", "cancer")[0] == 0

    train = yaml.safe_load((repo / "mlops.yaml").read_text("utf-8"))["models"]["cancer"]["train"]
    assert train["command"] == ["python", "train.py"]
    assert "estimator" not in train
    assert run(capsys, "validate", "-c", str(repo / "mlops.yaml"))[0] == 0
