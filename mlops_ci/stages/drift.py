"""The ``drift`` stage: this commit's training data against the model's reference data.

A drifted dataset fails the stage only when ``drift.fail_on_drift`` is set; otherwise it is
a warning that the report shows. When the reference is the training file itself (no
``data.reference``) or a file with the same bytes (a snapshot not yet outgrown), there is
nothing to compare: the stage is skipped and says why, instead of a table of zeros that could
never flag anything.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.data.drift import drift_files
from mlops_ci.digest import sha256_file
from mlops_ci.stages.base import StageContext, StageResult, Status


class DriftStage:
    name = StageName.DRIFT

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:
        if not model.drift.enabled:
            return StageResult(self.name, model.name, Status.SKIPPED, "drift.enabled is false")
        data = model.data
        reference, current = context.workspace / data.reference_path, context.workspace / data.train
        same = nothing_to_compare(context.workspace, data.reference_path, data.train,
                                  defaulted=data.reference is None)
        if same is not None:
            return StageResult(self.name, model.name, Status.SKIPPED, same)
        exclude = [data.target] + ([data.id_column] if data.id_column else [])
        result = drift_files(
            reference,
            current,
            model.drift,
            column_specs=data.columns,
            exclude=exclude,
            data_format=data.format,
        )
        # named as the config names them: reports show repository paths, not the runner's
        result = dataclasses.replace(
            result, reference=data.reference_path.as_posix(), current=data.train.as_posix()
        )
        summary = result.reason
        if not result.drifted:
            status = Status.PASSED
        elif model.drift.fail_on_drift:
            status = Status.FAILED
        else:
            status = Status.WARNING
        outputs = (("drift", "true" if result.drifted else "false"),)
        return StageResult(self.name, model.name, status, summary, detail=result, outputs=outputs)


def nothing_to_compare(
    workspace: Path, reference: Path, current: Path, *, defaulted: bool
) -> str | None:
    """Why measuring drift between these two files (relative to ``workspace``) would say
    nothing, or None. ``defaulted``: data.reference is not set."""
    if defaulted:
        return (f"nothing to compare: data.reference is not set, so the reference is the "
                f"training data itself ({current.as_posix()}); set data.reference to a "
                "baseline, e.g. the data the production model learnt from")
    same_file = (workspace / reference).resolve() == (workspace / current).resolve()
    if not same_file and not _same_bytes(workspace / reference, workspace / current):
        return None
    how = "is the training data file" if same_file else "holds the same bytes as the training data"
    return (f"nothing to compare: the reference data ({reference.as_posix()}) {how} "
            f"({current.as_posix()}); drift is measured once they differ")


def _same_bytes(first: Path, second: Path) -> bool:
    try:
        if first.stat().st_size != second.stat().st_size:
            return False
        return sha256_file(first) == sha256_file(second)
    except OSError:
        return False  # drift_files reports the missing or unreadable file
