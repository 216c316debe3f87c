"""Plans for GitHub's real webhook payloads (``../shared/github/webhooks/``).

The corpus repositories' default branch is ``master``, so the config here says so too. Where
the corpus has no registry tag (its tags are ``simple-tag`` and ``0.0.1``), a real payload is
copied and only the tag, merge flag or head repository is changed.
"""

from __future__ import annotations

import pytest

from mlops_ci.config.model import Config, StageName, Trigger
from mlops_ci.plan import Plan
from mlops_ci.planner import build_plan
from mlops_ci.webhooks import parse_event
from tests.events.payloads import webhook

pytestmark = pytest.mark.github_corpus  # GitHub's real payloads (tests/github_corpus.py)

CHECKS = [StageName.VALIDATE, StageName.DRIFT, StageName.TRAIN, StageName.EVALUATE]
PR_STAGES = [*CHECKS, StageName.REPORT]
MERGE_STAGES = [*CHECKS, StageName.REGISTER, StageName.REPORT]
RUNNER = {"GITHUB_SHA": "b" * 40}


def plan_of(config: Config, file_name: str) -> Plan:
    return build_plan(config, parse_event(file_name.split(".")[0], webhook(file_name), RUNNER))


def stages_of(plan: Plan, model: str) -> list[StageName]:
    return [step.stage for step in plan.steps_for(model)]


@pytest.mark.parametrize(
    "file_name",
    [
        "pull_request.opened.1.json",
        "pull_request.opened.4.json",
        "pull_request.synchronize.1.json",
        "pull_request.reopened.1.json",
        "pull_request.reopened.2.json",
    ],
)
def test_pull_request_updates_run_the_checks(on_master: Config, file_name: str) -> None:
    plan = plan_of(on_master, file_name)
    assert plan.trigger is Trigger.PULL_REQUEST
    assert stages_of(plan, "churn") == PR_STAGES
    assert stages_of(plan, "fraud") == PR_STAGES
    assert plan.event.sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # head, not GITHUB_SHA


@pytest.mark.parametrize(
    "file_name",
    [
        "pull_request.labeled.1.json",
        "pull_request.assigned.1.json",
        "pull_request.locked.2.json",
        "pull_request.ready_for_review.1.json",
        "pull_request.review_requested.1.json",
        "pull_request.closed.1.json",
    ],
)
def test_other_pull_request_actions_plan_nothing(on_master: Config, file_name: str) -> None:
    plan = plan_of(on_master, file_name)
    assert plan.is_empty
    assert plan.reasons[0].startswith("pull_request #2 ")


def test_merged_pull_request_plans_nothing(on_master: Config) -> None:
    payload = webhook("pull_request.closed.1.json")
    payload["pull_request"]["merged"] = True
    plan = build_plan(on_master, parse_event("pull_request", payload, RUNNER))
    assert plan.is_empty
    assert "the push of the merge runs the merge flow" in plan.reasons[0]


def test_pull_request_from_a_fork_still_checks_but_is_untrusted(on_master: Config) -> None:
    payload = webhook("pull_request.opened.2.json")
    payload["pull_request"]["head"]["repo"]["full_name"] = "mallory/Hello-World"
    plan = build_plan(on_master, parse_event("pull_request", payload, RUNNER))
    assert plan.event.untrusted
    assert stages_of(plan, "churn") == PR_STAGES


@pytest.mark.parametrize("file_name", ["push.5.json", "push.6.json"])
def test_push_to_master_runs_the_merge_flow(on_master: Config, file_name: str) -> None:
    plan = plan_of(on_master, file_name)
    assert plan.trigger is Trigger.PUSH
    assert stages_of(plan, "churn") == MERGE_STAGES


def test_push_to_master_is_another_branch_when_main_is_default(two_models: Config) -> None:
    plan = plan_of(two_models, "push.5.json")
    assert plan.is_empty
    assert plan.reasons[0].startswith("push to branch master: nothing to plan")


@pytest.mark.parametrize(
    "file_name", ["push.1.json", "push.2.json", "create.1.json", "create.5.json"]
)
def test_a_tag_that_is_not_a_registry_tag_plans_nothing(on_master: Config, file_name: str) -> None:
    plan = plan_of(on_master, file_name)
    assert plan.is_empty
    assert "simple-tag" in plan.reasons[0]


def test_real_push_of_a_promotion_tag_deploys_that_model(on_master: Config) -> None:
    payload = webhook("push.1.json")
    payload["ref"] = "refs/tags/churn#production#2"
    plan = build_plan(on_master, parse_event("push", payload, RUNNER))
    assert [(s.model, s.stage, s.registry_stage) for s in plan.steps] == [
        ("churn", StageName.DEPLOY, "production")
    ]


def test_real_create_of_a_registration_tag_registers_that_model(on_master: Config) -> None:
    payload = webhook("create.2.json")
    payload["ref"] = "models/fraud=fraud@v2.0.0"
    plan = build_plan(on_master, parse_event("create", payload, RUNNER))
    assert [(s.model, s.stage, s.version) for s in plan.steps] == [
        ("fraud", stage, "v2.0.0") for stage in (
            StageName.VALIDATE, StageName.DRIFT, StageName.TRAIN, StageName.EVALUATE,
            StageName.REGISTER, StageName.REPORT)
    ]


@pytest.mark.parametrize(
    ("file_name", "stage"),
    [
        ("release.published.1.json", "production"),
        ("release.released.1.json", "production"),
        ("release.prereleased.1.json", None),  # the published event of a pre-release deploys it
        ("release.created.1.json", None),
        ("release.edited.1.json", None),
        ("release.deleted.1.json", None),
    ],
)
def test_real_release_of_a_registration_tag(
    on_master: Config, file_name: str, stage: str | None
) -> None:
    payload = webhook(file_name)
    payload["release"]["tag_name"] = "churn@v1.4.0"
    plan = build_plan(on_master, parse_event("release", payload, RUNNER))
    assert [s.registry_stage for s in plan.steps] == ([] if stage is None else [stage])


def test_real_published_prerelease_goes_to_the_prerelease_stage(on_master: Config) -> None:
    payload = webhook("release.prereleased.2.json")
    payload["action"] = "published"
    payload["release"]["tag_name"] = "churn@v1.5.0-rc.1"
    plan = build_plan(on_master, parse_event("release", payload, RUNNER))
    assert [(s.stage, s.version, s.registry_stage) for s in plan.steps] == [
        (StageName.DEPLOY, "v1.5.0-rc.1", "staging")
    ]


def test_real_release_of_a_plain_version_tag_plans_nothing(on_master: Config) -> None:
    plan = plan_of(on_master, "release.published.1.json")
    assert plan.is_empty
    assert "not a registration tag" in plan.reasons[0]


@pytest.mark.parametrize("file_name", ["workflow_dispatch.1.json", "workflow_dispatch.2.json"])
def test_real_workflow_dispatch_without_inputs_runs_the_dispatch_trigger(
    on_master: Config, file_name: str
) -> None:
    plan = plan_of(on_master, file_name)
    assert plan.trigger is Trigger.WORKFLOW_DISPATCH
    assert plan.models == ("churn", "fraud")


def test_real_repository_dispatch_of_another_type_plans_nothing(on_master: Config) -> None:
    plan = plan_of(on_master, "repository_dispatch.on-demand-test.1.json")
    assert plan.is_empty
    assert "repository_dispatch on-demand-test: nothing to plan" in plan.reasons[0]


def test_real_repository_dispatch_retrain_for_one_model(on_master: Config) -> None:
    payload = webhook("repository_dispatch.on-demand-test.2.json")
    payload["action"] = "mlops-retrain"
    payload["client_payload"] = {"model": "churn", "reason": "drift"}
    plan = build_plan(on_master, parse_event("repository_dispatch", payload, RUNNER))
    assert plan.trigger is Trigger.REPOSITORY_DISPATCH
    assert plan.models == ("churn",)
    assert stages_of(plan, "churn") == MERGE_STAGES


@pytest.mark.parametrize("file_name", ["deployment.created.1.json", "deployment.created.2.json"])
def test_real_deployment_plans_nothing(on_master: Config, file_name: str) -> None:
    plan = plan_of(on_master, file_name)
    assert plan.is_empty
    assert "would deploy twice" in plan.reasons[0]
