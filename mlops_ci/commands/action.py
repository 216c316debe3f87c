"""``mlops-ci action``: the Docker action's entry point, mapping the action's inputs to a command.

GitHub passes every input of ``action.yml`` as ``INPUT_<NAME>`` (names upper-cased, so the
inputs use underscores). This reads them, hides the token from the log (``::add-mask::``),
and runs one command with a typed request, exactly as the CLI would, in ``working_directory``
(which must stay inside ``GITHUB_WORKSPACE``): the folder and the environment are passed down
(the config path is read from that folder), and the process's working directory is left alone.

- ``run`` (default): the stages the triggering event plans (``mlops-ci run``); on a pull
  request the report goes by ``pull_request_report``: ``artifact`` (default) stores the
  results for the ``workflow_run`` job to render and post, ``comment`` posts it from here;
- ``validate``, ``plan``, ``monitor``: as their CLI commands;
- ``promote``: write the stage tag for ``model``/``version``/``stage`` (``registry promote``),
  once the model is one of the config's (by name or registry name), the version is registered
  and the stage is declared in ``stages``: a tag naming anything else would deploy nothing.
  Before the tag is pushed, what the deploy needs is checked without side effects, as the
  deploy stage checks a promotion it writes (``DeployStage.preflight``): the version's release
  holds its model file (sha256 checked), and each environment of the stage has what its target
  needs (a Docker engine, a command's program, a cluster). A cause found there exits 2 or 3
  and pushes no tag.
  With ``canary`` (``complete`` or ``rollback``; empty or ``none``: none), the promotion
  completes or rolls back the canary of ``version`` in ``stage`` instead, decided as a
  workflow_dispatch's ``canary`` input is (``deploy.canary``): a new stage tag for the version
  the stage holds (``registry promote --complete``), or the stable version promoted again; a
  step done already writes nothing, and one naming a version the stage does not hold, or a
  rollback without a canary, exits 2. Under ``run``, a workflow_dispatch reads its own
  ``canary`` input from the event (as ``version`` and ``stage``); this input is only checked.
  With ``dry_run`` the store decides the promotion as the real one does
  (``RegistryStore.plan_promotion``): the tag it would push is printed, or the real run's
  refusal raised; no tag is written.
  Deploying it is the promotion tag's run, or, since a tag pushed with the workflow token
  starts no workflow, ``run`` on a ``workflow_dispatch`` with those inputs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from mlops_ci.actions import add_mask
from mlops_ci.backends.git import Git
from mlops_ci.commands.monitor import MonitorRequest, monitor
from mlops_ci.commands.plan import PlanRequest, plan
from mlops_ci.commands.registry_write import PromoteRequest, promote
from mlops_ci.commands.run import RunRequest, run
from mlops_ci.commands.run_report import PULL_REQUEST_REPORTS, PullRequestReport
from mlops_ci.commands.validate import ValidateRequest, validate
from mlops_ci.config.loader import load_config
from mlops_ci.config.model import Config, ModelSpec
from mlops_ci.deploy.canary import settle_canary_step
from mlops_ci.errors import EXIT_OK, UserError
from mlops_ci.forge.select import open_forge
from mlops_ci.plan import CanaryStep, canary_step
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import is_valid_version, model_fullname
from mlops_ci.report.renderings import ReportRenderings
from mlops_ci.stages.base import StageContext
from mlops_ci.stages.deploy import DeployStage
from mlops_ci.stages.deploy_order import DeployOrder
from mlops_ci.webhooks import local_event

COMMANDS = ("run", "validate", "plan", "monitor", "promote")
TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off", ""})
PROMOTION_REMOTE = "origin"
REQUIREMENTS_CACHE = ".mlops/cache/requirements"


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion the action's inputs asked for, checked against the config."""

    repo: Path
    model: str  # the registry name: ``dir/path:name`` for a model kept in a subfolder
    version: str
    stage: str
    config: Config
    spec: ModelSpec
    canary: CanaryStep | None = None  # the canary of ``version`` to complete or roll back
    reassign: bool = False  # a new stage tag for the version held (a canary step settled)


def action(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    token = _input(env, "github_token")
    if token:
        add_mask(token)
    command = _input(env, "command") or "run"
    if command not in COMMANDS:
        raise UserError(
            f"action input command: {command!r} is not one of {', '.join(COMMANDS)}",
            hint="set `with: command:` in the workflow to one of those",
        )
    directory = _working_directory(env)
    sys.stdout.flush()
    config_input = Path(_input(env, "config") or "mlops.yaml")
    config = directory / config_input  # unchanged when the input is absolute
    model = _input(env, "model") or None
    dry_run = _flag(env, "dry_run")
    canary = canary_step(_input(env, "canary"), "action input")
    if command == "run":

        request = RunRequest(
            config=config_input, cwd=directory, dry_run=dry_run, models=(model,) if model else (),
            requirements_cache=requirements_cache(env),
            pull_request_report=_pull_request_report(env),
        )
        return run(request, environ=env)
    if command == "validate":

        return validate(ValidateRequest(config=config))
    if command == "plan":

        return plan(PlanRequest(config=config), environ=env)
    if command == "monitor":

        watch = MonitorRequest(config=config, model=model, dry_run=dry_run,
                               requirements_cache=requirements_cache(env))
        return monitor(watch, environ=env)
    promotion = _settle_canary(replace(_promotion(env, config, model), canary=canary), env)
    if dry_run:
        return _preview_promotion(promotion, env)
    return _write_promotion(promotion, env)


def _pull_request_report(env: Mapping[str, str]) -> PullRequestReport:
    """The ``pull_request_report`` input: ``artifact`` (the default: two phases, the pull
    request's job needs no write token) or ``comment`` (one job with a write token)."""
    value = _input(env, "pull_request_report") or "artifact"
    for known in PULL_REQUEST_REPORTS:
        if value == known:
            return known
    raise UserError(
        f"action input pull_request_report: {value[:60]!r} is not one of "
        f"{', '.join(PULL_REQUEST_REPORTS)}",
        hint="`artifact` stores the results for the workflow_run job (mlops-report.yml) to "
        "post; `comment` comments from this job, which then needs pull-requests: write",
    )


def _settle_canary(promotion: Promotion, environ: Mapping[str, str]) -> Promotion:
    """``promotion`` with its canary step made the plain promotion it is (printed): the
    version to promote, and whether as a new stage tag of the version the stage holds."""
    if promotion.canary is None:
        return promotion
    git = Git(promotion.repo, environ=environ)
    remote = PROMOTION_REMOTE if git.has_remote(PROMOTION_REMOTE) else None
    store = RegistryStore(promotion.repo, remote, git=git)
    environments = [e for e in promotion.spec.deploy.environments if e.stage == promotion.stage]
    decision = settle_canary_step(promotion.canary, store, promotion.model, promotion.version,
                                  promotion.stage, environments, promotion.repo)
    print(decision.note, flush=True)
    return replace(promotion, version=decision.version, canary=None, reassign=decision.reassign)


def _promotion(env: Mapping[str, str], config_path: Path, model: str | None) -> Promotion:
    """The inputs of ``command: promote``, checked as a promotion tag's run would read them."""

    version, stage = _input(env, "version"), _input(env, "stage")
    if not (model and version and stage):
        raise UserError(
            "command promote needs the inputs model, version and stage",
            hint="e.g. with: {command: promote, model: churn, version: v1.4.0, stage: production}",
        )
    config = load_config(config_path)
    specs = [
        spec for spec in config.models if model in (spec.name, model_fullname(spec.name, spec.path))
    ]
    if not specs:
        raise UserError(
            f"action input model: {model[:100]!r} is not a model in {config.file.name}",
            hint=f"models: {', '.join(spec.name for spec in config.models)}",
        )
    if not is_valid_version(version):
        raise UserError(f"action input version: {version[:100]!r} is not a version like v1.4.0")
    if stage not in config.stages:
        raise UserError(
            f"action input stage: {stage[:100]!r} is not one of stages in {config.file.name}",
            hint=f"stages: {', '.join(config.stages)}",
        )
    spec = specs[0]
    return Promotion(
        config.root, model_fullname(spec.name, spec.path), version, stage, config, spec
    )


def _write_promotion(promotion: Promotion, environ: Mapping[str, str]) -> int:

    _preflight(promotion, environ, sys.stdout)
    request = PromoteRequest(
        repo=promotion.repo,
        model=promotion.model,
        version=promotion.version,
        stage=promotion.stage,
        remote=PROMOTION_REMOTE,
        next_step=False,
        complete=promotion.reassign,
    )
    code = promote(request, environ=environ)
    print(
        "a tag pushed with the workflow's token starts no workflow: deploy it with "
        "`command: run` on a workflow_dispatch with the inputs model, version and stage",
        flush=True,
    )
    return code


def _preview_promotion(
    promotion: Promotion, environ: Mapping[str, str], out: TextIO | None = None
) -> int:
    """Say which tag ``_write_promotion`` would push, decided as it decides; write no tag.

    The remote must exist (the tag is pushed there). The store then fetches the model's tags
    from it and decides on them exactly as the promotion does (``plan_promotion``): a version
    not registered, deregistered, or in the stage without its tag raises the promotion's own
    error. The counter shown is the next free one now; a promotion landing in between takes it,
    and the real run then takes the one after.
    """

    stream = out if out is not None else sys.stdout
    git = Git(promotion.repo, environ=environ)
    if not git.has_remote(PROMOTION_REMOTE):
        raise UserError(
            f"no git remote named {PROMOTION_REMOTE!r} in {promotion.repo}",
            hint="promote pushes its tag there: check the repository out with actions/checkout",
        )
    store = RegistryStore(promotion.repo, PROMOTION_REMOTE, git=git)
    plan = store.plan_promotion(promotion.model, promotion.version, promotion.stage)
    name, version, stage = plan.model, plan.version, plan.stage
    if promotion.reassign:
        print(f"dry run: would promote {name} {version} -> {stage} again (a new stage tag, "
              f"pushed to {PROMOTION_REMOTE}: completes its canary); nothing written",
              file=stream)
        return EXIT_OK
    if not plan.new:
        print(
            f"dry run: already in stage: {name} {version} -> {stage} (tag {plan.tag}); "
            f"would only push that tag to {PROMOTION_REMOTE} if it lacks it",
            file=stream,
        )
        return EXIT_OK
    print(
        f"dry run: would promote {name} {version} -> {stage} (tag {plan.tag} on commit "
        f"{plan.commit[:12]}, pushed to {PROMOTION_REMOTE}); nothing written",
        file=stream,
    )
    return EXIT_OK


def _preflight(promotion: Promotion, environ: Mapping[str, str], out: TextIO) -> None:
    """What the promotion tag's deploy needs, checked before the tag is pushed: the deploy
    stage's own preflight, with the forge the run would read the release from."""
    config, spec = promotion.config, promotion.spec
    environments = [e for e in spec.deploy.environments if e.stage == promotion.stage]
    why = f"command promote of {promotion.version} to {promotion.stage}"
    order = DeployOrder(promotion.stage, promotion.version, None, True, why)
    context = StageContext(
        config=config,
        event=local_event(environ),
        forge=open_forge(config.root, environ),
        workspace=config.root,
        run_dir=config.root / ".mlops" / "run",
        environ=environ,
        out=out,
        render=ReportRenderings(),
    )
    DeployStage().preflight(context, spec, order, environments)
    names = ", ".join(e.name for e in environments) or "no environment"
    print(f"preflight: {spec.name} {promotion.version} can deploy to {names}", file=out)


def requirements_cache(env: Mapping[str, str]) -> Path:
    """Where the action caches the venvs of ``train.requirements``: ``REQUIREMENTS_CACHE``
    under the workspace, the folder the workflows ``init`` writes keep with actions/cache."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    return workspace / REQUIREMENTS_CACHE


def _input(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper()}", "").strip()


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = _input(env, name).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise UserError(f"action input {name}: {value!r} is not true or false")


def _working_directory(env: Mapping[str, str]) -> Path:
    """The input ``working_directory``, absolute, refused unless a folder inside the workspace."""
    relative = _input(env, "working_directory") or "."
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    target = (workspace / relative).resolve()
    if not target.is_relative_to(workspace):
        raise UserError(
            f"action input working_directory: {relative!r} leaves the workspace {workspace}"
        )
    if not target.is_dir():
        raise UserError(f"action input working_directory: {relative!r} is not a folder")
    return target
