"""The monitoring run as data: which run it is, and the key of a model's one issue.

Values only: ``decision`` records the run in the trend, ``act`` keys its once-only writes on
the run id and finds the issue by its marker, and ``report.monitoring_issue`` names the run
in the issue it renders.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MonitorRunInfo:
    """The run doing the monitoring, as the issue names it."""

    run_id: str
    at: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    attempt: int = 1
    url: str | None = None  # the run's page, when known


def issue_marker(model: str) -> str:
    """The key of the one monitoring issue of ``model`` (``<!-- mlops-ci:issue:KEY -->``)."""
    return f"monitor:{model}"
