"""Evaluating a candidate beside the production and base models, and deciding its gates.

``evaluate_models`` is what the evaluate stage calls. What a caller may rely on:

- One test set (``data.test``) for all three models, read once with the column schema's
  dtypes (``stages.dataset``); each model gets every column but the target and the id
  column.
- Every model is loaded through ``modelio.load_model`` with ``evaluate.trusted_types`` (plus
  any extra types the caller passes): never unpickled, not even the candidate just trained.
- Metrics are ``evaluate.metrics`` followed by any metric a gate names that the list lacks,
  then the numbers of the training command's own file (``own``, from ``stages.own_metrics``),
  gated with the directions ``evaluate.custom_metrics`` declares.
- Binary metrics treat ``evaluate.positive_class`` (default: the model's last class) as
  positive; the evaluation records which, and how many classes the candidate knows.
- No production (or base) version is a note ("no model in production yet") and its
  comparison gates are skipped. A version the registry names whose model could not be
  fetched (``unavailable``: no release, no model file, a checksum mismatch) fails its
  comparison gates instead, naming the version and what is missing. A production or base
  model that was fetched but cannot be loaded or run on the test set is an error. Either
  way a pull request cannot slip past a comparison gate by breaking the other model.
- ``outcome`` is ``passed``, ``failed``, or ``passed-report-only`` (a gate failed but
  ``evaluate.report_only`` is set, so the run does not fail).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.data.dataset import read_split
from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError
from mlops_ci.gates import (
    NO_BASE,
    NO_PRODUCTION,
    GateStatus,
    GateVerdict,
    Reference,
    UnavailableReference,
    decide_gates,
)
from mlops_ci.metrics import MetricValue, Predictions, compute, metric, predict
from mlops_ci.metrics_file import METRICS_FILE, write_metrics
from mlops_ci.modelio import load_model
from mlops_ci.monitoring.feedback.registration import Calibration, calibrate_candidate
from mlops_ci.stages.base import StageContext, StageResult, Status
from mlops_ci.stages.confusion import confusion_matrix
from mlops_ci.stages.curves import evaluation_charts, with_calibration_map
from mlops_ci.stages.own_metrics import own_metrics
from mlops_ci.stages.params import compare_params
from mlops_ci.stages.references import fetch_reference_models
from mlops_ci.stages.results import Evaluation, EvaluationOutcome, MetricRow, ModelFile, Role


def evaluate_models(
    model: ModelSpec,
    *,
    workspace: Path,
    candidate: Path,
    production: Path | None,
    base: Path | None,
    trusted_types: Sequence[str] = (),
    own: Mapping[Role, Mapping[str, MetricValue]] | None = None,
    unavailable: Mapping[Reference, UnavailableReference] | None = None,
) -> Evaluation:
    """Score the candidate, production and base models on the test set, then judge the gates.

    ``own`` holds the values of the training command's own metrics, by model.
    """

    spec = model.evaluate
    own = own or {}
    own_names = tuple(own.get("candidate", {}))
    trusted = tuple(dict.fromkeys((*spec.trusted_types, *trusted_types)))
    gated = (gate.metric for gate in spec.gates if gate.metric not in own_names)
    names = tuple(dict.fromkeys((*spec.metrics, *gated)))
    for name in names:
        if metric(name).task != spec.task:
            raise UserError(f"models.{model.name}.evaluate: {name} is not a {spec.task} metric")
    test = read_split(model.data, workspace / model.data.test, display=str(model.data.test))

    files: list[ModelFile] = []
    scored: dict[Role, dict[str, MetricValue]] = {}
    seen: dict[Role, Predictions] = {}
    inputs: tuple[tuple[Role, Path | None], ...] = (
        ("candidate", candidate),
        ("production", production),
        ("base", base),
    )
    for role, path in inputs:
        if path is None:
            continue
        files.append(ModelFile(role, path, sha256_file(path)))
        seen[role] = _predict(role, path, trusted, test.features, test.target, model)
        scored[role] = {value.name: value for value in compute(names, seen[role])}

    lost = unavailable or {}
    notes: list[str] = []
    if production is None and "production" not in lost:
        notes.append(f"{NO_PRODUCTION}: comparisons with production are skipped")
    if base is None and "base" not in lost:
        notes.append(f"{NO_BASE}: comparisons with the base branch are skipped")
    rows = tuple(
        MetricRow(
            name,
            metric(name).label,
            metric(name).direction,
            scored["candidate"][name],
            scored.get("production", {}).get(name),
            scored.get("base", {}).get(name),
        )
        for name in names
    ) + tuple(
        MetricRow(name, name, spec.custom_direction(name), own["candidate"][name],
                  own.get("production", {}).get(name), own.get("base", {}).get(name), own=True)
        for name in own_names
    )
    for role, values in own.items():
        if role in scored:
            scored[role].update(values)
    for row in rows:
        for role in ("candidate", "production", "base"):
            value: MetricValue | None = getattr(row, role)
            if value is not None and value.undefined_reason:
                notes.append(
                    f"{row.name} is undefined for the {role} model: {value.undefined_reason}"
                )
    verdicts = decide_gates(
        spec.gates,
        candidate=scored["candidate"],
        production=scored.get("production"),
        base=scored.get("base"),
        directions=dict(spec.custom_metrics),
        unavailable=lost,
    )
    classes = len(seen["candidate"].classes)
    if spec.positive_class is not None and classes > 2:
        notes.append(f"evaluate.positive_class is not used: the candidate knows {classes} "
                     "classes, and multiclass metrics are averaged over them")
    positive = seen["candidate"].positive_class
    confusion = None
    if spec.task == "classification":
        confusion = confusion_matrix({role: seen[role] for role in ("candidate", "production")
                                      if role in seen})
    return Evaluation(
        model_name=model.name,
        task=spec.task,
        test_file=str(model.data.test),
        test_rows=len(test.target),
        models=tuple(files),
        rows=rows,
        gates=verdicts,
        outcome=_outcome(verdicts, report_only=spec.report_only),
        notes=tuple(notes),
        class_count=classes,
        positive_class=None if positive is None else str(positive),
        positive_class_declared=spec.positive_class is not None,
        metrics_file=spec.metrics_file if own_names else None,
        charts=evaluation_charts(spec.task, seen),
        confusion=confusion,
    )


def _predict(
    role: Role, path: Path, trusted: Sequence[str], features: Any, target: Any,
    model: ModelSpec,
) -> Predictions:
    spec = model.evaluate
    try:
        loaded = load_model(path, trusted)
        return predict(loaded, features, target, spec.task, spec.positive_class)
    except UserError as error:
        raise UserError(f"the {role} model: {error.message}", hint=error.hint) from None


def _outcome(verdicts: Sequence[GateVerdict], *, report_only: bool) -> EvaluationOutcome:
    if not any(v.status is GateStatus.FAILED for v in verdicts):
        return EvaluationOutcome.PASSED
    return EvaluationOutcome.PASSED_REPORT_ONLY if report_only else EvaluationOutcome.FAILED


EVALUATION_FILE = "evaluation.json"


def _calibration(context: StageContext, model: ModelSpec, candidate: Path) -> Calibration | None:
    """The calibration production estimates would rely on, shown in the PR report (only when
    ``monitor.feedback`` asks for estimates: then registration fits the same calibrator)."""

    feedback = model.monitor.feedback if model.monitor is not None else None
    if feedback is None or not feedback.estimate:
        return None
    folder = context.model_dir(model) / "calibration"
    return calibrate_candidate(model, candidate, context.workspace, folder)


class EvaluateStage:
    """The ``evaluate`` stage: ``evaluate_models`` on the model the train stage wrote.

    Inputs, inside ``context.model_dir(model)``: the candidate at ``train.model_file``; the
    production and base models at ``production/<model_file>`` and ``base/<model_file>`` when
    the run fetched them (absent: "no model in production yet"). Writes ``metrics.json``
    (the candidate's, DVC-style) and ``evaluation.json`` there. Failed gates make the stage
    FAILED (exit 1), or WARNING under ``evaluate.report_only``.
    """

    name = StageName.EVALUATE

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:
        import json


        folder = context.model_dir(model)
        candidate = folder / model.train.model_file
        if not candidate.is_file():
            return StageResult(
                self.name, model.name, Status.SKIPPED, "no candidate was trained in this run"
            )
        references = fetch_reference_models(context, model, folder)
        evaluation = evaluate_models(
            model,
            workspace=context.workspace,
            candidate=candidate,
            production=references.production_file,
            base=references.base_file,
            own=own_metrics(context, model, folder, references),
            unavailable=dict(references.unavailable),
        )
        calibration = _calibration(context, model, candidate)
        calibration_notes = (
            () if calibration is None else (context.render.calibration_note(calibration),)
        )
        evaluation = dataclasses.replace(
            evaluation,
            production_version=references.production_version,
            base_version=references.base_version,
            params=compare_params(context, model, folder, references),
            notes=evaluation.notes + references.notes + calibration_notes,
            charts=with_calibration_map(
                evaluation.charts, None if calibration is None else calibration.calibrator
            ),
        )
        write_metrics(folder / METRICS_FILE, evaluation.values("candidate"))
        (folder / EVALUATION_FILE).write_text(
            json.dumps(evaluation.to_json(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        counts = {s: sum(1 for v in evaluation.gates if v.status is s) for s in GateStatus}
        passed = counts[GateStatus.PASSED]
        summary = (
            f"{passed} gate check{'' if passed == 1 else 's'} passed, "
            f"{counts[GateStatus.FAILED]} failed, {counts[GateStatus.SKIPPED]} skipped"
        )
        status = {
            EvaluationOutcome.PASSED: Status.PASSED,
            EvaluationOutcome.FAILED: Status.FAILED,
            EvaluationOutcome.PASSED_REPORT_ONLY: Status.WARNING,
        }[evaluation.outcome]
        return StageResult(
            self.name,
            model.name,
            status,
            summary,
            detail=evaluation,
            outputs=(("gates", str(evaluation.outcome)),),
        )
