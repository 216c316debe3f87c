"""The ``monitor`` stage: production data against the version in production, then act.

For a model with a ``monitor`` section: the version in production comes from the registry
(none: the stage is skipped, nothing to compare); its reference data is read at its commit;
the production files (and the asset of the production version's release, when
``release_asset`` is set) are validated and compared; with ``monitor.feedback``, live quality
on labelled production rows is judged against the registered metrics and the performance is
estimated before labels (``mlops_ci.monitoring.feedback``); each environment of the production
stage with a URL (or port) is asked which version it serves (``monitoring.served``); the model's
issue, trend and retraining dispatch follow the ``monitoring.decision`` rules. Drift, a strongly
drifted column, data-quality errors, a live-quality drop or an environment serving another
version than the registry's fail the stage (exit 1) as designed. With ``dry_run`` nothing is written
to the forge.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_ci.backends.git import Git
from mlops_ci.config.model import ModelSpec, MonitorSpec, StageName
from mlops_ci.deploy.protocol import environment_url
from mlops_ci.monitoring import act, check, decision, history
from mlops_ci.monitoring.asset import fetch_release_data
from mlops_ci.monitoring.feedback.measure import measure_feedback, registered_metrics_from_release
from mlops_ci.monitoring.history import is_run_id
from mlops_ci.monitoring.production import ProductionData, production_data, resolve_files
from mlops_ci.monitoring.reference import reference_at_commit
from mlops_ci.monitoring.run import MonitorRunInfo, issue_marker
from mlops_ci.monitoring.served import ServedVersion, ask_served_version
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import model_in_tag
from mlops_ci.stages.base import StageContext, StageResult, Status
from mlops_ci.stages.references import registry_name
from mlops_ci.stages.results import MonitorOutcome

if TYPE_CHECKING:
    from mlops_ci.registry.state import RegistryState


class MonitorStage:
    name = StageName.MONITOR

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        remote: str | None = "origin",
    ) -> None:
        self.clock = clock
        self.remote = remote

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:

        spec = model.monitor
        if spec is None:
            return self._skip(model, "no monitor section in mlops.yaml")
        git = Git(context.workspace)
        remote = self.remote if self.remote and git.has_remote(self.remote) else None
        state = RegistryStore(context.workspace, remote, git=git).state()
        stage, name = context.config.production_stage, registry_name(model)
        version = state.stage_version(name, stage)
        if version is None:
            return self._skip(model, f"no version in {stage}: nothing to compare")
        found = state.find_version(name, version)
        if found is None:  # a stage holder is always a known version; never on a sound registry
            return self._skip(model, f"version {version} in {stage} is not registered")
        scratch = context.model_dir(model) / "monitor"
        reference = reference_at_commit(
            git, found.commit, model.data.reference_path, context.workspace, scratch
        )
        tag = found.tag or f"{model_in_tag(name)}@{version}"
        production, names = _production(context, spec, model, scratch, tag)
        measured = check.check_production(
            model, version, reference, production, display_names=names
        )
        import dataclasses

        measured = dataclasses.replace(
            measured, served=_served(context, model, stage, version))
        if spec.feedback is not None:

            registered = _registered_metrics(context, state, name, tag, scratch)

            feedback = measure_feedback(
                context.forge, model, spec.feedback, workspace=context.workspace,
                version=version, tag=tag, registered=registered, scratch=scratch,
            )
            measured = dataclasses.replace(measured, feedback=feedback)
        run = run_info(context, self.clock)
        existing = context.forge.read_issue(issue_marker(model.name))
        parsed = history.parse_history(existing.body) if existing else history.ParsedHistory(())
        decided = decision.decide(measured, existing, parsed, run, spec)
        taken = None
        if not context.dry_run:
            taken = act.carry_out(
                context.forge, context.render, decided, measured, existing, run, spec,
                ref=context.config.default_branch, notes=parsed.notes,
                max_rows=context.config.report.max_table_rows,
            )
        outcome = MonitorOutcome(measured, decided, taken, run, parsed.notes)
        return _result(self.name, model, outcome)

    def _skip(self, model: ModelSpec, why: str) -> StageResult:
        outputs = (("drift", "false"), ("issue_url", ""))
        return StageResult(self.name, model.name, Status.SKIPPED, why, outputs=outputs)


def _served(
    context: StageContext, model: ModelSpec, stage: str, version: str
) -> tuple[ServedVersion, ...]:
    """What each environment of the production stage with a URL (or port) serves."""
    answers = []
    for environment in model.deploy.environments:
        url = environment_url(environment, context.environ)
        if environment.stage == stage and url is not None:
            answers.append(ask_served_version(environment.name, url, model.name, version))
    return tuple(answers)


def _production(
    context: StageContext, spec: MonitorSpec, model: ModelSpec, scratch: Path, release_tag: str
) -> tuple[ProductionData, tuple[str, ...]]:

    root = context.workspace
    files = list(resolve_files(root, spec.production_data,
                               key=("models", model.name, "monitor", "production_data"),
                               config_file=context.config.file))
    names = [path.relative_to(root).as_posix() for path in files]
    if spec.release_asset:

        asset = fetch_release_data(context.forge, release_tag, spec.release_asset, scratch)
        files.append(asset.path)
        names.append(asset.display)
    display = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    return production_data(files, model.data.format, display=display), tuple(names)


def _registered_metrics(
    context: StageContext, state: RegistryState, model: str, tag: str, scratch: Path
) -> dict[str, float]:
    """The metrics recorded at registration: the tag's evidence, else the release's file."""
    import math

    for event in state.history(model):
        if event.tag == tag and event.evidence is not None and event.evidence.metrics:
            return {n: v for n, v in event.evidence.metrics if math.isfinite(v)}

    return registered_metrics_from_release(context.forge, tag, scratch)


def run_info(context: StageContext, clock: Callable[[], float]) -> MonitorRunInfo:
    """This run's id (``GITHUB_RUN_ID``, else a local id from the clock), attempt and page."""

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))
    env = context.environ
    run_id = context.event.run_id or env.get("GITHUB_RUN_ID") or ""
    if not is_run_id(run_id):
        run_id = "local-" + now.replace("-", "").replace(":", "")
    attempt_text = env.get("GITHUB_RUN_ATTEMPT", "1")
    attempt = int(attempt_text) if attempt_text.isdigit() else 1
    url = None
    repository = context.event.repository or env.get("GITHUB_REPOSITORY")
    if run_id.isdigit() and repository:
        url = f"{context.event.server_url}/{repository}/actions/runs/{run_id}"
    return MonitorRunInfo(run_id=run_id, at=now, attempt=attempt, url=url)


def _result(name: StageName, model: ModelSpec, outcome: MonitorOutcome) -> StageResult:
    measured = outcome.check
    url = outcome.taken.issue_url if outcome.taken is not None else None
    outputs = (("drift", "true" if measured.drift_found else "false"), ("issue_url", url or ""),
               ("quality_drop", "true" if measured.quality_dropped else "false"))
    summary = f"{model.name} {measured.version}: {outcome.decision.reason}"
    status = Status.FAILED if measured.alert else Status.PASSED
    return StageResult(name, model.name, status, summary, detail=outcome, outputs=outputs)
