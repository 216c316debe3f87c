"""Charts GitHub draws itself: Mermaid ``xychart-beta`` blocks, each followed by its numbers.

GitHub renders a fenced ``mermaid`` block in comments, issues and release notes as a diagram,
so a chart needs no image host. What a caller may rely on:

- ``mermaid_text`` makes any string safe inside a quoted Mermaid label: a label from a pull
  request (a model, column or metric name) cannot end the quoted string (``"``), open a list
  (``[``/``]``), start a new statement (a line break, ``;``), become a comment or a
  configuration directive (``%%``, ``%%{``), an entity (``#name;``), HTML (``<``/``>``) or
  close the fence (backticks). Characters outside a plain set become spaces or look-alikes.
- ``xychart`` writes one block: a title, labelled axes, the plots in the order given, their
  colours set by a directive (xychart-beta draws no legend, so ``caption`` names each colour
  in words, and the caption goes under the chart). Numbers are written as plain decimals,
  which is all the chart's grammar reads (no exponent, never NaN).
- ``numbers_table`` is the chart's data as a collapsed table, for readers without Mermaid
  (e-mail notifications, screen readers); its cells must already be escaped.
- A numeric x axis must step by whole numbers: Mermaid places the points of a line at
  ``low + i * step`` while that is at most ``high``, so a step such as 0.05 drops the last
  point to rounding (``report.curves`` draws rates in percent).
- ``thin`` picks at most ``n`` evenly spread indices, keeping the first and the last.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mlops_ci.report.escape import code_block
from mlops_ci.report.tables import details

MAX_LABEL = 40
MAX_POINTS = 30

# Colours and the words a caption uses for them (the emoji circles are close to the colours).
COLOURS = {
    "blue": ("#1f6feb", "🔵"),
    "orange": ("#f0883e", "🟠"),
    "green": ("#2da44e", "🟢"),
    "purple": ("#8250df", "🟣"),
    "grey": ("#8c959f", "⚪"),
    "red": ("#cf222e", "🔴"),
}
Colour = Literal["blue", "orange", "green", "purple", "grey", "red"]

_LOOKALIKES = {'"': "'", "`": "'", "[": "(", "]": ")", "{": "(", "}": ")", "<": "‹",
               ">": "›", "#": "№", ";": ",", "&": "+", "\\": "/", "|": "/"}
_ALLOWED = re.compile(r"[\w .,:'()+\-/*=!?%№‹›…·²³°×±–—]")
_SPACES = re.compile(r"\s+")


def mermaid_text(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` as the inside of a quoted Mermaid label (see the module doc), at most
    ``limit`` characters; never empty (``?`` stands for nothing)."""
    mapped = "".join(_LOOKALIKES.get(char, char) for char in text)
    kept = "".join(char if _ALLOWED.fullmatch(char) else " " for char in mapped)
    while "%%" in kept:
        kept = kept.replace("%%", "% %")
    flat = _SPACES.sub(" ", kept).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat or "?"


def number(value: float, decimals: int = 4) -> str:
    """``value`` as a plain decimal the chart's grammar reads (at most ``decimals``)."""
    if not math.isfinite(value):
        return "0"
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def thin(count: int, n: int = MAX_POINTS) -> list[int]:
    """At most ``n`` indices of ``range(count)``, evenly spread, first and last kept."""
    if count <= n:
        return list(range(count))
    if n <= 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (n - 1)) for i in range(n)})


@dataclass(frozen=True, slots=True)
class Plot:
    """One plotted series: a line or bars, its colour and how the caption names it
    (already escaped for markdown), its values written with ``decimals`` at most."""

    kind: Literal["line", "bar"]
    colour: Colour
    name: str
    values: tuple[float, ...]
    decimals: int = 4


@dataclass(frozen=True, slots=True)
class Axis:
    """An axis: a label, and either a numeric range or category labels (x only)."""

    label: str
    low: float | None = None
    high: float | None = None
    categories: tuple[str, ...] = ()


def xychart(
    title: str, x: Axis, y: Axis, plots: Sequence[Plot], *, horizontal: bool = False
) -> str:
    """The fenced Mermaid block of one chart (every text through ``mermaid_text``);
    ``horizontal`` puts the x axis upright (long category names stay readable)."""
    palette = ", ".join(COLOURS[plot.colour][0] for plot in plots)
    lines = [
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta horizontal" if horizontal else "xychart-beta",
        f'    title "{mermaid_text(title, 80)}"',
        f"    x-axis {_axis(x)}",
        f"    y-axis {_axis(y)}",
    ]
    for plot in plots:
        values = ", ".join(number(v, plot.decimals) for v in plot.values)
        lines.append(f"    {plot.kind} [{values}]")
    return code_block("\n".join(lines), "mermaid")


def _axis(axis: Axis) -> str:
    label = f'"{mermaid_text(axis.label, 60)}"'
    if axis.categories:
        categories = ", ".join('"' + mermaid_text(c, 24) + '"' for c in axis.categories)
        return f"{label} [{categories}]"
    if axis.low is not None and axis.high is not None:
        return f"{label} {number(axis.low)} --> {number(axis.high)}"
    return label


def caption(plots: Sequence[Plot]) -> str:
    """What each colour is, in words: xychart-beta draws no legend."""
    kinds = {plot.kind for plot in plots}
    what = "Bars and lines" if len(kinds) > 1 else ("Bars" if kinds == {"bar"} else "Lines")
    named = " · ".join(f"{COLOURS[plot.colour][1]} {plot.name}" for plot in plots)
    return f"<sub>{what}: {named}</sub>"


def numbers_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The chart's numbers, collapsed (``title`` is plain text, escaped here). The table is
    not padded into aligned columns: a reader sees it rendered, and a comment's characters
    are counted."""
    lines = [_row(headers), _row(["---"] * len(headers)), *(_row(row) for row in rows)]
    return details(f"Numbers of the chart: {title}", "\n".join(lines), collapse=True)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def chart_block(
    title: str, x: Axis, y: Axis, plots: Sequence[Plot],
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, horizontal: bool = False,
) -> str:
    """The chart, its caption, then its numbers: what every chart of a report looks like."""
    return "\n".join([xychart(title, x, y, plots, horizontal=horizontal), "", caption(plots),
                      "", numbers_table(title, headers, rows)])
