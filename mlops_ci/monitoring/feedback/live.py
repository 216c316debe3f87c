"""Live quality: the metrics of ``evaluate`` on labelled production rows, against registration.

The metric functions are ``mlops_ci.metrics`` (the very ones ``evaluate`` uses), so a live
ROC AUC is comparable with the registered one. A metric with a tolerance is judged: its drop
(the change in its worse direction: down for a score, up for a loss) beyond ``max_drop`` (in
its units, or as a fraction of the registered value when ``relative``) is a finding. A metric
without a tolerance, or without a registered value, is shown and not judged. Fewer labelled
rows than ``min_rows`` judge nothing: the report says how many there are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlops_ci.config.model import Tolerance
from mlops_ci.metrics import MetricValue, metric

_EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class MetricCheck:
    name: str
    label: str
    registered: float | None
    live: MetricValue
    tolerance: Tolerance | None

    @property
    def drop(self) -> float | None:
        """How much worse than at registration (negative: better); None if not comparable."""
        if self.registered is None or self.live.value is None:
            return None
        if metric(self.name).direction == "higher":
            return self.registered - self.live.value
        return self.live.value - self.registered

    @property
    def allowed(self) -> float | None:
        if self.tolerance is None or self.registered is None:
            return None
        if self.tolerance.relative:
            return self.tolerance.max_drop * abs(self.registered)
        return self.tolerance.max_drop

    @property
    def dropped(self) -> bool:
        drop, allowed = self.drop, self.allowed
        return drop is not None and allowed is not None and drop > allowed + _EPSILON

    @property
    def judged(self) -> bool:
        return self.drop is not None and self.allowed is not None

    def to_json(self) -> dict[str, object]:
        return {
            "metric": self.name, "registered": self.registered, "live": self.live.value,
            "undefined": self.live.undefined_reason, "drop": self.drop, "allowed": self.allowed,
            "relative": self.tolerance.relative if self.tolerance else None,
            "dropped": self.dropped,
        }


@dataclass(frozen=True, slots=True)
class LiveQuality:
    """Live metrics of the version in production on its labelled rows of one window."""

    rows: int  # labelled rows in the judged window
    min_rows: int
    window: str  # "all rows" or "YYYY-MM-DD – YYYY-MM-DD"
    checks: tuple[MetricCheck, ...]  # empty when there are too few rows

    @property
    def enough(self) -> bool:
        return self.rows >= self.min_rows

    @property
    def dropped(self) -> bool:
        return any(check.dropped for check in self.checks)

    @property
    def dropped_metrics(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if check.dropped)

    def value(self, name: str) -> float | None:
        for check in self.checks:
            if check.name == name:
                return check.live.value
        return None

    def to_json(self) -> dict[str, object]:
        return {"rows": self.rows, "min_rows": self.min_rows, "window": self.window,
                "enough": self.enough, "dropped": self.dropped,
                "metrics": [check.to_json() for check in self.checks]}


def judge_live(
    values: Sequence[MetricValue],
    registered: Mapping[str, float],
    tolerances: Sequence[Tolerance],
    *,
    rows: int,
    min_rows: int,
    window: str,
) -> LiveQuality:
    """Each live value beside its registered value and tolerance."""
    by_metric = {tolerance.metric: tolerance for tolerance in tolerances}
    checks = tuple(
        MetricCheck(value.name, metric(value.name).label, registered.get(value.name), value,
                    by_metric.get(value.name))
        for value in values
    )
    return LiveQuality(rows, min_rows, window, checks if rows >= min_rows else ())
