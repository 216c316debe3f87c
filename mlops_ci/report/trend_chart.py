"""The monitoring trend as Mermaid charts: drift share, live quality and estimates per run.

Drawn from the history the issue keeps (``monitoring.history``), oldest run first, at most
``MAX_POINTS`` runs (evenly thinned, the newest always kept):

- the share of drifted columns of each run as bars, the share that flags the dataset as a
  line (when known); a run that could not measure drift has a bar of 0 and "–" in the table;
- when any run measured live quality or estimated it, one line per live metric (the first
  ``MAX_LIVE``) and per estimated metric (the first ``MAX_ESTIMATED``). A run without a value
  draws the nearest run's value (a line cannot have a gap); the table shows "–" there.

Metric names come from the config and the history block (anyone who can edit the issue can
edit it): ``mermaid_text`` in the chart, ``escape_markdown`` in the caption and tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.monitoring.history import HistoryEntry
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.mermaid import MAX_POINTS, Axis, Colour, Plot, chart_block, number, thin

MAX_LIVE = 3  # as the trend table shows them
MAX_ESTIMATED = 2
_LINE_COLOURS: tuple[Colour, ...] = ("blue", "green", "orange", "purple", "red")


def trend_charts_markdown(
    entries: Sequence[HistoryEntry], share_threshold: float | None = None
) -> str:
    """The trend charts of ``entries`` (oldest first); empty without entries."""
    kept = [entries[index] for index in thin(len(entries), MAX_POINTS)]
    if not kept:
        return ""
    labels = _labels(kept)
    charts = [_drift_chart(kept, labels, share_threshold)]
    quality = _quality_chart(kept, labels)
    if quality:
        charts.append(quality)
    return "\n\n".join(charts)


def _labels(entries: Sequence[HistoryEntry]) -> tuple[str, ...]:
    """``MM-DD HH:MM`` of each run, made distinct (a chart's categories must differ)."""
    seen: dict[str, int] = {}
    labels = []
    for entry in entries:
        label = entry.at[5:16].replace("T", " ")
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return tuple(labels)


def _drift_chart(
    entries: Sequence[HistoryEntry], labels: Sequence[str], threshold: float | None
) -> str:
    title = "Share of drifted columns per run"
    shares = tuple(100 * (entry.share_drifted or 0.0) for entry in entries)
    plots = [Plot("bar", "blue", "drifted columns (%)", shares)]
    if threshold is not None:
        plots.append(Plot("line", "red", "the share that flags the dataset",
                          (100 * threshold,) * len(entries)))
    headers = ["run", "date (UTC)", "drifted share (%)"]
    rows = [
        [escape_markdown(entry.run_id), label,
         "–" if entry.share_drifted is None else number(100 * entry.share_drifted)]
        for entry, label in zip(entries, labels, strict=True)
    ]
    x = Axis("run (UTC date)", categories=tuple(labels))
    return chart_block(title, x, Axis("drifted columns (%)", 0, 100), plots, headers, rows)


def _series(entries: Sequence[HistoryEntry]) -> list[tuple[str, list[float | None]]]:
    """Each live metric, then each estimate (``≈ name``), with its value per run."""
    found: list[tuple[str, list[float | None]]] = []
    for kind, prefix, most in (("live", "live ", MAX_LIVE), ("estimated", "≈ ", MAX_ESTIMATED)):
        names: dict[str, None] = {}
        for entry in entries:
            for name, _ in getattr(entry, kind):
                names.setdefault(name, None)
        for name in tuple(names)[:most]:
            values = [dict(getattr(entry, kind)).get(name) for entry in entries]
            found.append((prefix + name, values))
    return found


def _filled(values: Sequence[float | None]) -> tuple[float, ...]:
    """Each missing value as the nearest run's (earlier first), for a line without gaps."""
    known = [(index, value) for index, value in enumerate(values) if value is not None]
    return tuple(
        value if value is not None
        else min(known, key=lambda item: (abs(item[0] - index), item[0] > index))[1]
        for index, value in enumerate(values)
    )


def _quality_chart(entries: Sequence[HistoryEntry], labels: Sequence[str]) -> str | None:
    series = _series(entries)
    if not series:
        return None
    title = "Live quality and estimates per run"
    plots = [
        Plot("line", colour, escape_markdown(name), _filled(values))
        for (name, values), colour in zip(series, _LINE_COLOURS, strict=False)
    ]
    headers = ["run", "date (UTC)", *(escape_markdown(name) for name, _ in series)]
    rows = [
        [escape_markdown(entry.run_id), label,
         *("–" if values[index] is None else number(values[index] or 0.0)
           for _, values in series)]
        for index, (entry, label) in enumerate(zip(entries, labels, strict=True))
    ]
    x = Axis("run (UTC date)", categories=tuple(labels))
    return chart_block(title, x, _value_axis(plots), plots, headers, rows)


def _value_axis(plots: Sequence[Plot]) -> Axis:
    """A range around every value, padded (Mermaid's own range of a flat line is empty)."""
    values = [value for plot in plots for value in plot.values]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 0.1
    return Axis("metric value", round(low - pad, 4), round(high + pad, 4))
