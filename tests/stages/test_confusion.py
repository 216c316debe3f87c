"""Confusion matrices: the same labels for both models, counts that add up, many classes capped."""

from __future__ import annotations

import numpy as np

from mlops_ci.metrics import Predictions
from mlops_ci.stages.confusion import OTHERS, confusion_matrix


def _predictions(truth: list[object], predicted: list[object]) -> Predictions:
    return Predictions(np.asarray(truth), np.asarray(predicted))


def test_both_models_are_counted_over_the_same_labels_most_frequent_first() -> None:
    truth = ["b", "a", "a", "a", "b", "c"]
    candidate = _predictions(truth, ["b", "a", "a", "b", "b", "c"])
    production = _predictions(truth, ["a", "a", "a", "a", "a", "d"])  # d: no actual row

    confusion = confusion_matrix({"candidate": candidate, "production": production})

    assert confusion is not None
    assert confusion.labels == ("a", "b", "c", "d")
    assert confusion.matrix("candidate") == ((2, 1, 0, 0), (0, 2, 0, 0), (0, 0, 1, 0),
                                             (0, 0, 0, 0))
    assert confusion.matrix("production") == ((3, 0, 0, 0), (2, 0, 0, 0), (0, 0, 0, 1),
                                              (0, 0, 0, 0))
    assert confusion.folded == 0


def test_numpy_classes_are_named_as_plain_values() -> None:
    confusion = confusion_matrix({"candidate": _predictions([0, 1, 1], [1, 1, 1])})
    assert confusion is not None and confusion.labels == ("1", "0")


def test_past_the_cap_the_rarer_classes_share_one_label_and_every_row_is_counted() -> None:
    truth = [f"class {i:02d}" for i in range(25) for _ in range(25 - i)]
    predicted = truth[1:] + truth[:1]
    confusion = confusion_matrix({"candidate": _predictions(truth, predicted)}, max_classes=20)

    assert confusion is not None
    assert len(confusion.labels) == 20 and confusion.labels[-1] == OTHERS
    assert confusion.labels[0] == "class 00"  # the most frequent
    assert confusion.folded == 6 and confusion.total_classes == 25
    counts = confusion.matrix("candidate")
    assert counts is not None
    assert sum(map(sum, counts)) == len(truth)
    assert counts[-1][-1] == sum(range(1, 7)) - 1  # the six rarest, among themselves
