"""What a plan step asks of the deploy stage (``DeployOrder``), and a canary step settled.

``deploy_order`` reads the step the planner made (pure). ``settle_canary`` turns a dispatch's
canary step (``PlanStep.canary``: complete or roll back the canary of ``version``) into the
plain promotion it makes, decided by ``deploy.canary`` on the registry (its tags fetched
first) and on the stage's committed manifests: the version to promote, and whether to write a
new stage tag for the version the stage holds (which completes its canary).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mlops_ci.config.model import Environment, ModelSpec
from mlops_ci.deploy.canary import settle_canary_step
from mlops_ci.plan import CanaryStep, PlanStep
from mlops_ci.registry.store import RegistryStore
from mlops_ci.stages.base import StageContext
from mlops_ci.stages.references import registry_name, registry_remote


@dataclass(frozen=True, slots=True)
class DeployOrder:
    """Deploy ``version`` (``None``: the one the promotion tag names) of a model to ``stage``."""

    stage: str
    version: str | None
    promotion_tag: str | None  # the NAME#STAGE#N tag of the event, when it is one
    promote: bool  # write the stage tag first (release and dispatch events)
    why: str
    canary: CanaryStep | None = None  # a dispatch's canary step, before ``settle_canary``
    reassign: bool = False  # promote: a new stage tag for the version held (completes a canary)


def deploy_order(step: PlanStep | None) -> DeployOrder | None:
    """What the plan ``step`` asks of the deploy, or ``None`` when it promotes nothing. Pure."""
    if step is None or step.registry_stage is None or step.promoted_by is None:
        return None
    if step.writes_stage_tag:
        return DeployOrder(step.registry_stage, step.version, None, True, step.promoted_by,
                           step.canary)
    if step.tag is None:
        return None
    return DeployOrder(step.registry_stage, None, step.tag, False, step.promoted_by)


def settle_canary(
    context: StageContext, model: ModelSpec, order: DeployOrder, environments: list[Environment]
) -> DeployOrder:
    """``order`` with its canary step made a plain promotion (unchanged without one); what that
    does is written to the log. Writes nothing: the deploy stage then promotes as it would."""
    if order.canary is None or order.version is None:
        return order
    store = RegistryStore(context.workspace, remote=registry_remote(context.workspace))
    decision = settle_canary_step(order.canary, store, registry_name(model), order.version,
                                  order.stage, environments, context.workspace)
    context.out.write(f"{decision.note}\n")
    return replace(order, version=decision.version, canary=None, reassign=decision.reassign)
