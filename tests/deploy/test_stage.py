"""The deploy stage on the fake GitHub with the command target: statuses, reruns, rollback."""

from __future__ import annotations

from pathlib import Path

from mlops_ci.config.model import StageName
from mlops_ci.digest import sha256_file
from mlops_ci.stages.base import StageResult, Status
from mlops_ci.stages.deploy import DeployStage
from tests.deploy.workspace import REPO, DeployWorkspace, make_workspace
from tests.fakegithub import FakeGitHub

ENV = "churn-production"


def statuses(fake: FakeGitHub, version: str) -> list[str]:
    for deployment in fake.repo(REPO).deployments:
        if deployment.payload.get("mlops_ci_version") == version:
            return [s.state for s in fake.repo(REPO).deployment_statuses(deployment.id)]
    raise AssertionError(f"no deployment of {version}")


def deploy(workspace: DeployWorkspace, tag: str, *, model: str = "churn",
           **environ: str) -> StageResult:
    forge = workspace.forge()
    try:
        context = workspace.context(workspace.tag_event(tag), forge, **environ)
        return DeployStage().run(context, workspace.config.model(model))
    finally:
        forge.close()


def test_promotion_tag_deploys_that_version_with_statuses_in_order(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    workspace.register("v1.0.0", churn_model_file)
    promotion = workspace.promote("v1.0.0")

    result = deploy(workspace, promotion)

    assert result.status is Status.PASSED, result.summary
    assert result.stage is StageName.DEPLOY
    assert statuses(fake_github, "v1.0.0") == ["queued", "in_progress", "success"]
    [deployment] = fake_github.repo(REPO).deployments
    assert deployment.ref == "churn@v1.0.0"
    assert deployment.environment == ENV
    assert deployment.auto_merge is False
    assert deployment.required_contexts == []
    [call] = workspace.calls()
    assert call["MLOPS_MODEL_VERSION"] == "v1.0.0"
    assert call["MLOPS_STAGE"] == "production"
    assert call["MLOPS_ENVIRONMENT"] == ENV
    assert call["MLOPS_ACTION"] == "deploy"
    assert call["MLOPS_MODEL_NAME"] == "churn"
    assert sha256_file(Path(call["MLOPS_MODEL_FILE"])) == sha256_file(churn_model_file)


def test_rerun_of_the_same_event_is_a_no_op_that_says_so(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    workspace.register("v1.0.0", churn_model_file)
    promotion = workspace.promote("v1.0.0")
    assert deploy(workspace, promotion).status is Status.PASSED
    writes_before = len(fake_github.writes())

    again = deploy(workspace, promotion)

    assert again.status is Status.PASSED
    assert "deployed already; nothing to do" in again.summary
    assert len(fake_github.writes()) == writes_before
    assert statuses(fake_github, "v1.0.0") == ["queued", "in_progress", "success"]
    assert len(workspace.calls()) == 1


def test_next_promotion_supersedes_the_previous_deployment(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    workspace.register("v1.0.0", churn_model_file)
    assert deploy(workspace, workspace.promote("v1.0.0")).status is Status.PASSED
    workspace.register("v1.1.0", churn_model_file)

    result = deploy(workspace, workspace.promote("v1.1.0"))

    assert result.status is Status.PASSED, result.summary
    assert statuses(fake_github, "v1.1.0") == ["queued", "in_progress", "success"]
    assert statuses(fake_github, "v1.0.0")[-1] == "inactive"


def test_failed_deploy_marks_failure_rolls_back_and_fails_the_stage(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    workspace.register("v1.0.0", churn_model_file)
    assert deploy(workspace, workspace.promote("v1.0.0")).status is Status.PASSED
    workspace.register("v1.1.0", churn_model_file)

    result = deploy(workspace, workspace.promote("v1.1.0"), FAIL_VERSION="v1.1.0")

    assert result.status is Status.FAILED
    assert "the cluster said no" in result.summary
    assert "rolled back to v1.0.0" in result.summary
    assert statuses(fake_github, "v1.1.0") == ["queued", "in_progress", "failure"]
    assert statuses(fake_github, "v1.0.0") == ["queued", "in_progress", "success"]
    actions = [(c["MLOPS_MODEL_VERSION"], c["MLOPS_ACTION"]) for c in workspace.calls()]
    assert actions == [("v1.0.0", "deploy"), ("v1.1.0", "deploy"), ("v1.0.0", "rollback")]


def test_an_event_that_promotes_nothing_skips(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    registration = workspace.register("v1.0.0", churn_model_file)
    fake_github.clear_requests()

    result = deploy(workspace, registration)

    assert result.status is Status.SKIPPED
    assert result.summary == "the event promotes no version"
    assert fake_github.writes() == []
