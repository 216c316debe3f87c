"""What a monitoring run found, in the issue's title, verdict and labels, and in ``--help``.

Real drift measurements of generated data: one column shifted far (strongly drifted), one
shifted a little (drifted, not strongly), the others unchanged.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from mlops_ci.cli import main
from mlops_ci.config.model import DriftSpec, FindingLabels, MonitorActions, MonitorSpec
from mlops_ci.data.drift import drift_files
from mlops_ci.data.results import Finding, ValidationResult
from mlops_ci.forge.protocol import ExistingIssue
from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.decision import IssueAction, decide, issue_labels
from mlops_ci.monitoring.history import ParsedHistory
from mlops_ci.monitoring.reference import ReferenceData
from mlops_ci.monitoring.run import MonitorRunInfo
from mlops_ci.report.monitoring_issue import issue_title, verdict_text

SPEC = MonitorSpec(production_data=("data/production.csv",))


def _run(run_id: str) -> MonitorRunInfo:
    return MonitorRunInfo(run_id=run_id, at="2026-11-18T06:00:00Z")


def _write(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    rows = zip(*(columns[name] for name in names), strict=True)
    path.write_text(",".join(names) + "\n" + "".join(
        ",".join(f"{value:.6f}" for value in row) + "\n" for row in rows))
    return path


def _check(
    tmp_path: Path, shifts: dict[str, float], *, share: float = 0.5, data_errors: int = 0
) -> MonitorCheck:
    rng = np.random.default_rng(7)
    names = ["x0", "x1", "x2", "x3"]
    reference = _write(tmp_path / "reference.csv", {n: rng.normal(size=400) for n in names})
    current = _write(tmp_path / "current.csv",
                     {n: rng.normal(size=400) + shifts.get(n, 0.0) for n in names})
    drift = drift_files(reference, current, DriftSpec(share=share))
    errors = tuple(Finding("type", "error", "x0", 1, "not a number") for _ in range(data_errors))
    validation = ValidationResult("data/production.csv", 400, tuple(names), errors)
    return MonitorCheck(
        model="churn", version="v0.1.0",
        reference=ReferenceData(reference, Path("data/reference.csv"), "c" * 40, True),
        production=("data/production.csv",), validations=(validation,), drift=drift,
    )


def test_a_dataset_drift_title_is_a_sentence(tmp_path: Path) -> None:
    check = _check(tmp_path, {"x0": 3.0, "x1": 3.0, "x2": 3.0})
    assert check.drifted
    assert issue_title(check) == "Data drift in production for churn v0.1.0"


def test_two_findings_are_named_together_in_the_title(tmp_path: Path) -> None:
    check = _check(tmp_path, {"x0": 3.0, "x1": 3.0, "x2": 3.0}, data_errors=2)
    assert issue_title(check) == (
        "Data drift and data-quality errors in production for churn v0.1.0")
    alone = _check(tmp_path, {}, data_errors=1)
    assert issue_title(alone) == "Data-quality errors in production data for churn v0.1.0"


def test_a_column_drifted_below_the_share_never_reads_no_drift(tmp_path: Path) -> None:
    check = _check(tmp_path, {"x1": 0.25})  # corrected p ≈ 5e-4: drifted, not strongly
    assert check.drift is not None
    assert check.drift.drifted_columns == ("x1",) and check.strongly_drifted == ()
    verdict = verdict_text(check)
    assert "no drift" not in verdict
    assert verdict.startswith(  # markdown: the parentheses escaped
        "🟡 1 of 4 columns drifted \\(25%, below the 50% share that flags the dataset\\)")
    assert not check.alert  # neither the share rule nor a strong drift: shown, not a finding


def test_a_strongly_drifted_column_under_the_share_rule_is_a_finding(tmp_path: Path) -> None:
    check = _check(tmp_path, {"x0": 3.0})
    assert check.drift is not None and not check.drift.drifted
    assert check.strongly_drifted == ("x0",)
    assert check.alert and check.findings() == "drift"
    verdict = verdict_text(check)
    assert verdict.startswith("🔴 column drift: strongly drifted: x0 (corrected p-value below "
                              "1e-06, or a distance at least 2 times its threshold); 1 of 4")
    assert issue_title(check) == "Data drift in production for churn v0.1.0"
    decision = decide(check, None, ParsedHistory(()), _run("1"), SPEC)
    assert decision.issue is IssueAction.UPSERT
    assert decision.labels == ("mlops", "drift")


def test_the_labels_name_each_finding_as_configured(tmp_path: Path) -> None:
    spec = dataclasses.replace(
        SPEC, actions=MonitorActions(labels=("ml",)),
        labels=FindingLabels(drift="ml:drift", quality="ml:quality", data_errors="ml:data"))
    errors_only = _check(tmp_path, {}, data_errors=1)
    assert decide(errors_only, None, ParsedHistory(()), _run("1"), spec).labels == (
        "ml", "ml:data")
    assert issue_labels(spec, ("drift", "data_errors", "quality")) == (
        "ml", "ml:drift", "ml:data", "ml:quality")


def test_a_closed_issue_keeps_the_labels_of_its_last_finding(tmp_path: Path) -> None:
    errors_only = _check(tmp_path, {}, data_errors=1)
    opened = decide(errors_only, None, ParsedHistory(()), _run("1"), SPEC)
    clean = _check(tmp_path, {})
    existing = ExistingIssue(number=1, state="open", body="")
    closing = decide(clean, existing, ParsedHistory(opened.entries), _run("2"), SPEC)
    assert closing.issue is IssueAction.CLOSE
    assert closing.labels == ("mlops", "data-errors")


def test_monitor_help_lists_every_cause_of_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["monitor", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for cause in ("the dataset drifted", "a column drifted strongly",
                  "data-quality errors in the production data", "live quality dropped"):
        assert cause in text, cause
