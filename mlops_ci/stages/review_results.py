"""What a reviewer compares beside the metrics: confusion matrices and training parameters.

Values only (``stages.confusion`` and ``stages.params`` compute them; ``Evaluation`` carries
them; ``report.review`` renders them). Class labels and parameter names are the user's text,
kept as they are: the renderer escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConfusionRole = Literal["candidate", "production"]


@dataclass(frozen=True, slots=True)
class ConfusionMatrix:
    """Counts of the test set by actual class (rows) and predicted class (columns), for the
    candidate and, when it was evaluated, production, over the same ``labels``.

    ``labels`` are the most frequent classes of the test set (at most ``MAX_CLASSES``); with
    ``folded`` > 0 the last label is ``OTHERS`` and stands for that many rarer classes.
    """

    labels: tuple[str, ...]
    matrices: tuple[tuple[ConfusionRole, tuple[tuple[int, ...], ...]], ...]
    folded: int = 0  # how many classes the last row and column hold together
    total_classes: int = 0

    def matrix(self, role: ConfusionRole) -> tuple[tuple[int, ...], ...] | None:
        return dict(self.matrices).get(role)

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {"labels": list(self.labels), "folded_classes": self.folded}
        for role, counts in self.matrices:
            found[role] = [list(row) for row in counts]
        return found


@dataclass(frozen=True, slots=True)
class ParamChange:
    """One parameter whose value differs; ``None`` on a side means the key is absent there."""

    path: str  # where it is recorded: train.estimator.params, params.json, params.yaml
    key: str
    production: str | None  # the value as shown: ``0.1``, ``lbfgs``, ``["a", "b"]``, ``null``
    candidate: str | None


@dataclass(frozen=True, slots=True)
class ParamsComparison:
    """The candidate's training parameters against the production version's recorded ones."""

    production_version: str
    changes: tuple[ParamChange, ...]
    candidate_count: int  # how many parameters the candidate has
    not_recorded: str | None = None  # why production's are unknown (then ``changes`` is empty)
