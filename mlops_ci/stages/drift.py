"""The ``drift`` stage: this commit's training data against the model's reference data.

A drifted dataset fails the stage only when ``drift.fail_on_drift`` is set; otherwise it is
a warning that the report shows.
"""

from __future__ import annotations

import dataclasses

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.data.drift import drift_files
from mlops_ci.stages.base import StageContext, StageResult, Status


class DriftStage:
    name = StageName.DRIFT

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:

        if not model.drift.enabled:
            return StageResult(self.name, model.name, Status.SKIPPED, "drift.enabled is false")
        data = model.data
        exclude = [data.target] + ([data.id_column] if data.id_column else [])
        result = drift_files(
            context.workspace / data.reference_path,
            context.workspace / data.train,
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
