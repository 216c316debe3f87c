"""A deploy converges on the registry: a replayed promotion deploys what the stage holds now,
and a promotion whose deploy cannot work writes no stage tag.

Real git repositories (with a bare remote where pushes matter), the command target running a
real script, the fake GitHub through PyGithub.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlops_ci.commands.plan import superseded_notes
from mlops_ci.config.model import StageName
from mlops_ci.errors import EXIT_USER_ERROR, UserError
from mlops_ci.planner import build_plan
from mlops_ci.registry.store import RegistryStore
from mlops_ci.stages.base import Status
from mlops_ci.stages.deploy import DeployStage
from tests.deploy.test_promotion_events import dispatch_event
from tests.deploy.test_stage import deploy, statuses
from tests.deploy.workspace import (
    REPO,
    DeployWorkspace,
    command_environment,
    git,
    make_workspace,
)
from tests.fakegithub import FakeGitHub


def two_versions(tmp_path: Path, fake_github: FakeGitHub, model_file: Path) -> DeployWorkspace:
    """A repository with v1.0.0 and v1.1.0 registered and nothing promoted yet."""
    workspace = make_workspace(tmp_path / "repo", fake_github)
    workspace.register("v1.0.0", model_file)
    workspace.register("v1.1.0", model_file)
    return workspace


def test_replayed_superseded_promotion_keeps_the_current_version_deployed(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = two_versions(tmp_path, fake_github, churn_model_file)
    first = workspace.promote("v1.0.0")
    assert deploy(workspace, first).status is Status.PASSED
    second = workspace.promote("v1.1.0")
    assert deploy(workspace, second).status is Status.PASSED

    replay = deploy(workspace, first)

    assert replay.status is Status.PASSED, replay.summary
    assert f"{first} is superseded by {second}" in replay.summary
    assert "deploys v1.1.0, not v1.0.0" in replay.summary
    assert "v1.1.0 is deployed already; nothing to do" in replay.summary
    assert dict(replay.outputs)["deployed_version"] == "v1.1.0"
    assert [c["MLOPS_MODEL_VERSION"] for c in workspace.calls()] == ["v1.0.0", "v1.1.0"]
    assert statuses(fake_github, "v1.1.0") == ["queued", "in_progress", "success"]
    assert statuses(fake_github, "v1.0.0")[-1] == "inactive"


def test_replay_converges_when_the_current_version_is_not_deployed_yet(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    """#1's run is queued late, after #2 was written but before #2's run: it deploys v1.1.0,
    and its GitHub deployment is for v1.1.0, saying which promotion superseded the event's."""
    workspace = two_versions(tmp_path, fake_github, churn_model_file)
    first = workspace.promote("v1.0.0")
    second = workspace.promote("v1.1.0")

    late = deploy(workspace, first)

    assert late.status is Status.PASSED, late.summary
    assert [c["MLOPS_MODEL_VERSION"] for c in workspace.calls()] == ["v1.1.0"]
    [deployment] = fake_github.repo(REPO).deployments
    assert deployment.ref == "churn@v1.1.0"
    [queued, *_] = fake_github.repo(REPO).deployment_statuses(deployment.id)
    assert f"superseded by {second}" in queued.description
    assert deploy(workspace, second).summary.endswith("v1.1.0 is deployed already; nothing to do")


def test_dry_run_of_a_superseded_promotion_names_the_version_the_real_run_deploys(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = two_versions(tmp_path, fake_github, churn_model_file)
    first = workspace.promote("v1.0.0")
    second = workspace.promote("v1.1.0")
    forge = workspace.forge()
    try:
        event = workspace.tag_event(first)
        [step] = [s for s in build_plan(workspace.config, event).steps
                  if s.stage is StageName.DEPLOY]
        context = dataclasses.replace(workspace.context(event, forge), step=step, dry_run=True)
        dry = DeployStage().run(context, workspace.config.model("churn"))
    finally:
        forge.close()

    assert dry.status is Status.SKIPPED
    assert dry.summary.startswith("dry run: would deploy v1.1.0 to churn-production")
    assert f"{first} is superseded by {second}" in dry.summary
    assert workspace.calls() == [] and fake_github.repo(REPO).deployments == []
    real = deploy(workspace, first)  # and the real run does what the dry run said
    assert dict(real.outputs)["deployed_version"] == "v1.1.0"
    assert [c["MLOPS_MODEL_VERSION"] for c in workspace.calls()] == ["v1.1.0"]


def test_plan_of_a_promotion_tag_says_it_deploys_what_the_stage_holds(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    workspace.register("v1.0.0", churn_model_file)
    promotion = workspace.promote("v1.0.0")

    [step] = [s for s in build_plan(workspace.config, workspace.tag_event(promotion)).steps
              if s.stage is StageName.DEPLOY]

    assert "deploys the version production holds when it runs" in step.reason


def test_plan_names_the_version_a_superseded_promotion_deploys(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = two_versions(tmp_path, fake_github, churn_model_file)
    first = workspace.promote("v1.0.0")
    assert superseded_notes(workspace.config, build_plan(workspace.config,
                                                         workspace.tag_event(first))) == []
    second = workspace.promote("v1.1.0")

    notes = superseded_notes(workspace.config,
                             build_plan(workspace.config, workspace.tag_event(first)))

    assert notes == [f"{first} is superseded by {second}: the deploy will deploy v1.1.0, "
                     "what production holds now, not v1.0.0"]
    assert superseded_notes(workspace.config,
                            build_plan(workspace.config, workspace.tag_event(second))) == []


MISSING_PROGRAM = command_environment("churn-production", "production").replace(
    "[python, deploy.py]", "[no-such-deployer-7c1e, --now]"
)


def test_dispatch_promotion_whose_deploy_cannot_run_pushes_no_stage_tag(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github, MISSING_PROGRAM)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(workspace.root, "remote", "add", "origin", str(remote))
    workspace.register("v1.0.0", churn_model_file)
    git(workspace.root, "push", "-q", "origin", "main", "--tags")
    event = dispatch_event(version="v1.0.0", stage="production")
    [step] = build_plan(workspace.config, event).steps
    assert step.writes_stage_tag
    forge = workspace.forge()
    try:
        context = dataclasses.replace(workspace.context(event, forge), step=step)
        with pytest.raises(UserError) as raised:
            DeployStage().run(context, workspace.config.model("churn"))
    finally:
        forge.close()

    assert raised.value.exit_code == EXIT_USER_ERROR
    assert "no-such-deployer-7c1e" in raised.value.message
    assert "#production#" not in git(workspace.root, "ls-remote", "--tags", "origin")
    assert "#production#" not in git(workspace.root, "tag", "--list")
    state = RegistryStore(workspace.root, remote=None).state()
    assert state.stage_version("churn", "production") is None
    assert fake_github.repo(REPO).deployments == []
