"""The snapshot compares runs: equal for the same writes, different for a duplicate."""

from __future__ import annotations

import io

from tests.fakegithub import FakeGitHub


def _register(gh: FakeGitHub, comments: int = 1) -> None:
    repo = gh.client().get_repo("octo/churn")
    release = repo.create_git_release("churn@v1.0.0", "churn v1.0.0", "metrics")
    release.upload_asset_from_memory(io.BytesIO(b"model"), 5, "model.skops")
    tag = repo.create_git_tag("churn@v1.0.0", "registered", "a" * 40, "commit")
    repo.create_git_ref("refs/tags/churn#production#1", tag.sha)
    for _ in range(comments):
        repo.get_issue(7).create_comment("report")


def _fresh() -> FakeGitHub:
    gh = FakeGitHub().start()
    gh.create_repo("octo/churn").add_pull(7, head_sha="b" * 40, head_ref="topic")
    return gh


def test_same_writes_give_equal_snapshots_and_a_duplicate_shows() -> None:
    first, second, third = _fresh(), _fresh(), _fresh()
    try:
        first.create_repo("octo/other")
        second.create_repo("octo/other")
        third.create_repo("octo/other")
        _register(first)
        second.clear_requests()
        second.create_repo("zz/padding")  # ids in the second server differ from the first
        _register(second)
        _register(third, comments=2)
        snapshots = [gh.snapshot() for gh in (first, second, third)]
    finally:
        for gh in (first, second, third):
            gh.stop()

    del snapshots[1]["zz/padding"]
    assert snapshots[0] == snapshots[1]
    assert snapshots[0] != snapshots[2]
    churn = snapshots[0]["octo/churn"]
    assert churn["refs"]["refs/tags/churn#production#1"].startswith("tag churn@v1.0.0 -> ")
    assert churn["releases"][0]["assets"][0]["size"] == 5
