"""The release notes of a registered version: its model card, as markdown.

The register stage writes this text twice, as the GitHub release's body and as the
``model-card.md`` asset beside the model, through ``report.renderings``. Names and the
description come from ``mlops.yaml`` and metric names from ``metrics.json``, so they go through
``escape_markdown``. The calibration section (only when one was fitted) says what production
estimates rely on, worded as ``report.feedback_figures.calibration_text``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlops_ci.config.model import ModelSpec
from mlops_ci.metrics import format_metric
from mlops_ci.monitoring.feedback.calibration import CALIBRATION_FILE
from mlops_ci.monitoring.feedback.registration import Calibration
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.feedback_figures import calibration_text


def calibration_lines(calibration: Calibration) -> list[str]:
    """The model card's calibration section, or nothing when no calibrator was fitted."""
    calibrator = calibration.calibrator
    if calibrator is None:
        return []
    quality = calibrator.quality
    return [
        "## Calibration (what production estimates rely on)",
        "",
        f"- {calibration_text(calibrator.method, quality)}",
        "- Before labels arrive, `mlops-ci monitor` estimates accuracy and ROC AUC from these "
        f"calibrated probabilities ({CALIBRATION_FILE} in this release: plain numbers, no code).",
        "",
    ]


def model_card(
    model: ModelSpec, version: str, metrics: Mapping[str, object], calibration: Calibration
) -> str:
    """The model card of ``model`` ``version``: what it is, its test metrics, its calibration."""
    lines = [f"# {escape_markdown(model.name)} {version}", ""]
    if model.description:
        lines += [escape_markdown(model.description), ""]
    lines += [
        f"- task: {model.evaluate.task}",
        f"- target: {escape_markdown(model.data.target)}",
        f"- features: {len(model.data.columns) - 1 if model.data.columns else 'as in the data'}",
        "",
        "## Metrics on the held-out test set",
        "",
    ]
    for name in sorted(metrics):
        lines.append(f"- {escape_markdown(str(name))}: {_shown(metrics[name])}")
    lines += [""]
    lines += calibration_lines(calibration)
    lines += ["The model file is in skops format; check it against SHA256SUMS before use."]
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    """A metric from metrics.json as the report shows metrics; anything else as escaped text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_metric(float(value))
    return escape_markdown(str(value))


def calibration_note(calibration: Calibration) -> str:
    """The evaluation's note on the calibration production estimates would rely on."""
    calibrator = calibration.calibrator
    if calibrator is None:
        return f"calibration for production estimates: none ({calibration.reason})"
    quality = calibration_text(calibrator.method, calibrator.quality)
    return f"calibration for production estimates: {quality}"
