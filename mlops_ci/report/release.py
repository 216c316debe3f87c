"""The calibration wording of a registered version's model card and of the evaluation.

The model card itself is ``report.card``'s; its calibration section (only when one was fitted)
says what production estimates rely on, worded as ``report.feedback_figures.calibration_text``.
"""

from __future__ import annotations

from mlops_ci.monitoring.feedback.calibration import CALIBRATION_FILE
from mlops_ci.monitoring.feedback.registration import Calibration
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


def calibration_note(calibration: Calibration) -> str:
    """The evaluation's note on the calibration production estimates would rely on."""
    calibrator = calibration.calibrator
    if calibrator is None:
        return f"calibration for production estimates: none ({calibration.reason})"
    quality = calibration_text(calibrator.method, calibrator.quality)
    return f"calibration for production estimates: {quality}"
