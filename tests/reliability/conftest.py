"""Totals of the fault sweep, printed at the end of the session (with ``-n 2`` too).

Each sweep test records a ``sweep`` user property (JSON); xdist carries those to the
controller, where they are summed here. ``MLOPS_CI_SWEEP_REPORT=path`` also writes the rows
and totals as JSON (``docs/RELIABILITY.md`` quotes them).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any


def sweep_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    exits: Counter[str] = Counter()
    for row in rows:
        exits.update(row["exits"])
    keys = ("cases", "runs", "faulted_responses", "duplicates", "lost",
            "dispatch_uncertain", "failed_deploy_attempts_logged")
    totals: dict[str, Any] = {key: sum(row[key] for row in rows) for key in keys}
    totals["scenarios"] = sorted({row["scenario"] for row in rows})
    totals["faults"] = sorted({f"{row['mode']}-{row['fault']}" for row in rows})
    totals["requests_per_run"] = {row["scenario"]: row["requests"] for row in rows}
    totals["exits"] = dict(sorted(exits.items()))
    totals["seconds"] = round(sum(row["seconds"] for row in rows), 1)
    return totals


def pytest_terminal_summary(terminalreporter: Any) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "sweep":
                seen[report.nodeid] = json.loads(value)
    if not seen:
        return
    rows = [seen[key] for key in sorted(seen)]
    totals = sweep_totals(rows)
    terminalreporter.write_sep("-", "fault sweep")
    terminalreporter.write_line(
        f"{totals['cases']} cases ({totals['runs']} runs) over {len(totals['scenarios'])} "
        f"scenarios x {len(totals['faults'])} fault modes; {totals['faulted_responses']} "
        f"faulted responses; duplicates found: {totals['duplicates']}; lost: {totals['lost']}"
    )
    terminalreporter.write_line(f"requests per fault-free run: {totals['requests_per_run']}")
    terminalreporter.write_line(f"exit codes (faulted -> rerun): {totals['exits']}")
    terminalreporter.write_line(
        f"dispatches left uncertain (at most once): {totals['dispatch_uncertain']}; failed "
        f"deploy attempts kept in status logs: {totals['failed_deploy_attempts_logged']}; "
        f"{totals['seconds']} s in sweep tests"
    )
    target = os.environ.get("MLOPS_CI_SWEEP_REPORT")
    if target:
        report = json.dumps({"totals": totals, "rows": rows}, indent=1)
        Path(target).write_text(report + "\n", encoding="utf-8")
