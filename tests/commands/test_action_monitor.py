"""``command: monitor`` through the action's inputs writes ``verdict`` as ``command: run`` does.

A real repository with a bare remote, churn v0.1.0 registered (and, but for the skipped case,
in production), no token: the issue goes to the local outbox.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import EXAMPLE, action_checkout
from tests.test_actions import parse_outputs


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    checkout = action_checkout(tmp_path, monkeypatch, "monitor")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    return checkout


def monitor_outputs(repo: Path) -> tuple[int, dict[str, str]]:
    code = main(["action"], stderr=io.StringIO())
    return code, parse_outputs((repo.parent / "output").read_text(encoding="utf-8"))


def test_drift_in_production_writes_verdict_failed(repo: Path) -> None:
    RegistryStore(repo).promote("churn", "v0.1.0", "production")

    code, outputs = monitor_outputs(repo)  # the example's production sample drifts

    assert code == 1
    assert (outputs["verdict"], outputs["drift"]) == ("failed", "true")


def test_clean_production_data_writes_verdict_passed(repo: Path) -> None:
    shutil.copyfile(EXAMPLE / "data" / "production_clean.csv", repo / "data" / "production.csv")
    RegistryStore(repo).promote("churn", "v0.1.0", "production")

    code, outputs = monitor_outputs(repo)

    assert code == 0
    assert (outputs["verdict"], outputs["drift"]) == ("passed", "false")


def test_no_version_in_production_writes_verdict_skipped(repo: Path) -> None:
    code, outputs = monitor_outputs(repo)

    assert code == 0
    assert (outputs["verdict"], outputs["drift"], outputs["issue_url"]) == ("skipped", "false", "")


def test_a_dry_run_writes_the_verdict_it_measured(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    RegistryStore(repo).promote("churn", "v0.1.0", "production")
    monkeypatch.setenv("INPUT_DRY_RUN", "true")

    code, outputs = monitor_outputs(repo)

    assert code == 1
    assert (outputs["verdict"], outputs["issue_url"]) == ("failed", "")
