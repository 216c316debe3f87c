"""The report artifact as a document: a report's typed results, written and read back as JSON.

A pull request's run holds a read-only token, so it stores its results for the
``workflow_run`` job of the base repository, which posts the comment. What it stores is the
report itself, not its rendering::

    {"format": 2,
     "meta": {"config_id", "head_sha", "run_id", "pr_number", "head_ref", "base_ref",
              "repository"},
     "report": {"dry_run", "run": RunInfo, "models": [{"model", "results": [{"stage",
                "status", "summary", "seconds", "detail": {"evaluation": ...} | {"drift":
                ...} | {"validation": [...]} | null}]}], "error": RunError | null, "notes"}}

``artifact_document`` encodes (strings and arrays cut to the schema's limits, non-finite
floats as ``"inf"``/``"-inf"``/``"nan"``); ``check_document`` validates a parsed document
against the shipped schema (``artifact_schema``) and refuses any non-finite number, each
problem named by its JSON path; ``read_document`` decodes a checked document back into
``ReportMeta`` and a ``Report`` that the posting job renders with ``render_report``, the
renderer of every run. Every free string read back goes through ``escape.defang`` first: the
artifact was written by the pull request's code.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.config.model import StageName
from mlops_ci.data.results import DriftResult
from mlops_ci.errors import UserError
from mlops_ci.report.artifact_schema import (
    ARTIFACT_FORMAT,
    DETAIL_TYPES,
    MAX_ITEMS,
    MAX_STRING,
    load_artifact_schema,
)
from mlops_ci.report.escape import defang
from mlops_ci.report.model import ModelReport, Report, RunError, RunInfo
from mlops_ci.stages.base import StageDetail, StageResult, Status
from mlops_ci.stages.results import Evaluation

MAX_PROBLEMS = 10  # shown of an invalid document; the first ones name the cause


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Which pull request, commit and run a stored report belongs to."""

    config_id: str
    head_sha: str
    run_id: int
    pr_number: int | None = None
    head_ref: str | None = None
    base_ref: str | None = None
    repository: str | None = None

    def to_json(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def artifact_document(report: Report, meta: ReportMeta) -> dict[str, Any]:
    """``report`` and ``meta`` as the artifact's JSON values (valid against the schema)."""
    return {
        "format": ARTIFACT_FORMAT,
        "meta": meta.to_json(),
        "report": {
            "dry_run": report.dry_run,
            "run": _encode(report.run),
            "models": [
                {"model": _encode(model.model), "results": [
                    {
                        "stage": result.stage.value,
                        "status": result.status.value,
                        "summary": _encode(result.summary),
                        "seconds": _encode(result.seconds),
                        "detail": _encode_detail(result.detail),
                    }
                    for result in model.results[:100]
                ]}
                for model in report.models[:100]
            ],
            "error": _encode(report.error),
            "notes": _encode(report.notes),
        },
    }


def _encode_detail(detail: StageDetail | None) -> dict[str, Any] | None:
    match detail:
        case Evaluation():
            return {"evaluation": _encode(detail)}
        case DriftResult():
            return {"drift": _encode(detail)}
        case tuple():
            return {"validation": _encode(detail)}
    return None  # train and monitor results have no section of their own


def _encode(value: object) -> Any:
    if value is None or (isinstance(value, bool | int) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return value[:MAX_STRING]
    if isinstance(value, Path):
        return value.name[:MAX_STRING]  # the file's name, not where the runner kept it
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value[:MAX_ITEMS]]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"the report artifact cannot hold {type(value).__name__}")


# checking --------------------------------------------------------------------------------


def check_document(data: object, file: str) -> None:
    """``UserError`` (exit 2) naming ``file`` and the JSON path of each problem of ``data``:
    a non-finite number (``NaN``, ``1e400``), or anything the schema refuses."""
    from jsonschema import Draft202012Validator

    problems = [f"{path}: {what}" for path, what in _non_finite(data, "$")]
    if not problems:
        validator = Draft202012Validator(load_artifact_schema())
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
        problems = [f"{error.json_path}: {_describe(error)}" for error in errors]
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        raise UserError(
            f"{file}: not a valid report artifact:\n"
            + "\n".join(f"  {line}" for line in shown)
            + (f"\n  ...and {more} more" if more else ""),
            hint="the artifact is written by mlops-ci's pull_request run of the same version; "
            "nothing was posted",
        )


def _non_finite(value: object, path: str) -> typing.Iterator[tuple[str, str]]:
    if isinstance(value, float) and not math.isfinite(value):
        yield path, "a number must be finite (NaN, infinities and 1e400 are refused)"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, f"{path}.{str(key)[:60]}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, f"{path}[{index}]")


def _describe(error: Any) -> str:
    """jsonschema's message, without quoting a huge or hostile value back in full."""
    validator, expected = error.validator, error.validator_value
    if validator == "maxLength":
        return f"longer than {expected:,} characters"
    if validator == "maxItems":
        return f"more than {expected:,} items"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unexpected key " + ", ".join(repr(key[:60]) for key in extra[:5])
    if validator == "enum":
        return f"expected one of {', '.join(map(str, expected))[:300]}"
    message = str(error.message)
    return message if len(message) <= 300 else message[:297] + "..."


# reading ---------------------------------------------------------------------------------


def read_document(data: dict[str, Any]) -> tuple[ReportMeta, Report]:
    """The meta and the report of a document ``check_document`` accepted."""
    meta = ReportMeta(**data["meta"])
    body = data["report"]
    models = tuple(
        ModelReport(
            defang(model["model"]),
            tuple(_result(defang(model["model"]), result) for result in model["results"]),
        )
        for model in body["models"]
    )
    report = Report(
        run=_decode(RunInfo, body["run"]),
        models=models,
        dry_run=body["dry_run"],
        error=_decode(RunError | None, body["error"]),
        notes=_decode(tuple[str, ...], body["notes"]),
    )
    return meta, report


def _result(model: str, data: dict[str, Any]) -> StageResult:
    detail = None
    if data["detail"] is not None:
        ((key, value),) = data["detail"].items()
        detail = _decode(DETAIL_TYPES[key], value)
    return StageResult(
        stage=StageName(data["stage"]),
        model=model,
        status=Status(data["status"]),
        summary=defang(data["summary"]),
        seconds=_decode(float, data["seconds"]),
        detail=detail,
    )


def _decode(hint: Any, value: Any) -> Any:
    """``value`` (valid for ``hint`` by the schema) as ``hint``; free strings defanged."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if value is None:
        return None
    if hint is str:
        return defang(value)
    if hint is Path:
        return Path(defang(value))
    if hint is float:
        return float(value)  # "inf", "-inf" and "nan" read as themselves
    if hint in (bool, int) or origin is typing.Literal:
        return value
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if origin in (typing.Union, types.UnionType):
        (arm,) = (arm for arm in args if arm is not type(None))
        return _decode(arm, value)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(args[0], item) for item in value)
    if origin is tuple:
        return tuple(_decode(arm, item) for arm, item in zip(args, value, strict=True))
    hints = typing.get_type_hints(hint)
    return hint(**{f.name: _decode(hints[f.name], value[f.name])
                   for f in dataclasses.fields(hint)})
