"""What a canary step of a promotion writes: ``complete`` or ``rollback`` the canary of a version.

A canary lives in the stage's committed ``InferenceService`` manifests (``kind:
inferenceservice`` with ``canary: PERCENT``, see :mod:`.inferenceservice`), and the registry
says which version holds the stage; :func:`decide_canary` reads both and says which promotion
the step makes, so the deploy that follows renders the right roll-out:

- ``complete`` of the version the stage holds, while a manifest of the stage gives it
  ``canaryTrafficPercent``: a new stage tag ``NAME#STAGE#N`` for that version (``reassign``),
  as ``mlops-ci registry promote --complete`` writes; its deploy sends all traffic to it.
- ``rollback`` of that version: the stable version the manifests record
  (``mlops-ci.stable-version``) is promoted again; its deploy renders it alone.
- Repeating a step that was done writes nothing (a rerun of the same dispatch): ``complete``
  of a version that takes all the traffic already, or whose completing tag is written but not
  deployed yet; ``rollback`` of the version that held the stage just before its holder now,
  when the manifests show no canary of that holder.
  The decision then promotes the holder, which is a no-op, and the deploy converges on it.
- Refused (:class:`UserError`, exit 2): a step naming a version the stage does not hold (as
  ``--complete`` refuses it), a ``rollback`` of a version with no canary, and a ``rollback``
  whose environments record different stable versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.model import Environment
from mlops_ci.deploy.inferenceservice import Rollout
from mlops_ci.deploy.kubernetes import committed_rollout_of
from mlops_ci.errors import UserError
from mlops_ci.plan import CanaryStep
from mlops_ci.registry.state import ModelState, RegistryState, TagRecord
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import Action


@dataclass(frozen=True, slots=True)
class CanaryDecision:
    """Promote ``version`` to the stage (``reassign``: write a new tag for the version the stage
    holds, which completes its canary); ``note`` says what that does, or why it writes nothing."""

    version: str
    reassign: bool
    note: str


def settle_canary_step(
    step: CanaryStep,
    store: RegistryStore,
    model: str,
    version: str,
    stage: str,
    environments: Iterable[Environment],
    workspace: Path,
) -> CanaryDecision:
    """:func:`decide_canary` on the registry as a write sees it (``model``'s tags fetched
    from the store's remote first) and on the manifests ``environments`` of ``stage`` have
    committed in ``workspace``. Writes nothing."""
    rollouts = stage_rollouts(environments, workspace)
    return decide_canary(step, store.synced_state(model), model, version, stage, rollouts)


def stage_rollouts(
    environments: Iterable[Environment], workspace: Path
) -> tuple[tuple[str, Rollout], ...]:
    """The committed roll-out of each of ``environments`` that has one (KServe only)."""
    found = ((e.name, committed_rollout_of(e, workspace)) for e in environments)
    return tuple((name, rollout) for name, rollout in found if rollout is not None)


def previous_holder(model: ModelState, stage: str, assignment: TagRecord) -> str | None:
    """The last other version that held ``stage`` before ``assignment`` (the tag that put its
    holder there); ``None`` when no other version held it before."""
    holder = model.version_of_commit.get(assignment.commit)
    previous = None
    for record in model.records[: model.records.index(assignment)]:
        if record.tag.action is Action.ASSIGN and record.tag.stage == stage:
            earlier = model.version_of_commit.get(record.commit)
            if earlier is not None and earlier != holder:
                previous = earlier
    return previous


def decide_canary(
    step: CanaryStep,
    state: RegistryState,
    model: str,
    version: str,
    stage: str,
    rollouts: Sequence[tuple[str, Rollout]],
) -> CanaryDecision:
    """What ``step`` of the canary of ``model`` ``version`` in ``stage`` writes. Pure."""
    holder = state.stage_version(model, stage)
    current = None if holder is None else state.latest_assignment(model, holder, stage)
    model_state = state.model(model)
    previous = (None if current is None or model_state is None
                else previous_holder(model_state, stage, current))
    canaries = [(name, r) for name, r in rollouts if r.version == version and r.stable is not None]
    if holder is not None and current is None:  # held through an unregistered commit
        raise UserError(f"{model} {holder} is in {stage} without an assignment tag")
    if holder != version or current is None:
        # Rolled back already: the holder took over from ``version`` and serves without a
        # canary of its own (naming the stable version during a canary is a mistake instead).
        holder_canary = any(r.version == holder and r.stable is not None for _, r in rollouts)
        if (step == "rollback" and holder is not None and previous == version and rollouts
                and not holder_canary):
            return CanaryDecision(holder, False, (
                f"the canary of {model} {version} in {stage} was rolled back already: {stage} "
                f"holds {holder} since {current.name if current else 'then'}; no tag written"))
        raise UserError(
            f"{stage} holds {holder or 'no version'} of {model}, not {version}: there is no "
            f"canary of {version} to {'complete' if step == 'complete' else 'roll back'}",
            hint=f"promote {version} without canary to start its roll-out"
            if step == "complete" else f"rollback names the canary's version, which {stage} holds",
        )
    where = ", ".join(name for name, _ in canaries)
    if step == "complete":
        if not canaries:
            return CanaryDecision(version, False, (
                f"{model} {version} takes all of {stage}'s traffic already: no canary of it to "
                "complete; no tag written"))
        if all(r.promotion not in (None, current.name) for _, r in canaries):
            return CanaryDecision(version, False, (
                f"{current.name} completes the canary of {model} {version} and is written "
                f"already: deploying it to {where}; no tag written"))
        return CanaryDecision(version, True, (
            f"completing the canary of {model} {version} in {stage} ({where}): a new stage tag, "
            f"all traffic to {version}"))
    if not canaries:
        raise UserError(
            f"{model} {version} takes all of {stage}'s traffic: there is no canary of it to "
            "roll back",
            hint=f"to go back to another version, promote it to {stage} without canary",
        )
    stables = sorted({str(r.stable) for _, r in canaries})
    if len(stables) > 1:
        raise UserError(
            f"the environments of {stage} ({where}) keep different stable versions "
            f"({', '.join(stables)}): mlops-ci cannot tell which to roll back to",
            hint=f"promote the version you want in {stage} without canary",
        )
    return CanaryDecision(stables[0], False, (
        f"rolling back the canary of {model} {version} in {stage} ({where}): promoting the "
        f"stable version {stables[0]} again"))
