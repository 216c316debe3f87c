"""What every stage takes and returns.

A stage gets a ``StageContext`` (config, event, workspace, forge, environment, where to write)
and the results of the stages before it for the same model, and returns a ``StageResult``.
No stage talks to GitHub directly: it gets a forge. Results are typed; ``detail`` holds the
stage's own result value (a ``TrainResult``, an ``Evaluation``, a drift result, ...).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from mlops_ci.config.model import Config, ModelSpec, StageName

if TYPE_CHECKING:
    from mlops_ci.events import Event
    from mlops_ci.forge.protocol import Forge
    from mlops_ci.plan import PlanStep


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # a gate or check failed as designed: the run exits 1
    SKIPPED = "skipped"  # nothing to do, with the reason in the summary
    WARNING = "warning"  # passed, with something the reader should see


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: StageName
    model: str
    status: Status
    summary: str
    seconds: float = 0.0
    detail: object | None = None
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
    dry_run: bool = False
    results: Mapping[tuple[str, StageName], StageResult] = field(default_factory=dict)
    step: PlanStep | None = None  # the plan step being run: version, registry stage, tag

    def model_dir(self, model: ModelSpec) -> Path:
        path = self.run_dir / model.name.replace("/", "_")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def result(self, model: ModelSpec, stage: StageName) -> StageResult | None:
        return self.results.get((model.name, stage))


class Stage(Protocol):
    name: StageName

    def run(self, context: StageContext, model: ModelSpec) -> StageResult: ...
