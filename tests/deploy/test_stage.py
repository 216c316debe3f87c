"""The deploy stage on the fake GitHub with the command target: statuses, reruns, rollback,
and a model fetch that fails before any deployment is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import StageName
from mlops_ci.digest import sha256_file
from mlops_ci.errors import EXIT_EXTERNAL_ERROR, EXIT_USER_ERROR, MlopsError
from mlops_ci.forge.checksums import SUMS_NAME, render_sha256sums
from mlops_ci.forge.protocol import AssetFile
from mlops_ci.planner import build_plan
from mlops_ci.stages.base import StageResult, Status
from mlops_ci.stages.deploy import DeployStage
from tests.deploy.workspace import REPO, DeployWorkspace, git, make_workspace
from tests.fakegithub import FakeGitHub, Fault
from tests.fakegithub.state import Asset

ENV = "churn-production"


def statuses(fake: FakeGitHub, version: str) -> list[str]:
    for deployment in fake.repo(REPO).deployments:
        if deployment.payload.get("mlops_ci_version") == version:
            return [s.state for s in fake.repo(REPO).deployment_statuses(deployment.id)]
    raise AssertionError(f"no deployment of {version}")


def deploy(workspace: DeployWorkspace, tag: str, *, model: str = "churn",
           **environ: str) -> StageResult:
    """The deploy stage run for the push of ``tag``, with its plan step as ``mlops-ci run``
    passes it (none when the plan has no deploy step for ``model``)."""
    forge = workspace.forge()
    try:
        event = workspace.tag_event(tag)
        steps = [step for step in build_plan(workspace.config, event).steps
                 if step.model == model and step.stage is StageName.DEPLOY]
        context = replace(workspace.context(event, forge, **environ),
                          step=steps[0] if steps else None)
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


# A fetch that fails deploys nothing ---------------------------------------------------------

Fix = Callable[[], None]


def github_down(workspace: DeployWorkspace, tag: str, model_file: Path, scratch: Path) -> Fix:
    """Every read of the release answers 503, past the retries."""
    workspace.fake.inject(Fault.HTTP_503, method="GET", path_regex="/releases/tags/", times=100)
    return workspace.fake.clear_faults


def asset_missing(workspace: DeployWorkspace, tag: str, model_file: Path, scratch: Path) -> Fix:
    """The model file was deleted from the release; the fix uploads it again."""
    forge = workspace.forge()
    (asset,) = fake_assets(workspace, tag)
    forge.api.delete_if_present(f"{forge.api.repo}/releases/assets/{asset.id}")
    forge.close()
    return lambda: publish(workspace, tag, [AssetFile("model.skops", model_file)])


def asset_tampered(workspace: DeployWorkspace, tag: str, model_file: Path, scratch: Path) -> Fix:
    """The release's SHA256SUMS names the registered file; the stored bytes differ from it."""
    sums = scratch / SUMS_NAME
    sums.write_text(render_sha256sums({"model.skops": sha256_file(model_file)}))
    publish(workspace, tag, [AssetFile("model.skops", model_file), AssetFile(SUMS_NAME, sums)])
    (asset,) = [a for a in fake_assets(workspace, tag) if a.name == "model.skops"]
    original = asset.data
    asset.data = b"not the registered model"
    return lambda: setattr(asset, "data", original)


def fake_assets(workspace: DeployWorkspace, tag: str) -> list[Asset]:
    state = workspace.fake.repo(REPO)
    (release,) = [r for r in state.releases if r.tag_name == tag]
    return state.assets(release.id)


def publish(workspace: DeployWorkspace, tag: str, files: list[AssetFile]) -> None:
    forge = workspace.forge()
    try:
        assert forge.ensure_release(tag, "churn v1.0.0", "model card", files).published
    finally:
        forge.close()


BREAKAGES = [
    pytest.param(github_down, EXIT_EXTERNAL_ERROR, id="github-down"),
    pytest.param(asset_missing, EXIT_USER_ERROR, id="asset-missing"),
    pytest.param(asset_tampered, EXIT_USER_ERROR, id="asset-tampered"),
]


@pytest.mark.parametrize(("breakage", "exit_code"), BREAKAGES)
def test_a_failed_model_fetch_leaves_no_deployment_and_no_status(
    fake_github: FakeGitHub,
    tmp_path: Path,
    churn_model_file: Path,
    breakage: Callable[[DeployWorkspace, str, Path, Path], Fix],
    exit_code: int,
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    registration = workspace.register("v1.0.0", churn_model_file)
    promotion = workspace.promote("v1.0.0")
    breakage(workspace, registration, churn_model_file, tmp_path)

    with pytest.raises(MlopsError) as raised:
        deploy(workspace, promotion)

    assert raised.value.exit_code == exit_code
    assert registration in raised.value.message
    assert fake_github.repo(REPO).deployments == []
    assert [w for w in fake_github.writes() if "/deployments" in w.path] == []
    assert workspace.calls() == []


@pytest.mark.parametrize(("breakage", "exit_code"), BREAKAGES)
def test_rerun_after_a_fixed_fetch_deploys_once_with_statuses_in_order(
    fake_github: FakeGitHub,
    tmp_path: Path,
    churn_model_file: Path,
    breakage: Callable[[DeployWorkspace, str, Path, Path], Fix],
    exit_code: int,
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    registration = workspace.register("v1.0.0", churn_model_file)
    promotion = workspace.promote("v1.0.0")
    fix = breakage(workspace, registration, churn_model_file, tmp_path)
    with pytest.raises(MlopsError):
        deploy(workspace, promotion)
    fix()

    result = deploy(workspace, promotion)
    again = deploy(workspace, promotion)

    assert result.status is Status.PASSED, result.summary
    assert "deployed already; nothing to do" in again.summary
    [deployment] = fake_github.repo(REPO).deployments
    assert deployment.ref == registration
    assert statuses(fake_github, "v1.0.0") == ["queued", "in_progress", "success"]
    assert [c["MLOPS_ACTION"] for c in workspace.calls()] == ["deploy"]


def test_the_deploy_gets_the_requirements_file_as_it_was_at_the_versions_commit(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    (workspace.root / "requirements.txt").write_text("scikit-learn>=1.0\n", encoding="utf-8")
    git(workspace.root, "add", "requirements.txt")
    workspace.register("v1.0.0", churn_model_file)  # commits it with the version
    (workspace.root / "requirements.txt").write_text("scikit-learn>=1.5\n", encoding="utf-8")
    workspace.config = load_config(workspace.root / "mlops.yaml")  # requirements.txt: the default

    result = deploy(workspace, workspace.promote("v1.0.0"))

    assert result.status is Status.PASSED, result.summary
    [call] = workspace.calls()
    assert Path(call["MLOPS_REQUIREMENTS_FILE"]).read_text() == "scikit-learn>=1.0\n"
