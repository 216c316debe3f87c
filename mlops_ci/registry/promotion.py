"""The store's decisions on a read registry state: which version a write targets, and which tag a
promotion writes, or the :class:`UserError` that refuses it.

Pure: a :class:`RegistryState` in, a typed value or a refusal out, no git. ``RegistryStore`` makes
every write's decision here, and ``RegistryStore.plan_promotion`` returns the promotion's without
writing, so a dry run names the tag (or raises the refusal) the real promotion would.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_ci.errors import UserError
from mlops_ci.registry.state import RegistryState, VersionState
from mlops_ci.registry.tags import Action, RegistryTag


@dataclass(frozen=True, slots=True)
class PromotionPlan:
    """What promoting ``version`` of ``model`` to ``stage`` does on the state it was decided on.

    ``new``: the tag ``NAME#STAGE#N`` is written on ``commit`` with the next shared ``counter``.
    Not ``new``: the version holds the stage already through ``tag``; nothing is written, the tag
    is only pushed to the remote in case it lacks it (completing an interrupted run).
    """

    model: str
    version: str
    stage: str
    tag: str
    commit: str
    counter: int
    new: bool


def active_version(state: RegistryState, model: str, version: str) -> VersionState:
    """``version`` of ``model``, refused unless it is registered and not deregistered."""
    found = state.find_version(model, version)
    if found is None or not found.registered:
        known = ", ".join(v.version for v in state.versions(model) if v.registered) or "none"
        raise UserError(f"{model} {version} is not registered", hint=f"registered: {known}")
    if not found.active:
        raise UserError(f"{model} {version} was deregistered")
    return found


def plan_promotion(state: RegistryState, model: str, version: str, stage: str) -> PromotionPlan:
    """The promotion of ``version`` to ``stage`` decided on ``state``, or its refusal.

    Names are not checked here: the store checks them before it reads the state.
    """
    target = active_version(state, model, version)
    if state.stage_version(model, stage) == version:
        current = state.latest_assignment(model, version, stage)
        if current is None:  # held through an unregistered commit version: cannot be
            raise UserError(f"{model} {version} is in {stage} without an assignment tag")
        return PromotionPlan(model, version, stage, current.name, target.commit,
                             current.tag.counter or 0, new=False)
    counter = state.next_counter(model)
    tag = RegistryTag(model, Action.ASSIGN, stage=stage, counter=counter).format()
    return PromotionPlan(model, version, stage, tag, target.commit, counter, new=True)


def plan_reassignment(
    state: RegistryState, model: str, version: str, stage: str
) -> PromotionPlan:
    """A new assignment ``NAME#STAGE#N`` of the ``version`` that holds ``stage`` now: a fresh
    promotion event for the same version, which completes a canary of it (``registry promote
    --complete``). Refused when ``stage`` does not hold ``version``."""
    target = active_version(state, model, version)
    holder = state.stage_version(model, stage)
    if holder != version:
        raise UserError(
            f"{stage} holds {holder or 'no version'} of {model}, not {version}: there is no "
            f"canary of {version} to complete",
            hint=f"promote {version} without --complete to start its roll-out",
        )
    counter = state.next_counter(model)
    tag = RegistryTag(model, Action.ASSIGN, stage=stage, counter=counter).format()
    return PromotionPlan(model, version, stage, tag, target.commit, counter, new=True)
