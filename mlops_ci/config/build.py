"""Turn a schema-valid mlops.yaml mapping into the frozen ``Config``.

The loader validates the raw mapping against ``mlops.schema.json`` first; this module only
applies defaults and converts: durations to seconds, string commands to argv with ``shlex``,
paths to ``Path`` (relative to the workspace, neither resolved nor checked), ``triggers`` to
tuples in ``Trigger`` order, columns to ``ColumnSpec`` in file order. Defaults come from the
dataclasses of ``model.py`` (a test holds the schema's ``default`` annotations equal to them).

What the schema cannot express (a command string with an unclosed quote) raises
``BuildError`` carrying the YAML path of the offending value, for the loader to turn into a
``file:line:col`` problem. Nothing else here raises on schema-valid input.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn, TypeVar, cast, get_args

from mlops_ci.config.model import (
    DEFAULT_BRANCH,
    DEFAULT_ID,
    DEFAULT_STAGES,
    DEFAULT_TRIGGERS,
    Against,
    Backend,
    Bump,
    ColumnDrift,
    ColumnSpec,
    Config,
    Correction,
    DataFormat,
    DataSpec,
    DeploySpec,
    DriftMethod,
    DriftSpec,
    DType,
    Environment,
    Estimator,
    EvaluateSpec,
    Gate,
    HealthCheck,
    ModelSpec,
    MonitorActions,
    MonitorSpec,
    RegisterSpec,
    ReportSpec,
    RowBounds,
    Sampling,
    StageName,
    Task,
    TrainSpec,
    Trigger,
)

YamlPath = tuple[str | int, ...]
"""Keys and list indices from the document root, like jsonschema's ``error.absolute_path``."""

T = TypeVar("T")
L = TypeVar("L", bound=str)

_DURATION = re.compile(r"(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?")
_DURATION_HELP = "whole seconds (90) or a number with a unit: '90s', '10m', '2h', '1h30m'"

_DRIFT = DriftSpec()
_TRAIN = TrainSpec()
_REGISTER = RegisterSpec()
_HEALTH = HealthCheck()
_ACTIONS = MonitorActions()
_MONITOR = MonitorSpec()
_REPORT = ReportSpec()

_DTYPES: tuple[DType, ...] = get_args(DType)
_FORMATS: tuple[DataFormat, ...] = get_args(DataFormat)
_DRIFT_METHODS: tuple[DriftMethod, ...] = get_args(DriftMethod)
_CORRECTIONS: tuple[Correction, ...] = get_args(Correction)
_TASKS: tuple[Task, ...] = get_args(Task)
_AGAINST: tuple[Against, ...] = get_args(Against)
_BUMPS: tuple[Bump, ...] = get_args(Bump)
_BACKENDS: tuple[Backend, ...] = get_args(Backend)


class BuildError(ValueError):
    """A value the schema accepts but that cannot be converted, at ``path`` in the document."""

    def __init__(self, path: YamlPath, message: str) -> None:
        super().__init__(f"{format_path(path)}: {message}")
        self.path = path
        self.message = message


def format_path(path: YamlPath) -> str:
    """Dotted form of a path: ``("models", "churn", "gates", 0)`` -> ``models.churn.gates[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def parse_duration(value: str | int) -> int:
    """Seconds in a duration: an int of seconds, or text such as ``"90s"``, ``"10m"``, ``"1h30m"``.

    Raises ``ValueError`` naming the accepted forms for anything else, and for zero.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"invalid duration {value!r}: expected {_DURATION_HELP}")
    if isinstance(value, int):
        seconds = value
    else:
        text = value.strip()
        match = _DURATION.fullmatch(text)
        if text.isascii() and text.isdigit():
            seconds = int(text)
        elif text and match is not None:
            hours, minutes, secs = (int(match[unit] or 0) for unit in ("h", "m", "s"))
            seconds = hours * 3600 + minutes * 60 + secs
        else:
            raise ValueError(f"invalid duration {value!r}: expected {_DURATION_HELP}")
    if seconds < 1:
        raise ValueError(f"invalid duration {value!r}: must be at least 1 second")
    return seconds


def split_command(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A command as argv: a list is kept as is, a string is split with ``shlex`` (no shell)."""
    if not isinstance(value, str):
        return tuple(value)
    argv = tuple(shlex.split(value))
    if not argv:
        raise ValueError("the command is empty")
    return argv


def build_config(data: Mapping[str, object], *, file: Path, root: Path) -> Config:
    """The ``Config`` of a mapping that ``mlops.schema.json`` accepts."""
    models = _map(data, "models", ())
    return Config(
        file=file,
        root=root,
        version=_required(data, "version", (), int),
        id=_value(data, "id", (), DEFAULT_ID),
        default_branch=_value(data, "default_branch", (), DEFAULT_BRANCH),
        stages=_strings(data, "stages", (), DEFAULT_STAGES),
        models=tuple(
            _model(name, _as_map(spec, ("models", name)), ("models", name))
            for name, spec in models.items()
        ),
        triggers=_triggers(_map(data, "triggers", ()), ("triggers",)),
        report=_report(_map(data, "report", ()), ("report",)),
    )


def _triggers(
    data: Mapping[str, object], at: YamlPath
) -> tuple[tuple[Trigger, tuple[StageName, ...]], ...]:
    defaults = dict(DEFAULT_TRIGGERS)
    out: list[tuple[Trigger, tuple[StageName, ...]]] = []
    for trigger in Trigger:
        if trigger.value in data:
            named = set(_strings(data, trigger.value, at, ()))
            steps = tuple(step for step in StageName if step.value in named)
        else:
            steps = defaults.get(trigger, ())
        if steps:
            out.append((trigger, steps))
    return tuple(out)


def _report(data: Mapping[str, object], at: YamlPath) -> ReportSpec:
    return ReportSpec(
        comment=_value(data, "comment", at, _REPORT.comment),
        summary=_value(data, "summary", at, _REPORT.summary),
        collapse_details=_value(data, "collapse_details", at, _REPORT.collapse_details),
        max_table_rows=_value(data, "max_table_rows", at, _REPORT.max_table_rows),
    )


def _model(name: str, data: Mapping[str, object], at: YamlPath) -> ModelSpec:
    monitor = data.get("monitor")
    return ModelSpec(
        name=name,
        path=_optional(data, "path", at, str),
        description=_optional(data, "description", at, str),
        data=_data(_map(data, "data", at), (*at, "data")),
        drift=_drift(_map(data, "drift", at), (*at, "drift")),
        train=_train(_map(data, "train", at), (*at, "train")),
        evaluate=_evaluate(_map(data, "evaluate", at), (*at, "evaluate")),
        register=_register(_map(data, "register", at), (*at, "register")),
        deploy=_deploy(_map(data, "deploy", at), (*at, "deploy")),
        monitor=None
        if monitor is None
        else _monitor(_as_map(monitor, (*at, "monitor")), (*at, "monitor")),
    )


def _data(data: Mapping[str, object], at: YamlPath) -> DataSpec:
    reference = _optional(data, "reference", at, str)
    rows = _map(data, "rows", at)
    columns = _map(data, "columns", at)
    return DataSpec(
        train=Path(_required(data, "train", at, str)),
        test=Path(_required(data, "test", at, str)),
        target=_required(data, "target", at, str),
        reference=None if reference is None else Path(reference),
        format=_optional_choice(data, "format", at, _FORMATS),
        id_column=_optional(data, "id_column", at, str),
        columns=tuple(
            _column(name, _as_map(spec, (*at, "columns", name)), (*at, "columns", name))
            for name, spec in columns.items()
        ),
        allow_extra_columns=_value(data, "allow_extra_columns", at, False),
        rows=RowBounds(
            min=_optional(rows, "min", (*at, "rows"), int),
            max=_optional(rows, "max", (*at, "rows"), int),
        ),
    )


def _column(name: str, data: Mapping[str, object], at: YamlPath) -> ColumnSpec:
    allowed = data.get("allowed")
    if allowed is not None and not isinstance(allowed, list):
        _fail((*at, "allowed"), "expected a list")
    return ColumnSpec(
        name=name,
        dtype=_choice(data, "dtype", at, _DTYPES),
        nullable=_value(data, "nullable", at, True),
        min=_optional_number(data, "min", at),
        max=_optional_number(data, "max", at),
        allowed=None if allowed is None else tuple(allowed),
        unique=_value(data, "unique", at, False),
        description=_optional(data, "description", at, str),
    )


def _drift(data: Mapping[str, object], at: YamlPath) -> DriftSpec:
    sample = data.get("sample")
    sampling = None
    if sample is not None:
        sample_at = (*at, "sample")
        sample_map = _as_map(sample, sample_at)
        sampling = Sampling(
            rows=_required(sample_map, "rows", sample_at, int),
            seed=_value(sample_map, "seed", sample_at, 0),
        )
    overrides = _map(data, "overrides", at)
    columns = data.get("columns")
    return DriftSpec(
        enabled=_value(data, "enabled", at, _DRIFT.enabled),
        method=_choice(data, "method", at, _DRIFT_METHODS, _DRIFT.method),
        threshold=_optional_number(data, "threshold", at),
        large_sample=_value(data, "large_sample", at, _DRIFT.large_sample),
        p_value_correction=_choice(
            data, "p_value_correction", at, _CORRECTIONS, _DRIFT.p_value_correction
        ),
        columns=None if columns is None else _strings(data, "columns", at, ()),
        key_columns=_strings(data, "key_columns", at, _DRIFT.key_columns),
        share=_number(data, "share", at, _DRIFT.share),
        fail_on_drift=_value(data, "fail_on_drift", at, _DRIFT.fail_on_drift),
        sample=sampling,
        overrides=tuple(
            _column_drift(column, _as_map(spec, (*at, "overrides", column)), (*at, "overrides"))
            for column, spec in overrides.items()
        ),
    )


def _column_drift(column: str, data: Mapping[str, object], at: YamlPath) -> ColumnDrift:
    return ColumnDrift(
        column=column,
        method=_optional_choice(data, "method", (*at, column), _DRIFT_METHODS),
        threshold=_optional_number(data, "threshold", (*at, column)),
    )


def _train(data: Mapping[str, object], at: YamlPath) -> TrainSpec:
    estimator = data.get("estimator")
    env = _map(data, "env", at)
    return TrainSpec(
        command=_command(data, "command", at),
        estimator=None
        if estimator is None
        else _estimator(_as_map(estimator, (*at, "estimator")), (*at, "estimator")),
        image=_optional(data, "image", at, str),
        timeout_seconds=_duration(data, "timeout", at, _TRAIN.timeout_seconds),
        seed=_value(data, "seed", at, _TRAIN.seed),
        env=tuple((name, _required(env, name, (*at, "env"), str)) for name in env),
        model_file=_value(data, "model_file", at, _TRAIN.model_file),
    )


def _estimator(data: Mapping[str, object], at: YamlPath) -> Estimator:
    params = _map(data, "params", at)
    return Estimator(class_path=_required(data, "class", at, str), params=tuple(params.items()))


def _evaluate(data: Mapping[str, object], at: YamlPath) -> EvaluateSpec:
    gates = data.get("gates", [])
    if not isinstance(gates, list):
        _fail((*at, "gates"), "expected a list")
    return EvaluateSpec(
        task=_choice(data, "task", at, _TASKS),
        metrics=_strings(data, "metrics", at, ()),
        gates=tuple(
            _gate(_as_map(gate, (*at, "gates", index)), (*at, "gates", index))
            for index, gate in enumerate(gates)
        ),
        report_only=_value(data, "report_only", at, False),
        trusted_types=_strings(data, "trusted_types", at, ()),
    )


def _gate(data: Mapping[str, object], at: YamlPath) -> Gate:
    return Gate(
        metric=_required(data, "metric", at, str),
        against=_choice(data, "against", at, _AGAINST, "absolute"),
        min=_optional_number(data, "min", at),
        max=_optional_number(data, "max", at),
        max_regression=_optional_number(data, "max_regression", at),
        min_improvement=_optional_number(data, "min_improvement", at),
        relative=_value(data, "relative", at, False),
    )


def _register(data: Mapping[str, object], at: YamlPath) -> RegisterSpec:
    return RegisterSpec(
        enabled=_value(data, "enabled", at, _REGISTER.enabled),
        bump=_choice(data, "bump", at, _BUMPS, _REGISTER.bump),
        first_version=_value(data, "first_version", at, _REGISTER.first_version),
        release=_value(data, "release", at, _REGISTER.release),
        assets=_strings(data, "assets", at, _REGISTER.assets),
        prerelease_stage=_optional(data, "prerelease_stage", at, str),
    )


def _deploy(data: Mapping[str, object], at: YamlPath) -> DeploySpec:
    environments = _map(data, "environments", at)
    return DeploySpec(
        environments=tuple(
            _environment(
                name,
                _as_map(spec, (*at, "environments", name)),
                (*at, "environments", name),
            )
            for name, spec in environments.items()
        )
    )


def _environment(name: str, data: Mapping[str, object], at: YamlPath) -> Environment:
    defaults = Environment(name=name, stage="", backend="docker")
    health = _map(data, "health", at)
    health_at = (*at, "health")
    return Environment(
        name=name,
        stage=_required(data, "stage", at, str),
        backend=_choice(data, "backend", at, _BACKENDS),
        url=_optional(data, "url", at, str),
        port=_optional(data, "port", at, int),
        command=_command(data, "command", at),
        manifests_path=_optional(data, "manifests_path", at, str),
        namespace=_value(data, "namespace", at, defaults.namespace),
        replicas=_value(data, "replicas", at, defaults.replicas),
        health=HealthCheck(
            path=_value(health, "path", health_at, _HEALTH.path),
            timeout_seconds=_duration(health, "timeout", health_at, _HEALTH.timeout_seconds),
            interval_seconds=float(
                _duration(health, "interval", health_at, int(_HEALTH.interval_seconds))
            ),
            smoke_rows=_value(health, "smoke_rows", health_at, _HEALTH.smoke_rows),
        ),
        rollback=_value(data, "rollback", at, defaults.rollback),
    )


def _monitor(data: Mapping[str, object], at: YamlPath) -> MonitorSpec:
    actions = _map(data, "actions", at)
    actions_at = (*at, "actions")
    return MonitorSpec(
        production_data=_strings(data, "production_data", at, _MONITOR.production_data),
        release_asset=_optional(data, "release_asset", at, str),
        schedule=_value(data, "schedule", at, _MONITOR.schedule),
        actions=MonitorActions(
            issue=_value(actions, "issue", actions_at, _ACTIONS.issue),
            labels=_strings(actions, "labels", actions_at, _ACTIONS.labels),
            dispatch=_value(actions, "dispatch", actions_at, _ACTIONS.dispatch),
            dispatch_event_type=_value(
                actions, "dispatch_event_type", actions_at, _ACTIONS.dispatch_event_type
            ),
            workflow=_optional(actions, "workflow", actions_at, str),
        ),
        history=_value(data, "history", at, _MONITOR.history),
    )


# Typed access to the mapping. The schema has checked every type already; these checks keep
# mypy honest and turn a loader bug into a clear BuildError instead of a wrong Config.


def _fail(at: YamlPath, message: str) -> NoReturn:
    raise BuildError(at, message)


def _is(value: object, kind: type[object]) -> bool:
    if isinstance(value, bool) and kind is not bool:
        return False
    return isinstance(value, kind)


def _as_map(value: object, at: YamlPath) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        _fail(at, "expected a mapping")
    return cast(Mapping[str, object], value)


def _map(data: Mapping[str, object], key: str, at: YamlPath) -> Mapping[str, object]:
    """The mapping at ``key``; an absent key is an empty mapping."""
    return _as_map(data.get(key, {}), (*at, key))


def _optional(data: Mapping[str, object], key: str, at: YamlPath, kind: type[T]) -> T | None:
    value = data.get(key)
    if value is None:
        return None
    if not _is(value, kind):
        _fail((*at, key), f"expected {kind.__name__}, got {value!r}")
    return cast(T, value)


def _required(data: Mapping[str, object], key: str, at: YamlPath, kind: type[T]) -> T:
    value = _optional(data, key, at, kind)
    if value is None:
        _fail((*at, key), "is required")
    return value


def _value(data: Mapping[str, object], key: str, at: YamlPath, default: T) -> T:
    """The value at ``key``, of the default's type, or the default when absent."""
    value = _optional(data, key, at, type(default))
    return default if value is None else value


def _optional_number(data: Mapping[str, object], key: str, at: YamlPath) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not (_is(value, int) or _is(value, float)):
        _fail((*at, key), f"expected a number, got {value!r}")
    return float(cast(float, value))


def _number(data: Mapping[str, object], key: str, at: YamlPath, default: float) -> float:
    value = _optional_number(data, key, at)
    return default if value is None else value


def _strings(
    data: Mapping[str, object], key: str, at: YamlPath, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        _fail((*at, key), f"expected a list of strings, got {value!r}")
    return tuple(value)


def _optional_choice(
    data: Mapping[str, object], key: str, at: YamlPath, choices: tuple[L, ...]
) -> L | None:
    value = data.get(key)
    if value is None:
        return None
    for choice in choices:
        if value == choice:
            return choice
    _fail((*at, key), f"expected one of {', '.join(choices)}, got {value!r}")


def _choice(
    data: Mapping[str, object],
    key: str,
    at: YamlPath,
    choices: tuple[L, ...],
    default: L | None = None,
) -> L:
    value = _optional_choice(data, key, at, choices)
    if value is not None:
        return value
    if default is None:
        _fail((*at, key), "is required")
    return default


def _duration(data: Mapping[str, object], key: str, at: YamlPath, default: int) -> int:
    value = data.get(key)
    if value is None:
        return default
    if not (_is(value, int) or isinstance(value, str)):
        _fail((*at, key), f"expected a duration, got {value!r}")
    try:
        return parse_duration(cast(int | str, value))
    except ValueError as error:
        _fail((*at, key), str(error))


def _command(data: Mapping[str, object], key: str, at: YamlPath) -> tuple[str, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
    ):
        _fail((*at, key), f"expected a list of arguments or a string, got {value!r}")
    try:
        return split_command(value)
    except ValueError as error:
        _fail((*at, key), f"cannot split {value!r} into arguments: {error}")
