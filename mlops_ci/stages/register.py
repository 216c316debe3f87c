"""The ``register`` stage: a candidate that passed its gates becomes the next version.

Writes the annotated tag ``NAME@vX.Y.Z`` (GTO's format, evidence in the message, with the
environment that produced the model: ``stages.environment``) and pushes it,
then makes the GitHub release holding the model file, ``metrics.json``, ``params.json`` (the
training parameters, ``stages.params``), the model card (in ``context.render``'s words:
``report.card``, with ``CardFacts``) and ``SHA256SUMS`` (and ``calibration.json``,
fitted on the test set, when ``monitor.feedback`` asks for estimates of a binary classifier;
the model card then shows its quality). Both writes are idempotent: a rerun for the same
commit finds the tag (``created=False``) and the release, and completes only what is missing.
A run for a pushed registration tag (``gto register``) registers that tag's version, which
finds the tag, and makes its release.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.digest import sha256_file
from mlops_ci.forge.checksums import render_sha256sums
from mlops_ci.forge.protocol import AssetFile
from mlops_ci.monitoring.feedback.registration import calibrate_candidate
from mlops_ci.registry.evidence import Evidence, GateRecord
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import Action, Bump, RegistryTag
from mlops_ci.stages.base import StageContext, StageResult, Status
from mlops_ci.stages.card_facts import CardFacts
from mlops_ci.stages.environment import environment_record
from mlops_ci.stages.params import RELEASE_PARAMS, candidate_record, params_record, record_json
from mlops_ci.stages.references import registry_name, registry_remote
from mlops_ci.stages.results import Evaluation, TrainResult

if TYPE_CHECKING:
    from mlops_ci.registry.evidence import Evidence


class RegisterStage:
    name = StageName.REGISTER

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:

        if not model.register.enabled:
            return self._skipped(model, "register.enabled is false")
        evaluation = context.result(model, StageName.EVALUATE)
        if evaluation is None:
            return self._skipped(model, "nothing was evaluated in this run")
        if evaluation.status is Status.FAILED:
            return self._skipped(model, "gates failed: nothing registered")
        model_dir = context.model_dir(model)
        model_file = model_dir / model.train.model_file
        metrics_file = model_dir / "metrics.json"
        if not model_file.is_file():
            return self._skipped(model, "no trained model in this run")
        store = RegistryStore(context.workspace, remote=registry_remote(context.workspace))
        decision = _decide(context, model, store)
        if context.dry_run:
            return self._skipped(model, f"dry run: {decision.describe()}")
        registration = store.register(
            registry_name(model),
            version=decision.version,
            bump=decision.bump,
            ref=context.event.sha or "HEAD",
            evidence=_evidence(context, model, model_file),
            first_version=model.register.first_version,
        )
        outputs: tuple[tuple[str, str], ...] = (
            ("model_version", registration.version),
            ("tag", registration.tag),
        )
        what = "registered" if registration.created else "already registered"
        summary = f"{what} {registration.tag} at {registration.commit[:12]}"
        if not model.register.release:
            return StageResult(self.name, model.name, Status.PASSED, summary, outputs=outputs)
        if not registration.created:
            # A rerun: the release holds the model this version was registered with; a
            # retrained file may differ in bytes (other libraries, other data) and must not
            # replace it.
            registered = model_dir / "registered" / model.train.model_file
            registered.parent.mkdir(parents=True, exist_ok=True)
            fetched = context.forge.fetch_release_asset(
                registration.tag, model.train.model_file, registered
            )
            if fetched.found and fetched.path is not None:
                model_file = fetched.path

        calibration = calibrate_candidate(
            model, model_file, context.workspace, model_dir / "calibration"
        )
        card = model_dir / "model-card.md"
        card.write_text(
            context.render.model_card(
                model, registration.version, _recorded_metrics(metrics_file), calibration,
                card_facts(context, model, model_file),
            ),
            encoding="utf-8",
        )
        params = _params_file(context, model, model_dir / "release")
        files = [
            model_file,
            metrics_file,
            card,
            *([params] if params is not None else []),
            *([calibration.path] if calibration.path is not None else []),
            *(context.workspace / a for a in model.register.assets),
        ]
        sums = model_dir / "SHA256SUMS"
        sums.write_text(
            render_sha256sums({f.name: sha256_file(f) for f in files}), encoding="utf-8"
        )
        release = context.forge.ensure_release(
            registration.tag,
            f"{model.name} {registration.version}",
            card.read_text(encoding="utf-8"),
            [AssetFile(f.name, f) for f in [*files, sums]],
        )
        summary += f"; release {release.outcome.value}"
        if release.url:
            outputs += (("release_url", release.url),)
        return StageResult(self.name, model.name, Status.PASSED, summary, outputs=outputs)

    def _skipped(self, model: ModelSpec, why: str) -> StageResult:
        return StageResult(self.name, model.name, Status.SKIPPED, why)


def _evidence(context: StageContext, model: ModelSpec, model_file: Path) -> Evidence:

    evaluation = context.result(model, StageName.EVALUATE)
    detail = evaluation.detail if evaluation else None
    metrics: tuple[tuple[str, float], ...] = ()
    gates: tuple[GateRecord, ...] = ()
    compared_to = None
    if isinstance(detail, Evaluation):
        metrics = tuple(
            (value.name, value.value)
            for value in detail.values("candidate")
            if value.value is not None
        )
        gates = tuple(
            GateRecord(g.config_path, str(g.status) != "failed", g.explanation)
            for g in detail.gates
        )
        compared_to = detail.production_version
    return Evidence(
        metrics=metrics,
        compared_to=compared_to,
        gates=gates,
        data_fingerprint=_data_fingerprint(context.workspace, model),
        config_fingerprint=sha256_file(context.config.file)[:16],
        run_url=_run_url(context),
        extra=(("model_sha256", sha256_file(model_file)),),
        environment=environment_record(_trained(context, model), context.environ),
    )


def _trained(context: StageContext, model: ModelSpec) -> TrainResult | None:
    """This run's training of ``model`` (``None`` when the run trained nothing)."""
    trained = context.result(model, StageName.TRAIN)
    return trained.detail if trained and isinstance(trained.detail, TrainResult) else None


def _params_file(context: StageContext, model: ModelSpec, folder: Path) -> Path | None:
    """The release's ``params.json`` (``stages.params``), when this run trained the model."""
    record = candidate_record(context, model)
    if record is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RELEASE_PARAMS
    path.write_text(record_json(record), encoding="utf-8")
    return path


def card_facts(context: StageContext, model: ModelSpec, model_file: Path) -> CardFacts:
    """What the model card records beyond the metrics (``stages.card_facts``)."""
    train = _trained(context, model)
    evaluation = context.result(model, StageName.EVALUATE)
    detail = evaluation.detail if evaluation else None
    record = params_record(train) if train is not None else {}
    how = None
    if train is not None:
        how = {"command": "by its training command", "container": f"in the image {train.image}",
               "estimator": f"as {train.estimator}"}[train.method]
    return CardFacts(
        model_sha256=sha256_file(model_file),
        trained=how,
        params=tuple((path, tuple(values.items())) for path, values in record.items()),
        data_files=train.data_files if train is not None else (),
        environment=environment_record(train, context.environ),
        evaluation=detail if isinstance(detail, Evaluation) else None,
    )


def _data_fingerprint(workspace: Path, model: ModelSpec) -> str:
    digest = hashlib.sha256()
    for relative in (model.data.train, model.data.test, model.data.reference_path):
        digest.update(sha256_file(workspace / relative).encode())
    return digest.hexdigest()[:16]


def _run_url(context: StageContext) -> str | None:
    env = context.environ
    if not (env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY")):
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"


def _recorded_metrics(metrics_file: Path) -> dict[str, object]:
    """The candidate's ``metrics.json`` as written by evaluate (empty when there is none)."""
    if not metrics_file.is_file():
        return {}
    loaded: dict[str, object] = json.loads(metrics_file.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True, slots=True)
class _Decision:
    """What registering this run's commit does: ``existing`` (its registration tag) when the
    commit is registered already, else a new ``version``, or the next ``bump`` (``next_tag``
    names the tag that bump takes on the state decided on)."""

    existing: str | None
    version: str | None
    bump: Bump | None
    next_tag: str
    commit: str

    def describe(self) -> str:
        if self.existing is not None:
            return (f"already registered {self.existing} at {self.commit[:12]}; "
                    "would write no tag, only what its release lacks")
        return f"would register {self.next_tag} at {self.commit[:12]}"


def _decide(context: StageContext, model: ModelSpec, store: RegistryStore) -> _Decision:
    """The one decision behind a run and its dry run, by the rules ``RegistryStore.register``
    applies: a commit that has an active registration keeps it (a rerun is a no-op); else the
    version of the pushed registration tag, or the next ``register.bump``."""
    name = registry_name(model)
    version = _pushed_version(context, model)
    bump = None if version else model.register.bump
    commit = store.git.resolve_commit(context.event.sha or "HEAD")
    state = store.state()
    existing = state.version_at_commit(name, commit)
    if existing is not None and existing.active and existing.tag is not None:
        return _Decision(existing.tag, version, bump, existing.tag, commit)
    chosen = version or state.next_version(name, bump, model.register.first_version)
    tag = RegistryTag(name, Action.REGISTER, version=chosen).format()
    return _Decision(None, version, bump, tag, commit)


def _pushed_version(context: StageContext, model: ModelSpec) -> str | None:
    """The version of the registration tag this run is for (``gto register`` pushed it), if it
    names this model; otherwise None, and the run registers the next bump."""

    tag = context.event.registry_tag
    if tag is None or tag.action is not Action.REGISTER or tag.model != registry_name(model):
        return None
    return tag.version
