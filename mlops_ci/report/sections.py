"""Report sections for each stage's typed detail: metrics and gates, data validation, drift.

Each function takes a stage's ``detail`` and returns markdown, or ``None`` when the detail is
not its kind, so ``render_report`` can try them in turn.
"""

from __future__ import annotations

from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.tables import table

_GATE_ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    if value == 0 or 0.001 <= abs(value) < 10_000:
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return f"{value:.3g}"


def _delta(value: float | None, higher_is_better: bool) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "±0"
    better = (value > 0) == higher_is_better
    arrow = "🟢" if better else "🔴"
    return f"{arrow} {value:+.4f}".rstrip("0").rstrip(".")


def evaluation_section(detail: object) -> str | None:
    from mlops_ci.stages.evaluate import Evaluation

    if not isinstance(detail, Evaluation):
        return None
    production = (
        f"production ({detail.production_version})" if detail.production_version else ("production")
    )
    base = f"base ({detail.base_version})" if detail.base_version else "base"
    rows = []
    for row in detail.rows:
        higher = row.direction == "higher"
        cells = [
            escape_markdown(row.name) + (" ↑" if higher else " ↓"),
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
    for note in detail.notes:
        parts.append(f"- {escape_markdown(note)}")
    return "\n".join(parts).rstrip() + "\n"


def _metric(value: object) -> str:
    if value is None:
        return "–"
    number = getattr(value, "value", None)
    if number is None:
        reason = getattr(value, "undefined_reason", None) or "undefined"
        return f"n/a ({escape_markdown(reason)})"
    return _number(float(number))


def drift_section(detail: object) -> str | None:
    from mlops_ci.data.markdown import render_drift_markdown
    from mlops_ci.data.results import DriftResult

    if not isinstance(detail, DriftResult):
        return None
    return render_drift_markdown(detail)


def validation_section(detail: object) -> str | None:
    from mlops_ci.data.markdown import render_validation_markdown
    from mlops_ci.data.results import ValidationResult

    if isinstance(detail, ValidationResult):
        return render_validation_markdown(detail)
    if (
        isinstance(detail, tuple)
        and detail
        and all(isinstance(item, ValidationResult) for item in detail)
    ):
        return "\n".join(render_validation_markdown(item) for item in detail)
    return None
