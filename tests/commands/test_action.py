"""``mlops-ci action``: the action's inputs become one command; the token is masked first."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.commands.repos import ACTION_RUNNER_VARIABLES

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops_ci" / "examples" / "churn"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "models" / "churn", ignore=shutil.ignore_patterns("out"))
    monkeypatch.chdir(tmp_path)
    for name in ("COMMAND", "CONFIG", "MODEL", "DRY_RUN", "VERSION", "STAGE", "CANARY",
                 "GITHUB_TOKEN", "PULL_REQUEST_REPORT"):
        monkeypatch.delenv(f"INPUT_{name}", raising=False)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", "models/churn")
    return tmp_path


def run_action() -> tuple[int, str]:
    err = io.StringIO()
    return main(["action"], stderr=err), err.getvalue()


def test_validate_through_the_inputs_masks_the_token_first(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPUT_COMMAND", "validate")
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", "ghs_secret0123456789")
    code, err = run_action()
    out = capsys.readouterr().out
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "::add-mask::ghs_secret0123456789"
    assert "mlops.yaml is valid" in out


def test_working_directory_outside_the_workspace_is_refused(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INPUT_COMMAND", "validate")
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", "../..")
    code, err = run_action()
    assert code == 2
    assert "leaves the workspace" in err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COMMAND", "deploy-everything", "is not one of run, validate, plan, monitor, promote"),
        ("DRY_RUN", "maybe", "action input dry_run: 'maybe' is not true or false"),
        ("PULL_REQUEST_REPORT", "sometimes",
         "action input pull_request_report: 'sometimes' is not one of artifact, comment"),
        ("CANARY", "finish", "action input canary: 'finish' is not one of none, complete, "
         "rollback"),
    ],
)
def test_bad_inputs_exit_2_with_the_input_named(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"INPUT_{name}", value)
    code, err = run_action()
    assert code == 2
    assert message in err


def test_promote_needs_model_version_and_stage(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INPUT_COMMAND", "promote")
    monkeypatch.setenv("INPUT_MODEL", "churn")
    code, err = run_action()
    assert code == 2
    assert "needs the inputs model, version and stage" in err


def test_the_action_runs_in_its_working_directory_and_leaves_the_cwd_alone(
    workspace: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere").resolve()
    monkeypatch.chdir(elsewhere)
    for name in ACTION_RUNNER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INPUT_COMMAND", "run")
    monkeypatch.setenv("INPUT_DRY_RUN", "true")

    code, err = run_action()

    assert (code, err) == (0, "")
    assert Path.cwd() == elsewhere
    assert (workspace / "models" / "churn" / ".mlops" / "run" / "report.md").is_file()
    assert list(elsewhere.iterdir()) == []
