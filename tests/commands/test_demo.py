"""``mlops-ci demo``: the README's main job plays the whole lifecycle and ends as expected."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.commands.repos import git


def test_demo_plays_the_lifecycle_and_leaves_each_write_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # the command backend
    for name in ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_EVENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    err = io.StringIO()

    code = main(["demo", "--dir", str(tmp_path / "demo")], stderr=err)

    out = capsys.readouterr().out
    repo = tmp_path / "demo" / "churn"
    outbox = repo / ".mlops" / "outbox"
    assert (code, err.getvalue()) == (0, ""), out
    assert out.count("(as expected)") == 6  # the last two play production feedback
    assert git(repo, "tag", "--list").split() == ["churn#production#1", "churn@v0.1.0"]
    assert "churn@v0.1.0" in git(repo, "ls-remote", "--tags", "origin")
    assert [p.name for p in (outbox / "comments").iterdir()] == ["pr-1-churn-ci.md"]
    assert (outbox / "releases" / "churn@v0.1.0" / "assets" / "model.skops").is_file()
    assert len(list((outbox / "issues").glob("*"))) == 1
    assert (repo / "deployments" / "churn-production" / "VERSION").read_text() == "v0.1.0\n"
