"""The monitoring trend, kept in the issue body itself: no database, no extra file.

A scheduled run reads the issue it updates anyway, so the history of the last runs travels in
a hidden block of that body::

    <!-- mlops-ci:history {"schema":1,"entries":[{"run_id":"123",...}]} -->

The JSON is written with ``<``, ``>`` and ``&`` as ``\\u`` escapes, so no value (column names
are untrusted) can end the HTML comment early. Reading is the opposite of trusting: anyone
who can edit the issue can edit the block, so :func:`parse_history` never raises; a block that
is not valid JSON of the right shape is dropped with a note, an entry of the wrong shape is
skipped with a note. Entries are keyed by run id: the same run (a rerun, a second attempt)
replaces its own entry and keeps its first timestamp, so a rerun writes the same body again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

SCHEMA = 1
MAX_COLUMNS_KEPT = 10  # drifted column names stored per entry (the count is always kept)
MAX_METRICS_KEPT = 10  # live and estimated metrics stored per entry
MAX_BLOCK_CHARS = 200_000
_BLOCK = re.compile(rf"<!-- mlops-ci:history ([^>]{{0,{MAX_BLOCK_CHARS}}}?) -->")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One monitoring run of one model, as the trend shows it."""

    run_id: str
    at: str  # UTC, ``YYYY-MM-DDTHH:MM:SSZ``: when this run id was first recorded
    version: str  # the version in production that was checked
    alert: bool  # drift or data-quality errors
    drifted: bool
    share_drifted: float | None  # None when drift could not be measured
    drifted_count: int
    drifted_columns: tuple[str, ...]  # at most MAX_COLUMNS_KEPT of them
    data_errors: int  # data-quality errors in the production data
    rows: int  # production rows compared
    quality_dropped: bool = False  # a live metric fell beyond its tolerance
    labelled_rows: int | None = None  # None: no feedback measured in this run
    live: tuple[tuple[str, float], ...] = ()  # live metrics, when judged
    estimated: tuple[tuple[str, float], ...] = ()  # estimates of the latest window


@dataclass(frozen=True, slots=True)
class ParsedHistory:
    entries: tuple[HistoryEntry, ...]
    notes: tuple[str, ...] = ()  # what was dropped while reading, for the issue body


def is_run_id(text: str) -> bool:
    return _RUN_ID.fullmatch(text) is not None


def record_run(
    entries: Sequence[HistoryEntry], entry: HistoryEntry, keep: int
) -> tuple[HistoryEntry, ...]:
    """``entries`` with ``entry`` recorded: replacing the same run's entry, else appended.

    A replaced entry keeps its first ``at``, so a rerun of a run records the same thing again.
    Only the last ``keep`` entries are kept.
    """
    out = list(entries)
    for index, existing in enumerate(out):
        if existing.run_id == entry.run_id:
            out[index] = replace(entry, at=existing.at)
            break
    else:
        out.append(entry)
    return tuple(out[-max(1, keep):])


def find_run(entries: Sequence[HistoryEntry], run_id: str) -> HistoryEntry | None:
    return next((entry for entry in entries if entry.run_id == run_id), None)


def history_block(entries: Sequence[HistoryEntry]) -> str:
    """The hidden block holding ``entries``; safe inside an HTML comment."""
    data = {"schema": SCHEMA, "entries": [_entry_json(entry) for entry in entries]}
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"<!-- mlops-ci:history {text} -->"


def _entry_json(entry: HistoryEntry) -> dict[str, object]:
    share = entry.share_drifted
    return {
        "run_id": entry.run_id,
        "at": entry.at,
        "version": entry.version,
        "alert": entry.alert,
        "drifted": entry.drifted,
        "share_drifted": share if share is not None and math.isfinite(share) else None,
        "drifted_count": entry.drifted_count,
        "drifted_columns": list(entry.drifted_columns[:MAX_COLUMNS_KEPT]),
        "data_errors": entry.data_errors,
        "rows": entry.rows,
        "quality_dropped": entry.quality_dropped,
        "labelled_rows": entry.labelled_rows,
        "live": _metrics_json(entry.live),
        "estimated": _metrics_json(entry.estimated),
    }


def _metrics_json(values: Sequence[tuple[str, float]]) -> dict[str, float]:
    return {name: value for name, value in values[:MAX_METRICS_KEPT] if math.isfinite(value)}


def _metrics(raw: object) -> tuple[tuple[str, float], ...] | None:
    """Metric values of an entry; absent is empty (older entries), malformed is ``None``."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or len(raw) > MAX_METRICS_KEPT:
        return None
    out = []
    for name, value in raw.items():
        if not (isinstance(name, str) and 0 < len(name) <= 40):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not math.isfinite(value):
            return None
        out.append((name, float(value)))
    return tuple(out)


def parse_history(body: str) -> ParsedHistory:
    """The entries in ``body``'s history block; never raises (see the module docstring)."""
    found = _BLOCK.search(body)
    if found is None:
        return ParsedHistory(())
    reset = "the monitoring history in this issue was unreadable and has been reset"
    try:
        data = json.loads(found.group(1))
    except (ValueError, RecursionError):
        return ParsedHistory((), (f"{reset} (not JSON)",))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return ParsedHistory((), (f"{reset} (unknown format)",))
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        return ParsedHistory((), (f"{reset} (no entry list)",))
    entries: list[HistoryEntry] = []
    skipped = 0
    for raw in raw_entries:
        entry = _entry(raw)
        if entry is None or find_run(entries, entry.run_id) is not None:
            skipped += 1
        else:
            entries.append(entry)
    notes = (f"{skipped} unreadable monitoring history entries were dropped",) if skipped else ()
    return ParsedHistory(tuple(entries), notes)


def _entry(raw: object) -> HistoryEntry | None:
    if not isinstance(raw, dict):
        return None
    run_id, at, version = raw.get("run_id"), raw.get("at"), raw.get("version")
    if not (isinstance(run_id, str) and is_run_id(run_id)):
        return None
    if not (isinstance(at, str) and _TIMESTAMP.fullmatch(at)):
        return None
    if not (isinstance(version, str) and 0 < len(version) <= 100):
        return None
    flags = [raw.get(name) for name in ("alert", "drifted")]
    counts = [raw.get(name) for name in ("drifted_count", "data_errors", "rows")]
    if not all(isinstance(flag, bool) for flag in flags):
        return None
    if not all(_is_count(count) for count in counts):
        return None
    share = raw.get("share_drifted")
    if share is not None and not (
        isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 1
    ):
        return None
    columns = raw.get("drifted_columns")
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        return None
    live, estimated = _metrics(raw.get("live")), _metrics(raw.get("estimated"))
    dropped, labelled = raw.get("quality_dropped", False), raw.get("labelled_rows")
    if live is None or estimated is None or not isinstance(dropped, bool):
        return None
    if labelled is not None and not _is_count(labelled):
        return None
    return HistoryEntry(
        run_id=run_id,
        at=at,
        version=version,
        alert=bool(flags[0]),
        drifted=bool(flags[1]),
        share_drifted=None if share is None else float(share),
        drifted_count=int(counts[0]),  # type: ignore[arg-type]
        drifted_columns=tuple(c[:200] for c in columns[:MAX_COLUMNS_KEPT]),
        data_errors=int(counts[1]),  # type: ignore[arg-type]
        rows=int(counts[2]),  # type: ignore[arg-type]
        quality_dropped=dropped,
        labelled_rows=None if labelled is None else int(labelled),
        live=live,
        estimated=estimated,
    )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15
