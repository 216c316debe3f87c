"""Plans that post a stored report (``workflow_run``), and the permissions a plan writes with."""

from __future__ import annotations

import pytest

from mlops_ci.config.model import Config
from mlops_ci.forge.protocol import Permission
from mlops_ci.planner import build_plan
from mlops_ci.webhooks import parse_event
from tests.events import payloads
from tests.events.payloads import REPO

RUNNER = {"GITHUB_SHA": "b" * 40, "GITHUB_RUN_ID": "99", "GITHUB_REPOSITORY": REPO}


def test_a_completed_pull_request_run_plans_only_posting_its_report(two_models: Config) -> None:
    plan = build_plan(two_models, parse_event("workflow_run", payloads.workflow_run(), RUNNER))
    assert plan.posts_stored_report
    assert plan.steps == ()
    assert "post the report it stored" in plan.reasons[0]
    assert plan.write_permissions(two_models) == ()


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (payloads.workflow_run(action="requested"), "not completed"),
        (payloads.workflow_run(event="push"), "only pull_request runs store a report"),
        (payloads.workflow_run(conclusion="cancelled"), "ended cancelled"),
        (payloads.workflow_run(conclusion="action_required"), "ended action_required"),
    ],
)
def test_other_runs_plan_nothing(two_models: Config, payload: payloads.Payload, why: str) -> None:
    plan = build_plan(two_models, parse_event("workflow_run", payload, RUNNER))
    assert not plan.posts_stored_report
    assert plan.is_empty
    assert why in plan.reasons[0]


def test_a_failed_run_still_posts_its_report(two_models: Config) -> None:
    """A gate that failed fails the run: that report matters most."""
    payload = payloads.workflow_run(conclusion="failure")
    assert build_plan(two_models, parse_event("workflow_run", payload, RUNNER)).posts_stored_report


@pytest.mark.parametrize(
    ("name", "payload", "needs"),
    [
        ("pull_request", payloads.pull_request("opened"), (Permission.PULL_REQUESTS,)),
        ("push", payloads.push("refs/heads/main"), (Permission.CONTENTS,)),
        ("push", payloads.push("refs/tags/churn#production#3"), (Permission.DEPLOYMENTS,)),
        (
            "workflow_dispatch",
            payloads.workflow_dispatch(model="churn", version="v1.2.0", stage="production"),
            (Permission.CONTENTS, Permission.DEPLOYMENTS),
        ),
        ("schedule", payloads.schedule(), (Permission.ISSUES,)),
    ],
)
def test_write_permissions_follow_the_planned_stages(
    two_models: Config, name: str, payload: payloads.Payload, needs: tuple[Permission, ...]
) -> None:
    plan = build_plan(two_models, parse_event(name, payload, RUNNER))
    assert plan.write_permissions(two_models) == needs
