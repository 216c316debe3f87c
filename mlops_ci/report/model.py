"""What a run's report holds: the verdict, where it ran, and every stage result per model.

Built once from the stage results; rendered to markdown for the PR comment and the job
summary alike (``report.markdown``), and to JSON for ``mlops-ci report --json``. A run that an
error stopped (exit 2 or 3) has a report too: its ``error`` says where and why, beside the
results of the stages that ran before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mlops_ci.config.model import StageName
from mlops_ci.stages.base import StageResult, Status


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Where and why the run happened; every string here may be untrusted."""

    event: str  # e.g. "pull_request #12"
    ref: str | None  # branch or tag name as the user wrote it
    sha: str | None
    config_id: str
    run_url: str | None = None
    title: str | None = None  # the PR title
    ref_kind: Literal["branch", "tag"] = "branch"  # what ``ref`` names


@dataclass(frozen=True, slots=True)
class RunError:
    """The error that stopped a run: where, its exit code, and what a reader needs to fix it.

    ``step`` is the stage that raised it (``model`` set) or the part of the run before the
    stages (``event``, ``plan``, ``preflight``...). ``output`` holds the last lines a failing
    command printed, ``details`` the further lines of the message; each is one line of text
    as it came, untrusted.
    """

    step: str
    model: str | None
    exit_code: int
    summary: str
    output: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    hint: str | None = None

    @property
    def where(self) -> str:
        return f"{self.model} {self.step}" if self.model else self.step


@dataclass(frozen=True, slots=True)
class ModelReport:
    model: str
    results: tuple[StageResult, ...]

    @property
    def status(self) -> Status:
        statuses = {result.status for result in self.results}
        if Status.ERROR in statuses:
            return Status.ERROR
        if Status.FAILED in statuses:
            return Status.FAILED
        if Status.WARNING in statuses:
            return Status.WARNING
        if statuses and statuses <= {Status.SKIPPED}:
            return Status.SKIPPED
        return Status.PASSED

    def result(self, stage: StageName) -> StageResult | None:
        for result in self.results:
            if result.stage is stage:
                return result
        return None


@dataclass(frozen=True, slots=True)
class Report:
    run: RunInfo
    models: tuple[ModelReport, ...]
    dry_run: bool = False
    error: RunError | None = None  # what stopped the run, if an error did
    notes: tuple[str, ...] = ()  # why the run did what it did (the plan's reasons); untrusted

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.ERROR
        statuses = {model.status for model in self.models}
        for status in (Status.ERROR, Status.FAILED, Status.WARNING, Status.PASSED):
            if status in statuses:
                return status
        return Status.SKIPPED

    @property
    def seconds(self) -> float:
        return sum(result.seconds for model in self.models for result in model.results)


def build_report(
    run: RunInfo,
    results: list[StageResult],
    *,
    dry_run: bool = False,
    error: RunError | None = None,
    notes: tuple[str, ...] = (),
) -> Report:
    """Group results by model, keeping the order the stages ran in."""
    order: list[str] = []
    grouped: dict[str, list[StageResult]] = {}
    for result in results:
        if result.model not in grouped:
            order.append(result.model)
            grouped[result.model] = []
        grouped[result.model].append(result)
    models = tuple(ModelReport(name, tuple(grouped[name])) for name in order)
    return Report(run=run, models=models, dry_run=dry_run, error=error, notes=notes)
