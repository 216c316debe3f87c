"""What one run does: a ``Plan`` of steps in order, with the reasons for them (or for none).

:func:`mlops_ci.planner.build_plan` decides it from the config and the event; the stages, the
report and ``mlops-ci plan`` read it. Facts a caller may rely on:

- ``Plan.steps`` run in the order given (stage by stage, report last; models in config order).
- A plan with no step either does nothing (``reasons`` say why) or, on a ``workflow_run`` of a
  finished pull request run, posts the report that run stored (``Plan.posts_stored_report``).
- ``Plan.to_json`` has stable keys; ``PLAN_FORMAT`` changes when they do.

Reasons quote branch, tag and model names from the event: escape them before markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mlops_ci.config.model import Config, StageName, Trigger
from mlops_ci.errors import UserError
from mlops_ci.events import Event, WorkflowRunRef
from mlops_ci.forge.protocol import Permission

PLAN_FORMAT = 1
NO_REPORT_CONCLUSIONS = ("cancelled", "skipped", "stale", "action_required", "startup_failure")

CanaryStep = Literal["complete", "rollback"]
CANARY_STEPS: tuple[CanaryStep, ...] = ("complete", "rollback")
NO_CANARY_STEP = "none"  # the generated workflow's choice for "no canary step" (and "")


def canary_step(value: str, source: str) -> CanaryStep | None:
    """``value`` of the ``canary`` input ``source`` names (``workflow_dispatch input``, ``action
    input``) as a step; ``None`` for ``""`` or ``none``; a ``UserError`` naming it otherwise."""
    if value in ("", NO_CANARY_STEP):
        return None
    for step in CANARY_STEPS:
        if value == step:
            return step
    known = ", ".join((NO_CANARY_STEP, *CANARY_STEPS))
    raise UserError(
        f"{source} canary: {value[:60]!r} is not one of {known}",
        hint="complete: all traffic to the canary's version; rollback: the stable version again; "
        "none: a plain promotion",
    )


@dataclass(frozen=True, slots=True)
class PlanStep:
    """Run ``stage`` for ``model``, with the version, registry stage and tag the event names.

    A step that promotes (a promotion tag, a release, a workflow_dispatch with a version and a
    stage) carries all the deploy stage needs, so it never reads the event again:
    ``registry_stage`` to deploy, ``promoted_by`` (why, in a few words), and either
    ``writes_stage_tag`` with the ``version`` to promote first (release, dispatch), or the
    promotion ``tag`` whose commit's registered version is deployed (``version`` is ``None``).
    A dispatch's ``canary`` step names the canary of ``version`` to complete or roll back
    (``stages.deploy_order.settle_canary`` decides what that writes).
    """

    model: str
    stage: StageName
    reason: str
    version: str | None = None  # e.g. v1.4.0: the version to register or deploy
    registry_stage: str | None = None  # deploy: the registry stage (e.g. production) to deploy
    tag: str | None = None  # the registry tag that triggered this step
    promoted_by: str | None = None  # deploy: e.g. "release churn@v1.4.0"; None: no promotion
    writes_stage_tag: bool = False  # deploy: promote ``version`` (write NAME#STAGE#N) first
    canary: CanaryStep | None = None  # deploy: complete or roll back ``version``'s canary

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "stage": self.stage.value,
            "reason": self.reason,
            "version": self.version,
            "registry_stage": self.registry_stage,
            "tag": self.tag,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run does for ``event``: ``steps`` in order, ``reasons`` for them (or for none)."""

    event: Event
    trigger: Trigger | None
    steps: tuple[PlanStep, ...]
    reasons: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.steps

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.model for step in self.steps))

    @property
    def stages(self) -> tuple[StageName, ...]:
        return tuple(dict.fromkeys(step.stage for step in self.steps))

    def steps_for(self, model: str) -> tuple[PlanStep, ...]:
        return tuple(step for step in self.steps if step.model == model)

    @property
    def posts_stored_report(self) -> bool:
        """A ``workflow_run`` plan: post the report the finished run stored, run no stage."""
        run = self.event.workflow_run
        return run is not None and why_no_stored_report(self.event.action, run) is None

    def write_permissions(self, config: Config) -> tuple[Permission, ...]:
        """The token permissions the steps will write with, in ``Permission`` order.

        Register writes tags and a release (contents); deploy writes deployments, and the
        stage tag first when it promotes; monitor opens an issue and may dispatch
        (contents); the report comments on the pull request.
        """
        needs: set[Permission] = set()
        for step in self.steps:
            if step.stage is StageName.REGISTER:
                needs.add(Permission.CONTENTS)
            elif step.stage is StageName.DEPLOY:
                needs.add(Permission.DEPLOYMENTS)
                if step.writes_stage_tag:
                    needs.add(Permission.CONTENTS)
            elif step.stage is StageName.MONITOR:
                monitor = config.model(step.model).monitor
                if monitor is not None and monitor.actions.issue:
                    needs.add(Permission.ISSUES)
                if monitor is not None and monitor.actions.dispatch:
                    needs.add(Permission.CONTENTS)
            elif step.stage is StageName.REPORT and config.report.comment and self.event.pr:
                needs.add(Permission.PULL_REQUESTS)
        return tuple(permission for permission in Permission if permission in needs)

    def to_json(self) -> dict[str, object]:
        """The plan as JSON values. Stable keys (``format`` changes when they do)::

        {"format": 1, "trigger": "pull_request" | null, "event": {name, kind, action, sha,
         merge_sha, ref, branch, tag, ref_deleted, pull_request, release, deployment,
         workflow_run, schedule, actor, repository, default_branch, inputs, run_id, server_url,
         untrusted},
         "steps": [{model, stage, reason, version, registry_stage, tag}], "reasons": [...]}
        """
        return {
            "format": PLAN_FORMAT,
            "trigger": None if self.trigger is None else self.trigger.value,
            "event": self.event.to_json(),
            "steps": [step.to_json() for step in self.steps],
            "reasons": list(self.reasons),
        }


def why_no_stored_report(action: str | None, run: WorkflowRunRef) -> str | None:
    """Why the ``workflow_run`` event ``action`` of ``run`` has no stored report to post.

    ``None`` when it has one: a ``completed`` run of a ``pull_request`` event that did not end
    in one of ``NO_REPORT_CONCLUSIONS`` (cancelled, skipped, awaiting approval, ...).
    """
    if action != "completed":
        return f"the run is {action}, not completed: its report is posted when it completes"
    if run.event != "pull_request":
        return f"a run of {run.event}: only pull_request runs store a report to post"
    if run.conclusion in NO_REPORT_CONCLUSIONS:
        return f"the run ended {run.conclusion}: it stored no report"
    return None
