"""The ``validate`` stage: every data file the model declares against its column schema.

Train, test and reference files are checked (each once); any error finding fails the stage,
warnings alone make it a warning.
"""

from __future__ import annotations

from pathlib import Path

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.data.validate import validate_file
from mlops_ci.stages.base import StageContext, StageResult, Status


def _data_files(model: ModelSpec, workspace: Path) -> list[Path]:
    data = model.data
    files: list[Path] = []
    for relative in (data.train, data.test, data.reference_path):
        path = workspace / relative
        if path not in files:
            files.append(path)
    return files


class ValidateStage:
    name = StageName.VALIDATE

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:

        results = tuple(
            validate_file(path, model.data) for path in _data_files(model, context.workspace)
        )
        errors = sum(1 for r in results for f in r.findings if f.severity == "error")
        warnings = sum(1 for r in results for f in r.findings if f.severity == "warning")
        rows = sum(r.rows for r in results)
        summary = f"{len(results)} files, {rows:,} rows: {errors} errors, {warnings} warnings"
        if errors:
            status = Status.FAILED
        elif warnings:
            status = Status.WARNING
        else:
            status = Status.PASSED
        return StageResult(self.name, model.name, status, summary, detail=results)
