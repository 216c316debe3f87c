"""``mlops-ci demo``: the README's main job plays the whole lifecycle and ends as expected."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.commands.repos import git


@dataclass(frozen=True)
class Played:
    code: int
    out: str
    err: str
    repo: Path


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """The demo, played once for the tests below (it takes half a minute)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    err, out = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # command backend
        for name in ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_EVENT_NAME"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(sys, "stdout", out)
        code = main(["demo", "--dir", str(tmp_path / "demo")], stderr=err)
    return Played(code, out.getvalue(), err.getvalue(), tmp_path / "demo" / "churn")


def test_demo_plays_the_lifecycle_and_leaves_each_write_once(played: Played) -> None:
    out, repo = played.out, played.repo
    outbox = repo / ".mlops" / "outbox"
    assert (played.code, played.err) == (0, ""), out
    assert out.count("(as expected)") == 7  # the last two play production feedback
    assert git(repo, "tag", "--list").split() == ["churn#production#1", "churn@v0.1.0"]
    assert "churn@v0.1.0" in git(repo, "ls-remote", "--tags", "origin")
    assert sorted(p.name for p in (outbox / "comments").iterdir()) == [
        "pr-1-churn-ci.md", "pr-2-churn-ci.md"]
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert (outbox / "releases" / "churn@v0.1.0" / "assets" / "model.skops").is_file()
    assert len(list((outbox / "issues").glob("*"))) == 1
    assert (repo / "deployments" / "churn-production" / "VERSION").read_text() == "v0.1.0\n"


def test_demo_second_pull_request_is_compared_with_production_and_stopped(
    played: Played,
) -> None:
    """Pull request #2 drops a feature: its candidate is scored beside the model promoted to
    production in step 3, and the gate against production fails it (exit 1, as expected)."""
    out = played.out
    step = out[out.index("[4/7] pull request #2"):out.index("[5/7]")]
    assert "drop the support_calls feature ... exit 1 (as expected)" in step
    assert "evaluate failed" in step
    assert "churn: the candidate against production (v0.1.0) on data/test.csv, 1,000 rows" in step
    table = {
        cells[0]: cells[1:] for line in step.splitlines()
        if len(cells := line.split()) == 4 and cells[0] in ("accuracy", "f1", "roc_auc", "log_loss")
    }
    assert set(table) == {"accuracy", "f1", "roc_auc", "log_loss"}
    candidate, production, change = (float(v) for v in table["roc_auc"])
    assert candidate < production - 0.02  # more than the gate allows
    assert change == pytest.approx(candidate - production, abs=2e-4)
    assert (
        "gate evaluate.gates[1].max_regression (roc_auc against production): FAILED, roc_auc "
        in step
    )
    train = git(played.repo, "show", "drop-support-calls:train.py")
    numeric = next(line for line in train.splitlines() if line.startswith("NUMERIC ="))
    assert numeric == 'NUMERIC = ("tenure_months", "monthly_charges", "total_charges")'
    comment = (played.repo / ".mlops/outbox/comments/pr-2-churn-ci.md").read_text()
    assert "Drop the support\\_calls feature" in comment
    assert "| production (v0.1.0)" in comment


def test_demo_where_its_folder_is_a_file_exits_2_naming_it(tmp_path: Path) -> None:
    taken = tmp_path / "demo.txt"
    taken.write_text("", encoding="utf-8")
    err = io.StringIO()
    assert main(["demo", "--dir", str(taken)], stderr=err) == 2
    assert f"error: {taken}: a file, not a folder" in err.getvalue()


def test_demo_of_a_folder_without_mlops_yaml_exits_2_before_playing(tmp_path: Path) -> None:
    example = tmp_path / "not-an-example"
    example.mkdir()
    err = io.StringIO()
    code = main(["demo", "--example", str(example), "--dir", str(tmp_path / "demo")], stderr=err)
    assert code == 2
    assert f"error: example {example}: no mlops.yaml in it" in err.getvalue()
    assert not (tmp_path / "demo").exists()

