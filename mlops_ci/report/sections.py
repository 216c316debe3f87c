"""Report sections for each stage's typed detail: metrics and gates, data validation, drift.

One renderer per ``StageDetail`` type, chosen by ``detail_section`` with a ``match`` on the
type; a detail with no section of its own (a ``TrainResult``, a ``MonitorOutcome``: their
stage's summary line says it all) renders as ``None``, and ``render_report`` shows none.
"""

from __future__ import annotations

from mlops_ci.data.results import DriftResult, ValidationResult
from mlops_ci.metrics import MULTICLASS_AVERAGE, MetricValue, format_change, format_metric
from mlops_ci.report.curves import curves_markdown
from mlops_ci.report.drift import render_drift_markdown
from mlops_ci.report.drift_chart import drift_chart_markdown
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.review import evaluation_review
from mlops_ci.report.tables import table
from mlops_ci.report.validation import render_validation_markdown
from mlops_ci.stages.base import StageDetail
from mlops_ci.stages.results import Evaluation, MonitorOutcome, TrainResult

_GATE_ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}


def _delta(value: float | None, higher_is_better: bool | None) -> str:
    if value is None:
        return "–"
    change = format_change(value)
    if change == "±0" or higher_is_better is None:
        return change
    better = (value > 0) == higher_is_better
    return f"{'🟢' if better else '🔴'} {change}"


def detail_section(detail: StageDetail) -> str | None:
    """The section of a stage's detail, by its type, or ``None`` when it has none."""
    match detail:
        case Evaluation():
            return evaluation_section(detail)
        case DriftResult():
            return drift_section(detail)
        case tuple():
            return validation_section(detail) if detail else None
        case TrainResult() | MonitorOutcome():
            return None


def evaluation_section(detail: Evaluation) -> str:
    """The metrics of the three models side by side, the gates, and the evaluation's notes."""
    production, base = "production", "base"
    if detail.production_version:
        production = f"production ({escape_markdown(detail.production_version)})"
    if detail.base_version:
        base = f"base ({escape_markdown(detail.base_version)})"
    rows = []
    for row in detail.rows:
        higher = None if row.direction is None else row.direction == "higher"
        arrow = {True: " ↑", False: " ↓", None: ""}[higher]
        cells = [
            escape_markdown(row.name) + arrow + (" ✎" if row.own else ""),
            _metric(row.candidate),
            _metric(row.production),
            _delta(row.delta_production, higher),
            _metric(row.base),
            _delta(row.delta_base, higher),
        ]
        rows.append(cells)
    parts = [
        f"Metrics on {escape_markdown(detail.test_file)} ({detail.test_rows:,} rows):",
        "",
        table(["metric", "candidate", production, "Δ production", base, "Δ base"], rows),
        "",
        *_metric_notes(detail),
    ]
    if detail.gates:
        gate_rows = [
            [
                f"{_GATE_ICONS.get(str(g.status), '')} {g.status}",
                escape_markdown(g.config_path),
                escape_markdown(g.explanation),
            ]
            for g in detail.gates
        ]
        parts += [table(["gate", "where", "why"], gate_rows), ""]
    parts += evaluation_review(detail)
    for note in detail.notes:
        parts.append(f"- {escape_markdown(note)}")
    charts = curves_markdown(detail)
    if charts:
        parts += ["", charts]
    return "\n".join(parts).rstrip() + "\n"


def _metric_notes(detail: Evaluation) -> list[str]:
    """How the metrics were computed: the positive class of a binary classifier, the
    averaging over more classes, where the training command's own metrics (✎) came from."""
    lines = []
    if detail.positive_class is not None:
        how = ("evaluate.positive_class" if detail.positive_class_declared
               else "the default: the last of the model's classes; set evaluate.positive_class "
               "to choose")
        lines.append(
            f"Positive class: `{escape_markdown(detail.positive_class)}` ({how}); precision, "
            "recall, f1, roc_auc, average_precision and brier_score are computed for it."
        )
    elif detail.class_count > 2:
        lines.append(
            f"{detail.class_count} classes: precision, recall, f1 and average_precision are "
            f"{MULTICLASS_AVERAGE}-averaged (each class counts the same); roc_auc is "
            f"one-vs-rest, {MULTICLASS_AVERAGE}-averaged."
        )
    if detail.metrics_file is not None:
        lines.append(
            f"✎ from the training command's {escape_markdown(detail.metrics_file)} (production "
            "and base: their releases' metrics.json); ↑/↓ as declared in "
            "evaluate.custom_metrics, none when undeclared."
        )
    return [part for line in lines for part in (line, "")]


def _metric(value: MetricValue | None) -> str:
    if value is None:
        return "–"
    if value.value is None:
        return f"n/a ({escape_markdown(value.undefined_reason or 'undefined')})"
    return format_metric(float(value.value))


def drift_section(detail: DriftResult) -> str:
    charts = drift_chart_markdown(detail)
    return render_drift_markdown(detail) + (f"\n{charts}\n" if charts else "")


def validation_section(detail: tuple[ValidationResult, ...]) -> str:
    """One validation section per file, in the order they were validated."""
    return "\n".join(render_validation_markdown(item) for item in detail)
