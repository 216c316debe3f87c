"""The confusion matrices of a classifier's candidate and production models on the test set.

Both are counted over the same labels: the classes of the test set and of either model's
predictions, most frequent in the test set first (ties by name). Past ``MAX_CLASSES`` the
rarer classes share one last label, ``OTHERS``, so the counts still add up to the test set and
the report stays readable; ``ConfusionMatrix.folded`` says how many it holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from mlops_ci.metrics import Predictions
from mlops_ci.stages.review_results import ConfusionMatrix, ConfusionRole

MAX_CLASSES = 20
OTHERS = "(other classes)"


def confusion_matrix(
    predictions: Mapping[ConfusionRole, Predictions], *, max_classes: int = MAX_CLASSES
) -> ConfusionMatrix | None:
    """The matrices of the models in ``predictions`` (the candidate's first); ``None`` without
    a candidate."""
    candidate = predictions.get("candidate")
    if candidate is None:
        return None
    support = Counter(_text(value) for value in candidate.y_true)
    seen = set(support)
    for predicted in predictions.values():
        seen.update(_text(value) for value in predicted.y_pred)
    ordered = sorted(seen, key=lambda label: (-support.get(label, 0), label))
    kept = ordered if len(ordered) <= max_classes else ordered[: max_classes - 1]
    folded = len(ordered) - len(kept)
    labels = (*kept, OTHERS) if folded else tuple(kept)
    index = {label: position for position, label in enumerate(kept)}
    others = len(kept)
    matrices: list[tuple[ConfusionRole, tuple[tuple[int, ...], ...]]] = []
    roles: tuple[ConfusionRole, ...] = ("candidate", "production")
    for role in roles:
        model = predictions.get(role)
        if model is None:
            continue
        counts = [[0] * len(labels) for _ in labels]
        for actual, predicted in zip(model.y_true, model.y_pred, strict=True):
            row = index.get(_text(actual), others)
            column = index.get(_text(predicted), others)
            counts[row][column] += 1
        matrices.append((role, tuple(tuple(row) for row in counts)))
    return ConfusionMatrix(
        labels=labels,
        matrices=tuple(matrices),
        folded=folded,
        total_classes=len(ordered),
    )


def _text(value: Any) -> str:
    """A class as the report names it: ``1``, ``yes``, ``True`` (numpy scalars unwrapped)."""
    plain = value.item() if hasattr(value, "item") else value
    return str(plain)
