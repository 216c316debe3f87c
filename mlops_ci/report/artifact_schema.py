"""The JSON Schema of the report artifact, derived from the report's own types.

The artifact a pull request's read-only run stores (``report/artifact.py``) is the report as
typed values: ``RunInfo``, ``RunError`` and each stage's detail (``Evaluation``,
``DriftResult``, ``ValidationResult``), field by field. Its schema is generated from those
dataclasses' type hints, so it cannot drift from what the renderer reads, and shipped as
``mlops_ci/schema/report-artifact.schema.json`` (``schemas/report-artifact.schema.json`` at the
repository root links to it); a test checks the file equals what this module generates, and
``python -m mlops_ci.report.artifact_schema`` rewrites it.

Every string is length-limited, every array bounded, every object closed
(``additionalProperties: false``), every enum listed; a number is a finite JSON number, and a
float the report may hold as infinite or NaN (a drift distance) is one of the strings
``"inf"``, ``"-inf"``, ``"nan"`` instead.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import sys
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

from mlops_ci.config.model import StageName
from mlops_ci.data.results import DriftResult, ValidationResult
from mlops_ci.report.model import RunError, RunInfo
from mlops_ci.stages.base import Status
from mlops_ci.stages.results import Evaluation

SCHEMA_FILE = "report-artifact.schema.json"
ARTIFACT_FORMAT = 2
MAX_STRING = 4000  # characters of any one string
MAX_ITEMS = 10_000  # items of any one array
MAX_INTEGER = 2**53  # beyond it a JSON number loses precision in most readers
SPECIAL_FLOATS = ("inf", "-inf", "nan")
DETAIL_TYPES: dict[str, Any] = {
    "evaluation": Evaluation,
    "drift": DriftResult,
    "validation": tuple[ValidationResult, ...],
}
"""The key of a stage result's ``detail`` object -> the type it holds (one key per detail)."""
SHA = "^[0-9a-f]{40}([0-9a-f]{24})?$"
CONFIG_ID = "^[A-Za-z0-9][A-Za-z0-9._:@#/+-]{0,199}$"
REPOSITORY = "^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$"
BRANCH = "^[^\\u0000-\\u001f\\u007f]{1,255}$"


def _closed(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "maxItems": MAX_ITEMS, "items": items}


STRING = {"type": "string", "maxLength": MAX_STRING}
INTEGER = {"type": "integer", "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER}
FLOAT = {"anyOf": [{"type": "number"}, {"enum": list(SPECIAL_FLOATS)}]}


class _Builder:
    """Turns type hints into schemas, one ``$defs`` entry per dataclass."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def schema(self, hint: Any) -> dict[str, Any]:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint is str or hint is Path:
            return dict(STRING)
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return dict(INTEGER)
        if hint is float:
            return dict(FLOAT)
        if hint is type(None):
            return {"type": "null"}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"enum": [member.value for member in hint]}
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.schema(arm) for arm in args]}
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return _array(self.schema(args[0]))
        if origin is tuple:
            return {
                "type": "array",
                "prefixItems": [self.schema(arm) for arm in args],
                "items": False,
                "minItems": len(args),
            }
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self.dataclass(hint)
        raise TypeError(f"the report artifact cannot hold {hint!r}")

    def dataclass(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # a placeholder: a type that holds itself stops here
            hints = typing.get_type_hints(cls)
            fields = dataclasses.fields(cls)
            self.defs[name] = _closed({f.name: self.schema(hints[f.name]) for f in fields})
        return {"$ref": f"#/$defs/{name}"}


def _meta() -> dict[str, Any]:
    return _closed({
        "config_id": {"type": "string", "pattern": CONFIG_ID},
        "head_sha": {"type": "string", "pattern": SHA},
        "run_id": {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER},
        "pr_number": {"anyOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}, {"type": "null"}]},
        "head_ref": {"anyOf": [{"type": "string", "pattern": BRANCH}, {"type": "null"}]},
        "base_ref": {"anyOf": [{"type": "string", "pattern": BRANCH}, {"type": "null"}]},
        "repository": {"anyOf": [{"type": "string", "pattern": REPOSITORY}, {"type": "null"}]},
    })


def generated_schema() -> dict[str, Any]:
    """The schema as this version's types define it (what the shipped file must hold)."""
    builder = _Builder()
    details = {key: builder.schema(hint) for key, hint in DETAIL_TYPES.items()}
    detail = {"anyOf": [
        {"type": "null"},
        *(_closed({key: schema}) for key, schema in details.items()),
    ]}
    result = _closed({
        "stage": {"enum": [stage.value for stage in StageName]},
        "status": {"enum": [status.value for status in Status]},
        "summary": STRING,
        "seconds": FLOAT,
        "detail": detail,
    })
    report = _closed({
        "dry_run": {"type": "boolean"},
        "run": builder.schema(RunInfo),
        "models": {"type": "array", "maxItems": 100, "items": _closed({
            "model": STRING,
            "results": {"type": "array", "maxItems": 100, "items": result},
        })},
        "error": {"anyOf": [{"type": "null"}, builder.schema(RunError)]},
        "notes": _array(STRING),
    })
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/mlops-ci/mlops-ci/schemas/report-artifact.schema.json",
        "title": "mlops-ci report artifact",
        "description": (
            "The results a pull request's read-only run stores for the workflow_run job, "
            "which validates them against this schema and renders the comment from them. "
            "Generated from mlops-ci's report types by `python -m "
            "mlops_ci.report.artifact_schema`; do not edit by hand."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "meta", "report"],
        "properties": {
            "format": {"const": ARTIFACT_FORMAT},
            "meta": _meta(),
            "report": report,
        },
        "$defs": dict(sorted(builder.defs.items())),
    }


def schema_text() -> str:
    """The schema file's exact text."""
    return json.dumps(generated_schema(), indent=2, ensure_ascii=False) + "\n"


@functools.cache
def load_artifact_schema() -> dict[str, Any]:
    """The schema as shipped with the package. Cached: callers must not mutate it."""
    text = resources.files("mlops_ci").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise TypeError(f"{SCHEMA_FILE} does not hold a JSON object")
    return loaded


if __name__ == "__main__":  # pragma: no cover - the maintainers' regeneration command
    target = Path(str(resources.files("mlops_ci").joinpath("schema", SCHEMA_FILE)))
    target.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
