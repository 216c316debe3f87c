"""Joining late labels to served predictions by id: duplicates, missing ids and late rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlops_ci.monitoring.feedback.join import Label, Served, join_labels

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    return DAY0 + timedelta(days=days)


def test_join_counts_duplicates_missing_ids_and_late_rows() -> None:
    served = [
        Served("a", at(13), 0),
        Served("b", at(12), 1),
        Served("b", at(13.5), 2),  # b served twice: its label (day 13) answers the day-12 one
        Served("c", at(2), 3),  # in the previous window; its label arrives late (day 14)
        Served("d", at(13), 4),  # never labelled: awaiting
        Served(None, at(13), 5),  # no id
        Served("e", at(13), 6),  # labelled before it was predicted
    ]
    labels = [
        Label("a", 0, at(13.2), 0),
        Label("a", 1, at(13.8), 1),  # a correction: the latest label wins
        Label("b", 1, at(13.0), 2),
        Label("c", 0, at(14), 3),
        Label("zz", 1, at(13), 4),  # never served
        Label(None, 1, at(13), 5),
        Label("e", 1, at(12), 6),
    ]

    joined = join_labels(served, labels, window_days=7)

    assert joined.labelled == ((0, 1), (1, 1), (3, 0))
    assert joined.unlabelled == (4, 6)
    counts = joined.counts
    assert (counts.served, counts.labels, counts.matched, counts.awaiting) == (7, 7, 3, 2)
    assert counts.duplicate_served == 1
    assert counts.duplicate_labels == 1
    assert counts.conflicting_labels == 1
    assert counts.unmatched_labels == 1
    assert counts.missing_ids == 2
    assert counts.label_before_prediction == 1
    assert counts.late == 1


def test_without_times_the_last_label_in_file_order_wins_and_nothing_is_late() -> None:
    served = [Served("a", None, 0), Served("b", None, 1)]
    labels = [Label("a", 1, None, 0), Label("a", 0, None, 1), Label("b", 1, None, 2)]

    joined = join_labels(served, labels, window_days=7)

    assert joined.labelled == ((0, 0), (1, 1))
    assert joined.counts.late == 0 and joined.counts.duplicate_labels == 1
