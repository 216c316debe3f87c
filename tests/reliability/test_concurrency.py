"""Runs at the same time against one bare remote and one fake GitHub.

Each runner is its own clone of the remote (as two jobs on two machines are) and its own
forge; the runs start together behind a barrier, in threads of this process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.commands.repos import git
from tests.fakegithub import FakeGitHub
from tests.reliability.sweep import asset_problems, duplicates
from tests.reliability.world import PR, REPOSITORY, RunResult, World, make_world

ROUNDS = 3


def second_runner(world: World, name: str) -> World:
    """Another job's checkout of the same remote, sharing the fake GitHub."""
    clone = world.root / name
    git(world.root, "clone", "-q", "--branch", "main", str(world.root / "remote.git"), str(clone))
    git(clone, "config", "user.name", "Test Author")
    git(clone, "config", "user.email", "author@example.invalid")
    return World(world.root, clone, world.fake, attempt=100)


def together(*runs: Callable[[], RunResult]) -> list[RunResult]:
    barrier = threading.Barrier(len(runs))
    results: list[RunResult | BaseException] = [RuntimeError("did not run")] * len(runs)

    def start(index: int) -> None:
        barrier.wait()
        try:
            results[index] = runs[index]()
        except BaseException as error:  # surfaced below, with its traceback
            results[index] = error

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, RunResult)]


def registry_tags(world: World) -> dict[str, str]:
    return {name: sha for name, sha in world.remote_tags().items() if name.startswith("churn@")}


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_merge_runs_of_one_commit_register_it_once(
    tmp_path: Path, fake_github: FakeGitHub, round_: int
) -> None:
    first = make_world(tmp_path, fake_github)
    second = second_runner(first, "runner-2")

    results = together(lambda: first.merge_run(201), lambda: second.merge_run(202))

    codes = sorted(r.exit_code for r in results)
    log = "\n".join(r.log for r in results)
    assert codes in ([0, 0], [0, 3]), log
    # Both trained the same commit, in bytes not quite alike (skops is not byte-stable): the
    # loser of the race on the release's files exits 3, and its rerun completes the release.
    for runner, result, run_id in ((first, results[0], 203), (second, results[1], 204)):
        if result.exit_code == 3:
            assert runner.merge_run(run_id).exit_code == 0
    assert registry_tags(first) == {"churn@v0.1.0": first.head()}
    [release] = fake_github.repo(REPOSITORY).releases
    assert release.tag_name == "churn@v0.1.0"
    names = [a.name for a in fake_github.repo(REPOSITORY).assets(release.id)]
    assert {"SHA256SUMS", "model.skops", "metrics.json"} <= set(names)
    assert duplicates(first.state()) == []
    assert asset_problems(first) == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_merge_runs_of_two_commits_get_distinct_versions_or_one_refusal(
    tmp_path: Path, fake_github: FakeGitHub, round_: int
) -> None:
    first = make_world(tmp_path, fake_github)
    second = second_runner(first, "runner-2")
    (second.repo / "NOTES.md").write_text("a second merge\n", encoding="utf-8")
    git(second.repo, "add", "NOTES.md")
    git(second.repo, "commit", "-q", "-m", "notes")
    git(second.repo, "push", "-q", "origin", "main")

    results = together(lambda: first.merge_run(201), lambda: second.merge_run(202))

    tags = registry_tags(first)
    codes = sorted(r.exit_code for r in results)
    log = "\n".join(r.log for r in results)
    assert codes in ([0, 0], [0, 3]), log
    assert len(set(tags.values())) == len(tags), f"two versions of one commit: {tags}"
    assert len(tags) == codes.count(0), log
    assert set(tags.values()) <= {first.head(), second.head()}
    releases = sorted(r.tag_name for r in fake_github.repo(REPOSITORY).releases)
    assert releases == sorted(tags)
    assert duplicates(first.state()) == []
    assert asset_problems(first) == []
    if codes == [0, 3]:
        assert "Traceback" not in log and "error:" in log


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_pr_runs_at_once_leave_one_comment(
    tmp_path: Path, fake_github: FakeGitHub, round_: int
) -> None:
    first = make_world(tmp_path, fake_github)
    second = second_runner(first, "runner-2")

    results = together(lambda: first.pr_run(101), lambda: second.pr_run(102))
    after_race = [c.body for c in fake_github.repo(REPOSITORY).comments(PR)]
    again = first.pr_run(103)

    assert [r.exit_code for r in results] == [0, 0], "\n".join(r.log for r in results)
    assert len(after_race) == 1, f"{len(after_race)} comments after the race"
    assert again.exit_code == 0
    comments = fake_github.repo(REPOSITORY).comments(PR)
    assert len(comments) == 1
    assert "<!-- mlops-ci:report:churn-ci -->" in comments[0].body
