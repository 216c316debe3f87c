"""The ``deploy`` stage: a promotion puts exactly that version into the stage's environments.

What to deploy comes from the plan step (``deploy_order``), never from the event again: the
planner decided it, so what ``mlops-ci plan`` shows is what deploys. A step promotes on:

- a promotion tag ``NAME#STAGE#N`` (push or create event): to ``STAGE``;
- a release of ``NAME@vX.Y.Z``, ``published`` or ``released``: to the stage the planner chose
  (a pre-release to ``register.prerelease_stage``, a full release to ``production`` when
  ``stages`` declares it, else to the last of ``stages``); the stage tag is written first
  (``registry promote``), so one click in GitHub's UI promotes;
- ``workflow_dispatch`` with inputs ``version`` and ``stage``: the model the planner named (the
  input ``model``, or the only model when the config has one) is promoted, then deployed in the
  same run (a tag pushed with the workflow's token starts no workflow).

Whatever the event, the deploy converges on the registry, GitOps-style: it deploys the version
the registry says the stage holds when the run reads it (``RegistryState.stage_version``, after
fetching the tags of a shallow checkout). A re-run or a late run of a superseded promotion
(``#2`` after ``#3``) therefore deploys ``#3``'s version, or does nothing when that one serves,
and says so in the log, the stage summary and the GitHub deployment's description; a stage
that holds no version any more deploys nothing. A promotion that writes the stage tag first
checks what it can before writing it: the promotion itself, the version's model file (fetched,
sha256 checked) and each target's prerequisites (``DeployTarget.preflight``), so a deploy that
cannot work stops the run (exit 2 or 3) with the registry unchanged.

For each environment bound to the stage: the version's model file is fetched from its release
(sha256 checked); only then is the GitHub deployment (environment + version, found again on a rerun)
created, ``queued`` then ``in_progress``: a failed fetch leaves no deployment behind. The target
deploys the file and checks it; the status becomes ``success`` with the environment URL, and the
deployment the target replaced is marked ``inactive``. A version that fails its checks leaves (or,
when the target had already let the previous one go, puts back) the previous version, marks the
deployment ``failure`` and fails the stage (exit 1) with the reason. A rerun of the same event is a
no-op that says so: the forge's deployment is ``success`` and the target serves that version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.model import Backend, Environment, ModelSpec, StageName
from mlops_ci.deploy.canary import previous_holder
from mlops_ci.deploy.probe import rows_from_csv
from mlops_ci.deploy.protocol import DeployFailed, DeployRequest, DeployTarget
from mlops_ci.deploy.targets import target_for
from mlops_ci.deploy.version_files import requirements_at
from mlops_ci.errors import UserError
from mlops_ci.registry.store import RegistryStore
from mlops_ci.serving.columns import columns_from_specs
from mlops_ci.stages.base import StageContext, StageResult, Status
from mlops_ci.stages.deploy_order import DeployOrder, deploy_order, settle_canary
from mlops_ci.stages.references import registry_name, registry_remote


@dataclass(frozen=True, slots=True)
class _Resolved:
    """What the deploy converges on: the version the stage holds now, and its predecessor."""

    version: str
    registration_tag: str
    previous: str | None  # the version that held the stage before
    previous_tag: str | None
    note: str | None = None  # why that is not the event's own version, when it is not
    why: str = ""  # the deployment's description: the order's why, and the note's gist
    promotion: str | None = None  # the stage tag that put ``version`` there


class DeployStage:
    name = StageName.DEPLOY

    def __init__(self, targets: Callable[[Backend], DeployTarget] = target_for) -> None:
        self.targets = targets

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:
        started = time.monotonic()
        order = deploy_order(context.step)
        if order is None:
            return self._result(model, Status.SKIPPED, "the event promotes no version", started)
        environments = [e for e in model.deploy.environments if e.stage == order.stage]
        if not environments:
            return self._result(
                model, Status.SKIPPED, f"no environment is bound to stage {order.stage}", started
            )
        order = settle_canary(context, model, order, environments)
        if context.dry_run:
            return self._result(
                model, Status.SKIPPED, _dry_run_summary(context, model, order, environments),
                started,
            )
        if order.promote:
            self.preflight(context, model, order, environments)
        resolved = _resolve(context, model, order)
        if isinstance(resolved, str):
            context.out.write(f"{resolved}\n")
            return self._result(model, Status.SKIPPED, resolved, started)
        if resolved.note:
            context.out.write(f"{resolved.note}\n")
        lines: list[str] = [resolved.note] if resolved.note else []
        failed = False
        outputs: list[tuple[str, str]] = [
            ("deployed_version", resolved.version),
            ("model_version", resolved.version),
            ("stage", order.stage),
        ]
        for environment in environments:
            ok, line, url = self._deploy_one(context, model, order, resolved, environment)
            failed = failed or not ok
            lines.append(line)
            if url:
                outputs.append((f"url_{environment.name}", url))
        status = Status.FAILED if failed else Status.PASSED
        return self._result(model, status, "; ".join(lines), started, tuple(outputs))

    def preflight(
        self,
        context: StageContext,
        model: ModelSpec,
        order: DeployOrder,
        environments: list[Environment],
    ) -> None:
        """Before a promotion writes its stage tag: what can be checked without side effects.

        The promotion is decided as ``promote`` decides it (its refusals raised), the version's
        model file is fetched from its release (sha256 checked), and each environment's target
        checks its prerequisites (``DeployTarget.preflight``). A cause found here stops the run
        (exit 2 or 3) with the registry unchanged, instead of a stage tag naming a version that
        cannot deploy. ``environments`` may be empty (the stage is bound to none): the model
        file is checked all the same. The action's ``command: promote`` calls it too.
        """
        assert order.version is not None  # noqa: S101 -- a promoting order names its version
        store = RegistryStore(context.workspace, remote=registry_remote(context.workspace))
        promotion = store.plan_promotion(registry_name(model), order.version, order.stage)
        registered = store.read().find_version(promotion.model, promotion.version)
        if registered is None or registered.tag is None:
            raise UserError(f"{promotion.model} {promotion.version} is not registered")
        if not environments:
            scratch = context.model_dir(model) / "deploy" / "preflight" / order.version
            _fetch_model(context, model, order.version, registered.tag, scratch)
        for environment in environments:
            request = self._request(
                context, model, order, environment, order.version, registered.tag
            )
            self.targets(environment.backend).preflight(request)

    def _result(
        self,
        model: ModelSpec,
        status: Status,
        summary: str,
        started: float,
        outputs: tuple[tuple[str, str], ...] = (),
    ) -> StageResult:
        return StageResult(
            self.name,
            model.name,
            status,
            summary,
            seconds=time.monotonic() - started,
            outputs=outputs,
        )

    def _deploy_one(
        self,
        context: StageContext,
        model: ModelSpec,
        order: DeployOrder,
        resolved: _Resolved,
        environment: Environment,
    ) -> tuple[bool, str, str | None]:
        forge = context.forge
        target = self.targets(environment.backend)
        version = resolved.version
        existing = forge.find_deployment(environment.name, version)
        serving = target.current_version(environment, context.workspace, context.environ)
        held = target.current_promotion(environment, context.workspace, context.environ)
        if (
            existing is not None
            and existing.latest_state == "success"
            and (serving == version or (serving is None and not _tracks_versions(target)))
            and held in (None, resolved.promotion)  # another stage tag: completes a canary
        ):
            return True, f"{environment.name}: {version} is deployed already; nothing to do", None
        # Fetched and verified before GitHub hears of the deployment: a failed fetch deployed
        # nothing, so it must leave no deployment and no status.
        request = self._request(context, model, order, environment, version,
                                resolved.registration_tag, resolved.promotion)
        deployment = existing or forge.create_deployment(
            environment.name,
            resolved.registration_tag,
            version,
            f"{model.name} {version} to {environment.name} ({resolved.why})",
            {"model": model.name, "stage": order.stage},
        )
        forge.set_deployment_status(deployment, "queued", description=resolved.why[:140])
        forge.set_deployment_status(deployment, "in_progress", description=f"deploying {version}")
        try:
            deployed = target.deploy(request)
        except DeployFailed as failure:
            note = self._recover(context, model, order, environment, resolved, target, failure)
            forge.set_deployment_status(
                deployment, "failure", description=(failure.message + note)[:140]
            )
            return False, f"{environment.name}: {failure.message}{note}", None
        except Exception:
            forge.set_deployment_status(deployment, "error", description="deploy did not run")
            raise
        forge.set_deployment_status(
            deployment, "success", environment_url=deployed.url, description=f"{version} serves"
        )
        if serving is not None and serving != version:
            self._retire(context, environment, serving)
        return True, f"{environment.name}: {version} deployed ({deployed.detail})", deployed.url

    def _request(
        self,
        context: StageContext,
        model: ModelSpec,
        order: DeployOrder,
        environment: Environment,
        version: str,
        tag: str,
        promotion: str | None = None,
    ) -> DeployRequest:

        scratch = context.model_dir(model) / "deploy" / environment.name / version
        model_file = _fetch_model(context, model, version, tag, scratch)
        columns = columns_from_specs(model.data.columns, exclude=(model.data.target,))
        test_data = context.workspace / model.data.test
        rows = (
            rows_from_csv(test_data, columns, environment.health.smoke_rows,
                          exclude=(model.data.target,))
            if test_data.suffix == ".csv" and test_data.is_file()
            else ()
        )
        return DeployRequest(
            model=model.name,
            version=version,
            stage=order.stage,
            model_file=model_file,
            environment=environment,
            columns=columns,
            trusted_types=model.evaluate.trusted_types,
            smoke_rows=rows,
            workspace=context.workspace,
            scratch=scratch,
            environ=context.environ,
            out=context.out,
            id_column=model.data.id_column,
            release_tag=tag,
            promotion=promotion,
            requirements=requirements_at(context.workspace, tag, model.train.requirements,
                                         context.environ),
        )

    def _recover(
        self,
        context: StageContext,
        model: ModelSpec,
        order: DeployOrder,
        environment: Environment,
        resolved: _Resolved,
        target: DeployTarget,
        failure: DeployFailed,
    ) -> str:
        """Put the previous version back when the target let it go; what was done, as text."""
        if failure.previous_serving:
            return ""
        if not environment.rollback or resolved.previous is None or not resolved.previous_tag:
            return "; no previous version to roll back to"
        try:
            request = self._request(
                context, model, order, environment, resolved.previous, resolved.previous_tag
            )
            target.rollback(request)
        except (DeployFailed, UserError) as error:
            return f"; rolling back to {resolved.previous} failed too: {error.message}"
        return f"; rolled back to {resolved.previous}"

    def _retire(self, context: StageContext, environment: Environment, version: str) -> None:
        """Mark the deployment of the version the target replaced inactive, when GitHub (or
        the outbox) has one: a version deployed by other means has none, and gets none."""
        superseded = context.forge.find_deployment(environment.name, version)
        if superseded is None or superseded.latest_state == "inactive":
            return
        context.forge.mark_inactive(superseded)


def _fetch_model(
    context: StageContext, model: ModelSpec, version: str, tag: str, scratch: Path
) -> Path:
    """The version's model file from its release ``tag``, sha256 checked, in ``scratch``."""
    dest = scratch / model.train.model_file
    fetched = context.forge.fetch_release_asset(tag, model.train.model_file, dest)
    if not fetched.found or fetched.path is None:
        raise UserError(
            f"cannot deploy {model.name} {version}: the release {tag} has no asset "
            f"{model.train.model_file} ({fetched.outcome.value})",
            hint="a version is deployable once the register stage published its release",
        )
    return fetched.path


def _tracks_versions(target: DeployTarget) -> bool:
    return target.name != "command"


def _dry_run_summary(
    context: StageContext, model: ModelSpec, order: DeployOrder, environments: list[Environment]
) -> str:
    """What the real run would deploy, decided as it decides (``_resolve``), writing nothing:
    a promotion tag's run deploys what the stage holds now, even when the tag is superseded."""
    names = ", ".join(e.name for e in environments)
    if order.promote:
        again = " again (a new stage tag: completes its canary)" if order.reassign else ""
        return (f"dry run: would promote {order.version} to {order.stage}{again} ({order.why}), "
                f"then deploy it to {names}")
    resolved = _resolve(context, model, order)
    if isinstance(resolved, str):
        return f"dry run: {resolved}"
    note = f" ({resolved.note})" if resolved.note else ""
    return f"dry run: would deploy {resolved.version} to {names}{note}"


def _resolve(context: StageContext, model: ModelSpec, order: DeployOrder) -> _Resolved | str:
    """What the registry says ``order.stage`` holds now, whatever event started the run: the
    version to deploy, its registration tag and the stage's previous holder; or, when the stage
    holds no version now, why nothing deploys.

    A replayed or late promotion event (a re-run of ``NAME#STAGE#2`` after ``#3``) therefore
    converges on the version ``#3`` put there instead of bringing back a superseded one.
    """

    remote = registry_remote(context.workspace)
    store = RegistryStore(context.workspace, remote=remote)
    name = registry_name(model)
    if order.promote and order.version is not None:
        (store.reassign if order.reassign else store.promote)(name, order.version, order.stage)
    state = store.state()
    model_state = state.model(name)
    if model_state is None:
        raise UserError(f"the registry has no model {name!r}", hint="register a version first")
    asked = order.version
    if order.promotion_tag is not None:
        record = next((r for r in model_state.records if r.name == order.promotion_tag), None)
        if record is None:
            raise UserError(
                f"promotion tag {order.promotion_tag} is not in the registry",
                hint="fetch the tags (git fetch --tags) and run again",
            )
        asked = model_state.version_of_commit.get(record.commit)
        if asked is None:
            raise UserError(
                f"{order.promotion_tag} points at a commit with no registered version of {name}"
            )
    event = order.promotion_tag or order.why
    version = state.stage_version(name, order.stage)
    if version is None:
        return (f"{event}: the registry's {order.stage} holds no version now "
                f"(it was unassigned since): nothing to deploy")
    assignment = state.latest_assignment(name, version, order.stage)
    registered = model_state.version(version)
    if assignment is None or registered is None or registered.tag is None:
        raise UserError(f"{name} {version} is not registered")
    note, why = None, order.why
    if version != asked:
        note = (f"{event} is superseded by {assignment.name}: the registry's {order.stage} "
                f"holds {version}, so this run deploys {version}, not {asked}")
        why = f"{order.why}, superseded by {assignment.name}"
    previous = previous_holder(model_state, order.stage, assignment)
    previous_state = model_state.version(previous) if previous else None
    return _Resolved(
        version, registered.tag, previous, previous_state.tag if previous_state else None,
        note, why, assignment.name,
    )
