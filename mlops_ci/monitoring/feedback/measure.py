"""Gather what a feedback check needs for the version in production, then ``assess`` it.

From the version's release (the forge's ``fetch_release_asset``, checked against the release's
``SHA256SUMS``): the model file, when ``feedback.data`` rows must be scored here, and
``calibration.json``, the calibrator the estimate relies on. A release without a calibrator (a
version registered before feedback was configured, or a model without probabilities) gives
live quality without an estimate, and says why. From the workspace: the feedback files
``monitor.feedback`` names. The registered metrics are the caller's (the registration's
evidence in its tag, else the release's ``metrics.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlops_ci.config.model import FeedbackSpec, ModelSpec
from mlops_ci.config.yamlmarks import YamlPath
from mlops_ci.errors import UserError
from mlops_ci.forge.protocol import Forge
from mlops_ci.metrics_file import METRICS_FILE, read_metrics
from mlops_ci.modelio import load_model
from mlops_ci.monitoring.feedback.calibration import CALIBRATION_FILE, Calibrator, read_calibrator
from mlops_ci.monitoring.feedback.check import FeedbackCheck, assess
from mlops_ci.monitoring.feedback.sources import NamedFile, rows_from_data
from mlops_ci.monitoring.feedback.stream_data import assess_streamed_data, is_streamed_data
from mlops_ci.monitoring.feedback.stream_data_join import assess_joined_data
from mlops_ci.monitoring.feedback.stream_log import assess_log
from mlops_ci.monitoring.production import resolve_files

KEY = "monitor.feedback"


def measure_feedback(
    forge: Forge,
    model: ModelSpec,
    spec: FeedbackSpec,
    *,
    workspace: Path,
    version: str,
    tag: str,
    registered: Mapping[str, float],
    scratch: Path,
) -> FeedbackCheck:
    """Live quality and estimates of ``model`` ``version`` (released as ``tag``)."""
    folder = scratch / "feedback"
    labels = _files(workspace, spec.labels, (*_at(model), "labels"))
    if spec.prediction_log:
        if not labels:
            raise UserError(
                f"models.{model.name}.{KEY}.prediction_log needs {KEY}.labels: the log holds "
                "what was served, the labels what happened",
            )
        logs = _files(workspace, spec.prediction_log, (*_at(model), "prediction_log"))
        # streamed, JSON Lines and Parquet alike (``stream_log``)
        calibrator, note = _calibrator(forge, tag, folder) if spec.estimate else (None, None)
        return assess_log(
            spec, model.data, model=model.name, version=version, logs=logs, labels=labels,
            metric_names=model.evaluate.metrics, registered=registered,
            calibrator=calibrator, calibrator_note=note,
            positive_class=model.evaluate.positive_class)
    files = _files(workspace, spec.data, (*_at(model), "data"))
    production_model = _production_model(forge, model, tag, folder)
    if isinstance(production_model, str):
        source = ", ".join(f.name for f in files)
        return FeedbackCheck.not_measured(source, production_model, spec.min_rows)
    calibrator, note = _calibrator(forge, tag, folder) if spec.estimate else (None, None)
    if is_streamed_data(files) and labels:
        return assess_joined_data(
            spec, model.data, model_object=production_model, files=files, labels=labels,
            metric_names=model.evaluate.metrics, registered=registered,
            calibrator=calibrator, calibrator_note=note,
            positive_class=model.evaluate.positive_class)
    if is_streamed_data(files):
        return assess_streamed_data(
            spec, model.data, model_object=production_model, files=files,
            metric_names=model.evaluate.metrics, registered=registered,
            calibrator=calibrator, calibrator_note=note,
            positive_class=model.evaluate.positive_class)
    rows = rows_from_data(
        spec, model.data, model_object=production_model, files=files, labels=labels,
    )
    return assess(rows, spec=spec, metric_names=model.evaluate.metrics, registered=registered,
                  calibrator=calibrator, calibrator_note=note,
                  positive_class=model.evaluate.positive_class)


def registered_metrics_from_release(forge: Forge, tag: str, scratch: Path) -> dict[str, float]:
    """``metrics.json`` of the release of ``tag``; empty when it has none."""

    fetched = forge.fetch_release_asset(tag, METRICS_FILE, scratch / "feedback" / METRICS_FILE)
    if not fetched.found or fetched.path is None:
        return {}
    return read_metrics(fetched.path)


def _at(model: ModelSpec) -> YamlPath:
    return ("models", model.name, "monitor", "feedback")


def _files(
    workspace: Path, patterns: tuple[str, ...], key: YamlPath
) -> tuple[NamedFile, ...]:

    return tuple(
        NamedFile(path, path.relative_to(workspace).as_posix())
        for path in resolve_files(workspace, patterns, key=key)
    )


def _production_model(
    forge: Forge, model: ModelSpec, tag: str, folder: Path
) -> object | str:
    """The production model, or (a ``str``) why it is not there to score rows with.

    A release without its model is not fatal: drift is still measured and reported, and the
    report says why live quality is not.
    """

    name = model.train.model_file
    fetched = forge.fetch_release_asset(tag, name, folder / name)
    if not fetched.found or fetched.path is None:
        return (f"the release {tag} has no model file {name} to score the production rows "
                f"with ({fetched.outcome.value.replace('_', ' ')}); publish the release, or "
                f"log predictions and set {KEY}.prediction_log")
    return load_model(fetched.path, model.evaluate.trusted_types)


def _calibrator(forge: Forge, tag: str, folder: Path) -> tuple[Calibrator | None, str | None]:
    fetched = forge.fetch_release_asset(tag, CALIBRATION_FILE, folder / CALIBRATION_FILE)
    if not fetched.found or fetched.path is None:
        return None, (
            f"no estimate: the release {tag} holds no {CALIBRATION_FILE} (it is written when a "
            "binary classifier with probabilities is registered with monitor.feedback set)"
        )
    return read_calibrator(fetched.path, display=f"{CALIBRATION_FILE} of release {tag}"), None
