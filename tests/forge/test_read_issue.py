"""``Forge.read_issue``: the issue ``upsert_issue`` writes, read back by its marker.

The same lookups on both forges (found, not found, closed), then what only GitHub has: other
authors. On GitHub the issue is ours only when the token's identity wrote it; with several of
ours, an open one wins over a newer closed one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.forge import markers
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.outbox_layout import outbox_directory
from mlops_ci.forge.protocol import ExistingIssue, Forge
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import BOT_LOGIN
from tests.forge.conftest import REPO, make_forge

MARKER = "monitor:churn/production"  # a '/' as in the monitoring markers: not a safe file name


@pytest.fixture(params=["github", "outbox"])
def any_forge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Forge]:
    if request.param == "outbox":
        yield OutboxForge(tmp_path)
        return
    fake = FakeGitHub().start()
    fake.create_repo(REPO)
    made = make_forge(fake)
    try:
        yield made
    finally:
        made.close()
        fake.stop()


def test_no_issue_yet_reads_as_none(any_forge: Forge) -> None:
    assert any_forge.read_issue(MARKER) is None


def test_the_upserted_issue_is_read_back(any_forge: Forge) -> None:
    opened = any_forge.upsert_issue(MARKER, "Drift in churn", "2 columns drifted", ["drift"])
    found = any_forge.read_issue(MARKER)
    assert found is not None
    assert (found.number, found.state, found.is_open) == (opened.number, "open", True)
    assert found.title == "Drift in churn"
    assert found.body.endswith("2 columns drifted")
    assert markers.issue_marker(MARKER) in found.body
    assert found.url == opened.url
    assert any_forge.read_issue("monitor:other") is None


def test_a_closed_issue_is_read_back_closed(any_forge: Forge) -> None:
    opened = any_forge.upsert_issue(MARKER, "Drift", "x", [])
    assert opened.number is not None
    any_forge.close_issue(opened.number, "drift is gone", key="clear-1")
    closed = any_forge.read_issue(MARKER)
    assert closed is not None
    assert (closed.number, closed.state, closed.is_open) == (opened.number, "closed", False)
    any_forge.upsert_issue(MARKER, "Drift", "back", [])
    reopened = any_forge.read_issue(MARKER)
    assert reopened is not None and reopened.is_open and reopened.body.endswith("back")


def test_an_unsafe_marker_is_a_user_error(any_forge: Forge) -> None:
    with pytest.raises(UserError, match="cannot be used as a marker key"):
        any_forge.read_issue("--> <script>")


def test_reading_on_github_writes_nothing(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.upsert_issue(MARKER, "Drift", "x", [])
    fake.clear_requests()
    assert make_forge(fake).read_issue(MARKER) is not None
    assert fake.writes() == []


def test_a_marker_pasted_by_someone_else_is_not_ours(fake: FakeGitHub, forge: GitHubForge) -> None:
    pasted = markers.marked(markers.issue_marker(MARKER), "look, a marker")
    theirs = fake.repo(REPO).add_issue("Not yours", pasted, author="mallory")
    fake.repo(REPO).add_comment(theirs.number, pasted, author="mallory")
    assert forge.read_issue(MARKER) is None
    opened = forge.upsert_issue(MARKER, "Drift", "x", [])
    fake.repo(REPO).add_comment(theirs.number, pasted, author="mallory")  # active after ours
    found = forge.read_issue(MARKER)
    assert found is not None and found.number == opened.number != theirs.number


def test_an_open_issue_wins_over_a_newer_closed_one(fake: FakeGitHub, forge: GitHubForge) -> None:
    body = markers.marked(markers.issue_marker(MARKER), "trend")
    older = fake.repo(REPO).add_issue("Drift (open)", body, author=BOT_LOGIN)
    newer = fake.repo(REPO).add_issue("Drift (closed)", body, author=BOT_LOGIN)
    newer.state = "closed"
    found = forge.read_issue(MARKER)
    assert isinstance(found, ExistingIssue)
    assert (found.number, found.state, found.title, found.body) == (
        older.number, "open", "Drift (open)", body
    )
    older.state = "closed"
    found = forge.read_issue(MARKER)
    assert found is not None and (found.number, found.state) == (newer.number, "closed")


def test_the_outbox_reads_the_issue_file_and_nothing_else(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    assert forge.read_issue(MARKER) is None
    assert not outbox_directory(tmp_path).exists()  # a read creates no folder
    forge.upsert_issue(MARKER, "Drift", "x", [])
    [path] = (outbox_directory(tmp_path) / "issues").glob("*.json")
    found = forge.read_issue(MARKER)
    assert found is not None and found.url == path.as_uri()
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="unreadable outbox file"):
        forge.read_issue(MARKER)
