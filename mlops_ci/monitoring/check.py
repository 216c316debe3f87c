"""One monitoring measurement: production data against the production version's reference.

Data quality first: each production file is validated against the model's column schema (a
missing target column is expected in production data, where labels arrive later, and is not a
finding). Then drift, with the model's own ``drift`` rules, excluding the target and the id
column, exactly as the pull-request check measures it. When the data is so broken that drift
cannot be read (values of the wrong type), the data-quality errors are the finding and drift
is reported as not measured; otherwise a bad input is a ``UserError`` as everywhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mlops_ci.config.model import DataSpec, ModelSpec
from mlops_ci.data.results import DriftResult, ValidationResult
from mlops_ci.data.stream import open_parts
from mlops_ci.data.stream_drift import drift_stream
from mlops_ci.data.stream_validate import validate_part
from mlops_ci.errors import UserError
from mlops_ci.monitoring.production import ProductionData
from mlops_ci.monitoring.reference import ReferenceData
from mlops_ci.monitoring.served import ServedVersion

if TYPE_CHECKING:
    from mlops_ci.monitoring.feedback.check import FeedbackCheck


Finding = Literal["drift", "data_errors", "quality", "serving"]  # keys of ``monitor.labels``


@dataclass(frozen=True, slots=True)
class MonitorCheck:
    """What one run measured for one model."""

    model: str
    version: str  # the version in production
    reference: ReferenceData
    production: tuple[str, ...]  # the production files, as shown to readers
    validations: tuple[ValidationResult, ...]  # one per production file
    drift: DriftResult | None  # None when it could not be measured (see ``drift_error``)
    drift_error: str | None = None
    feedback: FeedbackCheck | None = None  # live quality and estimates (monitor.feedback)
    served: tuple[ServedVersion, ...] = ()  # what each production environment serves

    @property
    def serving_mismatches(self) -> tuple[ServedVersion, ...]:
        """Environments serving another version than the registry's production version."""
        return tuple(answer for answer in self.served if answer.mismatch)

    @property
    def quality_dropped(self) -> bool:
        return self.feedback is not None and self.feedback.dropped

    @property
    def data_errors(self) -> int:
        return sum(len(result.errors) for result in self.validations)

    @property
    def drifted(self) -> bool:
        """The dataset drifted (its share or key-column rule)."""
        return self.drift is not None and self.drift.drifted

    @property
    def strongly_drifted(self) -> tuple[str, ...]:
        """Columns drifted far beyond their threshold (``data.results.STRONG_DRIFT_P_VALUE``):
        a finding even when the share rule does not flag the dataset."""
        return self.drift.strongly_drifted_columns if self.drift is not None else ()

    @property
    def drift_found(self) -> bool:
        """Drift is a finding: the dataset drifted, or a column drifted strongly."""
        return self.drifted or bool(self.strongly_drifted)

    @property
    def alert(self) -> bool:
        """Drift, data-quality errors, a live-quality drop, or an environment serving another
        version than the registry's: each is reported and fails."""
        return (self.drift_found or self.data_errors > 0 or self.quality_dropped
                or bool(self.serving_mismatches))

    def finding_kinds(self) -> tuple[Finding, ...]:
        """What was found, in a fixed order; () when nothing."""
        found: list[Finding] = []
        if self.drift_found:
            found.append("drift")
        if self.data_errors:
            found.append("data_errors")
        if self.quality_dropped:
            found.append("quality")
        if self.serving_mismatches:
            found.append("serving")
        return tuple(found)

    def findings(self) -> str:
        """What was found, as words ("drift and a live-quality drop"); "" when nothing."""
        words = {"drift": "drift", "data_errors": "data-quality errors",
                 "quality": "a live-quality drop",
                 "serving": "an environment serving another version"}
        return " and ".join(words[kind] for kind in self.finding_kinds())

    @property
    def rows(self) -> int:
        return sum(result.rows for result in self.validations)


def check_production(
    model: ModelSpec,
    version: str,
    reference: ReferenceData,
    production: ProductionData,
    *,
    display_names: Sequence[str] | None = None,
) -> MonitorCheck:
    """Validate each production file, then measure drift of their union against ``reference``,
    in batches (``data.stream``): memory does not grow with the production rows. A Parquet
    column of another type than declared is a ``UserError``."""

    names = tuple(display_names) if display_names is not None else tuple(
        str(path) for path in production.files
    )
    data = model.data
    parts = open_parts(production.files, names, production.data_format)
    validations = tuple(_without_target(validate_part(part, data), data) for part in parts)
    exclude = [data.target] + ([data.id_column] if data.id_column else [])
    drift: DriftResult | None = None
    error: str | None = None
    try:
        drift = drift_stream(reference.path, parts, model.drift, column_specs=data.columns,
                             exclude=exclude, data_format=data.format,
                             current_name=production.display)
    except UserError as failure:
        if not any(not result.ok for result in validations):
            raise
        error = failure.message
    if drift is not None:
        drift = dataclasses.replace(drift, reference=_reference_name(reference))
    return MonitorCheck(model=model.name, version=version, reference=reference,
                        production=names, validations=validations, drift=drift,
                        drift_error=error)


def _reference_name(reference: ReferenceData) -> str:
    if reference.at_version:
        return f"{reference.relative.as_posix()} at {reference.commit[:12]}"
    return f"{reference.relative.as_posix()} (workspace)"


def _without_target(result: ValidationResult, spec: DataSpec) -> ValidationResult:
    """The result without the finding of a missing target (production data awaits labels)."""
    findings = tuple(
        finding
        for finding in result.findings
        if not (finding.rule == "missing_column" and finding.column == spec.target)
    )
    return dataclasses.replace(result, findings=findings)
