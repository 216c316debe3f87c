"""Monitoring issues and dispatches on the fake GitHub."""

from __future__ import annotations

from mlops_ci.forge import markers
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import Outcome
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import Issue
from tests.forge.conftest import REPO, make_forge

MARKER = "drift-churn"


def our_issues(fake: FakeGitHub) -> list[Issue]:
    return [i for i in fake.repo(REPO).issues if not i.is_pull]


def test_issue_is_opened_once_and_edited_on_change(fake: FakeGitHub, forge: GitHubForge) -> None:
    opened = forge.upsert_issue(MARKER, "Drift in churn", "2 columns", ["mlops", "drift"])
    assert opened.outcome is Outcome.CREATED
    same = make_forge(fake).upsert_issue(MARKER, "Drift in churn", "2 columns", ["drift", "mlops"])
    assert same.outcome is Outcome.UNCHANGED
    changed = forge.upsert_issue(MARKER, "Drift in churn", "4 columns", ["mlops", "drift"])
    assert changed.outcome is Outcome.UPDATED
    assert opened.number == same.number == changed.number
    (issue,) = our_issues(fake)
    assert issue.body is not None and issue.body.endswith("4 columns")


def test_closed_issue_is_reopened_not_duplicated(fake: FakeGitHub, forge: GitHubForge) -> None:
    opened = forge.upsert_issue(MARKER, "Drift", "x", [])
    assert opened.number is not None
    assert forge.close_issue(opened.number, "gone", key="close-1").outcome is Outcome.CLOSED
    again = make_forge(fake).upsert_issue(MARKER, "Drift", "back", [])
    assert again.outcome is Outcome.REOPENED
    assert again.number == opened.number
    assert len(our_issues(fake)) == 1


def test_closing_twice_comments_once(fake: FakeGitHub, forge: GitHubForge) -> None:
    opened = forge.upsert_issue(MARKER, "Drift", "x", [])
    assert opened.number is not None
    forge.close_issue(opened.number, "drift is gone", key="close-1")
    fake.clear_requests()
    result = make_forge(fake).close_issue(opened.number, "drift is gone", key="close-1")
    assert result.outcome is Outcome.UNCHANGED
    assert fake.writes() == []
    assert len(fake.repo(REPO).comments(opened.number)) == 1


def test_issue_marker_pasted_by_someone_else_is_ignored(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    pasted = markers.marked(markers.issue_marker(MARKER), "look, a marker")
    fake.repo(REPO).add_issue("Not yours", pasted, author="mallory")
    result = forge.upsert_issue(MARKER, "Drift", "x", [])
    assert result.outcome is Outcome.CREATED
    mallory = [i for i in our_issues(fake) if i.author.login == "mallory"]
    assert mallory[0].body == pasted and mallory[0].title == "Not yours"


def test_dispatch_sends_event_type_and_payload(fake: FakeGitHub, forge: GitHubForge) -> None:
    result = forge.dispatch("mlops-retrain", {"model": "churn", "reason": "drift"})
    assert result.outcome is Outcome.SENT
    (sent,) = [w for w in fake.writes() if w.path.endswith("/dispatches")]
    assert sent.body_json == {
        "event_type": "mlops-retrain",
        "client_payload": {"model": "churn", "reason": "drift"},
    }


def test_workflow_dispatch_names_workflow_ref_and_inputs(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    result = forge.dispatch_workflow("retrain.yml", "main", {"model": "churn"})
    assert result.outcome is Outcome.SENT
    (sent,) = fake.writes()
    assert sent.path.endswith("/actions/workflows/retrain.yml/dispatches")
    assert sent.body_json == {"ref": "main", "inputs": {"model": "churn"}}
