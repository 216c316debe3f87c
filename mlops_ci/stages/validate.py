"""The ``validate`` stage: every data file the model declares against its column schema.

Train, test and reference files are checked (each once); any error finding fails the stage,
warnings alone make it a warning.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.data.results import ValidationResult
from mlops_ci.data.validate import validate_file
from mlops_ci.stages.base import StageContext, StageResult, Status


def _data_files(model: ModelSpec) -> list[Path]:
    """The model's data files, each once, relative to the workspace."""
    data = model.data
    return list(dict.fromkeys((data.train, data.test, data.reference_path)))


def _validate(workspace: Path, relative: Path, model: ModelSpec) -> ValidationResult:
    """The file validated, named as the config names it (reports show repository paths)."""
    result = validate_file(workspace / relative, model.data)
    return dataclasses.replace(result, file=relative.as_posix())


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


class ValidateStage:
    name = StageName.VALIDATE

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:

        results = tuple(
            _validate(context.workspace, relative, model) for relative in _data_files(model)
        )
        errors = sum(1 for r in results for f in r.findings if f.severity == "error")
        warnings = sum(1 for r in results for f in r.findings if f.severity == "warning")
        rows = sum(r.rows for r in results)
        summary = (
            f"{_count(len(results), 'file')}, {_count(rows, 'row')}: "
            f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        )
        if errors:
            status = Status.FAILED
        elif warnings:
            status = Status.WARNING
        else:
            status = Status.PASSED
        return StageResult(self.name, model.name, status, summary, detail=results)
