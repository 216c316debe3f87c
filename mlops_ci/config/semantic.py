"""Checks the schema cannot express: references between keys, files on disk, cron syntax,
metric ranges.

Runs on schema-valid data only, so shapes can be relied on. Every problem points at the key
that is wrong, with its line and YAML path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_ci.config.cron import cron_error
from mlops_ci.config.evaluate_checks import (
    custom_metric_problems,
    gate_metric_problem,
    positive_class_problem,
)
from mlops_ci.config.model import METRIC_RANGES, P_VALUE_METHODS
from mlops_ci.config.workspace import (
    column_hint,
    command_script,
    header_columns,
    path_problem,
    split_quietly,
)
from mlops_ci.config.yamlmarks import Document, YamlPath, format_path
from mlops_ci.errors import Problem
from mlops_ci.registry.tags import model_fullname, model_in_tag, ref_name_problem
from mlops_ci.trust import never_trusted

_DATA_FILES = ("train", "test", "reference")
_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class _Checker:
    def __init__(self, doc: Document, file: str, root: Path) -> None:
        self.doc = doc
        self.file = file
        self.root = root
        self.problems: list[Problem] = []

    def report(self, path: YamlPath, message: str, hint: str | None = None) -> None:
        mark = self.doc.mark_of(path)
        self.problems.append(
            Problem(self.file, mark.line, mark.column, format_path(path), message, hint)
        )

    def report_key(self, path: YamlPath, message: str, hint: str | None = None) -> None:
        """A problem with the key itself (a name), at the key rather than its value."""
        mark = self.doc.key_mark_of(path)
        self.problems.append(
            Problem(self.file, mark.line, mark.column, format_path(path), message, hint)
        )


def semantic_problems(doc: Document, file: str, root: Path) -> list[Problem]:
    data: Mapping[str, Any] = doc.data  # type: ignore[assignment]
    checker = _Checker(doc, file, root)
    for path in _non_finite(data, ()):
        checker.report(path, "not a finite number", "leave the key out for no bound")
    stages = list(data.get("stages", ["staging", "production"]))
    for name, model in data["models"].items():
        _check_model(checker, ("models", name), model, stages)
    return checker.problems


def _check_model(
    checker: _Checker, at: YamlPath, model: Mapping[str, Any], stages: list[str]
) -> None:
    _check_registry_name(checker, at, model)
    data = model["data"]
    columns = data.get("columns") or {}
    if "id_column" in data and data["id_column"] == data.get("target"):
        checker.report(
            (*at, "data", "id_column"),
            f"column {data['id_column']!r} cannot be both the target and the id column",
        )
    for key in _DATA_FILES:
        if key in data:
            _check_data_file(checker, (*at, "data", key), data[key], data.get("format"))
    if columns:
        for key in ("target", "id_column"):
            if key in data and data[key] not in columns:
                checker.report(
                    (*at, "data", key),
                    f"column {data[key]!r} is not declared in data.columns",
                    _declared(data[key], columns),
                )
        drift = model.get("drift") or {}
        for key in ("columns", "key_columns"):
            for index, column in enumerate(drift.get(key) or ()):
                if column not in columns:
                    checker.report(
                        (*at, "drift", key, index),
                        f"column {column!r} is not declared in data.columns",
                        _declared(column, columns),
                    )
        for column in drift.get("overrides") or {}:
            if column not in columns:
                checker.report(
                    (*at, "drift", "overrides", column),
                    f"column {column!r} is not declared in data.columns",
                    _declared(column, columns),
                )
    else:
        _check_header(checker, (*at, "data"), data)
    _check_p_value_thresholds(checker, (*at, "drift"), model.get("drift") or {})
    _check_columns(checker, (*at, "data", "columns"), columns)
    evaluate = model["evaluate"]
    for index, gate in enumerate(evaluate.get("gates") or ()):
        unknown = gate_metric_problem(
            (*at, "evaluate", "gates", index, "metric"), evaluate, gate["metric"]
        )
        if unknown:
            checker.report(*unknown)
        _check_gate_range(checker, (*at, "evaluate", "gates", index), gate)
    for where, message, hint in custom_metric_problems(at, model):
        report = checker.report_key if where[-2] == "custom_metrics" else checker.report
        report(where, message, hint)
    found = positive_class_problem(at, model, checker.root)
    if found:
        checker.report(*found)
    _check_command(checker, (*at, "train", "command"), model["train"].get("command"))
    requirements = model["train"].get("requirements")
    if isinstance(requirements, str):
        problem = path_problem(requirements, checker.root, must_exist=True)
        if problem:
            checker.report((*at, "train", "requirements"), problem,
                           "a pip requirements file, or false for none")
    _check_trusted_types(checker, (*at, "evaluate", "trusted_types"), evaluate)
    for env_name, env in ((model.get("deploy") or {}).get("environments") or {}).items():
        if env["stage"] not in stages:
            checker.report(
                (*at, "deploy", "environments", env_name, "stage"),
                f"stage {env['stage']!r} is not one of the stages: {', '.join(stages)}",
                "add it to the top-level stages list",
            )
        if "canary" in env:
            _check_canary(checker, (*at, "deploy", "environments", env_name), env)
    prerelease_stage = (model.get("register") or {}).get("prerelease_stage")
    if prerelease_stage is not None and prerelease_stage not in stages:
        checker.report(
            (*at, "register", "prerelease_stage"),
            f"stage {prerelease_stage!r} is not one of the stages: {', '.join(stages)}",
        )
    for path, value in _workspace_paths(at, model):
        problem = path_problem(value, checker.root, must_exist=False)
        if problem:
            checker.report(path, problem)
    monitor = model.get("monitor") or {}
    if "schedule" in monitor:
        problem = cron_error(str(monitor["schedule"]))
        if problem:
            checker.report((*at, "monitor", "schedule"), problem)


def _check_header(checker: _Checker, at: YamlPath, data: Mapping[str, Any]) -> None:
    """Without ``data.columns``, the target and id column must be in the training file."""
    train = data.get("train")
    if not isinstance(train, str) or path_problem(train, checker.root, must_exist=True):
        return  # reported as a data file problem
    columns = header_columns(checker.root / train, data.get("format"))
    if not columns:
        return
    for key in ("target", "id_column"):
        name = data.get(key)
        if isinstance(name, str) and name not in columns:
            checker.report(
                (*at, key), f"column {name!r} is not in {train}", column_hint(name, columns)
            )


def _check_gate_range(checker: _Checker, at: YamlPath, gate: Mapping[str, Any]) -> None:
    """An absolute bound outside the values a metric can take can never be met, or always is."""
    low, high = METRIC_RANGES.get(gate["metric"], (None, None))
    for bound in ("min", "max"):
        value = gate.get(bound)
        if not isinstance(value, int | float) or not math.isfinite(value):
            continue  # non-finite numbers are refused on their own
        if (low is None or value >= low) and (high is None or value <= high):
            continue
        span = _range_text(low, high)
        above = high is not None and value > high
        verdict = "can never be met" if above == (bound == "min") else "always holds"
        hint = None
        if low == 0 and high == 1 and 10 <= value <= 100:
            hint = f"did you mean {_percent_as_fraction(value)}?"
        checker.report(
            (*at, bound),
            f"{gate['metric']} is {span}, so {bound} {_plain_number(value)} {verdict}",
            hint,
        )


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {_plain_number(low)} and {_plain_number(high)}"
    if low is not None:
        return f"at least {_plain_number(low)}"
    return f"at most {_plain_number(high or 0)}"


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _percent_as_fraction(value: float) -> str:
    """70 -> ``0.70``, 92.5 -> ``0.925``: a percentage written as the fraction metrics are."""
    text = f"{value / 100:.6f}".rstrip("0")
    decimals = len(text.split(".")[1])
    return text + "0" * max(0, 2 - decimals)


def _check_canary(checker: _Checker, at: YamlPath, environment: Mapping[str, Any]) -> None:
    """Only a KServe InferenceService splits traffic between two versions."""
    backend, kind = environment["backend"], environment.get("kind", "deployment")
    if backend == "kubernetes" and kind == "inferenceservice":
        return
    where = f"backend {backend!r}" + (f" with kind {kind!r}" if backend == "kubernetes" else "")
    checker.report(
        (*at, "canary"),
        f"{where} cannot split traffic between two versions: a canary needs "
        "backend kubernetes with kind inferenceservice (KServe)",
        "remove canary, or serve this environment through KServe",
    )


def _check_command(checker: _Checker, at: YamlPath, command: object) -> None:
    """The script a training command runs (``python train.py``) must be in the workspace."""
    if not isinstance(command, str | list):
        return
    found = command_script(split_quietly(command))
    if found is None:
        return
    index, script = found
    problem = path_problem(script, checker.root, must_exist=True)
    if problem:
        where = (*at, index) if isinstance(command, list) else at
        checker.report(where, problem, "train.command runs in the config's folder")


def _check_trusted_types(checker: _Checker, at: YamlPath, evaluate: Mapping[str, Any]) -> None:
    for index, name in enumerate(evaluate.get("trusted_types") or ()):
        module = never_trusted(name)
        if module is not None:
            checker.report(
                (*at, index),
                f"{name} is never trusted: module {module} can run code when a model file "
                "is loaded",
                "remove it, and save the model without such objects",
            )


def _check_columns(checker: _Checker, at: YamlPath, columns: Mapping[str, Any]) -> None:
    for name, spec in columns.items():
        low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None and low > high:
            checker.report((*at, name, "min"), f"min {low} is greater than max {high}")
        numeric = spec["dtype"] in ("int", "float")
        for bound in ("min", "max"):
            if bound in spec and not numeric:
                checker.report((*at, name, bound), f"{bound} applies to int and float columns only")
        for index, value in enumerate(spec.get("allowed") or ()):
            if not _can_hold(spec["dtype"], value):
                checker.report(
                    (*at, name, "allowed", index),
                    f"{json.dumps(value)} can never be a value of this {spec['dtype']} column",
                )


def _check_p_value_thresholds(checker: _Checker, at: YamlPath, drift: Mapping[str, Any]) -> None:
    """KS and chi2 drift when the p-value is below the threshold: above 1, always."""
    method = drift.get("method", "auto")
    rules = [(at, method, drift.get("threshold"))]
    for column, override in (drift.get("overrides") or {}).items():
        rules.append(
            ((*at, "overrides", column), override.get("method", method),
             override.get("threshold"))
        )
    for where, rule_method, threshold in rules:
        if rule_method in P_VALUE_METHODS and isinstance(threshold, int | float) and threshold > 1:
            checker.report(
                (*where, "threshold"),
                f"{rule_method} drifts when its p-value is below the threshold; a p-value is "
                f"at most 1, so {threshold} makes every column drift",
                "use a p-value such as 0.05, or a distance method (psi, wasserstein)",
            )


def _can_hold(dtype: str, value: object) -> bool:
    """Whether a column of ``dtype`` can hold ``value`` (data validation compares typed values)."""
    if dtype == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return dtype in ("string", "category")  # read as the text "true"/"false"
    if dtype == "int":  # read as int64
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return isinstance(value, int) and -(2**63) <= value <= 2**63 - 1
    if dtype == "float":
        return isinstance(value, int | float)
    return True


def _non_finite(value: object, at: YamlPath) -> Iterator[YamlPath]:
    """Paths of NaN and infinite numbers: YAML reads ``.nan`` and ``.inf``, but no setting
    means anything by them (a comparison with NaN is always false)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield at
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, (*at, index))


def _check_registry_name(checker: _Checker, at: YamlPath, model: Mapping[str, Any]) -> None:
    """The model's registry tags must be names git can keep, or register fails late."""

    name = str(at[-1])
    folder = model.get("path")
    folder_problem = ref_name_problem(folder.strip("/")) if folder else None
    if folder_problem:
        message = f"git cannot keep this model's tags: the path {folder_problem}"
        checker.report((*at, "path"), message)
        return
    problem = ref_name_problem(model_in_tag(model_fullname(name, folder)))
    if problem:
        checker.report_key(at, f"git cannot keep this model's tags: the name {problem}")


def _workspace_paths(at: YamlPath, model: Mapping[str, Any]) -> Iterator[tuple[YamlPath, str]]:
    params_file = (model.get("train") or {}).get("params_file")
    if isinstance(params_file, str):
        yield (*at, "train", "params_file"), params_file
    for index, asset in enumerate((model.get("register") or {}).get("assets") or ()):
        yield (*at, "register", "assets", index), asset
    for index, pattern in enumerate((model.get("monitor") or {}).get("production_data") or ()):
        yield (*at, "monitor", "production_data", index), pattern
    feedback = (model.get("monitor") or {}).get("feedback") or {}
    for key in ("data", "labels", "prediction_log"):
        value = feedback.get(key) or ()
        for index, pattern in enumerate([value] if isinstance(value, str) else value):
            yield (*at, "monitor", "feedback", key, index), pattern


def _check_data_file(
    checker: _Checker, at: YamlPath, value: str, declared_format: str | None
) -> None:
    problem = path_problem(value, checker.root, must_exist=True)
    if problem:
        checker.report(at, problem)
        return
    if declared_format is None and PurePosixPath(value).suffix.lower() not in _FORMATS:
        checker.report(
            at,
            f"cannot tell the format of {value!r} from its extension",
            "use a .csv or .parquet file, or set data.format",
        )


def _declared(name: str, columns: Mapping[str, Any]) -> str:
    return column_hint(name, list(columns))
