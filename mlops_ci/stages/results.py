"""The typed results stages put in ``StageResult.detail``, apart from the stages that make them.

Values only, so ``stages.base`` can name them in ``StageDetail`` without importing a stage,
and ``report`` can render each type without running one: ``TrainResult`` (train),
``Evaluation`` with its ``MetricRow``s (evaluate) and ``MonitorOutcome`` (monitor). The data
stages' results are ``data.results``'s own ``DriftResult`` and ``ValidationResult``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlops_ci.config.model import Task
from mlops_ci.gates import GateVerdict
from mlops_ci.metrics import MULTICLASS_AVERAGE, Direction, MetricValue
from mlops_ci.monitoring.act import ActionsTaken
from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.decision import Decision
from mlops_ci.monitoring.run import MonitorRunInfo
from mlops_ci.stages.review_results import ConfusionMatrix, ParamsComparison

Method = Literal["command", "container", "estimator"]
ParamValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class DataFile:
    role: Literal["train", "test", "reference"]
    path: str  # as written in mlops.yaml (workspace-relative)
    sha256: str


@dataclass(frozen=True, slots=True)
class TrainResult:
    """A trained candidate and how it came to be."""

    model_name: str
    model_path: Path
    sha256: str
    method: Method
    command: tuple[str, ...] | None
    image: str | None
    estimator: str | None
    seed: int
    params: tuple[tuple[str, ParamValue], ...]
    data_files: tuple[DataFile, ...]
    git_sha: str | None
    duration_seconds: float
    versions: tuple[tuple[str, str], ...]  # python and libraries, as installed here
    untrusted_types: tuple[str, ...]  # types the model holds beyond skops' defaults
    metadata_path: Path
    params_file: str | None = None  # train.params_file, as written in mlops.yaml
    file_params: tuple[tuple[str, ParamValue], ...] = ()  # its flattened parameters

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model_name,
            "model_file": self.model_path.name,
            "sha256": self.sha256,
            "method": self.method,
            "command": list(self.command) if self.command is not None else None,
            "image": self.image,
            "estimator": self.estimator,
            "seed": self.seed,
            "params": dict(self.params),
            "params_file": self.params_file,
            "file_params": dict(self.file_params),
            "data": [{"role": f.role, "path": f.path, "sha256": f.sha256}
                     for f in self.data_files],
            "git_sha": self.git_sha,
            "duration_seconds": round(self.duration_seconds, 3),
            "versions": dict(self.versions),
            "untrusted_types": list(self.untrusted_types),
        }


Role = Literal["candidate", "production", "base"]


class EvaluationOutcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    PASSED_REPORT_ONLY = "passed-report-only"  # a gate failed; evaluate.report_only is set

    @property
    def fails_run(self) -> bool:
        return self is EvaluationOutcome.FAILED


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric for the three models; deltas are candidate - other (None when undefined).

    ``own`` marks a metric of the training command's file (``evaluate.metrics_file``); its
    ``direction`` is ``None`` when ``evaluate.custom_metrics`` does not declare one.
    """

    name: str
    label: str
    direction: Direction | None
    candidate: MetricValue
    production: MetricValue | None
    base: MetricValue | None
    own: bool = False

    @property
    def delta_production(self) -> float | None:
        return _delta(self.candidate, self.production)

    @property
    def delta_base(self) -> float | None:
        return _delta(self.candidate, self.base)


@dataclass(frozen=True, slots=True)
class ModelFile:
    role: Role
    path: Path
    sha256: str


ChartKind = Literal["roc", "precision_recall", "calibration", "predicted_actual"]
SeriesRole = Literal["candidate", "production", "base", "reference", "calibration"]


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: a value at each of the chart's ``x`` points.

    ``role`` says what it is (a model, a reference line such as chance or perfect calibration,
    the calibration map performance estimates use); ``name`` is how the reader sees it.
    """

    role: SeriesRole
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class CurveChart:
    """A curve of the evaluation, sampled on a few shared ``x`` points (``stages.curves``).

    ``roc``: true positive rate at each false positive rate; ``precision_recall``: the best
    precision at each recall or more; ``calibration``: the observed share of positives at each
    predicted probability; ``predicted_actual``: the mean prediction at each mean actual value
    of the test rows sorted into equal-count bins. Every value is finite.
    """

    kind: ChartKind
    x: tuple[float, ...]
    series: tuple[Series, ...]
    note: str = ""  # why a model has no curve here, when one has none


@dataclass(frozen=True, slots=True)
class Evaluation:
    model_name: str
    task: Task
    test_file: str  # as written in mlops.yaml
    test_rows: int
    models: tuple[ModelFile, ...]  # the files evaluated, candidate first
    rows: tuple[MetricRow, ...]
    gates: tuple[GateVerdict, ...]
    outcome: EvaluationOutcome
    notes: tuple[str, ...]
    production_version: str | None = None  # the registry version compared against
    base_version: str | None = None
    class_count: int = 0  # classification: how many classes the candidate knows
    positive_class: str | None = None  # binary: the class binary metrics treat as positive
    positive_class_declared: bool = False  # from evaluate.positive_class, not the default
    metrics_file: str | None = None  # evaluate.metrics_file, when the own metrics came from it
    charts: tuple[CurveChart, ...] = ()  # the curves, each model's on the same test set
    confusion: ConfusionMatrix | None = None  # classification: candidate and production
    params: ParamsComparison | None = None  # the candidate's parameters against production's

    def values(self, role: Role) -> tuple[MetricValue, ...]:
        """The metric values of one model, in row order (empty if it was not evaluated)."""
        found = (getattr(row, role) for row in self.rows)
        return tuple(value for value in found if value is not None)

    def to_json(self) -> dict[str, object]:
        """A strict-JSON record of the evaluation (undefined values as null with reasons)."""

        def value(v: MetricValue | None) -> object:
            if v is None:
                return None
            return v.value if v.value is not None else {"undefined": v.undefined_reason}

        return {
            "model": self.model_name,
            "task": self.task,
            "test_file": self.test_file,
            "test_rows": self.test_rows,
            "models": {m.role: {"file": m.path.name, "sha256": m.sha256} for m in self.models},
            "metrics": [
                {
                    "name": r.name,
                    "direction": r.direction,
                    "source": "metrics_file" if r.own else "mlops-ci",
                    "candidate": value(r.candidate),
                    "production": value(r.production),
                    "base": value(r.base),
                    "delta_production": r.delta_production,
                    "delta_base": r.delta_base,
                }
                for r in self.rows
            ],
            "gates": [
                {
                    "gate": g.index,
                    "metric": g.gate.metric,
                    "against": g.gate.against,
                    "condition": g.condition,
                    "status": str(g.status),
                    "value": g.value,
                    "reference": g.reference,
                    "delta": g.delta,
                    "threshold": g.threshold,
                    "comparison": g.comparison,
                    "explanation": g.explanation,
                }
                for g in self.gates
            ],
            "outcome": str(self.outcome),
            "notes": list(self.notes),
            "production_version": self.production_version,
            "base_version": self.base_version,
            "classes": self.class_count or None,
            "positive_class": self.positive_class,
            "positive_class_declared": self.positive_class_declared,
            "multiclass_average": MULTICLASS_AVERAGE if self.class_count > 2 else None,
            "metrics_file": self.metrics_file,
            "charts": [
                {"kind": chart.kind, "x": list(chart.x),
                 "series": [{"role": line.role, "name": line.name, "values": list(line.values)}
                            for line in chart.series]}
                for chart in self.charts
            ],
            "confusion": None if self.confusion is None else self.confusion.to_json(),
            "params_changed": None if self.params is None else [
                {"path": c.path, "param": c.key, "production": c.production,
                 "candidate": c.candidate} for c in self.params.changes
            ],
        }


def _delta(candidate: MetricValue, other: MetricValue | None) -> float | None:
    if other is None or other.value is None or candidate.value is None:
        return None
    return candidate.value - other.value


@dataclass(frozen=True, slots=True)
class MonitorOutcome:
    """The stage's ``detail``: what was measured, decided and done."""

    check: MonitorCheck
    decision: Decision
    taken: ActionsTaken | None  # None on a dry run
    run: MonitorRunInfo
    notes: tuple[str, ...] = ()
