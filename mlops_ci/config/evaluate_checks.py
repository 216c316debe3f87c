"""Checks of ``evaluate`` the schema cannot express: gates on the training command's own
metrics, its metrics file, and the positive class of a binary classifier.

Pure functions of schema-valid data and the workspace's files (read cheaply, as
``workspace`` does); each problem is ``(yaml path, message, hint)`` and ``semantic`` reports
it at that path's line. The built-in metric names are ``METRIC_RANGES``'s keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_ci.config.model import METRIC_RANGES
from mlops_ci.config.workspace import column_values, path_problem
from mlops_ci.config.yamlmarks import YamlPath

Found = tuple[YamlPath, str, str | None]
OWN_FILES = ("metrics.json", "evaluation.json", "metadata.json", "params.json")
"""What mlops-ci (or the training command's params) writes in MLOPS_OUTPUT_DIR."""


def custom_metric_problems(at: YamlPath, model: Mapping[str, Any]) -> Iterator[Found]:
    """Declared custom metrics that clash with built-in ones, and the metrics file's path."""
    evaluate = model["evaluate"]
    for name in evaluate.get("custom_metrics") or {}:
        if name in METRIC_RANGES:
            yield (
                (*at, "evaluate", "custom_metrics", name),
                f"{name!r} is a built-in metric; a metric of the metrics file needs its own name",
                f"rename it in the file and here, e.g. 'my_{name}'; or list {name!r} in "
                "evaluate.metrics to have mlops-ci compute it",
            )
    metrics_file = evaluate.get("metrics_file")
    if metrics_file is None:
        return
    where = (*at, "evaluate", "metrics_file")
    train = model["train"]
    if "command" not in train:
        yield (where, "metrics_file needs train.command: nothing else writes it",
               "remove it, or train with a command that writes its own metrics")
    pure = PurePosixPath(metrics_file)
    if pure.is_absolute() or Path(metrics_file).is_absolute() or ".." in pure.parts:
        yield (where, f"{metrics_file!r} must be a path inside MLOPS_OUTPUT_DIR, relative to it",
               "write the file with Path(os.environ['MLOPS_OUTPUT_DIR']) / 'NAME.json'")
    elif str(pure) in (*OWN_FILES, train.get("model_file", "model.skops")):
        yield (where, f"{metrics_file!r} is a file mlops-ci writes in MLOPS_OUTPUT_DIR",
               "name it something else, e.g. 'eval.json'")


def gate_metric_problem(
    at: YamlPath, evaluate: Mapping[str, Any], metric: str
) -> Found | None:
    """Why a gate cannot check ``metric``: neither listed nor a declared custom metric."""
    listed = list(evaluate["metrics"])
    if metric in listed or metric in (evaluate.get("custom_metrics") or {}):
        return None
    if metric not in METRIC_RANGES and evaluate.get("metrics_file") is not None:
        return (
            at,
            f"gate on {metric!r}, a metric of the metrics file with no declared direction",
            f"declare it: evaluate.custom_metrics: {{{metric}: {{direction: higher}}}}, "
            "or lower when smaller is better",
        )
    return (
        at,
        f"gate on {metric!r}, which is not among evaluate.metrics",
        f"add it to evaluate.metrics ({', '.join(listed)})",
    )


def positive_class_problem(
    at: YamlPath, model: Mapping[str, Any], root: Path
) -> Found | None:
    """A ``positive_class`` the target can never hold, when the config or a small test CSV
    tells which values it holds."""
    evaluate = model["evaluate"]
    if "positive_class" not in evaluate:
        return None
    value = evaluate["positive_class"]
    where = (*at, "evaluate", "positive_class")
    if evaluate["task"] != "classification":
        return (where, "positive_class applies to classification only", "remove it")
    data = model["data"]
    target = data.get("target")
    declared = (data.get("columns") or {}).get(target) or {}
    shown = json.dumps(value)
    if declared.get("allowed"):
        allowed = [_text(v) for v in declared["allowed"]]
        if _text(value).casefold() not in {v.casefold() for v in allowed}:
            return (where, f"{shown} is not among the target's allowed values "
                    f"({', '.join(allowed)})", "write one of them, as in the data")
        return None
    test = data.get("test")
    if not isinstance(test, str) or path_problem(test, root, must_exist=True):
        return None
    values = column_values(root / test, data.get("format"), str(target))
    if values and _text(value).casefold() not in {v.casefold() for v in values}:
        found = ", ".join(sorted(values)[:10]) + (", ..." if len(values) > 10 else "")
        return (where, f"{shown} is not a value of the target {target!r} in {test} "
                f"(it holds {found})", "write one of them, as in the data")
    return None


def _text(value: object) -> str:
    """A class as a CSV cell writes it: ``true`` for YAML's true, ``0`` for 0."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
