"""``mlops-ci monitor`` through the real entry point: plain text on the terminal.

Production data whose column names are markup, ANSI escapes with a line break, and workflow
commands: the terminal shows the names as they are (control characters as visible escapes,
nothing the Actions runner would obey), while the issue and the job summary on GitHub stay
escaped markdown.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from mlops_ci.cli import main
from mlops_ci.registry.store import RegistryStore
from tests.fakegithub import FakeGitHub
from tests.monitoring.conftest import REPOSITORY, git

TAG, ANSI, COMMAND, LEGACY = "<b>x</b>", "evil\x1b[31m\nred", "::error::forged", "##[add-mask]x"
HOSTILE = [TAG, ANSI, COMMAND, LEGACY]
# each as the terminal shows it, at the start of its row of the drift table
SHOWN = [TAG, r"evil\x1b[31m\nred", r"\x3a:error::forged", r"##\x5badd-mask]x"]
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")

CONFIG = """\
version: 1
default_branch: main
stages: [production]
models:
  churn:
    data: {train: data/train.csv, test: data/test.csv, target: churned}
    train: {command: [python, train.py]}
    evaluate: {task: classification, metrics: [accuracy]}
    monitor:
      production_data: [data/production.csv]
"""
# the same, but with a schema that declares only the target: every hostile column is a
# data-quality error
DECLARED = CONFIG.replace(
    "target: churned}",
    "target: churned,\n           columns: {churned: {dtype: int, allowed: [0, 1]}}}",
)


def _write(path: Path, shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(300, len(HOSTILE))) + shift
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HOSTILE, "churned"])
        writer.writerows([*(f"{x:.5f}" for x in row), str(i % 2)] for i, row in enumerate(values))


def _repository(root: Path, config: str) -> Path:
    """A repository whose production version's data has hostile column names, and drifted
    production data with the same columns."""
    (root / "data").mkdir(parents=True)
    (root / "mlops.yaml").write_text(config, encoding="utf-8")
    (root / "train.py").write_text("", encoding="utf-8")  # what train.command runs
    _write(root / "data" / "train.csv", 0.0, 1)
    _write(root / "data" / "test.csv", 0.0, 2)
    _write(root / "data" / "production.csv", 3.0, 3)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hostile columns")
    store = RegistryStore(root, remote=None)
    store.register("churn", version="v0.1.0")
    store.promote("churn", "v0.1.0", "production")
    return root


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return _repository(tmp_path / "hostile", CONFIG)


def _assert_plain_terminal_text(out: str) -> None:
    assert RAW_CONTROL.search(out) is None, repr(out)
    assert not any(line.lstrip().startswith("::") for line in out.splitlines()), out
    assert "##[" not in out
    rows = out.splitlines()
    assert any(row.startswith("Monitoring churn: churn v0.1.0: ") for row in rows), out
    for shown in SHOWN:
        assert any(row.startswith(shown + " ") and row.endswith("🔴 drift") for row in rows), out
    assert "&lt;" not in out and "\\_" not in out and "\\#" not in out
    assert not any(row.startswith(("## ", "### ", "|", "```")) for row in rows), out


def test_monitor_prints_hostile_column_names_as_plain_text(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["monitor", "-c", str(hostile / "mlops.yaml")])

    out = capsys.readouterr().out
    assert code == 1
    _assert_plain_terminal_text(out)
    assert "Monitoring churn: churn v0.1.0: drift in production data" in out.splitlines()
    assert "  - issue #1: created file://" in out  # the outbox, without a token


def test_monitor_prints_data_quality_findings_about_hostile_columns_as_plain_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = _repository(tmp_path / "declared", DECLARED)

    code = main(["monitor", "-c", str(declared / "mlops.yaml")])

    out = capsys.readouterr().out
    assert code == 1
    _assert_plain_terminal_text(out)
    rows = out.splitlines()
    assert "Data validation: data/production.csv: 🔴 4 errors" in rows
    for shown in SHOWN:
        assert any(row.startswith(shown + " ") and " unexpected_column " in row for row in rows)
    assert r"column 'evil\x1b[31m\nred' is not in the schema" in out
    assert "column '<b>x</b>' is not in the schema" in out


def test_on_github_the_terminal_is_plain_text_and_the_issue_and_summary_escaped_markdown(
    hostile: Path, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = tmp_path / "summary.md"
    for name, value in {"GITHUB_TOKEN": fake.token, "GITHUB_REPOSITORY": REPOSITORY,
                        "GITHUB_API_URL": fake.api_url, "GITHUB_RUN_ID": "1001",
                        "GITHUB_STEP_SUMMARY": str(summary)}.items():
        monkeypatch.setenv(name, value)

    code = main(["monitor", "-c", str(hostile / "mlops.yaml")])

    out = capsys.readouterr().out
    assert code == 1
    _assert_plain_terminal_text(out)
    assert f"  - issue #1: created {fake.web_url}/{REPOSITORY}/issues/1" in out
    [issue] = fake.snapshot()[REPOSITORY]["issues"]
    for body in (issue["body"], summary.read_text(encoding="utf-8")):
        assert "&lt;b&gt;x&lt;/b&gt;" in body and TAG not in body
        assert "| evil \\[31m red " in body and "\x1b" not in body  # control characters: spaces
        assert "| \\#\\#\\[add-mask\\]x " in body
    assert summary.read_text(encoding="utf-8").startswith("## Monitoring churn: ")
