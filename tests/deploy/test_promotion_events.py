"""A release or a workflow_dispatch, planned and then deployed: what the plan's step says is
what the deploy stage does.

Each event is GitHub's real payload (``../shared/github/webhooks/``) with only the tag or the
inputs changed, planned by ``build_plan`` and run by ``DeployStage`` on the fake GitHub, as
``mlops-ci run`` does (the stage gets the plan step in its context).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlops_ci.config.model import StageName
from mlops_ci.events import Event
from mlops_ci.plan import PlanStep
from mlops_ci.planner import build_plan
from mlops_ci.registry.store import RegistryStore
from mlops_ci.stages.base import StageResult, Status
from mlops_ci.stages.deploy import DeployStage
from mlops_ci.webhooks import parse_event
from tests.deploy.workspace import REPO, DeployWorkspace, command_environment, make_workspace
from tests.events.payloads import webhook
from tests.fakegithub import FakeGitHub

pytestmark = pytest.mark.github_corpus  # GitHub's real payloads (tests/github_corpus.py)

RUNNER = {"GITHUB_REPOSITORY": REPO}


def release_event(tag: str) -> Event:
    payload = webhook("release.published.1.json")
    assert (payload["release"]["prerelease"], payload["release"]["draft"]) == (False, False)
    payload["release"]["tag_name"] = tag
    return parse_event("release", payload, RUNNER)


def dispatch_event(**inputs: str) -> Event:
    payload = webhook("workflow_dispatch.1.json")
    payload["inputs"] = inputs
    return parse_event("workflow_dispatch", payload, RUNNER)


def plan_and_deploy(workspace: DeployWorkspace, event: Event) -> tuple[PlanStep, StageResult]:
    """The plan's one deploy step for ``event``, and the deploy stage's result for it."""
    plan = build_plan(workspace.config, event)
    [step] = plan.steps
    assert step.stage is StageName.DEPLOY, plan.reasons
    forge = workspace.forge()
    try:
        context = dataclasses.replace(workspace.context(event, forge), step=step)
        return step, DeployStage().run(context, workspace.config.model(step.model))
    finally:
        forge.close()


def assert_deployed(workspace: DeployWorkspace, result: StageResult, version: str,
                    stage: str) -> None:
    assert result.status is Status.PASSED, result.summary
    assert dict(result.outputs)["stage"] == stage
    assert [(c["MLOPS_MODEL_VERSION"], c["MLOPS_STAGE"]) for c in workspace.calls()] == [
        (version, stage)
    ]
    state = RegistryStore(workspace.root, remote=None).state()
    assert state.stage_version("churn", stage) == version


@pytest.mark.parametrize(
    ("stages", "production"),
    [
        pytest.param(("staging", "production"), "production", id="production-last"),
        pytest.param(("staging", "production", "archived"), "production", id="production-first"),
        pytest.param(("dev", "prod"), "prod", id="no-production-stage"),
    ],
)
def test_full_release_is_planned_and_deployed_to_the_same_stage(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path,
    stages: tuple[str, ...], production: str,
) -> None:
    environment = command_environment(f"churn-{production}", production)
    workspace = make_workspace(tmp_path / "repo", fake_github, environment, stages=stages)
    registration = workspace.register("v1.0.0", churn_model_file)

    step, result = plan_and_deploy(workspace, release_event(registration))

    assert (step.version, step.registry_stage) == ("v1.0.0", production)
    assert_deployed(workspace, result, "v1.0.0", production)


def test_dispatch_without_model_input_promotes_and_deploys_the_only_model(
    fake_github: FakeGitHub, tmp_path: Path, churn_model_file: Path
) -> None:
    workspace = make_workspace(tmp_path / "repo", fake_github)
    assert [model.name for model in workspace.config.models] == ["churn"]
    workspace.register("v1.0.0", churn_model_file)

    step, result = plan_and_deploy(workspace, dispatch_event(version="v1.0.0", stage="production"))

    assert (step.model, step.version, step.registry_stage) == ("churn", "v1.0.0", "production")
    assert_deployed(workspace, result, "v1.0.0", "production")
