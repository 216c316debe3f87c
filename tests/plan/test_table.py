"""Event x config -> stages, as one readable table; then what the steps carry and say.

Events go through the real parser (``parse_event``) from small payloads, so the table tests
the whole pure path from webhook to plan.
"""

# ruff: noqa: E501 -- the table reads best as one case per line, however long
from __future__ import annotations

from typing import Any

import pytest

from mlops_ci.config.model import Config
from mlops_ci.plan import Plan
from mlops_ci.planner import build_plan
from mlops_ci.webhooks import local_event, parse_event
from tests.events import payloads as p

CHECKS = "validate drift train evaluate report"
MERGE = "validate drift train evaluate register report"


def each(stages: str, *models: str) -> list[str]:
    """``stage model`` for every stage, model by model inside each stage (the plan's order)."""
    return [f"{stage} {model}" for stage in stages.split() for model in models]


def summary(plan: Plan) -> list[str]:
    return [f"{step.stage.value} {step.model}" for step in plan.steps]


def plan_for(config: Config, name: str, payload: dict[str, Any]) -> Plan:
    return build_plan(config, parse_event(name, payload, {}))


TABLE: list[tuple[str, str, dict[str, Any], list[str]]] = [
    # id, event name, payload, expected "stage model" steps
    ("pr-opened", "pull_request", p.pull_request("opened"), each(CHECKS, "churn", "fraud")),
    ("pr-synchronize", "pull_request", p.pull_request("synchronize"), each(CHECKS, "churn", "fraud")),
    ("pr-reopened", "pull_request", p.pull_request("reopened"), each(CHECKS, "churn", "fraud")),
    ("pr-from-fork", "pull_request", p.pull_request("opened", head_repo="x/y"), each(CHECKS, "churn", "fraud")),
    ("pr-labeled", "pull_request", p.pull_request("labeled"), []),
    ("pr-edited", "pull_request", p.pull_request("edited"), []),
    ("pr-merged", "pull_request", p.pull_request("closed", merged=True), []),
    ("pr-closed", "pull_request", p.pull_request("closed"), []),
    ("push-default-branch", "push", p.push("refs/heads/main"), each(MERGE, "churn", "fraud")),
    ("push-other-branch", "push", p.push("refs/heads/feature"), []),
    ("push-deletes-default", "push", p.push("refs/heads/main", deleted=True), []),
    ("registration-tag", "push", p.push("refs/tags/churn@v1.2.0"), each(MERGE, "churn")),
    ("registration-tag-subfolder", "push", p.push("refs/tags/models/fraud=fraud@v0.3.0"), each(MERGE, "fraud")),
    ("promotion-tag", "push", p.push("refs/tags/churn#production#3"), ["deploy churn"]),
    ("promotion-tag-simple-form", "push", p.push("refs/tags/churn#staging"), ["deploy churn"]),
    ("promotion-unknown-stage", "push", p.push("refs/tags/churn#qa#1"), []),
    ("deprecation-tag", "push", p.push("refs/tags/churn@deprecated"), []),
    ("deregistration-tag", "push", p.push("refs/tags/churn@v1.0.0!"), []),
    ("unassignment-tag", "push", p.push("refs/tags/churn#production!#4"), []),
    ("tag-of-unknown-model", "push", p.push("refs/tags/other@v1.0.0"), []),
    ("tag-bare-name-of-subfolder-model", "push", p.push("refs/tags/fraud@v1.0.0"), []),
    ("plain-tag", "push", p.push("refs/tags/v1.0.0"), []),
    ("registration-tag-deleted", "push", p.push("refs/tags/churn@v1.2.0", deleted=True), []),
    ("create-registration-tag", "create", p.create("churn@v1.2.0"), each(MERGE, "churn")),
    ("create-promotion-tag", "create", p.create("churn#staging#2"), ["deploy churn"]),
    ("create-branch", "create", p.create("topic", "branch"), []),
    ("release-published", "release", p.release("published", "churn@v1.4.0"), ["deploy churn"]),
    ("release-released", "release", p.release("released", "churn@v1.4.0"), ["deploy churn"]),
    ("prerelease-published", "release", p.release("published", "churn@v1.5.0-rc.1", prerelease=True), ["deploy churn"]),
    ("prerelease-no-stage", "release", p.release("published", "models/fraud=fraud@v1.0.0", prerelease=True), []),
    ("release-prereleased", "release", p.release("prereleased", "churn@v1.4.0", prerelease=True), []),
    ("release-created", "release", p.release("created", "churn@v1.4.0"), []),
    ("release-edited", "release", p.release("edited", "churn@v1.4.0"), []),
    ("release-deleted", "release", p.release("deleted", "churn@v1.4.0"), []),
    ("release-draft", "release", p.release("published", "churn@v1.4.0", draft=True), []),
    ("release-not-registration", "release", p.release("published", "v1.4.0"), []),
    ("release-of-promotion-tag", "release", p.release("published", "churn#production#1"), []),
    ("schedule-churn-cron", "schedule", p.schedule("0 6 * * *"), ["monitor churn"]),
    ("schedule-fraud-cron", "schedule", p.schedule("30 2 * * 1"), ["monitor fraud"]),
    ("schedule-other-cron", "schedule", p.schedule("*/5 * * * *"), each("monitor", "churn", "fraud")),
    ("dispatch", "workflow_dispatch", p.workflow_dispatch(), each(MERGE, "churn", "fraud")),
    ("dispatch-empty-inputs", "workflow_dispatch", p.workflow_dispatch(model="", version="", stage=""), each(MERGE, "churn", "fraud")),
    ("dispatch-one-model", "workflow_dispatch", p.workflow_dispatch(model="fraud"), each(MERGE, "fraud")),
    ("dispatch-promotion", "workflow_dispatch", p.workflow_dispatch(model="churn", version="v1.4.0", stage="production"), ["deploy churn"]),
    ("retrain-all", "repository_dispatch", p.repository_dispatch("mlops-retrain"), each(MERGE, "churn", "fraud")),
    ("retrain-configured-type", "repository_dispatch", p.repository_dispatch("retrain-now", model="churn"), each(MERGE, "churn")),
    ("retrain-unknown-model", "repository_dispatch", p.repository_dispatch("mlops-retrain", model="nope"), []),
    ("other-dispatch-type", "repository_dispatch", p.repository_dispatch("on-demand-test"), []),
    ("deployment", "deployment", p.deployment(), []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "payload", "expected"), [case[1:] for case in TABLE], ids=[case[0] for case in TABLE]
)
def test_event_plans_these_steps(
    two_models: Config, name: str, payload: dict[str, Any], expected: list[str]
) -> None:
    plan = plan_for(two_models, name, payload)
    assert summary(plan) == expected
    assert plan.reasons, "every plan says why, even an empty one"


def test_local_run_checks_without_registering_or_deploying(two_models: Config) -> None:
    plan = build_plan(two_models, local_event({}))
    assert summary(plan) == each(CHECKS, "churn", "fraud")
    assert "a local run never registers or deploys" in plan.reasons
