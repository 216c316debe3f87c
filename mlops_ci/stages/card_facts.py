"""What the model card of a registered version says beyond its metrics: the record of what
was trained, on what, and where.

The register stage gathers these values; ``report.card`` words them (``StageContext.render``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_ci.stages.results import DataFile, Evaluation, ParamValue


@dataclass(frozen=True, slots=True)
class CardFacts:
    """The model card's record of a version (every field may be empty)."""

    model_sha256: str
    trained: str | None = None  # how: "by its command", "as sklearn....", "in IMAGE"
    params: tuple[tuple[str, tuple[tuple[str, ParamValue], ...]], ...] = ()  # by path
    data_files: tuple[DataFile, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()  # ``stages.environment.environment_record``
    evaluation: Evaluation | None = None  # the evaluation that passed its gates
