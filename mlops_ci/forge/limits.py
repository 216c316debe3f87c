"""Fit a markdown report into GitHub's size limits, shortening the least useful parts first.

A PR comment holds 65,536 characters and a job summary 1 MiB (over it GitHub shows nothing),
so an oversized report is shortened, never rejected: first the bodies of ``<details>`` blocks
(largest first, each keeps its ``<summary>``), then whole ``<details>`` blocks, then the rows
of the longest tables, and as a last resort the tail, cut at a line. A note with a pointer to
the full report is appended whenever anything was cut. Pure functions.

Cutting can join pieces into new markup (``<!-<details>x</details>- mlops-ci:...`` loses its
block and becomes a marker), so the result is defused (``markers.defuse``) after shortening,
and shortened again in the rare case defusing made it longer than the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mlops_ci.forge.markers import defuse

COMMENT_LIMIT = 65_536  # characters
SUMMARY_LIMIT = 1_048_576  # bytes

_DETAILS = re.compile(r"<details\b[^>]*>(.*?)</details>", re.DOTALL | re.IGNORECASE)
_SUMMARY = re.compile(r"<summary\b[^>]*>.*?</summary>", re.DOTALL | re.IGNORECASE)
_FOLDED = "_(shortened to fit; see the full report)_"

Measure = Callable[[str], int]


def fit_comment(
    markdown: str, *, full_report_url: str | None = None, limit: int = COMMENT_LIMIT
) -> str:
    """``markdown`` shortened to at most ``limit`` characters (GitHub counts characters)."""
    return _fit(markdown, limit, len, full_report_url)


def fit_summary(
    markdown: str, *, full_report_url: str | None = None, limit: int = SUMMARY_LIMIT
) -> str:
    """``markdown`` shortened to at most ``limit`` UTF-8 bytes (the job summary counts bytes)."""
    return _fit(markdown, limit, _utf8_size, full_report_url)


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def _note(full_report_url: str | None) -> str:
    where = f"[the full report]({full_report_url})" if full_report_url else "the job's full report"
    return f"\n\n> [!NOTE]\n> This report was shortened to fit GitHub's size limit; see {where}.\n"


def _fit(markdown: str, limit: int, measure: Measure, full_report_url: str | None) -> str:
    """``markdown`` shortened to ``limit`` with no marker in it, even one rebuilt by cutting."""
    text = defuse(markdown)
    budget = limit
    while True:
        fitted = defuse(_shorten(text, budget, measure, full_report_url))
        excess = measure(fitted) - limit
        if excess <= 0 or budget == 0:
            return fitted
        budget = max(budget - excess, 0)


def _shorten(markdown: str, limit: int, measure: Measure, full_report_url: str | None) -> str:
    if measure(markdown) <= limit:
        return markdown
    note = _note(full_report_url)
    budget = limit - measure(note)
    if budget <= 0:
        return _cut_tail(note.strip(), limit, measure)
    for shorten in (_fold_details, _drop_details, _shorten_tables):
        markdown = shorten(markdown, budget, measure)
        if measure(markdown) <= budget:
            return markdown + note
    return _cut_tail(markdown, budget, measure) + note


def _fold_details(text: str, budget: int, measure: Measure) -> str:
    """Replace the bodies of ``<details>`` blocks, largest first, by a short pointer."""
    while measure(text) > budget:
        blocks = [m for m in _DETAILS.finditer(text) if _FOLDED not in m.group(1)]
        if not blocks:
            break
        largest = max(blocks, key=lambda m: len(m.group(0)))
        summary = _SUMMARY.search(largest.group(1))
        head = summary.group(0) if summary else "<summary>Details</summary>"
        folded = f"<details>{head}\n\n{_FOLDED}\n\n</details>"
        text = text[: largest.start()] + folded + text[largest.end() :]
    return text


def _drop_details(text: str, budget: int, measure: Measure) -> str:
    """Remove whole ``<details>`` blocks, last first."""
    while measure(text) > budget:
        blocks = list(_DETAILS.finditer(text))
        if not blocks:
            break
        last = blocks[-1]
        text = text[: last.start()] + text[last.end() :]
    return text


def _tables(lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line ranges of markdown tables: header, separator and body rows."""
    found: list[tuple[int, int]] = []
    index = 0
    while index < len(lines) - 1:
        is_header = lines[index].lstrip().startswith("|")
        is_rule = re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", lines[index + 1]) is not None
        if is_header and is_rule and "-" in lines[index + 1]:
            end = index + 2
            while end < len(lines) and lines[end].lstrip().startswith("|"):
                end += 1
            found.append((index, end))
            index = end
        else:
            index += 1
    return found


def _shorten_tables(text: str, budget: int, measure: Measure) -> str:
    """Halve the body rows of the longest table until the text fits or tables are minimal."""
    while measure(text) > budget:
        lines = text.split("\n")
        tables = [(first, end) for first, end in _tables(lines) if end - first > 3]
        if not tables:
            break
        first, end = max(
            tables, key=lambda span: sum(len(line) for line in lines[span[0] : span[1]])
        )
        rows = lines[first + 2 : end]
        if rows and "more rows not shown" in rows[-1]:
            hidden = int(re.findall(r"\d+", rows[-1])[0])
            rows = rows[:-1]
        else:
            hidden = 0
        keep = len(rows) // 2
        hidden += len(rows) - keep
        columns = max(lines[first].count("|") - 1, 1)
        filler = "|" + " |" * (columns - 1) if columns > 1 else ""
        marker = f"| … {hidden} more rows not shown {filler}".rstrip()
        if not marker.endswith("|"):
            marker += " |"
        lines[first + 2 : end] = [*rows[:keep], marker]
        text = "\n".join(lines)
    return text


def _cut_tail(text: str, budget: int, measure: Measure) -> str:
    """The longest prefix that fits, cut at a line, with open code fences and details closed."""
    closing_room = 32
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        grown = size + measure(line) + 1
        if grown > budget - closing_room:
            break
        kept.append(line)
        size = grown
    result = "\n".join(kept)
    if result.count("```") % 2 == 1:
        result += "\n```"
    opened = len(re.findall(r"<details\b", result, re.IGNORECASE))
    closed = len(re.findall(r"</details>", result, re.IGNORECASE))
    result += "\n</details>" * max(opened - closed, 0)
    while measure(result) > budget:  # a single overlong line, or closers beyond the room
        result = result[: max(len(result) - (measure(result) - budget) - 1, 0)]
    return result
