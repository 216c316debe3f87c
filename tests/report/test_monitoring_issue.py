"""The issue body: untrusted names stay inert, the trend block survives, renders are stable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlops_ci.config.model import DriftSpec
from mlops_ci.data.drift import drift_files
from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.decision import history_entry
from mlops_ci.monitoring.history import parse_history
from mlops_ci.monitoring.reference import ReferenceData
from mlops_ci.monitoring.run import MonitorRunInfo
from mlops_ci.report.monitoring_issue import issue_body, sparkline

HOSTILE = "<img src=x onerror=alert(1)> --> | **@team** [x](http://evil)"
RUN = MonitorRunInfo(run_id="77", at="2026-11-18T06:00:00Z",
              url="https://github.com/octo/churn/actions/runs/77")


@pytest.fixture
def hostile_check(tmp_path: Path) -> MonitorCheck:
    reference = tmp_path / "reference.csv"
    current = tmp_path / "current.csv"
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    reference.write_text(f"{quoted},b\n" + "".join(f"{i},{i % 3}\n" for i in range(200)))
    current.write_text(f"{quoted},b\n" + "".join(f"{i + 500},{i % 3}\n" for i in range(200)))
    drift = drift_files(reference, current, DriftSpec(share=0.5))
    assert drift.drifted_columns == (HOSTILE,)
    return MonitorCheck(
        model="churn", version="v1.0.0",
        reference=ReferenceData(reference, Path("data/reference.csv"), "c" * 40, True),
        production=("data/current.csv",), validations=(), drift=drift,
    )


def test_hostile_column_name_is_inert_in_the_body(hostile_check: MonitorCheck) -> None:
    entries = (history_entry(hostile_check, RUN),)
    body = issue_body(hostile_check, entries, RUN)
    text = re.sub(r"```mermaid\n.*?\n```", "", body, flags=re.DOTALL)  # ranges: 0 --> 100
    assert text.count("-->") == 1  # only the end of the history block
    visible = body.split(" -->\n", 1)[1]
    assert "<img" not in body
    assert "](http://evil)" not in visible
    assert "@team" not in visible
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in visible
    assert parse_history(body).entries == entries


def test_body_starts_with_the_trend_block_and_renders_the_same_twice(
    hostile_check: MonitorCheck,
) -> None:
    entries = (history_entry(hostile_check, RUN),)
    body = issue_body(hostile_check, entries, RUN)
    assert body.startswith("<!-- mlops-ci:history ")
    assert body == issue_body(hostile_check, entries, RUN)
    assert "[77](https://github.com/octo/churn/actions/runs/77)" in body


def test_sparkline_shows_the_share_of_each_run(hostile_check: MonitorCheck) -> None:
    from dataclasses import replace

    base = history_entry(hostile_check, RUN)
    entries = [replace(base, run_id=str(i), share_drifted=share)
               for i, share in enumerate([0.0, 0.5, 1.0, None])]
    assert sparkline(entries) == "▁▅█·"
