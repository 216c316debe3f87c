"""What every stage takes and returns.

A stage gets a ``StageContext`` (config, event, workspace, forge, renderings, environment,
where to write) and the results of the stages before it for the same model, and returns a
``StageResult``. No stage talks to GitHub directly: it gets a forge. No stage words what it
writes for a reader either: it gets ``Renderings`` (``report.renderings`` implements them), so
the wording lives in ``report`` beside the report's own. Results are typed: ``detail`` is a
``StageDetail``, the stage's own result value (``stages.results``, ``data.results``), which
``report`` renders by its type.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO, TypeAlias

from mlops_ci.config.model import Config, ModelSpec, StageName
from mlops_ci.data.results import DriftResult, ValidationResult
from mlops_ci.monitoring.act import IssueRenderer
from mlops_ci.monitoring.feedback.registration import Calibration
from mlops_ci.requirements.layer import LayeredVenv
from mlops_ci.stages.card_facts import CardFacts
from mlops_ci.stages.results import Evaluation, MonitorOutcome, TrainResult

if TYPE_CHECKING:
    from mlops_ci.events import Event
    from mlops_ci.forge.protocol import Forge
    from mlops_ci.plan import PlanStep

StageDetail: TypeAlias = (
    TrainResult | Evaluation | DriftResult | tuple[ValidationResult, ...] | MonitorOutcome
)
"""What a stage's ``StageResult.detail`` holds, by stage: train, evaluate, drift, validate
(one result per file), monitor. ``report.sections`` renders each type."""


class Renderings(IssueRenderer, Protocol):
    """The texts stages write through the forge (the monitoring issue's are ``IssueRenderer``'s).

    Pure: the same values render the same text, so a rerun finds nothing to change.
    """

    def model_card(
        self,
        model: ModelSpec,
        version: str,
        metrics: Mapping[str, object],
        calibration: Calibration,
        facts: CardFacts,
    ) -> str:
        """The release notes of ``model`` ``version`` (also its ``model-card.md`` asset)."""
        ...

    def calibration_note(self, calibration: Calibration) -> str:
        """The evaluation's note on the calibration production estimates would rely on."""
        ...


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # a gate or check failed as designed: the run exits 1
    SKIPPED = "skipped"  # nothing to do, with the reason in the summary
    WARNING = "warning"  # passed, with something the reader should see
    ERROR = "error"  # an error stopped the run here (exit 2 or 3): not a verdict


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: StageName
    model: str
    status: Status
    summary: str
    seconds: float = 0.0
    detail: StageDetail | None = None
    outputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StageContext:
    config: Config
    event: Event
    forge: Forge
    workspace: Path
    run_dir: Path  # scratch space of this run: models, metrics, reports
    environ: Mapping[str, str]
    out: TextIO
    render: Renderings  # the words of what stages write: ``report.renderings.ReportRenderings``
    dry_run: bool = False
    results: Mapping[tuple[str, StageName], StageResult] = field(default_factory=dict)
    step: PlanStep | None = None  # the plan step being run: version, registry stage, tag
    # In the action: each model's venv of its train.requirements (``requirements.environment``)
    venvs: Mapping[str, LayeredVenv] = field(default_factory=dict)

    def model_dir(self, model: ModelSpec) -> Path:
        path = self.run_dir / model.name.replace("/", "_")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def result(self, model: ModelSpec, stage: StageName) -> StageResult | None:
        return self.results.get((model.name, stage))


class Stage(Protocol):
    name: StageName

    def run(self, context: StageContext, model: ModelSpec) -> StageResult: ...
