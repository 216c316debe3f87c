"""Checks the schema cannot express: references between keys, files on disk, cron syntax.

Runs on schema-valid data only, so shapes can be relied on. Every problem points at the key
that is wrong, with its line and YAML path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_ci.config.cron import cron_error
from mlops_ci.config.yamlmarks import Document, YamlPath, format_path
from mlops_ci.errors import Problem

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


def semantic_problems(doc: Document, file: str, root: Path) -> list[Problem]:
    data: Mapping[str, Any] = doc.data  # type: ignore[assignment]
    checker = _Checker(doc, file, root)
    stages = list(data.get("stages", ["staging", "production"]))
    for name, model in data["models"].items():
        _check_model(checker, ("models", name), model, stages)
    return checker.problems


def _check_model(
    checker: _Checker, at: YamlPath, model: Mapping[str, Any], stages: list[str]
) -> None:
    data = model["data"]
    columns = data.get("columns") or {}
    for key in _DATA_FILES:
        if key in data:
            _check_data_file(checker, (*at, "data", key), data[key], data.get("format"))
    if columns:
        for key in ("target", "id_column"):
            if key in data and data[key] not in columns:
                checker.report(
                    (*at, "data", key),
                    f"column {data[key]!r} is not declared in data.columns",
                    _declared(columns),
                )
        drift = model.get("drift") or {}
        for key in ("columns", "key_columns"):
            for index, column in enumerate(drift.get(key) or ()):
                if column not in columns:
                    checker.report(
                        (*at, "drift", key, index),
                        f"column {column!r} is not declared in data.columns",
                        _declared(columns),
                    )
        for column in drift.get("overrides") or {}:
            if column not in columns:
                checker.report(
                    (*at, "drift", "overrides", column),
                    f"column {column!r} is not declared in data.columns",
                    _declared(columns),
                )
    _check_columns(checker, (*at, "data", "columns"), columns)
    evaluate = model["evaluate"]
    metrics = list(evaluate["metrics"])
    for index, gate in enumerate(evaluate.get("gates") or ()):
        if gate["metric"] not in metrics:
            checker.report(
                (*at, "evaluate", "gates", index, "metric"),
                f"gate on {gate['metric']!r}, which is not among evaluate.metrics",
                f"add it to evaluate.metrics ({', '.join(metrics)})",
            )
    for env_name, env in ((model.get("deploy") or {}).get("environments") or {}).items():
        if env["stage"] not in stages:
            checker.report(
                (*at, "deploy", "environments", env_name, "stage"),
                f"stage {env['stage']!r} is not one of the stages: {', '.join(stages)}",
                "add it to the top-level stages list",
            )
    prerelease_stage = (model.get("register") or {}).get("prerelease_stage")
    if prerelease_stage is not None and prerelease_stage not in stages:
        checker.report(
            (*at, "register", "prerelease_stage"),
            f"stage {prerelease_stage!r} is not one of the stages: {', '.join(stages)}",
        )
    for path, value in _workspace_paths(at, model):
        problem = _path_problem(value, checker.root, must_exist=False)
        if problem:
            checker.report(path, problem)
    monitor = model.get("monitor") or {}
    if "schedule" in monitor:
        problem = cron_error(str(monitor["schedule"]))
        if problem:
            checker.report((*at, "monitor", "schedule"), problem)


def _check_columns(checker: _Checker, at: YamlPath, columns: Mapping[str, Any]) -> None:
    for name, spec in columns.items():
        low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None and low > high:
            checker.report((*at, name, "min"), f"min {low} is greater than max {high}")
        numeric = spec["dtype"] in ("int", "float")
        for bound in ("min", "max"):
            if bound in spec and not numeric:
                checker.report((*at, name, bound), f"{bound} applies to int and float columns only")


def _workspace_paths(at: YamlPath, model: Mapping[str, Any]) -> Iterator[tuple[YamlPath, str]]:
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
    problem = _path_problem(value, checker.root, must_exist=True)
    if problem:
        checker.report(at, problem)
        return
    if declared_format is None and PurePosixPath(value).suffix.lower() not in _FORMATS:
        checker.report(
            at,
            f"cannot tell the format of {value!r} from its extension",
            "use a .csv or .parquet file, or set data.format",
        )


def _path_problem(value: str, root: Path, *, must_exist: bool) -> str | None:
    """Why a workspace path is refused: absolute, '..', outside via a symlink, or missing."""
    pure = PurePosixPath(value)
    if pure.is_absolute() or Path(value).is_absolute() or value.startswith("~"):
        return f"{value!r} is an absolute path; paths are relative to the config's folder"
    if ".." in pure.parts:
        return f"{value!r} leaves the workspace ('..' is not allowed)"
    target = root / value
    if any(ch in value for ch in "*?["):
        return None
    try:
        resolved = target.resolve()
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return f"{value!r} cannot be resolved (a symlink loop?)"
    if not inside:
        return f"{value!r} leaves the workspace through a symlink"
    if must_exist and not target.is_file():
        what = "is a folder, not a file" if target.is_dir() else "does not exist"
        return f"{value!r} {what} (looked in {root})"
    return None


def _declared(columns: Mapping[str, Any]) -> str:
    names = list(columns)
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"declared: {shown}"
