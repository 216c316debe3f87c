"""Which stages run, for which models, in what order, and why. Pure: (Config, Event) -> Plan.

The ``triggers`` section of mlops.yaml names the stages each kind of event runs
(``Config.stages_for``); this module decides which kind an event is and which models it is
about. Decisions a caller may rely on:

- pull_request ``opened``/``synchronize``/``reopened`` -> ``triggers.pull_request`` for every
  model; any other action (labeled, edited, ...) plans nothing. A merged pull request's
  ``closed`` event plans nothing: the push of the merge runs the merge flow, once.
- A push to ``default_branch`` -> ``triggers.push``; to any other branch, nothing.
- A pushed or created registration tag ``NAME@vX.Y.Z`` -> ``triggers.registration_tag``, a
  promotion tag ``NAME#STAGE#N`` -> ``triggers.promotion_tag``, for that model only; the step
  carries the tag (and the version or stage the tag names). A promotion's deploy converges on
  the registry: it deploys the version the stage holds when it runs, so a re-run or late run of
  a superseded promotion (``#2`` after ``#3``) deploys ``#3``'s version, not ``#2``'s.
  Deregistration, unassignment and deprecation tags plan nothing.
- A release ``published`` or ``released`` whose tag is a registration tag -> ``triggers.release``
  for that model: a pre-release to ``register.prerelease_stage``, a full release to
  ``production_stage``: ``production`` when ``stages`` declares it, else the last of ``stages``;
  the stage tag is written first. A deploy is idempotent per environment
  and version, so a workflow listening to both actions deploys once.
- schedule -> ``triggers.schedule`` for models with a ``monitor`` section (only those whose
  ``monitor.schedule`` is the cron that fired, when any is).
- workflow_dispatch with inputs ``version`` and ``stage`` -> a promotion
  (``triggers.promotion_tag``) of one model: the input ``model`` (by name or registry name),
  else the config's only model. With several models and no ``model``, a ``UserError`` naming
  the input: not a guess, and not a green run that deployed nothing.
  Without ``version`` and ``stage`` -> ``triggers.workflow_dispatch`` for ``model`` or all.
  With ``canary: complete`` or ``rollback`` (with ``version`` and ``stage``; ``none`` or empty:
  none), that promotion completes or rolls back ``version``'s canary (``PlanStep.canary``).
- repository_dispatch of a model's ``monitor.actions.dispatch_event_type`` (``mlops-retrain``) ->
  ``triggers.repository_dispatch`` for ``client_payload.model`` or all.
- A local run (no GitHub event) -> ``triggers.pull_request`` without register and deploy.
- workflow_run ``completed`` of a ``pull_request`` run -> no stage at all: only "post the
  report that run stored" (``Plan.posts_stored_report``), the second phase of a fork's PR
  report. Runs of other events, requested runs, and cancelled, skipped or unapproved runs
  (no report was stored) plan nothing.
- Steps run in the natural order of ``StageName`` (report last), models in config order.
- A promoting step (promotion tag, release, workflow_dispatch with version and stage) carries
  all its deploy needs (``PlanStep.promoted_by``, ``writes_stage_tag``): the deploy stage reads
  the step, never the event, so what ``mlops-ci plan`` shows is what deploys.

Reasons quote branch, tag and model names from the event: escape them before markdown.
"""

from __future__ import annotations

from collections.abc import Iterable

from mlops_ci.config.model import Config, ModelSpec, StageName, Trigger
from mlops_ci.errors import UserError
from mlops_ci.events import Event, EventKind, ReleaseRef
from mlops_ci.plan import CanaryStep, Plan, PlanStep, canary_step, why_no_stored_report
from mlops_ci.registry.tags import Action, is_valid_version, model_fullname

CHECK_ACTIONS = ("opened", "synchronize", "reopened")
RELEASE_ACTIONS = ("published", "released")
DEFAULT_RETRAIN_EVENT = "mlops-retrain"
_STAGE_ORDER = {stage: index for index, stage in enumerate(StageName)}


def build_plan(config: Config, event: Event) -> Plan:
    """The plan for ``event`` under ``config``. Pure.

    Raises ``UserError`` only for workflow_dispatch inputs that name an unknown model or stage,
    give a version without a stage, or promote without naming one of several models (a person
    typed them and can fix them).
    """
    planner = _PLANNERS[event.kind]
    return planner(config, event)


def _release_stage(config: Config, model: ModelSpec, release: ReleaseRef) -> str | None:
    """The stage a published ``release`` of ``model`` promotes to: a pre-release to
    ``register.prerelease_stage`` (``None`` when unset: nothing to deploy), a full release to
    ``production_stage``."""
    if release.prerelease:
        return model.register.prerelease_stage
    return config.production_stage


def _nothing(event: Event, *reasons: str) -> Plan:
    return Plan(event=event, trigger=None, steps=(), reasons=reasons)


def _run(
    config: Config,
    event: Event,
    trigger: Trigger,
    models: Iterable[ModelSpec],
    reason: str,
    *,
    notes: tuple[str, ...] = (),
    exclude: frozenset[StageName] = frozenset(),
    version: str | None = None,
    registry_stage: str | None = None,
    tag: str | None = None,
    promoted_by: str | None = None,
    writes_stage_tag: bool = False,
    canary: CanaryStep | None = None,
) -> Plan:
    """The steps ``triggers.<trigger>`` names for ``models``, stage by stage."""
    reason = f"{reason} -> triggers.{trigger.value}"
    stages = [stage for stage in config.stages_for(trigger) if stage not in exclude]
    if not stages:
        return Plan(event, trigger, (), (reason, f"triggers.{trigger.value} runs no stage", *notes))
    chosen = list(models)
    steps = tuple(
        PlanStep(model.name, stage, reason, version, registry_stage, tag, promoted_by,
                 writes_stage_tag, canary)
        for stage in sorted(stages, key=_STAGE_ORDER.__getitem__)
        for model in chosen
    )
    return Plan(event, trigger, steps, (reason, *notes))


def _model_for_tag(config: Config, registry_model: str) -> ModelSpec | None:
    for model in config.models:
        if model_fullname(model.name, model.path) == registry_model:
            return model
    return None


def _plan_local(config: Config, event: Event) -> Plan:
    return _run(
        config,
        event,
        Trigger.PULL_REQUEST,
        config.models,
        "local run (no GitHub event)",
        notes=("a local run never registers or deploys",),
        exclude=frozenset({StageName.REGISTER, StageName.DEPLOY}),
    )


def _plan_pull_request(config: Config, event: Event) -> Plan:
    pr = event.pr
    if pr is None:
        return _nothing(event, f"{event.name}: the event names no pull request")
    what = f"pull_request #{pr.number} {event.action}"
    if event.action == "closed":
        if pr.merged:
            return _nothing(
                event,
                f"{what} (merged into {pr.base_ref}): nothing to plan; the push of the merge "
                "runs the merge flow, so it runs once, not twice",
            )
        return _nothing(event, f"{what} without merging: nothing to plan")
    if event.action not in CHECK_ACTIONS:
        return _nothing(
            event, f"{what}: nothing to plan (only {', '.join(CHECK_ACTIONS)} run the checks)"
        )
    notes: tuple[str, ...] = ()
    if event.untrusted:
        notes = ("the pull request comes from a fork: its code and text are untrusted",)
    return _run(config, event, Trigger.PULL_REQUEST, config.models, what, notes=notes)


def _plan_push_branch(config: Config, event: Event) -> Plan:
    what = f"push to branch {event.branch}"
    if event.ref_deleted:
        return _nothing(event, f"{what} deleted it: nothing to plan")
    if event.branch != config.default_branch:
        return _nothing(
            event,
            f"{what}: nothing to plan (only pushes to the default branch "
            f"{config.default_branch} run triggers.push; pull requests run the checks)",
        )
    return _run(config, event, Trigger.PUSH, config.models, what)


def _plan_tag(config: Config, event: Event) -> Plan:
    what = event.describe()
    tag = event.registry_tag
    if event.ref_deleted:
        return _nothing(event, f"{what} deleted it: nothing to plan")
    if tag is None:
        return _nothing(event, f"{what}: not a registry tag, nothing to plan")
    model = _model_for_tag(config, tag.model)
    if model is None:
        return _nothing(event, f"{what}: model {tag.model} is not in {config.file.name}")
    if tag.action is Action.REGISTER:
        return _run(
            config,
            event,
            Trigger.REGISTRATION_TAG,
            [model],
            f"{what} (registration of {model.name} {tag.version})",
            version=tag.version,
            tag=event.tag,
        )
    if tag.action is Action.ASSIGN:
        if tag.stage is None or tag.stage not in config.stages:
            return _nothing(
                event,
                f"{what}: stage {tag.stage} is not one of stages ({', '.join(config.stages)})",
            )
        return _run(
            config,
            event,
            Trigger.PROMOTION_TAG,
            [model],
            f"{what} (promotion of {model.name} to {tag.stage}; deploys the version "
            f"{tag.stage} holds when it runs)",
            registry_stage=tag.stage,
            tag=event.tag,
            promoted_by=f"promotion tag {event.tag}",
        )
    return _nothing(
        event, f"{what}: a {tag.action.value} tag, nothing to plan (the registry reads it)"
    )


def _plan_create_branch(config: Config, event: Event) -> Plan:
    return _nothing(
        event,
        f"{event.describe()}: nothing to plan (pushes to {config.default_branch} "
        "and pull requests run the checks)",
    )


def _plan_release(config: Config, event: Event) -> Plan:
    release = event.release
    if release is None:
        return _nothing(event, f"{event.name}: the event names no release")
    what = event.describe()
    if event.action not in RELEASE_ACTIONS:
        return _nothing(
            event, f"{what}: nothing to plan (only {', '.join(RELEASE_ACTIONS)} deploy)"
        )
    if release.draft:
        return _nothing(event, f"{what}: a draft release, nothing to plan")
    tag = event.registry_tag
    if tag is None or tag.action is not Action.REGISTER:
        return _nothing(event, f"{what}: the release's tag is not a registration tag")
    model = _model_for_tag(config, tag.model)
    if model is None:
        return _nothing(event, f"{what}: model {tag.model} is not in {config.file.name}")
    stage = _release_stage(config, model, release)
    if stage is None:
        return _nothing(
            event,
            f"{what}: a pre-release, and models.{model.name}.register.prerelease_stage "
            "is not set: nothing to deploy",
        )
    kind = "pre-release" if release.prerelease else "release"
    return _run(
        config,
        event,
        Trigger.RELEASE,
        [model],
        f"{what} ({kind} of {model.name} {tag.version} to {stage})",
        version=tag.version,
        registry_stage=stage,
        tag=release.tag_name,
        promoted_by=f"{kind} {release.tag_name}",
        writes_stage_tag=True,
    )


def _plan_schedule(config: Config, event: Event) -> Plan:
    what = "schedule" if event.schedule is None else f"schedule {event.schedule}"
    notes = [f"model {m.name} has no monitor section" for m in config.models if m.monitor is None]
    monitored = [m for m in config.models if m.monitor is not None]
    if not monitored:
        return _nothing(event, f"{what}: no model has a monitor section: nothing to plan")
    on_this_cron = [m for m in monitored if m.monitor and m.monitor.schedule == event.schedule]
    if on_this_cron:
        notes += [
            f"model {m.name} monitors on another schedule"
            for m in monitored
            if m not in on_this_cron
        ]
        monitored = on_this_cron
    return _run(config, event, Trigger.SCHEDULE, monitored, what, notes=tuple(notes))


def _named_model(config: Config, name: str) -> ModelSpec:
    for model in config.models:
        if name in (model.name, model_fullname(model.name, model.path)):
            return model
    known = ", ".join(model.name for model in config.models)
    raise UserError(
        f"workflow_dispatch input model: {name[:100]!r} is not a model in {config.file.name}",
        hint=f"models: {known}",
    )


def _plan_workflow_dispatch(config: Config, event: Event) -> Plan:
    name = event.input("model")
    named = None if name is None else _named_model(config, name)
    version, stage = event.input("version"), event.input("stage")
    canary = canary_step(event.input("canary") or "", "workflow_dispatch input")
    if version is None and stage is None and canary is None:
        chosen = config.models if named is None else (named,)
        what = "workflow_dispatch" if named is None else f"workflow_dispatch for {named.name}"
        return _run(config, event, Trigger.WORKFLOW_DISPATCH, chosen, what)
    if version is None or stage is None:
        got = "only version" if version else "only stage" if stage else f"canary {canary} alone"
        raise UserError(
            f"workflow_dispatch inputs version and stage go together: got {got}",
            hint="both: a promotion (or its canary settled); neither: triggers.workflow_dispatch",
        )
    if not is_valid_version(version):
        raise UserError(
            f"workflow_dispatch input version: {version[:100]!r} is not a version like v1.4.0"
        )
    if stage not in config.stages:
        raise UserError(
            f"workflow_dispatch input stage: {stage[:100]!r} is not one of stages",
            hint=f"stages: {', '.join(config.stages)}",
        )
    only = config.models[0] if len(config.models) == 1 else None
    model = named if named is not None else only
    if model is None:
        known = ", ".join(spec.name for spec in config.models)
        raise UserError(
            f"workflow_dispatch input model: missing; promoting {version} to {stage} needs it, "
            f"as {config.file.name} has {len(config.models)} models",
            hint=f"run the workflow again with model set to one of: {known}",
        )
    doing, where = {None: ("promotion", "to"), "complete": ("completing the canary", "in"),
                    "rollback": ("rolling back the canary", "in")}[canary]
    return _run(
        config, event, Trigger.PROMOTION_TAG, [model],
        f"workflow_dispatch ({doing} of {model.name} {version} {where} {stage})",
        version=version,
        registry_stage=stage,
        promoted_by=f"workflow_dispatch {'' if canary is None else doing + ' '}of {version}",
        writes_stage_tag=True,
        canary=canary,
    )


def _plan_repository_dispatch(config: Config, event: Event) -> Plan:
    retrain_events = {DEFAULT_RETRAIN_EVENT} | {
        model.monitor.actions.dispatch_event_type
        for model in config.models
        if model.monitor is not None
    }
    what = f"repository_dispatch {event.action}"
    if event.action not in retrain_events:
        return _nothing(
            event,
            f"{what}: nothing to plan "
            f"(retraining event types: {', '.join(sorted(retrain_events))})",
        )
    name = event.input("model")
    if name is None:
        return _run(config, event, Trigger.REPOSITORY_DISPATCH, config.models, what)
    for model in config.models:
        if name in (model.name, model_fullname(model.name, model.path)):
            return _run(
                config, event, Trigger.REPOSITORY_DISPATCH, [model], f"{what} for {model.name}"
            )
    return _nothing(event, f"{what}: client_payload.model {name} is not in {config.file.name}")


def _plan_deployment(_config: Config, event: Event) -> Plan:
    return _nothing(
        event,
        "deployment: nothing to plan (mlops-ci's deploy stage creates deployments; "
        "planning on them would deploy twice)",
    )


def _plan_workflow_run(_config: Config, event: Event) -> Plan:
    run = event.workflow_run
    if run is None:
        return _nothing(event, f"{event.name}: the event names no workflow run")
    what = f"workflow_run {event.action} of run {run.id} ({run.name or 'unnamed'})"
    why_not = why_no_stored_report(event.action, run)
    if why_not is not None:
        return _nothing(event, f"{what}: nothing to plan ({why_not})")
    source = run.head_repository or "a deleted fork"
    return Plan(
        event,
        None,
        (),
        (
            f"{what}: post the report it stored for {run.head_sha[:12]} of {source} "
            "(phase 2 of a pull request report; no stage runs)",
        ),
    )


_PLANNERS = {
    EventKind.LOCAL: _plan_local,
    EventKind.PULL_REQUEST: _plan_pull_request,
    EventKind.PUSH_BRANCH: _plan_push_branch,
    EventKind.PUSH_TAG: _plan_tag,
    EventKind.CREATE_TAG: _plan_tag,
    EventKind.CREATE_BRANCH: _plan_create_branch,
    EventKind.RELEASE: _plan_release,
    EventKind.SCHEDULE: _plan_schedule,
    EventKind.WORKFLOW_DISPATCH: _plan_workflow_dispatch,
    EventKind.REPOSITORY_DISPATCH: _plan_repository_dispatch,
    EventKind.DEPLOYMENT: _plan_deployment,
    EventKind.WORKFLOW_RUN: _plan_workflow_run,
}
