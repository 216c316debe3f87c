"""The evaluation's curves as Mermaid charts: ROC, precision-recall, calibration, and
predicted against actual for a regressor.

The curves come computed in ``Evaluation.charts`` (``stages.curves``, from the same
predictions as the metrics); this module only draws them: the candidate in blue, production
in orange, the base branch's model in green, the calibration map performance estimates rely
on in purple, reference lines (chance, perfect calibration) in grey. Each chart is followed by
a caption naming the colours and its numbers in a collapsed table. The model name and
versions are untrusted: ``mermaid_text`` in the chart, ``escape_markdown`` around it.
"""

from __future__ import annotations

import dataclasses

from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.mermaid import Axis, Colour, Plot, chart_block, number
from mlops_ci.stages.results import CurveChart, Evaluation, Series

_COLOURS: dict[str, Colour] = {"candidate": "blue", "production": "orange", "base": "green",
                               "calibration": "purple", "reference": "grey"}
PROBABILITY_DECIMALS = 3  # rates and probabilities: finer than a chart shows, and short
_TITLES = {
    "roc": "ROC curve",
    "precision_recall": "Precision-recall curve",
    "calibration": "Calibration curve",
    "predicted_actual": "Predicted against actual",
}
_AXES = {
    "roc": ("false positive rate", "true positive rate"),
    "precision_recall": ("recall", "precision"),
    "calibration": ("predicted probability (bin centre)", "observed share of positives"),
    "predicted_actual": ("actual (mean of an equal-count bin of test rows)", "mean prediction"),
}


def curves_markdown(evaluation: Evaluation) -> str:
    """Every chart of ``evaluation``, in order; empty when it has none. A chart where no model
    has a line (a test set of one class) is only its note."""
    parts = []
    for chart in evaluation.charts:
        if any(series.role != "reference" for series in chart.series):
            parts.append(_chart(evaluation, chart))
        elif chart.note:
            parts.append(f"No {_TITLES[chart.kind]} for {escape_markdown(chart.note)}.\n")
    return "\n".join(parts)


def _name(evaluation: Evaluation, series: Series) -> str:
    version = {"production": evaluation.production_version,
               "base": evaluation.base_version}.get(series.role)
    return series.name + (f" ({version})" if version else "")


def _distinct(evaluation: Evaluation, chart: CurveChart) -> tuple[Series, ...]:
    """The chart's lines, but the base model's when it is production's (same version, same
    values): that line is production's, named for both."""
    lines = {series.role: series for series in chart.series}
    production, base = lines.get("production"), lines.get("base")
    same = (production is not None and base is not None and production.values == base.values
            and evaluation.production_version == evaluation.base_version)
    if not same:
        return chart.series
    return tuple(
        dataclasses.replace(series, name="production and base") if series.role == "production"
        else series
        for series in chart.series if series.role != "base"
    )


def _chart(evaluation: Evaluation, chart: CurveChart) -> str:
    title = f"{evaluation.model_name}: {_TITLES[chart.kind]}"
    chart = dataclasses.replace(chart, series=_distinct(evaluation, chart))
    x_label, y_label = _AXES[chart.kind]
    if chart.kind == "predicted_actual":
        x = Axis(x_label, categories=tuple(_short(v) for v in chart.x))
        y = Axis(y_label)
    else:
        # In percent: Mermaid steps a numeric axis by adding (high - low) / (points - 1), and
        # with 0.05 the rounding drops the last point; whole-number steps are exact.
        x = Axis(f"{x_label} (%)", round(chart.x[0] * 100), round(chart.x[-1] * 100))
        y = Axis(y_label, 0.0, 1.0)
    names = [_name(evaluation, series) for series in chart.series]
    decimals = 4 if chart.kind == "predicted_actual" else PROBABILITY_DECIMALS
    plots = [
        Plot("line", _COLOURS[series.role], escape_markdown(name), series.values, decimals)
        for series, name in zip(chart.series, names, strict=True)
    ]
    headers = [x_label, *(escape_markdown(name) for name in names)]
    rows = [
        [number(point), *(number(series.values[index], decimals) for series in chart.series)]
        for index, point in enumerate(chart.x)
    ]
    parts = [f"**{escape_markdown(_TITLES[chart.kind])}**", "",
             chart_block(title, x, y, plots, headers, rows)]
    if chart.note:
        parts.insert(2, f"No curve for {escape_markdown(chart.note)}.\n")
    return "\n".join(parts)


def _short(value: float) -> str:
    """An axis label of three significant digits, without an exponent below 100,000."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"
