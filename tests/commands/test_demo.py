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
