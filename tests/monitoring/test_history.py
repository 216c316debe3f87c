"""The trend kept in the issue body: written safely, read back robustly, keyed by run id."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.monitoring.history import (
    MAX_COLUMNS_KEPT,
    HistoryEntry,
    history_block,
    parse_history,
    record_run,
)


def entry(run_id: str, *, at: str = "2026-11-18T06:00:00Z", share: float | None = 0.5,
          columns: tuple[str, ...] = ("a",), alert: bool = True) -> HistoryEntry:
    return HistoryEntry(run_id=run_id, at=at, version="v1.0.0", alert=alert, drifted=alert,
                        share_drifted=share, drifted_count=len(columns),
                        drifted_columns=columns, data_errors=0, rows=10)


def test_block_round_trips_entries() -> None:
    entries = (entry("1"), entry("2", share=None, columns=()), entry("3", alert=False))
    body = f"intro\n{history_block(entries)}\nrest of the issue"
    assert parse_history(body).entries == entries
    assert parse_history(body).notes == ()


def test_hostile_column_name_cannot_end_the_comment() -> None:
    hostile = "x --> <script>alert(1)</script> & -->"
    block = history_block((entry("1", columns=(hostile,)),))
    assert block.count("-->") == 1 and block.endswith(" -->")
    assert "<script>" not in block
    assert parse_history(block).entries[0].drifted_columns == (hostile,)


def test_same_run_replaces_its_entry_and_keeps_its_first_time() -> None:
    first = (entry("1"), entry("2", at="2026-11-19T06:00:00Z"))
    again = entry("2", at="2026-11-19T07:30:00Z", share=0.25)
    recorded = record_run(first, again, keep=10)
    assert [e.run_id for e in recorded] == ["1", "2"]
    assert recorded[1].share_drifted == 0.25
    assert recorded[1].at == "2026-11-19T06:00:00Z"


def test_only_the_last_runs_are_kept() -> None:
    entries: tuple[HistoryEntry, ...] = ()
    for run in range(1, 8):
        entries = record_run(entries, entry(str(run)), keep=3)
    assert [e.run_id for e in entries] == ["5", "6", "7"]


def test_body_without_block_has_empty_history() -> None:
    parsed = parse_history("an issue someone wrote by hand")
    assert parsed.entries == () and parsed.notes == ()


def test_corrupt_block_is_reset_with_a_note() -> None:
    parsed = parse_history("<!-- mlops-ci:history {not json -->")
    assert parsed.entries == ()
    assert "reset" in parsed.notes[0]


def test_entry_of_wrong_shape_is_dropped_with_a_note() -> None:
    good = json.loads(history_block((entry("1"),))[len("<!-- mlops-ci:history "):-4])
    good["entries"].append({"run_id": "2", "at": "yesterday"})
    good["entries"].append({**good["entries"][0], "rows": -1, "run_id": "3"})
    parsed = parse_history(f"<!-- mlops-ci:history {json.dumps(good)} -->")
    assert [e.run_id for e in parsed.entries] == ["1"]
    assert parsed.notes == ("2 unreadable monitoring history entries were dropped",)


def test_long_column_lists_are_capped_but_counted() -> None:
    columns = tuple(f"c{i}" for i in range(40))
    big = HistoryEntry("9", "2026-11-18T06:00:00Z", "v1.0.0", True, True, 1.0, 40, columns, 0, 5)
    read = parse_history(history_block((big,))).entries[0]
    assert len(read.drifted_columns) == MAX_COLUMNS_KEPT
    assert read.drifted_count == 40


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_parsing_any_body_never_raises(body: str) -> None:
    parse_history(body)
    parse_history(f"<!-- mlops-ci:history {body} -->")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["schema", "entries", "x"]), json_values, max_size=3),
       st.lists(st.dictionaries(st.sampled_from(
           ["run_id", "at", "version", "alert", "drifted", "share_drifted", "drifted_count",
            "drifted_columns", "data_errors", "rows"]), json_values), max_size=3))
def test_any_json_in_the_block_gives_entries_or_a_note(
    top: dict[str, object], raw_entries: list[dict[str, object]]
) -> None:
    data = {**top, "schema": 1, "entries": raw_entries}
    text = json.dumps(data).replace(">", "\\u003e")
    parsed = parse_history(f"<!-- mlops-ci:history {text} -->")
    assert len(parsed.entries) + (1 if parsed.notes else 0) >= min(1, len(raw_entries))
    for read in parsed.entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", read.at)
