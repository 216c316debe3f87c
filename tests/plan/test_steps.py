"""What plan steps carry (version, registry stage, tag), what reasons say, and their order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mlops_ci.config.model import Config, StageName, Trigger
from mlops_ci.errors import UserError
from mlops_ci.plan import Plan, PlanStep
from mlops_ci.planner import build_plan
from mlops_ci.webhooks import parse_event
from tests.events import payloads as p
from tests.plan.conftest import TWO_MODELS


def plan_for(config: Config, name: str, payload: dict[str, Any]) -> Plan:
    return build_plan(config, parse_event(name, payload, {}))


def only_step(plan: Plan) -> PlanStep:
    assert len(plan.steps) == 1, plan.steps
    return plan.steps[0]


def test_registration_tag_step_carries_version_and_tag(two_models: Config) -> None:
    plan = plan_for(two_models, "push", p.push("refs/tags/churn@v1.2.0"))
    [step] = [s for s in plan.steps if s.stage is StageName.REGISTER]
    assert (step.stage, step.version, step.tag) == (StageName.REGISTER, "v1.2.0", "churn@v1.2.0")
    assert step.reason == (
        "push of tag churn@v1.2.0 (registration of churn v1.2.0) -> triggers.registration_tag"
    )


def test_promotion_tag_step_carries_stage_and_tag_not_a_version(two_models: Config) -> None:
    plan = plan_for(two_models, "push", p.push("refs/tags/churn#production#3"))
    step = only_step(plan)
    assert plan.trigger is Trigger.PROMOTION_TAG
    assert (step.registry_stage, step.tag, step.version) == (
        "production",
        "churn#production#3",
        None,
    )


def test_full_release_deploys_to_the_last_stage(two_models: Config) -> None:
    step = only_step(plan_for(two_models, "release", p.release("published", "churn@v1.4.0")))
    assert (step.stage, step.version, step.registry_stage) == (
        StageName.DEPLOY,
        "v1.4.0",
        "production",
    )


@pytest.mark.parametrize(
    ("stages", "stage"),
    [
        ("[staging, production, archived]", "production"),  # production, though not the last
        ("[staging, prod]", "prod"),  # no stage named production: the last one
    ],
)
def test_full_release_deploys_to_the_production_stage(
    load_text: Callable[[str], Config], stages: str, stage: str
) -> None:
    text = TWO_MODELS.format(branch="main", triggers="")
    config = load_text(text.replace("stages: [staging, production]", f"stages: {stages}"))
    plan = plan_for(config, "release", p.release("published", "churn@v1.4.0"))
    step = only_step(plan)
    assert (step.stage, step.version, step.registry_stage) == (StageName.DEPLOY, "v1.4.0", stage)
    assert f"(release of churn v1.4.0 to {stage})" in step.reason


def test_prerelease_deploys_to_the_prerelease_stage(two_models: Config) -> None:
    payload = p.release("published", "churn@v1.5.0-rc.1", prerelease=True)
    step = only_step(plan_for(two_models, "release", payload))
    assert (step.version, step.registry_stage) == ("v1.5.0-rc.1", "staging")
    assert "(pre-release of churn v1.5.0-rc.1 to staging)" in step.reason


def test_prerelease_without_prerelease_stage_says_so(two_models: Config) -> None:
    payload = p.release("published", "models/fraud=fraud@v1.0.0", prerelease=True)
    plan = plan_for(two_models, "release", payload)
    assert plan.is_empty
    assert "models.fraud.register.prerelease_stage is not set" in plan.reasons[0]


def test_dispatch_promotion_carries_version_and_stage(two_models: Config) -> None:
    payload = p.workflow_dispatch(model="churn", version="v1.4.0", stage="staging")
    plan = plan_for(two_models, "workflow_dispatch", payload)
    step = only_step(plan)
    assert plan.trigger is Trigger.PROMOTION_TAG
    assert (step.stage, step.version, step.registry_stage, step.tag) == (
        StageName.DEPLOY,
        "v1.4.0",
        "staging",
        None,
    )


@pytest.mark.parametrize(
    ("canary", "reason"),
    [
        ("none", "workflow_dispatch (promotion of churn v1.4.0 to production)"),
        ("", "workflow_dispatch (promotion of churn v1.4.0 to production)"),
        ("complete", "workflow_dispatch (completing the canary of churn v1.4.0 in production)"),
        ("rollback", "workflow_dispatch (rolling back the canary of churn v1.4.0 in production)"),
    ],
)
def test_dispatch_canary_input_rides_on_the_promotion_step(
    one_model: Config, canary: str, reason: str
) -> None:
    payload = p.workflow_dispatch(version="v1.4.0", stage="production", canary=canary)
    step = only_step(plan_for(one_model, "workflow_dispatch", payload))
    assert (step.version, step.registry_stage, step.writes_stage_tag) == (
        "v1.4.0", "production", True)
    assert step.canary == (canary if canary in ("complete", "rollback") else None)
    assert step.reason.startswith(reason)


def test_dispatch_promotion_without_model_promotes_the_only_model(one_model: Config) -> None:
    payload = p.workflow_dispatch(version="v1.4.0", stage="production")
    step = only_step(plan_for(one_model, "workflow_dispatch", payload))
    assert (step.model, step.stage, step.version, step.registry_stage) == (
        "churn",
        StageName.DEPLOY,
        "v1.4.0",
        "production",
    )


def test_dispatch_promotion_without_model_among_several_names_the_missing_input(
    two_models: Config,
) -> None:
    payload = p.workflow_dispatch(version="v1.4.0", stage="production")
    with pytest.raises(UserError) as caught:
        plan_for(two_models, "workflow_dispatch", payload)
    assert caught.value.message == (
        "workflow_dispatch input model: missing; promoting v1.4.0 to production needs it, "
        "as mlops.yaml has 2 models"
    )
    assert caught.value.hint == "run the workflow again with model set to one of: churn, fraud"


def test_pull_request_reason_names_number_action_and_trigger(two_models: Config) -> None:
    plan = plan_for(two_models, "pull_request", p.pull_request("opened", number=12))
    assert plan.reasons == ("pull_request #12 opened -> triggers.pull_request",)
    assert {step.reason for step in plan.steps} == {plan.reasons[0]}


def test_fork_pull_request_notes_untrusted_code(two_models: Config) -> None:
    plan = plan_for(two_models, "pull_request", p.pull_request("opened", head_repo="x/y"))
    assert any("fork" in reason and "untrusted" in reason for reason in plan.reasons)


def test_merged_pull_request_says_the_push_runs_the_merge_flow_once(two_models: Config) -> None:
    plan = plan_for(two_models, "pull_request", p.pull_request("closed", merged=True, number=3))
    assert plan.is_empty
    assert plan.reasons[0].startswith("pull_request #3 closed (merged into main): nothing")
    assert "runs once, not twice" in plan.reasons[0]


def test_labeled_pull_request_says_which_actions_run(two_models: Config) -> None:
    plan = plan_for(two_models, "pull_request", p.pull_request("labeled"))
    assert plan.reasons == (
        "pull_request #12 labeled: nothing to plan (only opened, synchronize, reopened run "
        "the checks)",
    )


def test_push_to_another_branch_names_the_default_branch(two_models: Config) -> None:
    plan = plan_for(two_models, "push", p.push("refs/heads/feature"))
    assert "push to branch feature: nothing to plan" in plan.reasons[0]
    assert "default branch main" in plan.reasons[0]


def test_tag_of_a_model_not_in_the_config_says_so(two_models: Config) -> None:
    plan = plan_for(two_models, "push", p.push("refs/tags/other@v1.0.0"))
    assert plan.reasons == ("push of tag other@v1.0.0: model other is not in mlops.yaml",)


def test_deprecation_tag_names_its_action(two_models: Config) -> None:
    plan = plan_for(two_models, "push", p.push("refs/tags/churn@deprecated"))
    assert "a deprecation tag, nothing to plan" in plan.reasons[0]


def test_schedule_names_models_without_monitoring(load_text: Callable[[str], Config]) -> None:
    churn_monitor = (
        "    monitor:\n"
        "      production_data: [data/train.csv]\n"
        '      schedule: "0 6 * * *"\n'
        "      actions: {dispatch_event_type: retrain-now}\n"
    )
    text = TWO_MODELS.format(branch="main", triggers="")
    assert churn_monitor in text
    config = load_text(text.replace(churn_monitor, ""))
    plan = plan_for(config, "schedule", p.schedule())
    assert [step.model for step in plan.steps] == ["fraud"]
    assert "model churn has no monitor section" in plan.reasons


def test_steps_run_stage_by_stage_in_natural_order_report_last(
    load_text: Callable[[str], Config],
) -> None:
    triggers = "triggers:\n  pull_request: [report, evaluate, validate]\n"
    config = load_text(TWO_MODELS.format(branch="main", triggers=triggers))
    plan = plan_for(config, "pull_request", p.pull_request("opened"))
    assert [(s.stage.value, s.model) for s in plan.steps] == [
        ("validate", "churn"),
        ("validate", "fraud"),
        ("evaluate", "churn"),
        ("evaluate", "fraud"),
        ("report", "churn"),
        ("report", "fraud"),
    ]
    assert plan.stages == (StageName.VALIDATE, StageName.EVALUATE, StageName.REPORT)
    assert plan.models == ("churn", "fraud")


def test_empty_trigger_plans_nothing_and_says_so(load_text: Callable[[str], Config]) -> None:
    config = load_text(TWO_MODELS.format(branch="main", triggers="triggers:\n  push: []\n"))
    plan = plan_for(config, "push", p.push("refs/heads/main"))
    assert plan.is_empty
    assert "triggers.push runs no stage" in plan.reasons


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"model": "nope"}, "workflow_dispatch input model: 'nope' is not a model in mlops.yaml"),
        ({"model": "churn", "version": "v1.0.0"}, "go together: got only version"),
        ({"model": "churn", "stage": "production"}, "go together: got only stage"),
        ({"model": "churn", "version": "1.0", "stage": "production"}, "'1.0' is not a version"),
        ({"model": "churn", "version": "v1.0.0", "stage": "qa"}, "'qa' is not one of stages"),
        ({"version": "v1.0.0", "stage": "production"}, "input model: missing; promoting"),
        ({"model": "churn", "version": "v1.0.0", "stage": "production", "canary": "finish"},
         "workflow_dispatch input canary: 'finish' is not one of none, complete, rollback"),
        ({"model": "churn", "canary": "complete"},
         "workflow_dispatch inputs version and stage go together: got canary complete alone"),
    ],
)  # fmt: skip
def test_bad_dispatch_inputs_are_user_errors(
    two_models: Config, inputs: dict[str, str], message: str
) -> None:
    with pytest.raises(UserError) as caught:
        plan_for(two_models, "workflow_dispatch", p.workflow_dispatch(**inputs))
    assert message in caught.value.message


def test_to_json_has_the_documented_keys(two_models: Config) -> None:
    plan = plan_for(two_models, "push", p.push("refs/tags/churn#production#3"))
    data = json.loads(json.dumps(plan.to_json()))
    assert set(data) == {"format", "trigger", "event", "steps", "reasons"}
    assert data["format"] == 1
    assert data["trigger"] == "promotion_tag"
    assert data["steps"] == [
        {
            "model": "churn",
            "stage": "deploy",
            "reason": "push of tag churn#production#3 (promotion of churn to production; "
            "deploys the version production holds when it runs) "
            "-> triggers.promotion_tag",
            "version": None,
            "registry_stage": "production",
            "tag": "churn#production#3",
        }
    ]
    assert data["event"]["kind"] == "push_tag"
    assert data["event"]["tag"] == "churn#production#3"
