"""The validated configuration as typed, frozen values.

Nothing downstream of ``config.load`` sees a raw dict: stages, plan and backends get these.
Field names follow the keys of ``mlops.yaml`` (see ``schemas/mlops.schema.json``); defaults
here equal the schema's ``default`` annotations (a test holds them together).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DType = Literal["int", "float", "bool", "string", "category", "datetime"]
DataFormat = Literal["csv", "parquet"]
DriftMethod = Literal["auto", "psi", "ks", "chi2", "wasserstein", "jensenshannon"]
P_VALUE_METHODS: frozenset[DriftMethod] = frozenset({"ks", "chi2"})  # drift when p < threshold
Task = Literal["classification", "regression"]
Direction = Literal["higher", "lower"]
ClassLabel = str | int | bool
Bump = Literal["major", "minor", "patch"]
Against = Literal["absolute", "production", "base"]
Backend = Literal["docker", "command", "kubernetes"]
KubernetesKind = Literal["deployment", "inferenceservice"]
Correction = Literal["bonferroni", "holm", "none"]
Calibration = Literal["auto", "isotonic", "platt"]

_SCORE = (0.0, 1.0)
_ERROR = (0.0, None)
METRIC_RANGES: dict[str, tuple[float | None, float | None]] = {
    "accuracy": _SCORE,
    "balanced_accuracy": _SCORE,
    "precision": _SCORE,
    "recall": _SCORE,
    "f1": _SCORE,
    "roc_auc": _SCORE,
    "log_loss": _ERROR,
    "brier_score": _SCORE,
    "average_precision": _SCORE,
    "mae": _ERROR,
    "mse": _ERROR,
    "rmse": _ERROR,
    "r2": (None, 1.0),
    "mape": _ERROR,
    "median_ae": _ERROR,
}
"""The values each metric of ``evaluate.metrics`` can take, (lowest, highest); ``None`` for no
bound. A gate's ``min`` or ``max`` outside them can never be met, or always is."""


class StageName(enum.StrEnum):
    """The lifecycle stages a run can execute, in their natural order."""

    VALIDATE = "validate"
    DRIFT = "drift"
    TRAIN = "train"
    EVALUATE = "evaluate"
    REGISTER = "register"
    DEPLOY = "deploy"
    MONITOR = "monitor"
    REPORT = "report"


class Trigger(enum.StrEnum):
    """The kinds of event a ``triggers`` entry can name."""

    PULL_REQUEST = "pull_request"
    PUSH = "push"
    REGISTRATION_TAG = "registration_tag"
    PROMOTION_TAG = "promotion_tag"
    RELEASE = "release"
    SCHEDULE = "schedule"
    WORKFLOW_DISPATCH = "workflow_dispatch"
    REPOSITORY_DISPATCH = "repository_dispatch"


DEFAULT_ID = "default"
DEFAULT_BRANCH = "main"
DEFAULT_STAGES: tuple[str, ...] = ("staging", "production")

_CHECK = (StageName.VALIDATE, StageName.DRIFT, StageName.TRAIN, StageName.EVALUATE)
_CHECK_AND_REGISTER = (*_CHECK, StageName.REGISTER, StageName.REPORT)

DEFAULT_TRIGGERS: tuple[tuple[Trigger, tuple[StageName, ...]], ...] = (
    (Trigger.PULL_REQUEST, (*_CHECK, StageName.REPORT)),
    (Trigger.PUSH, _CHECK_AND_REGISTER),
    (Trigger.REGISTRATION_TAG, _CHECK_AND_REGISTER),
    (Trigger.PROMOTION_TAG, (StageName.DEPLOY,)),
    (Trigger.RELEASE, (StageName.DEPLOY,)),
    (Trigger.SCHEDULE, (StageName.MONITOR,)),
    (Trigger.WORKFLOW_DISPATCH, _CHECK_AND_REGISTER),
    (Trigger.REPOSITORY_DISPATCH, _CHECK_AND_REGISTER),
)
"""The steps each kind of event runs when ``triggers`` does not name it (steps in natural order)."""


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    dtype: DType
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed: tuple[str | int | float | bool, ...] | None = None
    unique: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class RowBounds:
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class DataSpec:
    """Where a model's data lives and what it must look like. Paths are inside the workspace."""

    train: Path
    test: Path
    target: str
    reference: Path | None = None  # defaults to the training data
    format: DataFormat | None = None  # None: by file extension
    id_column: str | None = None
    columns: tuple[ColumnSpec, ...] = ()
    allow_extra_columns: bool = False
    rows: RowBounds = field(default_factory=RowBounds)

    @property
    def reference_path(self) -> Path:
        return self.reference if self.reference is not None else self.train


@dataclass(frozen=True, slots=True)
class Sampling:
    rows: int
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """A per-column override of the drift method and/or threshold."""

    column: str
    method: DriftMethod | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class DriftSpec:
    enabled: bool = True
    method: DriftMethod = "auto"
    threshold: float | None = None  # None: the method's own default
    large_sample: int = 1000  # above this many rows, "auto" picks an effect-size distance
    p_value_correction: Correction = "holm"
    columns: tuple[str, ...] | None = None  # None: every feature column
    key_columns: tuple[str, ...] = ()  # any of these drifting fails the dataset
    share: float = 0.5  # the dataset drifts when this share of columns drifts
    fail_on_drift: bool = False
    sample: Sampling | None = None
    overrides: tuple[ColumnDrift, ...] = ()


@dataclass(frozen=True, slots=True)
class Estimator:
    class_path: str  # e.g. sklearn.ensemble.RandomForestClassifier
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class TrainSpec:
    """Exactly one of ``command`` and ``estimator`` is set."""

    command: tuple[str, ...] | None = None  # argv, never run through a shell
    estimator: Estimator | None = None
    image: str | None = None
    timeout_seconds: int = 3600
    seed: int = 42
    env: tuple[tuple[str, str], ...] = ()
    model_file: str = "model.skops"  # name of the file the command writes in MLOPS_OUTPUT_DIR
    # The pip requirements file, relative to the config's folder: declared, or requirements.txt
    # when that file exists; None for none (``requirements: false``, or no such file).
    requirements: str | None = None
    params_file: str | None = None  # DVC-style params (YAML/JSON), relative to the config's folder


@dataclass(frozen=True, slots=True)
class Gate:
    metric: str
    against: Against = "absolute"
    min: float | None = None  # absolute: the metric must be >= min
    max: float | None = None  # absolute: the metric must be <= max
    max_regression: float | None = None  # vs production/base: allowed drop
    min_improvement: float | None = None  # vs production/base: required gain
    relative: bool = False  # regression/improvement as a fraction of the other value


@dataclass(frozen=True, slots=True)
class EvaluateSpec:
    task: Task
    metrics: tuple[str, ...]
    gates: tuple[Gate, ...] = ()
    report_only: bool = False
    trusted_types: tuple[str, ...] = ()  # extra types skops may load, beyond sklearn's own
    positive_class: ClassLabel | None = None  # None: the last of the model's classes_
    metrics_file: str | None = None  # the training command's own, relative to MLOPS_OUTPUT_DIR
    custom_metrics: tuple[tuple[str, Direction], ...] = ()  # metrics_file's gated names

    def custom_direction(self, name: str) -> Direction | None:
        """The declared direction of a metric of ``metrics_file`` (None: not declared)."""
        return dict(self.custom_metrics).get(name)


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    enabled: bool = True
    bump: Bump = "patch"
    first_version: str = "v0.1.0"
    release: bool = True
    assets: tuple[str, ...] = ()  # extra files (workspace paths) attached to the release
    prerelease_stage: str | None = None  # a published pre-release promotes to this stage


@dataclass(frozen=True, slots=True)
class HealthCheck:
    path: str = "/v2/health/ready"
    timeout_seconds: int = 60
    interval_seconds: float = 1.0
    smoke_rows: int = 5


@dataclass(frozen=True, slots=True)
class Resources:
    """Requests and limits of a kubernetes serving container: (resource, quantity) pairs."""

    requests: tuple[tuple[str, str], ...] = (("cpu", "250m"), ("memory", "512Mi"))
    limits: tuple[tuple[str, str], ...] = (("memory", "1Gi"),)

    def to_manifest(self) -> dict[str, dict[str, str]]:
        parts = {"requests": dict(self.requests), "limits": dict(self.limits)}
        return {kind: amounts for kind, amounts in parts.items() if amounts}


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    stage: str
    backend: Backend
    url: str | None = None
    port: int | None = None
    command: tuple[str, ...] | None = None  # backend "command"
    manifests_path: str | None = None  # backend "kubernetes": GitOps path
    namespace: str = "default"
    kind: KubernetesKind = "deployment"  # backend "kubernetes": what the manifests deploy
    replicas: int = 1
    canary: int | None = None  # percent of traffic a new version gets first (inferenceservice)
    resources: Resources = field(default_factory=Resources)  # backend "kubernetes"
    health: HealthCheck = field(default_factory=HealthCheck)
    rollback: bool = True


@dataclass(frozen=True, slots=True)
class DeploySpec:
    environments: tuple[Environment, ...] = ()


@dataclass(frozen=True, slots=True)
class MonitorActions:
    issue: bool = True
    labels: tuple[str, ...] = ("mlops",)  # on every monitoring issue; see ``FindingLabels``
    dispatch: bool = False
    dispatch_event_type: str = "mlops-retrain"
    workflow: str | None = None  # workflow file to dispatch instead of repository_dispatch


@dataclass(frozen=True, slots=True)
class FindingLabels:
    """The label the monitoring issue gets for each kind of finding (``monitor.labels``)."""

    drift: str = "drift"
    quality: str = "quality"
    data_errors: str = "data-errors"
    serving: str = "deployment"  # an environment serves another version than the registry's


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far one live metric may fall behind its value at registration before it is a drop.

    ``max_drop`` is in the metric's own units, or a fraction of the registered value when
    ``relative``; a drop is a change in the metric's worse direction (up for a loss).
    """

    metric: str
    max_drop: float
    relative: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackSpec:
    """Labelled production rows: where they are and how live quality is judged.

    Labelled rows come from ``data`` (production rows, the target in the same file when known),
    from ``labels`` joined by ``id_column`` to ``data`` or to the ``prediction_log``.
    """

    data: tuple[str, ...] = ()  # workspace paths or globs of production rows
    labels: tuple[str, ...] = ()  # workspace paths or globs: id column + target (+ timestamp)
    prediction_log: tuple[str, ...] = ()  # JSON Lines by the server, or Parquet (globs)
    id_column: str | None = None  # None: data.id_column
    timestamp_column: str | None = None  # windows by this column when set
    window_days: int = 7
    min_rows: int = 200  # fewer labelled rows than this: said, not judged
    tolerances: tuple[Tolerance, ...] = ()
    estimate: bool = True  # estimate accuracy and ROC AUC before labels (binary classifiers)
    calibration: Calibration = "auto"  # how register fits the calibrator the estimate uses


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    production_data: tuple[str, ...] = ()  # workspace paths or globs
    release_asset: str | None = None  # or: an asset of the latest release holding the data
    schedule: str = "0 6 * * *"
    actions: MonitorActions = field(default_factory=MonitorActions)
    labels: FindingLabels = field(default_factory=FindingLabels)
    history: int = 10  # runs kept for the trend
    feedback: FeedbackSpec | None = None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    path: str | None  # GTO's "dir/path" for a model in a subfolder, tag becomes dir/path=name
    description: str | None
    data: DataSpec
    drift: DriftSpec
    train: TrainSpec
    evaluate: EvaluateSpec
    register: RegisterSpec
    deploy: DeploySpec
    monitor: MonitorSpec | None


@dataclass(frozen=True, slots=True)
class ReportSpec:
    comment: bool = True
    summary: bool = True
    collapse_details: bool = True
    max_table_rows: int = 50


@dataclass(frozen=True, slots=True)
class Config:
    """A validated mlops.yaml. ``root`` is the workspace all paths are relative to."""

    file: Path
    root: Path
    version: int
    id: str
    default_branch: str
    stages: tuple[str, ...]
    models: tuple[ModelSpec, ...]
    triggers: tuple[tuple[Trigger, tuple[StageName, ...]], ...]
    report: ReportSpec

    def model(self, name: str) -> ModelSpec:
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)

    def stages_for(self, trigger: Trigger) -> tuple[StageName, ...]:
        return dict(self.triggers).get(trigger, ())

    @property
    def production_stage(self) -> str:
        """The stage a full release deploys to, gates compare against and monitoring watches:
        ``production`` if declared, else the last declared stage."""
        return "production" if "production" in self.stages else self.stages[-1]
