"""Build a model's ``monitor`` section (production data, actions, feedback) into ``MonitorSpec``.

Part of ``build``: the same rules (defaults from the dataclasses of ``model.py``, ``BuildError``
with the YAML path for what the schema cannot express), for the section that runs after a model
is in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from mlops_ci.config.fields import (
    YamlPath,
    as_map,
    choice,
    fail,
    optional,
    optional_number,
    section,
    strings,
    value_or,
)
from mlops_ci.config.model import (
    Calibration,
    FeedbackSpec,
    FindingLabels,
    MonitorActions,
    MonitorSpec,
    Tolerance,
)

_ACTIONS = MonitorActions()
_MONITOR = MonitorSpec()
_FEEDBACK = FeedbackSpec()
_LABELS = FindingLabels()
_CALIBRATIONS: tuple[Calibration, ...] = get_args(Calibration)


def build_monitor(data: Mapping[str, object], at: YamlPath) -> MonitorSpec:
    """The ``monitor`` section of a model at ``at`` (schema-valid)."""
    actions = section(data, "actions", at)
    actions_at = (*at, "actions")
    feedback = data.get("feedback")
    labels = section(data, "labels", at)
    labels_at = (*at, "labels")
    return MonitorSpec(
        production_data=strings(data, "production_data", at, _MONITOR.production_data),
        release_asset=optional(data, "release_asset", at, str),
        schedule=value_or(data, "schedule", at, _MONITOR.schedule),
        actions=MonitorActions(
            issue=value_or(actions, "issue", actions_at, _ACTIONS.issue),
            labels=strings(actions, "labels", actions_at, _ACTIONS.labels),
            dispatch=value_or(actions, "dispatch", actions_at, _ACTIONS.dispatch),
            dispatch_event_type=value_or(
                actions, "dispatch_event_type", actions_at, _ACTIONS.dispatch_event_type
            ),
            workflow=optional(actions, "workflow", actions_at, str),
        ),
        labels=FindingLabels(
            drift=value_or(labels, "drift", labels_at, _LABELS.drift),
            quality=value_or(labels, "quality", labels_at, _LABELS.quality),
            data_errors=value_or(labels, "data_errors", labels_at, _LABELS.data_errors),
            serving=value_or(labels, "serving", labels_at, _LABELS.serving),
        ),
        history=value_or(data, "history", at, _MONITOR.history),
        feedback=None if feedback is None else _feedback(feedback, (*at, "feedback")),
    )


def _feedback(value: object, at: YamlPath) -> FeedbackSpec:
    data = as_map(value, at)
    tolerances = section(data, "tolerances", at)
    return FeedbackSpec(
        data=strings(data, "data", at, _FEEDBACK.data),
        labels=strings(data, "labels", at, _FEEDBACK.labels),
        prediction_log=strings(data, "prediction_log", at, _FEEDBACK.prediction_log),
        id_column=optional(data, "id_column", at, str),
        timestamp_column=optional(data, "timestamp_column", at, str),
        window_days=value_or(data, "window_days", at, _FEEDBACK.window_days),
        min_rows=value_or(data, "min_rows", at, _FEEDBACK.min_rows),
        tolerances=tuple(
            _tolerance(name, as_map(spec, (*at, "tolerances", name)), (*at, "tolerances", name))
            for name, spec in tolerances.items()
        ),
        estimate=value_or(data, "estimate", at, _FEEDBACK.estimate),
        calibration=choice(data, "calibration", at, _CALIBRATIONS, _FEEDBACK.calibration),
    )


def _tolerance(metric: str, data: Mapping[str, object], at: YamlPath) -> Tolerance:
    max_drop = optional_number(data, "max_drop", at)
    if max_drop is None:
        fail((*at, "max_drop"), "is required")
    return Tolerance(
        metric=metric, max_drop=max_drop, relative=value_or(data, "relative", at, False)
    )
