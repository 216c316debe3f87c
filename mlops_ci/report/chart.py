"""A small chart of reference vs current shares that renders inside a GitHub comment.

No image hosting: unicode bars in a fenced code block, one line per bin or category, the
reference bar beside the current bar, each with its share. Labels come from the data, so the
block is built with ``report.escape.code_block`` (no backtick run in a label can close the
fence) and control characters in labels become spaces. ``histogram_lines`` (no fence) is what
the terminal rendering of ``report.drift`` indents under a column.
"""

from __future__ import annotations

import re

from mlops_ci.data.results import Histogram
from mlops_ci.report.escape import code_block

BAR_WIDTH = 20
LABEL_WIDTH = 24
_EIGHTHS = " ▏▎▍▌▋▊▉"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def bar(share: float, largest: float, width: int = BAR_WIDTH) -> str:
    """``share`` as a bar of full and eighth blocks, ``width`` blocks for ``largest``."""
    if largest <= 0 or share <= 0:
        return ""
    eighths = max(1, round(share / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def _label(text: str) -> str:
    flat = _CONTROL.sub(" ", text)
    return flat if len(flat) <= LABEL_WIDTH else flat[: LABEL_WIDTH - 1] + "…"


def histogram_lines(histogram: Histogram) -> list[str]:
    """The chart's lines, without the fence (for terminals and tests)."""
    largest = max((*histogram.reference, *histogram.current), default=0.0)
    labels = [_label(label) for label in histogram.labels]
    width = max((len(label) for label in labels), default=0)
    head = f"{'':{width}}  {'reference':<{BAR_WIDTH + 7}}  current"
    lines = [head]
    for label, before, after in zip(labels, histogram.reference, histogram.current, strict=True):
        left = f"{bar(before, largest):<{BAR_WIDTH}} {before:6.1%}"
        right = f"{bar(after, largest):<{BAR_WIDTH}} {after:6.1%}"
        lines.append(f"{label:<{width}}  {left}  {right}".rstrip())
    return lines


def render_histogram(histogram: Histogram) -> str:
    """The chart as a fenced code block, safe to paste into GitHub markdown."""
    return code_block("\n".join(histogram_lines(histogram)), "text")
