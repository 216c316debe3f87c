"""Turn a schema-valid mlops.yaml mapping into the frozen ``Config``.

The loader validates the raw mapping against ``mlops.schema.json`` first; this module only
applies defaults and converts: durations to seconds and string commands to argv (the typed
reads of ``fields.py``), paths to ``Path`` (relative to the workspace, neither resolved nor
checked), ``triggers`` to tuples in ``Trigger`` order, columns to ``ColumnSpec`` in file order.
Defaults come from the dataclasses of ``model.py`` (a test holds the schema's ``default``
annotations equal to them).
A model's ``monitor`` section is built by ``build_monitor.py``, by the same rules.

What the schema cannot express (a command string with an unclosed quote) raises
``BuildError`` (from ``fields.py``, re-exported here) carrying the YAML path of the offending
value, for the loader to turn into a ``file:line:col`` problem. Nothing else here raises on
schema-valid input.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import get_args

from mlops_ci.config.build_monitor import build_monitor
from mlops_ci.config.fields import (
    BuildError,
    YamlPath,
    as_map,
    choice,
    command,
    duration,
    fail,
    format_path,
    number_or,
    optional,
    optional_choice,
    optional_number,
    required,
    section,
    strings,
    value_or,
)
from mlops_ci.config.model import (
    DEFAULT_BRANCH,
    DEFAULT_ID,
    DEFAULT_STAGES,
    DEFAULT_TRIGGERS,
    Against,
    Backend,
    Bump,
    ClassLabel,
    ColumnDrift,
    ColumnSpec,
    Config,
    Correction,
    DataFormat,
    DataSpec,
    DeploySpec,
    Direction,
    DriftMethod,
    DriftSpec,
    DType,
    Environment,
    Estimator,
    EvaluateSpec,
    Gate,
    HealthCheck,
    KubernetesKind,
    ModelSpec,
    RegisterSpec,
    ReportSpec,
    Resources,
    RowBounds,
    Sampling,
    StageName,
    Task,
    TrainSpec,
    Trigger,
)

__all__ = ["BuildError", "build_config", "format_path"]

_DRIFT = DriftSpec()
_TRAIN = TrainSpec()
DEFAULT_REQUIREMENTS = "requirements.txt"
_REGISTER = RegisterSpec()
_HEALTH = HealthCheck()
_REPORT = ReportSpec()

_DTYPES: tuple[DType, ...] = get_args(DType)
_FORMATS: tuple[DataFormat, ...] = get_args(DataFormat)
_DRIFT_METHODS: tuple[DriftMethod, ...] = get_args(DriftMethod)
_CORRECTIONS: tuple[Correction, ...] = get_args(Correction)
_TASKS: tuple[Task, ...] = get_args(Task)
_AGAINST: tuple[Against, ...] = get_args(Against)
_DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
_BUMPS: tuple[Bump, ...] = get_args(Bump)
_BACKENDS: tuple[Backend, ...] = get_args(Backend)
_KINDS: tuple[KubernetesKind, ...] = get_args(KubernetesKind)


def build_config(data: Mapping[str, object], *, file: Path, root: Path) -> Config:
    """The ``Config`` of a mapping that ``mlops.schema.json`` accepts."""
    models = section(data, "models", ())
    return Config(
        file=file,
        root=root,
        version=required(data, "version", (), int),
        id=value_or(data, "id", (), DEFAULT_ID),
        default_branch=value_or(data, "default_branch", (), DEFAULT_BRANCH),
        stages=strings(data, "stages", (), DEFAULT_STAGES),
        models=tuple(
            _model(name, as_map(spec, ("models", name)), ("models", name), root)
            for name, spec in models.items()
        ),
        triggers=_triggers(section(data, "triggers", ()), ("triggers",)),
        report=_report(section(data, "report", ()), ("report",)),
    )


def _triggers(
    data: Mapping[str, object], at: YamlPath
) -> tuple[tuple[Trigger, tuple[StageName, ...]], ...]:
    defaults = dict(DEFAULT_TRIGGERS)
    out: list[tuple[Trigger, tuple[StageName, ...]]] = []
    for trigger in Trigger:
        if trigger.value in data:
            named = set(strings(data, trigger.value, at, ()))
            steps = tuple(step for step in StageName if step.value in named)
        else:
            steps = defaults.get(trigger, ())
        if steps:
            out.append((trigger, steps))
    return tuple(out)


def _report(data: Mapping[str, object], at: YamlPath) -> ReportSpec:
    return ReportSpec(
        comment=value_or(data, "comment", at, _REPORT.comment),
        summary=value_or(data, "summary", at, _REPORT.summary),
        collapse_details=value_or(data, "collapse_details", at, _REPORT.collapse_details),
        max_table_rows=value_or(data, "max_table_rows", at, _REPORT.max_table_rows),
    )


def _model(name: str, data: Mapping[str, object], at: YamlPath, root: Path) -> ModelSpec:
    monitor = data.get("monitor")
    return ModelSpec(
        name=name,
        path=optional(data, "path", at, str),
        description=optional(data, "description", at, str),
        data=_data(section(data, "data", at), (*at, "data")),
        drift=_drift(section(data, "drift", at), (*at, "drift")),
        train=_train(section(data, "train", at), (*at, "train"), root),
        evaluate=_evaluate(section(data, "evaluate", at), (*at, "evaluate")),
        register=_register(section(data, "register", at), (*at, "register")),
        deploy=_deploy(section(data, "deploy", at), (*at, "deploy")),
        monitor=None
        if monitor is None
        else build_monitor(as_map(monitor, (*at, "monitor")), (*at, "monitor")),
    )


def _data(data: Mapping[str, object], at: YamlPath) -> DataSpec:
    reference = optional(data, "reference", at, str)
    rows = section(data, "rows", at)
    columns = section(data, "columns", at)
    return DataSpec(
        train=Path(required(data, "train", at, str)),
        test=Path(required(data, "test", at, str)),
        target=required(data, "target", at, str),
        reference=None if reference is None else Path(reference),
        format=optional_choice(data, "format", at, _FORMATS),
        id_column=optional(data, "id_column", at, str),
        columns=tuple(
            _column(name, as_map(spec, (*at, "columns", name)), (*at, "columns", name))
            for name, spec in columns.items()
        ),
        allow_extra_columns=value_or(data, "allow_extra_columns", at, False),
        rows=RowBounds(
            min=optional(rows, "min", (*at, "rows"), int),
            max=optional(rows, "max", (*at, "rows"), int),
        ),
    )


def _column(name: str, data: Mapping[str, object], at: YamlPath) -> ColumnSpec:
    allowed = data.get("allowed")
    if allowed is not None and not isinstance(allowed, list):
        fail((*at, "allowed"), "expected a list")
    return ColumnSpec(
        name=name,
        dtype=choice(data, "dtype", at, _DTYPES),
        nullable=value_or(data, "nullable", at, True),
        min=optional_number(data, "min", at),
        max=optional_number(data, "max", at),
        allowed=None if allowed is None else tuple(allowed),
        unique=value_or(data, "unique", at, False),
        description=optional(data, "description", at, str),
    )


def _drift(data: Mapping[str, object], at: YamlPath) -> DriftSpec:
    sample = data.get("sample")
    sampling = None
    if sample is not None:
        sample_at = (*at, "sample")
        sample_map = as_map(sample, sample_at)
        sampling = Sampling(
            rows=required(sample_map, "rows", sample_at, int),
            seed=value_or(sample_map, "seed", sample_at, 0),
        )
    overrides = section(data, "overrides", at)
    columns = data.get("columns")
    return DriftSpec(
        enabled=value_or(data, "enabled", at, _DRIFT.enabled),
        method=choice(data, "method", at, _DRIFT_METHODS, _DRIFT.method),
        threshold=optional_number(data, "threshold", at),
        large_sample=value_or(data, "large_sample", at, _DRIFT.large_sample),
        p_value_correction=choice(
            data, "p_value_correction", at, _CORRECTIONS, _DRIFT.p_value_correction
        ),
        columns=None if columns is None else strings(data, "columns", at, ()),
        key_columns=strings(data, "key_columns", at, _DRIFT.key_columns),
        share=number_or(data, "share", at, _DRIFT.share),
        fail_on_drift=value_or(data, "fail_on_drift", at, _DRIFT.fail_on_drift),
        sample=sampling,
        overrides=tuple(
            _column_drift(column, as_map(spec, (*at, "overrides", column)), (*at, "overrides"))
            for column, spec in overrides.items()
        ),
    )


def _column_drift(column: str, data: Mapping[str, object], at: YamlPath) -> ColumnDrift:
    return ColumnDrift(
        column=column,
        method=optional_choice(data, "method", (*at, column), _DRIFT_METHODS),
        threshold=optional_number(data, "threshold", (*at, column)),
    )


def _train(data: Mapping[str, object], at: YamlPath, root: Path) -> TrainSpec:
    estimator = data.get("estimator")
    env = section(data, "env", at)
    return TrainSpec(
        command=command(data, "command", at),
        estimator=None
        if estimator is None
        else _estimator(as_map(estimator, (*at, "estimator")), (*at, "estimator")),
        image=optional(data, "image", at, str),
        timeout_seconds=duration(data, "timeout", at, _TRAIN.timeout_seconds),
        seed=value_or(data, "seed", at, _TRAIN.seed),
        env=tuple((name, required(env, name, (*at, "env"), str)) for name in env),
        model_file=value_or(data, "model_file", at, _TRAIN.model_file),
        requirements=_requirements(data.get("requirements"), at, root),
        params_file=optional(data, "params_file", at, str),
    )


def _requirements(value: object, at: YamlPath, root: Path) -> str | None:
    """The declared file; ``false``: none; not declared: requirements.txt when it exists."""
    if value is False:
        return None
    if value is None:
        return DEFAULT_REQUIREMENTS if (root / DEFAULT_REQUIREMENTS).is_file() else None
    if not isinstance(value, str):
        fail((*at, "requirements"), f"expected a file name or false, got {value!r}")
    return value


def _estimator(data: Mapping[str, object], at: YamlPath) -> Estimator:
    params = section(data, "params", at)
    return Estimator(class_path=required(data, "class", at, str), params=tuple(params.items()))


def _evaluate(data: Mapping[str, object], at: YamlPath) -> EvaluateSpec:
    gates = data.get("gates", [])
    if not isinstance(gates, list):
        fail((*at, "gates"), "expected a list")
    return EvaluateSpec(
        task=choice(data, "task", at, _TASKS),
        metrics=strings(data, "metrics", at, ()),
        gates=tuple(
            _gate(as_map(gate, (*at, "gates", index)), (*at, "gates", index))
            for index, gate in enumerate(gates)
        ),
        report_only=value_or(data, "report_only", at, False),
        trusted_types=strings(data, "trusted_types", at, ()),
        positive_class=_positive_class(data.get("positive_class")),
        metrics_file=optional(data, "metrics_file", at, str),
        custom_metrics=tuple(
            (name, choice(as_map(spec, (*at, "custom_metrics", name)), "direction",
                          (*at, "custom_metrics", name), _DIRECTIONS))
            for name, spec in section(data, "custom_metrics", at).items()
        ),
    )


def _positive_class(value: object) -> ClassLabel | None:
    return value if isinstance(value, str | int | bool) else None


def _gate(data: Mapping[str, object], at: YamlPath) -> Gate:
    return Gate(
        metric=required(data, "metric", at, str),
        against=choice(data, "against", at, _AGAINST, "absolute"),
        min=optional_number(data, "min", at),
        max=optional_number(data, "max", at),
        max_regression=optional_number(data, "max_regression", at),
        min_improvement=optional_number(data, "min_improvement", at),
        relative=value_or(data, "relative", at, False),
    )


def _register(data: Mapping[str, object], at: YamlPath) -> RegisterSpec:
    return RegisterSpec(
        enabled=value_or(data, "enabled", at, _REGISTER.enabled),
        bump=choice(data, "bump", at, _BUMPS, _REGISTER.bump),
        first_version=value_or(data, "first_version", at, _REGISTER.first_version),
        release=value_or(data, "release", at, _REGISTER.release),
        assets=strings(data, "assets", at, _REGISTER.assets),
        prerelease_stage=optional(data, "prerelease_stage", at, str),
    )


def _deploy(data: Mapping[str, object], at: YamlPath) -> DeploySpec:
    environments = section(data, "environments", at)
    return DeploySpec(
        environments=tuple(
            _environment(
                name,
                as_map(spec, (*at, "environments", name)),
                (*at, "environments", name),
            )
            for name, spec in environments.items()
        )
    )


def _resources(data: Mapping[str, object], at: YamlPath) -> Resources:
    """``requests`` and ``limits`` each replace the default's when given."""
    default = Resources()

    def pairs(key: str, fallback: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        if key not in data:
            return fallback
        return tuple((name, str(amount)) for name, amount in section(data, key, at).items())

    return Resources(pairs("requests", default.requests), pairs("limits", default.limits))


def _environment(name: str, data: Mapping[str, object], at: YamlPath) -> Environment:
    defaults = Environment(name=name, stage="", backend="docker")
    health = section(data, "health", at)
    health_at = (*at, "health")
    return Environment(
        name=name,
        stage=required(data, "stage", at, str),
        backend=choice(data, "backend", at, _BACKENDS),
        url=optional(data, "url", at, str),
        port=optional(data, "port", at, int),
        command=command(data, "command", at),
        manifests_path=optional(data, "manifests_path", at, str),
        namespace=value_or(data, "namespace", at, defaults.namespace),
        kind=choice(data, "kind", at, _KINDS, defaults.kind),
        replicas=value_or(data, "replicas", at, defaults.replicas),
        canary=optional(data, "canary", at, int),
        resources=_resources(section(data, "resources", at), (*at, "resources")),
        health=HealthCheck(
            path=value_or(health, "path", health_at, _HEALTH.path),
            timeout_seconds=duration(health, "timeout", health_at, _HEALTH.timeout_seconds),
            interval_seconds=float(
                duration(health, "interval", health_at, int(_HEALTH.interval_seconds))
            ),
            smoke_rows=value_or(health, "smoke_rows", health_at, _HEALTH.smoke_rows),
        ),
        rollback=value_or(data, "rollback", at, defaults.rollback),
    )
