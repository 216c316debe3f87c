"""Checking cron expressions as GitHub Actions' ``schedule`` accepts them (POSIX, 5 fields)."""

from __future__ import annotations

import re

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_WEEKDAYS)}),
)
_ITEM = re.compile(r"(?P<range>\*|[^/]+)(?:/(?P<step>\d+))?\Z")


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a valid 5-field cron expression, or None when it is."""
    fields = expression.split()
    if len(fields) != 5:
        return f"a cron expression has 5 fields (minute hour day month weekday), got {len(fields)}"
    for text, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for item in text.split(","):
            problem = _item_error(item.lower(), low, high, names)
            if problem:
                return f"{name} field {text!r}: {problem}"
    return None


def _item_error(item: str, low: int, high: int, names: dict[str, int]) -> str | None:
    match = _ITEM.match(item)
    if not match:
        return f"cannot read {item!r}"
    step = match.group("step")
    if step is not None and int(step) == 0:
        return "a step of 0 never fires"
    part = match.group("range")
    if part == "*":
        return None
    bounds = part.split("-")
    if len(bounds) > 2:
        return f"cannot read {item!r}"
    values: list[int] = []
    for bound in bounds:
        if bound.isdigit():
            values.append(int(bound))
        elif bound in names:
            values.append(names[bound])
        else:
            return f"{bound!r} is not a number"
    if any(v < low or v > high for v in values):
        return f"values must be within {low}-{high}"
    if len(values) == 2 and values[0] > values[1]:
        return f"range {part!r} runs backwards"
    return None
